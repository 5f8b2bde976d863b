//! The rnn pane: live readouts of ‖W_z‖₂ and ρ(W_z) and of the transient peaks; the gradient
//! ratio of this g on a log axis under the worst direction's, its envelope over every g, with
//! the bound (γ‖W‖₂)^k, the asymptotic rate ρ(W)^k and the pinned ghost; the heatmap of log10
//! ratio over spectral norm × lag with the current spectral norm marked.

use super::{PaneCtx, PaneDescriptor, Readouts};
use crate::fmt::{fmt_num, short_num};
use crate::tui::widgets::Figure;
use crate::tui::widgets::chart::{Axis, Chart, Series};
use crate::tui::widgets::heatmap::{ColorScale, Heatmap};
use ratatui::text::Span;

pub static PANE: PaneDescriptor = PaneDescriptor {
    readouts,
    figures,
    layout: |_, area| super::grid(area, &[(58, 1), (42, 1)]),
    views: None,
};

/// The gradient chart and the heatmap.
fn figures<'a>(ctx: &'a PaneCtx<'a>) -> Vec<Figure<'a>> {
    vec![
        Figure::Chart(gradient_chart(ctx, ctx.report)),
        Figure::Heatmap(heatmap(ctx, ctx.report)),
    ]
}

fn readouts(ctx: &PaneCtx) -> Readouts {
    let (r, t) = (ctx.report, ctx.theme);
    let mut out = Readouts::default();
    out.item(t, "‖W_z‖₂", format!("{:.4}", r.num("spectral_norm")));
    out.item(t, "ρ(W_z)", format!("{:.4}", r.num("spectral_radius")));
    out.item(t, "γ", fmt_num(r.num("gamma")));
    out.item(t, "ratio at T", fmt_num(r.num("final_ratio")));
    // A transient peak is worth a readout only when it is a growth inside the horizon.
    let horizon = r.param_f64("horizon");
    for (label, key) in [("this g", "peak"), ("worst direction", "worst_peak")] {
        let (peak, lag) = (r.num(&format!("{key}_ratio")), r.num(&format!("{key}_lag")));
        if peak > 1.0 + 1e-6 && lag < horizon {
            let log10 = r.num(&format!("log10_{key}_ratio"));
            out.item(
                t,
                label,
                format!("{} at k = {}", ratio(peak, log10), fmt_num(lag)),
            );
        }
    }
    out.push(Span::styled(r.text("regime").to_string(), t.title));
    out
}

/// A ratio in three significant digits, or as a power of ten past the f64 range.
fn ratio(value: f64, log10: f64) -> String {
    if value.is_finite() {
        short_num(value)
    } else {
        format!("10^{log10:.1}")
    }
}

fn gradient_chart<'a>(ctx: &'a PaneCtx, r: &'a crate::report::Report) -> Chart<'a> {
    let t = ctx.theme;
    let gamma = r.num("gamma");
    let mut series = vec![];
    if let Some(pin) = ctx.pinned {
        let (style, marker) = t.ghost_look();
        series.push(Series::new(
            "pinned",
            pin.series("grad_norm"),
            style,
            marker,
        ));
    }
    let (s1, m1) = t.series_look(1);
    series.push(Series::new(
        format!("(γ‖W‖₂)^k (γ={})", fmt_num(gamma)),
        r.series("bound_norm"),
        s1,
        m1,
    ));
    let (s2, m2) = t.series_look(2);
    series.push(Series::new(
        "ρ(W)^k (asymptotic rate)",
        r.series("bound_radius"),
        s2,
        m2,
    ));
    let (s3, m3) = t.series_look(3);
    series.push(Series::new(
        "worst direction",
        r.series("worst_norm"),
        s3,
        m3,
    ));
    let (s0, m0) = t.series_look(0);
    series.push(Series::new("this g", r.series("grad_norm"), s0, m0));
    // The y range follows the worst direction (the envelope), this g and the ghost.
    let n = series.len();
    let mut fit = vec![n - 2, n - 1];
    if ctx.pinned.is_some() {
        fit.insert(0, 0);
    }
    Chart::new("gradient ratio by lag k (log)", t)
        .short("ratio by lag (log)")
        .series(series)
        .x(Axis::new("lag k"))
        .y(Axis::new("ratio").log(true))
        .fit(fit)
        .refs(vec![1.0], "")
}

fn heatmap<'a>(ctx: &'a PaneCtx, r: &'a crate::report::Report) -> Heatmap<'a> {
    let data = r.series("heatmap_log10");
    let axis = r.series("heatmap_axis");
    let rows = r.num("heatmap_rows").max(1.0) as usize;
    let cols = r.num("heatmap_cols").max(0.0) as usize;
    let s = r.param_f64("spectral_norm");
    // The column whose spectral norm is nearest the current one, if it is within half a step.
    let half_step = axis
        .windows(2)
        .next()
        .map_or(f64::INFINITY, |w| (w[1] - w[0]).abs() / 2.0);
    let marked = axis
        .iter()
        .enumerate()
        .min_by(|a, b| (a.1 - s).abs().total_cmp(&(b.1 - s).abs()))
        .filter(|(_, x)| (*x - s).abs() <= half_step)
        .map(|(j, _)| j);
    let done = data.len() / rows;
    let first = axis.first().copied().unwrap_or(f64::NAN);
    let last = axis.last().copied().unwrap_or(f64::NAN);
    Heatmap {
        title: format!("log10 ratio over ‖W_z‖₂ × lag ({done}/{cols} columns)"),
        short: format!("log10 ratio, ‖W‖₂ × lag ({done}/{cols})"),
        data,
        cols,
        rows,
        x_labels: (fmt_num(first), fmt_num(last), "‖W_z‖₂ (▼ current)".into()),
        y_labels: ("k=0".into(), format!("k={}", rows - 1)),
        scale: ColorScale::diverging_for(data),
        legend: "log10".into(),
        marked_col: marked,
        overlay: vec![],
        pending: &[],
        theme: ctx.theme,
    }
}
