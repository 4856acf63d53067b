"""TrainingResult.plot() and SimulationResult.plot(kind=...): matplotlib
figures whose series, labels and axis titles say what they show."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import cobre
from conftest import example, shared_case

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


@pytest.fixture(scope="module")
def valley():
    """examples/valley: 3 reservoirs, 2 buses, 4 forward passes (a statistical bound)."""
    case = cobre.load_case(example("valley"))
    trained = cobre.train(case, {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": 6}]}})
    sim = cobre.simulate(case, trained.policy, {"simulation": {"selection": {"method": "sampled", "num_scenarios": 30}}})
    return case, trained, sim


def legend_texts(ax) -> list[str]:
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend else []


def test_training_plot_draws_both_bounds_and_the_interval_band(valley):
    _, trained, _ = valley
    fig = trained.plot()
    assert isinstance(fig, Figure)
    bounds, times = fig.axes[0], fig.axes[1]
    assert bounds.get_title() == "Bounds per iteration"
    assert bounds.get_xlabel() == "iteration" and bounds.get_ylabel() == "cost ($)"
    labels = legend_texts(bounds)
    assert "lower bound" in labels
    assert "upper bound (statistical estimate)" in labels
    assert "95 % interval of the upper bound" in labels
    lines = {line.get_label(): line for line in bounds.get_lines()}
    lb = lines["lower bound"].get_ydata()
    assert len(lb) == trained.iterations
    assert lb[-1] == pytest.approx(trained.final_lower_bound)
    ub = lines["upper bound (statistical estimate)"].get_ydata()
    assert ub[-1] == pytest.approx(trained.final_upper_bound)
    assert any(isinstance(c, PolyCollection) for c in bounds.collections), "no interval band"
    assert times.get_ylabel() == "wall time (ms)"
    assert len(times.patches) == trained.iterations
    fig.savefig(__import__("io").BytesIO(), format="png")  # renders with Agg


def test_training_plot_says_one_forward_pass_is_not_a_bound():
    # 1dtoy: 10 openings per stage, one forward pass per iteration.
    trained = cobre.train(cobre.load_case(shared_case("1dtoy")), {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": 5}]}})
    assert trained.upper_bound_kind == "single_sample"
    labels = legend_texts(trained.plot().axes[0])
    assert "upper bound estimate (one forward pass, not a bound)" in labels
    assert not any("interval" in t for t in labels)


def test_training_plot_labels_an_exact_bound():
    trained = cobre.train(cobre.load_case(shared_case("d02-single-hydro")))
    assert trained.upper_bound_kind == "exact"
    assert "upper bound (exact)" in legend_texts(trained.plot().axes[0])


def test_cost_plot_is_a_histogram_of_every_scenario_with_its_percentiles(valley):
    _, _, sim = valley
    fig = sim.plot(kind="cost")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "total discounted cost ($)" and ax.get_ylabel() == "scenarios"
    assert sum(p.get_height() for p in ax.patches) == sim.scenarios
    labels = legend_texts(ax)
    assert "percentiles P5 · P25 · P50 · P75 · P95" in labels and "mean" in labels
    mean_line = next(line for line in ax.get_lines() if line.get_label() == "mean")
    assert mean_line.get_xdata()[0] == pytest.approx(sim.mean_cost, rel=1e-9)
    assert {t.get_text() for t in ax.texts} >= {"P5", "P50", "P95"}


def test_storage_plot_draws_percentile_fans_of_the_largest_reservoirs_by_name(valley):
    case, _, sim = valley
    fig = sim.plot(kind="storage", case=case)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    # The three reservoirs, largest first: UPPER 4000, COASTAL 1500, MIDDLE 600 hm3.
    titles = [ax.get_title() for ax in visible]
    assert titles[0].startswith("UPPER (hydro 0)")
    assert [t.split(" ")[0] for t in titles] == ["UPPER", "COASTAL", "MIDDLE"]
    ax = visible[0]
    assert ax.get_xlabel() == "stage" and ax.get_ylabel() == "storage (hm3)"
    assert legend_texts(ax) == ["P5–P95", "P25–P75", "median (P50)"]
    median = ax.get_lines()[0].get_ydata()
    assert len(median) == len(case.stages)
    # The median of stage 0 is the median of the simulated end storages.
    h = sim.tables["hydros"].to_numpy(["stage_id", "block", "hydro_id", "storage_final_hm3"])
    sel = (h["hydro_id"] == 0) & (h["stage_id"] == case.stages[0].id) & (h["block"] == 0)
    assert median[0] == pytest.approx(np.median(h["storage_final_hm3"][sel]))
    one = sim.plot(kind="storage", hydros=[1])
    assert [a.get_title() for a in one.axes if a.get_visible()] == [
        "hydro 1: end-of-stage storage"
    ]
    with pytest.raises(ValueError, match="no hydro with id"):
        sim.plot(kind="storage", hydros=[99])


def test_generation_and_deficit_plots_have_a_series_per_source_and_per_bus(valley):
    case, _, sim = valley
    gen = sim.plot(kind="generation", case=case).axes[0]
    assert legend_texts(gen) == ["hydro", "thermal", "deficit"]
    assert gen.get_ylabel() == "mean power (MW)" and gen.get_xlabel() == "stage"
    n = len(case.stages)
    assert len(gen.patches) == 3 * n
    deficit = sim.plot(kind="deficit", case=case).axes[0]
    assert legend_texts(deficit) == ["NORTH", "SOUTH"]
    assert deficit.get_ylabel() == "mean deficit (MW)"
    assert all(len(line.get_ydata()) == n for line in deficit.get_lines())


def test_an_unknown_plot_kind_is_a_value_error_naming_the_kinds(valley):
    _, _, sim = valley
    with pytest.raises(ValueError, match="cost, storage, generation, deficit"):
        sim.plot(kind="pie")


def test_plotting_without_matplotlib_names_the_extra(valley, monkeypatch):
    _, trained, sim = valley
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"cobre\[plot\]"):
        trained.plot()
    with pytest.raises(ImportError, match=r"cobre\[plot\]"):
        sim.plot(kind="cost")
