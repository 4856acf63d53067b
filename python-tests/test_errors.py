"""Errors: each kind raises its class, with kind, message and context."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import cobre
from cobre import _cobre


def test_a_missing_case_folder_raises_validation_error_with_kind_and_context(tmp_path):
    with pytest.raises(cobre.ValidationError) as info:
        cobre.load_case(tmp_path / "nope")
    e = info.value
    assert isinstance(e, ValueError) and isinstance(e, cobre.CobreError)
    assert e.kind == "MissingFile"
    assert e.context["layer"] == "structural"
    assert e.suggestion
    assert len(e.errors) == len(e.findings) == 1
    assert "nope" in str(e)


def test_a_bad_field_names_the_file_entity_and_field(tiny_copy):
    path = tiny_copy / "system" / "hydros.json"
    data = json.loads(path.read_text())
    data["hydros"][0]["reservoir"]["max_storage_hm3"] = -5.0
    path.write_text(json.dumps(data))
    with pytest.raises(cobre.ValidationError) as info:
        cobre.load_case(tiny_copy)
    e = info.value
    assert e.context["file"] == "system/hydros.json"
    assert "max_storage_hm3" in e.context.get("path", "") + e.context.get("field", "")
    assert all(f.severity == "error" for f in e.errors)


def test_every_error_of_a_case_is_carried_by_the_exception(tiny_copy):
    (tiny_copy / "system" / "thermals.json").unlink()
    (tiny_copy / "system" / "buses.json").unlink()
    with pytest.raises(cobre.ValidationError) as info:
        cobre.load_case(tiny_copy)
    assert len(info.value.errors) >= 2
    assert "more error" in info.value.message


@pytest.mark.parametrize(
    ("kind", "cls", "builtin"),
    [
        ("Validation", cobre.ValidationError, ValueError),
        ("Stochastic", cobre.ValidationError, ValueError),
        ("Io", cobre.IOError, OSError),
        ("Solver", cobre.SolverError, RuntimeError),
        ("Sddp", cobre.SolverError, RuntimeError),
        ("Interrupted", cobre.CobreError, Exception),
    ],
)
def test_each_rust_error_kind_maps_to_its_exception_class(kind, cls, builtin):
    with pytest.raises(cls) as info:
        _cobre._raise_for_tests(kind)
    e = info.value
    assert isinstance(e, builtin) and isinstance(e, cobre.CobreError)
    assert isinstance(e.kind, str) and e.kind
    assert isinstance(e.context, dict)
    assert e.message


def test_io_errors_carry_the_file_name_and_errno():
    with pytest.raises(cobre.IOError) as info:
        _cobre._raise_for_tests("Io")
    assert info.value.filename == "/nonexistent/file"
    assert info.value.context["path"] == "/nonexistent/file"
    assert info.value.kind == "Io"


def test_solver_errors_have_stage_iteration_scenario_and_status_attributes():
    with pytest.raises(cobre.SolverError) as info:
        _cobre._raise_for_tests("Solver")
    e = info.value
    assert (e.stage, e.iteration, e.scenario) == (2, 3, 1)
    assert e.solver_status == "infeasible"
    assert e.context == {
        "phase": "backward",
        "stage": 2,
        "iteration": 3,
        "scenario": 1,
        "opening": 4,
    }


def test_engine_errors_map_to_worker_and_validation_classes():
    with pytest.raises(cobre.WorkerError):
        _cobre._raise_for_tests("Worker")
    with pytest.raises(cobre.ValidationError) as info:
        _cobre._raise_for_tests("Setting")
    assert "threads" in info.value.message


def test_a_rust_panic_becomes_cobre_error_internal_panic_not_an_abort():
    with pytest.raises(cobre.CobreError) as info:
        _cobre._raise_for_tests("Panic")
    assert info.value.kind == "InternalPanic"
    assert "deliberate panic" in info.value.message
    # The interpreter is still fine.
    assert cobre.validate("/nonexistent").valid is False


def test_a_panic_in_a_subprocess_exits_cleanly_with_the_exception():
    code = (
        "import cobre, sys\n"
        "from cobre import _cobre\n"
        "try:\n"
        "    _cobre._raise_for_tests('Panic')\n"
        "except cobre.CobreError as e:\n"
        "    print(e.kind)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "InternalPanic"


def test_exceptions_can_be_raised_from_python_with_keywords():
    e = cobre.SolverError("boom", kind="Solver", context={"stage": 1}, stage=1, iteration=3)
    assert (e.stage, e.iteration, e.context) == (1, 3, {"stage": 1})
    assert str(e).startswith("[Solver] boom")
    assert isinstance(cobre.IOError("x"), OSError)
