"""Writes the example case folders of this directory.

The examples are Cobre's own, made up for demonstration (they are not taken
from any real system): run `python examples/generate.py` to regenerate them
after changing a number here. Needs pyarrow.

- `valley/`: three reservoirs (two in cascade) and five thermal plants on two
  buses joined by a line, twelve monthly stages, PAR(1) inflows with a wet and a
  dry season, uncertain load, 20 openings per stage. The README's main job.
- `tiny/`: one reservoir and one thermal plant over two stages with
  deterministic inflow, small enough to train in a few milliseconds (used by
  tests and by the Python call-overhead benchmark).

`python examples/generate.py --bench12 DIR` writes instead, into DIR (not
into the repository), the benchmark case of `scripts/bench_mpi.sh`: twelve
hydros in four cascades of three on three buses, ten thermal plants, 36
monthly stages, PAR(1) inflows, 10 openings, 8 forward passes.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent


def write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2) + "\n")


def write_parquet(path: Path, columns: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    schema = []
    arrays = []
    for name, (values, typ) in columns.items():
        schema.append(pa.field(name, typ, nullable=False))
        arrays.append(pa.array(values, type=typ))
    pq.write_table(pa.Table.from_arrays(arrays, schema=pa.schema(schema)), path, compression="zstd")


MONTHS = ["January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December"]


def monthly_seasons() -> dict:
    return {
        "cycle_type": "monthly",
        "seasons": [{"id": i, "month_start": i + 1, "label": m} for i, m in enumerate(MONTHS)],
    }


def month_stage(idx: int, year: int, month: int, hours_per_block: list[tuple[str, float]], openings: int,
                inflow_lags: bool = False) -> dict:
    ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
    extra = {"state_variables": {"storage": True, "inflow_lags": True}} if inflow_lags else {}
    return {
        "id": idx,
        "start_date": f"{year:04d}-{month:02d}-01",
        "end_date": f"{ny:04d}-{nm:02d}-01",
        "season_id": month - 1,
        "blocks": [{"id": b, "name": n, "hours": h} for b, (n, h) in enumerate(hours_per_block)],
        "num_openings": openings,
        **extra,
    }


def days_in_month(year: int, month: int) -> int:
    ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
    from datetime import date

    return (date(ny, nm, 1) - date(year, month, 1)).days


def penalties() -> dict:
    return {
        "bus": {
            "deficit_segments": [
                {"depth_mw": 100.0, "cost": 2500.0},
                {"depth_mw": None, "cost": 6000.0},
            ],
            "excess_cost": 0.5,
        },
        "line": {"exchange_cost": 0.5},
        "hydro": {
            "spillage_cost": 0.01,
            "diversion_cost": 0.1,
            "storage_violation_below_cost": 20000.0,
            "filling_target_violation_cost": 50000.0,
            "turbined_violation_below_cost": 800.0,
            "outflow_violation_below_cost": 800.0,
            "outflow_violation_above_cost": 800.0,
            "generation_violation_below_cost": 1500.0,
            "evaporation_violation_cost": 5000.0,
            "water_withdrawal_violation_cost": 1000.0,
            "turbined_cost": 0.02,
        },
        "non_controllable_source": {"curtailment_cost": 0.01},
    }


def hydro(hid: int, name: str, bus: int, downstream, vmax: float, vmin: float, qmax: float, prod: float) -> dict:
    gmax = round(qmax * prod, 6)
    return {
        "id": hid,
        "name": name,
        "downstream_id": downstream,
        "reservoir": {"min_storage_hm3": vmin, "max_storage_hm3": vmax},
        "outflow": {"min_outflow_m3s": 0.0, "max_outflow_m3s": None},
        "generation": {
            "model": "constant_productivity",
            "min_turbined_m3s": 0.0,
            "max_turbined_m3s": qmax,
            "min_generation_mw": 0.0,
            "max_generation_mw": gmax,
        },
        "operational_start_date": "2000-01-01",
        "unit_groups": [
            {
                "id": 0,
                "name": f"{name}-G",
                "bus_id": bus,
                "min_generation_mw": 0.0,
                "max_generation_mw": gmax,
                "min_turbined_m3s": 0.0,
                "max_turbined_m3s": qmax,
            }
        ],
    }


def production_models(prods: dict[int, float]) -> dict:
    return {
        "production_models": [
            {
                "hydro_id": h,
                "selection_mode": "stage_ranges",
                "stage_ranges": [
                    {
                        "start_stage_id": 0,
                        "end_stage_id": None,
                        "model": "constant_productivity",
                        "productivity_mw_per_m3s": p,
                    }
                ],
            }
            for h, p in prods.items()
        ]
    }


def thermal(tid: int, name: str, bus: int, max_mw: float, cost: float) -> dict:
    return {
        "id": tid,
        "name": name,
        "bus_id": bus,
        "generation": {"min_mw": 0.0, "max_mw": max_mw},
        "cost_per_mwh": cost,
        "operational_start_date": "2000-01-01",
    }


def valley() -> None:
    root = HERE / "valley"
    year = 2025
    stages = [
        month_stage(m - 1, year, m, [("SINGLE", 24.0 * days_in_month(year, m))], 20, inflow_lags=True)
        for m in range(1, 13)
    ]
    write_json(
        root / "stages.json",
        {
            "policy_graph": {"type": "finite_horizon", "annual_discount_rate": 0.08},
            "season_definitions": monthly_seasons(),
            "pre_study_stages": [
                {"id": -1, "start_date": "2024-12-01", "end_date": "2025-01-01", "season_id": 11}
            ],
            "stages": stages,
        },
    )
    write_json(
        root / "config.json",
        {
            "training": {
                "stopping_rules": [
                    {"type": "iteration_limit", "limit": 60},
                    {"type": "bound_stalling", "iterations": 10, "tolerance": 1e-5},
                ],
                "stopping_mode": "any",
                "scenario_source": {
                    "seed": 2026,
                    "inflow": {"scheme": "in_sample"},
                    "load": {"scheme": "in_sample"},
                    "ncs": {"scheme": "in_sample"},
                },
                "selection": {"method": "sampled", "forward_passes": 4},
            },
            "simulation": {"enabled": True, "selection": {"method": "sampled", "num_scenarios": 200}},
            "modeling": {"inflow_non_negativity": {"method": "truncation"}},
        },
    )
    write_json(root / "penalties.json", penalties())
    write_json(
        root / "system" / "buses.json",
        {
            "buses": [
                {"id": 0, "name": "NORTH", "operational_start_date": "2000-01-01"},
                {"id": 1, "name": "SOUTH", "operational_start_date": "2000-01-01"},
            ]
        },
    )
    write_json(
        root / "system" / "lines.json",
        {
            "lines": [
                {
                    "id": 0,
                    "name": "NORTH-SOUTH",
                    "source_bus_id": 0,
                    "target_bus_id": 1,
                    "capacity": {"direct_mw": 700.0, "reverse_mw": 500.0},
                    "losses_percent": 2.0,
                    "operational_start_date": "2000-01-01",
                }
            ]
        },
    )
    prods = {0: 0.9, 1: 0.8, 2: 1.1}
    write_json(
        root / "system" / "hydros.json",
        {
            "hydros": [
                hydro(0, "UPPER", 0, 1, 4000.0, 400.0, 500.0, prods[0]),
                hydro(1, "MIDDLE", 0, None, 600.0, 100.0, 700.0, prods[1]),
                hydro(2, "COASTAL", 1, None, 1500.0, 150.0, 250.0, prods[2]),
            ]
        },
    )
    write_json(root / "system" / "hydro_production_models.json", production_models(prods))
    write_json(
        root / "system" / "thermals.json",
        {
            "thermals": [
                thermal(0, "NORTH-GAS", 0, 100.0, 60.0),
                thermal(1, "SOUTH-COAL", 1, 150.0, 80.0),
                thermal(2, "SOUTH-CCGT", 1, 200.0, 140.0),
                thermal(3, "SOUTH-OCGT", 1, 250.0, 220.0),
                thermal(4, "SOUTH-OIL", 1, 300.0, 400.0),
            ]
        },
    )
    write_json(
        root / "initial_conditions.json",
        {
            "storage": [
                {"hydro_id": 0, "value_hm3": 2200.0},
                {"hydro_id": 1, "value_hm3": 350.0},
                {"hydro_id": 2, "value_hm3": 800.0},
            ],
            "filling_storage": [],
            "recent_observations": [
                {"hydro_id": h, "start_date": "2024-12-01", "end_date": "2025-01-01", "value_m3s": v}
                for h, v in [(0, 380.0), (1, 90.0), (2, 150.0)]
            ],
        },
    )
    # Seasonal inflow means: wet season peaking in February, dry in September.
    base = {0: 300.0, 1: 80.0, 2: 120.0}
    rows = {"hydro_id": [], "stage_id": [], "mean_m3s": [], "std_m3s": []}
    ar = {"hydro_id": [], "stage_id": [], "lag": [], "coefficient": [], "residual_std_ratio": []}
    for h, b in base.items():
        for s in range(-1, 12):
            month = 12 if s == -1 else s + 1
            shape = 1.0 + 0.45 * math.cos(2.0 * math.pi * (month - 2) / 12.0)
            mean = round(b * shape, 3)
            rows["hydro_id"].append(h)
            rows["stage_id"].append(s)
            rows["mean_m3s"].append(mean)
            rows["std_m3s"].append(round(0.3 * mean, 3))
            if s >= 0:
                ar["hydro_id"].append(h)
                ar["stage_id"].append(s)
                ar["lag"].append(1)
                ar["coefficient"].append(0.6)
                ar["residual_std_ratio"].append(0.8)
    i32, f64 = pa.int32(), pa.float64()
    write_parquet(
        root / "scenarios" / "inflow_seasonal_stats.parquet",
        {k: (v, i32 if k.endswith("id") else f64) for k, v in rows.items()},
    )
    write_parquet(
        root / "scenarios" / "inflow_ar_coefficients.parquet",
        {k: (v, i32 if k in ("hydro_id", "stage_id", "lag") else f64) for k, v in ar.items()},
    )
    load = {"bus_id": [], "stage_id": [], "mean_mw": [], "std_mw": []}
    for bus, mw in [(0, 250.0), (1, 950.0)]:
        for s in range(12):
            month = s + 1
            shape = 1.0 + 0.08 * math.cos(2.0 * math.pi * (month - 7) / 12.0)
            load["bus_id"].append(bus)
            load["stage_id"].append(s)
            load["mean_mw"].append(round(mw * shape, 3))
            load["std_mw"].append(round(0.03 * mw * shape, 3))
    write_parquet(
        root / "scenarios" / "load_seasonal_stats.parquet",
        {k: (v, i32 if k.endswith("id") else f64) for k, v in load.items()},
    )


def tiny() -> None:
    root = HERE / "tiny"
    write_json(
        root / "stages.json",
        {
            "policy_graph": {"type": "finite_horizon", "annual_discount_rate": 0.0},
            "season_definitions": monthly_seasons(),
            "stages": [
                month_stage(0, 2025, 1, [("SINGLE", 744.0)], 1),
                month_stage(1, 2025, 2, [("SINGLE", 672.0)], 1),
            ],
        },
    )
    write_json(
        root / "config.json",
        {
            "training": {
                "stopping_rules": [{"type": "iteration_limit", "limit": 3}],
                "scenario_source": {"seed": 7},
                "selection": {"method": "sampled", "forward_passes": 1},
            },
            "simulation": {"enabled": True, "selection": {"method": "sampled", "num_scenarios": 2}},
            "modeling": {"inflow_non_negativity": {"method": "none"}},
        },
    )
    write_json(root / "penalties.json", penalties())
    write_json(
        root / "system" / "buses.json",
        {"buses": [{"id": 0, "name": "ONLY", "operational_start_date": "2000-01-01"}]},
    )
    write_json(root / "system" / "lines.json", {"lines": []})
    write_json(root / "system" / "hydros.json", {"hydros": [hydro(0, "LAKE", 0, None, 200.0, 0.0, 40.0, 1.0)]})
    write_json(root / "system" / "hydro_production_models.json", production_models({0: 1.0}))
    write_json(root / "system" / "thermals.json", {"thermals": [thermal(0, "PLANT", 0, 50.0, 100.0)]})
    write_json(
        root / "initial_conditions.json",
        {"storage": [{"hydro_id": 0, "value_hm3": 60.0}], "filling_storage": []},
    )
    i32, f64 = pa.int32(), pa.float64()
    write_parquet(
        root / "scenarios" / "inflow_seasonal_stats.parquet",
        {
            "hydro_id": ([0, 0], i32),
            "stage_id": ([0, 1], i32),
            "mean_m3s": ([20.0, 10.0], f64),
            "std_m3s": ([0.0, 0.0], f64),
        },
    )
    write_parquet(
        root / "scenarios" / "load_seasonal_stats.parquet",
        {
            "bus_id": ([0, 0], i32),
            "stage_id": ([0, 1], i32),
            "mean_mw": ([60.0, 60.0], f64),
            "std_mw": ([0.0, 0.0], f64),
        },
    )


def bench12(root: Path, iterations: int = 20, forward_passes: int = 8) -> None:
    """The 12-hydro, 36-stage benchmark case of `scripts/bench_mpi.sh`."""
    n_stages, year0 = 36, 2025
    stages = []
    for t in range(n_stages):
        year, month = year0 + t // 12, t % 12 + 1
        stages.append(month_stage(t, year, month, [("SINGLE", 24.0 * days_in_month(year, month))], 10,
                                  inflow_lags=True))
    write_json(
        root / "stages.json",
        {
            "policy_graph": {"type": "finite_horizon", "annual_discount_rate": 0.08},
            "season_definitions": monthly_seasons(),
            "pre_study_stages": [
                {"id": -1, "start_date": "2024-12-01", "end_date": "2025-01-01", "season_id": 11}
            ],
            "stages": stages,
        },
    )
    write_json(
        root / "config.json",
        {
            "training": {
                "stopping_rules": [{"type": "iteration_limit", "limit": iterations}],
                "scenario_source": {
                    "seed": 7,
                    "inflow": {"scheme": "in_sample"},
                    "load": {"scheme": "in_sample"},
                    "ncs": {"scheme": "in_sample"},
                },
                "selection": {"method": "sampled", "forward_passes": forward_passes},
            },
            "simulation": {"enabled": False, "selection": {"method": "sampled", "num_scenarios": 100}},
            "modeling": {"inflow_non_negativity": {"method": "truncation"}},
        },
    )
    write_json(root / "penalties.json", penalties())
    buses = ["NORTH", "CENTRE", "SOUTH"]
    write_json(
        root / "system" / "buses.json",
        {"buses": [{"id": i, "name": n, "operational_start_date": "2000-01-01"} for i, n in enumerate(buses)]},
    )
    write_json(
        root / "system" / "lines.json",
        {
            "lines": [
                {
                    "id": i,
                    "name": f"{buses[a]}-{buses[b]}",
                    "source_bus_id": a,
                    "target_bus_id": b,
                    "capacity": {"direct_mw": 900.0, "reverse_mw": 900.0},
                    "losses_percent": 1.0,
                    "operational_start_date": "2000-01-01",
                }
                for i, (a, b) in enumerate([(0, 1), (1, 2)])
            ]
        },
    )
    # Four cascades of three (head, middle, tail), cascade c on bus c % 3.
    hydros, prods, storage, observed, base = [], {}, [], [], {}
    for c in range(4):
        for k in range(3):
            h = 3 * c + k
            downstream = h + 1 if k < 2 else None
            vmax = [5000.0, 1500.0, 800.0][k] * (1.0 + 0.1 * c)
            prods[h] = round(0.8 + 0.1 * k + 0.05 * c, 3)
            hydros.append(hydro(h, f"C{c}-H{k}", c % 3, downstream, vmax, 0.1 * vmax,
                                [600.0, 800.0, 900.0][k], prods[h]))
            storage.append({"hydro_id": h, "value_hm3": round(0.5 * vmax, 3)})
            base[h] = [250.0, 60.0, 40.0][k] * (1.0 + 0.15 * c)
            observed.append({"hydro_id": h, "start_date": "2024-12-01", "end_date": "2025-01-01",
                             "value_m3s": round(0.9 * base[h], 3)})
    write_json(root / "system" / "hydros.json", {"hydros": hydros})
    write_json(root / "system" / "hydro_production_models.json", production_models(prods))
    write_json(
        root / "system" / "thermals.json",
        {"thermals": [thermal(j, f"T{j}", j % 3, 150.0 + 20.0 * j, 40.0 + 35.0 * j) for j in range(10)]},
    )
    write_json(
        root / "initial_conditions.json",
        {"storage": storage, "filling_storage": [], "recent_observations": observed},
    )
    rows = {"hydro_id": [], "stage_id": [], "mean_m3s": [], "std_m3s": []}
    ar = {"hydro_id": [], "stage_id": [], "lag": [], "coefficient": [], "residual_std_ratio": []}
    for h, b in base.items():
        for s in range(-1, n_stages):
            month = 12 if s == -1 else s % 12 + 1
            shape = 1.0 + 0.45 * math.cos(2.0 * math.pi * (month - 2 - h % 3) / 12.0)
            mean = round(b * shape, 3)
            rows["hydro_id"].append(h)
            rows["stage_id"].append(s)
            rows["mean_m3s"].append(mean)
            rows["std_m3s"].append(round(0.3 * mean, 3))
            if s >= 0:
                ar["hydro_id"].append(h)
                ar["stage_id"].append(s)
                ar["lag"].append(1)
                ar["coefficient"].append(0.6)
                ar["residual_std_ratio"].append(0.8)
    i32, f64 = pa.int32(), pa.float64()
    write_parquet(
        root / "scenarios" / "inflow_seasonal_stats.parquet",
        {k: (v, i32 if k.endswith("id") else f64) for k, v in rows.items()},
    )
    write_parquet(
        root / "scenarios" / "inflow_ar_coefficients.parquet",
        {k: (v, i32 if k in ("hydro_id", "stage_id", "lag") else f64) for k, v in ar.items()},
    )
    load = {"bus_id": [], "stage_id": [], "mean_mw": [], "std_mw": []}
    for bus, mw in [(0, 700.0), (1, 900.0), (2, 1100.0)]:
        for s in range(n_stages):
            shape = 1.0 + 0.08 * math.cos(2.0 * math.pi * (s % 12 - 6) / 12.0)
            load["bus_id"].append(bus)
            load["stage_id"].append(s)
            load["mean_mw"].append(round(mw * shape, 3))
            load["std_mw"].append(round(0.03 * mw * shape, 3))
    write_parquet(
        root / "scenarios" / "load_seasonal_stats.parquet",
        {k: (v, i32 if k.endswith("id") else f64) for k, v in load.items()},
    )


if __name__ == "__main__":
    import sys

    if len(sys.argv) == 3 and sys.argv[1] == "--bench12":
        bench12(Path(sys.argv[2]))
        print(f"wrote {sys.argv[2]}")
    elif len(sys.argv) == 1:
        valley()
        tiny()
        print(f"wrote {HERE / 'valley'} and {HERE / 'tiny'}")
    else:
        sys.exit("usage: generate.py [--bench12 DIR]")
