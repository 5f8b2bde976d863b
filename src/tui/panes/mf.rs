//! The mf pane: loss and gap to the Eckart–Young optimum (log), the singular values of AB
//! arriving at their targets, balancedness, the non-convexity segment from (A, B) through
//! (0, 0) to (−A, −B), and for the 1×1 rank-1 problem the landscape (x − ab)² with the
//! descent path and the hyperbola of minima ab = x.

use super::{PaneCtx, PaneDescriptor, Readouts};
use crate::fmt::fmt_num;
use crate::fmt::short_num;
use crate::report::Report;
use crate::tui::widgets::Figure;
use crate::tui::widgets::chart::{Axis, Chart, Series};
use crate::tui::widgets::heatmap::{ColorScale, Heatmap, Mark};
use ratatui::text::Span;

pub static PANE: PaneDescriptor = PaneDescriptor {
    readouts,
    figures,
    // Two rows: three over two with the landscape, two over two without.
    layout: |n, area| {
        if n > 4 {
            super::grid(area, &[(50, 3), (50, n - 3)])
        } else {
            super::grid(area, &[(50, 2), (50, n.saturating_sub(2))])
        }
    },
    views: None,
};

/// Loss, singular values, balance, segment, and (1×1 only) the landscape.
fn figures<'a>(ctx: &'a PaneCtx<'a>) -> Vec<Figure<'a>> {
    let mut out = vec![
        Figure::Chart(loss_chart(ctx)),
        Figure::Chart(sv_chart(ctx)),
        Figure::Chart(balance_chart(ctx)),
        Figure::Chart(segment_chart(ctx)),
    ];
    if has_landscape(ctx.report) {
        out.push(Figure::Heatmap(landscape(ctx)));
    }
    out
}

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
    // relative_gap is relative to ‖X‖² when the optimum is 0 (an exactly low-rank X).
    let exact = r.num("optimum") <= 1e-12 * r.num("x_norm2");
    let gap_label = if exact {
        "(f−f*)/‖X‖²"
    } else {
        "(f−f*)/f*"
    };
    out.item(t, gap_label, short_num(r.num("relative_gap")));
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
    let look = |i| t.series_look(i);
    let mut series = vec![];
    if let Some(pin) = ctx.pinned {
        let (style, marker) = t.ghost_look();
        series.push(
            Series::new("pinned loss", pin.series("loss"), style, marker).xs(pin.series("step")),
        );
    }
    series.push(Series::new("f(A,B)", r.series("loss"), look(0).0, look(0).1).xs(steps));
    series.push(Series::new("f − f*", r.series("gap"), look(1).0, look(1).1).xs(steps));
    Chart::new("loss and gap to the optimum (log)", t)
        .short("loss, gap (log)")
        .series(series)
        .x(Axis::steps())
        .y(Axis::new("f").log(true))
        .refs(vec![r.num("optimum")], "f*")
}

fn sv_chart<'a>(ctx: &'a PaneCtx) -> Chart<'a> {
    let (r, t) = (ctx.report, ctx.theme);
    let steps = r.series("step");
    let series = (0..r.list("target_sv").len())
        .map(|i| {
            let (style, marker) = t.series_look(i);
            let ys = r.series(&format!("sv.{}", i + 1));
            Series::new(format!("σ{}", i + 1), ys, style, marker).xs(steps)
        })
        .collect();
    Chart::new("singular values of AB against their targets", t)
        .short("σ_i(AB) vs targets")
        .series(series)
        .x(Axis::steps())
        .y(Axis::new("σ"))
        .refs(r.list("target_sv").to_vec(), "σ_i(X)")
}

fn balance_chart<'a>(ctx: &'a PaneCtx) -> Chart<'a> {
    let (r, t) = (ctx.report, ctx.theme);
    let (style, marker) = t.series_look(2);
    Chart::new("balancedness ‖AᵀA − BBᵀ‖_F (log)", t)
        .short("balance (log)")
        .series(vec![
            Series::new("", r.series("balance"), style, marker).xs(r.series("step")),
        ])
        .x(Axis::steps())
        .y(Axis::new("‖AᵀA−BBᵀ‖").log(true))
}

fn segment_chart<'a>(ctx: &'a PaneCtx) -> Chart<'a> {
    let (r, t) = (ctx.report, ctx.theme);
    let thetas = r.series("segment_theta");
    let (style, marker) = t.series_look(3);
    Chart::new("f on (1−θ)(A,B) + θ(−A,−B): not convex", t)
        .short("f from (A,B) to (−A,−B)")
        .series(vec![
            Series::new("", r.series("segment"), style, marker).xs(thetas),
        ])
        .x(Axis::new("θ"))
        .y(Axis::new("f"))
        .marker_x(0.5, "(0,0): f=‖X‖²")
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
        short: "log10 (x−ab)²: path •, minima ·".into(),
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
        pending: &[],
        theme: t,
    }
}
