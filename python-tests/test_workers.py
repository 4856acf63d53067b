"""Worker processes: train/simulate with num_workers over shared memory and
TCP, bit-identical to one process; failures, Ctrl-C and a dead parent leave
no process behind."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
import types
from pathlib import Path

import pytest

import cobre
from conftest import example, iterations, scenarios

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX process control")

LONG = {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": 100_000},
                                         {"type": "time_limit", "seconds": 120}]}}


@pytest.fixture(scope="module")
def valley():
    return cobre.load_case(example("valley"))


@pytest.fixture(scope="module")
def one_process(valley):
    return cobre.train(valley, iterations(6), threads=1)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("backend", ["auto", "shm", "tcp"])
def test_training_on_two_workers_is_bit_identical_to_one_process(valley, one_process, backend):
    r = cobre.train(valley, iterations(6), threads=1, num_workers=2, backend=backend)
    assert r.final_lower_bound == one_process.final_lower_bound
    assert r.final_upper_bound == one_process.final_upper_bound
    assert r.iterations == 6 and r.termination_reason == "iteration_limit"
    assert r.total_cuts == one_process.total_cuts
    assert [w.rank for w in r.workers] == [0, 1]
    assert {w.backend for w in r.workers} == {"tcp" if backend == "tcp" else "shm"}
    assert one_process.workers is None


def test_two_workers_accept_overrides_given_as_a_read_only_mapping(valley, one_process):
    r = cobre.train(valley, types.MappingProxyType(iterations(6)), threads=1, num_workers=2)
    assert r.final_lower_bound == one_process.final_lower_bound


def test_auto_picks_tcp_when_a_coordinator_is_named(valley, one_process, monkeypatch):
    monkeypatch.setenv("COBRE_TCP_COORDINATOR", "127.0.0.1")
    r = cobre.train(valley, iterations(6), threads=1, num_workers=2)
    assert r.workers[0].backend == "tcp"
    assert r.final_lower_bound == one_process.final_lower_bound


def test_simulation_on_two_workers_has_the_mean_cost_of_one_process(valley, one_process, tmp_path):
    one = cobre.simulate(valley, one_process.policy, scenarios(30), threads=1)
    two = cobre.simulate(valley, one_process.policy, scenarios(30), threads=1, num_workers=2,
                         backend="shm", scenarios_per_partition=10)
    assert two.scenarios == 30
    assert two.mean_cost == one.mean_cost
    assert two.costs.equals(one.costs)
    streamed = cobre.simulate(valley, one_process.policy, scenarios(30), output_dir=tmp_path,
                              num_workers=2, backend="tcp", scenarios_per_partition=10)
    assert streamed.mean_cost == one.mean_cost and not streamed.in_memory
    assert len({p.parent.name for p in streamed.output_files}) == 3  # three partitions
    assert streamed.hydros.num_rows == one.hydros.num_rows


def test_progress_events_of_workers_carry_their_worker_id(valley):
    seen = []
    cobre.train(valley, iterations(3), seen.append, threads=1, num_workers=2)
    assert [(e.phase, e.iteration, e.worker_id) for e in seen] == [
        ("training", i, 0) for i in (1, 2, 3)]
    sim = []
    policy = cobre.train(valley, iterations(2)).policy
    cobre.simulate(valley, policy, scenarios(20), sim.append, num_workers=2,
                   scenarios_per_partition=10)
    assert {e.worker_id for e in sim} == {0, 1}
    assert all(e.phase == "simulation" for e in sim)


def test_a_callback_returning_true_stops_every_worker(valley):
    r = cobre.train(valley, LONG, lambda e: e.iteration >= 2, threads=1, num_workers=2)
    assert r.iterations == 2 and r.termination_reason == "callback"


def test_an_unknown_backend_or_worker_count_is_refused(valley):
    with pytest.raises(cobre.CobreError) as info:
        cobre.train(valley, num_workers=2, backend="mpi")
    assert info.value.kind == "InvalidEnum"
    with pytest.raises(cobre.ValidationError):
        cobre.simulate(valley, None, num_workers=0)


def test_bad_overrides_fail_in_the_parent_before_any_worker_starts(valley):
    before = len(multiprocessing.active_children())
    with pytest.raises(cobre.ValidationError) as info:
        cobre.train(valley, {"training": {"stoping_rules": []}}, num_workers=2)
    assert info.value.kind == "SchemaViolation"
    assert len(multiprocessing.active_children()) == before


@pytest.mark.parametrize("backend", ["shm", "tcp"])
def test_a_killed_worker_raises_worker_error_within_seconds_and_leaves_no_process(valley, backend):
    state: dict = {}

    def kill_worker_1(event):
        if event.iteration == 2 and "pids" not in state:
            workers = {p.name: p.pid for p in multiprocessing.active_children()
                       if p.name.startswith("cobre-worker-")}
            state["pids"] = list(workers.values())
            os.kill(workers["cobre-worker-1"], signal.SIGKILL)
            state["t"] = time.monotonic()

    with pytest.raises(cobre.WorkerError) as info:
        cobre.train(valley, LONG, kill_worker_1, threads=1, num_workers=2, backend=backend)
    elapsed = time.monotonic() - state["t"]
    e = info.value
    assert isinstance(e, RuntimeError)
    assert e.kind == "WorkerFailed"
    assert e.rank == 1 and e.exit_code == -signal.SIGKILL
    assert elapsed < 10, elapsed
    assert not [pid for pid in state["pids"] if alive(pid)]


SCRIPT = textwrap.dedent(
    """
    import os, sys, multiprocessing, cobre
    LONG = {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": 100000},
                                             {"type": "time_limit", "seconds": 120}]}}

    def report(event):
        if event.iteration == 1:
            pids = [p.pid for p in multiprocessing.active_children()
                    if p.name.startswith("cobre-worker-")]
            print("PIDS", *pids, flush=True)

    if __name__ == "__main__":
        try:
            r = cobre.train(sys.argv[1], LONG, report, threads=1, num_workers=2,
                            backend=sys.argv[2])
            print("DONE", r.iterations, flush=True)
        except KeyboardInterrupt as e:
            print("INTERRUPTED", e.partial_result.iterations, e.partial_result.termination_reason,
                  flush=True)
            sys.exit(130)
    """
)


def start_script(tmp_path: Path, backend: str) -> tuple[subprocess.Popen, list[int]]:
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), str(example("valley")), backend],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("PIDS"), (line, proc.stderr.read() if proc.poll() is not None else "")
    return proc, [int(x) for x in line.split()[1:]]


def wait_gone(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = [p for p in pids if alive(p)]
        if not left:
            return []
        time.sleep(0.1)
    return [p for p in pids if alive(p)]


def test_ctrl_c_stops_the_workers_and_raises_keyboard_interrupt_with_the_result(tmp_path):
    proc, pids = start_script(tmp_path, "shm")
    assert len(pids) == 2
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    words = out.split()
    assert words[0] == "INTERRUPTED" and int(words[1]) >= 1 and words[2] == "interrupted", out
    assert wait_gone(pids, 10) == []


def test_workers_exit_when_the_parent_is_killed(tmp_path):
    proc, pids = start_script(tmp_path, "tcp")
    proc.kill()
    proc.wait(timeout=10)
    assert wait_gone(pids, 10) == []
