//! The `cobre` command-line program.

fn main() {}
