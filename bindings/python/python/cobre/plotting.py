"""Matplotlib figures of training and simulation results.

:meth:`cobre.TrainingResult.plot` and :meth:`cobre.SimulationResult.plot`
call :func:`plot_training` and :func:`plot_simulation`; both return a
``matplotlib.figure.Figure`` (nothing is shown: call ``fig.savefig(...)`` or
``matplotlib.pyplot.show()``). Matplotlib is an optional dependency:
``pip install cobre[plot]``.

The words match the command line's and ``cobre report --html``'s: an upper
bound is labelled with its kind (a statistical estimate with its 95 %
interval, one forward pass that is an estimate and not a bound, or an exact
bound).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from cobre._cobre import Case, SimulationResult, TrainingResult

__all__ = ["FAN_PERCENTILES", "SIMULATION_KINDS", "plot_simulation", "plot_training"]

#: The percentiles of the storage fans and of the cost histogram.
FAN_PERCENTILES = (5, 25, 50, 75, 95)
#: The kinds :func:`plot_simulation` draws.
SIMULATION_KINDS = ("cost", "storage", "generation", "deficit")

_UPPER_LABELS = {
    "statistical": "upper bound (statistical estimate)",
    "single_sample": "upper bound estimate (one forward pass, not a bound)",
    "exact": "upper bound (exact)",
}
_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def _figure(
    nrows: int = 1,
    ncols: int = 1,
    *,
    figsize: tuple[float, float],
    height_ratios: Sequence[float] | None = None,
) -> tuple[Figure, Any]:
    """A new figure (constrained layout) and its axes grid, without touching
    pyplot's global state."""
    try:
        from matplotlib.figure import Figure
    except ImportError as e:  # pragma: no cover - exercised with matplotlib hidden
        raise ImportError(
            "plotting needs matplotlib, an optional dependency of cobre: "
            "install it with `pip install cobre[plot]` (or `pip install matplotlib`)"
        ) from e
    fig = Figure(figsize=figsize, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, height_ratios=height_ratios)
    return fig, axes


def _si(value: float, _pos: object = None) -> str:
    """A short tick label: 1.5k, 60.9G."""
    a = abs(value)
    for scale, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


def _si_axis(axis: Any) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(_si))


def plot_training(result: TrainingResult, *, figsize: tuple[float, float] = (9.0, 7.0)) -> Figure:
    """Bounds per iteration (the upper bound's 95 % interval as a band when it
    is statistical) above time and LP solves per iteration."""
    cols = result.convergence_arrow.to_numpy(
        ["iteration", "lower_bound", "upper_bound", "ci_95", "upper_bound_kind",
         "iteration_time_ms", "lp_solves"]
    )
    it = cols["iteration"].astype(float)
    lb, ub, ci = cols["lower_bound"], cols["upper_bound"], cols["ci_95"]
    kinds = cols["upper_bound_kind"]
    kind = kinds[-1] if kinds else "statistical"
    fig, axes = _figure(2, 1, figsize=figsize, height_ratios=(2, 1))
    ax = axes[0][0]
    if kind == "statistical":
        ax.fill_between(it, ub - ci, ub + ci, color=_COLORS[1], alpha=0.22,
                        label="95 % interval of the upper bound")
    ax.plot(it, ub, color=_COLORS[1], lw=1 if kind == "single_sample" else 2,
            label=_UPPER_LABELS.get(kind, "upper bound"))
    ax.plot(it, lb, color=_COLORS[0], lw=2, label="lower bound")
    ax.set_title("Bounds per iteration")
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost ($)")
    _si_axis(ax.yaxis)
    ax.legend(loc="best")
    ax.grid(alpha=0.3)
    bottom = axes[1][0]
    bottom.bar(it, cols["iteration_time_ms"], color=_COLORS[2], alpha=0.85, label="wall time (ms)")
    bottom.set_xlabel("iteration")
    bottom.set_ylabel("wall time (ms)")
    bottom.set_title("Time and LP solves per iteration")
    twin = bottom.twinx()
    twin.plot(it, cols["lp_solves"], color=_COLORS[4], marker=".", label="LP solves")
    twin.set_ylabel("LP solves")
    _si_axis(twin.yaxis)
    handles = bottom.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    bottom.legend(handles, [h.get_label() for h in handles], loc="upper right")
    fig.suptitle(f"Training: {result.iterations} iteration(s), {result.termination_reason}")
    return fig


