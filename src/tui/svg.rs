//! Figures for slides: a pane's charts and heatmaps as SVG, through plotters' SVG backend,
//! with axes (log axes labelled in powers of ten), the theme's series colours, reference
//! lines, the marker line and a legend. In mono, series differ by point shape as on screen.
//!
//! Values a log axis cannot show (≤ 0) and non-finite values are left out of the lines; the
//! legend says how many, as the terminal chart does.

use super::panes::{PaneCtx, figures};
use super::theme::{Theme, ThemeName};
use super::widgets::chart::Chart;
use super::widgets::heatmap::Heatmap;
use super::widgets::{Figure, TextTable};
use crate::fmt::short_num;
use crate::labs::LabId;
use crate::report::Report;
use crate::seeds::SeedStats;
use plotters::coord::Shift;
use plotters::prelude::*;
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
    pane_svg_with_seeds(lab, report, None, theme, 0, only)
}

/// [`pane_svg`], with every series drawn as the median over seeds and its 10–90% band when
/// `seeds` is given (the figure of `run --seeds --plot`, or `w` while `S` shows seeds), in
/// the pane's view `view` (0: its first).
pub fn pane_svg_with_seeds(
    lab: LabId,
    report: &Report,
    seeds: Option<&SeedStats>,
    theme: ThemeName,
    view: usize,
    only: Option<usize>,
) -> Result<String, String> {
    let theme = Theme::new(theme);
    let ctx = PaneCtx {
        report,
        pinned: None,
        zoom: None,
        theme: &theme,
        seeds,
        view,
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
        TuiColor::Indexed(i) => xterm(i),
        TuiColor::Rgb(r, g, b) => RGBColor(r, g, b),
        TuiColor::White => RGBColor(229, 229, 229),
        TuiColor::Black => RGBColor(0, 0, 0),
        _ if paper => RGBColor(255, 255, 255),
        _ => RGBColor(0, 0, 0),
    }
}

/// The xterm 256-colour palette.
fn xterm(i: u8) -> RGBColor {
    const BASE: [(u8, u8, u8); 16] = [
        (0, 0, 0),
        (205, 0, 0),
        (0, 205, 0),
        (205, 205, 0),
        (0, 0, 238),
        (205, 0, 205),
        (0, 205, 205),
        (229, 229, 229),
        (127, 127, 127),
        (255, 0, 0),
        (0, 255, 0),
        (255, 255, 0),
        (92, 92, 255),
        (255, 0, 255),
        (0, 255, 255),
        (255, 255, 255),
    ];
    match i {
        0..=15 => {
            let (r, g, b) = BASE[usize::from(i)];
            RGBColor(r, g, b)
        }
        16..=231 => {
            let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
            let j = i - 16;
            RGBColor(level(j / 36), level((j / 6) % 6), level(j % 6))
        }
        _ => {
            let g = 8 + 10 * (i - 232);
            RGBColor(g, g, g)
        }
    }
}

/// The ink of the theme: what text and axes are drawn in.
fn ink(theme: &Theme) -> RGBColor {
    match theme.background {
        Some(_) => RGBColor(255, 255, 255),
        None => RGBColor(0, 0, 0),
    }
}

/// A value on an axis: log10 on a log axis (None where it cannot be shown).
fn on_axis(v: f64, log: bool) -> Option<f64> {
    if !v.is_finite() || (log && v <= 0.0) {
        None
    } else if log {
        Some(v.log10())
    } else {
        Some(v)
    }
}

fn padded(lo: f64, hi: f64) -> (f64, f64) {
    if !lo.is_finite() || !hi.is_finite() {
        (0.0, 1.0)
    } else if hi - lo <= 1e-9 * lo.abs().max(hi.abs()).max(1e-12) {
        let pad = if lo.abs() > 1e-12 {
            lo.abs() * 0.1
        } else {
            1.0
        };
        (lo - pad, hi + pad)
    } else {
        let pad = (hi - lo) * 0.05;
        (lo - pad, hi + pad)
    }
}

fn tick(v: f64, log: bool) -> String {
    if log {
        short_num(10f64.powf(v))
    } else {
        short_num(v)
    }
}

