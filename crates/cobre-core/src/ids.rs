//! Newtype identifiers.
//!
//! Case files name entities by integer ids. Inside Cobre every entity kind has
//! its own id type so a hydro id can never be passed where a bus id is
//! expected. Positions inside the canonical (id-sorted) entity vectors of a
//! [`System`](crate::System) are plain `usize` indices.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $label:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(pub i32);

        impl $name {
            /// The raw integer id as written in the case files.
            #[must_use]
            pub const fn get(self) -> i32 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} {}", $label, self.0)
            }
        }

        impl From<i32> for $name {
            fn from(v: i32) -> Self {
                Self(v)
            }
        }
    };
}

id_type!(
    /// Identifier of a bus (an electrical node).
    BusId, "bus"
);
id_type!(
    /// Identifier of a transmission line.
    LineId, "line"
);
id_type!(
    /// Identifier of a thermal plant.
    ThermalId, "thermal"
);
id_type!(
    /// Identifier of a hydro plant.
    HydroId, "hydro"
);
id_type!(
    /// Identifier of a non-controllable source (wind, solar, run-of-river...).
    NcsId, "non-controllable source"
);
id_type!(
    /// Identifier of a pumping station.
    PumpingStationId, "pumping station"
);
id_type!(
    /// Identifier of a stage as written in `stages.json` (negative for pre-study stages).
    StageId, "stage"
);
id_type!(
    /// Identifier of a user-defined generic linear constraint.
    ConstraintId, "generic constraint"
);
id_type!(
    /// Identifier of a season in the seasonal cycle.
    SeasonId, "season"
);
