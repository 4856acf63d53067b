//! How `cobre run` was started: alone, or as one process of an MPI job.
//!
//! MPI launchers tell each process the size of the job through the
//! environment; a binary built without the `mpi` feature refuses to run as
//! one of several processes (each would run the whole study alone and all
//! of them would write the same files).

/// Environment variables through which MPI launchers give the job size:
/// OpenMPI, MPICH and Intel MPI (Hydra, PMI), MVAPICH.
pub(crate) const SIZE_VARIABLES: [&str; 3] =
    ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE"];

/// The job size set by an MPI launcher, with the variable that says it.
pub(crate) fn launcher_size() -> Option<(&'static str, usize)> {
    launcher_size_in(|name| std::env::var(name).ok())
}

/// This process's rank as set by an MPI launcher, when one did.
#[cfg_attr(feature = "mpi", allow(dead_code))]
pub(crate) fn launcher_rank() -> Option<usize> {
    ["OMPI_COMM_WORLD_RANK", "PMI_RANK", "MV2_COMM_WORLD_RANK"]
        .iter()
        .find_map(|name| std::env::var(name).ok()?.trim().parse().ok())
}

fn launcher_size_in(get: impl Fn(&str) -> Option<String>) -> Option<(&'static str, usize)> {
    SIZE_VARIABLES
        .iter()
        .find_map(|&name| Some((name, get(name)?.trim().parse().ok()?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_launcher_variable_present_gives_the_job_size() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_string())
            }
        };
        assert_eq!(launcher_size_in(env(&[])), None);
        assert_eq!(
            launcher_size_in(env(&[("PMI_SIZE", "4")])),
            Some(("PMI_SIZE", 4))
        );
        assert_eq!(
            launcher_size_in(env(&[("OMPI_COMM_WORLD_SIZE", "2"), ("PMI_SIZE", "9")])),
            Some(("OMPI_COMM_WORLD_SIZE", 2))
        );
        assert_eq!(launcher_size_in(env(&[("PMI_SIZE", "many")])), None);
    }
}
