"""Cobre: stochastic dual dynamic programming (SDDP) for hydrothermal dispatch.

The solver is written in Rust; this package is a thin layer over it:

* :func:`load_case` / :class:`CaseLoader` read a case folder into a
  :class:`Case`; :func:`validate` reports every problem of a case at once.
* :func:`train` builds a :class:`Policy` (returns a :class:`TrainingResult`);
  :func:`simulate` evaluates a policy on sampled scenarios
  (:class:`SimulationResult`).
* :class:`Policy` gives its cuts as NumPy arrays that view Rust memory and
  evaluates the future cost at states; :class:`PARModel`,
  :class:`OpeningTree` and :func:`sample_noise` expose the stochastic model.
* :func:`run_study` runs a whole study as the command line does (outputs,
  policy, manifest).
* Tables (convergence history, simulation results) cross into pyarrow,
  pandas or polars through the Arrow C data interface without copying.

Every long call releases the GIL; Ctrl-C during :func:`train` stops at the
next iteration and raises ``KeyboardInterrupt`` carrying the policy trained so
far (``exc.partial_result``). Errors are :class:`CobreError` subclasses (see
:mod:`cobre.errors`). Log records of the solver go to the ``"cobre"`` logger
of :mod:`logging`.

Only NumPy is needed at run time; pyarrow (``pip install cobre[arrow]``),
pandas and polars are used on demand.
"""

from __future__ import annotations

import logging as _logging

from cobre import errors
from cobre._cobre import (
    ArrowTable,
    Bus,
    Case,
    CaseLoader,
    Finding,
    Hydro,
    Line,
    NonControllableSource,
    OpeningTree,
    PARModel,
    Policy,
    SimulationResult,
    Stage,
    Thermal,
    TrainingResult,
    ValidationResult,
    __version__,
    flush_logs,
    get_threads,
    load_case,
    run_study,
    sample_noise,
    set_threads,
    simulate,
    train,
    validate,
)
from cobre.errors import CobreError, IOError, SolverError, ValidationError, WorkerError  # noqa: A004

# A library does not configure logging: records go wherever the application
# sends the "cobre" logger (nothing is printed unless it is configured).
_logging.getLogger("cobre").addHandler(_logging.NullHandler())

__all__ = [
    "ArrowTable",
    "Bus",
    "Case",
    "CaseLoader",
    "CobreError",
    "Finding",
    "Hydro",
    "IOError",
    "Line",
    "NonControllableSource",
    "OpeningTree",
    "PARModel",
    "Policy",
    "SimulationResult",
    "SolverError",
    "Stage",
    "Thermal",
    "TrainingResult",
    "ValidationError",
    "ValidationResult",
    "WorkerError",
    "__version__",
    "errors",
    "flush_logs",
    "get_threads",
    "load_case",
    "run_study",
    "sample_noise",
    "set_threads",
    "simulate",
    "train",
    "validate",
]
