//! The sweep engine shared by `gradscope sweep` and the TUI's `s` key: a fresh run of a lab
//! at each value of one parameter (same seed, same other parameters), reporting one summary
//! metric per value, with points run in parallel across cores.
//!
//! With `--seeds N` each point runs N seeds and reports their median (and 10–90% spread);
//! the unit of parallel work is one (point, seed) run, so a few points still use every core.
//!
//! Grid values are computed from their index, so no more than the points in flight exist at
//! once besides the results; the number of points is capped at [`MAX_POINTS`].

use crate::fmt::csv_num;
use crate::labs::{LabId, MapAxis, MapPreset};
use crate::parallel::run_indexed;
use crate::params::{ParamError, ParamSpec};
use crate::report::Summary;
use crate::run::{Quiet, RunSpec, Runner};
use crate::seeds::{Quantiles, SeedPlan};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

/// The most points one sweep may have (a cluster splits bigger studies with `--shard`
/// into separate sweeps over sub-ranges).
pub const MAX_POINTS: usize = 100_000;

/// `points` values from `from` to `to`, evenly or geometrically spaced; the ends are exactly
/// `from` and `to` (a log grid's `exp(ln to)` would miss them by an ulp and fall out of a
/// parameter's range).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Grid {
    pub from: f64,
    pub to: f64,
    pub points: usize,
    pub log: bool,
}

impl Grid {
    pub fn new(from: f64, to: f64, points: usize, log: bool) -> Result<Grid, ParamError> {
        if points == 0 {
            return Err(ParamError("--points must be at least 1".into()));
        }
        if points > MAX_POINTS {
            return Err(ParamError(format!(
                "--points {points} is more than the {MAX_POINTS} one sweep may have; split the range into several sweeps"
            )));
        }
        if !from.is_finite() || !to.is_finite() {
            return Err(ParamError("--from and --to must be finite numbers".into()));
        }
        if log && (from <= 0.0 || to <= 0.0) {
            return Err(ParamError(format!(
                "--log needs positive --from and --to, got {from} and {to}"
            )));
        }
        Ok(Grid {
            from,
            to,
            points,
            log,
        })
    }

    /// The value at index `i` (< points).
    pub fn value(&self, i: usize) -> f64 {
        if i == 0 || self.points == 1 {
            return self.from;
        }
        if i + 1 == self.points {
            return self.to;
        }
        let t = i as f64 / (self.points - 1) as f64;
        if self.log {
            (self.from.ln() + t * (self.to.ln() - self.from.ln())).exp()
        } else {
            self.from + t * (self.to - self.from)
        }
    }

    pub fn values(&self) -> impl Iterator<Item = f64> + '_ {
        (0..self.points).map(|i| self.value(i))
    }
}

/// `--shard I/N`: the indices `I, I+N, I+2N, ...` below `points`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    pub fn parse(raw: Option<&str>) -> Result<Shard, ParamError> {
        let Some(raw) = raw else {
            return Ok(Shard::ALL);
        };
        let parsed = raw.split_once('/').and_then(|(i, n)| {
            Some((
                i.trim().parse::<usize>().ok()?,
                n.trim().parse::<usize>().ok()?,
            ))
        });
        match parsed {
            Some((index, count)) if count >= 1 && index < count => Ok(Shard { index, count }),
            _ => Err(ParamError(format!(
                "--shard expects I/N with 0 <= I < N (for example 0/4), got '{raw}'"
            ))),
        }
    }

    /// How many of `points` this shard runs.
    pub fn len(&self, points: usize) -> usize {
        points.saturating_sub(self.index).div_ceil(self.count)
    }

    /// The k-th index of this shard.
    pub fn nth(&self, k: usize) -> usize {
        self.index + k * self.count
    }
}

/// A sweep: the base run, the varied parameter over a grid (and optionally a second one: a
/// two-parameter map), the metric, and how many seeds each point runs (1: the base seed only).
///
/// With two parameters, point `index` is column `index % grid.points` (the value of `param`)
/// of row `index / grid.points` (the value of `param2`).
#[derive(Clone, Debug)]
pub struct SweepPlan {
    pub base: RunSpec,
    pub param: String,
    pub grid: Grid,
    /// The second parameter of a map and its grid.
    pub second: Option<(String, Grid)>,
    pub metric: String,
    /// Seeds per point: `base.seed … base.seed + seeds − 1`; the point's metric is their
    /// median.
    pub seeds: usize,
    /// Keep every numeric summary key of each point (the TUI plots another metric of the
    /// same runs without running them again).
    pub keep_summary: bool,
}

