//! Seeds as a dimension: one set of parameters run over seeds `seed … seed+N−1`, and what a
//! lesson needs from the runs — quantiles of every numeric summary key, 10–90% bands of every
//! series, and the lab's lesson counts ("LSTM ≥ 95%: 19/20 seeds"). A lesson is a claim over
//! seeds, never about seed 0. `run --seeds`, `sweep --seeds`, the TUI's `S` key and the
//! preset tests all go through [`SeedPlan`].

use crate::labs::{LabId, Lesson};
use crate::parallel::run_indexed;
use crate::params::ParamError;
use crate::report::{Report, Summary};
use crate::run::{Quiet, RunSpec, Runner};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;

/// The most seeds one command may run (a bound stated in the README).
pub const MAX_SEEDS: usize = 10_000;

/// How many seeds the TUI's `S` key runs.
pub const TUI_SEEDS: usize = 20;

/// One set of parameters over `count` consecutive seeds starting at the base spec's seed.
#[derive(Clone, Debug)]
pub struct SeedPlan {
    pub base: RunSpec,
    pub count: usize,
}

impl SeedPlan {
    /// Checks the count (1 ..= [`MAX_SEEDS`]) and that the last seed fits in a u64.
    pub fn new(base: RunSpec, count: usize) -> Result<SeedPlan, ParamError> {
        if count == 0 || count > MAX_SEEDS {
            return Err(ParamError(format!(
                "--seeds must be between 1 and {MAX_SEEDS}, got {count}"
            )));
        }
        if base.seed.checked_add(count as u64 - 1).is_none() {
            return Err(ParamError(format!(
                "--seed {} with --seeds {count} runs past the largest seed {}",
                base.seed,
                u64::MAX
            )));
        }
        Ok(SeedPlan { base, count })
    }

    /// The i-th seed.
    pub fn seed(&self, i: usize) -> u64 {
        self.base.seed + i as u64
    }

    /// Every seed, in order.
    pub fn seeds(&self) -> Vec<u64> {
        (0..self.count).map(|i| self.seed(i)).collect()
    }

    /// Run the i-th seed to the end of its run (or until `cancel` is set).
    pub fn run_one(&self, i: usize, cancel: &AtomicBool) -> Result<Report, ParamError> {
        let spec = RunSpec {
            seed: self.seed(i),
            ..self.base.clone()
        };
        let mut runner = Runner::new(spec)?;
        runner.run_to_end(Some(cancel), &mut Quiet);
        Ok(runner.report())
    }

    /// Run every seed on `jobs` threads; `on_run(i, report)` as each finishes. Returns the
    /// reports in seed order.
    pub fn run(
        &self,
        jobs: usize,
        cancel: &AtomicBool,
        on_run: impl Fn(usize, &Report) + Sync,
    ) -> Result<Vec<Report>, ParamError> {
        let out = run_indexed(
            self.count,
            jobs,
            cancel,
            |i| self.run_one(i, cancel),
            on_run,
        )?;
        Ok(out.into_iter().map(|(_, r)| r).collect())
    }
}

/// The distribution of one number over seeds: NaN values (a metric that is undefined for a
/// seed, such as the step a run that never diverged diverged at) are left out and counted
/// apart; infinities are kept.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Quantiles {
    pub min: f64,
    pub q10: f64,
    pub q25: f64,
    pub median: f64,
    pub q75: f64,
    pub q90: f64,
    pub max: f64,
    pub mean: f64,
    /// How many seeds had a value (not NaN).
    pub n: usize,
}

impl Quantiles {
    /// The quantiles of the non-NaN values (linear interpolation between order statistics,
    /// numpy's default); all NaN when there are none.
    pub fn of(values: &[f64]) -> Quantiles {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
        v.sort_by(f64::total_cmp);
        let q = |p: f64| quantile(&v, p);
        Quantiles {
            min: q(0.0),
            q10: q(0.1),
            q25: q(0.25),
            median: q(0.5),
            q75: q(0.75),
            q90: q(0.9),
            max: q(1.0),
            mean: if v.is_empty() {
                f64::NAN
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            },
            n: v.len(),
        }
    }
}

