//! The mf pane: loss and gap to the Eckart–Young optimum (log), the singular values of AB
//! arriving at their targets, balancedness, the non-convexity segment from (A, B) through
//! (0, 0) to (−A, −B), and for the 1×1 rank-1 problem the landscape (x − ab)² with the
//! descent path and the hyperbola of minima ab = x.

use super::{PaneCtx, PaneDescriptor, Readouts};
use crate::fmt::fmt_num;
use crate::fmt::short_num;
use crate::report::Report;
use crate::tui::widgets::chart::{Axis, Chart, Series};
use crate::tui::widgets::heatmap::{ColorScale, Heatmap, Mark};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::Widget;

pub static PANE: PaneDescriptor = PaneDescriptor {
    render,
    // Loss, singular values, balance, segment, and (1×1 only) the landscape.
    charts: |r| if has_landscape(r) { 5 } else { 4 },
};

fn has_landscape(r: &Report) -> bool {
    !r.series("landscape_log10").is_empty()
}

fn readouts(ctx: &PaneCtx) -> Readouts {
    let (r, t) = (ctx.report, ctx.theme);
    let mut out = Readouts::default();
    let shape = format!("{}×{}, r={}", r.num("m"), r.num("n"), r.param_text("rank"));
    out.item(t, "X", shape);
    out.item(t, "f", short_num(r.num("final_loss")));
    out.item(t, "f* = Σ_{i>r} σ_i²", short_num(r.num("optimum")));
    out.item(t, "(f−f*)/f*", short_num(r.num("relative_gap")));
    out.item(t, "‖X‖²", short_num(r.num("x_norm2")));
    out.item(t, "balance", short_num(r.num("balance_final")));
    out.item(t, "gauge", short_num(r.num("gauge_check")));
    let learned: Vec<String> = r
        .list("learned_at")
        .iter()
        .map(|s| {
            if s.is_nan() {
                "–".into()
            } else {
                fmt_num(*s)
            }
        })
        .collect();
    out.item(t, "σ learned at step", learned.join(" "));
    if r.num("diverged") > 0.0 {
        out.push(Span::styled("DIVERGED (lower lr)", t.error));
    }
    out
}

fn loss_chart<'a>(ctx: &'a PaneCtx) -> Chart<'a> {
    let (r, t) = (ctx.report, ctx.theme);
    let steps = r.series("step");
    let mut series = vec![];
    if let Some(pin) = ctx.pinned {
        series.push(
            Series::new("pinned loss", pin.series("loss"), t.ghost, t.markers[3])
                .xs(pin.series("step")),
        );
    }
    series.push(Series::new("f(A,B)", r.series("loss"), t.series[0], t.markers[0]).xs(steps));
    series.push(Series::new("f − f*", r.series("gap"), t.series[1], t.markers[1]).xs(steps));
    Chart {
        title: "loss and gap to the optimum (log; ··· f*)".into(),
        series,
        x: Axis::new("step"),
        y: Axis::new("f").log(true),
        fit: None,
        marker_x: None,
        ref_y: vec![r.num("optimum")],
        theme: t,
    }
}

fn sv_chart<'a>(ctx: &'a PaneCtx, names: &'a [String]) -> Chart<'a> {
    let (r, t) = (ctx.report, ctx.theme);
    let steps = r.series("step");
    let series = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            Series::new(
                format!("σ{} of AB", i + 1),
                r.series(name),
                t.series[i % 4],
                t.markers[i % 4],
            )
            .xs(steps)
        })
        .collect();
    Chart {
        title: "singular values of AB (··· targets σ_i(X))".into(),
        series,
        x: Axis::new("step"),
        y: Axis::new("σ"),
        fit: None,
        marker_x: None,
        ref_y: r.list("target_sv").to_vec(),
        theme: t,
    }
}

fn balance_chart<'a>(ctx: &'a PaneCtx) -> Chart<'a> {
    let (r, t) = (ctx.report, ctx.theme);
    Chart {
        title: "balancedness ‖AᵀA − BBᵀ‖_F (log)".into(),
        series: vec![
            Series::new("", r.series("balance"), t.series[2], t.markers[2]).xs(r.series("step")),
        ],
        x: Axis::new("step"),
        y: Axis::new("‖AᵀA−BBᵀ‖").log(true),
        fit: None,
        marker_x: None,
        ref_y: vec![],
        theme: t,
    }
}