/// One finished point.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepPoint {
    pub index: usize,
    /// The value actually used (integers rounded).
    pub value: f64,
    /// The metric (the median over seeds when there are several); NaN or infinite when the
    /// run diverged.
    pub metric: f64,
    /// With several seeds: the 10% and 90% quantiles of the metric over them.
    pub spread: Option<(f64, f64)>,
    /// With [`SweepPlan::keep_summary`]: every numeric summary key of the run (the median
    /// over seeds), in key order; empty otherwise.
    pub summary: Vec<(String, f64)>,
}

impl SweepPoint {
    /// The value of summary key `key` (NaN when the point does not have it).
    pub fn get(&self, key: &str) -> f64 {
        self.summary
            .iter()
            .find(|(k, _)| k == key)
            .map_or(f64::NAN, |(_, v)| *v)
    }
}

/// What a sweep will cost, measured before it runs (see [`SweepPlan::estimate`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Seconds one run (one point, one seed) takes.
    pub per_run: f64,
    /// Seconds the whole sweep takes on `jobs` threads.
    pub total: f64,
    /// The threads it was estimated for.
    pub jobs: usize,
}

impl Estimate {
    /// Seconds `runs` runs of the same kind take on the same threads.
    pub fn for_runs(&self, runs: usize) -> f64 {
        self.per_run * runs.div_ceil(self.jobs.max(1)) as f64
    }
}

impl SweepPlan {
    /// A sweep point's steps: the base's, else what the lab's sweeps need.
    pub fn new(base: RunSpec, param: &str, grid: Grid, metric: &str) -> SweepPlan {
        let steps = base.steps.or(base.lab.descriptor().sweep_steps);
        SweepPlan {
            base: RunSpec { steps, ..base },
            param: param.to_string(),
            grid,
            second: None,
            metric: metric.to_string(),
            seeds: 1,
            keep_summary: false,
        }
    }

    /// A lab's named map over `base` (its own settings applied first), at `points` values per
    /// axis (the map's own count without).
    pub fn of_map(
        mut base: RunSpec,
        map: &MapPreset,
        points: Option<usize>,
    ) -> Result<SweepPlan, ParamError> {
        for (k, v) in map.sets {
            base.set_str(k, v)?;
        }
        if base.steps.is_none() {
            base.steps = map.steps;
        }
        let n = points.unwrap_or(map.points);
        let grid = |a: &MapAxis| Grid::new(a.from, a.to, n, a.log);
        SweepPlan::new(base, map.x.param, grid(&map.x)?, map.metric)
            .with_second(map.y.param, grid(&map.y)?)
    }

    /// A map over `param` × `param2` (the grid's points multiply, within [`MAX_POINTS`]).
    pub fn with_second(mut self, param2: &str, grid2: Grid) -> Result<SweepPlan, ParamError> {
        if param2 == self.param {
            return Err(ParamError(format!(
                "--param2 must differ from --param (both are '{param2}')"
            )));
        }
        let total = self.grid.points.saturating_mul(grid2.points);
        if total > MAX_POINTS {
            return Err(ParamError(format!(
                "--points × --points2 = {total} is more than the {MAX_POINTS} one sweep may have"
            )));
        }
        self.second = Some((param2.to_string(), grid2));
        Ok(self)
    }

    /// The number of points: the grid's, or both grids' product.
    pub fn total(&self) -> usize {
        self.grid.points * self.second.as_ref().map_or(1, |(_, g)| g.points)
    }

    /// The column and row of point `index` (row 0 for a one-parameter sweep).
    pub fn coords(&self, index: usize) -> (usize, usize) {
        (index % self.grid.points, index / self.grid.points)
    }

    /// The value a grid value of `param` becomes (integers rounded).
    fn used(&self, param: &str, x: f64) -> Result<crate::params::Value, ParamError> {
        self.numeric(param)?
            .value_from_number(x)
            .map_err(|e| ParamError(format!("lab {}: sweep value {}", self.lab().name(), e.0)))
    }

