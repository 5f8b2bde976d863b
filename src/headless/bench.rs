//! `gradscope bench`: speed measured, not asserted. `render` times a full 160×48 frame of
//! every pane into an off-screen buffer (median and p99); `labs` measures steps/s of every
//! lab at its defaults (median of several runs); `resnet` measures ResNet-18 training and
//! evaluation images/s at width 16 and 64, batch 32, with the CPU model and SIMD level it
//! ran with, and with `--profile` where a step's time goes per layer type and phase. A lab's
//! run is cut at [`BUDGET`] of wall time (resnet's default run takes tens of seconds): a
//! rate needs no more, and a pane renders the same amount of data part-way through.

use crate::cli::{BenchArgs, BenchTarget, ListFormat};
use crate::labs::LabId;
use crate::nn::bench::{
    CpuInfo, ResnetProfile, ResnetThroughput, bench_resnet, bench_resnet_profiled, cpu_info,
};
use crate::nn::profile::LayerTime;
use crate::run::{Quiet, RunSpec, Runner};
use crate::tui::fixture::app_after;
use crate::tui::theme::ThemeName;
use crate::tui::view;
use anyhow::Result;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use serde::Serialize;
use serde_json::json;
use std::time::{Duration, Instant};

/// The most wall time one run of a lab takes in `bench render` and `bench labs`.
pub const BUDGET: Duration = Duration::from_secs(2);

/// A stop condition for [`Runner::advance`]: [`BUDGET`] from now.
fn within_budget() -> impl FnMut() -> bool {
    let deadline = Instant::now() + BUDGET;
    move || Instant::now() >= deadline
}

/// Render timings of one pane.
#[derive(Clone, Debug, Serialize)]
pub struct RenderTiming {
    pub pane: String,
    pub median_ms: f64,
    pub p99_ms: f64,
}

/// Steps per second of one lab.
#[derive(Clone, Debug, Serialize)]
pub struct LabSpeed {
    pub lab: String,
    pub steps: u64,
    pub steps_per_s: f64,
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i]
}

/// Time `reps` full-frame renders of every pane at `width`×`height`.
pub fn render_bench(width: u16, height: u16, reps: usize) -> Vec<RenderTiming> {
    LabId::all()
        .iter()
        .map(|&lab| {
            let mut stop = within_budget();
            let app = app_after(
                RunSpec::new(lab),
                ThemeName::Default,
                width,
                height,
                &mut stop,
            );
            let area = Rect::new(0, 0, width, height);
            let mut times = Vec::with_capacity(reps);
            for _ in 0..reps.max(1) {
                let mut buf = Buffer::empty(area);
                let start = Instant::now();
                view::render(&app, area, &mut buf);
                times.push(start.elapsed().as_secs_f64() * 1e3);
                std::hint::black_box(&buf);
            }
            times.sort_by(f64::total_cmp);
            RenderTiming {
                pane: lab.name().to_string(),
                median_ms: quantile(&times, 0.5),
                p99_ms: quantile(&times, 0.99),
            }
        })
        .collect()
}

/// Steps/s of every lab at default parameters: median over `reps` runs, each to its end or
/// for [`BUDGET`].
pub fn labs_bench(reps: usize) -> Vec<LabSpeed> {
    LabId::all()
        .iter()
        .map(|&lab| {
            let mut rates = Vec::new();
            let mut steps = 0;
            for _ in 0..reps.max(1) {
                let Ok(mut run) = Runner::new(RunSpec::new(lab)) else {
                    continue;
                };
                let start = Instant::now();
                run.advance(u64::MAX, &mut within_budget(), &mut Quiet);
                let secs = start.elapsed().as_secs_f64();
                steps = run.steps();
                rates.push(steps as f64 / secs.max(1e-9));
            }
            rates.sort_by(f64::total_cmp);
            LabSpeed {
                lab: lab.name().to_string(),
                steps,
                steps_per_s: quantile(&rates, 0.5),
            }
        })
        .collect()
}

/// ResNet-18 throughput at width 16 and 64, batch 32.
pub fn resnet_bench(reps: usize) -> Vec<ResnetThroughput> {
    [16, 64]
        .into_iter()
        .map(|width| bench_resnet(width, 32, reps.max(1)))
        .collect()
}

/// [`resnet_bench`] with a profile of each width.
pub fn resnet_bench_profiled(reps: usize) -> (Vec<ResnetThroughput>, Vec<ResnetProfile>) {
    [16, 64]
        .into_iter()
        .map(|width| bench_resnet_profiled(width, 32, reps.max(1)))
        .unzip()
}

/// The coarse bucket of a profile entry: conv forward, backward-data, backward-weight,
/// then one per other layer type.
fn bucket(e: &LayerTime) -> String {
    if e.layer.starts_with("conv") {
        format!("conv {}", e.phase.name())
    } else {
        e.layer.clone()
    }
}

/// Entries summed by [`bucket`], largest first, with the unaccounted glue as `other`.
fn buckets(entries: &[LayerTime], step_s: f64) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = Vec::new();
    for e in entries {
        let b = bucket(e);
        match out.iter_mut().find(|(k, _)| *k == b) {
            Some((_, s)) => *s += e.seconds,
            None => out.push((b, e.seconds)),
        }
    }
    let accounted: f64 = out.iter().map(|(_, s)| s).sum();
    out.push((
        "other (glue, allocation)".into(),
        (step_s - accounted).max(0.0),
    ));
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

