//! The sweep engine shared by `gradscope sweep` and the TUI's `s` key: a fresh run of a lab
//! at each value of one parameter (same seed, same other parameters), reporting one summary
//! metric per value, with points run in parallel across cores.

use crate::labs::{self, LabId};
use crate::params::{ParamError, Value};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// A sweep: which lab, the fixed parameters, the varied one and its values, the metric.
#[derive(Clone, Debug)]
pub struct SweepPlan {
    pub lab: LabId,
    /// Fixed `K=V` parameters, as typed.
    pub assignments: Vec<(String, String)>,
    /// Fixed parameters as values (the TUI's current settings).
    pub values_set: Vec<(String, Value)>,
    pub param: String,
    pub values: Vec<f64>,
    pub metric: String,
    pub steps: Option<u64>,
    pub seed: u64,
}

/// One finished point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SweepPoint {
    pub index: usize,
    /// The value actually used (integers rounded).
    pub value: f64,
    /// The metric; NaN or infinite when the run diverged.
    pub metric: f64,
}

/// `points` values from `from` to `to` inclusive, evenly or geometrically spaced.
pub fn grid(from: f64, to: f64, points: usize, log: bool) -> Result<Vec<f64>, ParamError> {
    if points == 0 {
        return Err(ParamError("--points must be at least 1".into()));
    }
    if !from.is_finite() || !to.is_finite() {
        return Err(ParamError("--from and --to must be finite numbers".into()));
    }
    if log && (from <= 0.0 || to <= 0.0) {
        return Err(ParamError(format!(
            "--log needs positive --from and --to, got {from} and {to}"
        )));
    }
    let t = |i: usize| {
        if points == 1 {
            0.0
        } else {
            i as f64 / (points - 1) as f64
        }
    };
    Ok((0..points)
        .map(|i| {
            if log {
                (from.ln() + t(i) * (to.ln() - from.ln())).exp()
            } else {
                from + t(i) * (to - from)
            }
        })
        .collect())
}

/// Parse `--shard I/N`: the indices `I, I+N, I+2N, ...` below `points`.
pub fn shard_indices(shard: Option<&str>, points: usize) -> Result<Vec<usize>, ParamError> {
    let Some(raw) = shard else {
        return Ok((0..points).collect());
    };
    let parsed = raw.split_once('/').and_then(|(i, n)| {
        Some((
            i.trim().parse::<usize>().ok()?,
            n.trim().parse::<usize>().ok()?,
        ))
    });
    match parsed {
        Some((i, n)) if n >= 1 && i < n => Ok((i..points).step_by(n).collect()),
        _ => Err(ParamError(format!(
            "--shard expects I/N with 0 <= I < N (for example 0/4), got '{raw}'"
        ))),
    }
}

impl SweepPlan {
    fn build(&self, value: Option<f64>) -> Result<(Box<dyn labs::Lab>, f64), ParamError> {
        let mut lab = self.lab.create();
        for (k, v) in &self.values_set {
            lab.set(k, v.clone())?;
        }
        for (k, raw) in &self.assignments {
            let v = lab
                .params()
                .spec(k)?
                .parse(raw)
                .map_err(|e| ParamError(format!("lab {}: {}", self.lab.name(), e.0)))?;
            lab.set(k, v)?;
        }
        let spec = lab.params().spec(&self.param)?;
        if !spec.is_numeric() {
            return Err(ParamError(format!(
                "cannot sweep '{}': it is not numeric ({})",
                self.param,
                spec.accepted()
            )));
        }
        let mut used = f64::NAN;
        if let Some(x) = value {
            let v = spec
                .from_number(x)
                .map_err(|e| ParamError(format!("lab {}: sweep value {}", self.lab.name(), e.0)))?;
            used = v.as_f64().unwrap_or(x);
            lab.set(&self.param, v)?;
        }
        lab.reset(self.seed)?;
        if let Some(n) = self.steps {
            lab.set_run_length(n);
        }
        Ok((lab, used))
    }

