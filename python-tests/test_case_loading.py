"""Loading and validating cases: every shared case, the Case object's views."""

from __future__ import annotations

import datetime
import types

import pytest

import cobre
from conftest import ALL_SHARED_CASES, example, shared_case


def test_the_shared_cases_are_found_next_to_the_repository():
    assert len(ALL_SHARED_CASES) >= 30


@pytest.mark.parametrize("name", ALL_SHARED_CASES)
def test_every_shared_case_validates_without_errors(name):
    result = cobre.validate(shared_case(name))
    assert result.valid, [str(e) for e in result.errors]
    assert bool(result) is True
    assert result.errors == []
    assert result.layers_completed == ["structural", "schema", "referential", "dimensional", "semantic"]


@pytest.mark.parametrize("name", ALL_SHARED_CASES)
def test_every_shared_case_loads_into_a_case_with_its_entities(name):
    case = cobre.load_case(shared_case(name))
    assert case.n_stages == len(case.stages) > 0
    assert len(case.buses) >= 1
    for h in case.hydros:
        assert isinstance(h, cobre.Hydro)
        assert h.min_storage_hm3 <= h.max_storage_hm3
    for t in case.thermals:
        assert t.min_generation_mw <= t.max_generation_mw
    assert set(case.topology["network"]["buses"]) == {b.id for b in case.buses}


def test_case_loader_load_and_load_case_give_the_same_case():
    a = cobre.CaseLoader.load(shared_case("d03-two-hydro-cascade"))
    b = cobre.load_case(str(shared_case("d03-two-hydro-cascade")))
    assert [h.to_dict() for h in a.hydros] == [h.to_dict() for h in b.hydros]
    assert a.path == b.path


def test_entities_expose_the_spec_fields_with_units():
    case = cobre.load_case(shared_case("d04-transmission"))
    line = case.lines[0]
    for field in ("id", "name", "source_bus_id", "target_bus_id", "direct_capacity_mw",
                  "reverse_capacity_mw", "losses_percent", "exchange_cost_per_mwh"):
        assert hasattr(line, field)
    thermal = case.thermals[0]
    assert thermal.bus_id in {b.id for b in case.buses}
    assert thermal.cost_per_mwh == thermal.to_dict()["cost_per_mwh"]
    bus = case.buses[0]
    assert isinstance(bus.deficit_segments, list) and bus.deficit_segments[-1][0] is None


def test_hydro_cascade_appears_in_the_topology_by_id():
    case = cobre.load_case(shared_case("d03-two-hydro-cascade"))
    cascade = case.topology["cascade"]
    up, down = case.hydros[0], case.hydros[1]
    assert up.downstream_id == down.id
    assert cascade["downstream"][up.id] == down.id
    assert cascade["upstream"][down.id] == [up.id]
    assert cascade["topological_order"].index(up.id) < cascade["topological_order"].index(down.id)


def test_stages_have_dates_blocks_and_openings():
    case = cobre.load_case(example("valley"))
    s = case.stages[0]
    assert isinstance(s.start_date, datetime.date) and s.start_date < s.end_date
    assert s.num_openings == 20
    assert s.total_hours == pytest.approx(sum(b[2] for b in s.blocks))
    assert s.index == 0


def test_config_is_a_read_only_mapping_of_the_settings():
    case = cobre.load_case(shared_case("d02-single-hydro"))
    cfg = case.config
    assert isinstance(cfg, types.MappingProxyType)
    assert cfg["training"]["stopping_rules"][0] == {"type": "iteration_limit", "limit": 10}
    with pytest.raises(TypeError):
        cfg["training"] = {}


def test_validate_reports_warnings_as_records_with_kind_message_context_suggestion():
    result = cobre.validate(shared_case("d02-single-hydro"))
    assert result.warnings, "d02 has penalty-ordering warnings"
    w = result.warnings[0]
    assert isinstance(w, cobre.Finding)
    assert w.severity == "warning"
    assert w.kind in {"PenaltyConsistency", "StageMismatch"}
    assert isinstance(w.message, str) and w.message
    assert isinstance(w.context, dict) and "layer" in w.context
    assert w.suggestion is None or isinstance(w.suggestion, str)
    assert result.to_dict()["warnings"][0]["kind"] == w.kind


def test_validate_never_raises_for_a_broken_case_and_lists_every_error(tiny_copy):
    (tiny_copy / "system" / "thermals.json").unlink()
    (tiny_copy / "stages.json").write_text("{ not json")
    result = cobre.validate(tiny_copy)
    assert not result.valid
    kinds = {e.kind for e in result.errors}
    assert {"MissingFile", "ParseError"} <= kinds
    files = {e.context.get("file") for e in result.errors}
    assert {"system/thermals.json", "stages.json"} <= files