    /// The values of `param` along the columns, as the runs use them.
    pub fn axis(&self) -> Vec<f64> {
        self.grid
            .values()
            .map(|x| {
                self.used(&self.param, x)
                    .ok()
                    .and_then(|v| v.as_f64())
                    .unwrap_or(x)
            })
            .collect()
    }

    /// The values of `param2` along the rows, as the runs use them (empty without one).
    pub fn axis2(&self) -> Vec<f64> {
        let Some((param2, grid2)) = &self.second else {
            return Vec::new();
        };
        grid2
            .values()
            .map(|x| {
                self.used(param2, x)
                    .ok()
                    .and_then(|v| v.as_f64())
                    .unwrap_or(x)
            })
            .collect()
    }

    /// Whether point `index` is a valid run with the other values: a map skips (and counts)
    /// the points where it is not.
    pub fn valid(&self, index: usize) -> bool {
        self.point_spec(index)
            .and_then(|(s, _)| s.validate())
            .is_ok()
    }

    /// Each point over `seeds` seeds (checked as `run --seeds` checks them).
    pub fn with_seeds(mut self, seeds: usize) -> Result<SweepPlan, ParamError> {
        SeedPlan::new(self.base.clone(), seeds)?;
        self.seeds = seeds;
        Ok(self)
    }

    pub fn lab(&self) -> LabId {
        self.base.lab
    }

