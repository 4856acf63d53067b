"""simulate(): totals, per-entity Arrow tables, Parquet outputs, callback."""

from __future__ import annotations

import pytest

import cobre
from conftest import example, iterations, scenarios, shared_case


@pytest.fixture(scope="module")
def valley():
    case = cobre.load_case(example("valley"))
    return case, cobre.train(case, iterations(8)).policy


def test_simulating_a_deterministic_policy_costs_its_optimum():
    case = cobre.load_case(shared_case("d02-single-hydro"))
    policy = cobre.train(case).policy
    s = cobre.simulate(case, policy)
    assert s.scenarios == 1
    assert s.mean_cost == pytest.approx(23640785 / 9, rel=1e-6)
    assert s.std_cost == 0
    assert not s.interrupted


def test_simulation_gives_totals_and_per_entity_tables(valley):
    case, policy = valley
    s = cobre.simulate(case, policy, scenarios(20), threads=2)
    assert s.scenarios == 20
    assert s.mean_cost > 0 and s.std_cost > 0 and s.wall_time_ms > 0
    n_stages = len(case.stages)
    costs = s.costs
    assert costs.num_rows == 20 * n_stages
    assert sorted(set(costs.column("scenario_id").to_pylist())) == list(range(20))
    total = (costs.column("immediate_cost").to_numpy() * costs.column("discount_factor").to_numpy()).sum()
    assert total / 20 == pytest.approx(s.mean_cost, rel=1e-9)
    blocks = len(case.stages[0].blocks)
    assert s.hydros.num_rows == 20 * n_stages * blocks * len(case.hydros)
    assert s.thermals.num_rows == 20 * n_stages * blocks * len(case.thermals)
    assert s.buses.num_rows == 20 * n_stages * blocks * len(case.buses)
    assert s.lines.num_rows == 20 * n_stages * blocks * len(case.lines)
    assert set(s.tables) == {
        "costs",
        "hydros",
        "thermals",
        "buses",
        "lines",
        "pumping_stations",
        "hydro_bus_generation",
    }


def test_simulation_results_are_in_scenario_order_and_thread_independent(valley):
    case, policy = valley
    a = cobre.simulate(case, policy, scenarios(12), threads=1)
    b = cobre.simulate(case, policy, scenarios(12), threads=2)
    # Per-scenario results are bit-identical; the engine sums the totals in
    # arrival order, so the mean may differ in the last bit.
    assert a.mean_cost == pytest.approx(b.mean_cost, rel=1e-14)
    assert a.hydros.equals(b.hydros) and a.costs.equals(b.costs)


def test_simulation_tables_convert_to_polars_without_pyarrow(valley):
    pl = pytest.importorskip("polars")
    case, policy = valley
    s = cobre.simulate(case, policy, scenarios(3))
    df = pl.DataFrame(s.tables["thermals"])
    assert df.height == s.tables["thermals"].num_rows


def test_output_dir_streams_to_parquet_and_tables_are_read_back_from_it(valley, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    case, policy = valley
    s = cobre.simulate(case, policy, scenarios(5), output_dir=tmp_path)
    assert s.output_directory == tmp_path
    assert not s.in_memory
    assert s.output_files and all(p.exists() for p in s.output_files)
    hydro_files = [p for p in s.output_files if "hydros" in str(p)]
    assert pq.read_table(hydro_files[0]).num_rows == s.hydros.num_rows
    kept = cobre.simulate(case, policy, scenarios(5), output_dir=tmp_path / "again", in_memory=True)
    assert kept.in_memory
    assert kept.hydros.num_rows == s.hydros.num_rows
    assert kept.tables["hydros"].num_rows == s.hydros.num_rows


def test_simulate_accepts_a_case_path_and_overrides_of_the_selection(valley):
    _, policy = valley
    s = cobre.simulate(example("valley"), policy,
                       {"simulation": {"selection": {"method": "sampled", "num_scenarios": 37}}})
    assert s.scenarios == 37


def test_the_simulation_callback_sees_every_scenario_and_can_stop(valley):
    case, policy = valley
    seen = []
    cobre.simulate(case, policy, scenarios(6), seen.append)
    assert [e.phase for e in seen] == ["simulation"] * 6
    assert [e.scenarios_complete for e in seen] == list(range(1, 7))
    assert {e.scenarios_total for e in seen} == {6}
    assert seen[0].iteration is None and seen[0].worker_id is None
    s = cobre.simulate(case, policy, scenarios(200), lambda d: True)
    assert s.interrupted and s.scenarios < 200


def test_a_policy_of_another_case_is_refused():
    case = cobre.load_case(shared_case("d03-two-hydro-cascade"))
    other = cobre.train(cobre.load_case(shared_case("d02-single-hydro"))).policy
    with pytest.raises(cobre.ValidationError):
        cobre.simulate(case, other)
