//! A line/scatter chart with linear or log axes that never hides a bad value: NaN and +∞
//! are marked on the top edge (`×`, `▲`), −∞ on the bottom edge (`▼`), all counted in the
//! legend; values ≤ 0 on a log axis are marked at the bottom too, and said to be below the
//! axis (they are not errors). Each series has its own marker, so the mono theme tells
//! series apart without colour.
//!
//! The legend sits above the plot, never on the data. A series flat to rounding is drawn
//! flat, series that coincide are said to coincide, and reference lines are drawn under the
//! series so a series equal to one stays visible.
//!
//! Plotting goes through ratatui's `Canvas`, one per series (canvases only paint the cells
//! they draw on, so they layer); axes, ticks, legend and marks are drawn here.

mod axis;
mod layout;
mod legend;

use crate::tui::theme::Theme;
pub use axis::{Pos, transform};
use layout::off_range;
pub use layout::{AxisLayout, ChartLayout, LegendKind, MAX_Y_TICKS};
use legend::{Entry, layout as legend_rows};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::symbols::Marker;
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
    /// A band around the series (its 10% and 90% quantiles over seeds), drawn shaded under
    /// every line.
    pub band: Option<(&'a [f64], &'a [f64])>,
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
            band: None,
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
    /// The run's steps: the pane fixes the bounds to the whole run, 0 to its last step,
    /// from the first frame on (so curves do not squeeze as the run grows).
    pub run_steps: bool,
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

    /// The x axis of a time series: the run's steps, labelled `step`, spanning the whole
    /// run (see [`Axis::run_steps`]).
    pub fn steps() -> Self {
        Self {
            run_steps: true,
            ..Self::new("step")
        }
    }
}

/// The chart widget.
#[derive(Clone, Debug)]
pub struct Chart<'a> {
    pub title: String,
    /// The title when the full one does not fit (so a narrow chart keeps its meaning).
    pub short: Option<&'static str>,
    pub series: Vec<Series<'a>>,
    pub x: Axis,
    pub y: Axis,
    /// Fit the y range to these series only (others may run off the chart), when set.
    pub fit: Option<Vec<usize>>,
    /// A vertical marker line at this x (data units), with a label.
    pub marker_x: Option<(f64, String)>,
    /// Dashed horizontal reference lines at these y (data units): 1 for ratios, 0 for
    /// logs, targets and optima.
    pub ref_y: Vec<f64>,
    /// What the reference lines are, for the legend.
    pub ref_label: Option<String>,
    /// What the series' bands are, for the legend ("10–90% of 20 seeds").
    pub band_label: Option<String>,
    /// The x range shown is the first 1/2^x_zoom of the whole one (the zoomed chart's `]`).
    pub x_zoom: u32,
    pub theme: &'a Theme,
}

impl<'a> Chart<'a> {
    /// A chart with a title and nothing else yet.
    pub fn new(title: impl Into<String>, theme: &'a Theme) -> Self {
        Chart {
            title: title.into(),
            short: None,
            series: Vec::new(),
            x: Axis::default(),
            y: Axis::default(),
            fit: None,
            marker_x: None,
            ref_y: Vec::new(),
            ref_label: None,
            band_label: None,
            x_zoom: 0,
            theme,
        }
    }

    pub fn short(mut self, short: &'static str) -> Self {
        self.short = Some(short);
        self
    }

    pub fn series(mut self, series: Vec<Series<'a>>) -> Self {
        self.series = series;
        self
    }

    pub fn x(mut self, axis: Axis) -> Self {
        self.x = axis;
        self
    }

    pub fn y(mut self, axis: Axis) -> Self {
        self.y = axis;
        self
    }

    pub fn fit(mut self, fit: Vec<usize>) -> Self {
        self.fit = Some(fit);
        self
    }

    pub fn marker_x(mut self, x: f64, label: impl Into<String>) -> Self {
        self.marker_x = Some((x, label.into()));
        self
    }

    /// Reference lines at `ys`, named `label` in the legend.
    pub fn refs(mut self, ys: Vec<f64>, label: impl Into<String>) -> Self {
        self.ref_y = ys;
        self.ref_label = Some(label.into());
        self
    }
}

