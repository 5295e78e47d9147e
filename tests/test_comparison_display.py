"""How a Comparison shows itself: true only if it passed, one line as its repr, the report in
IPython and as HTML in Jupyter (a table, the hints, the map as a picture or as text)."""

from __future__ import annotations

import html.parser
import sys
from typing import Any

import numpy as np
import pytest
from pluginrun import run, sections

import gradcheck
from gradcheck.verdict.comparison import Comparison

W = np.linspace(-0.5, 0.5, 15).reshape(3, 5)
#: A gradient of sum(W**2) with column 2 off by 1: three of fifteen entries wrong.
PLANTED = 2 * W + (np.arange(15).reshape(3, 5) % 5 == 2)


def failing(**options: Any) -> Comparison:
    return gradcheck.check_jacobian(lambda w: np.sum(w**2), W, PLANTED, of="L", wrt="W", **options)


def test_a_comparison_is_true_only_if_it_passed_and_its_repr_is_one_line() -> None:
    bad = failing()
    good = gradcheck.check_jacobian(lambda w: np.sum(w**2), W, 2 * W, of="L", wrt="W")
    assert not bad and good
    assert repr(bad) == "<Comparison dL/dW: FAILED, 3 of 15 entries, max rel error inf>"
    assert repr(good).startswith("<Comparison dL/dW: passed, 0 of 15 entries, max rel error ")
    assert "\n" not in repr(good) and repr(good).endswith(">")
    assert bad.report() == str(bad) and str(bad).startswith("gradcheck of dL/dW: FAILED\n")


def test_the_repr_of_a_check_that_compared_nothing_names_why_and_escapes_the_names() -> None:
    calls = iter(range(100))
    c = gradcheck.check_jacobian(lambda w: np.sum(w**2) + next(calls), W, PLANTED, of="L\n\x1b[2J", wrt="W")
    assert not c and c.diagnosis == "nondeterministic"
    assert repr(c) == "<Comparison dL\\n\\x1b[2J/dW: FAILED, nondeterministic>"


def test_pytest_shows_a_failed_assert_as_the_one_line_repr_and_its_message_as_the_report(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_user="""
        import numpy as np
        import gradcheck

        W = np.linspace(-0.5, 0.5, 15).reshape(3, 5)
        PLANTED = 2 * W + (np.arange(15).reshape(3, 5) % 5 == 2)

        def loss(w):
            return np.sum(w**2)

        def test_bare():
            assert gradcheck.check_jacobian(loss, W, PLANTED, of="L", wrt="W")

        def test_with_report():
            c = gradcheck.check_jacobian(loss, W, PLANTED, of="L", wrt="W")
            assert c, c.report()

        def test_passes():
            assert gradcheck.check_jacobian(loss, W, 2 * W)
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=2)
    shown = sections(result)
    one_line = "assert <Comparison dL/dW: FAILED, 3 of 15 entries, max rel error inf>"
    assert any(line.startswith("E   ") and line.endswith(one_line) for line in shown["test_bare"])
    assert not any("worst entries" in line for line in shown["test_bare"])
    report = shown["test_with_report"]
    assert "E       AssertionError: gradcheck of dL/dW: FAILED" in report
    for line in ("3 of 15 entries differ beyond rtol=1e-06, atol=1e-08", "hint: every mismatched entry lies in"):
        assert any(line in shown_line for shown_line in report), line
    assert any("W[1, 2]" in line and line.rstrip().endswith("inf") for line in report)


class Recorder:
    """IPython's pretty printer, as far as _repr_pretty_ uses it."""

    def __init__(self) -> None:
        self.written: list[str] = []

    def text(self, text: str) -> None:
        self.written.append(text)


def test_ipython_pretty_prints_the_report() -> None:
    c, p = failing(), Recorder()
    c._repr_pretty_(p, False)
    c._repr_pretty_(p, True)
    assert p.written == [str(c), repr(c)]


def test_ipythons_formatters_show_the_report_and_the_html() -> None:
    pytest.importorskip("IPython")
    from IPython.core.formatters import HTMLFormatter, PlainTextFormatter

    c = failing()
    assert PlainTextFormatter()(c) == str(c)
    assert HTMLFormatter()(c) == c._repr_html_()


class Parsed(html.parser.HTMLParser):
    """The text of an HTML report by element: list items, table rows of cells, images, pre blocks."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.items: list[str] = []
        self.rows: list[list[str]] = []
        self.images: list[dict[str, str | None]] = []
        self.pre: list[str] = []
        self.tags: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.rows[-1].append("")
        elif tag == "li":
            self.items.append("")
        elif tag == "pre":
            self.pre.append("")
        elif tag == "img":
            self.images.append(dict(attrs))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.tags:
            del self.tags[len(self.tags) - 1 - self.tags[::-1].index(tag) :]

    def handle_data(self, data: str) -> None:
        inside = self.tags[-1] if self.tags else ""
        if inside in ("td", "th"):
            self.rows[-1][-1] += data
        elif inside == "li":
            self.items[-1] += data
        elif inside == "pre":
            self.pre[-1] += data


def text_table(report: str) -> list[list[str]]:
    """The worst entries' table of a text report, a list of cells per row (header first)."""
    lines = report.splitlines()
    start = lines.index("  worst entries:") + 1
    rows = []
    for line in lines[start:]:
        if not line.startswith("    "):
            break
        name, rest = line[4:].split("  ", 1)
        rows.append([name.strip(), *(cell for cell in rest.strip().split("  ") if cell.strip())])
    return [[cell.strip() for cell in row] for row in rows]


def test_the_html_report_holds_the_text_reports_table_hints_and_a_picture_of_the_map() -> None:
    pytest.importorskip("matplotlib")
    c = failing()
    parsed = Parsed(c._repr_html_())
    assert parsed.rows == text_table(str(c))
    assert len(parsed.rows) == 1 + len(c.worst) and parsed.rows[0][0] == "entry"
    summary = [line.strip() for line in str(c).splitlines()[1:4]]
    assert parsed.items[:3] == summary
    assert [f"hint: {h}" for h in c.hints] == [i for i in parsed.items if i.startswith("hint: ")]
    assert c.sweeps == tuple(i for i in parsed.items if i.startswith("step sweep"))
    (image,) = parsed.images
    assert str(image["src"]).startswith("data:image/png;base64,iVBORw0KGgo")  # a PNG's first bytes
    assert image["alt"] == "where the mismatches lie in W[i, j] (3, 5): rows i; columns j"


def test_without_matplotlib_the_html_map_is_the_text_map(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` raises ImportError
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    c = failing()
    parsed = Parsed(c._repr_html_())
    assert parsed.images == []
    (pre,) = parsed.pre
    assert pre.splitlines() == str(c).splitlines()[-7:]  # the map: title, legend, header, three rows, footer


def test_the_html_report_escapes_what_comes_from_user_code() -> None:
    c = gradcheck.check_jacobian(lambda w: np.sum(w**2), W, PLANTED, wrt="<b>W</b>", title="<script>x</script>")
    shown = c._repr_html_()
    assert "<script>" not in shown and "<b>" not in shown
    assert "&lt;script&gt;x&lt;/script&gt;: FAILED" in shown
    assert Parsed(shown).rows[1][0] == "<b>W</b>[1, 2]"  # the parser unescapes what was escaped
