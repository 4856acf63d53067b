//! The report's charts, drawn by `plotters` into SVG strings: each function
//! takes plain series and returns one `<svg>` element with its title, axis
//! titles and legend as text.

use super::data::{StageCuts, StageSeries, StorageFan};
use super::stats::{si, FAN};
use cobre::{IterationRecord, UpperBoundKind};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

/// A drawing error, as text.
pub(crate) type ChartResult = Result<String, String>;

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Drawn = Result<(), Box<dyn std::error::Error>>;

/// Width and height of a full-width chart (px).
const WIDE: (u32, u32) = (900, 380);
/// Width and height of a chart in a two-column grid (px).
const HALF: (u32, u32) = (560, 340);
const FONT: &str = "sans-serif";

/// The palette (colour-blind-safe "tab10" order), as `0xRRGGBB`.
const PALETTE: [RGBColor; 8] = [
    hex(0x1f77b4),
    hex(0xff7f0e),
    hex(0x2ca02c),
    hex(0xd62728),
    hex(0x9467bd),
    hex(0x8c564b),
    hex(0xe377c2),
    hex(0x7f7f7f),
];

/// The colour `0xRRGGBB`.
const fn hex(rgb: u32) -> RGBColor {
    RGBColor((rgb >> 16) as u8, (rgb >> 8) as u8, rgb as u8)
}

fn color(i: usize) -> RGBColor {
    PALETTE.get(i % PALETTE.len()).copied().unwrap_or(BLACK)
}

/// Draws into a fresh SVG string of `size`.
fn svg(size: (u32, u32), draw: impl FnOnce(&Area<'_>) -> Drawn) -> ChartResult {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        draw(&root).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// How an axis labels its ticks.
#[derive(Clone, Copy)]
enum Ticks<'f> {
    /// Values with an SI suffix ([`si`]).
    Si,
    /// Whole numbers (iterations, counts).
    Whole,
    /// The stage id at each stage position.
    Stages(&'f [i32]),
}

impl Ticks<'_> {
    /// The label of tick value `v`.
    fn label(self, v: f64) -> String {
        match self {
            Ticks::Si => si(v),
            Ticks::Whole => format!("{v:.0}"),
            Ticks::Stages(ids) => stage_label(ids, v),
        }
    }
}

/// One axis of a chart: its title and how its ticks read.
type Axis<'f> = (&'f str, Ticks<'f>);

/// A chart drawn on `f64` axes.
type Plot<'c, 'x> = ChartContext<'c, SVGBackend<'x>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A chart's caption and axes; every chart has a 12 px margin and white
/// light grid lines.
struct Frame<'f> {
    /// Caption text.
    caption: &'f str,
    /// Caption font size (px).
    caption_size: u32,
    /// Height of the x label area and width of the y label area (px).
    label_areas: (u32, u32),
    /// The x axis.
    x: Axis<'f>,
    /// The y axis.
    y: Axis<'f>,
}

impl<'f> Frame<'f> {
    /// A frame with a 20 px caption and label areas of 42 px (x) and
    /// 64 px (y).
    fn new(caption: &'f str, x: Axis<'f>, y: Axis<'f>) -> Self {
        Self {
            caption,
            caption_size: 20,
            label_areas: (42, 64),
            x,
            y,
        }
    }

    /// The same with a caption of `size` px.
    fn caption_size(self, size: u32) -> Self {
        Self {
            caption_size: size,
            ..self
        }
    }

    /// The same with label areas of `x` px (height) and `y` px (width).
    fn label_areas(self, x: u32, y: u32) -> Self {
        Self {
            label_areas: (x, y),
            ..self
        }
    }

    /// The chart on `area` over `x` × `y`, its mesh drawn.
    fn build<'c, 'x>(
        &self,
        area: &Area<'x>,
        x: std::ops::Range<f64>,
        y: std::ops::Range<f64>,
    ) -> Result<Plot<'c, 'x>, Box<dyn std::error::Error>> {
        let mut chart = ChartBuilder::on(area)
            .caption(self.caption, (FONT, self.caption_size))
            .margin(12)
            .x_label_area_size(self.label_areas.0)
            .y_label_area_size(self.label_areas.1)
            .build_cartesian_2d(x, y)?;
        let (x_ticks, y_ticks) = (self.x.1, self.y.1);
        chart
            .configure_mesh()
            .x_desc(self.x.0)
            .y_desc(self.y.0)
            .x_label_formatter(&|v| x_ticks.label(*v))
            .y_label_formatter(&|v| y_ticks.label(*v))
            .light_line_style(WHITE)
            .draw()?;
        Ok(chart)
    }
}

