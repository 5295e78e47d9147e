"""Scratch memory for vectorized evaluation, kept between checks.

A chunk of perturbed points is several megabytes. Allocated afresh for every check, its pages
are faulted in again each time (about 1 ms per 8 MB on a 2-core machine, a tenth of a small
check); a run of checks that takes its chunks from here and gives them back reuses memory that
is already mapped. Between checks at most KEEP_BYTES stay allotted; buffers are handed to one
caller at a time, so checks in several threads never share one.
"""

from __future__ import annotations

import threading

import numpy as np
from numpy.typing import NDArray

#: At most this many bytes of spare buffers stay allotted between checks (the 8 MB of chunks of
#: one check and the 8 MB of a direction's points, with room to spare); the most recent are kept.
KEEP_BYTES = 20 * 2**20

_lock = threading.Lock()
_spare: list[NDArray[np.float64]] = []


def take(size: int) -> NDArray[np.float64]:
    """A 1-D float64 buffer of at least `size` elements, contents undefined: the smallest spare
    one that fits, else a new one."""
    with _lock:
        fits = [i for i, buf in enumerate(_spare) if buf.size >= size]
        if fits:
            return _spare.pop(min(fits, key=lambda i: _spare[i].size))
    return np.empty(size)


def give(buf: NDArray[np.float64]) -> None:
    """Hand back a buffer from `take`. It is kept, before older spares (the next check most
    likely needs what the last one used), within KEEP_BYTES; a larger one is freed."""
    with _lock:
        if buf.nbytes > KEEP_BYTES:
            return
        _spare.append(buf)
        while sum(b.nbytes for b in _spare) > KEEP_BYTES:
            _spare.pop(0)  # the one given back longest ago


def spare_bytes() -> int:
    """Bytes held for reuse right now."""
    with _lock:
        return sum(b.nbytes for b in _spare)


def clear() -> None:
    """Free every spare buffer."""
    with _lock:
        _spare.clear()
