"""Errors: each kind raises its class, with kind, message and context."""

from __future__ import annotations

import json

import pytest

import cobre
from cobre import _cobre
from conftest import example, shared_case


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


def test_a_missing_policy_folder_is_an_io_error_with_the_file_name(tmp_path):
    missing = tmp_path / "no-policy"
    with pytest.raises(cobre.IOError) as info:
        cobre.Policy.load(missing)
    e = info.value
    assert isinstance(e, OSError) and isinstance(e, cobre.CobreError)
    assert e.kind == "OutputNotFound"
    assert str(missing) in e.filename
    assert e.context["path"] == e.filename


def test_a_corrupted_policy_file_is_an_io_error_of_kind_output_corrupted(tmp_path):
    case = cobre.load_case(example("tiny"))
    policy = cobre.train(case).policy
    policy.save(tmp_path / "p", case)
    victim = next(p for p in sorted((tmp_path / "p").rglob("*")) if p.is_file() and p.suffix == ".parquet")
    victim.write_bytes(victim.read_bytes()[:20])
    with pytest.raises(cobre.IOError) as info:
        cobre.Policy.load(tmp_path / "p", case)
    assert info.value.kind == "OutputCorrupted"


def test_a_policy_of_another_case_is_a_validation_error_of_kind_policy_incompatible():
    case = cobre.load_case(shared_case("d03-two-hydro-cascade"))
    other = cobre.train(cobre.load_case(shared_case("d02-single-hydro"))).policy
    with pytest.raises(cobre.ValidationError) as info:
        cobre.simulate(case, other)
    assert info.value.kind == "PolicyIncompatible"


def test_bad_arguments_are_validation_errors_of_registry_kinds():
    with pytest.raises(cobre.ValidationError) as info:
        cobre.train(example("tiny"), threads=0)
    assert info.value.kind == "OutOfRange"
    with pytest.raises(cobre.ValidationError) as info:
        cobre.train(example("tiny"), progress_callback=3)
    assert info.value.kind == "TypeMismatch"
    with pytest.raises(cobre.ValidationError) as info:
        cobre.train(42)
    assert info.value.kind == "TypeMismatch"


def test_the_shipped_module_has_no_test_only_functions():
    names = [n for n in dir(_cobre) if n.startswith("_") and not n.startswith("__")]
    assert not [n for n in names if "test" in n or "native" in n], names


def test_exceptions_can_be_raised_from_python_with_keywords():
    e = cobre.SolverError("boom", context={"stage": 1}, stage=1, iteration=3)
    assert (e.stage, e.iteration, e.context) == (1, 3, {"stage": 1})
    assert str(e).startswith("[SolverFailure] boom")
    w = cobre.WorkerError("gone", rank=1, exit_code=-9)
    assert (w.rank, w.exit_code, w.inner, w.kind) == (1, -9, None, "WorkerFailed")
    assert isinstance(cobre.IOError("x"), OSError)
