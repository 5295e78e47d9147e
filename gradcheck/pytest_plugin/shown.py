"""What a case item's report shows of the user's code, as a terminal shows it rather than acts on
it: the output it printed (pytest's captured sections) and the text of its failure."""

from __future__ import annotations

import pytest

from ..errors import printable


def escape(report: pytest.TestReport) -> None:
    """Escape, in place, the control characters of `report`'s captured output and of its failure
    text where that is text (gradcheck's own reports): ANSI escapes, carriage returns and
    bidirectional overrides that would redraw the terminal, or a summary line, are shown instead."""
    report.sections = [(title, printable(content, lines=True)) for title, content in report.sections]
    if isinstance(report.longrepr, str):
        report.longrepr = printable(report.longrepr, lines=True)
