"""Training time of 4ree from Python: worker processes against threads.

    .venv/bin/python scripts/bench_workers.py [CASE] [--iterations N] [--repeats R]

Runs, side by side and best of R (default 3), ``cobre.train`` of the case
(default ``../shared/cases/4ree``) with:

* 1 worker × 1 thread (one process, the baseline),
* 1 worker × 2 threads (one process, two rayon threads),
* 2 workers × 1 thread over shared memory (``backend="shm"``),
* 2 workers × 1 thread over TCP (``backend="tcp"``),

each with the case's own stopping rules (or ``--iterations N``), checks
that every configuration reaches the bit-identical lower bound, and prints
a Markdown table (the figures in docs/python-workers.md come from it). The
wall time counts everything the caller waits for, worker start-up
(spawning interpreters, importing cobre, reading the case) included.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cobre

REPO = Path(__file__).resolve().parents[1]

CONFIGS = [
    ("1 worker x 1 thread", dict(threads=1)),
    ("1 worker x 2 threads", dict(threads=2)),
    ("2 workers x 1 thread (shm)", dict(threads=1, num_workers=2, backend="shm")),
    ("2 workers x 1 thread (tcp)", dict(threads=1, num_workers=2, backend="tcp")),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("case", nargs="?", default=str(REPO.parent / "shared" / "cases" / "4ree"))
    ap.add_argument("--iterations", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    overrides = None
    if args.iterations:
        overrides = {"training": {"stopping_rules": [
            {"type": "iteration_limit", "limit": args.iterations}]}}
    case = cobre.load_case(args.case)
    best: dict[str, float] = {}
    bounds: dict[str, float] = {}
    train_ms: dict[str, float] = {}
    iterations = 0
    for rep in range(args.repeats):
        for name, kw in CONFIGS:
            t = time.perf_counter()
            r = cobre.train(case, overrides, **kw)
            wall = time.perf_counter() - t
            iterations = r.iterations
            best[name] = min(best.get(name, float("inf")), wall)
            train_ms[name] = min(train_ms.get(name, float("inf")), r.wall_time_ms)
            bounds[name] = r.final_lower_bound
            print(f"  run {rep + 1}/{args.repeats} {name}: {wall:.2f} s "
                  f"(training loop {r.wall_time_ms / 1e3:.2f} s), LB {r.final_lower_bound!r}",
                  flush=True)
    base = best[CONFIGS[0][0]]
    print()
    print(f"{Path(args.case).name}, {iterations} iterations, best of {args.repeats} "
          f"(wall time seen by the caller; training loop alone in brackets)")
    print()
    print("| configuration | wall (s) | training loop (s) | speed-up | lower bound |")
    print("|---|---:|---:|---:|---|")
    for name, _ in CONFIGS:
        print(f"| {name} | {best[name]:.2f} | {train_ms[name] / 1e3:.2f} | "
              f"{base / best[name]:.2f}x | {bounds[name]!r} |")
    same = len(set(bounds.values())) == 1
    print()
    print("lower bounds bit-identical:", "yes" if same else "NO")
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