/// The p-quantile of sorted values (NaN when empty).
pub fn quantile(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let (a, b) = (sorted[lo], sorted[hi]);
    // Equal ends (infinities included) need no interpolation: inf − inf would be NaN.
    if a == b {
        a
    } else {
        a + (h - lo as f64) * (b - a)
    }
}

/// A series over seeds, index by index: the median and the 10–90% band.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Band {
    pub q10: Vec<f64>,
    pub median: Vec<f64>,
    pub q90: Vec<f64>,
}

impl Band {
    /// Whether the seeds disagree anywhere (a band worth drawing).
    pub fn varies(&self) -> bool {
        self.q10.iter().zip(&self.q90).any(|(a, b)| {
            a.is_finite() && b.is_finite() && (b - a).abs() > 1e-12 * a.abs().max(b.abs())
        })
    }
}

/// The band of one series over reports of possibly different lengths. At each index the
/// quantiles are over the seeds whose value there is not NaN; where fewer than half of the
/// seeds that reach the index have one (most runs diverged), the index is NaN, so a chart
/// marks it rather than drawing the few survivors as "the median".
fn band(series: &[&[f64]]) -> Band {
    let len = series.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = Band {
        q10: Vec::with_capacity(len),
        median: Vec::with_capacity(len),
        q90: Vec::with_capacity(len),
    };
    let mut column = Vec::with_capacity(series.len());
    for i in 0..len {
        column.clear();
        let reach = series.iter().filter(|s| s.len() > i).count();
        column.extend(
            series
                .iter()
                .filter_map(|s| s.get(i))
                .filter(|x| !x.is_nan()),
        );
        if column.len() * 2 < reach {
            out.q10.push(f64::NAN);
            out.median.push(f64::NAN);
            out.q90.push(f64::NAN);
            continue;
        }
        column.sort_by(f64::total_cmp);
        out.q10.push(quantile(&column, 0.1));
        out.median.push(quantile(&column, 0.5));
        out.q90.push(quantile(&column, 0.9));
    }
    out
}

/// How many seeds pass one of the lab's lessons.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LessonCount {
    pub label: &'static str,
    pub key: &'static str,
    pub passed: usize,
    pub of: usize,
}

impl LessonCount {
    /// `LSTM ≥ 95%: 19/20`.
    pub fn text(&self) -> String {
        format!("{}: {}/{}", self.label, self.passed, self.of)
    }
}

/// Count the seeds that pass each lesson.
pub fn lesson_counts(lessons: &[Lesson], reports: &[Report]) -> Vec<LessonCount> {
    lessons
        .iter()
        .map(|l| LessonCount {
            label: l.label,
            key: l.key,
            passed: reports.iter().filter(|r| (l.pass)(r.num(l.key))).count(),
            of: reports.len(),
        })
        .collect()
}

/// The quantiles of every numeric summary key over the reports.
pub fn summary_quantiles(reports: &[Report]) -> BTreeMap<String, Quantiles> {
    let mut keys: Vec<&str> = reports
        .iter()
        .flat_map(|r| {
            r.summary
                .iter()
                .filter(|(_, v)| matches!(v, Summary::Num(_)))
                .map(|(k, _)| k.as_str())
        })
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys.into_iter()
        .map(|k| {
            let values: Vec<f64> = reports.iter().map(|r| r.num(k)).collect();
            (k.to_string(), Quantiles::of(&values))
        })
        .collect()
}

/// What the seeds of one set of parameters show so far: the TUI's bands and header counts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SeedStats {
    /// The seeds included, ascending.
    pub seeds: Vec<u64>,
    /// How many seeds were asked for.
    pub total: usize,
    pub bands: BTreeMap<String, Band>,
    pub lessons: Vec<LessonCount>,
}

