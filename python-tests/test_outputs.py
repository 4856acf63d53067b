"""Every output file of a run opens with pyarrow and polars.

The outputs come from, in order of preference:

1. ``COBRE_OUTPUT_FIXTURE`` — a directory already holding a run's outputs;
2. ``cobre.run_study`` of the Python package, when it exposes one;
3. the Rust fixture generator ``write_python_fixture`` of the facade's
   ``run_study`` tests, run with cargo into a temporary directory.

When none is available the tests are skipped with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
ds = pytest.importorskip("pyarrow.dataset")
pl = pytest.importorskip("polars")

ROOT = Path(__file__).resolve().parent.parent
CASE = ROOT.parent / "shared" / "cases" / "1dtoy"
TABLES = ["costs", "hydros", "thermals", "buses", "lines", "pumping_stations", "hydro_bus_generation"]


def _complete(out: Path) -> bool:
    return (out / "_SUCCESS").exists() and (out / "manifest.json").exists()


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("COBRE_OUTPUT_FIXTURE")
    if given:
        out = Path(given)
        if not _complete(out):
            pytest.fail(f"COBRE_OUTPUT_FIXTURE={given} holds no complete run")
        return out
    out = tmp_path_factory.mktemp("run") / "out"
    try:
        import cobre  # noqa: PLC0415

        run_study = getattr(cobre, "run_study", None)
    except ImportError:
        run_study = None
    if run_study is not None and CASE.exists():
        try:
            run_study(str(CASE), str(out))
        except TypeError:  # another signature: fall back to the Rust generator
            pass
        if _complete(out):
            return out
    cargo = shutil.which("cargo")
    if cargo is None or not CASE.exists():
        pytest.skip("no outputs: set COBRE_OUTPUT_FIXTURE, or install cargo and ../shared/cases")
    env = dict(os.environ, COBRE_OUTPUT_FIXTURE=str(out))
    env.setdefault("CARGO_TARGET_DIR", str(Path.home() / ".cache" / "cobre-target"))
    subprocess.run(
        [cargo, "test", "-q", "-p", "cobre", "--test", "run_study", "--",
         "--ignored", "--exact", "write_python_fixture"],
        cwd=ROOT, env=env, check=True,
    )
    if not _complete(out):
        pytest.fail("the fixture generator left no complete run")
    return out


def _parquet_files(out: Path) -> list[Path]:
    files = sorted(p for p in out.rglob("*.parquet") if not any(part.startswith(".") for part in p.parts))
    assert files, "no Parquet file"
    return files


def test_every_parquet_file_opens_with_pyarrow_and_polars(outputs: Path) -> None:
    for path in _parquet_files(outputs):
        table = pq.read_table(path)
        frame = pl.read_parquet(path)
        assert table.num_rows == frame.height, path
        assert table.column_names == frame.columns, path
        meta = pq.read_metadata(path).metadata or {}
        assert b"cobre.schema" in meta, path


def test_float_columns_carry_their_unit(outputs: Path) -> None:
    schema = pq.read_schema(outputs / "simulation" / "hydros" / "scenario_block=0000" / "part-0000.parquet")
    field = schema.field("storage_final_hm3")
    assert field.metadata[b"unit"] == b"hm3"


def test_convergence_has_one_row_per_iteration(outputs: Path) -> None:
    manifest = json.loads((outputs / "manifest.json").read_text())
    conv = pl.read_parquet(outputs / "training" / "convergence.parquet")
    for col in ["iteration", "lower_bound", "upper_bound", "upper_bound_std", "ci_95", "gap",
                "wall_time_ms", "iteration_time_ms", "lp_solves"]:
        assert col in conv.columns
    assert conv.height == manifest["training"]["iterations"]
    assert conv["iteration"].to_list() == list(range(1, conv.height + 1))
    assert conv["lower_bound"][-1] == pytest.approx(manifest["training"]["lower_bound"])
    stats = pq.read_table(outputs / "training" / "solver_stats.parquet").to_pandas()
    assert len(stats) == conv.height


def test_simulation_reads_as_hive_datasets(outputs: Path) -> None:
    manifest = json.loads((outputs / "manifest.json").read_text())
    n = manifest["simulation"]["scenarios"]
    per = manifest["simulation"]["scenarios_per_partition"]
    for table in TABLES:
        root = outputs / "simulation" / table
        arrow_ds = ds.dataset(root, format="parquet", partitioning="hive")
        t = arrow_ds.to_table()
        assert "scenario_block" in t.column_names
        frame = pl.scan_parquet(str(root / "**" / "*.parquet"), hive_partitioning=True).collect()
        assert frame.height == t.num_rows
        if frame.height:
            ids = sorted(set(frame["scenario_id"].to_list()))
            assert ids == list(range(n)), table
            blocks = frame.select((pl.col("scenario_id") // per).cast(pl.Int64) == pl.col("scenario_block").cast(pl.Int64))
            assert blocks.to_series().all(), table
    costs = pl.scan_parquet(str(outputs / "simulation" / "costs" / "**" / "*.parquet")).collect()
    total = costs.group_by("scenario_id").agg((pl.col("immediate_cost") * pl.col("discount_factor")).sum())
    assert total["immediate_cost"].mean() == pytest.approx(manifest["simulation"]["mean_cost"], rel=1e-9)


def test_policy_files_open_and_match_their_metadata(outputs: Path) -> None:
    policy = outputs / "policy"
    meta = json.loads((policy / "policy.json").read_text())
    assert meta["format"] == "cobre-policy" and meta["format_version"] == 1
    cuts = pl.read_parquet(policy / "cuts.parquet")
    names = [s["name"] for s in meta["state"]]
    assert cuts.columns[:7] == ["stage_index", "stage_id", "cut_index", "iteration", "scenario", "active", "intercept"]
    assert cuts.columns[7:] == names
    assert cuts.height == sum(s["num_cuts"] for s in meta["stages"])
    for name, entry in meta["files"].items():
        assert (policy / name).stat().st_size == entry["bytes"]
        assert pq.read_table(policy / name).num_rows == entry["rows"]


def test_manifest_lists_every_output_file(outputs: Path) -> None:
    manifest = json.loads((outputs / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["case"]["fingerprint"].startswith("sha256:")
    listed = {o["path"] for o in manifest["outputs"]}
    on_disk = {str(p.relative_to(outputs)) for p in _parquet_files(outputs) if p.parts[len(outputs.parts)] != "policy"}
    assert listed == on_disk
