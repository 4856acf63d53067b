//! Placeholder, replaced by the re-solve benchmark.
fn main() {}
