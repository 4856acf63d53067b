//! Loading (reading + validating + assembling) the largest shared case.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use std::path::PathBuf;

fn load_4ree(c: &mut Criterion) {
    let dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("../../../shared/cases/4ree");
    c.bench_function("load_case 4ree", |b| {
        b.iter(|| cobre_io::load_case(&dir).expect("4ree loads"));
    });
    c.bench_function("validate 4ree", |b| {
        b.iter(|| cobre_io::validate(&dir));
    });
}

criterion_group!(benches, load_4ree);
criterion_main!(benches);
