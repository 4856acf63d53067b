"""Shared fixtures of the Python test suite.

The conformance cases are read in place from ``../shared/cases`` next to the
repository root (never copied); the project's own examples from ``examples/``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_CASES = REPO.parent / "shared" / "cases"
EXAMPLES = REPO / "examples"

ALL_SHARED_CASES = sorted(p.name for p in SHARED_CASES.iterdir() if p.is_dir())


def shared_case(name: str) -> Path:
    """Path of a shared conformance case."""
    return SHARED_CASES / name


def example(name: str) -> Path:
    """Path of one of the project's example cases."""
    return EXAMPLES / name


@pytest.fixture
def tiny_copy(tmp_path: Path) -> Path:
    """A scratch copy of examples/tiny that a test may break."""
    dst = tmp_path / "tiny"
    shutil.copytree(EXAMPLES / "tiny", dst)
    return dst