/// Draws the legend of the chart's labelled series in its upper right
/// corner.
fn upper_right_legend<'c, 'x: 'c>(chart: &mut Plot<'c, 'x>) -> Drawn {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font((FONT, 13))
        .draw()?;
    Ok(())
}

/// `lo..hi` widened by 5 % (and made non-empty).
fn padded(lo: f64, hi: f64) -> std::ops::Range<f64> {
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    let span = (hi - lo).abs().max(hi.abs().max(1.0) * 1e-6);
    (lo - 0.05 * span)..(hi + 0.05 * span)
}

/// Width of the legend panel beside a chart (px).
const PANEL: u32 = 170;

/// How a legend entry is drawn: a line or a filled box of this style.
#[derive(Clone, Copy)]
enum Mark {
    Line(ShapeStyle),
    Fill(ShapeStyle),
}

/// Splits `root` into the plot and a legend panel on its right.
fn with_panel<'a>(root: &Area<'a>) -> (Area<'a>, Area<'a>) {
    let (w, _) = root.dim_in_pixel();
    root.split_horizontally(w.saturating_sub(PANEL))
}

/// `text`, cut to `max` characters with an ellipsis.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut t: String = text.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A legend in its own panel beside the plot (never over the data).
fn side_legend(area: &Area<'_>, entries: &[(String, Mark)]) -> Drawn {
    let mut y = 52;
    for (text, mark) in entries {
        match *mark {
            Mark::Line(style) => area.draw(&PathElement::new(vec![(6, y), (28, y)], style))?,
            Mark::Fill(style) => area.draw(&Rectangle::new([(6, y - 6), (28, y + 6)], style))?,
        }
        area.draw(&Text::new(clip(text, 19), (34, y - 7), (FONT, 13)))?;
        y += 22;
    }
    Ok(())
}

/// `0..hi` with room above the data for a legend of `entries` lines.
fn with_headroom(hi: f64, entries: usize) -> std::ops::Range<f64> {
    let hi = if hi.is_finite() && hi > 0.0 { hi } else { 1.0 };
    0.0..hi * headroom(entries)
}

/// The factor on a chart's range that leaves room for a legend.
#[allow(clippy::cast_precision_loss)]
fn headroom(entries: usize) -> f64 {
    1.12 + 0.07 * entries as f64
}

fn min_max(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        })
}

/// The stage id at x position `x` (labels only at whole positions).
fn stage_label(stage_ids: &[i32], x: f64) -> String {
    let r = x.round();
    if (x - r).abs() > 1e-6 || r < 0.0 {
        return String::new();
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    stage_ids
        .get(r as usize)
        .map_or_else(String::new, ToString::to_string)
}

#[allow(clippy::cast_precision_loss)]
fn pos(i: usize) -> f64 {
    i as f64
}

/// Lower and upper bound per iteration; a statistical upper bound with its
/// 95 % interval as a band.
pub(crate) fn bounds(records: &[IterationRecord]) -> ChartResult {
    let kind = records
        .last()
        .map_or(UpperBoundKind::Statistical, |r| r.upper_bound_kind);
    let (lo, hi) = min_max(records.iter().flat_map(|r| {
        [
            r.lower_bound,
            r.upper_bound - r.ci_95,
            r.upper_bound + r.ci_95,
        ]
    }));
    let first = records.first().map_or(1, |r| r.iteration);
    let last = records.last().map_or(1, |r| r.iteration).max(first + 1);
    #[allow(clippy::cast_precision_loss)]
    let x = (first as f64)..(last as f64);
    let upper_label = match kind {
        UpperBoundKind::SingleSample => "upper bound estimate (one forward pass, not a bound)",
        UpperBoundKind::Exact => "upper bound (exact)",
        _ => "upper bound (statistical estimate)",
    };
    svg(WIDE, |root| {
        let frame = Frame::new(
            "Bounds per iteration",
            ("iteration", Ticks::Whole),
            ("cost ($)", Ticks::Si),
        )
        .label_areas(42, 72);
        let r = padded(lo, hi);
        let mut chart = frame.build(root, x, r.start..r.start + headroom(3) * (r.end - r.start))?;
        #[allow(clippy::cast_precision_loss)]
        let it = |r: &IterationRecord| r.iteration as f64;
        if kind == UpperBoundKind::Statistical {
            let mut band: Vec<(f64, f64)> = records
                .iter()
                .map(|r| (it(r), r.upper_bound + r.ci_95))
                .collect();
            band.extend(
                records
                    .iter()
                    .rev()
                    .map(|r| (it(r), r.upper_bound - r.ci_95)),
            );
            let fill = color(1).mix(0.22);
            chart
                .draw_series(std::iter::once(Polygon::new(band, fill.filled())))?
                .label("95 % interval of the upper bound")
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], fill.filled()));
        }
        if kind == UpperBoundKind::SingleSample {
            // Samples, not a curve: points over a faint line.
            chart.draw_series(LineSeries::new(
                records.iter().map(|r| (it(r), r.upper_bound)),
                color(1).mix(0.35).stroke_width(1),
            ))?;
            let dot = color(1).filled();
            chart
                .draw_series(
                    records
                        .iter()
                        .map(|r| Circle::new((it(r), r.upper_bound), 2, dot)),
                )?
                .label(upper_label)
                .legend(move |(x, y)| Circle::new((x + 10, y), 3, dot));
        } else {
            let style = color(1).stroke_width(2);
            chart
                .draw_series(LineSeries::new(
                    records.iter().map(|r| (it(r), r.upper_bound)),
                    style,
                ))?
                .label(upper_label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        }
        chart
            .draw_series(LineSeries::new(
                records.iter().map(|r| (it(r), r.lower_bound)),
                color(0).stroke_width(2),
            ))?
            .label("lower bound")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color(0).stroke_width(2)));
        upper_right_legend(&mut chart)
    })
}

