"""The stochastic model as NumPy views: PARModel, OpeningTree, sample_noise."""

from __future__ import annotations

import numpy as np
import pytest

import cobre
from conftest import example, shared_case


@pytest.fixture(scope="module")
def valley():
    return cobre.load_case(example("valley"))


def test_par_model_has_the_spec_shapes(valley):
    par = valley.par_model
    n, s, p = par.n_entities, par.n_seasons, par.order
    assert (n, s) == (len(valley.hydros), len(valley.stages))
    assert p >= 1
    assert par.seasonal_means.shape == (s, n)
    assert par.ar_coefficients.shape == (s, n, p)
    assert par.correlation_matrix.shape == (n, n)
    assert np.allclose(np.diag(par.correlation_matrix), 1.0)
    assert np.all(par.seasonal_means > 0)


def test_par_model_arrays_view_rust_memory_read_only(valley):
    par = valley.par_model
    a, b = par.seasonal_means, par.seasonal_means
    assert a.base is par and not a.flags.owndata
    assert np.shares_memory(a, b)
    assert not a.flags.writeable
    with pytest.raises(ValueError):
        a[0, 0] = 1.0


def test_par_model_of_a_fitted_case_comes_from_history():
    par = cobre.load_case(shared_case("d26-estimated-par2")).par_model
    assert par.order >= 1
    assert np.isfinite(par.seasonal_means).all()


def test_opening_tree_data_is_a_zero_copy_view_with_the_documented_layout(valley):
    tree = valley.opening_tree
    data = tree.data
    assert data.shape == tree.shape == (len(valley.stages), 20, data.shape[2])
    assert data.base is tree and not data.flags.owndata and not data.flags.writeable
    again = tree.data
    assert np.shares_memory(data, again)
    assert data.__array_interface__["data"][0] == again.__array_interface__["data"][0]
    assert tree.openings == [20] * len(valley.stages)
    lo, hi = tree.noise_layout["inflow"]
    assert hi - lo == len(valley.hydros)
    assert np.shares_memory(tree.opening(0, 3), data)
    assert np.array_equal(tree.opening(0, 3), data[0, 3])


def test_two_accesses_to_the_case_share_one_stochastic_model(valley):
    assert np.shares_memory(valley.opening_tree.data, valley.opening_tree.data)


def test_sample_noise_is_reproducible_correlated_and_handed_over_without_copy():
    c = np.array([[1.0, 0.7], [0.7, 1.0]])
    x = cobre.sample_noise(50_000, c, seed=11)
    y = cobre.sample_noise(50_000, c, seed=11)
    z = cobre.sample_noise(50_000, c, seed=12)
    assert x.shape == (50_000, 2) and x.dtype == np.float64
    assert np.array_equal(x, y) and not np.array_equal(x, z)
    assert abs(np.corrcoef(x.T)[0, 1] - 0.7) < 0.02
    assert abs(x.mean()) < 0.02 and abs(x.std() - 1) < 0.02
    assert not x.flags.owndata and x.base is not None  # the Rust Vec owns the data


def test_sample_noise_accepts_a_dimension_for_independent_noise():
    x = cobre.sample_noise(10, 3, seed=1)
    assert x.shape == (10, 3)


def test_sample_noise_refuses_a_malformed_correlation_matrix():
    with pytest.raises(cobre.ValidationError):
        cobre.sample_noise(10, [[1.0, 0.5], [0.4, 1.0]])
    with pytest.raises(cobre.ValidationError):
        cobre.sample_noise(10, [[1.0, 0.5, 0.1]])


def test_a_large_opening_tree_is_viewed_without_a_copy(tmp_path):
    import json
    import shutil

    case_dir = tmp_path / "valley500"
    shutil.copytree(example("valley"), case_dir)
    stages = json.loads((case_dir / "stages.json").read_text())
    for s in stages["stages"]:
        s["num_openings"] = 500
    (case_dir / "stages.json").write_text(json.dumps(stages))
    tree = cobre.load_case(case_dir).opening_tree
    data = tree.data
    assert data.size >= 10_000
    assert data.shape[1] == 500
    assert data.base is tree and data.flags.owndata is False
    again = tree.data
    assert again.__array_interface__["data"][0] == data.__array_interface__["data"][0]
    assert np.shares_memory(data, again)
    # Standard normal noise, correlated as the case says.
    inflow = data[:, :, slice(*tree.noise_layout["inflow"])].reshape(-1, len(cobre.load_case(case_dir).hydros))
    assert abs(inflow.mean()) < 0.05 and abs(inflow.std() - 1) < 0.05
