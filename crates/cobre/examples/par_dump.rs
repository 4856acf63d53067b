//! Prints the inflow model of a case per study stage and hydro, as CSV
//! (`stage_id,hydro_id,mean_m3s,std_m3s,base,sigma,psi_1,…`), to compare
//! a fit with another solver's (Cobre 0.18 writes its fitted model to
//! `stochastic/` when `exports.stochastic` is set).
//!
//! ```text
//! cargo run -p cobre --example par_dump -- <case dir>            # per stage
//! cargo run -p cobre --example par_dump -- <case dir> --fit      # fitted seasons
//! cargo run -p cobre --example par_dump -- <case dir> --openings # opening tree
//! ```
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

fn main() {
    let dir = std::env::args().nth(1).expect("usage: par_dump <case dir>");
    let case = cobre::load_case(&dir).expect("load");
    let model = cobre::stochastic::build_stochastic_model(&case).expect("stochastic model");
    if std::env::args().any(|a| a == "--openings") {
        // The opening tree's noise (`stage_id,opening_index,entity_index,value`,
        // the layout of 0.18's `stochastic/noise_openings.parquet`).
        println!("stage_id,opening_index,entity_index,value");
        let tree = model.opening_tree();
        for (t, stage) in case.system.horizon().stages.iter().enumerate() {
            for k in 0..tree.openings(t) {
                for (e, v) in tree.opening(t, k).iter().enumerate() {
                    println!("{},{k},{e},{v:e}", stage.id.0);
                }
            }
        }
        return;
    }
    if std::env::args().any(|a| a == "--fit") {
        // The fitted standardised model per hydro and season.
        println!("hydro_id,season_id,order,annual,annual_mean,annual_std,ratio,coefficients");
        for h in model
            .fit_report()
            .map(|r| r.hydros.as_slice())
            .unwrap_or_default()
        {
            for (season, f) in &h.seasons {
                let c: Vec<String> = f.coefficients.iter().map(|x| format!("{x:e}")).collect();
                println!(
                    "{},{},{},{:e},{:e},{:e},{:e},{}",
                    h.hydro.0,
                    season.0,
                    f.coefficients.len(),
                    f.annual_coefficient.unwrap_or(f64::NAN),
                    f.annual_mean.unwrap_or(f64::NAN),
                    f.annual_std.unwrap_or(f64::NAN),
                    f.residual_std_ratio,
                    c.join(" ")
                );
            }
        }
        return;
    }
    let s = cobre::stochastic::par_summary(&case, &model);
    let (n, l) = (s.n_entities, s.order);
    let psi_cols: Vec<String> = (1..=l).map(|k| format!("psi_{k}")).collect();
    println!(
        "stage_id,hydro_id,mean_m3s,std_m3s,base,sigma{}{}",
        if l > 0 { "," } else { "" },
        psi_cols.join(",")
    );
    for (t, stage) in s.stage_ids.iter().enumerate() {
        for (h, hydro) in s.hydro_ids.iter().enumerate() {
            let at = t * n + h;
            let psi: Vec<String> = (0..l)
                .map(|k| format!("{:e}", s.ar_coefficients[at * l + k]))
                .collect();
            println!(
                "{stage},{hydro},{:e},{:e},{:e},{:e}{}{}",
                s.seasonal_means[at],
                s.seasonal_stds[at],
                s.intercepts[at],
                s.noise_std[at],
                if l > 0 { "," } else { "" },
                psi.join(",")
            );
        }
    }
}
