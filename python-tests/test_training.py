"""train(): analytical optima, results, convergence table, overrides, callback."""

from __future__ import annotations

import math
import types

import pytest

import cobre
from conftest import example, iterations, scenarios, shared_case

# Closed-form optima of deterministic shared cases (shared/cases/README.md).
CLOSED_FORM = {
    "d01-thermal-dispatch": 182500.0,
    "d02-single-hydro": 23640785 / 9,
    "d03-two-hydro-cascade": 1391697.7666666673,
    "d04-transmission": 5264062704 / 657,
    "d09-multi-deficit": 80738000.0,
    "d14-block-factors": 176900.0,
}


@pytest.mark.parametrize(("name", "optimum"), sorted(CLOSED_FORM.items()))
def test_a_deterministic_case_trained_from_python_reaches_its_closed_form_cost(name, optimum):
    result = cobre.train(cobre.load_case(shared_case(name)))
    assert result.final_lower_bound == pytest.approx(optimum, rel=1e-6)
    assert result.final_upper_bound == pytest.approx(optimum, rel=1e-6)


def test_training_result_reports_iterations_bounds_reason_and_cuts():
    case = cobre.load_case(shared_case("d02-single-hydro"))
    r = cobre.train(case)
    assert r.iterations == 10  # the case's iteration_limit
    assert r.termination_reason == "iteration_limit"
    assert r.total_cuts == r.policy.num_cuts == 10
    assert abs(r.final_gap) < 1e-9
    assert r.wall_time_ms > 0 and r.lp_solves > 0
    assert isinstance(r.policy, cobre.Policy)


def test_convergence_history_is_a_pyarrow_table_with_one_row_per_iteration():
    pa = pytest.importorskip("pyarrow")
    r = cobre.train(cobre.load_case(example("tiny")))
    table = r.convergence_history
    assert isinstance(table, pa.Table)
    assert table.num_rows == r.iterations
    assert table.column("iteration").to_pylist() == list(range(1, r.iterations + 1))
    assert {"lower_bound", "upper_bound", "gap", "wall_time_ms"} <= set(table.column_names)


def test_convergence_history_converts_to_pandas_and_polars():
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    r = cobre.train(cobre.load_case(shared_case("d02-single-hydro")))
    df = r.convergence_history.to_pandas()
    assert isinstance(df, pd.DataFrame) and len(df) == 10
    assert df["lower_bound"].iloc[-1] == pytest.approx(r.final_lower_bound)
    pdf = pl.DataFrame(r.convergence_arrow)  # PyCapsule stream, no pyarrow involved
    assert pdf.height == 10 and pdf["lower_bound"][-1] == pytest.approx(r.final_lower_bound)
    assert pl.from_arrow(r.convergence_history).height == 10


def test_the_arrow_stream_shares_the_rust_buffers():
    pa = pytest.importorskip("pyarrow")
    r = cobre.train(cobre.load_case(example("tiny")))
    a = pa.table(r.convergence_arrow).column("lower_bound").chunk(0)
    b = pa.table(r.convergence_arrow).column("lower_bound").chunk(0)
    assert a.buffers()[1].address == b.buffers()[1].address


def test_config_overrides_follow_the_config_json_schema():
    case = cobre.load_case(shared_case("d02-single-hydro"))
    r = cobre.train(
        case,
        config_overrides={"training": {"stopping_rules": [{"type": "iteration_limit", "limit": 7}]}},
        threads=2,
    )
    assert r.iterations == 7
    # The case itself is unchanged: its own limit applies again.
    assert cobre.train(case).iterations == 10


def test_config_overrides_may_be_any_mapping_not_only_a_dict():
    case = cobre.load_case(shared_case("d02-single-hydro"))
    overrides = types.MappingProxyType(
        {"training": types.MappingProxyType({"stopping_rules": ({"type": "iteration_limit", "limit": 4},)})}
    )
    r = cobre.train(case, overrides)
    assert r.iterations == 4


def _all_mode(stalling_tolerance: float) -> dict:
    return {"training": {"stopping_mode": "all", "stopping_rules": [
        {"type": "iteration_limit", "limit": 6},
        {"type": "bound_stalling", "iterations": 1, "tolerance": stalling_tolerance},
        {"type": "iteration_limit", "limit": 3},
    ]}}


