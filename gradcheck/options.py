"""The choices and bounds every layer shares: modes, schemes, dtypes, orders, size limits (stdlib only)."""

from __future__ import annotations

#: How a check compares: the full Jacobian, seeded random projections, or chosen by size.
MODES = ("auto", "full", "directional")
#: The finite-difference schemes: central differences (second order), the five-point stencil
#: (fourth order), the complex step, and Richardson extrapolation of central differences.
SCHEMES = ("central", "central4", "complex", "richardson")
#: How a batch's per-sample losses combine.
REDUCTIONS = ("mean", "sum")
#: The floating types of a case's arrays.
DTYPES = ("float64", "float32")
#: The memory order of the points a vectorized f is handed: each point C-contiguous, or
#: Fortran-contiguous (faster for an f whose long axis is the first, like x @ W with few columns).
ORDERS = ("C", "F")
#: Arrays larger than this many elements are refused before they are allocated (gradcheck_max_elements).
MAX_ELEMENTS = 10_000_000
#: A case file makes at most this many test items (cases times checks, and names in wrt lists).
MAX_ITEMS = 10_000
#: The most outputs a function case checks together (`outputs:`).
MAX_OUTPUTS = 16
#: The most threads a check may use (workers:).
MAX_WORKERS = 64
#: Which files under gradcheck_cases / --gradcheck-cases are case files, by name.
DEFAULT_PATTERNS = ("*.yaml", "*.yml")
#: A second look's counts, as a verdict's figures and the JSON report name them: the entries that
#: failed the first comparison, were looked at again, were confirmed wrong.
LOOK_FIGURES = ("failed_first", "looked_again", "confirmed")