def _stage_positions(stage_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    stages = np.unique(stage_ids)
    return stages, np.searchsorted(stages, stage_ids)


def _block_weights(case: Case | None, stages: np.ndarray) -> dict[tuple[int, int], float]:
    """Block hours by (stage id, block index) from ``case``, when given."""
    if case is None:
        return {}
    out: dict[tuple[int, int], float] = {}
    for st in case.stages:
        for k, (_bid, _name, hours) in enumerate(st.blocks):
            out[(st.id, k)] = float(hours)
    return out


def _stage_mean(
    stage: np.ndarray,
    block: np.ndarray,
    value: np.ndarray,
    stages: np.ndarray,
    scenarios: int,
    weights: dict[tuple[int, int], float],
) -> np.ndarray:
    """Mean over scenarios of the hour-weighted block average, per stage."""
    pos = np.searchsorted(stages, stage)
    w = np.array([weights.get((int(s), int(b)), 1.0) for s, b in zip(stage, block)]) if weights \
        else np.ones(len(stage))
    num = np.bincount(pos, weights=w * value, minlength=len(stages))
    # Each (stage, block) appears once per scenario and entity; the hours
    # of a stage, counted once per block.
    keys = sorted({(int(s), int(b)) for s, b in zip(stage, block)})
    den = np.zeros(len(stages))
    for s, b in keys:
        den[np.searchsorted(stages, s)] += weights.get((s, b), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den / max(scenarios, 1), 0.0)


def _names(case: Case | None, attr: str) -> dict[int, str]:
    if case is None:
        return {}
    return {e.id: e.name for e in getattr(case, attr)}


def _cost(result: SimulationResult, figsize: tuple[float, float]) -> Figure:
    c = result.tables["costs"].to_numpy(["scenario_id", "immediate_cost", "discount_factor"])
    scen = c["scenario_id"].astype(np.int64)
    totals = np.bincount(scen, weights=c["immediate_cost"] * c["discount_factor"])
    totals = totals[np.unique(scen)]
    fig, axes = _figure(figsize=figsize)
    ax = axes[0][0]
    ax.hist(totals, bins=int(np.clip(np.ceil(np.sqrt(len(totals))), 5, 40)),
            color=_COLORS[0], alpha=0.6, label="scenarios per cost bin")
    pct = np.percentile(totals, FAN_PERCENTILES) if len(totals) else []
    for i, (p, v) in enumerate(zip(FAN_PERCENTILES, pct)):
        ax.axvline(v, color=_COLORS[3], lw=2 if p == 50 else 1,
                   label="percentiles P5 · P25 · P50 · P75 · P95" if i == 0 else None)
        ax.annotate(f"P{p}", (v, 1.0), xycoords=("data", "axes fraction"), ha="center",
                    va="bottom", color=_COLORS[3], fontsize=9)
    if len(totals):
        ax.axvline(float(np.mean(totals)), color="black", lw=2, label="mean")
    ax.set_title(f"Simulated total cost ({len(totals)} scenario(s))", pad=16)
    ax.set_xlabel("total discounted cost ($)")
    ax.set_ylabel("scenarios")
    _si_axis(ax.xaxis)
    ax.legend(loc="upper right")
    return fig


def _storage(
    result: SimulationResult,
    figsize: tuple[float, float] | None,
    hydros: Iterable[int] | None,
    max_hydros: int,
    case: Case | None,
) -> Figure:
    h = result.tables["hydros"].to_numpy(["stage_id", "block", "hydro_id", "storage_final_hm3"])
    first = h["block"] == 0
    stage, hid, store = h["stage_id"][first], h["hydro_id"][first], h["storage_final_hm3"][first]
    stages = np.unique(stage)
    sizes = {int(i): float(np.max(store[hid == i])) for i in np.unique(hid)}
    if case is not None:
        sizes.update({hy.id: hy.max_storage_hm3 for hy in case.hydros})
    if hydros is None:
        chosen = [i for i in sorted(sizes, key=lambda i: (-sizes[i], i)) if sizes[i] > 0][:max_hydros]
    else:
        chosen = [int(i) for i in hydros]
        unknown = [i for i in chosen if i not in sizes]
        if unknown:
            raise ValueError(f"no hydro with id {unknown} in the results (ids: {sorted(sizes)})")
    if not chosen:
        raise ValueError("no reservoir with storage in these results")
    names = _names(case, "hydros")
    ncols = min(2, len(chosen))
    nrows = -(-len(chosen) // ncols)
    fig, axes = _figure(nrows, ncols, figsize=figsize or (6.0 * ncols, 3.6 * nrows))
    x = np.arange(len(stages))
    for k, i in enumerate(chosen):
        ax = axes[k // ncols][k % ncols]
        sel = hid == i
        pos = np.searchsorted(stages, stage[sel])
        per_stage = [store[sel][pos == j] for j in range(len(stages))]
        p = np.array([np.percentile(v, FAN_PERCENTILES) if len(v) else [np.nan] * 5
                      for v in per_stage])
        ax.fill_between(x, p[:, 0], p[:, 4], color=_COLORS[0], alpha=0.18, label="P5–P95")
        ax.fill_between(x, p[:, 1], p[:, 3], color=_COLORS[0], alpha=0.38, label="P25–P75")
        ax.plot(x, p[:, 2], color=_COLORS[0], lw=2, label="median (P50)")
        label = f"{names[i]} (hydro {i})" if i in names else f"hydro {i}"
        ax.set_title(f"{label}: end-of-stage storage")
        ax.set_xlabel("stage")
        ax.set_ylabel("storage (hm3)")
        ax.set_xticks(x, [str(s) for s in stages])
        ax.legend(loc="lower left", fontsize=8)
    for k in range(len(chosen), nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    return fig


def _generation(
    result: SimulationResult, figsize: tuple[float, float], case: Case | None, by_bus: bool
) -> Figure:
    t = result.tables
    costs = t["costs"].to_numpy(["scenario_id", "stage_id"])
    scenarios = len(np.unique(costs["scenario_id"]))
    stages = np.unique(costs["stage_id"])
    weights = _block_weights(case, stages)
    x = np.arange(len(stages))
    buses = t["buses"].to_numpy(["stage_id", "block", "bus_id", "deficit_mw"])
    fig, axes = _figure(figsize=figsize)
    ax = axes[0][0]
    if by_bus:
        names = _names(case, "buses")
        for k, b in enumerate(np.unique(buses["bus_id"])):
            sel = buses["bus_id"] == b
            y = _stage_mean(buses["stage_id"][sel], buses["block"][sel], buses["deficit_mw"][sel],
                            stages, scenarios, weights)
            ax.plot(x, y, color=_COLORS[k % len(_COLORS)], lw=2, marker=".",
                    label=names.get(int(b), f"bus {b}"))
        ax.set_title("Deficit per bus (mean over scenarios)")
        ax.set_ylabel("mean deficit (MW)")
    else:
        hy = t["hydros"].to_numpy(["stage_id", "block", "generation_mw"])
        th = t["thermals"].to_numpy(["stage_id", "block", "generation_mw"])
        series = [
            ("hydro", _COLORS[0], hy["stage_id"], hy["block"], hy["generation_mw"]),
            ("thermal", _COLORS[1], th["stage_id"], th["block"], th["generation_mw"]),
            ("deficit", _COLORS[3], buses["stage_id"], buses["block"], buses["deficit_mw"]),
        ]
        bottom = np.zeros(len(stages))
        for name, colour, st, bl, v in series:
            y = _stage_mean(st, bl, v, stages, scenarios, weights) if len(v) else np.zeros(len(stages))
            ax.bar(x, y, bottom=bottom, color=colour, alpha=0.8, label=name)
            bottom = bottom + np.maximum(y, 0.0)
        ax.set_title("Generation by source and deficit (mean over scenarios)")
        ax.set_ylabel("mean power (MW)")
    ax.set_xlabel("stage")
    ax.set_xticks(x, [str(s) for s in stages])
    _si_axis(ax.yaxis)
    ax.legend(loc="upper right")
    return fig


def plot_simulation(
    result: SimulationResult,
    kind: str = "cost",
    *,
    hydros: Sequence[int] | None = None,
    max_hydros: int = 4,
    case: Case | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """A figure of ``result``: ``kind`` is one of :data:`SIMULATION_KINDS`.

    * ``"cost"`` — histogram of the total discounted cost per scenario, with
      the P5/P25/P50/P75/P95 percentiles and the mean;
    * ``"storage"`` — end-of-stage storage as percentile fans (P5–P95,
      P25–P75, median) for ``hydros`` (ids) or the ``max_hydros`` largest;
    * ``"generation"`` — mean hydro and thermal generation and deficit per
      stage, stacked;
    * ``"deficit"`` — mean deficit per bus per stage.

    With ``case`` (the :class:`cobre.Case` simulated), entities are named and
    blocks weighted by their hours; otherwise ids are shown and blocks count
    evenly.
    """
    if kind not in SIMULATION_KINDS:
        raise ValueError(f"unknown plot kind {kind!r}; choose one of {', '.join(SIMULATION_KINDS)}")
    if result.scenarios == 0:
        raise ValueError("no simulated scenario to plot")
    if kind == "cost":
        return _cost(result, figsize or (9.0, 4.5))
    if kind == "storage":
        return _storage(result, figsize, hydros, max_hydros, case)
    return _generation(result, figsize or (9.0, 4.5), case, by_bus=kind == "deficit")
