"""Type stubs of the `cobre` package (the native module `cobre._cobre`)."""

from __future__ import annotations

import datetime
import os
import pathlib
import types
from dataclasses import dataclass
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypedDict, final

import numpy as np
import numpy.typing as npt

from matplotlib.figure import Figure

from cobre import errors as errors
from cobre import plotting as plotting
from cobre.errors import CobreError as CobreError
from cobre.errors import IOError as IOError  # noqa: A004
from cobre.errors import SolverError as SolverError
from cobre.errors import ValidationError as ValidationError
from cobre.errors import WorkerError as WorkerError

__version__: str
lp_solver: str
"""The LP solver the extension links, e.g. ``"HiGHS 1.15.0 (patched)"``
("patched": HiGHS built with the project's ``scripts/highs.patch``, which
spends less time per solve; "unpatched" otherwise; results are the same)."""

_Path = str | os.PathLike[str]
_F64 = npt.NDArray[np.float64]

@final
class ArrowTable:
    """An immutable Arrow table owned by Rust, readable without a copy through
    the Arrow PyCapsule protocol (``pyarrow.table(t)``, ``polars.DataFrame(t)``)."""

    @property
    def num_rows(self) -> int: ...
    @property
    def num_batches(self) -> int: ...
    @property
    def column_names(self) -> list[str]: ...
    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...
    def to_pyarrow(self) -> Any:
        """The table as a ``pyarrow.Table`` (zero-copy; needs pyarrow)."""
    def to_pandas(self) -> Any:
        """The table as a ``pandas.DataFrame`` (through pyarrow)."""
    def to_polars(self) -> Any:
        """The table as a ``polars.DataFrame`` (zero-copy; needs polars)."""
    def to_numpy(self, columns: list[str] | None = None) -> dict[str, Any]:
        """Columns as NumPy arrays (copied; text columns as ``list[str | None]``);
        ``columns`` picks and orders them. ``KeyError`` for an unknown name."""
    def __len__(self) -> int: ...

@final
class Hydro:
    """A hydro plant and its reservoir."""

    id: int
    name: str
    bus_id: int | None
    downstream_id: int | None
    min_storage_hm3: float
    max_storage_hm3: float
    min_turbined_m3s: float
    max_turbined_m3s: float
    min_outflow_m3s: float
    max_outflow_m3s: float | None
    min_generation_mw: float
    max_generation_mw: float
    generation_model: str
    def to_dict(self) -> dict[str, Any]: ...

@final
class Thermal:
    """A thermal plant."""

    id: int
    name: str
    bus_id: int
    min_generation_mw: float
    max_generation_mw: float
    cost_per_mwh: float
    def to_dict(self) -> dict[str, Any]: ...

@final
class Bus:
    """An electrical bus."""

    id: int
    name: str
    deficit_segments: list[tuple[float | None, float]]
    excess_cost_per_mwh: float
    def to_dict(self) -> dict[str, Any]: ...

@final
class Line:
    """A transmission line."""

    id: int
    name: str
    source_bus_id: int
    target_bus_id: int
    direct_capacity_mw: float
    reverse_capacity_mw: float
    losses_percent: float
    exchange_cost_per_mwh: float
    def to_dict(self) -> dict[str, Any]: ...

@final
class NonControllableSource:
    """A non-controllable source (wind, solar, ...)."""

    id: int
    name: str
    bus_id: int
    max_generation_mw: float
    allow_curtailment: bool
    curtailment_cost_per_mwh: float
    def to_dict(self) -> dict[str, Any]: ...

@final
class Stage:
    """A study stage."""

    index: int
    id: int
    start_date: datetime.date
    end_date: datetime.date
    season_id: int | None
    num_openings: int
    blocks: list[tuple[int, str, float]]
    total_hours: float
    def to_dict(self) -> dict[str, Any]: ...

