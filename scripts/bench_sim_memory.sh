#!/usr/bin/env bash
# Peak memory of a whole study (train + simulate streaming to Parquet) from
# Python, with 200 and with 2,000 simulated scenarios: the simulation
# writes each output partition as soon as it is complete, so the peak must
# not grow with the number of scenarios (within 10 %).
#
#   ./scripts/bench_sim_memory.sh [CASE]      default ../shared/cases/4ree
#
# Measured with /usr/bin/time -v (maximum resident set size of the Python
# process). Needs the wheel installed in .venv (./scripts/test.sh --python).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$COBRE_ROOT"

case_dir="${1:-$COBRE_ROOT/../shared/cases/4ree}"
work="$(mktemp -d "${TMPDIR:-/tmp}/cobre-bench-mem.XXXXXX")"
trap 'rm -rf "$work"' EXIT

declare -A peak
for n in 200 2000; do
    /usr/bin/time -v "$COBRE_VENV/bin/python" -c "
import sys, cobre
s = cobre.run_study(sys.argv[1], sys.argv[2], threads=1, num_scenarios=int(sys.argv[3]))
print('scenarios', s['simulated_scenarios'], 'mean cost', s['mean_cost'])
" "$case_dir" "$work/out-$n" "$n" 2>"$work/time-$n.txt"
    peak[$n]=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$work/time-$n.txt")
    echo "$n scenarios: peak RSS ${peak[$n]} kB"
done
python3 - "${peak[200]}" "${peak[2000]}" <<'PY'
import sys
a, b = int(sys.argv[1]), int(sys.argv[2])
growth = (b - a) / a
print(f"peak RSS 200 -> 2000 scenarios: {a / 1024:.1f} MiB -> {b / 1024:.1f} MiB ({100 * growth:+.1f} %)")
sys.exit(0 if growth <= 0.10 else 1)
PY
