//! The sweep view under a pane: the metric against the swept parameter, drawn as the points
//! arrive, with the parameter's current value marked; a map of two parameters as a heatmap
//! filling in, the current point marked. The same figures go to SVG (`w`, `sweep --plot`).

use crate::fmt::short_num;
use crate::tui::model::SweepView;
use crate::tui::theme::Theme;
use crate::tui::widgets::chart::{Axis, Chart, Series};
use crate::tui::widgets::heatmap::{ColorScale, Heatmap, Mark};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

/// A log y axis suits metrics that are positive and span decades (but not log10 metrics).
fn wants_log_y(metric: &str, ys: &[f64]) -> bool {
    if metric.starts_with("log10") {
        return false;
    }
    let pos: Vec<f64> = ys.iter().copied().filter(|y| y.is_finite()).collect();
    if pos.is_empty() || pos.iter().any(|y| *y <= 0.0) {
        return false;
    }
    let (lo, hi) = pos
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(l, h), y| (l.min(*y), h.max(*y)));
    hi / lo > 100.0
}

/// The sweep's x values, metric values and (over seeds) the 10% and 90% quantiles: the data
/// [`chart`] borrows.
pub struct SweepData {
    pub xs: Vec<f64>,
    pub ys: Vec<f64>,
    pub band: Option<(Vec<f64>, Vec<f64>)>,
}

impl SweepData {
    pub fn of(sweep: &SweepView) -> Self {
        let xs = sweep.points.iter().map(|p| p.value).collect();
        let ys = sweep.points.iter().map(|p| p.metric).collect();
        let band = sweep
            .points
            .iter()
            .map(|p| p.spread)
            .collect::<Option<Vec<(f64, f64)>>>()
            .filter(|b| !b.is_empty())
            .map(|b| b.into_iter().unzip());
        SweepData { xs, ys, band }
    }
}

/// The sweep's chart, for the terminal and for the SVG alike: the metric against the
/// parameter, each point marked, with the 10–90% band over seeds when there is one and the
/// parameter's current value marked when it is finite.
/// `state` ends the title (the runs done, what closes the view).
pub fn chart<'a>(
    sweep: &SweepView,
    data: &'a SweepData,
    state: &str,
    current: f64,
    theme: &'a Theme,
) -> Chart<'a> {
    let (lo, hi) = (sweep.plan.grid.from, sweep.plan.grid.to);
    let (param, metric) = (sweep.param(), sweep.metric());
    let (style, marker) = theme.series_look(0);
    let mut line = Series::new(metric, &data.ys, style, marker).xs(&data.xs);
    if let Some((q10, q90)) = &data.band {
        line.band = Some((q10, q90));
    }
    let mut chart = Chart::new(format!("sweep: {metric} vs {param} ({state})"), theme)
        .series(vec![
            line,
            Series::new("", &data.ys, theme.accent, ratatui::symbols::Marker::Dot)
                .xs(&data.xs)
                .scatter(),
        ])
        .x(Axis::new(param)
            .log(sweep.plan.grid.log)
            .bounds(lo.min(hi), hi.max(lo)))
        .y(Axis::new(metric).log(wants_log_y(metric, &data.ys)));
    if metric.starts_with("log10") {
        chart = chart.refs(vec![0.0], "0");
    }
    if current.is_finite() {
        chart = chart.marker_x(current, format!("now {}", crate::fmt::fmt_num(current)));
    }
    chart
}

/// The title's state: runs done and time left, the choice awaited, or the failure.
pub fn state(sweep: &SweepView) -> String {
    let done = sweep.points.len();
    let total = sweep.total();
    match (&sweep.error, sweep.running) {
        (Some(e), _) => format!("failed: {e}"),
        _ if sweep.asking => "waiting: choose its points".to_string(),
        (None, true) => match sweep.eta() {
            Some(eta) => format!("{done}/{total} runs, ~{} left", crate::fmt::eta(eta)),
            None => format!("{done}/{total} runs"),
        },
        (None, false) if done < total && sweep.plan.second.is_some() => {
            format!("{done} of {total} runs, the rest not valid, Esc closes")
        }
        (None, false) => format!("{done} runs, Esc closes"),
    }
}

/// A map's metric over the grid, column-major with row 0 at the bottom (the heatmap's
/// layout); NaN where a point is skipped, not finite or not run yet — `pending` says which
/// are still to come.
pub struct MapData {
    pub values: Vec<f64>,
    pub pending: Vec<bool>,
    pub cols: usize,
    pub rows: usize,
}

impl MapData {
    pub fn of(sweep: &SweepView) -> MapData {
        let cols = sweep.plan.grid.points;
        let rows = sweep.total() / cols.max(1);
        let mut values = vec![f64::NAN; cols * rows];
        let mut pending = vec![sweep.running; cols * rows];
        for p in &sweep.points {
            let (col, row) = sweep.plan.coords(p.index);
            if let Some(i) = (col < cols && row < rows).then_some(col * rows + row) {
                values[i] = p.metric;
                pending[i] = false;
            }
        }
        MapData {
            values,
            pending,
            cols,
            rows,
        }
    }
}

/// A map's heatmap, for the terminal and the SVG alike: the metric over param (x) and
/// param2 (y) with its colour scale; `current` (the parameters' values now) is marked `◆`
/// when inside the map.
pub fn map<'a>(
    sweep: &SweepView,
    data: &'a MapData,
    state: &str,
    current: (f64, f64),
    theme: &'a Theme,
) -> Heatmap<'a> {
    let (axis, axis2) = (sweep.plan.axis(), sweep.plan.axis2());
    let param2 = sweep.param2().unwrap_or("");
    let ends = |v: &[f64]| {
        (
            v.first().map_or_else(String::new, |x| short_num(*x)),
            v.last().map_or_else(String::new, |x| short_num(*x)),
        )
    };
    let (left, right) = ends(&axis);
    let (bottom, top) = ends(&axis2);
    let position = |v: f64, g: crate::sweep::Grid| {
        let (a, b, v) = if g.log {
            (g.from.ln(), g.to.ln(), v.ln())
        } else {
            (g.from, g.to, v)
        };
        if b == a { 0.5 } else { (v - a) / (b - a) }
    };
    let mut overlay = Vec::new();
    if let Some((_, grid2)) = &sweep.plan.second {
        let (x, y) = (
            position(current.0, sweep.plan.grid),
            position(current.1, *grid2),
        );
        if x.is_finite() && y.is_finite() {
            overlay.push(Mark {
                x,
                y,
                ch: '◆',
                style: theme.accent,
            });
        }
    }
    Heatmap {
        title: format!(
            "map: {} over {} × {param2} ({state})",
            sweep.metric(),
            sweep.param()
        ),
        short: format!("{} ({state})", sweep.metric()),
        data: &data.values,
        cols: data.cols,
        rows: data.rows,
        x_labels: (left, right, sweep.param().to_string()),
        y_labels: (format!("{param2} = {bottom}"), top),
        scale: ColorScale::sequential_for(&data.values),
        legend: sweep.metric().to_string(),
        marked_col: None,
        overlay,
        pending: &data.pending,
        theme,
    }
}

/// The sweep view: its curve, or its map.
pub fn render(sweep: &SweepView, current: (f64, f64), theme: &Theme, area: Rect, buf: &mut Buffer) {
    let state = state(sweep);
    if sweep.plan.second.is_some() {
        let data = MapData::of(sweep);
        map(sweep, &data, &state, current, theme).render(area, buf);
    } else {
        let data = SweepData::of(sweep);
        chart(sweep, &data, &state, current.0, theme).render(area, buf);
    }
}
