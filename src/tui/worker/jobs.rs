//! The worker's background jobs: a sweep and runs over seeds, each on threads of its own
//! (the live TUI, cancelled through a flag) or one item per frame (the inline driver, so a
//! demo or a test sees the same frames every time).

use super::{Emit, WorkerCore, WorkerEvent};
use crate::report::Report;
use crate::seeds::{SeedPlan, SeedStats};
use crate::sweep::{Shard, SweepPlan, default_jobs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Background work in progress: on its own threads (live), or one item per frame (inline,
/// so a demo or a test sees the same frames every time).
pub(super) enum Job<I> {
    Threaded { cancel: Arc<AtomicBool> },
    Inline(I),
}

impl<I> Job<I> {
    pub(super) fn cancel(self) {
        if let Job::Threaded { cancel } = self {
            cancel.store(true, Ordering::Relaxed);
        }
    }
}

/// A sweep run inline: the points to run (a map's valid ones) and the next of them.
pub(super) struct InlineSweep {
    id: u64,
    plan: Box<SweepPlan>,
    indices: Vec<usize>,
    next: usize,
}

/// Seconds of a sweep's first run that the cost estimate times.
const PROBE_SECONDS: f64 = 0.25;

/// Seeds run inline: the reports so far.
pub(super) struct InlineSeeds {
    id: u64,
    plan: SeedPlan,
    reports: Vec<Report>,
}

/// Start `work` on a thread of its own with a fresh cancel flag; `failed` says why the
/// thread could not start.
fn spawn_job<I>(
    name: &str,
    emit: &Emit,
    failed: impl FnOnce(String) -> WorkerEvent,
    work: impl FnOnce(Arc<AtomicBool>) + Send + 'static,
) -> Option<Job<I>> {
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    match std::thread::Builder::new()
        .name(name.into())
        .spawn(move || work(flag))
    {
        Ok(_) => Some(Job::Threaded { cancel }),
        Err(e) => {
            emit(failed(format!("cannot start the {name}: {e}")));
            None
        }
    }
}

impl WorkerCore {
    pub(super) fn cancel_sweep(&mut self) {
        if let Some(job) = self.sweep.take() {
            job.cancel();
        }
    }

    /// Start a sweep. Live, with `ask_over`, its cost is measured first (on the sweep's own
    /// thread) and a sweep over the limit only reports its estimate. Inline (demos, tests)
    /// nothing is timed, so every frame is the same each time: it runs at once.
    pub(super) fn sweep(&mut self, id: u64, plan: SweepPlan, ask_over: Option<f64>) {
        self.cancel_sweep();
        if !self.threaded_sweeps {
            match plan.validate() {
                Ok(()) => {
                    self.sweep = Some(Job::Inline(InlineSweep {
                        id,
                        indices: plan.runnable(Shard::ALL),
                        plan: Box::new(plan),
                        next: 0,
                    }))
                }
                Err(e) => (self.emit)(WorkerEvent::SweepDone {
                    id,
                    error: Some(e.0),
                }),
            }
            return;
        }
        let emit = self.emit.clone();
        let failed = move |error| WorkerEvent::SweepDone {
            id,
            error: Some(error),
        };
        self.sweep = spawn_job("sweep", &self.emit, failed, move |cancel| {
            let jobs = default_jobs();
            if let Some(limit) = ask_over {
                match plan
                    .validate()
                    .and_then(|()| plan.estimate(jobs, PROBE_SECONDS))
                {
                    Ok(estimate) => {
                        let waiting = estimate.total > limit;
                        if !cancel.load(Ordering::Relaxed) {
                            emit(WorkerEvent::SweepEstimate {
                                id,
                                estimate,
                                waiting,
                            });
                        }
                        if waiting {
                            return;
                        }
                    }
                    Err(e) => {
                        emit(WorkerEvent::SweepDone {
                            id,
                            error: Some(e.0),
                        });
                        return;
                    }
                }
            }
            let result = plan.validate().and_then(|()| {
                plan.run(Shard::ALL, jobs, &cancel, |point| {
                    if !cancel.load(Ordering::Relaxed) {
                        emit(WorkerEvent::SweepPoint { id, point });
                    }
                })
            });
            if !cancel.load(Ordering::Relaxed) || result.is_err() {
                emit(WorkerEvent::SweepDone {
                    id,
                    error: result.err().map(|e| e.0),
                });
            }
        });
    }

    pub(super) fn cancel_seeds(&mut self) {
        if let Some(job) = self.seeds.take() {
            job.cancel();
        }
    }

    /// Run the plan's seeds: each finished seed updates the bands and counts the UI shows.
    pub(super) fn seeds(&mut self, id: u64, plan: SeedPlan) {
        self.cancel_seeds();
        if !self.threaded_sweeps {
            self.seeds = Some(Job::Inline(InlineSeeds {
                id,
                plan,
                reports: Vec::new(),
            }));
            return;
        }
        let emit = self.emit.clone();
        let failed = move |error| WorkerEvent::SeedsDone {
            id,
            error: Some(error),
        };
        self.seeds = spawn_job("seeds", &self.emit, failed, move |cancel| {
            let lab = plan.base.lab;
            let reports = std::sync::Mutex::new(Vec::new());
            let result = plan.run(default_jobs(), &cancel, |_, report| {
                let Ok(mut done) = reports.lock() else {
                    return;
                };
                done.push(report.clone());
                if !cancel.load(Ordering::Relaxed) {
                    let stats = SeedStats::of(lab, &done, plan.count);
                    emit(WorkerEvent::SeedsProgress {
                        id,
                        stats: Box::new(stats),
                    });
                }
            });
            if !cancel.load(Ordering::Relaxed) || result.is_err() {
                emit(WorkerEvent::SeedsDone {
                    id,
                    error: result.err().map(|e| e.0),
                });
            }
        });
    }

    /// One seed of an inline seeds job per frame.
    pub(super) fn inline_seed(&mut self) {
        let Some(Job::Inline(job)) = self.seeds.as_mut() else {
            return;
        };
        let id = job.id;
        let i = job.reports.len();
        match job.plan.run_one(i, &AtomicBool::new(false)) {
            Ok(report) => {
                job.reports.push(report);
                let stats = SeedStats::of(job.plan.base.lab, &job.reports, job.plan.count);
                (self.emit)(WorkerEvent::SeedsProgress {
                    id,
                    stats: Box::new(stats),
                });
                if job.reports.len() >= job.plan.count {
                    self.seeds = None;
                    (self.emit)(WorkerEvent::SeedsDone { id, error: None });
                }
            }
            Err(e) => {
                self.seeds = None;
                (self.emit)(WorkerEvent::SeedsDone {
                    id,
                    error: Some(e.0),
                });
            }
        }
    }

    pub(super) fn inline_sweep_point(&mut self) {
        let Some(Job::Inline(InlineSweep {
            id,
            plan,
            indices,
            next,
        })) = self.sweep.as_mut()
        else {
            return;
        };
        let id = *id;
        let Some(&index) = indices.get(*next) else {
            self.sweep = None;
            (self.emit)(WorkerEvent::SweepDone { id, error: None });
            return;
        };
        let result = plan.run_point(index, &AtomicBool::new(false));
        *next += 1;
        let finished = *next >= indices.len();
        match result {
            Ok(point) => (self.emit)(WorkerEvent::SweepPoint { id, point }),
            Err(e) => {
                self.sweep = None;
                (self.emit)(WorkerEvent::SweepDone {
                    id,
                    error: Some(e.0),
                });
                return;
            }
        }
        if finished {
            self.sweep = None;
            (self.emit)(WorkerEvent::SweepDone { id, error: None });
        }
    }
}
