//! How a solve ended, and the counters of one solve and of a solver's life.

/// How the last solve ended (a typed view of HiGHS' `kHighsModelStatus*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SolveStatus {
    /// Optimal: primal and dual feasible within tolerances.
    Optimal,
    /// No feasible point.
    Infeasible,
    /// Feasible with an objective unbounded below.
    Unbounded,
    /// Infeasible or unbounded; HiGHS did not decide which.
    InfeasibleOrUnbounded,
    /// The simplex iteration limit was reached.
    IterationLimit,
    /// The time limit was reached.
    TimeLimit,
    /// HiGHS reported an error while solving (`kHighsModelStatusSolveError`
    /// or a load/model error).
    SolveError,
    /// HiGHS stopped without being able to classify the outcome
    /// (`kHighsModelStatusUnknown`), typically numerical difficulties.
    Unknown,
    /// No solve has happened since the model was loaded or changed.
    NotSolved,
    /// Any other HiGHS model status (objective bound/target reached,
    /// interrupts, memory limit), with its raw code.
    Other(i32),
}

impl SolveStatus {
    /// Maps a raw HiGHS `kHighsModelStatus*` code.
    #[must_use]
    pub fn from_highs_model_status(code: i32) -> Self {
        match code {
            0 => Self::NotSolved,
            1..=5 => Self::SolveError,
            7 => Self::Optimal,
            8 => Self::Infeasible,
            9 => Self::InfeasibleOrUnbounded,
            10 => Self::Unbounded,
            13 => Self::TimeLimit,
            14 => Self::IterationLimit,
            15 => Self::Unknown,
            other => Self::Other(other),
        }
    }

    /// `true` only for [`SolveStatus::Optimal`].
    #[must_use]
    pub fn is_optimal(self) -> bool {
        self == Self::Optimal
    }
}

/// Counters of one call of [`LpSolver::solve`](crate::LpSolver::solve).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SolveStats {
    /// Simplex iterations, summed over the warm attempt and the cold retry.
    pub simplex_iterations: u64,
    /// Wall time spent inside HiGHS for this call, in seconds.
    pub solve_time_s: f64,
    /// Whether the first attempt started from a basis (set with
    /// `set_basis` or left by the previous solve).
    pub warm_start: bool,
    /// Whether the warm attempt failed and the LP was solved again cold.
    pub retried_cold: bool,
}

/// Counters accumulated over the life of one solver instance.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CumulativeStats {
    /// Calls of `solve` (successful or not).
    pub solves: u64,
    /// Calls of `solve` that returned an error.
    pub failures: u64,
    /// Simplex iterations over all calls.
    pub simplex_iterations: u64,
    /// Wall time spent inside HiGHS over all calls, in seconds.
    pub solve_time_s: f64,
    /// Cold retries after a failed warm attempt.
    pub cold_retries: u64,
}

impl CumulativeStats {
    pub(crate) fn record(&mut self, stats: &SolveStats, ok: bool) {
        self.solves += 1;
        if !ok {
            self.failures += 1;
        }
        self.simplex_iterations += stats.simplex_iterations;
        self.solve_time_s += stats.solve_time_s;
        if stats.retried_cold {
            self.cold_retries += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_status_codes_map_to_typed_statuses() {
        for (code, status) in [
            (7, SolveStatus::Optimal),
            (8, SolveStatus::Infeasible),
            (9, SolveStatus::InfeasibleOrUnbounded),
            (10, SolveStatus::Unbounded),
            (13, SolveStatus::TimeLimit),
            (14, SolveStatus::IterationLimit),
            (4, SolveStatus::SolveError),
            (15, SolveStatus::Unknown),
            (0, SolveStatus::NotSolved),
            (42, SolveStatus::Other(42)),
            (-3, SolveStatus::Other(-3)),
        ] {
            assert_eq!(
                SolveStatus::from_highs_model_status(code),
                status,
                "code {code}"
            );
        }
    }

    #[test]
    fn cumulative_stats_count_failures_and_retries() {
        let mut c = CumulativeStats::default();
        let s = SolveStats {
            simplex_iterations: 5,
            solve_time_s: 0.5,
            warm_start: true,
            retried_cold: true,
        };
        c.record(&s, false);
        c.record(&SolveStats::default(), true);
        assert_eq!(c.solves, 2);
        assert_eq!(c.failures, 1);
        assert_eq!(c.cold_retries, 1);
        assert_eq!(c.simplex_iterations, 5);
        assert!((c.solve_time_s - 0.5).abs() < 1e-15);
    }
}
