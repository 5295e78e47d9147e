"""The part of a comparison its report shows, in the terms the user wrote: one cotangent's product
(a vjp or backward check) or the derivative itself (an elementwise check), in x's shape; else the
whole Jacobian."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from .naming import Naming

Array = NDArray[np.floating]
T = TypeVar("T", bound=np.generic)


@dataclass(frozen=True)
class Shown:
    """A view of the Jacobian (f(x).shape + x.shape): a row of it (a cotangent's product), its
    diagonal (an elementwise derivative), or all of it; in x's shape for the first two."""

    naming: Naming
    row: int | None = None  # the cotangent shown
    diagonal: bool = False
    context: tuple[str, ...] = ()  # the lines that say which part is shown, and what else fails
    hints: tuple[str, ...] = ()  # what the part alone cannot show (f not elementwise)

    @property
    def whole(self) -> bool:
        return self.row is None and not self.diagonal

    @property
    def out_ndim(self) -> int:
        return self.naming.out_ndim if self.whole else 0

    @property
    def unit(self) -> str:
        """What the report's count counts."""
        n = self.naming
        if self.row is not None:
            return f"entries of d{n.wrt} for {n.cotangents[self.row]}"
        return f"entries of {n.derivative}" if self.diagonal else "entries"

    def take(self, arr: NDArray[T]) -> NDArray[T]:
        """The shown part of an array of the Jacobian's shape."""
        if self.row is not None:
            row: NDArray[T] = arr[self.row]
            return row
        if self.diagonal:
            size = int(np.prod(self.naming.in_shape))
            return arr.reshape(size, size).diagonal().reshape(self.naming.in_shape).copy()
        return arr

    def full(self, index: tuple[int, ...]) -> tuple[int, ...]:
        """The Jacobian's index of an entry of the shown part."""
        if self.row is not None:
            return (self.row, *index)
        return (*index, *index) if self.diagonal else index

    def name(self, index: tuple[int, ...]) -> str:
        """The report's name of an entry of the shown part."""
        return self.naming.entry(self.full(index))

    @property
    def map_names(self) -> tuple[str, str]:
        """(of, wrt) as the map's title names the shown part's entries."""
        n = self.naming
        if n.second and not n.tangents:  # a Hessian: the Jacobian of the gradient, d(df/dx)[a]/dx[i]
            return f"(d{n.of}/d{n.wrt})", n.wrt
        if self.row is not None:
            return n.of, f"d{n.wrt}"
        return (n.of, n.derivative) if self.diagonal else (n.of, n.wrt)


def shown(naming: Naming, over: NDArray[np.bool_]) -> Shown:
    """What the report of a failing comparison shows, `over` marking its mismatched entries: the
    product of the first seeded random cotangent that fails (else the basis cotangent that fails
    most), the diagonal of an elementwise check whose mismatches all lie on it, else the whole."""
    if naming.cotangents and over.shape[:1] == (len(naming.cotangents),):
        failing = over.reshape(over.shape[0], -1).sum(axis=1)
        rows = np.flatnonzero(failing)
        if rows.size == 0:
            return Shown(naming)
        random = rows[rows < naming.random]
        row = int(random[0]) if random.size else int(rows[np.argmax(failing[rows])])
        return Shown(naming, row=row, context=(_cotangent_line(naming, failing),))
    if naming.elementwise and naming.out_shape == naming.in_shape:
        size = int(np.prod(naming.in_shape))
        square = over.reshape(size, size)
        off = int(square.sum() - np.trace(square))
        if not off:
            return Shown(naming, diagonal=True)
        i, j = next((i, j) for i, j in np.argwhere(square) if i != j)
        out_idx = tuple(int(k) for k in np.unravel_index(int(i), naming.in_shape))
        in_idx = tuple(int(k) for k in np.unravel_index(int(j), naming.in_shape))
        example = naming.entry((*out_idx, *in_idx))
        return Shown(
            naming,
            hints=(
                f"f is not elementwise: its output moves with other entries of {naming.wrt} than its own, at "
                f"{off} entries off the diagonal (such as {example}); an elementwise: derivative cannot say "
                "that: use jacobian:, vjp: or backward:",
            ),
        )
    return Shown(naming)


def _cotangent_line(naming: Naming, failing: NDArray[np.intp]) -> str:
    """`cotangents whose product differs: 3 of 3 seeded random, 4 of 12 basis`."""
    random, basis = failing[: naming.random], failing[naming.random :]
    parts = []
    if random.size:
        parts.append(f"{int(np.count_nonzero(random))} of {random.size} seeded random")
    if basis.size:
        parts.append(f"{int(np.count_nonzero(basis))} of {basis.size} basis (one per entry of {naming.of})")
    return f"cotangents whose product differs: {', '.join(parts)}"
