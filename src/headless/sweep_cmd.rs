//! `gradscope sweep`: one summary metric at many values of one parameter, points run in
//! parallel, optionally one shard of the points for a cluster's array job.

use crate::cli::{Format, Setup, SweepAction, SweepArgs, SweepCmd};
use crate::error::UsageError;
use crate::fmt::fmt_num;
use crate::io::{ProgressLine, emit};
use crate::sweep::{Grid, Shard, SweepPlan, SweepPoint};
use crate::tui::model::SweepView;
use crate::tui::theme::ThemeName;
use anyhow::Result;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

/// Serialise finished points in the requested format.
pub fn render(
    plan: &SweepPlan,
    points: &[SweepPoint],
    format: Format,
    shard: Shard,
) -> Result<Vec<u8>> {
    let axis2 = plan.axis2();
    let value2 = |p: &SweepPoint| axis2.get(plan.coords(p.index).1).copied();
    let param2 = plan.second.as_ref().map(|(p, _)| p.as_str());
    Ok(match format {
        Format::Json => super::sweep_json::document(plan, points, shard),
        Format::Csv => crate::sweep::csv(plan, points).map_err(anyhow::Error::msg)?,
        Format::Table => {
            let mut s = format!("{:>6} {:>14}", "index", plan.param);
            if let Some(p2) = param2 {
                s += &format!(" {p2:>14}");
            }
            s += &format!(" {:>16}", plan.metric);
            if plan.seeds > 1 {
                s += &format!(" {:>12} {:>12}", "q10", "q90");
            }
            s += "\n";
            for p in points {
                s += &format!("{:>6} {:>14}", p.index, fmt_num(p.value));
                if let Some(v2) = value2(p) {
                    s += &format!(" {:>14}", fmt_num(v2));
                }
                s += &format!(" {:>16}", fmt_num(p.metric));
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
    let total = shard.len(plan.total()) as u64;
    let progress = Mutex::new((
        ProgressLine::new(&format!("sweep {}", plan.lab().name())),
        0u64,
    ));
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

/// `gradscope sweep …` or `gradscope sweep merge …`.
pub fn command(cmd: SweepCmd) -> Result<()> {
    match (cmd.action, cmd.args) {
        (Some(SweepAction::Merge(m)), _) => {
            let out: Vec<(&str, &std::path::Path, bool)> = m
                .out
                .iter()
                .map(|p| ("--out", p.as_path(), false))
                .collect();
            let inputs: Vec<&std::path::Path> = m.shards.iter().map(|p| p.as_path()).collect();
            crate::io::check_outputs(&out, &inputs)?;
            emit(m.out.as_deref(), &super::sweep_json::merge(&m.shards)?)
        }
        (None, Some(args)) => sweep(args, &cmd.setup),
        (None, None) => {
            crate::error::usage_bail!(
                "sweep needs a lab and --param … (see gradscope sweep --help)"
            )
        }
    }
}

pub fn sweep(args: SweepArgs, setup: &Setup) -> Result<()> {
    let base = super::spec_from_args(
        &args.lab,
        setup,
        args.steps,
        &[
            ("--out", args.out.as_deref()),
            ("--plot", args.plot.as_deref()),
        ],
    )?;
    let shard = Shard::parse(args.shard.as_deref()).map_err(UsageError::from)?;
    let jobs = super::jobs(args.jobs)?;
    let mut plan = match (&args.map, &args.param, args.from, args.to, args.points) {
        (Some(name), ..) => {
            let map = named_map(base.lab, name)?;
            let mut plan = SweepPlan::of_map(base, map, args.points).map_err(UsageError::from)?;
            if let Some(metric) = &args.metric {
                plan.metric = metric.clone();
            }
            plan
        }
        (None, Some(param), Some(from), Some(to), Some(points)) => {
            let grid = Grid::new(from, to, points, args.log).map_err(UsageError::from)?;
            let metric = args.metric.as_deref().unwrap_or_default();
            SweepPlan::new(base, param, grid, metric)
        }
        _ => crate::error::usage_bail!(
            "sweep needs --map NAME, or --param, --from, --to and --points"
        ),
    };
    if let (Some(param2), Some(from2), Some(to2), Some(points2)) =
        (&args.param2, args.from2, args.to2, args.points2)
    {
        let grid2 = Grid::new(from2, to2, points2, args.log2)
            .map_err(|e| UsageError::new(second_flags(&e.0)))?;
        plan = plan.with_second(param2, grid2).map_err(UsageError::from)?;
    }
    if let Some(n) = args.seeds {
        plan = plan.with_seeds(n).map_err(UsageError::from)?;
    }
    plan.validate().map_err(UsageError::from)?;
    let points = execute(&plan, shard, jobs)?;
    check_finite(&plan, &points)?;
    let skipped = shard.len(plan.total()) - points.len();
    if skipped > 0 {
        eprintln!(
            "note: {skipped} of {} points skipped: not a valid run with the other values",
            shard.len(plan.total())
        );
    }
    if let Some(plot) = &args.plot {
        let svg = plot_svg(&plan, &points)?;
        crate::io::write_atomic(plot, svg.as_bytes())?;
    }
    emit(
        args.out.as_deref(),
        &render(&plan, &points, args.format, shard)?,
    )
}

/// The lab's map called `name`, or a one-line error listing its maps.
fn named_map(lab: crate::labs::LabId, name: &str) -> Result<&'static crate::labs::MapPreset> {
    let maps = lab.descriptor().maps;
    if let Some(map) = maps.iter().find(|m| m.name == name) {
        return Ok(map);
    }
    let names: Vec<&str> = maps.iter().map(|m| m.name).collect();
    let accepted = if names.is_empty() {
        "it has none".to_string()
    } else {
        format!("accepted: {}", names.join(", "))
    };
    Err(UsageError::new(format!(
        "unknown map '{name}' for lab {}; {accepted}",
        lab.name()
    ))
    .into())
}

/// A grid error about `--from`, `--to`, `--points` or `--log`, said of the second axis.
fn second_flags(message: &str) -> String {
    ["--from", "--to", "--points", "--log"]
        .iter()
        .fold(message.to_string(), |m, f| m.replace(f, &format!("{f}2")))
}

/// The sweep's figure, drawn as the TUI's sweep view draws it (a curve, or a map).
fn plot_svg(plan: &SweepPlan, points: &[SweepPoint]) -> Result<String> {
    let mut state = format!("{} points", points.len());
    let skipped = plan.total() - points.len();
    if plan.second.is_some() && skipped > 0 {
        state += &format!(", {skipped} skipped");
    }
    if plan.seeds > 1 {
        state += &format!(", median and 10–90% of {} seeds", plan.seeds);
    }
    let view = SweepView::finished(plan.clone(), points.to_vec());
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