@final
class Finding:
    """One validation finding: severity, kind, layer, message, context, suggestion."""

    severity: Literal["error", "warning"]
    kind: str
    layer: str
    message: str
    suggestion: str | None
    @property
    def context(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class ValidationResult:
    """Every finding of every validation layer (truthy when valid)."""

    valid: bool
    errors: list[Finding]
    warnings: list[Finding]
    layers_completed: list[str]
    @property
    def findings(self) -> list[Finding]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __bool__(self) -> bool: ...

@final
class PARModel:
    """The PAR(p) inflow model per study stage; arrays are read-only views of Rust memory."""

    order: int
    n_entities: int
    n_seasons: int
    hydro_ids: list[int]
    stage_ids: list[int]
    @property
    def seasonal_means(self) -> _F64: ...
    @property
    def seasonal_stds(self) -> _F64: ...
    @property
    def ar_coefficients(self) -> _F64: ...
    @property
    def intercepts(self) -> _F64: ...
    @property
    def noise_std(self) -> _F64: ...
    @property
    def correlation_matrix(self) -> _F64: ...

@final
class OpeningTree:
    """The backward-pass openings, ``data`` of shape (stages, openings, entities), zero-copy."""

    shape: tuple[int, int, int]
    openings: list[int]
    stage_ids: list[int]
    seed: int
    @property
    def data(self) -> _F64: ...
    @property
    def noise_layout(self) -> dict[str, tuple[int, int]]: ...
    def opening(self, stage: int, k: int) -> _F64: ...

@final
class Case:
    """A loaded, validated case (read-only)."""

    @property
    def path(self) -> pathlib.Path: ...
    @property
    def config(self) -> types.MappingProxyType[str, Any]:
        """The study settings after defaults, in Cobre's own layout rather
        than ``config.json``'s (``training.forward_passes``, not
        ``training.selection.forward_passes``): for reading, not for passing
        back as ``config_overrides``."""
    @property
    def stages(self) -> list[Stage]: ...
    @property
    def hydros(self) -> list[Hydro]: ...
    @property
    def thermals(self) -> list[Thermal]: ...
    @property
    def buses(self) -> list[Bus]: ...
    @property
    def lines(self) -> list[Line]: ...
    @property
    def non_controllable_sources(self) -> list[NonControllableSource]: ...
    @property
    def n_stages(self) -> int: ...
    @property
    def topology(self) -> dict[str, Any]: ...
    @property
    def par_model(self) -> PARModel: ...
    @property
    def opening_tree(self) -> OpeningTree: ...

@final
class CaseLoader:
    """Loads cases: ``CaseLoader.load(path)``."""

    @staticmethod
    def load(path: _Path) -> Case: ...

class _CutArrays(TypedDict):
    intercepts: _F64
    coefficients: _F64
    active: npt.NDArray[np.bool_]
    iteration: npt.NDArray[np.uint64]
    scenario: npt.NDArray[np.uint32]

@final
class Policy:
    """A trained policy: cuts per stage, evaluation of the future cost."""

    @staticmethod
    def load(path: _Path, case: Case | None = None) -> Policy:
        """Reads a policy directory (checked against ``case`` when given)."""
    def save(self, path: _Path, case: Case | None = None) -> None:
        """Writes the policy directory (atomically)."""
    @property
    def n_stages(self) -> int: ...
    @property
    def n_state(self) -> int: ...
    @property
    def state_variables(self) -> list[str]: ...
    @property
    def num_cuts(self) -> int: ...
    @property
    def iterations(self) -> int: ...
    def summary(self) -> dict[str, Any]: ...
    def cuts(self, stage: int) -> _CutArrays: ...
    def evaluate(self, state: npt.ArrayLike, stage: int = 0) -> float: ...
    def evaluate_batch(self, states: npt.ArrayLike, stage: int = 0) -> _F64: ...

_UpperBoundKind = Literal["statistical", "single_sample", "exact"]
_LowerBoundPosition = Literal["below", "inside", "above"]

@final
class ProgressEvent:
    """A progress event of training (one per iteration) or simulation (one
    per scenario); the other phase's fields are ``None``."""

    phase: Literal["training", "simulation"]
    iteration: int | None
    lower_bound: float | None
    upper_bound: float | None
    upper_bound_std: float | None
    ci_95: float | None
    upper_bound_kind: _UpperBoundKind | None
    lower_bound_position: _LowerBoundPosition | None
    bound_note: str | None
    gap: float | None
    wall_time_ms: float
    iteration_time_ms: float | None
    scenarios_complete: int | None
    scenarios_total: int | None
    worker_id: int | None
    def __init__(
        self,
        phase: Literal["training", "simulation"],
        *,
        iteration: int | None = None,
        lower_bound: float | None = None,
        upper_bound: float | None = None,
        upper_bound_std: float | None = None,
        ci_95: float | None = None,
        upper_bound_kind: _UpperBoundKind | None = None,
        lower_bound_position: _LowerBoundPosition | None = None,
        bound_note: str | None = None,
        gap: float | None = None,
        wall_time_ms: float = 0.0,
        iteration_time_ms: float | None = None,
        scenarios_complete: int | None = None,
        scenarios_total: int | None = None,
        worker_id: int | None = None,
    ) -> None: ...
    def to_dict(self) -> dict[str, Any]: ...

_ProgressCallback = Callable[[ProgressEvent], bool | None]

@dataclass(frozen=True)
class WorkerInfo:
    """One worker process of a multi-process run."""

    rank: int
    wall_time_ms: float
    backend: str

@final
class TrainingResult:
    """What ``train`` returns."""

    policy: Policy
    iterations: int
    final_lower_bound: float
    final_upper_bound: float
    final_ci_95: float
    upper_bound_kind: _UpperBoundKind
    lower_bound_position: _LowerBoundPosition | None
    final_gap: float | None
    bound_note: str
    termination_reason: str
    total_cuts: int
    wall_time_ms: float
    lp_solves: int
    workers: list[WorkerInfo] | None
    @property
    def convergence_history(self) -> Any:
        """A ``pyarrow.Table``, one row per iteration (needs pyarrow)."""
    @property
    def convergence_arrow(self) -> ArrowTable: ...
    def plot(self, *, figsize: tuple[float, float] = ...) -> Figure:
        """Bounds per iteration (with the 95 % interval band of a statistical
        upper bound), time and LP solves per iteration; needs matplotlib
        (``pip install cobre[plot]``)."""

@final
class SimulationResult:
    """What ``simulate`` returns."""

    scenarios: int
    mean_cost: float
    std_cost: float
    wall_time_ms: float
    interrupted: bool
    output_directory: pathlib.Path | None
    output_files: list[pathlib.Path]
    in_memory: bool
    @property
    def tables(self) -> dict[str, ArrowTable]: ...
    @property
    def costs(self) -> Any: ...
    @property
    def hydros(self) -> Any: ...
    @property
    def thermals(self) -> Any: ...
    @property
    def buses(self) -> Any: ...
    @property
    def lines(self) -> Any: ...
    def plot(
        self,
        kind: Literal["cost", "storage", "generation", "deficit"] = "cost",
        *,
        hydros: Sequence[int] | None = None,
        max_hydros: int = 4,
        case: Case | None = None,
        figsize: tuple[float, float] | None = None,
    ) -> Figure:
        """Histogram of the total cost, storage percentile fans, generation by
        source or deficit per bus; needs matplotlib (``pip install cobre[plot]``)."""
    @property
    def pumping_stations(self) -> Any: ...
    @property
    def hydro_bus_generation(self) -> Any: ...

_Backend = Literal["auto", "local", "shm", "tcp"]

def load_case(path: _Path, config_overrides: Mapping[str, Any] | None = None) -> Case: ...
def validate(path: _Path) -> ValidationResult: ...
def train(
    case: Case | _Path,
    config_overrides: Mapping[str, Any] | None = None,
    progress_callback: _ProgressCallback | None = None,
    *,
    threads: int | None = None,
    num_workers: int = 1,
    backend: _Backend = "auto",
    progress: bool = False,
) -> TrainingResult: ...
def simulate(
    case: Case | _Path,
    policy: Policy,
    config_overrides: Mapping[str, Any] | None = None,
    progress_callback: _ProgressCallback | None = None,
    output_dir: _Path | None = None,
    *,
    threads: int | None = None,
    in_memory: bool | None = None,
    scenarios_per_partition: int = 100,
    num_workers: int = 1,
    backend: _Backend = "auto",
    progress: bool = False,
) -> SimulationResult: ...
def run_study(
    case: Case | _Path,
    output_dir: _Path,
    threads: int | None = None,
    num_scenarios: int | None = None,
    scenarios_per_partition: int = 100,
    config_overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]: ...
def sample_noise(n: int, correlation: npt.ArrayLike | int, seed: int = 0) -> _F64: ...
def set_threads(n: int) -> int: ...
def get_threads() -> int: ...
def flush_logs() -> None: ...
