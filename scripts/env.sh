# Shared environment of the project scripts (sourced, not executed).
# Installs what a fresh machine lacks, idempotently:
#   - cmake, pkg-config, patch and libclang (HiGHS is built from source by highs-sys;
#     bindgen needs libclang)
#   - HiGHS with scripts/highs.patch, built once into $HOME/.cache/cobre-highs and found
#     by highs-sys through pkg-config (ensure_patched_highs below)
#   - OpenMPI (mpirun, and mpicc/pkg-config for the `mpi` feature of cobre-cli, whose
#     rsmpi build script probes the MPI library through them)
#   - a Python virtual environment in .venv with maturin, pytest, numpy, pyarrow, polars, pandas,
#     matplotlib (plots) and tqdm (progress bars)
# Build artefacts go to a cache outside the clone so repeated runs are fast.

set -euo pipefail

COBRE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export COBRE_ROOT
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cobre-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
VENV="${COBRE_VENV:-$COBRE_ROOT/.venv}"
export COBRE_VENV="$VENV"

log() { printf '\033[1m[cobre]\033[0m %s\n' "$*" >&2; }

have_libclang() {
    # bindgen (highs-sys) needs libclang's C API: libclang.so or libclang-N.so*,
    # not libclang-cpp.so (the C++ library that ships with other LLVM packages).
    [ -n "${LIBCLANG_PATH:-}" ] && return 0
    ldconfig -p 2>/dev/null | grep -Eq 'libclang(-[0-9.]+)?\.so' && return 0
    compgen -G '/usr/lib/llvm-*/lib/libclang.so*' >/dev/null \
        || compgen -G '/usr/lib/llvm-*/lib/libclang-[0-9]*.so*' >/dev/null
}

have_mpi() {
    command -v mpirun >/dev/null 2>&1 || return 1
    command -v mpicc >/dev/null 2>&1 && return 0
    command -v pkg-config >/dev/null 2>&1 && pkg-config --exists ompi-c 2>/dev/null
}

install_system_deps() {
    local missing=()
    command -v cmake >/dev/null 2>&1 || missing+=(cmake)
    command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
    command -v patch >/dev/null 2>&1 || missing+=(patch)
    have_libclang || missing+=(libclang-dev)
    have_mpi || missing+=(openmpi-bin libopenmpi-dev)
    if [ "${#missing[@]}" -eq 0 ]; then return 0; fi
    log "installing system packages: ${missing[*]}"
    local sudo=""
    if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
    if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; }; then
        $sudo apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        # No package manager we can use: take cmake and libclang from PyPI
        # instead (MPI has no such fallback: the MPI tests are skipped).
        have_mpi || log "apt-get unavailable: no OpenMPI, the MPI tests will be skipped"
        log "apt-get unavailable: installing cmake and libclang from PyPI"
        python3 -m pip install -q --user cmake libclang
        export PATH="$HOME/.local/bin:$PATH"
        LIBCLANG_PATH="$(python3 -c 'import clang, os; print(os.path.join(os.path.dirname(clang.__file__), "native"))')"
        export LIBCLANG_PATH
    fi
}

ensure_venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        log "creating Python virtual environment in $VENV"
        python3 -m venv "$VENV"
    fi
    local stamp="$VENV/.cobre-deps-v2"
    if [ ! -f "$stamp" ]; then
        log "installing Python build and test dependencies"
        "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
        "$VENV/bin/python" -m pip install -q "maturin>=1.5,<2" "pytest>=7" "numpy>=1.24" \
            "pyarrow>=14" "polars>=0.20" "pandas>=2" "matplotlib>=3.6" "tqdm>=4.60"
        touch "$stamp"
    fi
}

# HiGHS with the project's patch (scripts/highs.patch: it skips checks that
# HiGHS runs on every solve and that only feed its log, and replays random
# draws it would repeat; see docs/performance.md). Built once per patch and highs-sys version from the
# HiGHS sources highs-sys ships (in cargo's registry), installed under
# $HOME/.cache/cobre-highs, and handed to highs-sys, whose `discover` feature
# finds it through pkg-config. Without it (COBRE_PATCHED_HIGHS=0, or any
# step failing) highs-sys builds its bundled, unpatched HiGHS: same results,
# more time per solve.
ensure_patched_highs() {
    [ "${COBRE_PATCHED_HIGHS:-1}" = 1 ] || return 0
    command -v cmake >/dev/null 2>&1 && command -v pkg-config >/dev/null 2>&1 \
        && command -v patch >/dev/null 2>&1 || {
        log "cmake, pkg-config or patch missing: highs-sys builds its bundled HiGHS"
        return 0
    }
    local patch_file="$COBRE_ROOT/scripts/highs.patch" manifest
    manifest="$(cd "$COBRE_ROOT" && cargo metadata --locked --format-version 1 2>/dev/null \
        | python3 -c 'import json, sys
print(next(p["manifest_path"] for p in json.load(sys.stdin)["packages"] if p["name"] == "highs-sys"))')" || {
        log "cargo metadata failed: highs-sys builds its bundled HiGHS"
        return 0
    }
    local src key prefix
    src="$(dirname "$manifest")/HiGHS"
    key="$( { cat "$patch_file"; echo "$manifest"; } | sha256sum | cut -c1-16)"
    prefix="$HOME/.cache/cobre-highs/$key"
    if [ ! -f "$prefix/lib/pkgconfig/highs.pc" ]; then
        log "building HiGHS with scripts/highs.patch into $prefix (once, a few minutes)"
        local work
        work="$(mktemp -d "${TMPDIR:-/tmp}/cobre-highs.XXXXXX")"
        if cp -r "$src" "$work/src" \
            && patch -s -p1 -d "$work/src" < "$patch_file" \
            && cmake -S "$work/src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release \
                -DFAST_BUILD=ON -DBUILD_SHARED_LIBS=OFF -DBUILD_CXX_EXE=OFF \
                -DBUILD_EXAMPLES=OFF -DZLIB=OFF -DCMAKE_INTERPROCEDURAL_OPTIMIZATION=FALSE \
                -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DCMAKE_INSTALL_LIBDIR=lib \
                -DCMAKE_INSTALL_PREFIX="$prefix" >"$work/log" 2>&1 \
            && cmake --build "$work/build" -j "$(nproc)" >>"$work/log" 2>&1 \
            && cmake --install "$work/build" --prefix "$work/prefix" >>"$work/log" 2>&1; then
            # The static library needs the C++ runtime, which HiGHS' .pc file
            # does not name.
            sed -i 's/^Libs: .*/& -lstdc++/' "$work/prefix/lib/pkgconfig/highs.pc"
            mkdir -p "$(dirname "$prefix")"
            # Atomic: a concurrent build of the same key loses the rename, not the result.
            mv -T "$work/prefix" "$prefix" 2>/dev/null || true
            rm -rf "$work"
        else
            log "patched HiGHS build failed (log kept in $work/log): highs-sys builds its bundled HiGHS"
            return 0
        fi
    fi
    export PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
    export HIGHS_STATIC=1
    export COBRE_HIGHS_PATCHED=1
}

setup_all() {
    install_system_deps
    ensure_patched_highs
    ensure_venv
}
