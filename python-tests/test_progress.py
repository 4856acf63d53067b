"""train(..., progress=True) and simulate(..., progress=True): a progress bar
over the progress callback (tqdm when installed, log lines otherwise), and
the bound kinds every front end reports."""

from __future__ import annotations

import logging
import sys

import pytest

import cobre
from conftest import example, shared_case

# 1dtoy: 10 openings per stage, one forward pass per iteration (an estimate,
# not a bound); three iterations.
ONE_PASS = {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": 3}]}}


def one_pass_case():
    return cobre.load_case(shared_case("1dtoy"))


def test_training_progress_draws_a_tqdm_bar_with_the_bounds(capsys):
    pytest.importorskip("tqdm")
    seen = []
    r = cobre.train(one_pass_case(), ONE_PASS, progress=True, progress_callback=seen.append)
    err = capsys.readouterr().err
    assert len(seen) == r.iterations == 3  # the user's callback still runs
    assert "training" in err and "3/3" in err, err
    # One forward pass: the bar calls the upper bound an estimate.
    assert "estimate, not a bound" in err and "gap —" in err, err


def test_simulation_progress_counts_scenarios_to_the_total(capsys):
    pytest.importorskip("tqdm")
    case = cobre.load_case(example("tiny"))
    policy = cobre.train(case).policy
    capsys.readouterr()
    s = cobre.simulate(case, policy, {"simulation": {"selection": {"method": "sampled", "num_scenarios": 5}}}, progress=True)
    err = capsys.readouterr().err
    assert s.scenarios == 5
    assert "simulation" in err and "5/5" in err, err


def test_without_tqdm_progress_is_logged(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with caplog.at_level(logging.INFO, logger="cobre.progress"):
        r = cobre.train(one_pass_case(), ONE_PASS, progress=True)
    lines = [rec.getMessage() for rec in caplog.records if rec.name == "cobre.progress"]
    assert lines, "no progress line logged"
    assert lines[-1].startswith(f"training {r.iterations}/3 it"), lines
    assert "LB " in lines[-1] and "UB ~" in lines[-1]


def test_without_tqdm_or_logging_progress_goes_to_stderr(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    cobre.train(one_pass_case(), ONE_PASS, progress=True)
    err = capsys.readouterr().err
    assert "training 3/3 it" in err, err


def test_progress_with_a_callback_that_is_not_callable_is_refused():
    case = cobre.load_case(example("tiny"))
    with pytest.raises(Exception, match="callable"):
        cobre.train(case, progress=True, progress_callback=42)


def test_one_forward_pass_is_reported_as_an_estimate_with_no_gap():
    seen = []
    r = cobre.train(one_pass_case(), ONE_PASS, progress_callback=seen.append)
    assert r.upper_bound_kind == "single_sample"
    assert r.final_gap is None and r.lower_bound_position is None
    assert "not a bound" in r.bound_note
    assert seen and all(isinstance(e, cobre.ProgressEvent) for e in seen)
    assert all(e.upper_bound_kind == "single_sample" and e.gap is None for e in seen)


def test_several_forward_passes_give_a_statistical_bound_and_a_non_negative_gap():
    r = cobre.train(cobre.load_case(example("valley")), {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": 4}]}})
    assert r.upper_bound_kind == "statistical"
    assert r.final_ci_95 > 0
    assert r.final_gap is not None and r.final_gap >= 0
    assert r.lower_bound_position in {"below", "inside", "above"}
    assert "statistical estimate" in r.bound_note
    table = r.convergence_arrow.to_numpy(["upper_bound_kind", "gap", "lower_bound_position"])
    assert table["upper_bound_kind"] == ["statistical"] * r.iterations
    assert (table["gap"] >= 0).all()


def test_a_deterministic_case_has_an_exact_upper_bound():
    r = cobre.train(cobre.load_case(shared_case("d02-single-hydro")))
    assert r.upper_bound_kind == "exact"
    assert r.final_gap == pytest.approx(0.0, abs=1e-9)
    assert "exact" in r.bound_note


def test_arrow_table_to_numpy_picks_columns_and_rejects_unknown_ones():
    r = cobre.train(cobre.load_case(example("tiny")))
    cols = r.convergence_arrow.to_numpy(["iteration", "lower_bound"])
    assert list(cols) == ["iteration", "lower_bound"]
    assert cols["iteration"].tolist() == [1, 2, 3]
    with pytest.raises(KeyError, match="no column"):
        r.convergence_arrow.to_numpy(["nope"])
