"""pytest-html: a failing check carries its pictures and its text report into the HTML report,
as pytest-html's extras. pytest_html is imported only when its --html option asked for a report."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from .jsonreport import GRADCHECK_ITEM
from .state import STATE

#: The pictures (gradcheck.plots.failure.Picture) of a failed check, until its report carries them.
PICTURES = pytest.StashKey[list[Any]]()


def attach(item: pytest.Item, report: pytest.TestReport) -> None:
    """Add a failed check's pictures and report to the extras pytest-html shows with its row."""
    if report.when != "call" or not item.stash.get(GRADCHECK_ITEM, False):
        return
    comparison = getattr(item, "comparison", None)
    if comparison is None or comparison.passed:
        return
    pictures = item.stash.get(PICTURES, [])
    if pictures:
        del item.stash[PICTURES]  # the report carries them from here on
    if not item.config.stash[STATE].settings.html:
        return
    from pytest_html import extras  # importable: it is pytest-html's --html that asked for a report

    added = [extras.png(base64.b64encode(p.png).decode("ascii"), name=f"gradcheck {p.name}") for p in pictures]
    added.append(extras.text(report.longreprtext, name="gradcheck report"))
    report.extras = [*getattr(report, "extras", []), *added]  # type: ignore[attr-defined]