    fn numeric(&self, param: &str) -> Result<&'static ParamSpec, ParamError> {
        let spec = self.base.params.spec(param)?;
        if !spec.is_numeric() {
            return Err(ParamError(format!(
                "cannot sweep '{param}': it is not numeric ({})",
                spec.accepted()
            )));
        }
        Ok(spec)
    }

    /// The run of point `index`, and the value of `param` used.
    fn point_spec(&self, index: usize) -> Result<(RunSpec, f64), ParamError> {
        let (col, row) = self.coords(index);
        let x = self.grid.value(col);
        let value = self.used(&self.param, x)?;
        let used = value.as_f64().unwrap_or(x);
        let mut spec = self.base.clone();
        spec.set(&self.param, value)?;
        if let Some((param2, grid2)) = &self.second {
            spec.set(param2, self.used(param2, grid2.value(row))?)?;
        }
        Ok((spec, used))
    }

    /// Check everything that can be checked before running: the parameter exists and is
    /// numeric, every value is in range and consistent with the other parameters, and the
    /// metric is a numeric summary key (this builds one run of the base spec).
    pub fn validate(&self) -> Result<(), ParamError> {
        self.numeric(&self.param)?;
        if let Some((param2, _)) = &self.second {
            self.numeric(param2)?;
            // A map skips the points that are invalid with the other values; all is too many.
            let first = (0..self.total()).find(|&i| self.valid(i));
            if first.is_none() {
                let e = self.point_spec(0).and_then(|(s, _)| s.validate()).err();
                return Err(ParamError(format!(
                    "no point of the {}×{} map is valid ({})",
                    self.grid.points,
                    self.total() / self.grid.points,
                    e.map_or_else(String::new, |e| e.0)
                )));
            }
        } else {
            for i in 0..self.grid.points {
                self.point_spec(i)?.0.validate()?;
            }
        }
        let report = Runner::new(RunSpec {
            steps: Some(0),
            ..self.base.clone()
        })?
        .report();
        match report.summary.get(&self.metric) {
            Some(Summary::Num(_)) => Ok(()),
            _ => Err(ParamError(format!(
                "unknown metric '{}' for lab {}; accepted: {}",
                self.metric,
                self.lab().name(),
                numeric_summary_keys(&report).join(", ")
            ))),
        }
    }

    /// The run of seed `i` (0-based, offset from the base seed) at point `index`.
    fn seed_runner(&self, index: usize, i: usize) -> Result<Runner, ParamError> {
        let (spec, _) = self.point_spec(index)?;
        Runner::new(RunSpec {
            seed: spec.seed + i as u64,
            ..spec
        })
    }

    /// The numeric summary of seed `i` at point `index`: the metric alone, or every key
    /// with [`SweepPlan::keep_summary`].
    fn run_seed(&self, index: usize, i: usize, cancel: &AtomicBool) -> Result<Outcome, ParamError> {
        let mut runner = self.seed_runner(index, i)?;
        runner.run_to_end(Some(cancel), &mut Quiet);
        let report = runner.report();
        Ok(if self.keep_summary {
            numeric_summary(&report)
        } else {
            vec![(self.metric.clone(), report.num(&self.metric))]
        })
    }

    /// A point from the summaries of its seeds.
    fn point(&self, index: usize, seeds: &[Outcome]) -> Result<SweepPoint, ParamError> {
        let (_, value) = self.point_spec(index)?;
        let of = |key: &str| -> Vec<f64> {
            seeds
                .iter()
                .map(|s| {
                    s.iter()
                        .find(|(k, _)| k == key)
                        .map_or(f64::NAN, |(_, v)| *v)
                })
                .collect()
        };
        let summary = if self.keep_summary {
            let keys = seeds.first().map(|s| s.iter().map(|(k, _)| k.clone()));
            keys.into_iter()
                .flatten()
                .map(|k| {
                    let v = Quantiles::of(&of(&k)).median;
                    (k, v)
                })
                .collect()
        } else {
            Vec::new()
        };
        let metrics = of(&self.metric);
        Ok(if self.seeds == 1 {
            SweepPoint {
                index,
                value,
                metric: metrics.first().copied().unwrap_or(f64::NAN),
                spread: None,
                summary,
            }
        } else {
            let q = Quantiles::of(&metrics);
            SweepPoint {
                index,
                value,
                metric: q.median,
                spread: Some((q.q10, q.q90)),
                summary,
            }
        })
    }

    /// Run the point at `index`, every seed of it, to the end of its runs (or until `cancel`
    /// is set).
    pub fn run_point(&self, index: usize, cancel: &AtomicBool) -> Result<SweepPoint, ParamError> {
        let seeds = (0..self.seeds)
            .map(|i| self.run_seed(index, i, cancel))
            .collect::<Result<Vec<_>, _>>()?;
        self.point(index, &seeds)
    }

    /// The points a run of `shard` visits: all of them, or a map's valid ones.
    pub fn runnable(&self, shard: Shard) -> Vec<usize> {
        (0..shard.len(self.total()))
            .map(|k| shard.nth(k))
            .filter(|&i| self.second.is_none() || self.valid(i))
            .collect()
    }

    /// Measure what the sweep will cost on `jobs` threads before running it: time the run
    /// of its middle point (a parameter that makes runs dearer, such as a horizon, costs
    /// about its middle value on average) for up to `budget` seconds and extrapolate to the
    /// run's length, then to every (point, seed) run.
    pub fn estimate(&self, jobs: usize, budget: f64) -> Result<Estimate, ParamError> {
        let indices = self.runnable(Shard::ALL);
        let Some(&middle) = indices.get(indices.len() / 2) else {
            return Ok(Estimate {
                per_run: 0.0,
                total: 0.0,
                jobs,
            });
        };
        let start = std::time::Instant::now();
        let mut runner = self.seed_runner(middle, 0)?;
        let built = start.elapsed().as_secs_f64();
        let stepping = std::time::Instant::now();
        let deadline = stepping + std::time::Duration::from_secs_f64(budget.max(0.0));
        let mut stop = || std::time::Instant::now() >= deadline;
        // At least one step, so a run dearer than the budget still gets a rate.
        let taken = runner.advance(1, &mut || false, &mut Quiet)
            + runner.advance(u64::MAX, &mut stop, &mut Quiet);
        let per_step = stepping.elapsed().as_secs_f64() / taken.max(1) as f64;
        let per_run = built + per_step * runner.total() as f64;
        let runs = indices.len() * self.seeds.max(1);
        let rounds = runs.div_ceil(jobs.max(1));
        Ok(Estimate {
            per_run,
            total: per_run * rounds as f64,
            jobs,
        })
    }

    /// Run the points of `shard` on `jobs` threads, one (point, seed) run at a time, calling
    /// `on_point` as each point's last seed finishes (in completion order). Stops early when
    /// `cancel` is set. Returns the finished points in index order.
    pub fn run(
        &self,
        shard: Shard,
        jobs: usize,
        cancel: &AtomicBool,
        on_point: impl Fn(SweepPoint) + Sync,
    ) -> Result<Vec<SweepPoint>, ParamError> {
        let seeds = self.seeds.max(1);
        // A map's invalid points are skipped (the caller counts them as missing).
        let indices = self.runnable(shard);
        let total = indices.len() * seeds;
        // The metrics of the seeds finished so far, by the point's position in the shard.
        let partial: Mutex<BTreeMap<usize, Vec<(usize, Outcome)>>> = Mutex::default();
        let finished: Mutex<Vec<SweepPoint>> = Mutex::default();
        run_indexed(
            total,
            jobs,
            cancel,
            |k| self.run_seed(indices[k / seeds], k % seeds, cancel),
            |k, outcome| {
                let mut partial = partial.lock().expect("no panics hold this lock");
                let got = partial.entry(k / seeds).or_default();
                got.push((k % seeds, outcome.clone()));
                if got.len() < seeds {
                    return;
                }
                let mut got = partial.remove(&(k / seeds)).unwrap_or_default();
                drop(partial);
                got.sort_by_key(|(i, _)| *i);
                let outcomes: Vec<Outcome> = got.into_iter().map(|(_, m)| m).collect();
                if let Ok(point) = self.point(indices[k / seeds], &outcomes) {
                    on_point(point.clone());
                    finished
                        .lock()
                        .expect("no panics hold this lock")
                        .push(point);
                }
            },
        )?;
        let mut points = finished.into_inner().expect("no panics hold this lock");
        points.sort_by_key(|p| p.index);
        Ok(points)
    }
}