/// One value per iteration as bars.
pub(crate) fn per_iteration(
    records: &[IterationRecord],
    title: &str,
    y_desc: &str,
    value: fn(&IterationRecord) -> f64,
    colour: usize,
) -> ChartResult {
    let (_, hi) = min_max(records.iter().map(value));
    let first = records.first().map_or(1, |r| r.iteration);
    let last = records.last().map_or(1, |r| r.iteration);
    #[allow(clippy::cast_precision_loss)]
    let x = (first as f64 - 0.5)..(last as f64 + 0.5);
    svg(HALF, |root| {
        let frame = Frame::new(title, ("iteration", Ticks::Whole), (y_desc, Ticks::Si))
            .caption_size(18)
            .label_areas(40, 64);
        let mut chart = frame.build(root, x, 0.0..padded(0.0, hi.max(0.0)).end)?;
        let fill = color(colour).mix(0.85).filled();
        chart.draw_series(records.iter().map(|r| {
            #[allow(clippy::cast_precision_loss)]
            let x = r.iteration as f64;
            Rectangle::new([(x - 0.4, 0.0), (x + 0.4, value(r))], fill)
        }))?;
        Ok(())
    })
}

/// Cuts in the policy per stage: in the pool and still active.
pub(crate) fn cuts(stages: &[StageCuts]) -> ChartResult {
    let ids: Vec<i32> = stages.iter().map(|s| s.stage_id).collect();
    #[allow(clippy::cast_precision_loss)]
    let hi = stages.iter().map(|s| s.total).max().unwrap_or(1) as f64;
    let x = -0.5..(pos(stages.len()) - 0.5);
    svg(WIDE, |root| {
        let frame = Frame::new(
            "Cuts per stage",
            ("stage", Ticks::Stages(&ids)),
            ("cuts", Ticks::Si),
        );
        let mut chart = frame.build(root, x, with_headroom(hi, 2))?;
        let total = color(7).mix(0.45).filled();
        let active = color(0).filled();
        #[allow(clippy::cast_precision_loss)]
        chart
            .draw_series(stages.iter().enumerate().map(|(i, s)| {
                Rectangle::new([(pos(i) - 0.4, 0.0), (pos(i) + 0.4, s.total as f64)], total)
            }))?
            .label("in the pool")
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], total));
        #[allow(clippy::cast_precision_loss)]
        chart
            .draw_series(stages.iter().enumerate().map(|(i, s)| {
                Rectangle::new(
                    [(pos(i) - 0.25, 0.0), (pos(i) + 0.25, s.active as f64)],
                    active,
                )
            }))?
            .label("active (in the LPs)")
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], active));
        upper_right_legend(&mut chart)
    })
}