def test_in_all_mode_training_stops_when_the_other_rules_fire_or_at_the_largest_iteration_limit():
    case = cobre.load_case(shared_case("d02-single-hydro"))
    # Any move of the bound is below this tolerance: the stalling rule fires
    # as soon as it has a window, before either iteration limit.
    r = cobre.train(case, _all_mode(1e300))
    assert (r.iterations, r.termination_reason) == (2, "bound_stalling")
    # A tolerance of 0 never fires: the larger iteration limit caps the run.
    r = cobre.train(case, _all_mode(0.0))
    assert (r.iterations, r.termination_reason) == (6, "iteration_limit")


def test_train_accepts_the_path_of_a_case_folder():
    r = cobre.train(shared_case("d02-single-hydro"), iterations(2))
    assert r.iterations == 2


def test_results_do_not_depend_on_the_thread_count():
    case = cobre.load_case(example("valley"))
    a = cobre.train(case, iterations(5), threads=1)
    b = cobre.train(case, iterations(5), threads=2)
    assert a.final_lower_bound == b.final_lower_bound
    assert a.convergence_history.column("upper_bound").equals(b.convergence_history.column("upper_bound"))


def test_an_unknown_key_path_is_a_validation_error_naming_it_with_a_suggestion():
    case = cobre.load_case(example("tiny"))
    with pytest.raises(cobre.ValidationError) as info:
        cobre.train(case, {"training": {"stoping_rules": []}})
    e = info.value
    assert e.kind == "SchemaViolation"
    assert "training.stoping_rules" in str(e)
    assert "stopping_rules" in (e.suggestion or "")


@pytest.mark.parametrize(
    ("overrides", "kind"),
    [
        ({"max_iterations": 5}, "SchemaViolation"),
        ({"training": {"stopping_rules": [{"type": "iteration_limit", "limit": -1}]}}, "OutOfRange"),
        ({"training": 5}, "TypeMismatch"),
        ({"training": {"stopping_rules": [{"type": "iteration_limt", "limit": 3}]}}, "InvalidEnum"),
        ([1], "TypeMismatch"),
        ({"training": {"tree_seed": object()}}, "TypeMismatch"),
    ],
)
def test_bad_config_overrides_raise_validation_error_before_training(overrides, kind):
    case = cobre.load_case(example("tiny"))
    with pytest.raises(cobre.ValidationError) as info:
        cobre.train(case, overrides)
    assert info.value.kind == kind, info.value


def test_the_progress_callback_gets_one_progress_event_per_iteration():
    seen = []
    r = cobre.train(cobre.load_case(shared_case("d02-single-hydro")), progress_callback=seen.append)
    assert all(isinstance(e, cobre.ProgressEvent) for e in seen)
    assert [e.phase for e in seen] == ["training"] * 10
    assert [e.iteration for e in seen] == list(range(1, 11))
    assert seen[-1].lower_bound == r.final_lower_bound
    assert seen[0].worker_id is None and seen[0].scenarios_total is None
    assert seen[0].to_dict()["iteration"] == 1
    assert "ProgressEvent(phase='training', iteration=1" in repr(seen[0])


def test_returning_true_from_the_callback_stops_training():
    calls = []

    def cb(event):
        calls.append(event.iteration)
        return event.iteration >= 3

    r = cobre.train(cobre.load_case(example("valley")), iterations(50), cb)
    assert calls == [1, 2, 3]
    assert r.iterations == 3
    assert r.termination_reason == "callback"
    assert r.policy.num_cuts > 0


def test_raising_stop_iteration_from_the_callback_stops_training():
    def cb(event):
        if event.iteration == 2:
            raise StopIteration

    r = cobre.train(cobre.load_case(example("valley")), iterations(50), cb)
    assert r.iterations == 2 and r.termination_reason == "callback"


def test_an_exception_in_the_callback_propagates_with_the_partial_result():
    def cb(event):
        if event.iteration == 2:
            raise ZeroDivisionError("user bug")

    with pytest.raises(ZeroDivisionError) as info:
        cobre.train(cobre.load_case(example("valley")), iterations(50), cb)
    partial = info.value.partial_result
    assert isinstance(partial, cobre.TrainingResult) and partial.iterations == 2


def test_a_non_callable_callback_is_refused_before_training():
    with pytest.raises(cobre.ValidationError):
        cobre.train(cobre.load_case(example("tiny")), progress_callback=42)


def test_nan_free_bounds_on_a_stochastic_example():
    r = cobre.train(cobre.load_case(example("valley")), iterations(5))
    assert math.isfinite(r.final_lower_bound) and r.final_lower_bound > 0
    assert r.final_upper_bound >= 0
