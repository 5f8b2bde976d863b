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

pub fn render(sweep: &SweepView, current: f64, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let xs: Vec<f64> = sweep.points.iter().map(|p| p.value).collect();
    let ys: Vec<f64> = sweep.points.iter().map(|p| p.metric).collect();
    let state = match (&sweep.error, sweep.running) {
        (Some(e), _) => format!("failed: {e}"),
        (None, true) => format!("{}/{} runs", sweep.points.len(), sweep.total),
        (None, false) => format!("{} runs, Esc closes", sweep.points.len()),
    };
    let (lo, hi) = (sweep.from, sweep.to);
    let (style, marker) = theme.series_look(0);
    let mut chart = Chart::new(
        format!("sweep: {} vs {} ({state})", sweep.metric, sweep.param),
        theme,
    )
    .series(vec![
        Series::new(sweep.metric.clone(), &ys, style, marker).xs(&xs),
        Series::new("", &ys, theme.accent, ratatui::symbols::Marker::Dot)
            .xs(&xs)
            .scatter(),
    ])
    .x(Axis::new(sweep.param.clone())
        .log(sweep.log_x)
        .bounds(lo.min(hi), hi.max(lo)))
    .y(Axis::new(sweep.metric.clone()).log(wants_log_y(&sweep.metric, &ys)));
    if sweep.metric.starts_with("log10") {
        chart = chart.refs(vec![0.0], "0");
    }
    if current.is_finite() {
        chart = chart.marker_x(current, format!("now {}", crate::fmt::fmt_num(current)));
    }
    chart.render(area, buf);
}
