//! The seam between the event loop and the worker: [`Threaded`] runs a [`WorkerCore`] on its
//! own thread with the real clock (the live TUI: the UI thread never blocks on
//! computation); [`Inline`] runs it on the caller's thread with a virtual clock (the demo
//! player and tests: the same inputs give the same frames).

use super::worker::{Command, Emit, WorkerCore, WorkerEvent};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The time between two frames of a running lab (~30 redraws/s).
pub const FRAME: Duration = Duration::from_millis(33);
/// At `max` speed, how long the worker steps before it publishes and looks at its commands.
const SLICE: Duration = Duration::from_millis(25);

/// Where `update`'s commands go.
pub trait Driver {
    fn send(&mut self, cmds: Vec<Command>);
}

/// The worker on its own thread. Dropping it asks the thread to stop but does not wait: a
/// quit never waits for a step or a reset in progress (the process is about to end).
pub struct Threaded {
    tx: Sender<Command>,
}

impl Threaded {
    /// Start the worker thread; its events go to `emit`.
    pub fn spawn(emit: Emit) -> std::io::Result<Threaded> {
        Threaded::run(WorkerCore::new(emit, true))
    }

    /// Go on with the runs of an inline driver (a demo replayed to a chapter on the
    /// virtual clock) on a thread of their own, in real time; its events go to `emit`, and
    /// what was sent to it but not yet handled is its first batch.
    pub fn adopt(inline: Inline, emit: Emit) -> std::io::Result<Threaded> {
        let (mut core, queued) = inline.into_parts();
        core.rewire(emit, true);
        let mut threaded = Threaded::run(core)?;
        threaded.send(queued);
        Ok(threaded)
    }

    fn run(core: WorkerCore) -> std::io::Result<Threaded> {
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("gradscope-worker".into())
            .spawn(move || worker_loop(core, rx))?;
        Ok(Threaded { tx })
    }
}

impl Driver for Threaded {
    fn send(&mut self, cmds: Vec<Command>) {
        for cmd in cmds {
            // A closed channel means the worker has stopped; nothing left to tell it.
            let _ = self.tx.send(cmd);
        }
    }
}

impl Drop for Threaded {
    fn drop(&mut self) {
        let _ = self.tx.send(Command::Shutdown);
    }
}

/// Wait for commands (without a timeout when idle: no CPU while paused or done), take every
/// queued one as one batch, and step one frame at a time while running, sleeping between
/// frames.
fn worker_loop(mut core: WorkerCore, rx: Receiver<Command>) {
    let mut last_frame = Instant::now();
    loop {
        let first = if core.busy() {
            let wait = FRAME.saturating_sub(last_frame.elapsed());
            match rx.recv_timeout(wait) {
                Ok(cmd) => Some(cmd),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        } else {
            match rx.recv() {
                Ok(cmd) => Some(cmd),
                Err(_) => return,
            }
        };
        if let Some(first) = first {
            let was_busy = core.busy();
            let batch: Vec<Command> = std::iter::once(first).chain(rx.try_iter()).collect();
            if !core.handle(batch) {
                return;
            }
            if !was_busy {
                // A run that just started or resumed owes nothing for the idle time.
                last_frame = Instant::now();
            }
        }
        if core.busy() && last_frame.elapsed() >= FRAME {
            let now = Instant::now();
            let dt = now.duration_since(last_frame).as_secs_f64();
            last_frame = now;
            core.frame(dt, Some(now + SLICE));
        }
    }
}

/// The worker on the caller's thread, advanced by [`Inline::tick`] with virtual time.
pub struct Inline {
    core: WorkerCore,
    queue: Vec<Command>,
    events: Arc<Mutex<Vec<WorkerEvent>>>,
    stopped: bool,
}

impl Default for Inline {
    fn default() -> Self {
        Self::new()
    }
}

impl Inline {
    pub fn new() -> Inline {
        let events: Arc<Mutex<Vec<WorkerEvent>>> = Arc::default();
        let sink = events.clone();
        let emit: Emit = Arc::new(move |e| {
            if let Ok(mut q) = sink.lock() {
                q.push(e);
            }
        });
        Inline {
            core: WorkerCore::new(emit, false),
            queue: Vec::new(),
            events,
            stopped: false,
        }
    }

    /// Handle what was sent since the last tick (as one batch), then let `dt` seconds of
    /// virtual time pass. Returns what the worker reported.
    pub fn tick(&mut self, dt: f64) -> Vec<WorkerEvent> {
        if !self.stopped {
            if !self.queue.is_empty() {
                let batch = std::mem::take(&mut self.queue);
                self.stopped = !self.core.handle(batch);
            }
            if !self.stopped && self.core.busy() {
                self.core.frame(dt, None);
            }
        }
        self.events
            .lock()
            .map(|mut q| std::mem::take(&mut *q))
            .unwrap_or_default()
    }

    /// The worker and what was sent to it since the last tick.
    pub fn into_parts(self) -> (WorkerCore, Vec<Command>) {
        (self.core, self.queue)
    }

    /// Whether frames would advance anything.
    pub fn busy(&self) -> bool {
        !self.stopped && (self.core.busy() || !self.queue.is_empty())
    }

    /// How many labs have a run kept (the shown one included).
    pub fn runs_kept(&self) -> usize {
        self.core.runs_kept()
    }

    /// Runs started so far (merging makes this one per batch at most).
    pub fn runs_started(&self) -> u64 {
        self.core.runs_started
    }
}

impl Driver for Inline {
    fn send(&mut self, cmds: Vec<Command>) {
        self.queue.extend(cmds);
    }
}