fn profile_json(p: &ResnetProfile) -> serde_json::Value {
    let rows = |entries: &[LayerTime], step_s: f64| {
        let detail: Vec<_> = entries
            .iter()
            .map(|e| json!({"layer": e.layer, "phase": e.phase.name(), "ms": e.seconds * 1e3}))
            .collect();
        let summary: Vec<_> = buckets(entries, step_s)
            .into_iter()
            .map(|(k, s)| json!({"part": k, "ms": s * 1e3, "share": s / step_s}))
            .collect();
        json!({"step_ms": step_s * 1e3, "summary": summary, "detail": detail})
    };
    json!({
        "width": p.width,
        "batch": p.batch,
        "train": rows(&p.train, p.train_step_s),
        "eval": rows(&p.eval, p.eval_step_s),
    })
}

fn profile_table(p: &ResnetProfile) -> String {
    let mut s = format!(
        "profile, width {}, batch {}: train step {:.1} ms, eval step {:.1} ms\n",
        p.width,
        p.batch,
        p.train_step_s * 1e3,
        p.eval_step_s * 1e3
    );
    for (mode, entries, step_s) in [
        ("train", &p.train, p.train_step_s),
        ("eval", &p.eval, p.eval_step_s),
    ] {
        s += &format!("  {mode}: by part\n");
        for (k, sec) in buckets(entries, step_s) {
            let share = 100.0 * sec / step_s;
            s += &format!("    {k:<28} {:>9.2} ms {share:>5.1} %\n", sec * 1e3);
        }
        s += &format!("  {mode}: by layer type and phase\n");
        let mut sorted: Vec<&LayerTime> = entries.iter().collect();
        sorted.sort_by(|a, b| b.seconds.total_cmp(&a.seconds));
        for e in sorted {
            let share = 100.0 * e.seconds / step_s;
            s += &format!(
                "    {:<24} {:<16} {:>9.2} ms {share:>5.1} %\n",
                e.layer,
                e.phase.name(),
                e.seconds * 1e3
            );
        }
    }
    s
}

fn cpu_line(c: &CpuInfo) -> String {
    format!("cpu: {}, {}, {} threads\n", c.model, c.simd, c.threads)
}

/// The most repetitions `--reps` may ask for (a bound stated in the README): a typo must not
/// ask for a measurement that never ends or a buffer that cannot be allocated.
pub const MAX_REPS: usize = 100_000;

pub fn bench(args: BenchArgs) -> Result<()> {
    if let Some(n) = args.reps
        && !(1..=MAX_REPS).contains(&n)
    {
        crate::error::usage_bail!("--reps must be between 1 and {MAX_REPS}, got {n}");
    }
    let want = |t: BenchTarget| args.target.is_none_or(|x| x == t);
    let reps = |default: usize| args.reps.unwrap_or(default).max(1);
    let render = want(BenchTarget::Render).then(|| render_bench(160, 48, reps(200)));
    let speeds = want(BenchTarget::Labs).then(|| labs_bench(reps(5)));
    let (resnet, profiles) = match want(BenchTarget::Resnet) {
        false => (None, None),
        true if args.profile => {
            let (r, p) = resnet_bench_profiled(reps(5));
            (Some(r), Some(p))
        }
        true => (Some(resnet_bench(reps(5))), None),
    };
    let cpu = cpu_info();
    let text = match args.format {
        ListFormat::Json => {
            let mut doc = json!({});
            if let Some(r) = &render {
                doc["render"] = json!(r);
            }
            if let Some(s) = &speeds {
                doc["labs"] = json!(s);
            }
            if let Some(r) = &resnet {
                doc["resnet"] = json!(r);
                doc["cpu"] = json!(cpu);
            }
            if let Some(p) = &profiles {
                doc["profile"] = p.iter().map(profile_json).collect();
            }
            doc.to_string() + "\n"
        }
        ListFormat::Table => {
            let mut s = String::new();
            if let Some(r) = &render {
                s += &format!("render 160×48, {} frames\n", reps(200));
                s += &format!("  {:<10} {:>10} {:>10}\n", "pane", "median ms", "p99 ms");
                for t in r {
                    s += &format!(
                        "  {:<10} {:>10.3} {:>10.3}\n",
                        t.pane, t.median_ms, t.p99_ms
                    );
                }
            }
            if let Some(l) = &speeds {
                s += "labs at default parameters\n";
                s += &format!("  {:<10} {:>8} {:>12}\n", "lab", "steps", "steps/s");
                for t in l {
                    s += &format!("  {:<10} {:>8} {:>12.1}\n", t.lab, t.steps, t.steps_per_s);
                }
            }
            if let Some(rows) = &resnet {
                s += &cpu_line(&cpu);
                s += &format!(
                    "resnet-18, cifar stem, 32×32, median of {} steps\n",
                    reps(5)
                );
                s += &format!(
                    "  {:<6} {:>6} {:>12} {:>12}\n",
                    "width", "batch", "train img/s", "eval img/s"
                );
                for t in rows {
                    s += &format!(
                        "  {:<6} {:>6} {:>12.1} {:>12.1}\n",
                        t.width, t.batch, t.train_images_per_s, t.eval_images_per_s
                    );
                }
            }
            for p in profiles.iter().flatten() {
                s += &profile_table(p);
            }
            s
        }
    };
    crate::io::emit(None, text.as_bytes())
}
