//! The toy lab's pane (unit tests only): its one series on a chart.

use super::{PaneCtx, PaneDescriptor};
use crate::tui::widgets::chart::{Axis, Chart, Series};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

pub static PANE: PaneDescriptor = PaneDescriptor {
    render,
    charts: |_| 1,
};

fn render(ctx: &PaneCtx, area: Rect, buf: &mut Buffer) {
    let t = ctx.theme;
    Chart::new("x_t (log)", t)
        .series(vec![Series::new(
            "x",
            ctx.report.series("x"),
            t.series[0],
            t.markers[0],
        )])
        .x(Axis::new("t"))
        .y(Axis::new("x").log(true))
        .render(area, buf);
}