/// Whether a log axis is worth it: the positive finite values span a decade or more (a
/// narrower range reads better on a linear axis).
fn log_worth_it(c: &Chart) -> bool {
    let (lo, hi) = c
        .series
        .iter()
        .flat_map(|s| s.ys.iter().copied())
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    hi / lo >= 10.0
}

/// A series' band as runs of (x, low, high) on the axes, split where a value cannot be shown.
fn band_runs(s: &super::widgets::chart::Series, c: &Chart) -> Vec<Vec<(f64, f64, f64)>> {
    let Some((lo, hi)) = s.band else {
        return Vec::new();
    };
    let mut runs = vec![Vec::new()];
    for (i, (&a, &b)) in lo.iter().zip(hi).enumerate() {
        let x =
            s.xs.map_or(i as f64, |xs| xs.get(i).copied().unwrap_or(f64::NAN));
        match (
            on_axis(x, c.x.log),
            on_axis(a, c.y.log),
            on_axis(b, c.y.log),
        ) {
            (Some(x), Some(a), Some(b)) => runs.last_mut().map_or((), |r| r.push((x, a, b))),
            _ => runs.push(Vec::new()),
        }
    }
    runs.retain(|r| r.len() > 1);
    runs
}

fn draw_chart(c: &Chart, theme: &Theme, area: &Area) -> DrawResult {
    let mut c = c.clone();
    if c.y.log && !log_worth_it(&c) {
        c.y.log = false;
    }
    let c = &c;
    let points: Vec<Vec<(f64, f64)>> = c
        .series
        .iter()
        .map(|s| {
            s.ys.iter()
                .enumerate()
                .filter_map(|(i, &y)| {
                    let x =
                        s.xs.map_or(i as f64, |xs| xs.get(i).copied().unwrap_or(f64::NAN));
                    Some((on_axis(x, c.x.log)?, on_axis(y, c.y.log)?))
                })
                .collect()
        })
        .collect();
    let hidden: usize = c.series.iter().map(|s| s.ys.len()).sum::<usize>()
        - points.iter().map(Vec::len).sum::<usize>();
    let fold = |it: &mut dyn Iterator<Item = f64>| {
        it.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        })
    };
    let (xlo, xhi) = match c.x.bounds {
        Some((a, b)) => (
            on_axis(a, c.x.log).unwrap_or(0.0),
            on_axis(b, c.x.log).unwrap_or(1.0),
        ),
        None => {
            // Every finite x counts, also where y cannot be drawn (0 on a log axis).
            let xs = || {
                c.series.iter().flat_map(|s| {
                    (0..s.ys.len()).filter_map(move |i| {
                        let x =
                            s.xs.map_or(i as f64, |xs| xs.get(i).copied().unwrap_or(f64::NAN));
                        on_axis(x, c.x.log)
                    })
                })
            };
            let (lo, hi) = fold(&mut xs());
            if hi > lo { (lo, hi) } else { padded(lo, hi) }
        }
    };
    let bands: Vec<Vec<Vec<(f64, f64, f64)>>> = c.series.iter().map(|s| band_runs(s, c)).collect();
    let fit: Vec<usize> = c.fit.clone().unwrap_or_else(|| (0..points.len()).collect());
    let (ylo, yhi) = fold(
        &mut fit
            .iter()
            .filter_map(|&i| points.get(i))
            .flatten()
            .map(|p| p.1)
            .chain(
                fit.iter()
                    .filter_map(|&i| bands.get(i))
                    .flatten()
                    .flatten()
                    .flat_map(|&(_, a, b)| [a, b]),
            ),
    );
    let (ylo, yhi) = if ylo.is_finite() {
        padded(ylo, yhi)
    } else {
        padded(
            fold(&mut points.iter().flatten().map(|p| p.1)).0,
            fold(&mut points.iter().flatten().map(|p| p.1)).1,
        )
    };
    let ink = ink(theme);
    let title = if hidden > 0 {
        format!("{} ({hidden} values off the axes)", c.title)
    } else {
        c.title.clone()
    };
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 18).into_font().color(&ink))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(xlo..xhi, ylo..yhi)?;
    let (xlog, ylog) = (c.x.log, c.y.log);
    let xfmt = move |v: &f64| tick(*v, xlog);
    let yfmt = move |v: &f64| tick(*v, ylog);
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
    let mut labelled = false;
    // Bands under everything else, in their series' colour, faint.
    for (k, (s, runs)) in c.series.iter().zip(&bands).enumerate() {
        let colour = rgb(s.style.fg.unwrap_or(TuiColor::Reset), false);
        for run in runs {
            let outline: Vec<(f64, f64)> = run
                .iter()
                .map(|&(x, _, hi)| (x, hi.clamp(ylo, yhi)))
                .chain(run.iter().rev().map(|&(x, lo, _)| (x, lo.clamp(ylo, yhi))))
                .collect();
            chart.draw_series(std::iter::once(Polygon::new(
                outline,
                colour.mix(0.2).filled(),
            )))?;
        }
        let first_band = bands.iter().position(|b| !b.is_empty());
        if let Some(label) = c.band_label.as_ref().filter(|_| first_band == Some(k)) {
            labelled = true;
            let fill = colour.mix(0.2).filled();
            chart
                .draw_series(std::iter::empty::<Polygon<(f64, f64)>>())?
                .label(label.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], fill));
        }
    }
    let grey = RGBColor(128, 128, 128);
    for (k, y) in c.ref_y.iter().filter_map(|y| on_axis(*y, ylog)).enumerate() {
        if (ylo..=yhi).contains(&y) {
            let line = DashedLineSeries::new(vec![(xlo, y), (xhi, y)], 6, 4, grey.stroke_width(1));
            let drawn = chart.draw_series(line)?;
            if let Some(label) = c.ref_label.as_ref().filter(|l| k == 0 && !l.is_empty()) {
                labelled = true;
                drawn.label(label.as_str()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], grey.stroke_width(1))
                });
            }
        }
    }
    if let Some((mx, label)) = &c.marker_x
        && let Some(x) = on_axis(*mx, xlog)
    {
        let line = DashedLineSeries::new(vec![(x, ylo), (x, yhi)], 4, 4, ink.stroke_width(1));
        labelled = true;
        chart
            .draw_series(line)?
            .label(label.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y - 6), (x, y + 6)], ink));
    }
    let mono = !theme.color;
    for (k, (s, pts)) in c.series.iter().zip(&points).enumerate() {
        let colour = rgb(s.style.fg.unwrap_or(TuiColor::Reset), false);
        let colour = if theme.background.is_some() && s.style.fg.is_none() {
            ink
        } else {
            colour
        };
        let style = colour.stroke_width(2);
        // Points beyond the y range (a bound that runs off) are left out, not drawn along
        // the frame: the line breaks where it leaves the chart.
        let inside = |p: &(f64, f64)| (ylo..=yhi).contains(&p.1);
        let drawn = if s.scatter {
            chart.draw_series(
                pts.iter()
                    .filter(|p| inside(p))
                    .map(|p| Circle::new(*p, 3, style.filled())),
            )?
        } else {
            let runs: Vec<Vec<(f64, f64)>> = pts
                .chunk_by(|a, b| inside(a) == inside(b))
                .filter(|run| run.first().is_some_and(inside))
                .map(<[(f64, f64)]>::to_vec)
                .collect();
            for run in runs.iter().skip(1) {
                chart.draw_series(LineSeries::new(run.iter().copied(), style))?;
            }
            let first = runs.into_iter().next().unwrap_or_default();
            chart.draw_series(LineSeries::new(first, style))?
        };
        if !s.name.is_empty() {
            labelled = true;
            drawn
                .label(s.name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style));
        }
        // In mono, shapes along each line tell the series apart, as markers do on screen.
        if mono && !s.scatter && !pts.is_empty() {
            let every = (pts.len() / 12).max(1);
            let marks = pts.iter().step_by(every).copied();
            match k % 3 {
                0 => chart.draw_series(marks.map(|p| Circle::new(p, 3, style)))?,
                1 => chart.draw_series(marks.map(|p| Cross::new(p, 4, style)))?,
                _ => chart.draw_series(marks.map(|p| TriangleMarker::new(p, 4, style)))?,
            };
        }
    }
    if !labelled {
        return Ok(());
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

/// A two-parameter sweep's map as SVG (`sweep --plot` with `--param2`): `h` holds the
/// metric per cell (NaN where a point was skipped or not finite), with its colour bar.
pub fn map_svg(h: &Heatmap) -> Result<String, String> {
    figures_svg(vec![Figure::Heatmap(h.clone())], h.theme)
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
