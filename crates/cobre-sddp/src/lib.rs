//! Cobre SDDP engine: stage LPs, training, simulation, cuts, stopping rules.
