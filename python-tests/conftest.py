"""Shared fixtures of the Python test suite.

The conformance cases are read in place from ``../shared/cases`` next to the
repository root (never copied); the project's own examples from ``examples/``.
"""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

import pytest

# A suite started in the background by a shell (`cmd &`, as CI runners and
# nohup jobs do) inherits SIGINT ignored, and Python then installs no
# KeyboardInterrupt handler: the Ctrl-C tests (which interrupt the main
# thread or raise SIGINT) need the handler an interactive Python has.
if signal.getsignal(signal.SIGINT) in (signal.SIG_IGN, signal.SIG_DFL):
    signal.signal(signal.SIGINT, signal.default_int_handler)

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


def iterations(n: int, forward_passes: int | None = None) -> dict:
    """``config_overrides`` ending training after ``n`` iterations (and
    sampling ``forward_passes`` scenarios per iteration when given)."""
    training: dict = {"stopping_rules": [{"type": "iteration_limit", "limit": n}]}
    if forward_passes is not None:
        training["selection"] = {"method": "sampled", "forward_passes": forward_passes}
    return {"training": training}


def scenarios(n: int) -> dict:
    """``config_overrides`` simulating ``n`` sampled scenarios."""
    return {"simulation": {"selection": {"method": "sampled", "num_scenarios": n}}}
