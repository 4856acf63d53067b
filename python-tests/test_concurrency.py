"""The GIL is released while Rust computes; Ctrl-C stops train() cleanly."""

from __future__ import annotations

import _thread
import signal
import threading
import time

import numpy as np
import pytest

import cobre
from conftest import example, iterations, scenarios

LONG = {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": 100_000}, {"type": "time_limit", "seconds": 120}]}}


@pytest.fixture(scope="module")
def valley():
    return cobre.load_case(example("valley"))


class Ticker(threading.Thread):
    """A pure-Python thread that records when it gets to run."""

    def __init__(self):
        super().__init__(daemon=True)
        self.ticks: list[float] = []
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            self.ticks.append(time.perf_counter())
            time.sleep(0.001)


def ticks_during(fn):
    t = Ticker()
    t.start()
    time.sleep(0.02)
    start = time.perf_counter()
    out = fn()
    end = time.perf_counter()
    t.done.set()
    t.join()
    return out, sum(start <= x <= end for x in t.ticks), end - start


def test_a_second_python_thread_keeps_running_while_train_works(valley):
    result, ticks, elapsed = ticks_during(lambda: cobre.train(valley, iterations(15)))
    assert result.iterations == 15
    assert elapsed > 0.05
    # With the GIL held the ticker could not run at all during the call.
    assert ticks >= 0.3 * elapsed / 0.0011, (ticks, elapsed)


def test_a_second_python_thread_keeps_running_during_simulate_and_evaluate_batch(valley):
    policy = cobre.train(valley, iterations(5)).policy
    _, ticks, elapsed = ticks_during(lambda: cobre.simulate(valley, policy, scenarios(200)))
    assert ticks >= 0.3 * elapsed / 0.0011, (ticks, elapsed)
    states = np.random.default_rng(0).uniform(0, 300, size=(300_000, policy.n_state))
    _, ticks, elapsed = ticks_during(lambda: policy.evaluate_batch(states))
    if elapsed > 0.05:
        assert ticks >= 0.2 * elapsed / 0.0011, (ticks, elapsed)


def test_two_trainings_run_in_parallel_threads(valley):
    results = {}

    def work(k):
        results[k] = cobre.train(valley, iterations(6))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results[0].final_lower_bound == results[1].final_lower_bound


def test_the_progress_callback_runs_on_the_calling_thread_even_off_the_main_thread(valley):
    seen = []
    box = {}

    def work():
        box["r"] = cobre.train(valley, iterations(3), lambda d: seen.append(threading.get_ident()))
        box["tid"] = threading.get_ident()

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert seen == [box["tid"]] * 3


def interrupt_after(seconds, how):
    def fire():
        if how == "interrupt_main":
            _thread.interrupt_main()
        else:
            signal.raise_signal(signal.SIGINT)

    timer = threading.Timer(seconds, fire)
    timer.start()
    return timer


@pytest.mark.parametrize("how", ["interrupt_main", "raise_signal"])
def test_ctrl_c_during_train_stops_at_an_iteration_boundary_with_the_partial_policy(valley, how):
    timer = interrupt_after(0.5, how)
    start = time.perf_counter()
    with pytest.raises(KeyboardInterrupt) as info:
        cobre.train(valley, LONG)
    elapsed = time.perf_counter() - start
    timer.join()
    assert elapsed < 10, "the interrupt must stop training promptly"
    partial = info.value.partial_result
    assert isinstance(partial, cobre.TrainingResult)
    assert partial.iterations >= 1
    assert partial.termination_reason == "interrupted"
    assert partial.policy.num_cuts > 0
    assert partial.convergence_arrow.num_rows == partial.iterations
    # The partial policy is usable.
    assert cobre.simulate(valley, partial.policy, scenarios(2)).scenarios == 2


def test_ctrl_c_during_simulate_raises_keyboard_interrupt_with_results_so_far(valley):
    policy = cobre.train(valley, iterations(3)).policy
    timer = interrupt_after(0.3, "interrupt_main")
    with pytest.raises(KeyboardInterrupt) as info:
        cobre.simulate(valley, policy, scenarios(1_000_000))
    timer.join()
    partial = info.value.partial_result
    assert partial.interrupted and 0 < partial.scenarios < 1_000_000
