//! The clip pane, in the view the `v` key chose (UI state; every report holds both):
//! - cliff: the log10 loss of Pascanu's one-unit model over (w, b) with the three SGD
//!   paths drawn on it (a path that leaves the map is marked where it left), and their
//!   gradient norms and losses by step;
//! - rnn: the tanh RNN's loss, gradient norm before clipping (with τ), weight norm and the
//!   cosine of the update with −g, for none / norm / value.
//!
//! A diverged variant is tagged DIVERGED in every legend; its non-finite values are marked
//! by the chart.

use super::{PaneCtx, PaneDescriptor, Readouts, Views};
use crate::fmt::{fmt_num, short_num};
use crate::labs::LabAction;
use crate::report::Report;
use crate::tui::widgets::Figure;
use crate::tui::widgets::chart::{Axis, Chart, Series};
use crate::tui::widgets::heatmap::{ColorScale, Heatmap, Mark};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;

pub static PANE: PaneDescriptor = PaneDescriptor {
    readouts,
    figures,
    layout,
    views: Some(&Views {
        key: LabAction {
            key: 'v',
            name: "view",
            label: "view",
            help: "switch the view: Pascanu's one-unit cliff ↔ the RNN trained with and without clipping",
        },
        views: &[
            (
                "cliff",
                "view: Pascanu's one-unit cliff, x_t = w·σ(x_{t−1}) + b",
            ),
            (
                "rnn",
                "view: the tanh RNN on the adding problem, none / norm / value",
            ),
        ],
    }),
};

/// The variants, as in the lab, with the glyph of their path on the heatmap.
const VARIANTS: [(&str, char); 3] = [("none", '○'), ("norm", '●'), ("value", '◇')];

fn cliff_view(ctx: &PaneCtx) -> bool {
    ctx.view == 0
}

/// A variant's legend name: tagged when its run diverged (RNN) or its path left the map
/// (cliff).
fn name(r: &Report, v: &str, cliff: bool) -> String {
    if cliff {
        if r.num(&format!("cliff_left_map.{v}")) > 0.0 {
            return format!("{v} (left the map)");
        }
        return v.to_string();
    }
    let at = r.num(&format!("diverged_at.{v}"));
    if r.num(&format!("diverged.{v}")) > 0.0 {
        format!("{v} DIVERGED at {}", fmt_num(at))
    } else {
        v.to_string()
    }
}

fn readouts(ctx: &PaneCtx) -> Readouts {
    let (r, t) = (ctx.report, ctx.theme);
    let cliff = cliff_view(ctx);
    let mut out = Readouts::default();
    // One item per quantity, the three variants side by side.
    let triple = |key: &str, label: &dyn Fn(&str, char) -> String| {
        VARIANTS
            .iter()
            .map(|(v, g)| {
                format!(
                    "{} {}",
                    label(v, *g),
                    short_num(r.num(&format!("{key}.{v}")))
                )
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    if cliff {
        out.push(Span::styled("cliff (v: RNN)".to_string(), t.title));
        let glyph = |_: &str, g: char| g.to_string();
        out.item(t, "loss", triple("cliff_final_loss", &glyph));
        out.item(t, "max ‖g‖", triple("cliff_max_grad_norm", &glyph));
        out.item(t, "longest step", triple("cliff_max_jump", &glyph));
    } else {
        out.push(Span::styled("RNN (v: cliff)".to_string(), t.title));
        let named = |v: &str, _: char| v.to_string();
        out.item(t, "‖W‖₂ at init", short_num(r.num("init_spectral_norm")));
        out.item(t, "loss", triple("final_loss", &named));
        out.item(t, "max ‖g‖", triple("max_grad_norm", &named));
        let pct = |v: &str| {
            format!(
                "{v} {:.0}%",
                100.0 * r.num(&format!("clipped_fraction.{v}"))
            )
        };
        out.item(t, "clipped", format!("{}  {}", pct("norm"), pct("value")));
        for (v, _) in VARIANTS {
            if r.num(&format!("diverged.{v}")) > 0.0 {
                out.push(Span::styled(name(r, v, false), t.error));
            }
        }
    }
    out
}

/// One series per variant of `key`, against `xs` (the norm variant on top), and the pinned
/// run's `none` as a ghost.
fn variant_series<'a>(ctx: &'a PaneCtx, key: &str, xs: &str, cliff: bool) -> Vec<Series<'a>> {
    let (r, t) = (ctx.report, ctx.theme);
    let mut series = vec![];
    if let Some(pin) = ctx.pinned {
        let (style, marker) = t.ghost_look();
        series.push(
            Series::new(
                "pinned none",
                pin.series(&format!("{key}.none")),
                style,
                marker,
            )
            .xs(pin.series(xs)),
        );
    }
    for i in [0, 2, 1] {
        let v = VARIANTS[i].0;
        let (style, marker) = t.series_look(i);
        series.push(
            Series::new(
                name(r, v, cliff),
                r.series(&format!("{key}.{v}")),
                style,
                marker,
            )
            .xs(r.series(xs)),
        );
    }
    series
}

/// The indices in [`variant_series`] of the runs that did not diverge (and the ghost): a
/// diverged loss, gradient or weight norm would stretch the axis over hundreds of decades
/// and flatten the others.
fn finite_runs(ctx: &PaneCtx) -> Vec<usize> {
    let ghost = usize::from(ctx.pinned.is_some());
    let mut fit: Vec<usize> = (0..ghost).collect();
    for (k, i) in [0, 2, 1].into_iter().enumerate() {
        if ctx.report.num(&format!("diverged.{}", VARIANTS[i].0)) == 0.0 {
            fit.push(ghost + k);
        }
    }
    fit
}

fn cliff_map<'a>(ctx: &'a PaneCtx) -> Heatmap<'a> {
    let (r, t) = (ctx.report, ctx.theme);
    let data = r.series("cliff_log10_loss");
    let (wa, ba) = (r.series("cliff_w_axis"), r.series("cliff_b_axis"));
    let ends = |a: &[f64]| {
        (
            a.first().copied().unwrap_or(0.0),
            a.last().copied().unwrap_or(1.0),
        )
    };
    let ((w0, w1), (b0, b1)) = (ends(wa), ends(ba));
    let unit = |w: f64, b: f64| ((w - w0) / (w1 - w0), (b - b0) / (b1 - b0));
    let mut overlay = Vec::new();
    // Where a path left the map: its last point inside, marked on top of every path.
    let mut exits = Vec::new();
    for (i, (v, glyph)) in VARIANTS.iter().enumerate() {
        let style = t.series_look(i).0;
        let (ws, bs) = (
            r.series(&format!("cliff_w.{v}")),
            r.series(&format!("cliff_b.{v}")),
        );
        let mut last_inside = None;
        for (w, b) in ws.iter().zip(bs) {
            let (x, y) = unit(*w, *b);
            if (0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y) {
                overlay.push(Mark {
                    x,
                    y,
                    ch: *glyph,
                    style,
                });
                last_inside = Some((x, y));
            } else if let Some((x, y)) = last_inside.take() {
                exits.push(Mark {
                    x,
                    y,
                    ch: '!',
                    style: t.error,
                });
            }
        }
    }
    overlay.extend(exits);
    let (sw, sb) = unit(r.num("cliff_start_w"), r.num("cliff_start_b"));
    overlay.push(Mark {
        x: sw,
        y: sb,
        ch: 'S',
        style: t.accent,
    });
    Heatmap {
        title: "log10 (x_T − 0.7)² over (w, b): paths ○ none ● norm ◇ value, S start, ! left"
            .into(),
        short: "log10 loss: ○ none ● norm ◇ value".into(),
        data,
        cols: r.num("cliff_cols").max(0.0) as usize,
        rows: r.num("cliff_rows").max(1.0) as usize,
        x_labels: (format!("w={}", short_num(w0)), short_num(w1), "w".into()),
        y_labels: (
            format!("b={}", short_num(b0)),
            format!("b={}", short_num(b1)),
        ),
        scale: ColorScale::sequential_for(data),
        legend: "log10 l".into(),
        marked_col: None,
        overlay,
        pending: &[],
        theme: t,
    }
}

