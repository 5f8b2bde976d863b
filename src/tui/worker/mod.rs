//! The worker: it owns the live [`Runner`]s, one per lab that has run, takes [`Command`]s
//! and publishes [`WorkerEvent`]s. [`WorkerCore`] is the logic, shared by both drivers
//! (`driver.rs`): a thread with the real clock for the live TUI, or inline with a virtual
//! clock for the demo player and tests, so a recorded demo is byte-for-byte reproducible.
//!
//! Only the shown lab's run steps: a lab visited away from keeps its run, paused where it
//! was (no CPU), and `Show` brings it back as it was, running or paused. A run that cannot
//! start leaves the lab's previous run in place, under the failed run's generation.
//!
//! Latest wins: a batch of queued commands is merged before anything expensive happens (ten
//! key-repeat changes restart the run once), and every run carries the generation number
//! the UI gave it, so the UI drops reports of runs it has already replaced.

pub use super::model::Progress;
use super::model::RunState;
use super::speed::Speed;
use crate::labs::LabId;
use crate::params::Value;
use crate::report::Report;
use crate::run::{Quiet, RunSpec, Runner};
use crate::seeds::{SeedPlan, SeedStats};
use crate::sweep::{Estimate, SweepPlan, SweepPoint};
use jobs::{InlineSeeds, InlineSweep, Job};
use std::sync::Arc;
use std::time::Instant;

mod jobs;

/// What the UI asks of the worker.
#[derive(Clone, Debug)]
pub enum Command {
    /// Start a run of this spec (replacing its lab's run, if it starts), running or paused,
    /// at `pace` natural steps per second, and show it.
    Load {
        spec: RunSpec,
        generation: u64,
        paused: bool,
        pace: f64,
    },
    /// Show this lab's run as it was left (running or paused), now under `generation`; the
    /// run shown before stops stepping.
    Show {
        lab: LabId,
        generation: u64,
    },
    /// Change a live parameter of the running run (the spec says it is live).
    Set {
        name: String,
        value: Value,
    },
    /// Resume (true) or pause (false).
    Run(bool),
    /// One step, then pause.
    Step,
    /// One of the lab's declared actions, by name.
    Act(&'static str),
    /// The pace of the run.
    Speed(Speed),
    /// Start a sweep, cancelling any running one. With `ask_over`, measure its cost first
    /// and, above that many seconds, report the estimate and wait (the UI asks the user).
    Sweep {
        id: u64,
        plan: SweepPlan,
        ask_over: Option<f64>,
    },
    CancelSweep,
    /// Run the spec over seeds in the background, cancelling any such run in progress.
    Seeds {
        id: u64,
        plan: SeedPlan,
    },
    CancelSeeds,
    Shutdown,
}

/// What the worker tells the UI.
#[derive(Clone, Debug)]
pub enum WorkerEvent {
    Report {
        generation: u64,
        report: Box<Report>,
        state: RunState,
        progress: Progress,
    },
    /// A run could not start (an unreadable input file, …); the lab's previous run, if it
    /// had one, is kept and reported under this generation.
    Failed {
        generation: u64,
        message: String,
    },
    /// What a lab action did.
    Info {
        generation: u64,
        text: String,
    },
    SweepPoint {
        id: u64,
        point: SweepPoint,
    },
    SweepDone {
        id: u64,
        error: Option<String>,
    },
    /// What the sweep was measured to cost; `waiting`: over the limit, so it did not start.
    SweepEstimate {
        id: u64,
        estimate: Estimate,
        waiting: bool,
    },
    /// What the seeds finished so far show (sent after each seed).
    SeedsProgress {
        id: u64,
        stats: Box<SeedStats>,
    },
    SeedsDone {
        id: u64,
        error: Option<String>,
    },
}

/// Where events go (the UI's channel, or the inline driver's queue).
pub type Emit = Arc<dyn Fn(WorkerEvent) + Send + Sync>;

/// Seconds of running after which the measured rate (and so the ETA) is trusted.
const RATE_AFTER: f64 = 0.5;
/// The longest time one frame may account for: after a long pause or restart the pace does
/// not try to catch up.
const MAX_FRAME: f64 = 0.1;
/// At `max` speed without a deadline (the inline driver), steps per frame per natural step
/// per second: deterministic, and fast.
const MAX_SPEED_FACTOR: f64 = 2048.0;

/// One lab's run and its pace.
struct LabRun {
    runner: Runner,
    generation: u64,
    /// Whether it steps when shown (a hidden run never steps).
    running: bool,
    /// Natural steps per second.
    pace: f64,
    /// Fractional steps owed by the pace.
    owed: f64,
    /// Seconds spent running, for the measured rate.
    running_time: f64,
}

/// The worker's state and logic, driven by a driver.
pub struct WorkerCore {
    emit: Emit,
    /// Every lab's run (at most one each).
    runs: Vec<(LabId, LabRun)>,
    /// The lab shown: the only one whose run steps.
    shown: Option<LabId>,
    speed: Speed,
    sweep: Option<Job<InlineSweep>>,
    seeds: Option<Job<InlineSeeds>>,
    threaded_sweeps: bool,
    dirty: bool,
    /// Runs started (a counter for tests and benchmarks of the merging).
    pub runs_started: u64,
}

/// A `Load` waiting for the end of its batch.
struct Pending {
    spec: RunSpec,
    generation: u64,
    paused: bool,
    pace: f64,
}

impl WorkerCore {
    /// `threaded_sweeps`: sweeps on their own threads (live) or one point per frame (inline).
    pub fn new(emit: Emit, threaded_sweeps: bool) -> WorkerCore {
        WorkerCore {
            emit,
            runs: Vec::new(),
            shown: None,
            speed: Speed::NATURAL,
            sweep: None,
            seeds: None,
            threaded_sweeps,
            dirty: false,
            runs_started: 0,
        }
    }

