"""Benchmarks of the Python bindings (figures, not timed tests).

    .venv/bin/python python-tests/bench/bench_bindings.py [--calls 1000] [--states 100000]

The native baseline of [1] needs a wheel built with the `bench-helpers`
feature (`maturin build --release -m bindings/python/Cargo.toml --features
bench-helpers`); without it that line is skipped.

1. 1000 × (train + simulate) of examples/tiny: the whole per-call cost seen
   from Python (load once; each call builds the study, trains 3 iterations
   and simulates 2 scenarios). Target: under 5 s in total.
2. Policy.evaluate_batch on 100k states (cost per state), 1 and N threads.
3. Per-call overhead of trivial methods (a getter, get_threads(),
   Policy.evaluate on one state) against a pure-Python method call.
4. Zero-copy checks: cost of Policy.cuts() / OpeningTree.data, which must
   not grow with the array size.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

import cobre

REPO = Path(__file__).resolve().parents[2]


def ITERATIONS(n: int) -> dict:  # noqa: N802 - reads as a constant
    """config_overrides ending training after `n` iterations."""
    return {"training": {"stopping_rules": [{"type": "iteration_limit", "limit": n}]}}


def per_call(fn, n: int) -> float:
    fn()
    t = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t) / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=1000)
    ap.add_argument("--states", type=int, default=100_000)
    args = ap.parse_args()

    print(f"cobre {cobre.__version__}, numpy {np.__version__}, {os.cpu_count()} cores")
    tiny = cobre.load_case(REPO / "examples" / "tiny")

    # 1. train + simulate round trips.
    cobre.simulate(tiny, cobre.train(tiny).policy)

    def loop():
        t = time.perf_counter()
        t_train = 0.0
        for _ in range(args.calls):
            a = time.perf_counter()
            r = cobre.train(tiny)
            t_train += time.perf_counter() - a
            cobre.simulate(tiny, r.policy)
        return time.perf_counter() - t, t_train, r

    total, t_train, r = min((loop() for _ in range(2)), key=lambda x: x[0])
    print(f"[1] {args.calls} x (train + simulate) of examples/tiny: {total:.3f} s total "
          f"({1e3 * total / args.calls:.3f} ms per pair; train {1e3 * t_train / args.calls:.3f} ms, "
          f"simulate {1e3 * (total - t_train) / args.calls:.3f} ms) -> {'OK' if total < 5 else 'OVER'} (< 5 s)")
    native_loop = getattr(cobre._cobre, "_native_train_simulate_loop", None)
    if native_loop is None:
        print("[1] native baseline skipped (build the wheel with --features bench-helpers)")
    else:
        native = min(native_loop(tiny, args.calls) for _ in range(2))
        print(f"[1] the same loop in Rust (no Python in the loop): {native:.3f} s "
              f"-> boundary cost {1e6 * (total - native) / args.calls:.0f} us per pair")

    # 2. evaluate_batch on many states.
    valley = cobre.load_case(REPO / "examples" / "valley")
    policy = cobre.train(valley, ITERATIONS(30)).policy
    cuts0 = len(policy.cuts(0)["intercepts"])
    states = np.random.default_rng(0).uniform(0, 400, size=(args.states, policy.n_state))
    for threads in sorted({1, os.cpu_count() or 1}):
        cobre.set_threads(threads)
        policy.evaluate_batch(states)
        best = min(per_call(lambda: policy.evaluate_batch(states), 1) for _ in range(5))
        print(f"[2] evaluate_batch: {args.states} states x {cuts0} cuts x {policy.n_state} dims, "
              f"{threads} thread(s): {1e3 * best:.2f} ms ({1e9 * best / args.states:.1f} ns/state)")
    cobre.set_threads(1)

    # 3. per-call overhead.
    class Py:
        def n(self):
            return 1

    p = Py()
    n = 200_000
    base = per_call(p.n, n)
    print(f"[3] pure-Python method call:       {1e9 * base:7.1f} ns")
    print(f"[3] Policy.num_cuts (getter):      {1e9 * per_call(lambda: policy.num_cuts, n):7.1f} ns")
    print(f"[3] cobre.get_threads():           {1e9 * per_call(cobre.get_threads, n):7.1f} ns")
    x = states[0]
    print(f"[3] Policy.evaluate(one state):    {1e9 * per_call(lambda: policy.evaluate(x), n // 4):7.1f} ns "
          f"({cuts0} cuts)")
    print(f"[3] TrainingResult.iterations:     {1e9 * per_call(lambda: r.iterations, n):7.1f} ns")

    # 4. zero-copy views: constant cost whatever the size.
    small = cobre.train(tiny, ITERATIONS(2)).policy
    big_run = ITERATIONS(100)
    big_run["training"]["selection"] = {"method": "sampled", "forward_passes": 100}
    big = cobre.train(tiny, big_run).policy
    for name, pol in (("2 cuts", small), (f"{big.num_cuts} cuts", big)):
        pol.cuts(0)
        print(f"[4] Policy.cuts(0) with {name:>11}: {1e6 * per_call(lambda: pol.cuts(0), 20_000):6.2f} us")
    tree = valley.opening_tree
    print(f"[4] OpeningTree.data {tree.shape}: {1e6 * per_call(lambda: tree.data, 20_000):6.2f} us")


if __name__ == "__main__":
    main()
