"""A check's report as HTML, for Jupyter: the summary, the worst entries as a table, the hints and
step sweeps, and the map of the mismatches as a PNG (with matplotlib) or as the text map.
Every piece of text is escaped: names and messages may come from the user's code."""

from __future__ import annotations

import base64
import html

from . import heatmap
from .map import MismatchMap
from .maptext import map_lines
from .sections import HEADER, Sections

#: The alignment of the table's columns: the entry's name left, the numbers right.
ALIGN = ("left", "right", "right", "right", "right")


def html_report(s: Sections) -> str:
    """The report as one HTML fragment."""
    parts = [f"<p><strong>{html.escape(s.title)}</strong></p>"]
    parts += _lines("gradcheck-summary", s.summary)
    if s.table:
        parts.append(_table(s.table))
    parts += _lines("gradcheck-hints", tuple(f"hint: {h}" for h in s.hints))
    parts += _lines("gradcheck-sweeps", s.sweeps)
    if s.mismatch_map is not None:
        parts.append(_map(s.mismatch_map))
    return '<div class="gradcheck-report">\n' + "\n".join(parts) + "\n</div>"


def _lines(kind: str, lines: tuple[str, ...]) -> list[str]:
    """Lines of text as a list, or nothing where there are none."""
    if not lines:
        return []
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return [f'<ul class="{kind}">{items}</ul>']


def _table(rows: tuple[tuple[str, ...], ...]) -> str:
    """The worst entries: HEADER, then a row of cells each."""

    def row(cells: tuple[str, ...], tag: str) -> str:
        shown = (f'<{tag} style="text-align: {a}">{html.escape(c)}</{tag}>' for c, a in zip(cells, ALIGN, strict=True))
        return f"<tr>{''.join(shown)}</tr>"

    body = "".join(row(r, "td") for r in rows)
    return f'<table class="gradcheck-worst"><thead>{row(HEADER, "th")}</thead><tbody>{body}</tbody></table>'


def _map(m: MismatchMap) -> str:
    """The heatmap as an inline PNG where matplotlib is installed, with the text map's title as its
    caption; else the text map."""
    lines = map_lines(m)
    try:
        picture = heatmap.png(heatmap.map_figure(m, ""))
    except ImportError:  # no matplotlib
        return f'<pre class="gradcheck-map">{html.escape(chr(10).join(lines))}</pre>'
    data = base64.b64encode(picture).decode("ascii")
    caption = html.escape(lines[0].strip())
    return (
        f'<figure class="gradcheck-map"><img src="data:image/png;base64,{data}" alt="{caption}">'
        f"<figcaption>{caption}</figcaption></figure>"
    )
