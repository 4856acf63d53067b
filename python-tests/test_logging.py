"""Rust `tracing` events reach Python's `logging` under the "cobre" logger."""

from __future__ import annotations

import logging

import numpy as np

import cobre
from conftest import shared_case


def test_warnings_of_the_case_reader_reach_the_cobre_logger(caplog):
    with caplog.at_level(logging.WARNING, logger="cobre"):
        cobre.load_case(shared_case("d02-single-hydro"))
    records = [r for r in caplog.records if r.name.startswith("cobre")]
    assert records, "the penalty-ordering warnings of d02 should be logged"
    assert all(r.levelno == logging.WARNING for r in records)
    assert any("PenaltyConsistency" in r.getMessage() for r in records)


def test_debug_events_are_forwarded_only_when_the_level_allows(caplog):
    with caplog.at_level(logging.WARNING, logger="cobre"):
        cobre.validate(shared_case("d01-thermal-dispatch"))
    assert not [r for r in caplog.records if r.levelno < logging.WARNING]
    with caplog.at_level(logging.DEBUG, logger="cobre"):
        cobre.validate(shared_case("d01-thermal-dispatch"))
    debug = [r for r in caplog.records if r.levelno == logging.DEBUG and r.name.startswith("cobre")]
    assert any("validation layer done" in r.getMessage() for r in debug)


def test_events_from_a_call_that_releases_the_gil_are_flushed_at_its_end(caplog):
    with caplog.at_level(logging.WARNING, logger="cobre"):
        cobre.sample_noise(100, np.array([[1.0, 0.99, 0.0], [0.99, 1.0, 0.99], [0.0, 0.99, 1.0]]))
    assert any("nearest correlation" in r.getMessage() for r in caplog.records)