/// The reference lines' glyph: dashed, unlike any series marker.
const REF: &str = "╌";
/// The glyph that shades a band.
const BAND: &str = "░";
/// The vertical marker line's glyph.
const MARK: &str = "┊";
/// Fewer plot rows than this and the legend gives up rows before the plot does.
const MIN_PLOT_ROWS: u16 = 3;

impl Chart<'_> {
    /// The legend entries of a layout, with the samples the terminal draws.
    fn legend(&self, layout: &ChartLayout) -> Vec<Entry> {
        let t = self.theme;
        layout
            .legend
            .iter()
            .map(|item| {
                let label = item.label.clone();
                match item.kind {
                    LegendKind::Series(i) => {
                        let s = &self.series[i];
                        Entry::new(sample(s.marker), s.style, label, t.text)
                    }
                    LegendKind::Band => Entry::new(BAND.repeat(2), t.dim, label, t.text),
                    LegendKind::Reference => Entry::new(REF.repeat(2), t.dim, label, t.text),
                    LegendKind::Marker => Entry::new(MARK.to_string(), t.accent, label, t.text),
                    LegendKind::NonFinite => Entry::plain(label, t.error),
                    LegendKind::OffRange => Entry::plain(label, t.dim),
                }
            })
            .collect()
    }

    /// The figure's layout: ranges, ticks, legend, the points after the axis transforms.
    /// The SVG export draws the same one.
    pub fn layout(&self) -> ChartLayout {
        ChartLayout::of(self)
    }
}

/// The dots a canvas marker puts in one cell, across and down.
fn dots_per_cell(marker: Marker) -> (f64, f64) {
    match marker {
        Marker::Braille | Marker::Octant => (2.0, 4.0),
        Marker::Sextant => (2.0, 3.0),
        Marker::Quadrant => (2.0, 2.0),
        Marker::HalfBlock => (1.0, 2.0),
        _ => (1.0, 1.0),
    }
}

/// The cell of `area` a canvas with `dots` per cell and bounds `xb`, `yb` paints for (x, y),
/// by the canvas's own arithmetic (round to the nearest dot, then the dot's cell).
fn grid_cell(
    x: f64,
    y: f64,
    xb: [f64; 2],
    yb: [f64; 2],
    area: Rect,
    dots: (f64, f64),
) -> Option<(u16, u16)> {
    let (w, h) = (xb[1] - xb[0], yb[1] - yb[0]);
    if !(xb[0]..=xb[1]).contains(&x) || !(yb[0]..=yb[1]).contains(&y) || w <= 0.0 || h <= 0.0 {
        return None;
    }
    let res_x = f64::from(area.width) * dots.0;
    let res_y = f64::from(area.height) * dots.1;
    let dx = ((x - xb[0]) * (res_x - 1.0) / w).round();
    let dy = ((yb[1] - y) * (res_y - 1.0) / h).round();
    let col = (dx / dots.0).floor() as u16;
    let row = (dy / dots.1).floor() as u16;
    Some((
        area.x + col.min(area.width - 1),
        area.y + row.min(area.height - 1),
    ))
}

/// Two cells that show a marker in the legend.
fn sample(marker: Marker) -> String {
    match marker {
        Marker::Dot => "••".into(),
        Marker::Block => "██".into(),
        Marker::Bar => "▄▄".into(),
        Marker::HalfBlock => "▀▀".into(),
        Marker::Custom(c) => format!("{c}{c}"),
        _ => "──".into(),
    }
}

