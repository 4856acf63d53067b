//! Keeping the processes of a distributed [`run_study_with`](crate::run_study_with)
//! in step: every rank learns whether every other rank's step succeeded,
//! and rank 0 learns which simulation files the others wrote.

use crate::outputs::simulation::{SinkReport, SIMULATION_TABLES};
use crate::Error;
use cobre_io::output::{simulation_part, FileInfo};
use cobre_sddp::Communicator;
use std::path::Path;

fn comm_error(e: cobre_sddp::SddpError) -> Error {
    Error::Sddp(e.to_string())
}

/// Every rank's outcome of the same step: this rank's error when it failed,
/// an error naming the first failed rank when another one did, `Ok`
/// everywhere otherwise. Every rank calls it, so none is left waiting.
///
/// # Errors
/// As described, or [`Error::Sddp`] when the exchange fails.
pub(crate) fn agree<T>(
    comm: &dyn Communicator,
    step: &str,
    r: Result<T, Error>,
) -> Result<T, Error> {
    if comm.size() <= 1 {
        return r;
    }
    let mine = [if r.is_ok() { 1.0 } else { 0.0 }];
    let (mut all, mut counts) = (Vec::new(), Vec::new());
    comm.all_gather(&mine, &mut all, &mut counts)
        .map_err(comm_error)?;
    let value = r?;
    match all.iter().position(|&ok| ok != 1.0) {
        Some(rank) => Err(Error::Sddp(format!(
            "rank {rank} failed while {step} (its error is on its standard error)"
        ))),
        None => Ok(value),
    }
}

/// The simulation files of every rank, ordered by partition then table
/// (the order of a single process writing the partitions in turn), each
/// rank having written whole partitions.
///
/// # Errors
/// [`Error::Sddp`] when the exchange fails or carries nonsense.
pub(crate) fn simulation_files(
    comm: &dyn Communicator,
    out: &Path,
    local: &SinkReport,
) -> Result<Vec<FileInfo>, Error> {
    #[allow(clippy::cast_precision_loss)]
    let mine: Vec<f64> = local
        .files
        .iter()
        .zip(&local.parts)
        .flat_map(|(f, &(table, block))| {
            [table as f64, block as f64, f.bytes as f64, f.rows as f64]
        })
        .collect();
    let (mut all, mut counts) = (Vec::new(), Vec::new());
    comm.all_gather(&mine, &mut all, &mut counts)
        .map_err(comm_error)?;
    let mut files: Vec<(u64, usize, FileInfo)> = Vec::with_capacity(all.len() / 4);
    for f in all.chunks_exact(4) {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (table, block, bytes, rows) = (f[0] as usize, f[1] as u64, f[2] as u64, f[3] as u64);
        let name = SIMULATION_TABLES.get(table).ok_or_else(|| {
            Error::Sddp(format!("communicator: unknown simulation table {table}"))
        })?;
        files.push((
            block,
            table,
            FileInfo {
                path: simulation_part(out, name, block),
                bytes,
                rows,
            },
        ));
    }
    files.sort_by_key(|&(block, table, _)| (block, table));
    Ok(files.into_iter().map(|(_, _, f)| f).collect())
}
