//! A line/scatter chart with linear or log axes that never hides a bad value: NaN and +∞
//! are marked on the top edge (`×`, `▲`), −∞ and non-positive values on a log axis on the
//! bottom edge (`▼`), and the legend counts them. Each series may have its own marker, so
//! the mono theme tells series apart without colour.
//!
//! Plotting goes through ratatui's `Canvas`, one per series (canvases only paint the cells
//! they draw on, so they layer); axes, ticks, legend and marks are drawn here.

use crate::fmt::{fmt_num, short_num};
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use ratatui::widgets::canvas::{Canvas, Context, Line as CanvasLine, Points};

/// One series: y values, with x values or (if `xs` is `None`) their index.
#[derive(Clone, Debug)]
pub struct Series<'a> {
    pub name: String,
    pub xs: Option<&'a [f64]>,
    pub ys: &'a [f64],
    pub style: Style,
    pub marker: Marker,
    /// Points only, no connecting lines.
    pub scatter: bool,
}

impl<'a> Series<'a> {
    pub fn new(name: impl Into<String>, ys: &'a [f64], style: Style, marker: Marker) -> Self {
        Self {
            name: name.into(),
            xs: None,
            ys,
            style,
            marker,
            scatter: false,
        }
    }

    pub fn xs(mut self, xs: &'a [f64]) -> Self {
        self.xs = Some(xs);
        self
    }

    pub fn scatter(mut self) -> Self {
        self.scatter = true;
        self
    }
}

/// An axis: label, log or linear, optional fixed bounds (in data units).
#[derive(Clone, Debug, Default)]
pub struct Axis {
    pub label: String,
    pub log: bool,
    pub bounds: Option<(f64, f64)>,
}

impl Axis {
    pub fn new(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            ..Self::default()
        }
    }

    pub fn log(mut self, log: bool) -> Self {
        self.log = log;
        self
    }

    pub fn bounds(mut self, lo: f64, hi: f64) -> Self {
        self.bounds = Some((lo, hi));
        self
    }
}

/// The chart widget.
#[derive(Clone, Debug)]
pub struct Chart<'a> {
    pub title: String,
    pub series: Vec<Series<'a>>,
    pub x: Axis,
    pub y: Axis,
    /// Fit the y range to these series only (others may run off the chart), when set.
    pub fit: Option<Vec<usize>>,
    /// A vertical marker line at this x (data units), with a label.
    pub marker_x: Option<(f64, String)>,
    /// Dotted horizontal reference lines at these y (data units): 1 for ratios, 0 for
    /// logs, targets and optima.
    pub ref_y: Vec<f64>,
    pub theme: &'a Theme,
}

/// Where a value lands after the axis transform.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Pos {
    At(f64),
    /// NaN or +∞: marked on the top edge.
    Top(char),
    /// −∞, or ≤ 0 on a log axis: marked on the bottom edge.
    Bottom,
}

fn transform(v: f64, log: bool) -> Pos {
    if v.is_nan() {
        Pos::Top('×')
    } else if v == f64::INFINITY {
        Pos::Top('▲')
    } else if v == f64::NEG_INFINITY || (log && v <= 0.0) {
        Pos::Bottom
    } else if log {
        Pos::At(v.log10())
    } else {
        Pos::At(v)
    }
}

/// `lo..hi` padded so a flat or empty range still has height; log ranges snap to decades.
fn settle(lo: f64, hi: f64, log: bool) -> (f64, f64) {
    if !lo.is_finite() || !hi.is_finite() {
        return if log { (-1.0, 1.0) } else { (0.0, 1.0) };
    }
    if log {
        if hi - lo < 0.5 {
            // A flat curve: one decade centred on it, not pinned to an edge.
            let c = 0.5 * (lo + hi);
            (c - 0.5, c + 0.5)
        } else {
            (lo.floor(), hi.ceil())
        }
    } else if hi - lo <= f64::EPSILON * hi.abs().max(1.0) * 16.0 {
        let pad = if lo.abs() > 0.0 { lo.abs() * 0.1 } else { 1.0 };
        (lo - pad, hi + pad)
    } else {
        let pad = (hi - lo) * 0.05;
        (lo - pad, hi + pad)
    }
}

