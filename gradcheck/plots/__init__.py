"""Pictures of a failing check as PNG files (drawn by gradcheck.verdict.figures, with matplotlib
from the optional `plot` extra, imported only to draw)."""