    /// Send events to `emit` from now on, with sweeps and seeds on threads of their own
    /// (`threaded_sweeps`) or inline; one already running inline goes on inline.
    pub fn rewire(&mut self, emit: Emit, threaded_sweeps: bool) {
        self.emit = emit;
        self.threaded_sweeps = threaded_sweeps;
    }

    /// The shown lab's run.
    fn current(&mut self) -> Option<&mut LabRun> {
        let shown = self.shown?;
        self.runs
            .iter_mut()
            .find(|(lab, _)| *lab == shown)
            .map(|(_, run)| run)
    }

    fn current_ref(&self) -> Option<&LabRun> {
        let shown = self.shown?;
        self.runs
            .iter()
            .find(|(lab, _)| *lab == shown)
            .map(|(_, run)| run)
    }

    /// How many labs have a run kept (the shown one included).
    pub fn runs_kept(&self) -> usize {
        self.runs.len()
    }

    /// Whether frames would advance anything.
    pub fn busy(&self) -> bool {
        let stepping = self
            .current_ref()
            .is_some_and(|r| r.running && !r.runner.done());
        stepping
            || matches!(self.sweep, Some(Job::Inline(_)))
            || matches!(self.seeds, Some(Job::Inline(_)))
    }

    /// Handle a batch of queued commands, merged: only the last `Load` starts a run, and
    /// what came after it applies to that run. Returns false on `Shutdown` (which skips
    /// everything else, so quitting never waits behind queued work).
    pub fn handle(&mut self, batch: Vec<Command>) -> bool {
        if batch.iter().any(|c| matches!(c, Command::Shutdown)) {
            self.cancel_sweep();
            self.cancel_seeds();
            return false;
        }
        let mut pending: Option<Pending> = None;
        for cmd in batch {
            match cmd {
                Command::Load {
                    spec,
                    generation,
                    paused,
                    pace,
                } => {
                    // A load of another lab does not replace this one: it starts now, hidden.
                    if pending.as_ref().is_some_and(|p| p.spec.lab != spec.lab) {
                        self.start_pending(&mut pending);
                    }
                    pending = Some(Pending {
                        spec,
                        generation,
                        paused,
                        pace,
                    });
                }
                Command::Show { lab, generation } => {
                    self.start_pending(&mut pending);
                    self.show(lab, generation);
                }
                Command::Set { name, value } => match pending.as_mut() {
                    Some(p) => {
                        let _ = p.spec.set(&name, value);
                    }
                    None => self.set_live(&name, value),
                },
                Command::Run(on) => match pending.as_mut() {
                    Some(p) => p.paused = !on,
                    None => {
                        if let Some(run) = self.current() {
                            run.running = on;
                        }
                        self.dirty = true;
                    }
                },
                Command::Step => {
                    self.start_pending(&mut pending);
                    self.step_once();
                }
                Command::Act(name) => {
                    self.start_pending(&mut pending);
                    self.act(name);
                }
                Command::Speed(speed) => {
                    self.speed = speed;
                    self.dirty = true;
                }
                Command::Sweep { id, plan, ask_over } => self.sweep(id, plan, ask_over),
                Command::CancelSweep => self.cancel_sweep(),
                Command::Seeds { id, plan } => self.seeds(id, plan),
                Command::CancelSeeds => self.cancel_seeds(),
                Command::Shutdown => {}
            }
        }
        self.start_pending(&mut pending);
        if self.dirty {
            self.publish();
        }
        true
    }

