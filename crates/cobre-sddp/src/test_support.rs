//! Loading the shared conformance cases in the crate's unit tests.

use crate::StudyModel;
use std::error::Error;

/// Case `name` of `../shared/cases` and its study model.
pub(crate) fn shared_study(name: &str) -> Result<(cobre_core::Case, StudyModel), Box<dyn Error>> {
    let root = std::env::var_os("CARGO_MANIFEST_DIR").ok_or("cargo sets CARGO_MANIFEST_DIR")?;
    let dir = std::path::PathBuf::from(root)
        .join("../../../shared/cases")
        .join(name);
    let case = cobre_io::load_case(&dir)?;
    let study = StudyModel::build(&case.system, &case.config)?;
    Ok((case, study))
}
