"""Memory and time stay bounded whatever a case file says: measured, with generous margins."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from gradcheck.casefile import document, yamlreader
from gradcheck.errors import CaseError

MB = 2**20
# The bounds the issue sets: each hostile file is refused within these.
MAX_SECONDS = 1.0
MAX_BYTES = 100 * MB


def alias_bomb(levels: int = 15) -> str:
    """About 1 KB that, expanded, would hold 10**levels numbers."""
    lines = ["cases:", "  - name: bomb", "    inputs: 3", "    classes: 5", "    description:"]
    lines.append("      l0: &l0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]")
    lines += [f"      l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


# inputs * classes = 10**10 weights: 80 GB as float64, were it allocated.
TEN_TO_THE_TEN = """\
cases:
  - name: huge
    inputs: 100000
    classes: 100000
    x: {seed: 0, scale: 1}
    weights: {seed: 1, scale: 1}
    label: 0
"""


@dataclass
class Cost:
    seconds: float = 0.0
    peak_bytes: int = 0


@contextmanager
def measured() -> Iterator[Cost]:
    """Wall time and the peak of Python's traced allocations (NumPy's arrays included)."""
    cost = Cost()
    tracemalloc.start()
    start = time.perf_counter()
    try:
        yield cost
    finally:
        cost.seconds = time.perf_counter() - start
        cost.peak_bytes = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def refusal(path: Path) -> CaseError:
    """The one error that refuses the file: file-wide, or of its only case."""
    try:
        entries = document.load(path, "cases/x.yaml")
    except CaseError as error:
        return error
    (entry,) = entries
    assert isinstance(entry.case, CaseError), "the file was loaded, not refused"
    return entry.case


def test_the_alias_bomb_is_about_a_kilobyte_and_would_expand_to_10_to_the_15() -> None:
    text = alias_bomb()
    assert 900 <= len(text) <= 1100
    assert text.count("*l") == 140  # ten aliases a level on fourteen levels: 10**15 ones under l14


def test_a_1kb_alias_bomb_is_refused_within_a_second_and_100mb(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb())
    with measured() as cost:
        error = refusal(path)
    assert error.line == 10  # l4: the first alias that goes over the limit
    assert "YAML aliases expand this document beyond its size limit" in error.message
    assert cost.seconds < MAX_SECONDS
    assert cost.peak_bytes < MAX_BYTES


def test_an_alias_bomb_in_one_case_refuses_the_whole_file(tmp_path: Path) -> None:
    # The expansion budget is the file's: a case that spends it does not fail alone.
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb() + "  - name: fine\n    inputs: 2\n")
    with pytest.raises(CaseError, match="YAML aliases expand this document beyond its size limit"):
        document.load(path, "cases/x.yaml")


def test_10_to_the_10_weights_are_refused_within_a_second_and_100mb(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text(TEN_TO_THE_TEN)
    with measured() as cost:
        error = refusal(path)
    assert str(error) == (
        "cases/x.yaml:3: inputs: inputs=100000, classes=100000 needs 10000000000 weights, "
        "over the limit of 10000000 (gradcheck_max_elements)"
    )
    assert cost.seconds < MAX_SECONDS
    assert cost.peak_bytes < MAX_BYTES


def test_the_measure_would_see_an_allocation_of_the_size_refused() -> None:
    # The bound above is not vacuous: tracemalloc sees a NumPy array of 100 MB.
    with measured() as cost:
        np.ones(MAX_BYTES // 8 + 1)
    assert cost.peak_bytes >= MAX_BYTES


CHILD = textwrap.dedent(
    """\
    import json, resource, sys, time
    from pathlib import Path
    from gradcheck.casefile import document
    from gradcheck.errors import CaseError
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    try:
        result = repr([str(e.case) for e in document.load(Path(sys.argv[1]), "cases/x.yaml")])
    except CaseError as error:
        result = str(error)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"kib": after - before, "seconds": seconds, "result": result}))
    """
)


@pytest.mark.parametrize("text", [alias_bomb(), TEN_TO_THE_TEN], ids=["alias-bomb", "10**10-weights"])
def test_resident_memory_of_a_fresh_process_grows_under_100mb(tmp_path: Path, text: str) -> None:
    # The whole process, not only what Python traces: the growth of its peak resident set.
    path = tmp_path / "x.yaml"
    path.write_text(text)
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, check=True)
    report = json.loads(out.stdout)
    assert "over the limit" in report["result"] or "beyond its size limit" in report["result"]
    assert report["kib"] * 1024 < MAX_BYTES
    assert report["seconds"] < MAX_SECONDS


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as f:  # sparse: takes no disk, but stat says it is over the limit
        f.truncate(yamlreader.MAX_FILE_BYTES + 1)
    with measured() as cost:
        error = refusal(path)
    assert str(error) == (
        f"cases/x.yaml:1: file is {yamlreader.MAX_FILE_BYTES + 1} bytes, over the limit of "
        f"{yamlreader.MAX_FILE_BYTES}; split it into several files"
    )
    assert cost.peak_bytes < yamlreader.MAX_FILE_BYTES // 8  # its 8 MB were never read into memory


def test_a_file_at_the_size_limit_is_read_and_one_byte_more_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(yamlreader, "MAX_FILE_BYTES", 1000)  # 8 MB of YAML takes seconds to scan
    path = tmp_path / "edge.yaml"
    body = "cases: 3\n"
    path.write_text(body + "#" * (1000 - len(body)))
    assert str(refusal(path)) == "cases/x.yaml:1: cases: is an integer; expected a list of cases"
    path.write_text(body + "#" * (1001 - len(body)))
    assert str(refusal(path)) == (
        "cases/x.yaml:1: file is 1001 bytes, over the limit of 1000; split it into several files"
    )


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        pytest.param(
            # 10 x 10 x 10 written as aliases: 1,000 entries declared by a few lines.
            "[*m, *m, *m, *m, *m, *m, *m, *m, *m, *m]",
            "cases/x.yaml:9: weights: has 1000 entries, over the limit of 999 (gradcheck_max_elements)",
            id="aliased-literal",
        ),
        pytest.param(
            "{seed: 1, scale: 1, shape: [100000, 100000]}",
            "cases/x.yaml:9: weights: shape [100000, 100000] contradicts inputs=3, classes=5, which needs [3, 5]",
            id="spec-shape",
        ),
    ],
)
def test_declared_sizes_are_checked_before_any_array_is_built(tmp_path: Path, weights: str, expected: str) -> None:
    text = (
        "defaults:\n"
        "  description:\n"
        "    r: &r [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]\n"
        "    m: &m [*r, *r, *r, *r, *r, *r, *r, *r, *r, *r]\n"
        "cases:\n"
        "  - name: a\n"
        "    inputs: 3\n"
        "    classes: 5\n"
        f"    weights: {weights}\n"
        "    x: [1, 2, 3]\n"
        "    label: 0\n"
    )
    path = tmp_path / "x.yaml"
    path.write_text(text)
    with measured() as cost:
        (entry,) = document.load(path, "cases/x.yaml", limits=document.Limits(max_elements=999))
    assert isinstance(entry.case, CaseError)
    assert str(entry.case) == expected
    assert cost.peak_bytes < 10 * MB


def test_deep_nesting_is_refused_at_its_line_not_by_the_python_stack(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("cases:\n  - name: a\n    x: " + "[" * 1000 + "]" * 1000 + "\n")
    start = time.perf_counter()
    error = refusal(path)
    assert str(error) == "cases/x.yaml:3: lists and mappings nest deeper than 50 levels; flatten the data"
    assert time.perf_counter() - start < MAX_SECONDS