/// Tick values (in transformed units) for an axis spanning `lo..hi` with room for `slots`:
/// whole decades on a log axis (the ends too when fewer than two decades fit), multiples of
/// 1, 2 or 5 × 10^k on a linear one.
fn ticks(lo: f64, hi: f64, log: bool, slots: usize) -> Vec<f64> {
    let slots = slots.max(2);
    if log {
        let (a, b) = (lo.ceil() as i64, hi.floor() as i64);
        if b < a {
            return vec![lo, hi];
        }
        let n = (b - a + 1) as usize;
        let every = n.div_ceil(slots).max(1) as i64;
        (a..=b)
            .filter(|d| (d - a) % every == 0)
            .map(|d| d as f64)
            .collect()
    } else {
        let raw = (hi - lo) / (slots.min(5) - 1) as f64;
        if raw.is_nan() || raw <= 0.0 || raw.is_infinite() {
            return vec![lo, hi];
        }
        let mag = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * mag)
            .find(|st| *st >= raw)
            .unwrap_or(10.0 * mag);
        let first = (lo / step).ceil() as i64;
        let last = (hi / step).floor() as i64;
        (first..=last).map(|i| i as f64 * step).collect()
    }
}

fn tick_label(t: f64, log: bool) -> String {
    if log {
        let d = t.round() as i32;
        if (t - d as f64).abs() > 1e-9 {
            return short_num(10f64.powf(t));
        }
        match d {
            0 => "1".into(),
            1 => "10".into(),
            2 => "100".into(),
            -1 => "0.1".into(),
            _ => format!("1e{d}"),
        }
    } else {
        fmt_num(t)
    }
}

