"""gradcheck_timeout, enforced as pytest-timeout's signal method does it: SIGALRM, armed with
setitimer on the main thread, raises TimedOut in whatever Python code runs when the time is up
(time.sleep and waits included; a long call into C code ends when it returns to Python). The
previous handler and timer are back afterwards. Where there is no SIGALRM (Windows), or the item
does not run on the main thread, there is no limit (said once, at configure, for Windows)."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType

import pytest

from ..errors import TimedOut

#: The smallest timer setitimer is given when the previous timer, restored, is due already.
DUE = 1e-6


def available() -> bool:
    """Whether a limit can be enforced here: SIGALRM exists and this is the main thread."""
    return hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()


def warn_unavailable(config: pytest.Config, seconds: float | None) -> None:
    """Say once that gradcheck_timeout is not enforced on a platform without SIGALRM."""
    if seconds and not hasattr(signal, "SIGALRM"):
        message = "gradcheck_timeout is not enforced on this platform, which has no SIGALRM; items run without a limit"
        config.issue_config_time_warning(pytest.PytestConfigWarning(message), stacklevel=2)


@contextlib.contextmanager
def limited(seconds: float | None) -> Iterator[None]:
    """The body, stopped with TimedOut after `seconds` (None: no limit)."""
    if not seconds or not available():
        yield
        return

    def expired(signum: int, frame: FrameType | None) -> None:
        raise TimedOut(seconds)

    previous = signal.signal(signal.SIGALRM, expired)
    started = time.monotonic()
    left, interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)
        if left:  # a timer was running (pytest-timeout's, say): less the time taken, due now if past
            signal.setitimer(signal.ITIMER_REAL, max(left - (time.monotonic() - started), DUE), interval)
