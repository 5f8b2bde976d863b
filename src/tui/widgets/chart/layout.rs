//! A chart's figure layout, computed once and drawn by both renderers (the terminal widget
//! and the SVG export): the points after the axis transforms (a series flat to rounding at
//! its mean), the x and y ranges (fixed bounds, the fit, the x zoom, the flat-series rule),
//! the y ticks and their labels, the counts of values that cannot be drawn, and the legend
//! (series that coincide merged into one entry). So a figure has the same scales on screen
//! and on a slide.

use super::axis::{Pos, is_flat, settle, tick_labels, ticks, transform, value_label};
use super::{Chart, Series};

/// The most y ticks a figure gets: the terminal gives fewer only when its plot is short.
pub const MAX_Y_TICKS: usize = 6;

/// One axis as drawn: its range and ticks in transformed units (log10 on a log axis).
#[derive(Clone, Debug, PartialEq)]
pub struct AxisLayout {
    pub lo: f64,
    pub hi: f64,
    pub log: bool,
    pub ticks: Vec<f64>,
    /// One label per tick, all different.
    pub labels: Vec<String>,
}

impl AxisLayout {
    fn new(lo: f64, hi: f64, log: bool, slots: usize) -> Self {
        let ticks = ticks(lo, hi, log, slots);
        let labels = tick_labels(&ticks, log);
        AxisLayout {
            lo,
            hi,
            log,
            ticks,
            labels,
        }
    }

    /// The ticks again for room for `slots` of them (a short terminal plot).
    pub fn with_slots(&self, slots: usize) -> Self {
        AxisLayout::new(self.lo, self.hi, self.log, slots.min(MAX_Y_TICKS))
    }

    /// The label of one value on this axis (in transformed units): a decade by name, else
    /// the value in full (an axis end, 36.5, is not rounded to a tick's precision).
    pub fn label(&self, t: f64) -> String {
        value_label(t, self.log)
    }
}

/// Bad values of all series, by kind.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Counts {
    pub nan: usize,
    pub pos_inf: usize,
    pub neg_inf: usize,
    /// Values ≤ 0 on a log axis.
    pub below: usize,
    /// Finite values above / below the y range shown (a range fitted to some series, or
    /// fixed bounds): marked on the edge they left by, never silently dropped.
    pub over: usize,
    pub under: usize,
}

/// What a legend entry stands for; each renderer draws its own sample for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LegendKind {
    /// Series `i` (the one drawn on top of those the entry names).
    Series(usize),
    /// The bands around the series.
    Band,
    /// The reference lines.
    Reference,
    /// The vertical marker line.
    Marker,
    /// Non-finite values (an error: NaN, ±∞).
    NonFinite,
    /// Counts of values drawn on an edge: ≤ 0 on a log axis, above or below the range.
    OffRange,
}

/// One legend entry.
#[derive(Clone, Debug, PartialEq)]
pub struct LegendItem {
    pub kind: LegendKind,
    pub label: String,
}

/// Everything both renderers draw from.
#[derive(Clone, Debug)]
pub struct ChartLayout {
    pub x: AxisLayout,
    pub y: AxisLayout,
    /// Each series' points, (x, y) after the axis transforms.
    pub points: Vec<Vec<(Pos, Pos)>>,
    /// Each series' band, (x, low, high) after the axis transforms.
    pub bands: Vec<Vec<(Pos, Pos, Pos)>>,
    pub legend: Vec<LegendItem>,
}

impl ChartLayout {
    /// The layout of `chart`, with up to [`MAX_Y_TICKS`] y ticks.
    pub fn of(chart: &Chart) -> ChartLayout {
        let points: Vec<_> = chart.series.iter().map(|s| points(chart, s)).collect();
        let bands: Vec<_> = chart.series.iter().map(|s| band_points(chart, s)).collect();
        let (xlo, xhi) = x_range(chart, &points);
        let in_x =
            |x: f64| x >= xlo - 1e-9 * (xhi - xlo).abs() && x <= xhi + 1e-9 * (xhi - xlo).abs();
        let (ylo, yhi) = match chart.y.bounds {
            Some((a, b)) => (on_axis(a, chart.y.log), on_axis(b, chart.y.log)),
            None => {
                let fit = chart.fit.as_deref();
                let (a, b) = y_extent(&points, &bands, fit, &in_x);
                let (a, b) = if a.is_finite() {
                    (a, b)
                } else {
                    y_extent(&points, &bands, None, &in_x)
                };
                settle(a, b, chart.y.log)
            }
        };
        let counts = counts(chart, &points, (xlo, xhi), (ylo, yhi));
        let legend = legend(chart, &counts);
        // Values inside the range to rounding are put on its edge: a renderer drops what
        // lies outside, and a series at 1 + 1e-13 on a range ending at 1 must stay drawn.
        let snap = |v: &mut f64, lo: f64, hi: f64| {
            if off_range(*v, lo, hi).is_none() {
                *v = v.clamp(lo, hi);
            }
        };
        let mut points = points;
        for (px, py) in points.iter_mut().flatten() {
            if let Pos::At(x) = px {
                snap(x, xlo, xhi);
            }
            if let Pos::At(y) = py {
                snap(y, ylo, yhi);
            }
        }
        ChartLayout {
            x: AxisLayout::new(xlo, xhi, chart.x.log, MAX_Y_TICKS),
            y: AxisLayout::new(ylo, yhi, chart.y.log, MAX_Y_TICKS),
            points,
            bands,
            legend,
        }
    }

