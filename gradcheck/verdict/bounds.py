"""How large a check may be: the mode "auto" resolves to by size, and the checks refused before
any Jacobian is held (gradcheck_max_elements) or estimated entry by entry beyond reason."""

from __future__ import annotations

import math

from ..errors import ArgumentError

#: Mode "auto" checks the full Jacobian when x has at most AUTO_FULL_INPUTS entries and the
#: Jacobian at most AUTO_FULL_ENTRIES, else directionally.
AUTO_FULL_INPUTS = 20_000
AUTO_FULL_ENTRIES = 10_000_000
#: Mode "full" estimates x's entries one by one (two evaluations of f each): at most this many.
FULL_MAX_INPUTS = 100_000


def resolved_mode(
    mode: str, out_shape: tuple[int, ...], x_shape: tuple[int, ...], names: tuple[str, str], max_elements: int
) -> str:
    """`mode` with "auto" resolved by size; ArgumentError (naming `mode` where it is the fix) for a
    check whose Jacobian f(x).shape + x.shape would hold more than `max_elements` entries, in any
    mode (the analytic one is held whole), or a full check of an x of more than FULL_MAX_INPUTS."""
    of, wrt = names
    entries, inputs = math.prod(out_shape + x_shape), math.prod(x_shape)
    if entries > max_elements:
        raise ArgumentError(
            f"d{of}/d{wrt} would be a Jacobian of {entries} entries ({of} {out_shape} by {wrt} {x_shape}), over the "
            f"limit of {max_elements} (gradcheck_max_elements); check a scalar function of {of} (a loss), or its "
            "vjp or backward, which is checked through random cotangents",
            "size",
        )
    if mode == "auto":
        return "full" if inputs <= AUTO_FULL_INPUTS and entries <= AUTO_FULL_ENTRIES else "directional"
    if mode == "full" and inputs > FULL_MAX_INPUTS:
        raise ArgumentError(
            f"mode: full estimates each of {wrt}'s {inputs} entries ({2 * inputs} evaluations of f), over the "
            f"limit of {FULL_MAX_INPUTS} for full mode; use auto or directional, which check {wrt} through "
            "seeded random projections",
            "mode",
        )
    return mode
