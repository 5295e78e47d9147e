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

#: At most this many bytes of spare buffers stay allotted between checks (two 8 MB chunks, the
#: default for two workers, and change); a larger buffer given back is freed.
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
    """Hand back a buffer from `take`; it is kept while the spares stay under KEEP_BYTES."""
    with _lock:
        if sum(b.nbytes for b in _spare) + buf.nbytes <= KEEP_BYTES:
            _spare.append(buf)


def spare_bytes() -> int:
    """Bytes held for reuse right now."""
    with _lock:
        return sum(b.nbytes for b in _spare)


def clear() -> None:
    """Free every spare buffer."""
    with _lock:
        _spare.clear()
