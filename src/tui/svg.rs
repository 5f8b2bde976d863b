//! Figures for slides: a pane's charts and heatmaps as SVG, through plotters' SVG backend,
//! with axes (log axes labelled in powers of ten), the theme's series colours, reference
//! lines, the marker line and a legend. In mono, series differ by point shape as on screen.
//!
//! A chart is drawn from the same [`ChartLayout`] as on screen: ranges, ticks and their
//! labels, the flat-series rule, the legend (series that coincide share one entry). Values a
//! log axis cannot show (≤ 0), non-finite values and values off the range are left out of
//! the lines, marked on the edge and counted in the legend, as the terminal chart does.

use super::panes::{PaneCtx, figures};
use super::theme::{Theme, ThemeName, xterm_rgb};
use super::widgets::chart::{
    AxisLayout, Chart, ChartLayout, LegendKind, Pos as ChartPos, Series, transform,
};
use super::widgets::heatmap::Heatmap;
use super::widgets::{Figure, TextTable};
use crate::fmt::short_num;
use crate::labs::LabId;
use crate::report::Report;
use crate::seeds::SeedStats;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos as Anchor, VPos};
use ratatui::style::Color as TuiColor;

/// The size of one figure in the SVG, in pixels.
const FIGURE: (u32, u32) = (720, 440);

/// The pane's figures as one SVG: figure `only` alone, or all of them in a grid of two
/// columns.
pub fn pane_svg(
    lab: LabId,
    report: &Report,
    theme: ThemeName,
    only: Option<usize>,
) -> Result<String, String> {
    let shown = Shown {
        only,
        ..Shown::default()
    };
    pane_svg_with_seeds(lab, report, None, theme, shown)
}

/// What of a pane a figure shows, as the screen does: its view, one figure (`only`) or all,
/// the x range of the zoomed figure (its first 1/2^x_zoom), and the run's length for the
/// step axes (0: the report's steps).
#[derive(Clone, Copy, Debug, Default)]
pub struct Shown {
    pub view: usize,
    pub only: Option<usize>,
    pub x_zoom: u32,
    pub total: u64,
}

/// [`pane_svg`], with every series drawn as the median over seeds and its 10–90% band when
/// `seeds` is given (the figure of `run --seeds --plot`, or `w` while `S` shows seeds), in
/// what is `shown`.
pub fn pane_svg_with_seeds(
    lab: LabId,
    report: &Report,
    seeds: Option<&SeedStats>,
    theme: ThemeName,
    shown: Shown,
) -> Result<String, String> {
    let theme = Theme::new(theme);
    let only = shown.only;
    let ctx = PaneCtx {
        report,
        pinned: None,
        // The one figure written is the zoomed one: its x zoom applies.
        zoom: only,
        theme: &theme,
        seeds,
        view: shown.view,
        total: shown.total,
        x_zoom: shown.x_zoom,
    };
    let mut figures = figures(lab, &ctx);
    if let Some(i) = only {
        if i >= figures.len() {
            return Err(format!(
                "the {} pane has {} figures",
                lab.name(),
                figures.len()
            ));
        }
        figures = figures.into_iter().skip(i).take(1).collect();
    }
    figures_svg(figures, &theme)
}

/// A sweep's figure as SVG (`sweep --plot`, `w` on a sweep): the chart or the map the sweep
/// view draws on screen; `state` ends its title.
pub fn sweep_svg(
    sweep: &super::model::SweepView,
    state: &str,
    theme: ThemeName,
) -> Result<String, String> {
    use super::panes::sweep::{MapData, SweepData, chart, map};
    let theme = Theme::new(theme);
    if sweep.plan.second.is_some() {
        let data = MapData::of(sweep);
        let figure = map(sweep, &data, state, (f64::NAN, f64::NAN), &theme);
        return figures_svg(vec![Figure::Heatmap(figure)], &theme);
    }
    let data = SweepData::of(sweep);
    let figure = chart(sweep, &data, state, f64::NAN, &theme);
    figures_svg(vec![Figure::Chart(figure)], &theme)
}

