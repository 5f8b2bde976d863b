//! `gradscope bench`: speed measured, not asserted. `render` times a full 160×48 frame of
//! every pane into an off-screen buffer (median and p99); `labs` measures steps/s of every
//! lab at its defaults (median of several runs); `resnet` measures ResNet-18 training and
//! evaluation images/s at width 16 and 64, batch 32. A lab's run is cut at [`BUDGET`] of
//! wall time (resnet's default run takes tens of seconds): a rate needs no more, and a pane
//! renders the same amount of data part-way through.

use crate::cli::{BenchArgs, BenchTarget, ListFormat};
use crate::labs::LabId;
use crate::nn::bench::{ResnetThroughput, bench_resnet};
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

/// ResNet-18 throughput at width 16 and 64, batch 32 (DESIGN §8).
pub fn resnet_bench(reps: usize) -> Vec<ResnetThroughput> {
    [16, 64]
        .into_iter()
        .map(|width| bench_resnet(width, 32, reps.max(1)))
        .collect()
}

pub fn bench(args: BenchArgs) -> Result<()> {
    let want = |t: BenchTarget| args.target.is_none_or(|x| x == t);
    let reps = |default: usize| args.reps.unwrap_or(default).max(1);
    let render = want(BenchTarget::Render).then(|| render_bench(160, 48, reps(200)));
    let speeds = want(BenchTarget::Labs).then(|| labs_bench(reps(5)));
    let resnet = want(BenchTarget::Resnet).then(|| resnet_bench(reps(5)));
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
            s
        }
    };
    crate::io::emit(None, text.as_bytes())
}
