//! The words for the bounds, shared by the live progress, the run summary
//! and `cobre report`: an upper bound is shown with its kind, a
//! statistical one with its 95 % interval and where the lower bound lies
//! in it, a gap only when there is a bound, never negative.

use crate::fmt::{money, percent};
use cobre::{LowerBoundPosition, UpperBoundKind};

/// The upper bound with what it is: `X ± Y (95 % interval, statistical
/// estimate)`, `X (one forward pass: an estimate, not a bound)`, `X (exact)`.
pub(crate) fn upper_text(
    kind: Option<UpperBoundKind>,
    upper: Option<f64>,
    ci: Option<f64>,
) -> String {
    match kind {
        Some(UpperBoundKind::Statistical) => format!(
            "{} ± {} (95 % interval, statistical estimate)",
            money(upper),
            money(ci)
        ),
        Some(k @ (UpperBoundKind::SingleSample | UpperBoundKind::Exact)) => {
            format!("{} ({})", money(upper), k.label())
        }
        // Unknown kinds (a newer writer, or an old manifest): the number only.
        _ => money(upper),
    }
}

/// The gap: `—` without a bound, `G % (to the top of the 95 % interval)`
/// for a statistical bound.
pub(crate) fn gap_text(kind: Option<UpperBoundKind>, gap: Option<f64>) -> String {
    match (kind, gap) {
        (Some(UpperBoundKind::SingleSample), _) | (_, None) => {
            "— (no bound to measure a gap to)".to_owned()
        }
        (Some(UpperBoundKind::Statistical), g) => {
            format!("{} (to the top of the 95 % interval)", percent(g))
        }
        (_, g) => percent(g),
    }
}

/// The upper bound in a convergence line: `~X` for one sample.
pub(crate) fn upper_cell(kind: UpperBoundKind, upper: f64) -> String {
    match kind {
        UpperBoundKind::SingleSample => format!("~{}", money(Some(upper))),
        _ => money(Some(upper)),
    }
}

/// The interval half-width in a convergence line (`—` unless statistical).
pub(crate) fn ci_cell(kind: UpperBoundKind, ci: f64) -> String {
    match kind {
        UpperBoundKind::Statistical => money(Some(ci)),
        _ => "—".to_owned(),
    }
}

/// The gap in a convergence line (`—` without a bound).
pub(crate) fn gap_cell(gap: Option<f64>) -> String {
    percent(gap)
}

/// Where the lower bound lies, in a convergence line (`—` unless
/// statistical).
pub(crate) fn position_cell(position: Option<LowerBoundPosition>) -> &'static str {
    position.map_or("—", LowerBoundPosition::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sample_is_called_an_estimate_and_has_no_gap() {
        let k = Some(UpperBoundKind::SingleSample);
        let t = upper_text(k, Some(2_611_822.0), Some(0.0));
        assert!(t.contains("estimate, not a bound"), "{t}");
        assert!(!t.contains('±'), "{t}");
        assert!(gap_text(k, Some(-0.25)).starts_with('—'));
        assert_eq!(upper_cell(UpperBoundKind::SingleSample, 12.0), "~12.00");
        assert_eq!(ci_cell(UpperBoundKind::SingleSample, 3.0), "—");
    }

    #[test]
    fn statistical_bound_shows_its_interval_and_where_the_gap_is_measured() {
        let k = Some(UpperBoundKind::Statistical);
        assert_eq!(
            upper_text(k, Some(120.0), Some(3.5)),
            "120.00 ± 3.50 (95 % interval, statistical estimate)"
        );
        assert_eq!(
            gap_text(k, Some(0.01)),
            "1.0000 % (to the top of the 95 % interval)"
        );
        assert_eq!(position_cell(Some(LowerBoundPosition::Inside)), "inside");
    }

    #[test]
    fn exact_bound_says_so() {
        let k = Some(UpperBoundKind::Exact);
        assert_eq!(upper_text(k, Some(10.0), None), "10.00 (exact)");
        assert_eq!(gap_text(k, Some(0.0)), "0.0000 %");
    }
}