    /// Start the pending load and show it; if it cannot start, the lab's previous run stays
    /// (shown, under the failed generation) and the UI hears why.
    fn start_pending(&mut self, pending: &mut Option<Pending>) {
        let Some(p) = pending.take() else {
            return;
        };
        let lab = p.spec.lab;
        self.runs_started += 1;
        self.shown = Some(lab);
        self.dirty = true;
        match Runner::new(p.spec) {
            Ok(runner) => {
                let run = LabRun {
                    runner,
                    generation: p.generation,
                    running: !p.paused,
                    pace: p.pace,
                    owed: 0.0,
                    running_time: 0.0,
                };
                match self.current() {
                    Some(old) => *old = run,
                    None => self.runs.push((lab, run)),
                }
            }
            Err(e) => {
                (self.emit)(WorkerEvent::Failed {
                    generation: p.generation,
                    message: e.0,
                });
                match self.current() {
                    Some(kept) => kept.generation = p.generation,
                    None => self.dirty = false,
                }
            }
        }
    }

    /// Show `lab`'s run (if it has one) under `generation`.
    fn show(&mut self, lab: LabId, generation: u64) {
        self.shown = Some(lab);
        if let Some(run) = self.current() {
            run.generation = generation;
            // The time it was hidden is not owed.
            run.owed = 0.0;
            self.dirty = true;
        }
    }

    fn set_live(&mut self, name: &str, value: Value) {
        if let Some(run) = self.current()
            && run.runner.set_live(name, value).is_ok()
        {
            self.dirty = true;
        }
    }

    fn step_once(&mut self) {
        if let Some(run) = self.current() {
            run.runner.advance(1, &mut || false, &mut Quiet);
            run.running = false;
        }
        self.dirty = true;
    }

    fn act(&mut self, name: &str) {
        let Some(run) = self.current() else {
            return;
        };
        let text = match run.runner.act(name) {
            Ok(text) => text,
            Err(e) => e.0,
        };
        let generation = run.generation;
        (self.emit)(WorkerEvent::Info { generation, text });
        self.dirty = true;
    }