/// The points as CSV in long form: `index`, the parameter (and the second one of a map), the
/// metric (and `q10,q90` over seeds), each column named after what it holds so the file read
/// alone says what was swept.
pub fn csv(plan: &SweepPlan, points: &[SweepPoint]) -> Result<Vec<u8>, String> {
    let axis2 = plan.axis2();
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["index", plan.param.as_str()];
    header.extend(plan.second.as_ref().map(|(p, _)| p.as_str()));
    header.push(plan.metric.as_str());
    if plan.seeds > 1 {
        header.extend(["q10", "q90"]);
    }
    w.write_record(&header).map_err(|e| e.to_string())?;
    for p in points {
        let mut rec = vec![p.index.to_string(), csv_num(p.value)];
        rec.extend(axis2.get(plan.coords(p.index).1).copied().map(csv_num));
        rec.push(csv_num(p.metric));
        if let Some((q10, q90)) = p.spread {
            rec.extend([csv_num(q10), csv_num(q90)]);
        }
        w.write_record(&rec).map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

/// What one run of a sweep yields: its numeric summary keys (or only the metric's).
type Outcome = Vec<(String, f64)>;

/// Every numeric summary key of a report with its value, in key order.
fn numeric_summary(report: &crate::report::Report) -> Outcome {
    report
        .summary
        .iter()
        .filter_map(|(k, v)| match v {
            Summary::Num(x) => Some((k.clone(), *x)),
            _ => None,
        })
        .collect()
}

/// The summary keys that hold a number: what a sweep can plot.
pub fn numeric_summary_keys(report: &crate::report::Report) -> Vec<&str> {
    report
        .summary
        .iter()
        .filter(|(_, v)| matches!(v, Summary::Num(_)))
        .map(|(k, _)| k.as_str())
        .collect()
}

/// The number of cores, for the default `--jobs`.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(from: f64, to: f64, points: usize, log: bool) -> Vec<f64> {
        Grid::new(from, to, points, log).unwrap().values().collect()
    }

    #[test]
    fn grids_include_both_ends_exactly() {
        assert_eq!(grid(0.0, 1.0, 3, false), vec![0.0, 0.5, 1.0]);
        let g = grid(0.01, 1.0, 3, true);
        assert!((g[1] - 0.1).abs() < 1e-12 && g[2] == 1.0);
        assert_eq!(grid(2.0, 5.0, 1, false), vec![2.0]);
        assert!(Grid::new(0.0, 1.0, 3, true).is_err());
        let g = grid(0.001, 100.0, 41, true);
        assert_eq!((g[0], g[40]), (0.001, 100.0));
        assert!(Grid::new(0.0, 1.0, MAX_POINTS + 1, false).is_err());
    }

    #[test]
    fn shards_partition_the_points() {
        let mut all: Vec<usize> = (0..3)
            .flat_map(|i| {
                let s = Shard::parse(Some(&format!("{i}/3"))).unwrap();
                (0..s.len(10)).map(move |k| s.nth(k))
            })
            .collect();
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert!(Shard::parse(Some("3/3")).is_err());
        assert!(Shard::parse(Some("x")).is_err());
        assert_eq!(Shard::parse(Some("5/8")).unwrap().len(3), 0);
    }
}
