//! The resnet pane: readouts (epoch, losses, both validation accuracies, throughput), the
//! loss and accuracy charts (validation in eval mode beside the same pass in train mode),
//! the per-layer gradient strip over time, the weight norm and the effective learning rate
//! per optimiser group, and the layer table with the three groups and their weight decay.
//! The progress gauge with its ETA is the status bar's. At 80×24 the four charts that matter
//! most are shown, the weight-norm chart, the effective-lr chart and the table one `z` away.

use super::{PaneCtx, PaneDescriptor, Readouts, grid};
use crate::fmt::{fmt_num, short_num, thousands};
use crate::report::Report;
use crate::tui::theme::Theme;
use crate::tui::widgets::chart::{Axis, Chart, Series};
use crate::tui::widgets::heatmap::{ColorScale, Heatmap};
use crate::tui::widgets::{Figure, TextTable};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

pub static PANE: PaneDescriptor = PaneDescriptor {
    readouts,
    figures,
    layout,
    views: None,
};

/// The three groups in the order the lab reports them, with their legend names.
const GROUPS: [(&str, &str); 3] = [
    ("rest", "weights"),
    ("bn_affine", "BN γ,β"),
    ("biases", "biases"),
];

fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}%", 100.0 * x)
    } else {
        "–".into()
    }
}

fn readouts(ctx: &PaneCtx) -> Readouts {
    let (r, t) = (ctx.report, ctx.theme);
    let mut out = Readouts::default();
    out.item(t, "epoch", format!("{:.2}", r.num("epoch")));
    out.item(t, "train loss", short_num(r.num("train_loss_final")));
    let at = r.num("val_step_final");
    let at = if at.is_finite() {
        format!(" @{at}")
    } else {
        String::new()
    };
    out.item(
        t,
        "val acc",
        format!(
            "{} eval / {} train mode{at}",
            pct(r.num("val_acc_final")),
            pct(r.num("val_acc_train_mode_final"))
        ),
    );
    // A fixed width, so the readouts keep their layout whatever the measurement.
    let ips = r.num("images_per_s");
    let ips = if ips.is_finite() {
        format!("{ips:>4.0}")
    } else {
        format!("{:>4}", "–")
    };
    out.item(t, "img/s", ips);
    out.item(t, "params", thousands(r.num("params").max(0.0) as usize));
    if r.num("diverged") > 0.0 {
        out.push(Span::styled("DIVERGED (lower lr)", t.error));
    }
    out
}

fn loss_chart<'a>(ctx: &'a PaneCtx) -> Chart<'a> {
    let (r, t) = (ctx.report, ctx.theme);
    let mut series = vec![];
    if let Some(pin) = ctx.pinned {
        let (style, marker) = t.ghost_look();
        series.push(
            Series::new("pinned val", pin.series("val_loss"), style, marker)
                .xs(pin.series("val_step")),
        );
    }
    let (s0, m0) = t.series_look(0);
    let (s1, m1) = t.series_look(1);
    let train = r.series("train_loss_avg");
    series.push(Series::new("train", train, s0, m0).xs(r.series("step")));
    series.push(Series::new("val", r.series("val_loss"), s1, m1).xs(r.series("val_step")));
    Chart::new("loss: train (mean of 20 steps), validation (log)", t)
        .short("loss (log)")
        .series(series)
        .x(Axis::steps())
        .y(Axis::new("loss").log(true))
}

fn accuracy_chart<'a>(ctx: &'a PaneCtx) -> Chart<'a> {
    let (r, t) = (ctx.report, ctx.theme);
    let mut series = vec![];
    if let Some(pin) = ctx.pinned {
        let (style, marker) = t.ghost_look();
        series.push(
            Series::new("pinned eval", pin.series("val_acc"), style, marker)
                .xs(pin.series("val_step")),
        );
    }
    let (s0, m0) = t.series_look(0);
    let (s2, m2) = t.series_look(2);
    let (s1, m1) = t.series_look(1);
    let vx = r.series("val_step");
    let train = r.series("train_acc_avg");
    series.push(Series::new("train", train, s0, m0).xs(r.series("step")));
    series.push(Series::new("train mode", r.series("val_acc_train_mode"), s2, m2).xs(vx));
    series.push(Series::new("eval mode", r.series("val_acc"), s1, m1).xs(vx));
    Chart::new(
        "accuracy: train (mean of 20 steps); val in eval vs train mode",
        t,
    )
    .short("acc: eval vs train mode")
    .series(series)
    .x(Axis::steps())
    .y(Axis::new("acc").bounds(0.0, 1.0))
    .refs(vec![0.1], "chance")
}

