//! The lstm pane: readouts of the forget gate at rest, its half-life and the gradients that
//! reach lag T; the gradient flow by lag (log) — the LSTM's cell and hidden state, the
//! RNN's hidden state, the forget-gate product and its constant-gate prediction σ(b)^k —
//! and the memory task's accuracy and loss for the LSTM, the RNN and the RNN with
//! grad_eps. Every chart zooms; the pinned run is a ghost on each.

use super::{PaneCtx, PaneDescriptor, Readouts};
use crate::fmt::{fmt_num, short_num};
use crate::report::Report;
use crate::tui::widgets::Figure;
use crate::tui::widgets::chart::{Axis, Chart, Series};
use ratatui::layout::Rect;
use ratatui::text::Span;

pub static PANE: PaneDescriptor = PaneDescriptor {
    readouts,
    figures,
    layout,
    views: None,
};

/// The learners, as (series suffix, legend name).
const LEARNERS: [(&str, &str); 3] = [("lstm", "LSTM"), ("rnn", "RNN"), ("rnn_eps", "RNN+ε")];

/// A learner's legend name, tagged when its run diverged.
fn learner_name(r: &Report, key: &str, name: &str) -> String {
    if r.num(&format!("diverged.{key}")) > 0.0 {
        format!("{name} DIVERGED")
    } else {
        name.to_string()
    }
}

fn readouts(ctx: &PaneCtx) -> Readouts {
    let (r, t) = (ctx.report, ctx.theme);
    let mut out = Readouts::default();
    out.item(
        t,
        "f = σ(b)",
        format!("{:.4}", r.num("forget_gate_at_rest")),
    );
    out.item(
        t,
        "half-life",
        format!("{} steps", short_num(r.num("half_life"))),
    );
    let horizon = r.param_text("horizon");
    out.item(
        t,
        &format!("lag {horizon}: LSTM ‖∂l/∂c‖"),
        short_num(r.num("grad_c_final.lstm")),
    );
    out.item(t, "RNN ‖∂l/∂h‖", short_num(r.num("grad_h_final.rnn")));
    let pct = |x: f64| {
        if x.is_nan() {
            "–".to_string()
        } else {
            format!("{:.0}%", 100.0 * x)
        }
    };
    let accs: Vec<String> = LEARNERS
        .iter()
        .map(|(key, name)| format!("{name} {}", pct(r.num(&format!("final_acc.{key}")))))
        .collect();
    out.item(
        t,
        "accuracy",
        format!("{} · chance {}", accs.join(" · "), pct(r.num("chance"))),
    );
    for (key, name) in LEARNERS {
        let solved = r.num(&format!("solved_at.{key}"));
        if solved.is_finite() {
            out.item(t, &format!("{name} solved at step"), fmt_num(solved));
        }
    }
    out.item(t, "ε", short_num(r.param_f64("grad_eps")));
    for (key, name) in LEARNERS {
        if r.num(&format!("diverged.{key}")) > 0.0 {
            out.push(Span::styled(format!("{name} DIVERGED"), t.error));
        }
    }
    out
}

fn flow_chart<'a>(ctx: &'a PaneCtx) -> Chart<'a> {
    let (r, t) = (ctx.report, ctx.theme);
    let mut series = vec![];
    if let Some(pin) = ctx.pinned {
        let (style, marker) = t.ghost_look();
        series.push(Series::new(
            "pinned cell",
            pin.series("grad_c.lstm"),
            style,
            marker,
        ));
    }
    let look = |i| t.series_look(i);
    let named = [
        ("σ(b)^k", "forget_theory", 4),
        ("∏ f", "forget_product", 3),
        ("RNN ‖∂l/∂h‖", "grad_h.rnn", 2),
        ("LSTM ‖∂l/∂h‖", "grad_h.lstm", 1),
        ("LSTM ‖∂l/∂c‖", "grad_c.lstm", 0),
    ];
    for (name, key, i) in named {
        let (style, marker) = look(i);
        series.push(Series::new(name, r.series(key), style, marker));
    }
    Chart::new("gradient by lag k, relative to k = 0 (log)", t)
        .short("gradient by lag (log)")
        .series(series)
        .x(Axis::new("lag k"))
        .y(Axis::new("ratio").log(true))
        .refs(vec![1.0], "")
}

/// Accuracy or loss of the three learners against the step.
fn training_chart<'a>(ctx: &'a PaneCtx, what: &str) -> Chart<'a> {
    let (r, t) = (ctx.report, ctx.theme);
    let steps = r.series("step");
    let mut series = vec![];
    if let Some(pin) = ctx.pinned {
        let (style, marker) = t.ghost_look();
        series.push(
            Series::new(
                "pinned LSTM",
                pin.series(&format!("{what}.lstm")),
                style,
                marker,
            )
            .xs(pin.series("step")),
        );
    }
    // The LSTM last, on top.
    for (i, (key, name)) in LEARNERS.iter().enumerate().rev() {
        let (style, marker) = t.series_look(i);
        series.push(
            Series::new(
                learner_name(r, key, name),
                r.series(&format!("{what}.{key}")),
                style,
                marker,
            )
            .xs(steps),
        );
    }
    if what == "acc" {
        Chart::new("recall accuracy (mean of 20 batches)", t)
            .short("recall accuracy")
            .series(series)
            .x(Axis::steps())
            .y(Axis::new("acc").bounds(0.0, 1.0))
            .refs(vec![r.num("chance")], "chance")
    } else {
        Chart::new("cross-entropy loss (mean of 20 batches)", t)
            .short("loss")
            .series(series)
            .x(Axis::steps())
            .y(Axis::new("loss"))
            .refs(vec![(1.0 / r.num("chance")).ln()], "chance")
    }
}

/// The flow chart, then the memory task's accuracy and loss.
fn figures<'a>(ctx: &'a PaneCtx<'a>) -> Vec<Figure<'a>> {
    vec![
        Figure::Chart(flow_chart(ctx)),
        Figure::Chart(training_chart(ctx, "acc")),
        Figure::Chart(training_chart(ctx, "loss")),
    ]
}

/// The flow wide on top, the two training charts side by side below.
fn layout(_: usize, body: Rect) -> Vec<Rect> {
    super::grid(body, &[(55, 1), (45, 2)])
}
