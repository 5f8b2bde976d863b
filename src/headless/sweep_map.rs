//! The figure of a two-parameter sweep (`sweep --plot` with `--param2`): the metric over the
//! grid as a heatmap, param along x and param2 along y, with its colour bar; skipped and
//! non-finite points are the map's NaN colour.

use crate::fmt::short_num;
use crate::sweep::{SweepPlan, SweepPoint};
use crate::tui::theme::{Theme, ThemeName};
use crate::tui::widgets::heatmap::{ColorScale, Heatmap};
use anyhow::Result;

pub fn svg(plan: &SweepPlan, points: &[SweepPoint]) -> Result<String> {
    let (axis, axis2) = (plan.axis(), plan.axis2());
    let (cols, rows) = (axis.len(), axis2.len());
    let param2 = plan.second.as_ref().map_or("", |(p, _)| p.as_str());
    // Column-major, row 0 at the bottom: the heatmap widget's layout.
    let mut data = vec![f64::NAN; cols * rows];
    for p in points {
        let (col, row) = plan.coords(p.index);
        if let Some(cell) = data.get_mut(col * rows + row) {
            *cell = p.metric;
        }
    }
    let theme = Theme::new(ThemeName::Default);
    let ends = |v: &[f64]| {
        (
            v.first().map_or_else(String::new, |x| short_num(*x)),
            v.last().map_or_else(String::new, |x| short_num(*x)),
        )
    };
    let (left, right) = ends(&axis);
    let (bottom, top) = ends(&axis2);
    let skipped = cols * rows - points.len();
    let mut legend = format!("over {} × {param2}", plan.param);
    if skipped > 0 {
        legend += &format!(" ({skipped} points skipped)");
    }
    let map = Heatmap {
        title: plan.metric.clone(),
        short: plan.metric.clone(),
        data: &data,
        cols,
        rows,
        x_labels: (left, right, plan.param.clone()),
        y_labels: (format!("{param2} = {bottom}"), top),
        scale: ColorScale::sequential_for(&data),
        legend,
        marked_col: None,
        overlay: Vec::new(),
        theme: &theme,
    };
    crate::tui::svg::map_svg(&map).map_err(anyhow::Error::msg)
}
