//! Percentiles, histograms and number labels for the report's charts.

/// The percentiles drawn in the storage fans and listed for the cost.
pub(crate) const FAN: [f64; 5] = [5.0, 25.0, 50.0, 75.0, 95.0];

/// The `p`-th percentile (0–100) of sorted, finite `values`, linear
/// between closest ranks (NumPy's default); `None` when empty.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    #[allow(clippy::cast_precision_loss)]
    let rank = (p.clamp(0.0, 100.0) / 100.0) * last as f64;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let lo = rank.floor() as usize;
    let hi = (lo + 1).min(last);
    let (a, b) = (*sorted.get(lo)?, *sorted.get(hi)?);
    #[allow(clippy::cast_precision_loss)]
    let w = rank - lo as f64;
    Some(a + (b - a) * w)
}

/// `values` without non-finite numbers, sorted.
pub(crate) fn sorted_finite(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// The five [`FAN`] percentiles of `values` (NaN when empty).
pub(crate) fn fan(values: &[f64]) -> [f64; 5] {
    let s = sorted_finite(values);
    FAN.map(|p| percentile(&s, p).unwrap_or(f64::NAN))
}

/// Mean and sample standard deviation of finite `values`.
pub(crate) fn mean_std(values: &[f64]) -> Option<(f64, f64)> {
    let v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    #[allow(clippy::cast_precision_loss)]
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 {
        v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    Some((mean, var.sqrt()))
}

/// Equal-width bins over sorted `values`: `(left edge, width, count)`.
/// Square-root rule for the number of bins, between 5 and 40; one bin of
/// width 1 around a constant sample.
pub(crate) fn histogram(sorted: &[f64]) -> Vec<(f64, f64, usize)> {
    let (Some(&lo), Some(&hi)) = (sorted.first(), sorted.last()) else {
        return Vec::new();
    };
    if hi <= lo {
        let w = lo.abs().max(1.0) * 0.01;
        return vec![(lo - w / 2.0, w, sorted.len())];
    }
    #[allow(clippy::cast_precision_loss)]
    let n = sorted.len() as f64;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let bins = (n.sqrt().ceil() as usize).clamp(5, 40);
    #[allow(clippy::cast_precision_loss)]
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0usize; bins];
    for &x in sorted {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let k = (((x - lo) / width) as usize).min(bins - 1);
        if let Some(c) = counts.get_mut(k) {
            *c += 1;
        }
    }
    counts
        .into_iter()
        .enumerate()
        .map(|(k, c)| {
            #[allow(clippy::cast_precision_loss)]
            let left = lo + width * k as f64;
            (left, width, c)
        })
        .collect()
}

/// A short axis label: `1.25k`, `60.9G`, `-3.5M`, `0.25`.
pub(crate) fn si(v: f64) -> String {
    let a = v.abs();
    let (scaled, suffix) = if a >= 1e12 {
        (v / 1e12, "T")
    } else if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let text = if scaled.abs() >= 100.0 || scaled.fract() == 0.0 {
        format!("{scaled:.0}")
    } else if scaled.abs() >= 10.0 {
        format!("{scaled:.1}")
    } else {
        format!("{scaled:.2}")
    };
    format!("{text}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_between_ranks() {
        let s = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(percentile(&s, 0.0), Some(1.0));
        assert_eq!(percentile(&s, 50.0), Some(3.0));
        assert_eq!(percentile(&s, 100.0), Some(5.0));
        assert_eq!(percentile(&s, 25.0), Some(2.0));
        assert_eq!(percentile(&[1.0, 2.0], 50.0), Some(1.5));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(fan(&[7.0]), [7.0; 5]);
    }

    #[test]
    fn histogram_counts_every_value_once() {
        let v: Vec<f64> = (0..100).map(f64::from).collect();
        let h = histogram(&v);
        assert_eq!(h.len(), 10);
        assert_eq!(h.iter().map(|b| b.2).sum::<usize>(), 100);
        assert!(h.iter().all(|b| b.2 == 10), "{h:?}");
        let constant = histogram(&[5.0, 5.0]);
        assert_eq!(constant.len(), 1);
        assert_eq!(constant[0].2, 2);
    }

    #[test]
    fn si_labels_are_short() {
        assert_eq!(si(60_892_325_639.0), "60.9G");
        assert_eq!(si(2_611_822.0), "2.61M");
        assert_eq!(si(1500.0), "1.50k");
        assert_eq!(si(-250.0), "-250");
        assert_eq!(si(0.25), "0.25");
        assert_eq!(si(3.0), "3");
        assert_eq!(mean_std(&[1.0, 3.0]), Some((2.0, 2.0_f64.sqrt())));
    }
}