/// One chart as an SVG figure, drawn from the chart's layout as the terminal draws it.
pub fn chart_svg(chart: Chart<'_>) -> Result<String, String> {
    let theme = chart.theme;
    figures_svg(vec![Figure::Chart(chart)], theme)
}

/// Figures as one SVG, in a grid of (at most) two columns.
fn figures_svg(figures: Vec<Figure<'_>>, theme: &Theme) -> Result<String, String> {
    let cols = figures.len().clamp(1, 2);
    let rows = figures.len().div_ceil(cols).max(1);
    let size = (FIGURE.0 * cols as u32, FIGURE.1 * rows as u32);
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        let background = rgb(theme.background.unwrap_or(TuiColor::Indexed(231)), true);
        root.fill(&background).map_err(|e| e.to_string())?;
        let cells = root.split_evenly((rows, cols));
        for (figure, cell) in figures.into_iter().zip(cells.iter()) {
            match figure {
                Figure::Chart(c) => draw_chart(&c, theme, cell),
                Figure::Heatmap(h) => draw_heatmap(&h, theme, cell),
                Figure::Table(t) => draw_table(&t, theme, cell),
            }
            .map_err(|e| format!("drawing the SVG: {e}"))?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// The xterm colour of a style as RGB; `Reset` is the ink (black on a light background,
/// white on a dark one) or the paper.
fn rgb(c: TuiColor, paper: bool) -> RGBColor {
    match c {
        TuiColor::Indexed(i) => {
            let (r, g, b) = xterm_rgb(i);
            RGBColor(r, g, b)
        }
        TuiColor::Rgb(r, g, b) => RGBColor(r, g, b),
        TuiColor::White => RGBColor(229, 229, 229),
        TuiColor::Black => RGBColor(0, 0, 0),
        _ if paper => RGBColor(255, 255, 255),
        _ => RGBColor(0, 0, 0),
    }
}

/// The ink of the theme: what text and axes are drawn in.
fn ink(theme: &Theme) -> RGBColor {
    match theme.background {
        Some(_) => RGBColor(255, 255, 255),
        None => RGBColor(0, 0, 0),
    }
}

/// A point of the layout that is drawn: finite, inside the x range shown and the y range.
fn visible(fig: &ChartLayout, p: &(ChartPos, ChartPos)) -> Option<(f64, f64)> {
    let (ChartPos::At(x), ChartPos::At(y)) = *p else {
        return None;
    };
    let slack = 1e-9 * (fig.y.hi - fig.y.lo).abs();
    (fig.in_x(x) && y >= fig.y.lo - slack && y <= fig.y.hi + slack).then_some((x, y))
}

/// Runs of consecutive items that `keep` maps to `Some`: a line breaks where it leaves the
/// chart or a value cannot be drawn.
fn runs<T, U>(items: &[T], keep: impl Fn(&T) -> Option<U>) -> Vec<Vec<U>> {
    let mut runs: Vec<Vec<U>> = vec![Vec::new()];
    for item in items {
        match keep(item) {
            Some(u) => runs.last_mut().map_or((), |r| r.push(u)),
            None => runs.push(Vec::new()),
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}

/// A linear coordinate (transformed units) whose grid lines and labels are the layout's
/// ticks, not plotters' own.
struct Ticked {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Ticked {
    fn new(lo: f64, hi: f64, ticks: &[f64]) -> Self {
        Ticked {
            lo,
            hi,
            ticks: ticks.to_vec(),
        }
    }
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let f = (v - self.lo) / (self.hi - self.lo);
        limit.0 + (f * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// The label the layout gives the tick nearest `v` (plotters asks by value).
fn label_of(axis: &AxisLayout, v: f64) -> String {
    axis.ticks
        .iter()
        .zip(&axis.labels)
        .min_by(|a, b| (a.0 - v).abs().total_cmp(&(b.0 - v).abs()))
        .map_or_else(|| axis.label(v), |(_, l)| l.clone())
}

/// A chart through its [`ChartLayout`], the one the terminal draws: the same ranges, ticks,
/// flat-series rule, legend (coinciding series merged) and counts of values not drawn.
fn draw_chart(c: &Chart, theme: &Theme, area: &Area) -> DrawResult {
    let fig = c.layout();
    let (xlo, ylo) = (fig.x.lo, fig.y.lo);
    let xhi = if fig.x.hi > xlo { fig.x.hi } else { xlo + 1.0 };
    let yhi = if fig.y.hi > ylo { fig.y.hi } else { ylo + 1.0 };
    let ink = ink(theme);
    let mut chart = ChartBuilder::on(area)
        .caption(c.title.as_str(), ("sans-serif", 18).into_font().color(&ink))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(
            Ticked::new(xlo, xhi, &fig.x.ticks),
            Ticked::new(ylo, yhi, &fig.y.ticks),
        )?;
    let xfmt = |v: &f64| label_of(&fig.x, *v);
    let yfmt = |v: &f64| label_of(&fig.y, *v);
    chart
        .configure_mesh()
        .x_desc(c.x.label.as_str())
        .y_desc(c.y.label.as_str())
        .x_label_formatter(&xfmt)
        .y_label_formatter(&yfmt)
        .axis_style(ink)
        .label_style(("sans-serif", 13).into_font().color(&ink))
        .light_line_style(ink.mix(0.06))
        .bold_line_style(ink.mix(0.12))
        .draw()?;
    let colour_of = |s: &Series| {
        let colour = rgb(s.style.fg.unwrap_or(TuiColor::Reset), false);
        if theme.background.is_some() && s.style.fg.is_none() {
            ink
        } else {
            colour
        }
    };
    // Bands under everything else, in their series' colour, faint.
    for (s, band) in c.series.iter().zip(&fig.bands) {
        let fill = colour_of(s).mix(0.2).filled();
        let clamp = |y: f64| y.clamp(ylo, yhi);
        for run in runs(band, |&(x, a, b)| match (x, a, b) {
            (ChartPos::At(x), ChartPos::At(a), ChartPos::At(b)) if fig.in_x(x) => {
                Some((x, clamp(a), clamp(b)))
            }
            _ => None,
        }) {
            let outline: Vec<(f64, f64)> = run
                .iter()
                .map(|&(x, _, hi)| (x, hi))
                .chain(run.iter().rev().map(|&(x, lo, _)| (x, lo)))
                .collect();
            chart.draw_series(std::iter::once(Polygon::new(outline, fill)))?;
        }
    }
    // Reference lines under the series: a series equal to one stays visible.
    let grey = RGBColor(128, 128, 128);
    for y in &c.ref_y {
        if let ChartPos::At(y) = transform(*y, fig.y.log)
            && let Some((_, y)) = visible(&fig, &(ChartPos::At(xlo), ChartPos::At(y)))
        {
            let y = y.clamp(ylo, yhi);
            let line = DashedLineSeries::new(vec![(xlo, y), (xhi, y)], 6, 4, grey.stroke_width(1));
            chart.draw_series(line)?;
        }
    }
    if let Some((mx, _)) = &c.marker_x
        && let ChartPos::At(x) = transform(*mx, fig.x.log)
        && fig.in_x(x)
    {
        let line = DashedLineSeries::new(vec![(x, ylo), (x, yhi)], 4, 4, ink.stroke_width(1));
        chart.draw_series(line)?;
    }
    let mono = !theme.color;
    let mark_font = ("sans-serif", 12).into_font();
    for (k, (s, pts)) in c.series.iter().zip(&fig.points).enumerate() {
        let style = colour_of(s).stroke_width(2);
        let lines = runs(pts, |p| visible(&fig, p));
        if s.scatter {
            let dots = lines
                .iter()
                .flatten()
                .map(|p| Circle::new(*p, 3, style.filled()));
            chart.draw_series(dots)?;
        } else {
            for run in &lines {
                if run.len() == 1 {
                    // A point between two gaps has no segment: drawn as a point.
                    chart.draw_series(run.iter().map(|p| Circle::new(*p, 2, style.filled())))?;
                } else {
                    chart.draw_series(LineSeries::new(run.iter().copied(), style))?;
                }
            }
        }
        // In mono, shapes along each line tell the series apart, as markers do on screen.
        let shown: Vec<(f64, f64)> = lines.into_iter().flatten().collect();
        if mono && !s.scatter && !shown.is_empty() {
            let every = (shown.len() / 12).max(1);
            let marks = shown.iter().step_by(every).copied();
            match k % 3 {
                0 => chart.draw_series(marks.map(|p| Circle::new(p, 3, style)))?,
                1 => chart.draw_series(marks.map(|p| Cross::new(p, 4, style)))?,
                _ => chart.draw_series(marks.map(|p| TriangleMarker::new(p, 4, style)))?,
            };
        }
        // Values that cannot be drawn are marked on the edge they left by, as on screen.
        let font = mark_font
            .clone()
            .color(&colour_of(s))
            .pos(Anchor::new(HPos::Center, VPos::Center));
        let marks = pts.iter().filter_map(|&(px, py)| {
            let ChartPos::At(x) = px else { return None };
            if !fig.in_x(x) {
                return None;
            }
            let (glyph, y) = match py {
                ChartPos::Top(ch) => (ch, yhi),
                ChartPos::NegInf | ChartPos::Below => ('▼', ylo),
                ChartPos::At(y) if y > yhi + 1e-9 * (yhi - ylo) => ('▲', yhi),
                ChartPos::At(y) if y < ylo - 1e-9 * (yhi - ylo) => ('▼', ylo),
                ChartPos::At(_) => return None,
            };
            Some(Text::new(glyph.to_string(), (x, y), font.clone()))
        });
        chart.draw_series(marks)?;
    }
    if fig.legend.is_empty() {
        return Ok(());
    }
    // The legend, entry for entry the terminal's, in its order.
    for item in &fig.legend {
        let drawn = chart.draw_series(std::iter::empty::<Circle<(f64, f64), u32>>())?;
        let entry = drawn.label(item.label.as_str());
        match item.kind {
            LegendKind::Series(i) => {
                let style = c
                    .series
                    .get(i)
                    .map_or(ink.stroke_width(2), |s| colour_of(s).stroke_width(2));
                entry.legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style));
            }
            LegendKind::Band => {
                let fill = c
                    .series
                    .iter()
                    .find(|s| s.band.is_some())
                    .map_or(ink, colour_of)
                    .mix(0.2)
                    .filled();
                entry.legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], fill));
            }
            LegendKind::Reference => {
                entry.legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], grey.stroke_width(1))
                });
            }
            LegendKind::Marker => {
                entry.legend(move |(x, y)| PathElement::new(vec![(x, y - 6), (x, y + 6)], ink));
            }
            LegendKind::NonFinite | LegendKind::OffRange => {
                entry.legend(|(x, y)| EmptyElement::at((x, y)));
            }
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(rgb(theme.background.unwrap_or(TuiColor::Indexed(231)), true).mix(0.85))
        .border_style(grey)
        .label_font(("sans-serif", 13).into_font().color(&ink))
        .draw()?;
    Ok(())
}