fn strip<'a>(ctx: &'a PaneCtx) -> Heatmap<'a> {
    let (r, t) = (ctx.report, ctx.theme);
    let data = r.series("grad_strip_log10");
    let rows = r.num("grad_strip_rows").max(0.0) as usize;
    let cols = r.num("grad_strip_cols").max(0.0) as usize;
    let names: Vec<&str> = r.text("layer_names").split_whitespace().collect();
    let steps = r.series("grad_strip_step");
    let first = steps.first().map_or(String::new(), |s| fmt_num(*s));
    let last = steps.last().map_or(String::new(), |s| fmt_num(*s));
    Heatmap {
        title: "mean log10 ‖∂L/∂W‖ per layer (input at the bottom) over steps".into(),
        short: "log10 ‖∂L/∂W‖ by layer".into(),
        data,
        cols,
        rows,
        x_labels: (first, last, "step".into()),
        y_labels: (
            names.first().copied().unwrap_or("").to_string(),
            names.last().copied().unwrap_or("").to_string(),
        ),
        scale: ColorScale::sequential_for(data),
        legend: "log10".into(),
        marked_col: None,
        overlay: vec![],
        pending: &[],
        theme: t,
    }
}

fn group_chart<'a>(ctx: &'a PaneCtx, prefix: &str, title: &str, short: &'static str) -> Chart<'a> {
    let (r, t) = (ctx.report, ctx.theme);
    let steps = r.series("step");
    let mut series = vec![];
    if let Some(pin) = ctx.pinned {
        let (style, marker) = t.ghost_look();
        let name = format!("{prefix}.rest");
        series.push(
            Series::new("pinned weights", pin.series(&name), style, marker).xs(pin.series("step")),
        );
    }
    for (i, (group, label)) in GROUPS.iter().enumerate() {
        let (style, marker) = t.series_look(i);
        let ys = r.series(&format!("{prefix}.{group}"));
        series.push(Series::new(*label, ys, style, marker).xs(steps));
    }
    Chart::new(title, t)
        .short(short)
        .series(series)
        .x(Axis::steps())
        .y(Axis::new(prefix.replace('_', " ")).log(true))
}

/// The layer table and the optimiser groups, from the report.
fn table_lines(r: &Report, t: &Theme) -> Vec<Line<'static>> {
    let names: Vec<&str> = r.text("table_rows").split_whitespace().collect();
    let params = r.list("table_params");
    let channels = r.list("table_channels");
    let mut lines = vec![Line::styled(
        format!("{:<9} {:>4} {:>10}", "block", "out", "params"),
        t.dim,
    )];
    for (i, name) in names.iter().enumerate() {
        let count = params.get(i).copied().unwrap_or(f64::NAN);
        let out = channels.get(i).copied().unwrap_or(f64::NAN);
        lines.push(Line::styled(
            format!(
                "{name:<9} {:>4} {:>10}",
                fmt_num(out),
                thousands(count.max(0.0) as usize)
            ),
            t.text,
        ));
    }
    lines.push(Line::styled(
        format!(
            "{:<14} {:>10}",
            "total",
            thousands(r.num("params").max(0.0) as usize)
        ),
        t.accent,
    ));
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!(
            "{:<9} {:>4} {:>10} {:>6}",
            "group", "tens", "params", "decay"
        ),
        t.dim,
    ));
    for (group, _) in [GROUPS[1], GROUPS[2], GROUPS[0]] {
        let wd = r.num(&format!("weight_decay.{group}"));
        let decay = if wd > 0.0 { short_num(wd) } else { "0".into() };
        let style = if wd > 0.0 { t.accent } else { t.text };
        lines.push(Line::from(vec![
            Span::styled(
                format!(
                    "{group:<9} {:>4} {:>10} ",
                    fmt_num(r.num(&format!("group_tensors.{group}"))),
                    thousands(r.num(&format!("group_params.{group}")).max(0.0) as usize)
                ),
                t.text,
            ),
            Span::styled(format!("{decay:>6}"), style),
        ]));
    }
    lines
}

/// Loss, accuracy, gradient strip, weight norms, effective learning rates, layer table.
fn figures<'a>(ctx: &'a PaneCtx<'a>) -> Vec<Figure<'a>> {
    vec![
        Figure::Chart(loss_chart(ctx)),
        Figure::Chart(accuracy_chart(ctx)),
        Figure::Heatmap(strip(ctx)),
        Figure::Chart(group_chart(
            ctx,
            "weight_norm",
            "weight norm ‖w‖ per group (log)",
            "‖w‖ per group",
        )),
        Figure::Chart(group_chart(
            ctx,
            "eff_lr",
            "effective learning rate η/mean‖w_t‖² per group (log)",
            "eff. lr per group",
        )),
        Figure::Table(TextTable {
            title: "layers, parameters and groups".into(),
            lines: table_lines(ctx.report, ctx.theme),
            theme: ctx.theme,
        }),
    ]
}

/// Wide enough for three columns: every figure (the table top right); otherwise the loss,
/// accuracy, strip and weight-norm charts in two, the rest one `z` away.
fn layout(count: usize, body: Rect) -> Vec<Rect> {
    if body.width >= 120 && body.height >= 30 && count == 6 {
        let cells = grid(body, &[(50, 3), (50, 3)]);
        // Figure i goes to cell PLACE[i].
        const PLACE: [usize; 6] = [0, 1, 3, 4, 5, 2];
        PLACE.iter().map(|&c| cells[c]).collect()
    } else {
        grid(body, &[(50, 2), (50, 2)])
    }
}
