//! Cobre: SDDP hydrothermal dispatch solver (facade crate).
