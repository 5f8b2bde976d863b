//! The toy lab's pane (unit tests only): its one series on a chart.

use super::{PaneCtx, PaneDescriptor};
use crate::tui::widgets::Figure;
use crate::tui::widgets::chart::{Axis, Chart, Series};

pub static PANE: PaneDescriptor = PaneDescriptor {
    readouts: |_| super::Readouts::default(),
    figures,
    layout: |_, area| vec![area],
    views: None,
};

fn figures<'a>(ctx: &'a PaneCtx<'a>) -> Vec<Figure<'a>> {
    vec![Figure::Chart(chart(ctx))]
}

fn chart<'a>(ctx: &'a PaneCtx<'a>) -> Chart<'a> {
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
}
