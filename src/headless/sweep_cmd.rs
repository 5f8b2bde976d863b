//! `gradscope sweep`: one summary metric at many values of one parameter, points run in
//! parallel, optionally one shard of the points for a cluster's array job.

use crate::cli::{Format, SweepArgs};
use crate::error::UsageError;
use crate::fmt::{csv_num, fmt_num};
use crate::io::{Progress, emit};
use crate::sweep::{Grid, Shard, SweepPlan, SweepPoint};
use crate::tui::model::SweepView;
use crate::tui::theme::ThemeName;
use anyhow::Result;
use serde_json::json;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

/// Serialise finished points in the requested format.
pub fn render(plan: &SweepPlan, points: &[SweepPoint], format: Format) -> Result<Vec<u8>> {
    Ok(match format {
        Format::Json => {
            let pts: Vec<_> = points
                .iter()
                .map(|p| {
                    let mut o = json!({"index": p.index, "value": p.value, "metric": p.metric});
                    if let Some((q10, q90)) = p.spread {
                        o["median"] = json!(p.metric);
                        o["q10"] = json!(q10);
                        o["q90"] = json!(q90);
                    }
                    o
                })
                .collect();
            let mut doc = json!({
                "lab": plan.lab().name(),
                "param": plan.param,
                "metric": plan.metric,
                "points": pts,
                "params": plan.base.params.to_map(),
            });
            if plan.seeds > 1 {
                let seeds: Vec<u64> = (0..plan.seeds as u64).map(|i| plan.base.seed + i).collect();
                doc["seeds"] = json!(seeds);
            }
            (doc.to_string() + "\n").into_bytes()
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let seeds = plan.seeds > 1;
            // Columns named after what they hold, so a CSV read alone says what was swept.
            let mut header = vec!["index", plan.param.as_str(), plan.metric.as_str()];
            if seeds {
                header.extend(["q10", "q90"]);
            }
            w.write_record(&header)?;
            for p in points {
                let mut rec = vec![p.index.to_string(), csv_num(p.value), csv_num(p.metric)];
                if let Some((q10, q90)) = p.spread {
                    rec.extend([csv_num(q10), csv_num(q90)]);
                }
                w.write_record(&rec)?;
            }
            w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?
        }
        Format::Table => {
            let mut s = format!("{:>6} {:>14} {:>16}", "index", plan.param, plan.metric);
            if plan.seeds > 1 {
                s += &format!(" {:>12} {:>12}", "q10", "q90");
            }
            s += "\n";
            for p in points {
                s += &format!(
                    "{:>6} {:>14} {:>16}",
                    p.index,
                    fmt_num(p.value),
                    fmt_num(p.metric)
                );
                if let Some((q10, q90)) = p.spread {
                    s += &format!(" {:>12} {:>12}", fmt_num(q10), fmt_num(q90));
                }
                s += "\n";
            }
            s.into_bytes()
        }
    })
}

/// Run the points of one shard with a progress line on stderr when it is a terminal.
pub fn execute(plan: &SweepPlan, shard: Shard, jobs: usize) -> Result<Vec<SweepPoint>> {
    let total = shard.len(plan.grid.points) as u64;
    let progress = Mutex::new((Progress::new(&format!("sweep {}", plan.lab().name())), 0u64));
    let cancel = AtomicBool::new(false);
    let points = plan
        .run(shard, jobs, &cancel, |_| {
            if let Ok(mut p) = progress.lock() {
                p.1 += 1;
                let done = p.1;
                p.0.update(done, total);
            }
        })
        .map_err(UsageError::from)?;
    if let Ok(mut p) = progress.lock() {
        p.0.finish();
    }
    Ok(points)
}

pub fn sweep(args: SweepArgs) -> Result<()> {
    let base = super::spec_from_args(
        &args.lab,
        &args.setup,
        args.steps,
        &[
            ("--out", args.out.as_deref()),
            ("--plot", args.plot.as_deref()),
        ],
    )?;
    let grid = Grid::new(args.from, args.to, args.points, args.log).map_err(UsageError::from)?;
    let shard = Shard::parse(args.shard.as_deref()).map_err(UsageError::from)?;
    let jobs = super::jobs(args.jobs)?;
    let mut plan = SweepPlan::new(base, &args.param, grid, &args.metric);
    if let Some(n) = args.seeds {
        plan = plan.with_seeds(n).map_err(UsageError::from)?;
    }
    plan.validate().map_err(UsageError::from)?;
    let points = execute(&plan, shard, jobs)?;
    check_finite(&plan, &points)?;
    if let Some(plot) = &args.plot {
        crate::io::write_atomic(plot, plot_svg(&plan, &points)?.as_bytes())?;
    }
    emit(args.out.as_deref(), &render(&plan, &points, args.format)?)
}

/// The sweep's figure, drawn as the TUI's sweep view draws it.
fn plot_svg(plan: &SweepPlan, points: &[SweepPoint]) -> Result<String> {
    let view = SweepView {
        id: 0,
        lab: plan.lab(),
        param: plan.param.clone(),
        metric: plan.metric.clone(),
        from: plan.grid.from,
        to: plan.grid.to,
        total: plan.grid.points,
        log_x: plan.grid.log,
        points: points.to_vec(),
        running: false,
        error: None,
    };
    let mut state = format!("{} points", points.len());
    if plan.seeds > 1 {
        state += &format!(", median and 10–90% of {} seeds", plan.seeds);
    }
    crate::tui::svg::sweep_svg(&view, &state, ThemeName::Default).map_err(anyhow::Error::msg)
}

/// A metric that is not finite at any point is an error (a column of `nan` teaches nothing);
/// one that is not finite at some points is written, with a warning that says where.
fn check_finite(plan: &SweepPlan, points: &[SweepPoint]) -> Result<()> {
    let bad: Vec<&SweepPoint> = points.iter().filter(|p| !p.metric.is_finite()).collect();
    if bad.is_empty() {
        return Ok(());
    }
    let why = "diverged runs, or a metric their steps do not reach: try more --steps";
    if bad.len() == points.len() {
        return Err(UsageError::new(format!(
            "sweep: {} is not finite at any of the {} points ({why})",
            plan.metric,
            points.len()
        ))
        .into());
    }
    let at: Vec<String> = bad.iter().take(5).map(|p| fmt_num(p.value)).collect();
    let more = if bad.len() > 5 { ", …" } else { "" };
    eprintln!(
        "warning: {} is not finite at {} of {} points ({} = {}{more}): {why}",
        plan.metric,
        bad.len(),
        points.len(),
        plan.param,
        at.join(", ")
    );
    Ok(())
}
