//! `gradscope run LAB --seeds N`: one set of parameters over N seeds, printed as every run's
//! summary, the quantiles of every numeric summary key and the lab's lesson counts.

use crate::cli::Format;
use crate::error::UsageError;
use crate::fmt::{csv_num, fmt_num};
use crate::io::ProgressLine;
use crate::report::Report;
use crate::seeds::{LessonCount, Quantiles, SeedPlan, lesson_counts, summary_quantiles};
use anyhow::Result;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

/// The columns of a quantile row, in order.
const COLUMNS: [&str; 9] = [
    "n", "min", "q10", "q25", "median", "q75", "q90", "max", "mean",
];

fn row(q: &Quantiles) -> [f64; 9] {
    [
        q.n as f64, q.min, q.q10, q.q25, q.median, q.q75, q.q90, q.max, q.mean,
    ]
}

/// What `run --seeds` prints.
pub struct SeedsResult {
    pub plan: SeedPlan,
    pub reports: Vec<Report>,
    pub quantiles: BTreeMap<String, Quantiles>,
    pub lessons: Vec<LessonCount>,
}

/// Run every seed of the plan on `jobs` threads, with a progress line on a terminal.
pub fn execute(plan: SeedPlan, jobs: usize) -> Result<SeedsResult> {
    let total = plan.count as u64;
    let progress = Mutex::new((
        ProgressLine::new(&format!("{} seeds", plan.base.lab.name())),
        0u64,
    ));
    let reports = plan
        .run(jobs, &AtomicBool::new(false), |_, _| {
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
    Ok(SeedsResult {
        quantiles: summary_quantiles(&reports),
        lessons: lesson_counts(plan.base.lab.descriptor().lessons, &reports),
        plan,
        reports,
    })
}

/// One warning line naming the seeds whose run diverged (a result, not a failure).
pub fn warn_if_diverged(result: &SeedsResult) {
    let diverged: Vec<String> = result
        .reports
        .iter()
        .filter(|r| {
            r.summary
                .keys()
                .any(|k| (k == "diverged" || k.starts_with("diverged.")) && r.num(k) == 1.0)
        })
        .map(|r| r.seed.to_string())
        .collect();
    if !diverged.is_empty() {
        eprintln!(
            "warning: {} of {} runs diverged (seeds {}): their values became non-finite",
            diverged.len(),
            result.reports.len(),
            crate::fmt::clip_text(&diverged.join(", "), 80)
        );
    }
}

/// Serialise the result: JSON (every run's summary, the quantiles, the lessons), CSV (one
/// row of quantiles per key) or a table (the same, aligned, then the lessons).
pub fn render(result: &SeedsResult, format: Format) -> Result<Vec<u8>> {
    let plan = &result.plan;
    Ok(match format {
        Format::Json => {
            let runs: Vec<_> = result
                .reports
                .iter()
                .map(|r| json!({"seed": r.seed, "steps": r.steps, "summary": r.summary}))
                .collect();
            let doc = json!({
                "lab": plan.base.lab.name(),
                "params": plan.base.params.to_map(),
                "seeds": plan.seeds(),
                "runs": runs,
                "quantiles": result.quantiles,
                "lessons": result.lessons,
            });
            (doc.to_string() + "\n").into_bytes()
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let mut header = vec!["key"];
            header.extend(COLUMNS);
            w.write_record(&header)?;
            for (key, q) in &result.quantiles {
                let mut rec = vec![key.clone()];
                rec.extend(row(q).iter().map(|x| csv_num(*x)));
                w.write_record(&rec)?;
            }
            w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?
        }
        Format::Table => {
            let seeds = plan.seeds();
            let mut s = format!(
                "lab {}  seeds {}…{} ({} runs)\n\n{:<28}",
                plan.base.lab.name(),
                seeds.first().copied().unwrap_or(0),
                seeds.last().copied().unwrap_or(0),
                seeds.len(),
                "key"
            );
            for c in COLUMNS {
                s += &format!(" {c:>10}");
            }
            s += "\n";
            for (key, q) in &result.quantiles {
                s += &format!("{key:<28}");
                for x in row(q) {
                    s += &format!(" {:>10}", fmt_num(x));
                }
                s += "\n";
            }
            if !result.lessons.is_empty() {
                s += "\nlessons (seeds that show it)\n";
                for l in &result.lessons {
                    s += &format!("  {}\n", l.text());
                }
            }
            s.into_bytes()
        }
    })
}
