//! Prints the FPHA planes of every hydro at one stage of a case, as CSV
//! (`hydro_id,plane_id,gamma_0,gamma_v,gamma_q,gamma_s`), to compare the
//! fit with another solver's (Cobre 0.18 writes its planes to
//! `hydro_models/fpha_hyperplanes.parquet`).
//!
//! ```text
//! cargo run -p cobre-sddp --example fpha_planes -- <case dir> [stage index]
//! ```
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use cobre_sddp::lp::{Production, ProductionTable};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = args
        .get(1)
        .expect("usage: fpha_planes <case dir> [stage index]");
    let t: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(0);
    let case = cobre_io::load_case(dir).expect("load");
    let table = ProductionTable::resolve(&case.system).expect("production models");
    println!("hydro_id,plane_id,gamma_0,gamma_v,gamma_q,gamma_s");
    for (h, hydro) in case.system.hydros().iter().enumerate() {
        if let Some(Production::Fpha(planes)) = table.get(t, h) {
            for (i, p) in planes.iter().enumerate() {
                println!(
                    "{},{i},{:.17e},{:.17e},{:.17e},{:.17e}",
                    hydro.id.0, p.gamma_0, p.gamma_v, p.gamma_q, p.gamma_s
                );
            }
        }
    }
}
