//! Number formatting and the key/value tables of the summaries.

/// A cost or bound: thousands grouped, two decimals below 10⁴, none above,
/// scientific beyond 10¹⁵; `—` for a missing or non-finite value.
pub(crate) fn money(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => {
            if x.abs() >= 1e15 {
                format!("{x:.6e}")
            } else if x.abs() >= 1e4 {
                group(&format!("{x:.0}"))
            } else {
                group(&format!("{x:.2}"))
            }
        }
        _ => "—".to_owned(),
    }
}

/// A count with grouped thousands.
pub(crate) fn count(n: u64) -> String {
    group(&n.to_string())
}

/// A relative gap as a percentage.
pub(crate) fn percent(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{:.4} %", 100.0 * x),
        _ => "—".to_owned(),
    }
}

/// Seconds with a unit that fits.
pub(crate) fn seconds(s: f64) -> String {
    if s < 1.0 {
        format!("{:.0} ms", s * 1e3)
    } else if s < 120.0 {
        format!("{s:.2} s")
    } else {
        let m = (s / 60.0).floor();
        format!("{m:.0} min {:.0} s", s - 60.0 * m)
    }
}

/// Inserts `,` between groups of three digits of the integer part.
fn group(text: &str) -> String {
    let (sign, rest) = text.strip_prefix('-').map_or(("", text), |r| ("-", r));
    let (int, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut out = String::with_capacity(text.len() + int.len() / 3);
    out.push_str(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// Key/value rows printed with aligned keys.
#[derive(Debug, Default)]
pub(crate) struct Table {
    rows: Vec<(String, String)>,
}

impl Table {
    pub(crate) fn row(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.rows.push((key.to_owned(), value.into()));
        self
    }

    pub(crate) fn render(&self, title: &str) -> String {
        let width = self.rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
        let mut out = format!("{title}\n");
        for (k, v) in &self.rows {
            out.push_str(&format!("  {k:<width$}  {v}\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_groups_thousands_and_rounds_by_magnitude() {
        assert_eq!(money(Some(2_611_822.251)), "2,611,822");
        assert_eq!(money(Some(-1234.5)), "-1,234.50");
        assert_eq!(money(Some(12.0)), "12.00");
        assert_eq!(money(Some(f64::NAN)), "—");
        assert_eq!(money(None), "—");
        assert_eq!(money(Some(6.1e16)), "6.100000e16");
    }

    #[test]
    fn percent_and_seconds_pick_readable_units() {
        assert_eq!(percent(Some(0.012_345)), "1.2345 %");
        assert_eq!(seconds(0.25), "250 ms");
        assert_eq!(seconds(3.5), "3.50 s");
        assert_eq!(seconds(150.0), "2 min 30 s");
        assert_eq!(count(1_234_567), "1,234,567");
    }

    #[test]
    fn table_aligns_keys() {
        let mut t = Table::default();
        t.row("a", "1").row("long key", "2");
        assert_eq!(t.render("T"), "T\n  a         1\n  long key  2\n");
    }
}
