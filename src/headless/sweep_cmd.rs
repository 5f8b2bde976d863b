//! `gradscope sweep`: one summary metric at many values of one parameter, points run in
//! parallel, optionally one shard of the points for a cluster's array job.

use crate::cli::{Format, SweepArgs};
use crate::error::UsageError;
use crate::fmt::csv_num;
use crate::io::{Progress, emit};
use crate::labs::LabId;
use crate::params::Value;
use crate::params::parse_assignments;
use crate::sweep::{SweepPlan, SweepPoint, default_jobs, grid, shard_indices};
use anyhow::Result;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

fn render(
    plan: &SweepPlan,
    params: &BTreeMap<String, Value>,
    points: &[SweepPoint],
    format: Format,
) -> Result<Vec<u8>> {
    Ok(match format {
        Format::Json => {
            let pts: Vec<_> = points
                .iter()
                .map(|p| json!({"index": p.index, "value": p.value, "metric": p.metric}))
                .collect();
            let doc = json!({
                "lab": plan.lab.name(),
                "param": plan.param,
                "metric": plan.metric,
                "points": pts,
                "params": params,
            });
            (doc.to_string() + "\n").into_bytes()
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(["index", "value", "metric"])?;
            for p in points {
                w.write_record([p.index.to_string(), csv_num(p.value), csv_num(p.metric)])?;
            }
            w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?
        }
        Format::Table => {
            let mut s = format!("{:>6} {:>14} {:>16}\n", "index", plan.param, plan.metric);
            for p in points {
                s += &format!(
                    "{:>6} {:>14} {:>16}\n",
                    p.index,
                    crate::fmt::fmt_num(p.value),
                    crate::fmt::fmt_num(p.metric)
                );
            }
            s.into_bytes()
        }
    })
}

pub fn sweep(args: SweepArgs) -> Result<()> {
    let id = LabId::parse(&args.lab)?;
    let assignments = parse_assignments(&args.sets).map_err(UsageError::from)?;
    let values = grid(args.from, args.to, args.points, args.log).map_err(UsageError::from)?;
    let indices = shard_indices(args.shard.as_deref(), values.len()).map_err(UsageError::from)?;
    let jobs = match args.jobs {
        Some(0) => crate::usage_bail!("--jobs must be at least 1"),
        Some(j) => j,
        None => default_jobs(),
    };
    let plan = SweepPlan {
        lab: id,
        assignments: assignments.clone(),
        values_set: Vec::new(),
        param: args.param.clone(),
        values,
        metric: args.metric.clone(),
        steps: args.steps.or(id.sweep_steps()),
        seed: args.seed,
    };
    plan.validate().map_err(UsageError::from)?;
    let params = crate::labs::build(id, &assignments, args.seed)
        .map_err(UsageError::from)?
        .params()
        .to_map();

    let progress = Mutex::new((Progress::new(&format!("sweep {}", id.name())), 0u64));
    let total = indices.len() as u64;
    let cancel = AtomicBool::new(false);
    let points = plan
        .run(&indices, jobs, &cancel, |_| {
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
    emit(
        args.out.as_deref(),
        &render(&plan, &params, &points, args.format)?,
    )
}