    /// Check everything that can be checked before running: the parameter exists and is
    /// numeric, every value is in range, the parameters are consistent, the metric is a
    /// numeric summary key.
    pub fn validate(&self) -> Result<(), ParamError> {
        let (lab, _) = self.build(None)?;
        let spec = lab.params().spec(&self.param)?;
        for x in &self.values {
            spec.from_number(*x)
                .map_err(|e| ParamError(format!("lab {}: sweep value {}", self.lab.name(), e.0)))?;
        }
        let report = lab.report();
        match report.summary.get(&self.metric) {
            Some(crate::report::Summary::Num(_)) => Ok(()),
            _ => {
                let numeric: Vec<_> = report
                    .summary
                    .iter()
                    .filter(|(_, v)| matches!(v, crate::report::Summary::Num(_)))
                    .map(|(k, _)| k.as_str())
                    .collect();
                Err(ParamError(format!(
                    "unknown metric '{}' for lab {}; accepted: {}",
                    self.metric,
                    self.lab.name(),
                    numeric.join(", ")
                )))
            }
        }
    }

    /// Run the point at `index` to the end of its run.
    pub fn run_point(&self, index: usize) -> Result<SweepPoint, ParamError> {
        let (mut lab, value) = self.build(Some(self.values[index]))?;
        labs::run_to_end(lab.as_mut(), None);
        Ok(SweepPoint {
            index,
            value,
            metric: lab.report().num(&self.metric),
        })
    }

    /// Run the points at `indices` on `jobs` threads, calling `on_point` as each finishes
    /// (in completion order). Stops early when `cancel` is set. Returns the points in index
    /// order.
    pub fn run(
        &self,
        indices: &[usize],
        jobs: usize,
        cancel: &AtomicBool,
        on_point: impl Fn(SweepPoint) + Sync,
    ) -> Result<Vec<SweepPoint>, ParamError> {
        let next = AtomicUsize::new(0);
        let results = Mutex::new(Vec::with_capacity(indices.len()));
        let failure: Mutex<Option<ParamError>> = Mutex::new(None);
        let jobs = jobs.clamp(1, indices.len().max(1));
        std::thread::scope(|scope| {
            for _ in 0..jobs {
                scope.spawn(|| {
                    while !cancel.load(Ordering::Relaxed) {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&index) = indices.get(k) else { break };
                        match self.run_point(index) {
                            Ok(point) => {
                                on_point(point);
                                results
                                    .lock()
                                    .expect("no panics hold this lock")
                                    .push(point);
                            }
                            Err(e) => {
                                *failure.lock().expect("no panics hold this lock") = Some(e);
                                cancel.store(true, Ordering::Relaxed);
                            }
                        }
                    }
                });
            }
        });
        if let Some(e) = failure.into_inner().expect("no panics hold this lock") {
            return Err(e);
        }
        let mut points = results.into_inner().expect("no panics hold this lock");
        points.sort_by_key(|p| p.index);
        Ok(points)
    }
}

/// The number of cores, for the default `--jobs`.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_include_both_ends() {
        assert_eq!(grid(0.0, 1.0, 3, false).unwrap(), vec![0.0, 0.5, 1.0]);
        let g = grid(0.01, 1.0, 3, true).unwrap();
        assert!((g[1] - 0.1).abs() < 1e-12 && (g[2] - 1.0).abs() < 1e-12);
        assert_eq!(grid(2.0, 5.0, 1, false).unwrap(), vec![2.0]);
        assert!(grid(0.0, 1.0, 3, true).is_err());
    }

    #[test]
    fn shards_partition_the_points() {
        let mut all: Vec<usize> = (0..3)
            .flat_map(|i| shard_indices(Some(&format!("{i}/3")), 10).unwrap())
            .collect();
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert!(shard_indices(Some("3/3"), 10).is_err());
        assert!(shard_indices(Some("x"), 10).is_err());
    }
}