impl Chart<'_> {
    fn points(&self, s: &Series) -> Vec<(Pos, Pos)> {
        s.ys.iter()
            .enumerate()
            .map(|(i, &y)| {
                let x =
                    s.xs.map_or(i as f64, |xs| xs.get(i).copied().unwrap_or(f64::NAN));
                (transform(x, self.x.log), transform(y, self.y.log))
            })
            .collect()
    }

    fn range(&self, all: &[Vec<(Pos, Pos)>], axis_x: bool, only: Option<&[usize]>) -> (f64, f64) {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for (k, pts) in all.iter().enumerate() {
            if only.is_some_and(|o| !o.contains(&k)) {
                continue;
            }
            for (px, py) in pts {
                // The x range covers every point with a finite x, so non-finite y values
                // still get a column to be marked in.
                let v = match (px, py) {
                    (Pos::At(x), _) if axis_x => *x,
                    (Pos::At(_), Pos::At(y)) => *y,
                    _ => continue,
                };
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        (lo, hi)
    }
}

impl Widget for Chart<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let inner = super::framed(&self.title, self.theme, area, buf);
        if inner.width < 14 || inner.height < 4 {
            return;
        }
        let all: Vec<_> = self.series.iter().map(|s| self.points(s)).collect();

        let (xlo, xhi) = match self.x.bounds {
            Some((a, b)) => (
                if self.x.log { a.log10() } else { a },
                if self.x.log { b.log10() } else { b },
            ),
            None => {
                let (a, b) = self.range(&all, true, None);
                if a.is_finite() && b > a {
                    (a, b)
                } else {
                    settle(a, b, false)
                }
            }
        };
        let (ylo, yhi) = match self.y.bounds {
            Some((a, b)) => (
                if self.y.log { a.log10() } else { a },
                if self.y.log { b.log10() } else { b },
            ),
            None => {
                let (a, b) = self.range(&all, false, self.fit.as_deref());
                let (a, b) = if a.is_finite() {
                    (a, b)
                } else {
                    self.range(&all, false, None)
                };
                settle(a, b, self.y.log)
            }
        };

        // Y tick labels decide the left margin.
        let plot_h = inner.height.saturating_sub(2).max(2);
        let yt = ticks(ylo, yhi, self.y.log, (plot_h as usize).div_ceil(2));
        let ylabels: Vec<String> = yt.iter().map(|t| tick_label(*t, self.y.log)).collect();
        let margin = ylabels.iter().map(|l| l.chars().count()).max().unwrap_or(1) as u16 + 1;
        let plot = Rect {
            x: inner.x + margin,
            y: inner.y + 1,
            width: inner.width.saturating_sub(margin),
            height: plot_h,
        };
        if plot.width < 4 {
            return;
        }
        // The axis label on the top row.
        buf.set_string(inner.x, inner.y, &self.y.label, self.theme.dim);
        let row_of = |ty: f64| -> u16 {
            let f = (yhi - ty) / (yhi - ylo);
            plot.y
                + ((f * f64::from(plot.height - 1))
                    .round()
                    .clamp(0.0, f64::from(plot.height - 1)) as u16)
        };
        let col_of = |tx: f64| -> Option<u16> {
            if xhi <= xlo {
                return Some(plot.x);
            }
            let f = (tx - xlo) / (xhi - xlo);
            (-1e-9..=1.0 + 1e-9)
                .contains(&f)
                .then(|| plot.x + (f * f64::from(plot.width - 1)).round() as u16)
        };
        for (t, label) in yt.iter().zip(&ylabels) {
            let row = row_of(*t);
            let w = label.chars().count() as u16;
            buf.set_string(plot.x - 1 - w, row, label, self.theme.dim);
            buf.set_string(plot.x - 1, row, "┤", self.theme.border);
        }
        // X tick labels on the bottom row: left, middle, right, and the axis label.
        let xrow = plot.y + plot.height;
        let xl = |t: f64| tick_label(t, self.x.log);
        let left = xl(xlo);
        let right = xl(xhi);
        let mid = xl(0.5 * (xlo + xhi));
        buf.set_string(plot.x, xrow, &left, self.theme.dim);
        let rw = right.chars().count() as u16;
        buf.set_string(
            plot.right().saturating_sub(rw),
            xrow,
            &right,
            self.theme.dim,
        );
        let mw = mid.chars().count() as u16;
        let mid_x = plot.x + plot.width / 2 - mw / 2;
        if mid_x > plot.x + left.len() as u16 + 1 && mid_x + mw + 1 < plot.right() - rw {
            buf.set_string(mid_x, xrow, &mid, self.theme.dim);
        }
        let label = format!(" {} ", self.x.label);
        let lw = label.chars().count() as u16;
        let lx = plot.x + plot.width * 3 / 4 - lw / 2;
        if lx > mid_x + mw && lx + lw < plot.right().saturating_sub(rw) {
            buf.set_string(lx, xrow, &label, self.theme.dim);
        }

        // Series.
        let (xb, yb) = ([xlo, xhi], [ylo, yhi]);
        for (s, pts) in self.series.iter().zip(&all) {
            let finite: Vec<(f64, f64)> = pts
                .iter()
                .filter_map(|p| match p {
                    (Pos::At(x), Pos::At(y)) => Some((*x, *y)),
                    _ => None,
                })
                .collect();
            let color = s.style.fg.unwrap_or(ratatui::style::Color::Reset);
            let scatter = s.scatter || finite.len() == 1;
            let paint = |ctx: &mut Context| {
                if scatter {
                    ctx.draw(&Points {
                        coords: &finite,
                        color,
                    });
                } else {
                    for w in pts.windows(2) {
                        if let [(Pos::At(x1), Pos::At(y1)), (Pos::At(x2), Pos::At(y2))] = w {
                            ctx.draw(&CanvasLine::new(*x1, *y1, *x2, *y2, color));
                        }
                    }
                    // A finite point between two gaps has no segment: draw it as a point.
                    let finite = |i: usize| matches!(pts.get(i), Some((Pos::At(_), Pos::At(_))));
                    let isolated: Vec<(f64, f64)> = (0..pts.len())
                        .filter(|&i| finite(i) && !finite(i.wrapping_sub(1)) && !finite(i + 1))
                        .filter_map(|i| match pts[i] {
                            (Pos::At(x), Pos::At(y)) => Some((x, y)),
                            _ => None,
                        })
                        .collect();
                    ctx.draw(&Points {
                        coords: &isolated,
                        color,
                    });
                }
            };
            Canvas::default()
                .x_bounds(xb)
                .y_bounds(yb)
                .marker(s.marker)
                .paint(paint)
                .render(plot, buf);
        }
        // Non-finite marks, after the lines so they stay visible.
        let mut bad = 0usize;
        for (s, pts) in self.series.iter().zip(&all) {
            for (px, py) in pts {
                let Pos::At(x) = px else { continue };
                let Some(col) = col_of(*x) else { continue };
                match py {
                    Pos::Top(ch) => {
                        bad += 1;
                        buf.set_string(col, plot.y, ch.to_string(), s.style);
                    }
                    Pos::Bottom => {
                        bad += 1;
                        buf.set_string(col, plot.y + plot.height - 1, "▼", s.style);
                    }
                    Pos::At(_) => {}
                }
            }
        }
        for ty in self
            .ref_y
            .iter()
            .filter_map(|y| match transform(*y, self.y.log) {
                Pos::At(t) if (ylo..=yhi).contains(&t) => Some(t),
                _ => None,
            })
        {
            let row = row_of(ty);
            for x in plot.x..plot.right() {
                let cell = &mut buf[(x, row)];
                if cell.symbol() == " " {
                    cell.set_symbol("·").set_style(self.theme.dim);
                }
            }
        }
        if let Some((mx, label)) = &self.marker_x {
            let tx = if self.x.log { mx.log10() } else { *mx };
            if let Some(col) = col_of(tx) {
                for row in plot.y..plot.y + plot.height {
                    let cell = &mut buf[(col, row)];
                    if cell.symbol() == " " || cell.symbol() == "⠀" {
                        cell.set_symbol("┊").set_style(self.theme.accent);
                    }
                }
                let lw = label.chars().count() as u16;
                let at = col
                    .saturating_sub(lw / 2)
                    .clamp(plot.x, plot.right().saturating_sub(lw));
                buf.set_string(at, plot.y, label, self.theme.accent);
            }
        }
        // Legend, top right inside the plot.
        let mut lines: Vec<Line> = self
            .series
            .iter()
            .filter(|s| !s.name.is_empty())
            .map(|s| {
                let sample = match s.marker {
                    Marker::Dot => "•",
                    Marker::Block => "█",
                    Marker::Bar => "▄",
                    Marker::HalfBlock => "▀",
                    _ => "─",
                };
                Line::from(vec![
                    Span::styled(format!("{sample}{sample} "), s.style),
                    Span::styled(s.name.clone(), self.theme.text),
                ])
            })
            .collect();
        if bad > 0 {
            lines.push(Line::styled(
                format!("×▲▼ {bad} non-finite/off-axis"),
                self.theme.error,
            ));
        }
        let lw = lines.iter().map(Line::width).max().unwrap_or(0) as u16;
        let lh = lines.len() as u16;
        if lines.is_empty() || lw + 4 >= plot.width || lh >= plot.height {
            return;
        }
        // Put the legend in whichever top corner hides less of the plot.
        let inked = |x0: u16| {
            (plot.y + 1..plot.y + 1 + lh)
                .flat_map(|y| (x0..x0 + lw + 1).map(move |x| (x, y)))
                .filter(|&(x, y)| !matches!(buf[(x, y)].symbol(), " " | "⠀" | "·"))
                .count()
        };
        let right = plot.right() - lw - 1;
        let left = plot.x + 1;
        let x0 = if inked(left) < inked(right) {
            left
        } else {
            right
        };
        for (i, line) in lines.iter().enumerate() {
            let y = plot.y + 1 + i as u16;
            for x in x0 - 1..(x0 + lw + 1).min(plot.right()) {
                buf[(x, y)].set_symbol(" ");
            }
            buf.set_line(x0, y, line, lw);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::theme::ThemeName;

    fn render(chart: Chart, w: u16, h: u16) -> Buffer {
        let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
        chart.render(Rect::new(0, 0, w, h), &mut buf);
        buf
    }

    fn text(buf: &Buffer) -> String {
        buf.content().iter().map(|c| c.symbol()).collect()
    }

    #[test]
    fn non_finite_values_are_marked_not_dropped() {
        let theme = Theme::new(ThemeName::Mono);
        let ys = [1.0, 10.0, f64::NAN, 100.0, f64::INFINITY, 0.0];
        let chart = Chart {
            title: "t".into(),
            series: vec![Series::new("g", &ys, theme.series[0], theme.markers[0])],
            x: Axis::new("k"),
            y: Axis::new("ratio").log(true),
            fit: None,
            marker_x: None,
            ref_y: vec![],
            theme: &theme,
        };
        let t = text(&render(chart, 60, 16));
        assert!(t.contains('×'), "NaN mark");
        assert!(t.contains('▲'), "+inf mark");
        assert!(t.contains('▼'), "zero on a log axis");
        assert!(
            t.contains("3 non-finite"),
            "{}",
            t.chars()
                .collect::<Vec<_>>()
                .chunks(60)
                .map(|c| c.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("\n")
        );
        assert!(t.contains("100") && t.contains("10"), "decade ticks");
    }

    #[test]
    fn degenerate_data_renders() {
        let theme = Theme::new(ThemeName::Default);
        let nan = [f64::NAN; 5];
        let one = [3.0];
        let huge = [1e300, -1e300, 1e-300, 0.0];
        let same_x = [2.0, 2.0, 2.0];
        type Case<'a> = (&'a [f64], Option<&'a [f64]>, bool);
        let cases: Vec<Case> = vec![
            (&[], None, true),
            (&nan, None, true),
            (&one, None, false),
            (&huge, None, false),
            (&huge, None, true),
            (&one, Some(&same_x[..1]), true),
            (&same_x, Some(&same_x), false),
        ];
        for (ys, xs, log) in cases {
            let mut series = Series::new("s", ys, theme.series[0], theme.markers[0]);
            series.xs = xs;
            for (w, h) in [(10, 3), (30, 8), (80, 20)] {
                let chart = Chart {
                    title: "t".into(),
                    series: vec![series.clone()],
                    x: Axis::new("x").log(log),
                    y: Axis::new("y").log(log),
                    fit: Some(vec![0]),
                    marker_x: Some((2.0, "m".into())),
                    ref_y: vec![1.0, f64::NAN],
                    theme: &theme,
                };
                let _ = render(chart, w, h);
            }
        }
    }

    #[test]
    fn log_ticks_are_decades_and_thin_out() {
        assert_eq!(ticks(-2.0, 1.0, true, 10), vec![-2.0, -1.0, 0.0, 1.0]);
        assert_eq!(
            ticks(-20.0, 0.0, true, 5),
            vec![-20.0, -15.0, -10.0, -5.0, 0.0]
        );
        assert_eq!(tick_label(-3.0, true), "1e-3");
        assert_eq!(settle(0.2, 0.9, true), (0.0, 1.0));
        assert_eq!(settle(0.0, 0.0, true), (-0.5, 0.5));
        assert_eq!(ticks(-0.5, 0.5, true, 5), vec![0.0]);
        assert_eq!(ticks(0.1, 0.6, true, 5), vec![0.1, 0.6]);
        assert_eq!(
            ticks(-140.0, 57.0, false, 5),
            vec![-100.0, -50.0, 0.0, 50.0]
        );
        assert_eq!(ticks(0.0, 1.0, false, 6), vec![0.0, 0.5, 1.0]);
    }
}
