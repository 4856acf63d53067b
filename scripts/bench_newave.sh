#!/usr/bin/env bash
# Whole-study benchmark at production scale: `cobre run` on the converted
# NEWAVE deck (../shared/cases-real/newave_mini: 159 hydros, 113 monthly
# stages, 5 iterations of 4 forward passes, 50 simulated scenarios), timed
# with /usr/bin/time. Prints load, training, simulation and wall seconds,
# the lower bound of every iteration, LP solves and peak memory (RSS).
#
#   ./scripts/bench_newave.sh [THREADS]          default: 2 threads
#
# Side by side with another solver: set COBRE_REF_PYTHON to a Python that
# has it installed (for example a venv with cobre-python==0.18.0); it runs
# right after ours on the same machine, timed the same way (its training
# and simulation seconds from its metadata files). The project never
# depends on it. A whole run takes about 10 minutes per solver on 2 cores.
#
#   COBRE_REF_PYTHON=/work/ref/bin/python ./scripts/bench_newave.sh 2
#
# COBRE_NEWAVE_CASE points at another copy of the deck; COBRE_NEWAVE_ITERATIONS=N
# trains N iterations instead of the case's 5 and skips the simulation (a
# quick look; the case folder is then copied with an edited config.json).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$COBRE_ROOT"

threads="${1:-2}"
case_dir="${COBRE_NEWAVE_CASE:-$COBRE_ROOT/../shared/cases-real/newave_mini}"
if [ ! -d "$case_dir" ]; then
    log "no case at $case_dir (set COBRE_NEWAVE_CASE)"; exit 1
fi
setup_all
log "building cobre (release)"
cargo build --release --locked -q -p cobre-cli
bin="$CARGO_TARGET_DIR/release/cobre"
work="$(mktemp -d "${TMPDIR:-/tmp}/cobre-bench-newave.XXXXXX")"
trap 'rm -rf "$work"' EXIT
py="$COBRE_VENV/bin/python"

if [ -n "${COBRE_NEWAVE_ITERATIONS:-}" ]; then
    mkdir -p "$work/case"
    for f in "$case_dir"/*; do
        [ "$(basename "$f")" = config.json ] || ln -s "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")" "$work/case/"
    done
    "$py" - "$case_dir/config.json" "$work/case/config.json" "$COBRE_NEWAVE_ITERATIONS" <<'EOF'
import json, sys
config = json.load(open(sys.argv[1]))
config["training"]["stopping_rules"] = [{"type": "iteration_limit", "limit": int(sys.argv[3])}]
config.setdefault("simulation", {})["enabled"] = False
json.dump(config, open(sys.argv[2], "w"), indent=2)
EOF
    case_dir="$work/case"
fi

# Peak RSS in MB from a /usr/bin/time -v log.
peak_mb() { awk '/Maximum resident set size/ {printf "%.0f", $NF / 1024}' "$1"; }

log "cobre: $case_dir on $threads thread(s)"
/usr/bin/time -v "$bin" run "$case_dir" -o "$work/ours" --threads "$threads" --json \
    >"$work/ours.json" 2>"$work/ours.time"
"$py" - "$work/ours.json" "$(peak_mb "$work/ours.time")" "$work/ours/training/convergence.parquet" <<'EOF'
import json, sys
run = json.load(open(sys.argv[1]))
t = run["timings_s"]
print(f"cobre: load {t.get('load', 0):.1f} s, train {t.get('train', 0):.1f} s, "
      f"simulate {t.get('simulate', 0):.1f} s, total {t.get('total', 0):.1f} s, "
      f"peak RSS {sys.argv[2]} MB, {run['training']['lp_solves']} LP solves, "
      f"{run.get('lp_solver', 'HiGHS')}")
try:
    import pyarrow.parquet as pq
    lb = pq.read_table(sys.argv[3]).column("lower_bound").to_pylist()
    print("cobre lower bounds: " + ", ".join(f"{v:,.0f}" for v in lb))
except Exception as e:  # the table is optional here
    print(f"cobre lower bounds: not read ({e})")
EOF

if [ -n "${COBRE_REF_PYTHON:-}" ]; then
    log "reference: $case_dir on $threads thread(s)"
    /usr/bin/time -v "$COBRE_REF_PYTHON" -c \
        'import sys, cobre.run; cobre.run.run(sys.argv[1], output_dir=sys.argv[2], threads=int(sys.argv[3]))' \
        "$case_dir" "$work/ref" "$threads" >/dev/null 2>"$work/ref.time"
    "$py" - "$work/ref" "$(peak_mb "$work/ref.time")" "$(awk -F': ' '/Elapsed/ {print $2}' "$work/ref.time")" <<'EOF'
import json, os, sys
out = sys.argv[1]
def seconds(part):
    path = os.path.join(out, part, "metadata.json")
    return json.load(open(path))["duration_seconds"] if os.path.exists(path) else 0.0
print(f"reference: train {seconds('training'):.1f} s, simulate {seconds('simulation'):.1f} s, "
      f"wall {sys.argv[3]}, peak RSS {sys.argv[2]} MB")
try:
    import pyarrow.parquet as pq
    lb = pq.read_table(os.path.join(out, "training", "convergence.parquet")).column("lower_bound").to_pylist()
    print("reference lower bounds: " + ", ".join(f"{v:,.0f}" for v in lb))
except Exception as e:
    print(f"reference lower bounds: not read ({e})")
EOF
fi