/// Histogram of the simulated total cost with its percentiles marked.
pub(crate) fn cost_histogram(
    bins: &[(f64, f64, usize)],
    percentiles: &[(f64, f64)],
    mean: Option<f64>,
) -> ChartResult {
    let lo = bins.first().map_or(0.0, |b| b.0);
    let hi = bins.last().map_or(1.0, |b| b.0 + b.1);
    #[allow(clippy::cast_precision_loss)]
    let top = bins.iter().map(|b| b.2).max().unwrap_or(1) as f64;
    svg(WIDE, |root| {
        let frame = Frame::new(
            "Simulated total cost",
            ("total discounted cost ($)", Ticks::Si),
            ("scenarios", Ticks::Whole),
        );
        let mut chart = frame.build(root, padded(lo, hi), 0.0..top * 1.45)?;
        let fill = color(0).mix(0.6).filled();
        #[allow(clippy::cast_precision_loss)]
        chart
            .draw_series(
                bins.iter()
                    .map(|&(x, w, c)| Rectangle::new([(x, 0.0), (x + w, c as f64)], fill)),
            )?
            .label("scenarios per cost bin")
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], fill));
        for (i, &(p, v)) in percentiles.iter().enumerate() {
            let style = color(3).stroke_width(if p == 50.0 { 2 } else { 1 });
            let series = chart.draw_series(LineSeries::new([(v, 0.0), (v, top * 1.05)], style))?;
            if i == 0 {
                series
                    .label("percentiles P5 · P25 · P50 · P75 · P95")
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
            }
        }
        for (text, v) in percentile_labels(percentiles, (hi - lo) * 0.04) {
            chart.draw_series(std::iter::once(Text::new(
                text,
                (v, top * 1.1),
                (FONT, 12).into_font().color(&color(3)),
            )))?;
        }
        if let Some(m) = mean {
            let style = BLACK.stroke_width(2);
            chart
                .draw_series(LineSeries::new([(m, 0.0), (m, top * 1.05)], style))?
                .label("mean")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        }
        upper_right_legend(&mut chart)
    })
}

/// The storage fan of one reservoir: 5–95 and 25–75 percentile bands and
/// the median per stage.
pub(crate) fn storage_fan(fan: &StorageFan, stage_ids: &[i32]) -> ChartResult {
    let (lo, hi) = min_max(fan.per_stage.iter().flatten().copied());
    let hi = if fan.size_hm3 > 0.0 {
        hi.max(fan.size_hm3)
    } else {
        hi
    };
    let x = -0.25..(pos(stage_ids.len().max(2)) - 0.75);
    let title = if fan.name == format!("hydro {}", fan.hydro_id) {
        format!("{}: end-of-stage storage", fan.name)
    } else {
        format!(
            "{} (hydro {}): end-of-stage storage",
            fan.name, fan.hydro_id
        )
    };
    let band = |a: usize, b: usize| -> Vec<(f64, f64)> {
        let mut pts: Vec<(f64, f64)> = fan
            .per_stage
            .iter()
            .enumerate()
            .map(|(i, p)| (pos(i), p.get(b).copied().unwrap_or(f64::NAN)))
            .collect();
        pts.extend(
            fan.per_stage
                .iter()
                .enumerate()
                .rev()
                .map(|(i, p)| (pos(i), p.get(a).copied().unwrap_or(f64::NAN))),
        );
        pts
    };
    svg((HALF.0 + PANEL - 40, HALF.1), |root| {
        let (plot, side) = with_panel(root);
        let mut entries = Vec::new();
        let frame = Frame::new(
            &title,
            ("stage", Ticks::Stages(stage_ids)),
            ("storage (hm3)", Ticks::Si),
        )
        .caption_size(16)
        .label_areas(40, 64);
        let mut chart = frame.build(&plot, x, padded(lo.min(0.0), hi))?;
        let outer = color(0).mix(0.18).filled();
        let inner = color(0).mix(0.38).filled();
        chart.draw_series(std::iter::once(Polygon::new(band(0, 4), outer)))?;
        entries.push((format!("P{:.0}–P{:.0}", FAN[0], FAN[4]), Mark::Fill(outer)));
        chart.draw_series(std::iter::once(Polygon::new(band(1, 3), inner)))?;
        entries.push((format!("P{:.0}–P{:.0}", FAN[1], FAN[3]), Mark::Fill(inner)));
        let median = color(0).stroke_width(2);
        chart.draw_series(LineSeries::new(
            fan.per_stage
                .iter()
                .enumerate()
                .map(|(i, p)| (pos(i), p.get(2).copied().unwrap_or(f64::NAN))),
            median,
        ))?;
        entries.push(("median (P50)".to_owned(), Mark::Line(median)));
        if fan.size_hm3 > 0.0 {
            let cap = BLACK.mix(0.5).stroke_width(1);
            chart.draw_series(LineSeries::new(
                [
                    (-0.25, fan.size_hm3),
                    (pos(stage_ids.len().max(2)) - 0.75, fan.size_hm3),
                ],
                cap,
            ))?;
            entries.push(("capacity".to_owned(), Mark::Line(cap)));
        }
        side_legend(&side, &entries)
    })
}