impl SeedStats {
    /// Bands of every series and the lesson counts of `lab` over the reports.
    pub fn of(lab: LabId, reports: &[Report], total: usize) -> SeedStats {
        let mut names: Vec<&str> = reports
            .iter()
            .flat_map(|r| r.series.keys().map(String::as_str))
            .collect();
        names.sort_unstable();
        names.dedup();
        let bands = names
            .into_iter()
            .map(|name| {
                let series: Vec<&[f64]> = reports.iter().map(|r| r.series(name)).collect();
                (name.to_string(), band(&series))
            })
            .collect();
        let mut seeds: Vec<u64> = reports.iter().map(|r| r.seed).collect();
        seeds.sort_unstable();
        SeedStats {
            seeds,
            total,
            bands,
            lessons: lesson_counts(lab.descriptor().lessons, reports),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let q = Quantiles::of(&[3.0, 1.0, 2.0, 4.0, f64::NAN]);
        assert_eq!(q.n, 4);
        assert_eq!((q.min, q.max, q.median, q.mean), (1.0, 4.0, 2.5, 2.5));
        // numpy.quantile([1,2,3,4], 0.1) = 1.3, 0.9 → 3.7, 0.25 → 1.75.
        assert!((q.q10 - 1.3).abs() < 1e-12 && (q.q90 - 3.7).abs() < 1e-12);
        assert!((q.q25 - 1.75).abs() < 1e-12);
        let inf = Quantiles::of(&[f64::INFINITY, f64::INFINITY, 1.0]);
        assert_eq!(inf.median, f64::INFINITY);
        assert!(Quantiles::of(&[f64::NAN]).median.is_nan());
    }

    #[test]
    fn bands_follow_the_seeds_that_reach_each_index() {
        let a = [1.0, 2.0, f64::NAN];
        let b = [3.0, 4.0, f64::NAN];
        let c = [5.0, 6.0, 7.0, 8.0];
        let band = band(&[&a, &b, &c]);
        assert_eq!(band.median[..2], [3.0, 4.0]);
        assert!(band.median[2].is_nan(), "two of three seeds are NaN there");
        assert_eq!(band.median[3], 8.0, "only one seed reaches index 3");
        assert!(band.varies());
    }

    #[test]
    fn plans_bound_their_seeds() {
        let spec = RunSpec::new(LabId::Mf);
        assert!(SeedPlan::new(spec.clone(), 0).is_err());
        assert!(SeedPlan::new(spec.clone(), MAX_SEEDS + 1).is_err());
        let far = RunSpec {
            seed: u64::MAX,
            ..spec.clone()
        };
        assert!(SeedPlan::new(far.clone(), 2).is_err());
        assert_eq!(
            SeedPlan::new(far, 1).map(|p| p.seeds()).ok(),
            Some(vec![u64::MAX])
        );
        let plan = SeedPlan::new(RunSpec { seed: 5, ..spec }, 3).expect("a valid plan");
        assert_eq!(plan.seeds(), vec![5, 6, 7]);
    }

    #[test]
    fn seed_runs_equal_single_runs() {
        let mut spec = RunSpec::new(LabId::Mf);
        spec.steps = Some(20);
        spec.seed = 3;
        let plan = SeedPlan::new(spec.clone(), 3).expect("a valid plan");
        let reports = plan
            .run(2, &AtomicBool::new(false), |_, _| {})
            .expect("the runs start");
        for (i, r) in reports.iter().enumerate() {
            let mut single = Runner::new(RunSpec {
                seed: 3 + i as u64,
                ..spec.clone()
            })
            .expect("the run starts");
            single.run_to_end(None, &mut Quiet);
            let single = single.report();
            // As JSON: NaN (a value not reached yet) equals itself there.
            assert_eq!(r.to_json(), single.to_json());
        }
    }
}