impl Widget for Chart<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let title = match self.short {
            Some(short) if self.title.chars().count() + 4 > usize::from(area.width) => short,
            _ => self.title.as_str(),
        };
        let inner = super::framed(title, self.theme, area, buf);
        if inner.width < 14 || inner.height < 4 {
            return;
        }
        let fig = self.layout();
        let all = &fig.points;
        let (xlo, xhi) = (fig.x.lo, fig.x.hi);
        let (ylo, yhi) = (fig.y.lo, fig.y.hi);

        // The legend above the plot; its first row shares the y axis label's row.
        let label_w = self.y.label.chars().count() as u16;
        let max_rows = inner.height.saturating_sub(1 + MIN_PLOT_ROWS).max(1);
        let rows = legend_rows(
            self.legend(&fig),
            inner.width,
            (label_w + 2).min(inner.width),
            max_rows,
        );
        let legend_h = (rows.len() as u16).max(1);

        // Y tick labels decide the left margin.
        let plot_h = inner.height.saturating_sub(legend_h + 1).max(2);
        // As many ticks as the layout has, or fewer on a short plot (one per two rows).
        let yaxis = if usize::from(plot_h).div_ceil(2) >= MAX_Y_TICKS {
            fig.y.clone()
        } else {
            fig.y.with_slots(usize::from(plot_h).div_ceil(2))
        };
        // One tick per row: on a plot a few rows high two ticks may round to one row. The
        // outermost ticks are placed first, so a short plot keeps two labels if any two fit.
        let mut used = Vec::new();
        let n = yaxis.ticks.len();
        let mut order: Vec<usize> = (0..n).collect();
        if n > 1 {
            order.swap(1, n - 1);
        }
        let mut kept: Vec<usize> = order
            .into_iter()
            .filter(|&i| {
                let f = (yhi - yaxis.ticks[i]) / (yhi - ylo);
                let row = (f * f64::from(plot_h - 1)).round() as i64;
                let fresh = !used.contains(&row);
                used.push(row);
                fresh
            })
            .collect();
        kept.sort_unstable();
        let (mut yt, mut ylabels): (Vec<f64>, Vec<String>) = kept
            .iter()
            .map(|&i| (yaxis.ticks[i], yaxis.labels[i].clone()))
            .unzip();
        // Too short for two of the round ticks on rows of their own (a plot three rows
        // high): label the range's ends instead, so a reader still has a scale.
        if yt.len() < 2 && plot_h >= 2 && yhi > ylo {
            yt = vec![ylo, yhi];
            ylabels = axis::tick_labels(&yt, yaxis.log);
        }
        let margin = ylabels.iter().map(|l| l.chars().count()).max().unwrap_or(1) as u16 + 1;
        let plot = Rect {
            x: inner.x + margin,
            y: inner.y + legend_h,
            width: inner.width.saturating_sub(margin),
            height: plot_h,
        };
        if plot.width < 4 {
            return;
        }
        buf.set_string(inner.x, inner.y, &self.y.label, self.theme.dim);
        for (i, row) in rows.iter().enumerate() {
            // The first row starts after the y axis label.
            let skip = if i == 0 {
                (label_w + 2).min(inner.width)
            } else {
                0
            };
            let area = Rect {
                x: inner.x + skip,
                width: inner.width - skip,
                ..inner
            };
            legend::render_row(row, area, inner.y + i as u16, buf);
        }
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
        for (t, label) in yt.iter().zip(ylabels) {
            let row = row_of(*t);
            let w = label.chars().count() as u16;
            buf.set_string(plot.x - 1 - w, row, label, self.theme.dim);
            buf.set_string(plot.x - 1, row, "┤", self.theme.border);
        }
        // X tick labels on the bottom row: left, middle, right, and the axis label.
        let xrow = plot.y + plot.height;
        let xl = |t: f64| fig.x.label(t);
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

        // Bands first, shaded in their series' colour: every line is drawn over them.
        for (s, band) in self.series.iter().zip(&fig.bands) {
            for &(px, a, b) in band {
                let Pos::At(x) = px else { continue };
                let Some(col) = col_of(x) else { continue };
                let at = |p: &Pos, fallback: f64| match p {
                    Pos::At(y) => Some(y.clamp(ylo, yhi)),
                    Pos::Below | Pos::NegInf => Some(fallback),
                    Pos::Top(_) => None,
                };
                let (Some(a), Some(b)) = (at(&a, ylo), at(&b, ylo)) else {
                    continue;
                };
                let (top, bottom) = (row_of(a.max(b)), row_of(a.min(b)));
                for row in top..=bottom {
                    let cell = &mut buf[(col, row)];
                    if cell.symbol() == " " {
                        cell.set_symbol(BAND).set_style(s.style);
                    }
                }
            }
        }

        // Reference lines next: a series on one is drawn over it and stays visible.
        for ty in self
            .ref_y
            .iter()
            .filter_map(|y| match transform(*y, self.y.log) {
                Pos::At(t) if off_range(t, ylo, yhi).is_none() => Some(t.clamp(ylo, yhi)),
                _ => None,
            })
        {
            let row = row_of(ty);
            for x in plot.x..plot.right() {
                buf[(x, row)].set_symbol(REF).set_style(self.theme.dim);
            }
        }

        // Series.
        let (xb, yb) = ([xlo, xhi], [ylo, yhi]);
        // Points marked `•` are placed on the grid of the first line series, so each lands
        // in the cell its line passes through (a grid of its own rounds to other rows).
        let line_grid = self
            .series
            .iter()
            .find(|s| !s.scatter)
            .map_or((1.0, 1.0), |s| dots_per_cell(s.marker));
        for (s, pts) in self.series.iter().zip(all) {
            if s.scatter && s.marker == Marker::Dot {
                let color = s.style.fg.unwrap_or(ratatui::style::Color::Reset);
                for (px, py) in pts {
                    let (Pos::At(x), Pos::At(y)) = (px, py) else {
                        continue;
                    };
                    if let Some((col, row)) = grid_cell(*x, *y, xb, yb, plot, line_grid) {
                        buf[(col, row)].set_symbol("•").set_fg(color);
                    }
                }
                continue;
            }
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
                .background_color(
                    self.theme
                        .background
                        .unwrap_or(ratatui::style::Color::Reset),
                )
                .x_bounds(xb)
                .y_bounds(yb)
                .marker(s.marker)
                .paint(paint)
                .render(plot, buf);
        }
        // The marker line, only where nothing is drawn.
        if let Some((mx, _)) = &self.marker_x {
            let tx = if self.x.log { mx.log10() } else { *mx };
            if let Some(col) = col_of(tx) {
                for row in plot.y..plot.y + plot.height {
                    let cell = &mut buf[(col, row)];
                    if matches!(cell.symbol(), " " | "⠀" | REF) {
                        cell.set_symbol(MARK).set_style(self.theme.accent);
                    }
                }
            }
        }
        // Bad-value marks, after the lines so they stay visible.
        for (s, pts) in self.series.iter().zip(all) {
            for (px, py) in pts {
                let Pos::At(x) = px else { continue };
                let Some(col) = col_of(*x) else { continue };
                let bottom = plot.y + plot.height - 1;
                match py {
                    Pos::Top(ch) => {
                        buf.set_string(col, plot.y, ch.to_string(), s.style);
                    }
                    Pos::NegInf | Pos::Below => {
                        buf.set_string(col, bottom, "▼", s.style);
                    }
                    Pos::At(y) => match off_range(*y, ylo, yhi) {
                        Some(true) => buf.set_string(col, plot.y, "▲", s.style),
                        Some(false) => buf.set_string(col, bottom, "▼", s.style),
                        None => {}
                    },
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::theme::{SERIES, ThemeName};

    fn render(chart: Chart, w: u16, h: u16) -> Buffer {
        let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
        chart.render(Rect::new(0, 0, w, h), &mut buf);
        buf
    }

    fn text(buf: &Buffer) -> String {
        buf.content().iter().map(|c| c.symbol()).collect()
    }

    #[test]
    fn values_off_the_y_range_are_marked_and_counted() {
        let theme = Theme::new(ThemeName::Mono);
        let ys = [0.5, 2.0, 0.25, -1.0, 0.75];
        let chart = Chart::new("t", &theme)
            .series(vec![Series::new(
                "s",
                &ys,
                theme.series[0],
                theme.markers[0],
            )])
            .y(Axis::new("y").bounds(0.0, 1.0));
        let t = text(&render(chart, 60, 14));
        assert!(t.contains("▲1 above"), "{t}");
        assert!(t.contains("▼1 below"), "{t}");
    }

    #[test]
    fn points_sit_on_their_line() {
        let theme = Theme::new(ThemeName::Default);
        let xs: Vec<f64> = (0..11).map(|i| 0.5 + 0.1 * f64::from(i)).collect();
        let ys: Vec<f64> = xs.iter().map(|x| (3.0 * x).sin() * 7.0 + x * x).collect();
        let line = || Series::new("m", &ys, theme.series[0], theme.markers[0]).xs(&xs);
        let alone = render(Chart::new("t", &theme).series(vec![line()]), 70, 20);
        let with_points = render(
            Chart::new("t", &theme).series(vec![
                line(),
                Series::new("", &ys, theme.accent, Marker::Dot)
                    .xs(&xs)
                    .scatter(),
            ]),
            70,
            20,
        );
        let area = *alone.area();
        let mut dots = 0;
        for y in area.top()..area.bottom() {
            for x in area.left()..area.right() {
                if with_points[(x, y)].symbol() == "•" {
                    dots += 1;
                    let under = alone[(x, y)].symbol();
                    assert!(
                        under
                            .chars()
                            .all(|c| ('\u{2801}'..='\u{28ff}').contains(&c)),
                        "a point at ({x}, {y}) is off its line ({under:?} there)"
                    );
                }
            }
        }
        assert!(dots >= 9, "{dots} points drawn");
    }

    #[test]
    fn a_series_drawn_twice_has_its_nans_counted_once() {
        let theme = Theme::new(ThemeName::Mono);
        let ys = [1.0, f64::NAN, 2.0, f64::NAN, 3.0];
        let chart = Chart::new("t", &theme).series(vec![
            Series::new("s", &ys, theme.series[0], theme.markers[0]),
            Series::new("", &ys, theme.series[1], Marker::Dot).scatter(),
        ]);
        let t = text(&render(chart, 60, 14));
        assert!(t.contains("×2 NaN (2 non-finite)"), "{t}");
    }

    #[test]
    fn non_finite_values_are_marked_not_dropped() {
        let theme = Theme::new(ThemeName::Mono);
        let ys = [1.0, 10.0, f64::NAN, 100.0, f64::INFINITY, 0.0];
        let chart = Chart::new("t", &theme)
            .series(vec![Series::new(
                "g",
                &ys,
                theme.series[0],
                theme.markers[0],
            )])
            .x(Axis::new("k"))
            .y(Axis::new("ratio").log(true));
        let t = text(&render(chart, 60, 16));
        assert!(t.contains('×'), "NaN mark");
        assert!(t.contains('▲'), "+inf mark");
        assert!(t.contains('▼'), "zero on a log axis");
        assert!(t.contains("▼1 ≤ 0"), "zero is not an error");
        assert!(
            t.contains("2 non-finite"),
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
                let chart = Chart::new("t", &theme)
                    .series(vec![series.clone()])
                    .x(Axis::new("x").log(log))
                    .y(Axis::new("y").log(log))
                    .fit(vec![0])
                    .marker_x(2.0, "m")
                    .refs(vec![1.0, f64::NAN], "r");
                let _ = render(chart, w, h);
            }
        }
    }

    #[test]
    fn log_ticks_are_decades_and_thin_out() {
        use super::axis::{settle, tick_labels, ticks};
        assert_eq!(ticks(-2.0, 1.0, true, 10), vec![-2.0, -1.0, 0.0, 1.0]);
        assert_eq!(
            ticks(-20.0, 0.0, true, 5),
            vec![-20.0, -15.0, -10.0, -5.0, 0.0]
        );
        assert_eq!(tick_labels(&[-3.0], true), vec!["1e-3"]);
        assert_eq!(settle(0.2, 0.9, true), (0.0, 1.0));
        assert_eq!(settle(0.0, 0.0, true), (-0.45, 0.55));
        assert_eq!(
            ticks(-140.0, 57.0, false, 5),
            vec![-100.0, -50.0, 0.0, 50.0]
        );
        assert_eq!(ticks(0.0, 1.0, false, 6), vec![0.0, 0.5, 1.0]);
    }

    #[test]
    fn every_axis_gets_two_ticks_with_different_labels() {
        use super::axis::{tick_labels, ticks};
        // Within one decade on a log axis: 1-2-5, then every mantissa, then linear ticks.
        let within = ticks(-0.5, 0.5, true, 5);
        assert_eq!(tick_labels(&within, true), vec!["0.5", "1", "2"]);
        assert_eq!(tick_labels(&ticks(0.1, 0.6, true, 5), true), vec!["2", "3"]);
        let narrow = ticks(1.01f64.log10(), 1.05f64.log10(), true, 5);
        assert!(narrow.len() >= 2, "{narrow:?}");
        // A linear range narrower than its step still gets two ticks.
        assert!(ticks(0.3, 0.4, false, 2).len() >= 2);
        // Labels with as many digits as it takes to differ.
        let labels = tick_labels(&[3.30e-5, 3.35e-5, 3.40e-5], false);
        assert_eq!(labels, vec!["3.3e-5", "3.35e-5", "3.4e-5"]);
        let labels = tick_labels(&[9.5, 10.0, 10.5], false);
        assert_eq!(labels, vec!["9.5", "10", "10.5"]);
    }

    fn rows(buf: &Buffer) -> Vec<String> {
        let a = buf.area;
        (a.y..a.y + a.height)
            .map(|y| (a.x..a.x + a.width).map(|x| buf[(x, y)].symbol()).collect())
            .collect()
    }

    #[test]
    fn the_legend_sits_above_the_plot_not_on_the_data() {
        let theme = Theme::new(ThemeName::Default);
        // A line along the top of the plot, where a legend in a corner would cover it.
        let ys: Vec<f64> = (0..60)
            .map(|i| if i % 2 == 0 { 10.0 } else { 9.9 })
            .collect();
        let chart = Chart::new("t", &theme)
            .series(vec![
                Series::new("first series", &ys, theme.series[0], Marker::Dot),
                Series::new("second", &ys[..30], theme.series[1], Marker::Dot),
            ])
            .x(Axis::new("k"))
            .y(Axis::new("y"));
        let buf = render(chart, 50, 12);
        let rows = rows(&buf);
        // Row 1 (inside the frame) holds the legend; no plot row holds a legend word.
        assert!(
            rows[1].contains("first series") && rows[1].contains("second"),
            "{rows:#?}"
        );
        for row in &rows[2..] {
            assert!(
                !row.contains("first") && !row.contains("second"),
                "{rows:#?}"
            );
        }
        // The line at the top of the plot is drawn across the whole width.
        assert!(rows[2].matches('•').count() > 20, "{rows:#?}");
    }

    #[test]
    fn a_series_flat_to_rounding_draws_flat() {
        let theme = Theme::new(ThemeName::Mono);
        let ys: Vec<f64> = (0..100)
            .map(|k| 1.0 + if k % 3 == 0 { 2e-13 } else { -1e-13 })
            .collect();
        for log in [false, true] {
            let chart = Chart::new("t", &theme)
                .series(vec![Series::new("ratio", &ys, Style::new(), Marker::Dot)])
                .x(Axis::new("k"))
                .y(Axis::new("y").log(log));
            let rows = rows(&render(chart, 60, 14));
            let inked: Vec<usize> = (2..13).filter(|&r| rows[r].contains('•')).collect();
            assert_eq!(
                inked.len(),
                1,
                "log={log}: one row, not a staircase: {rows:#?}"
            );
        }
        let noise = [0.0, 6e-15, 1e-15, 3e-15];
        let chart = Chart::new("t", &theme)
            .series(vec![Series::new("gap", &noise, Style::new(), Marker::Dot)])
            .x(Axis::new("k"))
            .y(Axis::new("y"));
        let rows = rows(&render(chart, 60, 14));
        let inked = (2..13).filter(|&r| rows[r].contains('•')).count();
        assert_eq!(inked, 1, "rounding noise near 0 is flat: {rows:#?}");
    }

    #[test]
    fn a_series_on_a_reference_line_stays_visible_and_coincidences_are_named() {
        let theme = Theme::new(ThemeName::Mono);
        let ones = [1.0; 40];
        let chart = Chart::new("t", &theme)
            .series(vec![
                Series::new("bound", &ones, Style::new(), Marker::Dot),
                Series::new("ratio", &ones, Style::new(), Marker::Custom('+')),
            ])
            .x(Axis::new("k"))
            .y(Axis::new("y").log(true))
            .refs(vec![1.0], "one");
        let rows = rows(&render(chart, 60, 14));
        let text = rows.join("\n");
        assert!(
            text.contains('+'),
            "the series is drawn over the reference line: {text}"
        );
        assert!(text.contains("ratio = bound"), "{text}");
    }

    #[test]
    fn mono_series_and_the_ghost_have_distinct_markers() {
        let theme = Theme::new(ThemeName::Mono);
        let mut samples: Vec<String> = (0..SERIES - 1)
            .map(|i| sample(theme.series_look(i).1))
            .collect();
        samples.push(sample(theme.ghost_look().1));
        let n = samples.len();
        samples.sort();
        samples.dedup();
        assert_eq!(samples.len(), n, "{samples:?}");
        assert!(
            !samples.iter().any(|s| s.contains(REF)),
            "and none looks like a reference line"
        );
    }
}
