"""What a path is, in words, for the one-line errors about case files, case folders and output
files: a broken link, a loop, a pipe or device, a file that cannot be read (stdlib only)."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def kind(mode: int) -> str:
    """`a regular file`, `a directory`, `a named pipe`, ...: what a stat mode says a path is."""
    if stat.S_ISREG(mode):
        return "a regular file"
    return next((name for test, name in _KINDS if test(mode)), "of an unknown kind")


def unreachable(path: Path, error: OSError) -> tuple[str, str]:
    """Why `path` cannot be reached (stat or opened), and what to do, for `{path} {why}; {fix}`."""
    if path.is_symlink():
        target = os.readlink(path)
        if error.errno == errno.ELOOP:
            return f"is a symbolic link loop (to {target})", "fix or remove the link"
        if error.errno == errno.ENOENT:
            return f"is a symbolic link to {target}, which does not exist", "fix or remove the link"
    if error.errno == errno.ELOOP:
        return "lies under a symbolic link loop", "fix the link"
    if error.errno == errno.ENOENT:
        return "does not exist", "check the path"
    if error.errno == errno.ENOTDIR:
        return "lies under a file, not a folder", "check the path"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "cannot be read: permission denied", "make it readable"
    return f"cannot be read: {error.strerror or error}", "check the path"