fn cliff_chart<'a>(ctx: &'a PaneCtx, key: &str) -> Chart<'a> {
    let t = ctx.theme;
    if key == "cliff_grad_norm" {
        Chart::new("cliff: ‖g‖ before clipping (log)", t)
            .short("cliff ‖g‖ (log)")
            .series(variant_series(ctx, key, "step", true))
            .x(Axis::steps())
            .y(Axis::new("‖g‖").log(true))
            .refs(vec![ctx.report.param_f64("threshold")], "τ")
    } else {
        Chart::new("cliff: loss along the path (log)", t)
            .short("cliff loss (log)")
            .series(variant_series(ctx, key, "cliff_step", true))
            .x(Axis::steps())
            .y(Axis::new("loss").log(true))
    }
}

fn rnn_chart<'a>(ctx: &'a PaneCtx, i: usize) -> Chart<'a> {
    let (r, t) = (ctx.report, ctx.theme);
    match i {
        0 => Chart::new("RNN loss on the adding problem (log)", t)
            .short("RNN loss (log)")
            .series(variant_series(ctx, "loss", "step", false))
            .fit(finite_runs(ctx))
            .x(Axis::steps())
            .y(Axis::new("MSE").log(true))
            .refs(
                vec![r.num("baseline_loss"), r.num("one_value_loss")],
                "1/6 mean · 1/12 one value",
            ),
        1 => Chart::new("‖g‖ before clipping (log)", t)
            .short("‖g‖ (log)")
            .series(variant_series(ctx, "grad_norm", "step", false))
            .fit(finite_runs(ctx))
            .x(Axis::steps())
            .y(Axis::new("‖g‖").log(true))
            .refs(vec![r.param_f64("threshold")], "τ"),
        2 => Chart::new("weight norm ‖θ‖ (log)", t)
            .short("‖θ‖ (log)")
            .series(variant_series(ctx, "weight_norm", "step", false))
            .fit(finite_runs(ctx))
            .x(Axis::steps())
            .y(Axis::new("‖θ‖").log(true)),
        _ => Chart::new("cosine of the update with −g", t)
            .short("cos(update, −g)")
            .series(variant_series(ctx, "cosine", "step", false))
            .x(Axis::steps())
            .y(Axis::new("cos").bounds(0.0, 1.0))
            .refs(vec![1.0], ""),
    }
}

/// The cliff view: the map and the two charts beside it; the RNN view: four charts.
fn figures<'a>(ctx: &'a PaneCtx<'a>) -> Vec<Figure<'a>> {
    if cliff_view(ctx) {
        vec![
            Figure::Heatmap(cliff_map(ctx)),
            Figure::Chart(cliff_chart(ctx, "cliff_grad_norm")),
            Figure::Chart(cliff_chart(ctx, "cliff_loss")),
        ]
    } else {
        (0..4).map(|i| Figure::Chart(rnn_chart(ctx, i))).collect()
    }
}

/// The cliff map on the left with its two charts stacked on the right; or a 2×2 grid.
fn layout(n: usize, body: Rect) -> Vec<Rect> {
    if n == 3 {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)])
                .areas(body);
        let [top, bottom] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(right);
        vec![left, top, bottom]
    } else {
        super::grid(body, &[(50, 2), (50, 2)])
    }
}
