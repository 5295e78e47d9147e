"""The types the numerics pass around: a float64 array, and a function of a point."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]
Function = Callable[[NDArray[Any]], ArrayLike]  # x: real, or complex for the complex step
