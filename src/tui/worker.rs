//! The worker thread: it owns the live [`Lab`], takes [`Command`]s, steps the lab in short
//! time slices while running, and publishes [`WorkerEvent`]s — at most ~30 reports a second,
//! so the UI only ever draws the latest. When paused or done it blocks on its command
//! channel and uses no CPU. Sweeps run on their own threads through the shared sweep engine.

use super::app::RunState;
use crate::labs::{Lab, LabId};
use crate::params::Value;
use crate::report::Report;
use crate::sweep::{SweepPlan, SweepPoint, default_jobs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long the worker steps before it looks at its commands again.
const SLICE: Duration = Duration::from_millis(15);
/// The shortest time between two published reports while running (~30/s).
const FRAME: Duration = Duration::from_millis(33);

/// What the UI asks of the worker.
#[derive(Clone, Debug)]
pub enum Command {
    /// Replace the lab: set these parameters, reset with this seed, run.
    Load {
        lab: LabId,
        params: Vec<(String, Value)>,
        seed: u64,
    },
    /// Change one parameter (and restart if the lab needs it).
    Set {
        name: String,
        value: Value,
    },
    /// Restart with this seed.
    Reset {
        seed: u64,
    },
    /// Resume (true) or pause (false).
    Run(bool),
    /// One step, then pause.
    Step,
    /// The lab's own action.
    LabAction,
    /// Start a sweep, cancelling any running one.
    Sweep {
        id: u64,
        plan: SweepPlan,
    },
    CancelSweep,
    Shutdown,
}

/// What the worker tells the UI.
#[derive(Clone, Debug)]
pub enum WorkerEvent {
    Report {
        report: Box<Report>,
        state: RunState,
    },
    /// A parameter change was undone because the lab rejected the combination.
    Rejected {
        lab: LabId,
        name: String,
        previous: Value,
        message: String,
    },
    /// A line for the status bar.
    Info(String),
    SweepPoint {
        id: u64,
        point: SweepPoint,
    },
    SweepDone {
        id: u64,
        error: Option<String>,
    },
}

/// Where events go (the UI's channel, or a test's vector).
pub type Emit = Arc<dyn Fn(WorkerEvent) + Send + Sync>;

/// The UI's handle on the worker thread; dropping it stops the thread.
pub struct WorkerHandle {
    tx: Sender<Command>,
    join: Option<JoinHandle<()>>,
}

impl WorkerHandle {
    pub fn spawn(emit: Emit) -> WorkerHandle {
        let (tx, rx) = mpsc::channel();
        let join = std::thread::Builder::new()
            .name("gradscope-worker".into())
            .spawn(move || Worker::new(emit).run(rx))
            .expect("the OS can start a thread");
        WorkerHandle {
            tx,
            join: Some(join),
        }
    }

    pub fn send(&self, cmd: Command) {
        // A closed channel means the worker has stopped; nothing left to tell it.
        let _ = self.tx.send(cmd);
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.send(Command::Shutdown);
        if let Some(join) = self.join.take() {
            let _ = join.join();
        }
    }
}

struct Worker {
    lab: Option<Box<dyn Lab>>,
    seed: u64,
    running: bool,
    emit: Emit,
    sweep_cancel: Option<Arc<AtomicBool>>,
    dirty: bool,
    last_publish: Option<Instant>,
}

impl Worker {
    fn new(emit: Emit) -> Worker {
        Worker {
            lab: None,
            seed: 0,
            running: false,
            emit,
            sweep_cancel: None,
            dirty: false,
            last_publish: None,
        }
    }

    fn busy(&self) -> bool {
        self.running && self.lab.as_ref().is_some_and(|l| !l.done())
    }

    fn run(mut self, rx: Receiver<Command>) {
        loop {
            let next = if self.busy() {
                match rx.try_recv() {
                    Ok(cmd) => Some(cmd),
                    Err(TryRecvError::Empty) => None,
                    Err(TryRecvError::Disconnected) => break,
                }
            } else {
                if self.dirty {
                    self.publish();
                }
                match rx.recv() {
                    Ok(cmd) => Some(cmd),
                    Err(_) => break,
                }
            };
            if let Some(cmd) = next {
                if !self.handle(cmd) {
                    break;
                }
                continue;
            }
            self.step_slice();
        }
        self.cancel_sweep();
    }

    fn step_slice(&mut self) {
        let Some(lab) = self.lab.as_mut() else { return };
        let start = Instant::now();
        while !lab.done() && start.elapsed() < SLICE {
            lab.step();
        }
        self.dirty = true;
        if lab.done() {
            self.running = false;
        }
        if !self.running || self.last_publish.is_none_or(|t| t.elapsed() >= FRAME) {
            self.publish();
        }
    }

    fn publish(&mut self) {
        let Some(lab) = self.lab.as_ref() else { return };
        let state = if lab.done() {
            RunState::Done
        } else if self.running {
            RunState::Running
        } else {
            RunState::Paused
        };
        (self.emit)(WorkerEvent::Report {
            report: Box::new(lab.report()),
            state,
        });
        self.dirty = false;
        self.last_publish = Some(Instant::now());
    }

    fn info(&self, text: String) {
        (self.emit)(WorkerEvent::Info(text));
    }

    /// Handle a command; false means stop.
    fn handle(&mut self, cmd: Command) -> bool {
        match cmd {
            Command::Load { lab, params, seed } => {
                self.cancel_sweep();
                let mut fresh = lab.create();
                for (name, value) in params {
                    if let Err(e) = fresh.set(&name, value) {
                        self.info(e.0);
                    }
                }
                self.seed = seed;
                if let Err(e) = fresh.reset(seed) {
                    self.info(e.0);
                }
                self.lab = Some(fresh);
                self.running = true;
                self.publish();
            }
            Command::Set { name, value } => self.set(name, value),
            Command::Reset { seed } => {
                self.seed = seed;
                if let Some(lab) = self.lab.as_mut()
                    && let Err(e) = lab.reset(seed)
                {
                    let msg = e.0;
                    self.info(msg);
                }
                self.running = true;
                self.publish();
            }
            Command::Run(on) => {
                self.running = on;
                self.publish();
            }
            Command::Step => {
                if let Some(lab) = self.lab.as_mut()
                    && !lab.done()
                {
                    lab.step();
                }
                self.running = false;
                self.publish();
            }
            Command::LabAction => {
                if let Some(text) = self.lab.as_mut().and_then(|lab| lab.act()) {
                    self.info(text);
                    self.publish();
                }
            }
            Command::Sweep { id, plan } => self.sweep(id, plan),
            Command::CancelSweep => self.cancel_sweep(),
            Command::Shutdown => return false,
        }
        true
    }

    fn set(&mut self, name: String, value: Value) {
        let Some(lab) = self.lab.as_mut() else { return };
        let previous = lab.params().get(&name).clone();
        let outcome = lab.set(&name, value).and_then(|applied| match applied {
            crate::labs::Applied::Restart => lab.reset(self.seed),
            crate::labs::Applied::Live => Ok(()),
        });
        if let Err(e) = outcome {
            // Put the old value back so the lab and the UI agree again.
            let _ = lab.set(&name, previous.clone());
            let _ = lab.reset(self.seed);
            (self.emit)(WorkerEvent::Rejected {
                lab: lab.id(),
                name,
                previous,
                message: e.0,
            });
        }
        self.running = true;
        self.publish();
    }

    fn cancel_sweep(&mut self) {
        if let Some(flag) = self.sweep_cancel.take() {
            flag.store(true, Ordering::Relaxed);
        }
    }

    fn sweep(&mut self, id: u64, plan: SweepPlan) {
        self.cancel_sweep();
        let cancel = Arc::new(AtomicBool::new(false));
        self.sweep_cancel = Some(cancel.clone());
        let emit = self.emit.clone();
        let spawned = std::thread::Builder::new()
            .name("gradscope-sweep".into())
            .spawn(move || {
                let result = plan.validate().and_then(|()| {
                    let indices: Vec<usize> = (0..plan.values.len()).collect();
                    plan.run(&indices, default_jobs(), &cancel, |point| {
                        if !cancel.load(Ordering::Relaxed) {
                            emit(WorkerEvent::SweepPoint { id, point });
                        }
                    })
                });
                emit(WorkerEvent::SweepDone {
                    id,
                    error: result.err().map(|e| e.0),
                });
            });
        if let Err(e) = spawned {
            (self.emit)(WorkerEvent::SweepDone {
                id,
                error: Some(format!("cannot start the sweep: {e}")),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn collect() -> (Emit, Arc<Mutex<Vec<WorkerEvent>>>) {
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        let emit: Emit = Arc::new(move |e| sink.lock().unwrap().push(e));
        (emit, events)
    }

    fn wait_for(events: &Arc<Mutex<Vec<WorkerEvent>>>, pred: impl Fn(&WorkerEvent) -> bool) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            if events.lock().unwrap().iter().any(&pred) {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!("the worker did not answer");
    }

    #[test]
    fn runs_to_done_and_rejects_nothing_valid() {
        let (emit, events) = collect();
        let worker = WorkerHandle::spawn(emit);
        worker.send(Command::Load {
            lab: LabId::Rnn,
            params: vec![("horizon".into(), Value::Int(20))],
            seed: 3,
        });
        wait_for(&events, |e| {
            matches!(
                e,
                WorkerEvent::Report {
                    state: RunState::Done,
                    ..
                }
            )
        });
        let last = events.lock().unwrap().iter().rev().find_map(|e| match e {
            WorkerEvent::Report { report, .. } => Some(report.clone()),
            _ => None,
        });
        let report = last.unwrap();
        assert_eq!(report.seed, 3);
        assert_eq!(report.series("grad_norm").len(), 21);
    }

    #[test]
    fn sweep_points_arrive_then_done() {
        let (emit, events) = collect();
        let worker = WorkerHandle::spawn(emit);
        let plan = SweepPlan {
            lab: LabId::Rnn,
            assignments: vec![],
            values_set: vec![("horizon".into(), Value::Int(10))],
            param: "spectral_norm".into(),
            values: vec![0.5, 1.0, 2.0],
            metric: "log10_final_ratio".into(),
            steps: Some(0),
            seed: 0,
        };
        worker.send(Command::Sweep { id: 7, plan });
        wait_for(&events, |e| {
            matches!(e, WorkerEvent::SweepDone { id: 7, .. })
        });
        let n = events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| matches!(e, WorkerEvent::SweepPoint { id: 7, .. }))
            .count();
        assert_eq!(n, 3);
    }
}
