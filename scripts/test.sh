#!/usr/bin/env bash
# Runs the whole test suite: Rust (unit, integration, conformance, MPI) and Python.
# Works on a fresh machine: installs what is missing first (see env.sh).
#
#   ./scripts/test.sh            everything
#   ./scripts/test.sh --rust     only the Rust suite
#   ./scripts/test.sh --python   only the Python suite (builds and installs the wheel)
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$COBRE_ROOT"

run_rust=1
run_python=1
case "${1:-}" in
    --rust) run_python=0 ;;
    --python) run_rust=0 ;;
    "") ;;
    *) echo "usage: $0 [--rust|--python]" >&2; exit 2 ;;
esac

setup_all

if [ "$run_rust" -eq 1 ]; then
    log "cargo fmt --check"
    cargo fmt --all -- --check
    log "cargo clippy (warnings denied)"
    cargo clippy --workspace --all-targets --locked -q -- -D warnings
    if have_mpi; then
        # `--features cobre-cli/mpi` at the workspace level: the other crates
        # keep their feature set, so only cobre-cli is built again.
        log "cargo clippy, command line with the mpi feature (warnings denied)"
        cargo clippy --workspace --all-targets --locked -q --features cobre-cli/mpi -- -D warnings
    fi
    log "cargo test (all library crates and the CLI)"
    cargo test --locked
    if have_mpi; then
        log "cargo test: mpirun -np 2 cobre run against one process (mpi feature)"
        cargo test --locked --features cobre-cli/mpi --test mpi
    else
        log "no OpenMPI (mpirun, mpicc): the MPI tests are skipped"
    fi
fi

if [ "$run_python" -eq 1 ]; then
    log "building the Python wheel (maturin, release)"
    rm -rf "$CARGO_TARGET_DIR/wheels"
    "$COBRE_VENV/bin/maturin" build --release --locked -q -m bindings/python/Cargo.toml \
        --interpreter "$COBRE_VENV/bin/python" -o "$CARGO_TARGET_DIR/wheels"
    "$COBRE_VENV/bin/python" -m pip install -q --force-reinstall --no-deps "$CARGO_TARGET_DIR"/wheels/cobre-*.whl
    log "pytest python-tests"
    (cd python-tests && "$COBRE_VENV/bin/python" -m pytest -q)
fi
log "all tests passed"
