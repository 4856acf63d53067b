#!/usr/bin/env bash
# Runs every case of ../shared/cases with the `cobre` binary BIN (2 threads)
# and writes scripts/results_digest.py's digest of each run to DIR/<case>.txt.
# Compare two binaries (before and after a change that must not move any
# result): run it for each, then `diff -r DIR1 DIR2` (policy.json lines
# differ by their write time).
# Usage: scripts/digest_cases.sh BIN DIR
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bin="$1"; dir="$2"; mkdir -p "$dir"
python="${here}/.venv/bin/python"
cases="${here}/../shared/cases"
for case in "$cases"/*/; do
    name="$(basename "$case")"
    [ -f "$case/config.json" ] || continue
    out="$(mktemp -d)"
    rc=0; "$bin" run "$case" -o "$out" --threads 2 > /dev/null 2>&1 || rc=$?
    { echo "exit $rc"; "$python" "$here/scripts/results_digest.py" "$out"; } > "$dir/$name.txt"
    rm -rf "$out"
done