/// A text table: its title and its lines in a monospace font, top-left aligned.
fn draw_table(t: &TextTable, theme: &Theme, area: &Area) -> DrawResult {
    let ink = ink(theme);
    let title = ("sans-serif", 16).into_font().color(&ink);
    area.draw_text(&t.title, &title, (12, 12))?;
    let mono = ("monospace", 14).into_font().color(&ink);
    for (i, line) in t.lines.iter().enumerate() {
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        area.draw_text(&text, &mono, (12, 40 + 18 * i as i32))?;
    }
    Ok(())
}

/// The colour of value `v` on the heatmap's scale (grey levels in mono).
fn cell_colour(h: &Heatmap, theme: &Theme, v: f64) -> RGBColor {
    if v.is_nan() {
        RGBColor(255, 0, 255)
    } else if theme.color {
        rgb(h.scale_color(v), false)
    } else {
        // Mono: grey levels stand for the glyph density of the terminal.
        let t = h.scale.unit(v).clamp(0.0, 1.0);
        let g = (255.0 * (1.0 - t)) as u8;
        RGBColor(g, g, g)
    }
}

/// The colour bar: the scale from its low end (bottom) to its high end, with ticks.
fn draw_colour_bar(h: &Heatmap, theme: &Theme, area: &Area, lo: f64, hi: f64) -> DrawResult {
    let ink = ink(theme);
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, lo + 0.5)
    };
    let mut bar = ChartBuilder::on(area)
        .margin_top(40)
        .margin_bottom(48)
        .margin_right(8)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..1.0, lo..hi)?;
    bar.configure_mesh()
        .disable_mesh()
        .x_labels(0)
        .y_labels(6)
        .y_label_formatter(&|v| short_num(*v))
        .axis_style(ink)
        .label_style(("sans-serif", 12).into_font().color(&ink))
        .draw()?;
    const STEPS: usize = 64;
    let step = (hi - lo) / STEPS as f64;
    bar.draw_series((0..STEPS).map(|i| {
        let y0 = lo + i as f64 * step;
        let colour = cell_colour(h, theme, y0 + 0.5 * step);
        Rectangle::new([(0.0, y0), (1.0, y0 + step)], colour.filled())
    }))?;
    Ok(())
}

