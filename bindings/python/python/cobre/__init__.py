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

``train(..., progress=True)`` and ``simulate(..., progress=True)`` draw a
progress bar (tqdm when installed, log lines otherwise);
:meth:`TrainingResult.plot` and :meth:`SimulationResult.plot` return
matplotlib figures (:mod:`cobre.plotting`).

Only NumPy is needed at run time; pyarrow (``pip install cobre[arrow]``),
matplotlib (``pip install cobre[plot]``), tqdm, pandas and polars are used on
demand.
"""

from __future__ import annotations

import logging as _logging

from collections.abc import Callable, Mapping
from typing import Any

from cobre import _cobre as _native
from cobre import _progress, errors, plotting
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
    validate,
)
from cobre.errors import CobreError, IOError, SolverError, ValidationError, WorkerError  # noqa: A004



def train(
    case: Case,
    config_overrides: Mapping[str, Any] | None = None,
    progress_callback: Callable[[Any], Any] | None = None,
    *,
    progress: bool = False,
    **kwargs: Any,
) -> TrainingResult:
    """Trains an SDDP policy for ``case`` (see :func:`cobre._cobre.train` for
    ``config_overrides``, ``progress_callback`` and interruption).

    ``progress=True`` draws a progress bar of the iterations with the bounds
    of the last one (tqdm when installed, else log lines on the
    ``"cobre.progress"`` logger, or standard error when logging is not
    configured); ``progress_callback`` is still called.
    """
    callback = progress_callback
    if progress and (progress_callback is None or callable(progress_callback)):
        bar = _progress.Progress(
            "training", _progress.iteration_limit(case.config, config_overrides), "it"
        )
        try:
            return _native.train(
                case,
                config_overrides=config_overrides,
                progress_callback=bar.training_callback(callback),
                **kwargs,
            )
        finally:
            bar.close()
    return _native.train(
        case, config_overrides=config_overrides, progress_callback=callback, **kwargs
    )


def simulate(
    case: Case,
    policy: Policy,
    config_overrides: Mapping[str, Any] | None = None,
    progress_callback: Callable[[Any], Any] | None = None,
    output_dir: Any = None,
    *,
    progress: bool = False,
    **kwargs: Any,
) -> SimulationResult:
    """Simulates ``policy`` on the scenarios of ``case`` (see
    :func:`cobre._cobre.simulate` for the other arguments).

    ``progress=True`` draws a progress bar of the scenarios (tqdm when
    installed, else log lines); ``progress_callback`` is still called.
    """
    callback = progress_callback
    if progress and (progress_callback is None or callable(progress_callback)):
        bar = _progress.Progress("simulation", None, "scenarios")
        try:
            return _native.simulate(
                case,
                policy,
                config_overrides=config_overrides,
                progress_callback=bar.simulation_callback(callback),
                output_dir=output_dir,
                **kwargs,
            )
        finally:
            bar.close()
    return _native.simulate(
        case,
        policy,
        config_overrides=config_overrides,
        progress_callback=callback,
        output_dir=output_dir,
        **kwargs,
    )


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
    "plotting",
    "get_threads",
    "load_case",
    "run_study",
    "sample_noise",
    "set_threads",
    "simulate",
    "train",
    "validate",
]
