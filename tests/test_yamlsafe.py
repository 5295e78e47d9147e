"""The safe reader takes libyaml's fast path where it can and the pure reader's words where it cannot."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gradcheck.casefile import yamlreader

ROOT = Path(__file__).resolve().parent.parent
NOT_UTF8 = {"not_utf8.yaml"}  # refused before either reader sees it
FILES = sorted([*(ROOT / "cases").glob("*.yaml"), *(ROOT / "tests" / "broken").glob("*.yaml")])
FILES = [p for p in FILES if p.name not in NOT_UTF8]


def read(text: str, *, fast: bool, monkeypatch: pytest.MonkeyPatch) -> object:
    """What the reader makes of text, with or without libyaml: values, or the error's line and message."""
    with monkeypatch.context() as m:
        if not fast:
            m.delattr(yaml, "CSafeLoader")
        try:
            return repr(yamlreader.parse_with_line(text))
        except yamlreader.YamlError as exc:
            return (exc.line, exc.message)


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML was built without libyaml")
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_libyaml_and_the_pure_reader_agree(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = path.read_text(encoding="utf-8")
    assert read(text, fast=True, monkeypatch=monkeypatch) == read(text, fast=False, monkeypatch=monkeypatch)


def test_the_fast_path_reads_with_libyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    real = yaml.compose

    def compose(text: str, Loader: object) -> object:  # noqa: N803 (PyYAML's name)
        calls.append(Loader)
        return real(text, Loader=Loader)

    monkeypatch.setattr(yaml, "compose", compose)
    assert yamlreader.parse("cases:\n  - name: a\n") == {"cases": [{"name": "a"}]}
    expected = [yaml.CSafeLoader] if yaml.__with_libyaml__ else [yamlreader._Loader]
    assert calls == expected
    # a text libyaml refuses goes to the pure reader, whose message names the problem
    calls.clear()
    with pytest.raises(yamlreader.YamlError, match="YAML syntax error"):
        yamlreader.parse("cases: [1, 2\n")
    assert calls[-1] is yamlreader._Loader


def test_nesting_is_bounded_on_the_fast_path_too() -> None:
    deep = "cases: " + "[" * (yamlreader.MAX_DEPTH + 5) + "]" * (yamlreader.MAX_DEPTH + 5) + "\n"
    with pytest.raises(yamlreader.YamlError, match=f"nest deeper than {yamlreader.MAX_DEPTH} levels") as caught:
        yamlreader.parse(deep)
    assert caught.value.line == 1
