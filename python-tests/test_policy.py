"""Policy: cuts as zero-copy NumPy views, evaluation, save/load round trip."""

from __future__ import annotations

import numpy as np
import pytest

import cobre
from conftest import example, iterations, scenarios, shared_case


@pytest.fixture(scope="module")
def trained():
    case = cobre.load_case(example("valley"))
    return case, cobre.train(case, iterations(12, forward_passes=4))


@pytest.fixture(scope="module")
def many_cuts():
    """examples/tiny, 100 iterations of 100 forward passes: 10,000 cuts on stage 0."""
    case = cobre.load_case(example("tiny"))
    return cobre.train(case, iterations(100, forward_passes=100))


def test_cut_arrays_view_rust_memory_without_copy(many_cuts):
    p = many_cuts.policy
    cuts = p.cuts(0)
    coef = cuts["coefficients"]
    assert cuts["intercepts"].size >= 10_000 and coef.size >= 10_000
    assert coef.shape == (len(cuts["intercepts"]), p.n_state)
    for arr in cuts.values():
        assert arr.base is p
        assert arr.flags.owndata is False
        assert not arr.flags.writeable
    again = p.cuts(0)
    assert again["coefficients"].__array_interface__["data"][0] == coef.__array_interface__["data"][0]
    assert np.shares_memory(again["intercepts"], cuts["intercepts"])
    assert cuts["active"].dtype == np.bool_ and cuts["active"].all()


def test_cut_arrays_keep_the_policy_alive(trained):
    case, _ = trained
    cuts = cobre.train(case, iterations(2)).policy.cuts(0)
    import gc

    gc.collect()
    assert np.isfinite(cuts["intercepts"]).all()


def test_the_last_stage_has_no_cuts_and_bad_stages_are_refused(trained):
    _, r = trained
    p = r.policy
    assert p.cuts(p.n_stages - 1)["intercepts"].shape == (0,)
    for bad in (p.n_stages, -1, 10**30):
        with pytest.raises(IndexError):
            p.cuts(bad)
    for wrong in ("0", 1.0, None, True):
        with pytest.raises(TypeError):
            p.cuts(wrong)


def test_evaluate_is_the_max_over_cuts_of_the_future_cost(trained):
    _, r = trained
    p = r.policy
    cuts = p.cuts(0)
    rng = np.random.default_rng(0)
    states = rng.uniform(0, 500, size=(50, p.n_state))
    expected = np.maximum(0, (cuts["intercepts"][None, :] + states @ cuts["coefficients"].T).max(axis=1))
    got = p.evaluate_batch(states)
    assert np.allclose(got, expected, rtol=1e-12, atol=1e-6)
    assert p.evaluate(states[7]) == pytest.approx(expected[7], rel=1e-12)
    assert np.allclose(p.evaluate_batch(np.asfortranarray(states)), expected)


def test_evaluate_batch_uses_threads_and_gives_the_same_values(trained):
    _, r = trained
    p = r.policy
    states = np.random.default_rng(1).uniform(0, 500, size=(20_000, p.n_state))
    old = cobre.get_threads()
    try:
        cobre.set_threads(1)
        a = p.evaluate_batch(states)
        cobre.set_threads(4)
        b = p.evaluate_batch(states)
    finally:
        cobre.set_threads(old)
    assert np.array_equal(a, b)


def test_evaluate_refuses_a_state_of_the_wrong_size(trained):
    _, r = trained
    with pytest.raises(cobre.ValidationError):
        r.policy.evaluate([1.0])
    with pytest.raises(cobre.ValidationError):
        r.policy.evaluate_batch(np.zeros((3, r.policy.n_state + 1)))


def test_summary_describes_the_state_and_the_cuts(trained):
    _, r = trained
    s = r.policy.summary()
    assert s["total_cuts"] == r.total_cuts
    assert s["iterations"] == r.iterations == 12
    assert len(s["state_variables"]) == s["n_state"] == r.policy.n_state
    assert s["state_variables"][0].startswith("storage[hydro=")
    assert sum(s["cuts_per_stage"]) == s["total_cuts"]


def test_save_and_load_round_trip_the_cuts(trained, tmp_path):
    case, r = trained
    p = r.policy
    p.save(tmp_path / "policy")
    back = cobre.Policy.load(tmp_path / "policy", case)
    assert back.num_cuts == p.num_cuts and back.iterations == p.iterations
    for t in range(p.n_stages):
        a, b = p.cuts(t), back.cuts(t)
        for k in ("intercepts", "coefficients", "active"):
            assert np.array_equal(a[k], b[k])
    s1 = cobre.simulate(case, p, scenarios(10))
    s2 = cobre.simulate(case, back, scenarios(10))
    assert s1.mean_cost == s2.mean_cost


def test_a_policy_loads_without_its_case_and_can_be_simulated(trained, tmp_path):
    case, r = trained
    r.policy.save(tmp_path / "p")
    back = cobre.Policy.load(tmp_path / "p")
    assert np.array_equal(back.cuts(0)["coefficients"], r.policy.cuts(0)["coefficients"])
    assert cobre.simulate(case, back, scenarios(4)).scenarios == 4
    with pytest.raises(cobre.ValidationError):
        back.save(tmp_path / "q")  # no case to fingerprint
    back.save(tmp_path / "q", case)


def test_loading_a_missing_policy_raises_cobre_io_error(tmp_path):
    with pytest.raises(cobre.IOError) as info:
        cobre.Policy.load(tmp_path / "nothing")
    assert isinstance(info.value, OSError)
    assert "nothing" in info.value.filename


def test_a_corrupted_policy_file_is_detected(trained, tmp_path):
    case, r = trained
    r.policy.save(tmp_path / "p")
    cuts = next((tmp_path / "p").glob("cuts*.parquet"))
    data = bytearray(cuts.read_bytes())
    data[len(data) // 2] ^= 0xFF
    cuts.write_bytes(bytes(data))
    with pytest.raises(cobre.IOError) as info:
        cobre.Policy.load(tmp_path / "p", case)
    assert info.value.kind == "OutputCorrupted"


def test_a_policy_of_another_case_is_refused_at_load(trained, tmp_path):
    _, r = trained
    r.policy.save(tmp_path / "p")
    with pytest.raises(cobre.ValidationError) as info:
        cobre.Policy.load(tmp_path / "p", cobre.load_case(shared_case("d02-single-hydro")))
    assert info.value.kind == "PolicyIncompatible"
