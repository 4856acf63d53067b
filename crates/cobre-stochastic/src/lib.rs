//! Cobre stochastic layer: PAR(p) inflows, correlated noise, opening trees, samplers.
