#!/usr/bin/env bash
# The real NEWAVE deck end to end: `cobre validate` and the full
# `cobre run ../shared/cases-real/newave_mini -o OUT --threads 2` (5
# iterations, 4 forward passes, 50 simulated scenarios), timed with
# /usr/bin/time -v, and its lower bound per iteration beside Cobre 0.18's
# (same seeds). Prints a Markdown report. Takes about ten minutes.
#
#   ./scripts/bench_real.sh [THREADS]            default: 2
#
# COBRE_REAL_CASES points at another folder of decks (default
# ../shared/cases-real). The 0.18 figures are those of the folder's README.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$COBRE_ROOT"

threads="${1:-2}"
setup_all
log "building cobre (release)"
cargo build --release --locked -q -p cobre-cli
bin="$CARGO_TARGET_DIR/release/cobre"
decks="${COBRE_REAL_CASES:-$COBRE_ROOT/../shared/cases-real}"
case="$decks/newave_mini"
[ -d "$case" ] || { echo "no deck at $case" >&2; exit 1; }
work="$(mktemp -d "${TMPDIR:-/tmp}/cobre-real.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Peak resident set (MB) and wall seconds of a `/usr/bin/time -v` log.
peak_mb() { awk '/Maximum resident set size/ {printf "%.0f", $NF/1024}' "$1"; }
wall_s() {
    awk -F': ' '/Elapsed \(wall clock\)/ {
        n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.1f", s }' "$1"
}

log "cobre validate"
/usr/bin/time -v "$bin" validate "$case" >"$work/validate.out" 2>"$work/validate.time" \
    && validate_rc=0 || validate_rc=$?

log "cobre run (threads: $threads)"
COBRE_LOG=info /usr/bin/time -v "$bin" run "$case" -o "$work/out" --threads "$threads" --json \
    >"$work/run.json" 2>"$work/run.err" && run_rc=0 || run_rc=$?

"$COBRE_VENV/bin/python" - "$work" "$validate_rc" "$run_rc" <<'EOF'
import json, re, sys
import pyarrow.parquet as pq
work, validate_rc, run_rc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
reference = [1.746374e10, 1.746374e10, 3.783238e10, 5.532695e10, 9.7535906011e10]

def time_v(path):
    text = open(path).read()
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text)
    secs = 0.0
    for part in (wall.group(1).split(":") if wall else []):
        secs = secs * 60 + float(part)
    return (int(rss.group(1)) / 1024 if rss else float("nan")), secs

v_rss, v_wall = time_v(f"{work}/validate.time")
r_rss, r_wall = time_v(f"{work}/run.err")
errors = re.search(r"(\d+) error", open(f"{work}/validate.out").read())
print("## newave_mini (Cobre vs Cobre 0.18)\n")
print(f"- validate: exit {validate_rc}, {v_wall:.2f} s, peak {v_rss:.0f} MB")
print(f"- run: exit {run_rc}, {r_wall:.1f} s wall, peak RSS {r_rss:.0f} MB (0.18: 549.5 s, 681 MB)")
try:
    summary = json.load(open(f"{work}/run.json"))
    t = summary.get("timings_s", {})
    print(f"- training {t.get('train', float('nan')):.1f} s (0.18: 302 s), "
          f"simulation {t.get('simulate', float('nan')):.1f} s (0.18: 245 s)")
except Exception as e:  # noqa: BLE001
    print(f"- no JSON summary ({e})")
lp = re.search(r"stage LPs built.*", open(f"{work}/run.err").read())
if lp:
    print(f"- {lp.group(0)}")
try:
    conv = pq.read_table(f"{work}/out/training/convergence.parquet").to_pydict()
    print("\n| iteration | lower bound | 0.18 | rel. diff |\n|---|---|---|---|")
    for it, lb in zip(conv["iteration"], conv["lower_bound"]):
        ref = reference[it - 1] if it - 1 < len(reference) else float("nan")
        print(f"| {it} | {lb:.6e} | {ref:.6e} | {(lb - ref) / ref:+.3%} |")
except Exception as e:  # noqa: BLE001
    print(f"- no convergence table ({e})")
EOF
