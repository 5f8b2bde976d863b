//! The sweep view under a pane: the metric against the swept parameter, drawn as the points
//! arrive, with the parameter's current value marked.

use crate::tui::model::SweepView;
use crate::tui::theme::Theme;
use crate::tui::widgets::chart::{Axis, Chart, Series};
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
    let (lo, hi) = (sweep.from, sweep.to);
    let (style, marker) = theme.series_look(0);
    let mut line = Series::new(sweep.metric.clone(), &data.ys, style, marker).xs(&data.xs);
    if let Some((q10, q90)) = &data.band {
        line.band = Some((q10, q90));
    }
    let mut chart = Chart::new(
        format!("sweep: {} vs {} ({state})", sweep.metric, sweep.param),
        theme,
    )
    .series(vec![
        line,
        Series::new("", &data.ys, theme.accent, ratatui::symbols::Marker::Dot)
            .xs(&data.xs)
            .scatter(),
    ])
    .x(Axis::new(sweep.param.clone())
        .log(sweep.log_x)
        .bounds(lo.min(hi), hi.max(lo)))
    .y(Axis::new(sweep.metric.clone()).log(wants_log_y(&sweep.metric, &data.ys)));
    if sweep.metric.starts_with("log10") {
        chart = chart.refs(vec![0.0], "0");
    }
    if current.is_finite() {
        chart = chart.marker_x(current, format!("now {}", crate::fmt::fmt_num(current)));
    }
    chart
}

pub fn render(sweep: &SweepView, current: f64, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let state = match (&sweep.error, sweep.running) {
        (Some(e), _) => format!("failed: {e}"),
        (None, true) => format!("{}/{} runs", sweep.points.len(), sweep.total),
        (None, false) => format!("{} runs, Esc closes", sweep.points.len()),
    };
    let data = SweepData::of(sweep);
    chart(sweep, &data, &state, current, theme).render(area, buf);
}