    /// Whether x (transformed) is inside the x range shown, to rounding.
    pub fn in_x(&self, x: f64) -> bool {
        let slack = 1e-9 * (self.x.hi - self.x.lo).abs();
        x >= self.x.lo - slack && x <= self.x.hi + slack
    }
}

/// A bound on an axis, transformed (a bound ≤ 0 on a log axis is taken as 1e-300).
fn on_axis(v: f64, log: bool) -> f64 {
    if log { v.max(1e-300).log10() } else { v }
}

/// The x value of point `i` of a series: its x, or its index.
fn x_of(s: &Series, i: usize) -> f64 {
    s.xs.map_or(i as f64, |xs| xs.get(i).copied().unwrap_or(f64::NAN))
}

/// The points of a series after the axis transforms. A series flat to rounding is drawn at
/// its mean, so 1 ± 2e-13 is one line, not a staircase.
fn points(chart: &Chart, s: &Series) -> Vec<(Pos, Pos)> {
    let finite = s.ys.iter().copied().filter(|y| y.is_finite());
    let (lo, hi) = finite
        .clone()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
            (a.min(y), b.max(y))
        });
    let n = finite.clone().count();
    let mean = finite.sum::<f64>() / n.max(1) as f64;
    let flat = n > 1 && is_flat(lo, hi);
    s.ys.iter()
        .enumerate()
        .map(|(i, &y)| {
            let y = if flat && y.is_finite() { mean } else { y };
            (
                transform(x_of(s, i), chart.x.log),
                transform(y, chart.y.log),
            )
        })
        .collect()
}

/// The points of a series' band: (x, low, high) after the axis transforms.
fn band_points(chart: &Chart, s: &Series) -> Vec<(Pos, Pos, Pos)> {
    let Some((lo, hi)) = s.band else {
        return Vec::new();
    };
    lo.iter()
        .zip(hi)
        .enumerate()
        .map(|(i, (&a, &b))| {
            (
                transform(x_of(s, i), chart.x.log),
                transform(a, chart.y.log),
                transform(b, chart.y.log),
            )
        })
        .collect()
}

/// The x range: the bounds, else every point with a finite x (so non-finite y values still
/// get a column to be marked in); then the zoom's first 1/2^k of it.
fn x_range(chart: &Chart, all: &[Vec<(Pos, Pos)>]) -> (f64, f64) {
    let (lo, hi) = match chart.x.bounds {
        Some((a, b)) => (on_axis(a, chart.x.log), on_axis(b, chart.x.log)),
        None => {
            let (a, b) = all
                .iter()
                .flatten()
                .filter_map(|p| match p.0 {
                    Pos::At(x) => Some(x),
                    _ => None,
                })
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                    (a.min(x), b.max(x))
                });
            if a.is_finite() && b > a {
                (a, b)
            } else {
                settle(a, b, false)
            }
        }
    };
    let shown = (hi - lo) / 2f64.powi(chart.x_zoom.min(40) as i32);
    (lo, lo + shown)
}

/// The extent of the y values (and bands) of the series in `only` (all if `None`) at x
/// values inside the range shown.
fn y_extent(
    all: &[Vec<(Pos, Pos)>],
    bands: &[Vec<(Pos, Pos, Pos)>],
    only: Option<&[usize]>,
    in_x: &dyn Fn(f64) -> bool,
) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for (k, pts) in all.iter().enumerate() {
        if only.is_some_and(|o| !o.contains(&k)) {
            continue;
        }
        let band = bands.get(k).into_iter().flatten();
        let ys = pts
            .iter()
            .map(|&(x, y)| (x, y))
            .chain(band.flat_map(|&(x, a, b)| [(x, a), (x, b)]));
        for (px, py) in ys {
            if let (Pos::At(x), Pos::At(y)) = (px, py)
                && in_x(x)
            {
                lo = lo.min(y);
                hi = hi.max(y);
            }
        }
    }
    (lo, hi)
}

