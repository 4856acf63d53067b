//! Keeping the processes of a distributed [`run_study_with`](crate::run_study_with)
//! in step: every rank learns whether every other rank's step succeeded,
//! and rank 0 learns which simulation files the others wrote.

use crate::outputs::simulation::SinkReport;
use crate::Error;
use cobre_io::output::SIMULATION_TABLES;
use cobre_io::output::{simulation_part, FileInfo};
use cobre_sddp::communicator::Collectives;
use cobre_sddp::Communicator;
use std::path::Path;

fn comm_error(e: cobre_sddp::SddpError) -> Error {
    Error::Engine(e)
}

fn comm_failure(message: String) -> Error {
    Error::Engine(cobre_sddp::SddpError::Communicator { message })
}

/// Every rank's outcome of the same step: this rank's error when it failed,
/// an error naming the first failed rank when another one did, `Ok`
/// everywhere otherwise. Every rank calls it, so none is left waiting.
///
/// # Errors
/// As described, or [`Error::Engine`] when the exchange fails.
pub(crate) fn agree<T>(
    comm: &dyn Communicator,
    step: &str,
    r: Result<T, Error>,
) -> Result<T, Error> {
    if comm.size() <= 1 {
        return r;
    }
    let all = comm.gather(&r.is_ok()).map_err(comm_error)?;
    let value = r?;
    match all.iter().position(|&ok| !ok) {
        Some(rank) => Err(comm_failure(format!(
            "rank {rank} failed while {step} (its error is on its standard error)"
        ))),
        None => Ok(value),
    }
}

/// One file as it travels: `(table, (partition, (bytes, rows)))`.
type FilePart = (usize, (u64, (u64, u64)));

/// The simulation files of every rank, ordered by partition then table
/// (the order of a single process writing the partitions in turn), each
/// rank having written whole partitions.
///
/// # Errors
/// [`Error::Engine`] when the exchange fails or carries nonsense.
pub(crate) fn simulation_files(
    comm: &dyn Communicator,
    out: &Path,
    local: &SinkReport,
) -> Result<Vec<FileInfo>, Error> {
    let mine: Vec<FilePart> = local
        .files
        .iter()
        .zip(&local.parts)
        .map(|(f, &(table, block))| (table, (block, (f.bytes, f.rows))))
        .collect();
    let all = comm.gather(&mine).map_err(comm_error)?;
    let mut files: Vec<(u64, usize, FileInfo)> = Vec::new();
    for (table, (block, (bytes, rows))) in all.into_iter().flatten() {
        let name = SIMULATION_TABLES
            .get(table)
            .ok_or_else(|| comm_failure(format!("unknown simulation table {table}")))?;
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
