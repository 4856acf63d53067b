//! Policy persistence through the facade (`cobre::save_policy`,
//! `cobre::load_policy`, and an unchecked read for a policy without its
//! case).

use std::path::Path;

/// What a load gives: the engine policy, its training history and, when
/// read without a case, the plain table it was decoded from.
pub(crate) type Loaded = (
    cobre::Policy,
    Vec<cobre::IterationRecord>,
    Option<cobre::PolicyTable>,
);

/// Reads the policy directory `dir`, checked against `case` when given.
pub(crate) fn load(dir: &Path, case: Option<&cobre::Case>) -> Result<Loaded, cobre::Error> {
    match case {
        Some(case) => {
            let study = cobre::StudyModel::build(&case.system, &case.config)?;
            let saved = cobre::load_policy(dir, case, &study)?;
            Ok((saved.policy, saved.records, None))
        }
        None => {
            let loaded = cobre::outputs::read_policy(dir)?;
            let policy = cobre::Policy::from_table(&loaded.table)?;
            Ok((policy, Vec::new(), Some(loaded.table)))
        }
    }
}

/// Writes `policy` (trained on `case`) with its history as the directory `dir`.
pub(crate) fn save(
    dir: &Path,
    case: &cobre::Case,
    policy: &cobre::Policy,
    records: &[cobre::IterationRecord],
) -> Result<(), cobre::Error> {
    let study = cobre::StudyModel::build(&case.system, &case.config)?;
    cobre::save_policy(dir, case, &study, policy, records)?;
    Ok(())
}
