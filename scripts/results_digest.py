#!/usr/bin/env python3
"""Prints one hash per column of every Parquet file of a run's output folder,
clock columns (times, elapsed) left out, and the hash of `policy.json`. Two
runs of one study with results bit-identical give identical lines except
`policy.json` (it records when it was written). Needs pyarrow (.venv).

Usage: scripts/results_digest.py OUTPUT_DIR
"""
import hashlib
import os
import sys

import pyarrow.parquet as pq


def is_clock(name):
    low = name.lower()
    return (
        "time" in low
        or "elapsed" in low
        or "seconds" in low
        or low.endswith("_s")
        or low.endswith("_ms")
    )


def main(root):
    for folder, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root)
            if name.endswith(".parquet"):
                table = pq.read_table(path)
                for col in table.column_names:
                    if is_clock(col):
                        continue
                    values = repr(table.column(col).to_pylist()).encode()
                    print(f"{rel}:{col} {hashlib.sha256(values).hexdigest()[:16]}")
            elif name == "policy.json":
                with open(path, "rb") as f:
                    print(f"{rel} {hashlib.sha256(f.read()).hexdigest()[:16]}")


if __name__ == "__main__":
    main(sys.argv[1])
