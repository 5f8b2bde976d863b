//! The bn pane: the angular update per step of both runs against the equilibrium line
//! √(2ηλ/(1+α)), their weight norms and effective learning rates η/‖w‖², training loss and
//! validation accuracy; readouts of the tail angle against theory, orthogonality, the
//! scale check, the probe loss and what the last rescale (`x`/`X`) did.

use super::{PaneCtx, PaneDescriptor, Readouts};
use crate::fmt::short_num;
use crate::report::Report;
use crate::tui::widgets::Figure;
use crate::tui::widgets::chart::{Axis, Chart, Series};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;

pub static PANE: PaneDescriptor = PaneDescriptor {
    readouts,
    figures,
    layout,
    views: None,
};

/// The two runs as the lab names them, with the look each keeps on every chart.
const RUNS: [&str; 2] = ["wd", "nowd"];

/// "a / b" of a key's two runs.
fn pair(r: &Report, key: &str) -> String {
    let [a, b] = RUNS.map(|v| short_num(r.num(&format!("{key}.{v}"))));
    format!("{a} / {b}")
}

/// The latest value of a series (NaN when empty).
fn last(r: &Report, name: &str) -> f64 {
    r.series(name).last().copied().unwrap_or(f64::NAN)
}

fn step_text(x: f64) -> String {
    if x.is_nan() {
        "not yet".into()
    } else {
        crate::fmt::thousands(x as usize)
    }
}

fn readouts(ctx: &PaneCtx) -> Readouts {
    let (r, t) = (ctx.report, ctx.theme);
    let mut out = Readouts::default();
    out.item(
        t,
        "Δθ wd",
        format!(
            "{} vs theory {} (×{})",
            short_num(r.num("angular_update_tail.wd")),
            short_num(r.num("angular_update_theory")),
            short_num(r.num("angular_update_ratio"))
        ),
    );
    // What the last rescale did is the point of pressing x: right after the headline.
    if r.num("rescale_factor").is_finite() {
        out.item(
            t,
            &format!(
                "W×{} at {}:",
                short_num(r.num("rescale_factor")),
                step_text(r.num("rescale_step"))
            ),
            format!(
                "Δloss {}, η/‖w‖² ×{}",
                short_num(r.num("rescale_loss_change")),
                short_num(r.num("rescale_eff_lr_ratio"))
            ),
        );
    }
    out.item(t, "η/‖w‖² wd/nowd", pair(r, "eff_lr_final"));
    out.item(t, "‖w‖ wd/nowd", pair(r, "weight_norm_final"));
    let orth = RUNS
        .map(|v| last(r, &format!("orthogonality.{v}")))
        .into_iter()
        .fold(0.0, crate::labs::bn::metrics::max_nan);
    out.item(t, "cos(w,∇l)", short_num(orth));
    out.item(t, "scale check", short_num(r.num("scale_check")));
    out.item(t, "probe loss wd/nowd", pair(r, "probe_loss"));
    out.item(t, "Δθ nowd", short_num(r.num("angular_update_tail.nowd")));
    out.item(t, "settled", step_text(r.num("settled_at")));
    out.item(t, "val acc wd/nowd", pair(r, "val_acc_final"));
    for v in RUNS {
        if r.num(&format!("diverged.{v}")) > 0.0 {
            out.push(Span::styled(format!("{v} DIVERGED (lower lr)"), t.error));
        }
    }
    out
}

/// One series per run (and the pinned run's `wd` as a ghost) of `name`.
fn both<'a>(ctx: &'a PaneCtx, name: &str, ghost: bool) -> Vec<Series<'a>> {
    let (r, t) = (ctx.report, ctx.theme);
    let mut series = Vec::new();
    if let (Some(pin), true) = (ctx.pinned, ghost) {
        let (style, marker) = t.ghost_look();
        let key = format!("{name}.wd");
        series
            .push(Series::new("pinned wd", pin.series(&key), style, marker).xs(pin.series("step")));
    }
    for (i, v) in RUNS.iter().enumerate() {
        let (style, marker) = t.series_look(i);
        let ys = r.series(&format!("{name}.{v}"));
        series.push(Series::new(*v, ys, style, marker).xs(r.series("step")));
    }
    series
}

fn angular_chart<'a>(ctx: &'a PaneCtx) -> Chart<'a> {
    let r = ctx.report;
    let mut chart = Chart::new("angular update per step, rad, mean of 50 (log)", ctx.theme)
        .short("Δθ per step (log)")
        .series(both(ctx, "angular_update", true))
        .x(Axis::steps())
        .y(Axis::new("Δθ").log(true))
        .refs(vec![r.num("angular_update_theory")], "√(2ηλ/(1+α))");
    let (step, factor) = (r.num("rescale_step"), r.num("rescale_factor"));
    if step.is_finite() {
        chart = chart.marker_x(step, format!("W×{}", short_num(factor)));
    } else if r.num("tail_start") > 0.0 {
        chart = chart.marker_x(r.num("tail_start"), "tail");
    }
    chart
}

/// The charts after the angular one: (series, title, short title, y label, log y).
#[rustfmt::skip]
const CHARTS: [(&str, &str, &str, &str, bool); 4] = [
    ("weight_norm", "weight norm ‖w‖, mean over rows (log)", "‖w‖ (log)", "‖w‖", true),
    ("eff_lr", "effective learning rate η/‖w‖² (log)", "η/‖w‖² (log)", "η/‖w‖²", true),
    ("train_loss", "training loss, mean of 50 batches", "train loss", "loss", false),
    ("val_acc", "validation accuracy", "val acc", "acc", false),
];

/// Angular update, weight norm, effective lr, loss, validation accuracy.
fn figures<'a>(ctx: &'a PaneCtx<'a>) -> Vec<Figure<'a>> {
    let mut out = vec![Figure::Chart(angular_chart(ctx))];
    for &(name, title, short, label, log) in &CHARTS {
        out.push(Figure::Chart(
            Chart::new(title, ctx.theme)
                .short(short)
                // The pinned run's ghost where the lesson is: ‖w‖ (and Δθ).
                .series(both(ctx, name, name == "weight_norm"))
                .x(Axis::steps())
                .y(Axis::new(label).log(log)),
        ));
    }
    out
}

/// The angular update wide and ‖w‖ beside it on top; the other three below.
fn layout(_: usize, body: Rect) -> Vec<Rect> {
    let [upper, lower] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body);
    let [angular, norm] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(upper);
    let mut areas = vec![angular, norm];
    areas.extend(
        Layout::horizontal([Constraint::Ratio(1, 3); 3])
            .split(lower)
            .iter(),
    );
    areas
}
