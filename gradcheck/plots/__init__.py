"""Pictures of a check (PNG, with matplotlib from the optional `plot` extra, imported only to draw)."""
