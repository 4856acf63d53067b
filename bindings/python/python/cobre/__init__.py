"""Cobre: stochastic dual dynamic programming (SDDP) for hydrothermal dispatch.

The solver is written in Rust; this package is a thin layer over it:

* :func:`load_case` / :class:`CaseLoader` read a case folder into a
  :class:`Case`; :func:`validate` reports every problem of a case at once.
* :func:`train` builds a :class:`Policy` (returns a :class:`TrainingResult`);
  :func:`simulate` evaluates a policy on sampled scenarios
  (:class:`SimulationResult`). Both take ``config_overrides`` (keys of
  ``config.json``, validated with it), report progress as
  :class:`ProgressEvent` objects, and run in this process or on
  ``num_workers`` worker processes (``backend="shm"`` or ``"tcp"``) with
  bit-identical results.
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
import os as _os
from typing import Any as _Any, Callable as _Callable

from cobre import _cobre, _progress, _workers, errors, plotting
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
    ProgressEvent,
    SimulationResult,
    Stage,
    Thermal,
    TrainingResult,
    ValidationResult,
    __version__,
    flush_logs,
    get_threads,
    load_case,
    lp_solver,
    run_study,
    sample_noise,
    set_threads,
    validate,
)
from cobre._workers import WorkerInfo
from cobre.errors import CobreError, IOError, SolverError, ValidationError, WorkerError  # noqa: A004

def train(
    case: _Any,
    config_overrides: dict[str, _Any] | None = None,
    progress_callback: _Callable[[ProgressEvent], _Any] | None = None,
    *,
    threads: int | None = None,
    num_workers: int = 1,
    backend: str = "auto",
    progress: bool = False,
) -> TrainingResult:
    """Trains an SDDP policy for ``case`` (a :class:`Case` or a case folder).

    ``config_overrides`` holds keys of ``config.json``, deep-merged into it
    and validated with it (``{"training": {"stopping_rules": [{"type":
    "iteration_limit", "limit": 7}]}}``); an unknown key raises
    :class:`ValidationError` naming its path. ``threads`` are the worker
    threads of each process (default :func:`get_threads`; with
    ``num_workers`` processes, the machine's cores divided among them).
    ``progress_callback(event)`` gets a :class:`ProgressEvent` per
    iteration; returning ``True`` (or raising ``StopIteration``) stops after
    that iteration. ``progress=True`` also draws a progress bar of the
    iterations with the bounds of the last one (tqdm when installed, else
    log lines on the ``"cobre.progress"`` logger, or standard error when
    logging is not configured).

    ``num_workers > 1`` trains on that many worker processes (started with
    ``multiprocessing`` spawn) that exchange cuts over ``backend``:
    ``"shm"`` (POSIX shared memory, one host), ``"tcp"`` (sockets; the
    coordinator from ``COBRE_TCP_COORDINATOR``/``COBRE_TCP_PORT`` or a free
    local port) or ``"auto"`` (``"tcp"`` when ``COBRE_TCP_COORDINATOR`` is
    set, else ``"shm"``); ``"local"`` runs in this process. Results are
    bit-identical to one process. A failed or killed worker raises
    :class:`WorkerError` (``rank``, ``exit_code``, ``inner``) after the
    others are ended; Ctrl-C stops at the next iteration and raises
    ``KeyboardInterrupt`` with ``exc.partial_result``.
    """
    chosen = _workers.resolve_backend(backend, num_workers)
    bar = None
    if progress:
        config = case.config if isinstance(case, Case) else _read_config(case)
        bar = _progress.Progress(
            "training", _progress.iteration_limit(config, config_overrides), "it"
        )
        progress_callback = bar.training_callback(progress_callback)
    try:
        if chosen == "local":
            return _cobre.train(case, config_overrides, progress_callback, threads=threads)
        return _workers.train(case, config_overrides, progress_callback, threads,
                              num_workers, chosen)
    finally:
        if bar is not None:
            bar.close()


def simulate(
    case: _Any,
    policy: Policy,
    config_overrides: dict[str, _Any] | None = None,
    progress_callback: _Callable[[ProgressEvent], _Any] | None = None,
    output_dir: str | _os.PathLike[str] | None = None,
    *,
    threads: int | None = None,
    in_memory: bool | None = None,
    scenarios_per_partition: int = 100,
    num_workers: int = 1,
    backend: str = "auto",
    progress: bool = False,
) -> SimulationResult:
    """Simulates ``policy`` on the scenarios of ``case``.

    With ``output_dir`` the results stream to Hive-partitioned Parquet
    under ``output_dir/simulation/`` with bounded memory (the tables are
    read back from there when asked for); ``in_memory=True`` also keeps them
    in memory (the default without ``output_dir``). ``num_workers``/
    ``backend`` as in :func:`train`: each worker simulates whole partitions
    of ``scenarios_per_partition`` scenarios; the mean cost is the same as
    in one process. Progress events carry ``worker_id`` then.
    ``progress=True`` draws a progress bar of the scenarios (tqdm when
    installed, else log lines); ``progress_callback`` is still called.
    """
    chosen = _workers.resolve_backend(backend, num_workers)
    bar = None
    if progress:
        bar = _progress.Progress("simulation", None, "scenarios")
        progress_callback = bar.simulation_callback(progress_callback)
    try:
        if chosen == "local":
            return _cobre.simulate(case, policy, config_overrides, progress_callback, output_dir,
                                   threads=threads, in_memory=in_memory,
                                   scenarios_per_partition=scenarios_per_partition)
        return _workers.simulate(case, policy, config_overrides, progress_callback, output_dir,
                                 threads, in_memory, scenarios_per_partition, num_workers, chosen)
    finally:
        if bar is not None:
            bar.close()


def _read_config(case: _Any) -> dict[str, _Any]:
    """The ``config.json`` of a case folder, or ``{}`` when it cannot be read
    (the run itself then reports why)."""
    import json

    try:
        with open(_os.path.join(_os.fspath(case), "config.json"), encoding="utf-8") as f:
            config = json.load(f)
    except (OSError, ValueError, TypeError):
        return {}
    return config if isinstance(config, dict) else {}


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
    "ProgressEvent",
    "SimulationResult",
    "SolverError",
    "Stage",
    "Thermal",
    "TrainingResult",
    "ValidationError",
    "ValidationResult",
    "WorkerError",
    "WorkerInfo",
    "__version__",
    "errors",
    "flush_logs",
    "plotting",
    "get_threads",
    "load_case",
    "lp_solver",
    "run_study",
    "sample_noise",
    "set_threads",
    "simulate",
    "train",
    "validate",
]