/// Mean generation by source per stage, stacked.
pub(crate) fn generation(series: &[StageSeries], stage_ids: &[i32]) -> ChartResult {
    let n = stage_ids.len();
    let mut stacked: Vec<Vec<f64>> = Vec::with_capacity(series.len());
    let mut base = vec![0.0; n];
    for s in series {
        for (b, v) in base.iter_mut().zip(&s.values) {
            *b += v.max(0.0);
        }
        stacked.push(base.clone());
    }
    let (_, hi) = min_max(base.iter().copied());
    let x = -0.5..(pos(n) - 0.5);
    svg(WIDE, |root| {
        let (plot, side) = with_panel(root);
        let mut entries = Vec::new();
        let frame = Frame::new(
            "Generation by source and deficit (mean over scenarios)",
            ("stage", Ticks::Stages(stage_ids)),
            ("mean power (MW)", Ticks::Si),
        )
        .label_areas(42, 72);
        let mut chart = frame.build(&plot, x, 0.0..padded(0.0, hi.max(1.0)).end)?;
        for (k, s) in series.iter().enumerate() {
            let top = stacked.get(k).cloned().unwrap_or_default();
            let bottom = if k == 0 {
                vec![0.0; n]
            } else {
                stacked.get(k - 1).cloned().unwrap_or_default()
            };
            let fill = match s.name.as_str() {
                "deficit" => color(3),
                "thermal" => color(1),
                _ => color(0),
            }
            .mix(0.75)
            .filled();
            chart.draw_series((0..n).map(|i| {
                let y0 = bottom.get(i).copied().unwrap_or(0.0);
                let y1 = top.get(i).copied().unwrap_or(0.0);
                Rectangle::new([(pos(i) - 0.42, y0), (pos(i) + 0.42, y1)], fill)
            }))?;
            entries.push((s.name.clone(), Mark::Fill(fill)));
        }
        side_legend(&side, &entries)
    })
}

/// Mean deficit per bus per stage, one line per bus.
pub(crate) fn deficit(series: &[StageSeries], stage_ids: &[i32]) -> ChartResult {
    let (_, hi) = min_max(series.iter().flat_map(|s| s.values.iter().copied()));
    let x = -0.25..(pos(stage_ids.len().max(2)) - 0.75);
    svg(WIDE, |root| {
        let (plot, side) = with_panel(root);
        let mut entries = Vec::new();
        let frame = Frame::new(
            "Deficit per bus (mean over scenarios)",
            ("stage", Ticks::Stages(stage_ids)),
            ("mean deficit (MW)", Ticks::Si),
        )
        .label_areas(42, 72);
        let mut chart = frame.build(&plot, x, 0.0..padded(0.0, hi.max(1.0)).end)?;
        for (k, s) in series.iter().enumerate() {
            let style = color(k).stroke_width(2);
            chart.draw_series(LineSeries::new(
                s.values.iter().enumerate().map(|(i, v)| (pos(i), *v)),
                style,
            ))?;
            entries.push((s.name.clone(), Mark::Line(style)));
            let dot = color(k).filled();
            chart.draw_series(
                s.values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| Circle::new((pos(i), *v), 3, dot)),
            )?;
        }
        side_legend(&side, &entries)
    })
}

/// Labels of the percentile lines, percentiles closer than `min_gap`
/// merged (`P5–P75`), at the first one's position.
fn percentile_labels(percentiles: &[(f64, f64)], min_gap: f64) -> Vec<(String, f64)> {
    let mut out: Vec<(f64, f64, f64)> = Vec::new(); // (first p, last p, x)
    for &(p, v) in percentiles {
        match out.last_mut() {
            Some(g) if (v - g.2).abs() < min_gap => g.1 = p,
            _ => out.push((p, p, v)),
        }
    }
    out.into_iter()
        .map(|(a, b, v)| {
            let text = if a == b {
                format!("P{a:.0}")
            } else {
                format!("P{a:.0}–P{b:.0}")
            };
            (text, v)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_percentiles_share_one_label() {
        let p = [
            (5.0, 100.0),
            (25.0, 101.0),
            (50.0, 102.0),
            (75.0, 200.0),
            (95.0, 300.0),
        ];
        let labels = percentile_labels(&p, 10.0);
        assert_eq!(
            labels,
            vec![
                ("P5–P50".to_owned(), 100.0),
                ("P75".to_owned(), 200.0),
                ("P95".to_owned(), 300.0)
            ]
        );
    }
}
