#!/usr/bin/env bash
# End-to-end speed benchmark of one machine: training time of `cobre run`
# on 1dtoy, 4ree (from ../shared/cases, when present) and the generated
# 12-hydro, 36-stage case, on 1 and 2 threads, best of REPEATS runs each,
# with the 1 -> 2 thread speed-up. Prints a Markdown table (the figures in
# docs/performance.md come from it).
#
# The table's last column is this machine's ceiling for that speed-up: two
# one-thread runs of the same case started together (best of REPEATS
# pairs, the slower run of each pair). When two runs that share nothing
# slow each other down (vCPUs that are a host's hyper-threads, a shared
# clock or memory bus), no split of one run's work over two threads can
# gain more than 2 x (one run alone) / (one run of a pair).
#
#   ./scripts/bench.sh [REPEATS]                 default: best of 3
#
# Side by side with another solver: set COBRE_REF_PYTHON to a Python that
# has it installed (for example a venv with cobre-python==0.18.0); each of
# its runs is timed in the same loop as ours, so both see the same machine
# load. The project never depends on it.
#
#   COBRE_REF_PYTHON=/work/ref/bin/python ./scripts/bench.sh 3
#
# COBRE_BENCH_NEWAVE=1 adds the production-scale deck: the whole study of
# ../shared/cases-real/newave_mini on 2 threads (scripts/bench_newave.sh:
# load, training, simulation, wall, peak RSS; with COBRE_REF_PYTHON the
# reference right after). About 7 minutes for ours, 10 for 0.18.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$COBRE_ROOT"

repeats="${1:-3}"
setup_all
log "building cobre (release)"
cargo build --release --locked -q -p cobre-cli
bin="$CARGO_TARGET_DIR/release/cobre"
work="$(mktemp -d "${TMPDIR:-/tmp}/cobre-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT

shared="${COBRE_SHARED_CASES:-$COBRE_ROOT/../shared/cases}"
cases=()
for name in 1dtoy 4ree; do
    if [ -d "$shared/$name" ]; then cases+=("$shared/$name"); fi
done
"$COBRE_VENV/bin/python" examples/generate.py --bench12 "$work/bench12" >/dev/null
cases+=("$work/bench12")
log "LP solver: $("$bin" run "$work/bench12" -o "$work/probe" --threads 1 --json \
    --set 'training.stopping_rules=[{"type":"iteration_limit","limit":1}]' \
    --set 'simulation.enabled=false' 2>/dev/null \
    | "$COBRE_VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["lp_solver"])')"

# Training seconds of one run of ours (from the run's JSON summary), into
# output folder $work/${3:-out}.
ours() {
    local case="$1" threads="$2" out="$work/${3:-out}"
    rm -rf "$out"
    "$bin" run "$case" -o "$out" --threads "$threads" --json 2>/dev/null \
        | "$COBRE_VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["timings_s"]["train"])'
}

# Training seconds of one run of the reference: `duration_seconds` of its
# training/metadata.json.
reference() {
    local case="$1" threads="$2"
    rm -rf "$work/ref"
    "$COBRE_REF_PYTHON" -c 'import sys, cobre.run; cobre.run.run(sys.argv[1], output_dir=sys.argv[2], threads=int(sys.argv[3]))' \
        "$case" "$work/ref" "$threads" >/dev/null 2>&1
    "$COBRE_VENV/bin/python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["duration_seconds"])' \
        "$work/ref/training/metadata.json"
}

# Training seconds of the slower of two one-thread runs of ours started
# together.
paired() {
    local case="$1" a b
    ours "$case" 1 pair-a >"$work/pair-a.s" &
    ours "$case" 1 pair-b >"$work/pair-b.s"
    wait
    a="$(cat "$work/pair-a.s")" b="$(cat "$work/pair-b.s")"
    "$COBRE_VENV/bin/python" -c 'import sys; print(max(float(x) for x in sys.argv[1:]))' "$a" "$b"
}

min() { "$COBRE_VENV/bin/python" -c 'import sys; print(min(float(x) for x in sys.argv[1:]))' "$@"; }
# 2 x (one run alone) / (one run of a pair), as a 1 -> 2 speed-up.
ceiling() { "$COBRE_VENV/bin/python" -c 'import sys; a,b=map(float,sys.argv[1:]); print(f"{2*a/b:.2f}")' "$@"; }
ratio() { "$COBRE_VENV/bin/python" -c 'import sys; a,b=map(float,sys.argv[1:]); print(f"{a/b:.2f}")' "$@"; }

echo "| case | threads | cobre train (s) | speed-up 1→2 |${COBRE_REF_PYTHON:+ reference train (s) | reference / cobre |} machine ceiling 1→2 |"
echo "|---|---|---|---|${COBRE_REF_PYTHON:+---|---|}---|"
for c in "${cases[@]}"; do
    name="$(basename "$c")"
    one=""
    for threads in 1 2; do
        ts=() rs=()
        for _ in $(seq "$repeats"); do
            ts+=("$(ours "$c" "$threads")")
            if [ -n "${COBRE_REF_PYTHON:-}" ]; then rs+=("$(reference "$c" "$threads")"); fi
        done
        best="$(min "${ts[@]}")"
        if [ "$threads" = 1 ]; then one="$best"; speedup="—"; else speedup="$(ratio "$one" "$best")"; fi
        row="| $name | $threads | $best | $speedup |"
        if [ -n "${COBRE_REF_PYTHON:-}" ]; then
            rbest="$(min "${rs[@]}")"
            row="$row $rbest | $(ratio "$rbest" "$best") |"
        fi
        if [ "$threads" = 1 ]; then
            row="$row — |"
        else
            ps=()
            for _ in $(seq "$repeats"); do ps+=("$(paired "$c")"); done
            row="$row $(ceiling "$one" "$(min "${ps[@]}")") |"
        fi
        echo "$row"
    done
done

if [ -n "${COBRE_BENCH_NEWAVE:-}" ]; then
    log "newave_mini, whole study on 2 threads (scripts/bench_newave.sh)"
    "$COBRE_ROOT/scripts/bench_newave.sh" 2
fi
