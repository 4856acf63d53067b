#!/usr/bin/env bash
# newave_mini on a reduced horizon where SDDP converges: the first N
# monthly stages (default 12) with one opening per stage, in-sample forward
# passes (one per iteration) and 40 iterations, so that the forward cost is
# an exact upper bound and the bounds must close on the optimum of the
# reduced deck. Runs it with the deck's cut selection (LML1) and without,
# and prints the lower and upper bounds of iterations 1, 2, 5, 10, 20, 40.
# With COBRE_REF_PYTHON (a Python with cobre-python==0.18.0) the reference
# runs the same two variants side by side. About four minutes on 2 threads
# (plus about two for the reference).
#
#   ./scripts/compare_reduced_newave.sh [STAGES] [THREADS]
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$COBRE_ROOT"

stages="${1:-12}"
threads="${2:-2}"
setup_all
log "building cobre (release)"
cargo build --release --locked -q -p cobre-cli
bin="$CARGO_TARGET_DIR/release/cobre"
deck="${COBRE_REAL_CASES:-$COBRE_ROOT/../shared/cases-real}/newave_mini"
[ -d "$deck" ] || { echo "no deck at $deck" >&2; exit 1; }
work="$(mktemp -d "${TMPDIR:-/tmp}/cobre-reduced.XXXXXX")"
trap 'rm -rf "$work"' EXIT

common=('training.stopping_rules=[{"type":"iteration_limit","limit":40}]'
    'training.selection.forward_passes=1'
    'training.scenario_source.inflow.scheme="in_sample"'
    'simulation.enabled=false' 'exports.stochastic=false')
"$COBRE_VENV/bin/python" scripts/reduce_case.py "$deck" "$work/lml1" "$stages" --openings 1 "${common[@]}"
"$COBRE_VENV/bin/python" scripts/reduce_case.py "$deck" "$work/none" "$stages" --openings 1 "${common[@]}" \
    'training.cut_selection=DELETE'

for variant in lml1 none; do
    log "cobre: $stages stages, cut selection $variant"
    "$bin" run "$work/$variant" -o "$work/out-cobre-$variant" --threads "$threads" \
        >/dev/null 2>"$work/cobre-$variant.err"
    if [ -n "${COBRE_REF_PYTHON:-}" ]; then
        log "reference: $stages stages, cut selection $variant"
        "$COBRE_REF_PYTHON" -c 'import sys, cobre.run; cobre.run.run(sys.argv[1], output_dir=sys.argv[2], threads=int(sys.argv[3]))' \
            "$work/$variant" "$work/out-ref-$variant" "$threads" >/dev/null 2>"$work/ref-$variant.err"
    fi
done

"$COBRE_VENV/bin/python" - "$work" "$stages" <<'PY'
import os, sys
import pyarrow.parquet as pq
work, stages = sys.argv[1], sys.argv[2]
print(f"## newave_mini, first {stages} stages, 1 opening, in-sample (exact upper bound)\n")
print("| solver | cut selection | iteration | lower bound | upper bound |")
print("|---|---|---:|---:|---:|")
finals = {}
for solver in ("cobre", "ref"):
    for variant in ("lml1", "none"):
        path = f"{work}/out-{solver}-{variant}/training/convergence.parquet"
        if not os.path.exists(path):
            continue
        t = pq.read_table(path).to_pydict()
        for i in (1, 2, 5, 10, 20, 40):
            if i <= len(t["iteration"]):
                print(f"| {solver} | {variant} | {i} | {t['lower_bound'][i-1]:,.0f} | {t['upper_bound'][i-1]:,.0f} |")
        finals[(solver, variant)] = t["lower_bound"][-1]
if ("cobre", "none") in finals and ("ref", "none") in finals:
    a, b = finals[("cobre", "none")], finals[("ref", "none")]
    print(f"\nfinal lower bounds without cut selection: cobre {a:,.0f}, reference {b:,.0f} ({(a / b - 1) * 100:+.3f} %)")
PY
