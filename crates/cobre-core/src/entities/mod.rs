//! The physical entities of a hydrothermal system.
//!
//! Every entity stores the values read from its case file with the penalty
//! cascade's first two levels (global default, then entity override) already
//! resolved. Per-stage overrides live in [`crate::StageBounds`] and
//! [`crate::PenaltyTable`].

mod bus;
mod hydro;
mod line;
mod ncs;
mod pumping;
mod thermal;

pub use bus::{Bus, DeficitSegment};
pub use hydro::{
    Diversion, EfficiencyModel, EvaporationData, FillingConfig, HydraulicLosses, Hydro,
    HydroGenerationModel, TailraceModel, UnitGroup,
};
pub use line::Line;
pub use ncs::NonControllableSource;
pub use pumping::PumpingStation;
pub use thermal::{AnticipatedDispatch, Thermal};

use crate::StageId;

/// The stage window in which an entity is in service.
///
/// `entry` and `exit` are stage ids; `None` means "from the first stage" and
/// "until the last stage" respectively. Both ends are inclusive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ServiceWindow {
    /// First stage in service, inclusive.
    pub entry: Option<StageId>,
    /// Last stage in service, inclusive.
    pub exit: Option<StageId>,
}

impl ServiceWindow {
    /// Whether the entity is in service at the stage with this id.
    #[must_use]
    pub fn is_active(&self, stage: StageId) -> bool {
        self.entry.is_none_or(|e| stage >= e) && self.exit.is_none_or(|x| stage <= x)
    }
}
