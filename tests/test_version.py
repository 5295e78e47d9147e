"""The version is written once, in gradcheck/__init__.py: the installed metadata and the changelog agree with it."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import pytest

import gradcheck

ROOT = Path(__file__).resolve().parent.parent


def test_the_installed_metadata_has_the_packages_version() -> None:
    assert version("gradcheck") == gradcheck.__version__


def test_pyproject_reads_the_version_from_the_package() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "gradcheck.__version__"}


def test_the_changelogs_newest_release_is_this_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    released = re.findall(r"^## \[(\d[^\]]*)\]", changelog, flags=re.MULTILINE)
    assert released, "CHANGELOG.md names no released version"
    assert released[0] == gradcheck.__version__, f"CHANGELOG.md's newest release is {released[0]}"
