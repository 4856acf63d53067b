#!/usr/bin/env bash
# The main job: builds the `cobre` command line (release) and trains and
# simulates the project's example case, printing the convergence and a cost
# summary. Works on a fresh machine: installs what is missing first (env.sh).
#
#   ./scripts/run.sh                      examples/valley into output/valley
#   ./scripts/run.sh CASE [cobre run options...]
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$COBRE_ROOT"

install_system_deps
ensure_patched_highs
case_dir="${1:-examples/valley}"
shift $(( $# > 0 ? 1 : 0 ))
log "building the cobre command line (release)"
cargo build --release --locked -q -p cobre-cli
out="output/$(basename "$case_dir")"
log "cobre run $case_dir -o $out $*"
exec "$CARGO_TARGET_DIR/release/cobre" run "$case_dir" -o "$out" "$@"