fn draw_heatmap(h: &Heatmap, theme: &Theme, area: &Area) -> DrawResult {
    let ink = ink(theme);
    let (cols, rows) = (h.cols.max(1), h.rows.max(1));
    let (lo, hi) = match h.scale {
        super::widgets::heatmap::ColorScale::Diverging { limit } => (-limit, limit),
        super::widgets::heatmap::ColorScale::Sequential { lo, hi } => (lo, hi),
    };
    let caption = format!("{} — {}", h.title, h.legend);
    let (width, _) = area.dim_in_pixel();
    let (area, bar) = area.split_horizontally(width.saturating_sub(96));
    draw_colour_bar(h, theme, &bar, lo, hi)?;
    let mut chart = ChartBuilder::on(&area)
        .caption(caption, ("sans-serif", 16).into_font().color(&ink))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..cols as f64, 0.0..rows as f64)?;
    // The axes' ends, as the terminal heatmap labels them.
    let (left, right, name) = &h.x_labels;
    let (bottom, top) = &h.y_labels;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(format!("{name}: {left} … {right}"))
        .y_desc(format!("{bottom} … {top}"))
        .x_labels(0)
        .y_labels(0)
        .axis_style(ink)
        .label_style(("sans-serif", 13).into_font().color(&ink))
        .draw()?;
    let cells = h.data.iter().enumerate().map(|(k, &v)| {
        let (c, r) = ((k / rows) as f64, (k % rows) as f64);
        Rectangle::new(
            [(c, r), (c + 1.0, r + 1.0)],
            cell_colour(h, theme, v).filled(),
        )
    });
    chart.draw_series(cells)?;
    let marks = h.overlay.iter().map(|m| {
        let p = (m.x * cols as f64, m.y * rows as f64);
        Circle::new(p, 2, ink.filled())
    });
    chart.draw_series(marks)?;
    if let Some(col) = h.marked_col {
        let x = col as f64 + 0.5;
        chart.draw_series(DashedLineSeries::new(
            vec![(x, 0.0), (x, rows as f64)],
            4,
            4,
            ink.stroke_width(1),
        ))?;
    }
    Ok(())
}