fn segment_chart<'a>(ctx: &'a PaneCtx) -> Chart<'a> {
    let (r, t) = (ctx.report, ctx.theme);
    let thetas = r.series("segment_theta");
    Chart {
        title: "f on (1−θ)(A,B) + θ(−A,−B): not convex".into(),
        series: vec![Series::new("", r.series("segment"), t.series[3], t.markers[0]).xs(thetas)],
        x: Axis::new("θ"),
        y: Axis::new("f"),
        fit: None,
        marker_x: Some((0.5, "(0,0): f=‖X‖²".into())),
        ref_y: vec![],
        theme: t,
    }
}

fn landscape<'a>(ctx: &'a PaneCtx) -> Heatmap<'a> {
    let (r, t) = (ctx.report, ctx.theme);
    let data = r.series("landscape_log10");
    let n = r.num("landscape_n").max(0.0) as usize;
    let extent = r.num("landscape_extent");
    let x = r.num("x");
    let unit = |v: f64| (v + extent) / (2.0 * extent);
    let mut overlay = Vec::new();
    // The hyperbola of minima ab = x.
    for (a, b) in r.series("minima_a").iter().zip(r.series("minima_b")) {
        overlay.push(Mark {
            x: unit(*a),
            y: unit(*b),
            ch: '·',
            style: t.text,
        });
    }
    for (a, b) in r.series("path_a").iter().zip(r.series("path_b")) {
        overlay.push(Mark {
            x: unit(*a),
            y: unit(*b),
            ch: '•',
            style: t.accent,
        });
    }
    if let (Some(a), Some(b)) = (r.series("path_a").last(), r.series("path_b").last()) {
        overlay.push(Mark {
            x: unit(*a),
            y: unit(*b),
            ch: '◉',
            style: t.error,
        });
    }
    let e = short_num(extent);
    Heatmap {
        title: format!(
            "log10 (x − ab)², x = {}: path • and minima ab = x ·",
            short_num(x)
        ),
        data,
        cols: n,
        rows: n,
        x_labels: (format!("a=-{e}"), e.clone(), "a".into()),
        y_labels: (format!("b=-{e}"), format!("b={e}")),
        // Six decades below the top: the valley of minima is −∞ on the grid and would
        // otherwise squash every other level into one colour.
        scale: match ColorScale::sequential_for(data) {
            ColorScale::Sequential { hi, lo } => ColorScale::Sequential {
                lo: lo.max(hi - 6.0),
                hi,
            },
            other => other,
        },
        legend: "log10 f".into(),
        marked_col: None,
        overlay,
        theme: t,
    }
}

fn render(ctx: &PaneCtx, area: Rect, buf: &mut Buffer) {
    let r = ctx.report;
    let body = readouts(ctx).render_above(area, buf);
    let rank = r.list("target_sv").len();
    let names: Vec<String> = (1..=rank).map(|i| format!("sv.{i}")).collect();
    let draw = |i: usize, area: Rect, buf: &mut Buffer| match i {
        0 => loss_chart(ctx).render(area, buf),
        1 => sv_chart(ctx, &names).render(area, buf),
        2 => balance_chart(ctx).render(area, buf),
        3 => segment_chart(ctx).render(area, buf),
        _ => landscape(ctx).render(area, buf),
    };
    if let Some(i) = ctx.zoom {
        draw(i, body, buf);
        return;
    }
    let [upper, lower] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body);
    if has_landscape(r) {
        let up = Layout::horizontal([Constraint::Ratio(1, 3); 3]).split(upper);
        let low = Layout::horizontal([Constraint::Ratio(1, 2); 2]).split(lower);
        for (i, a) in up.iter().chain(low.iter()).enumerate() {
            draw(i, *a, buf);
        }
    } else {
        let up = Layout::horizontal([Constraint::Ratio(1, 2); 2]).split(upper);
        let low = Layout::horizontal([Constraint::Ratio(1, 2); 2]).split(lower);
        for (i, a) in up.iter().chain(low.iter()).enumerate() {
            draw(i, *a, buf);
        }
    }
}