/// `Some(true)` above `lo..=hi`, `Some(false)` below, `None` inside (to rounding).
pub(super) fn off_range(y: f64, lo: f64, hi: f64) -> Option<bool> {
    let slack = 1e-9 * (hi - lo).abs().max(1e-300);
    if y > hi + slack {
        Some(true)
    } else if y < lo - slack {
        Some(false)
    } else {
        None
    }
}

/// Whether two series hold the same values (to rounding) at the same x.
pub(super) fn coincide(a: &Series, b: &Series) -> bool {
    a.ys.len() == b.ys.len()
        && a.xs.map(<[f64]>::len) == b.xs.map(<[f64]>::len)
        && a.xs.zip(b.xs).is_none_or(|(x, y)| x == y)
        && a.ys.iter().zip(b.ys).all(|(u, v)| {
            u == v || (u.is_nan() && v.is_nan()) || (u - v).abs() <= 1e-9 * u.abs().max(v.abs())
        })
}

/// The bad values, each distinct series counted once: a series drawn twice (a line and its
/// points) has its bad values counted once.
fn counts(
    chart: &Chart,
    all: &[Vec<(Pos, Pos)>],
    (xlo, xhi): (f64, f64),
    (ylo, yhi): (f64, f64),
) -> Counts {
    let mut counts = Counts::default();
    for (k, pts) in all.iter().enumerate() {
        if (0..k).any(|j| coincide(&chart.series[j], &chart.series[k])) {
            continue;
        }
        for (px, py) in pts {
            let Pos::At(x) = px else { continue };
            let in_x = (xlo.min(xhi)..=xhi.max(xlo)).contains(x);
            match py {
                Pos::Top('×') => counts.nan += 1,
                Pos::Top(_) => counts.pos_inf += 1,
                Pos::NegInf => counts.neg_inf += 1,
                Pos::Below => counts.below += 1,
                Pos::At(y) if in_x => match off_range(*y, ylo, yhi) {
                    Some(true) => counts.over += 1,
                    Some(false) => counts.under += 1,
                    None => {}
                },
                Pos::At(_) => {}
            }
        }
    }
    counts
}

/// The legend: every named series (series that coincide share one entry, "a = b = c"), the
/// bands, the reference lines, the marker line, and the bad values.
fn legend(chart: &Chart, counts: &Counts) -> Vec<LegendItem> {
    let mut items = Vec::new();
    let named: Vec<usize> = (0..chart.series.len())
        .filter(|&i| !chart.series[i].name.is_empty())
        .collect();
    let mut taken = vec![false; named.len()];
    for i in (0..named.len()).rev() {
        if taken[i] {
            continue;
        }
        // The series drawn on top (the last) first: it is usually the subject.
        let s = &chart.series[named[i]];
        let class: Vec<usize> = (0..=i)
            .rev()
            .filter(|&j| !taken[j] && coincide(&chart.series[named[j]], s))
            .collect();
        let names: Vec<&str> = class
            .iter()
            .map(|&j| chart.series[named[j]].name.as_str())
            .collect();
        for &j in &class {
            taken[j] = true;
        }
        items.push(LegendItem {
            kind: LegendKind::Series(named[i]),
            label: names.join(" = "),
        });
    }
    items.reverse();
    let mut push = |kind, label: String| items.push(LegendItem { kind, label });
    if let Some(label) = chart.band_label.as_ref()
        && chart.series.iter().any(|s| s.band.is_some())
    {
        push(LegendKind::Band, label.clone());
    }
    if let Some(label) = chart.ref_label.as_ref().filter(|l| !l.is_empty())
        && !chart.ref_y.is_empty()
    {
        push(LegendKind::Reference, label.clone());
    }
    if let Some((_, label)) = &chart.marker_x {
        push(LegendKind::Marker, label.clone());
    }
    let mut bad = Vec::new();
    if counts.nan > 0 {
        bad.push(format!("×{} NaN", counts.nan));
    }
    if counts.pos_inf > 0 {
        bad.push(format!("▲{} +∞", counts.pos_inf));
    }
    if counts.neg_inf > 0 {
        bad.push(format!("▼{} −∞", counts.neg_inf));
    }
    if !bad.is_empty() {
        let n = counts.nan + counts.pos_inf + counts.neg_inf;
        push(
            LegendKind::NonFinite,
            format!("{} ({n} non-finite)", bad.join(" ")),
        );
    }
    if counts.below > 0 {
        // Values ≤ 0 have no place on a log axis; they are results, not errors.
        push(LegendKind::OffRange, format!("▼{} ≤ 0", counts.below));
    }
    if counts.over > 0 {
        push(LegendKind::OffRange, format!("▲{} above", counts.over));
    }
    if counts.under > 0 {
        push(LegendKind::OffRange, format!("▼{} below", counts.under));
    }
    items
}