    /// One frame: `dt` seconds of (real or virtual) time passed. Advance the run by what the
    /// pace owes (at `max`: until `deadline`, or a fixed count without one), run one inline
    /// sweep point, and publish a report if anything changed.
    pub fn frame(&mut self, dt: f64, deadline: Option<Instant>) {
        let dt = dt.clamp(0.0, MAX_FRAME);
        let speed = self.speed;
        let mut changed = false;
        if let Some(run) = self.current()
            && run.running
            && !run.runner.done()
        {
            run.running_time += dt;
            let runner = &mut run.runner;
            let taken = match (speed.steps_per_second(run.pace), deadline) {
                (Some(pace), _) => {
                    run.owed += pace * dt;
                    let n = run.owed.floor();
                    run.owed -= n;
                    runner.advance(n as u64, &mut || false, &mut Quiet)
                }
                (None, Some(deadline)) => {
                    runner.advance(u64::MAX, &mut || Instant::now() >= deadline, &mut Quiet)
                }
                (None, None) => {
                    let n = (run.pace * MAX_SPEED_FACTOR * dt).ceil() as u64;
                    runner.advance(n.max(1), &mut || false, &mut Quiet)
                }
            };
            if runner.done() {
                run.running = false;
            }
            changed = taken > 0 || !run.running;
        }
        self.dirty |= changed;
        self.inline_sweep_point();
        self.inline_seed();
        if self.dirty {
            self.publish();
        }
    }

    fn progress(run: &LabRun) -> Progress {
        let runner = &run.runner;
        let rate = (run.running_time >= RATE_AFTER)
            .then(|| runner.steps() as f64 / run.running_time)
            .filter(|r| *r > 0.0);
        let remaining = runner.total().saturating_sub(runner.steps()) as f64;
        Progress {
            step: runner.steps(),
            total: runner.total(),
            eta: rate.map(|r| remaining / r),
            rate,
        }
    }

    fn publish(&mut self) {
        self.dirty = false;
        let Some(run) = self.current_ref() else {
            return;
        };
        let state = if run.runner.done() {
            RunState::Done
        } else if run.running {
            RunState::Running
        } else {
            RunState::Paused
        };
        (self.emit)(WorkerEvent::Report {
            generation: run.generation,
            report: Box::new(run.runner.report()),
            state,
            progress: Self::progress(run),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn core() -> (WorkerCore, Arc<Mutex<Vec<WorkerEvent>>>) {
        let events: Arc<Mutex<Vec<WorkerEvent>>> = Arc::default();
        let sink = events.clone();
        let emit: Emit = Arc::new(move |e| sink.lock().expect("not poisoned").push(e));
        (WorkerCore::new(emit, false), events)
    }

    fn load(spec: RunSpec, generation: u64) -> Command {
        Command::Load {
            pace: spec.lab.descriptor().steps_per_second,
            spec,
            generation,
            paused: false,
        }
    }

    /// The (generation, step) of the last report, and whether a failure came.
    fn last(events: &Mutex<Vec<WorkerEvent>>) -> (Option<(u64, u64)>, bool) {
        let events = std::mem::take(&mut *events.lock().expect("not poisoned"));
        let failed = events
            .iter()
            .any(|e| matches!(e, WorkerEvent::Failed { .. }));
        let report = events.iter().rev().find_map(|e| match e {
            WorkerEvent::Report {
                generation,
                progress,
                ..
            } => Some((*generation, progress.step)),
            _ => None,
        });
        (report, failed)
    }

    #[test]
    fn only_the_shown_run_steps_and_a_failed_load_keeps_the_previous_run() {
        let (mut core, events) = core();
        core.handle(vec![load(RunSpec::new(LabId::Mf), 1)]);
        for _ in 0..10 {
            core.frame(0.05, None);
        }
        let (Some((1, mf_step)), false) = last(&events) else {
            panic!("mf reports")
        };
        assert!(mf_step > 0);
        // Another lab: mf is kept and does not step while hidden.
        core.handle(vec![load(RunSpec::new(LabId::Rnn), 2)]);
        for _ in 0..10 {
            core.frame(0.05, None);
        }
        assert_eq!(core.runs_kept(), 2);
        core.handle(vec![Command::Show {
            lab: LabId::Mf,
            generation: 3,
        }]);
        assert_eq!(last(&events).0, Some((3, mf_step)));
        // A load that cannot start: the failure, then mf's run as it was, under its number.
        let mut bad = RunSpec::new(LabId::Mf);
        bad.set_str("input", "/no/such/file.csv")
            .expect("any path is a value");
        core.handle(vec![load(bad, 4)]);
        assert_eq!(last(&events), (Some((4, mf_step)), true));
        assert_eq!(core.runs_started, 3);
    }
}
