//! The TUI driven inline, with a virtual clock: keys go through the real keymap and update,
//! the worker runs on this thread through the [`Inline`] driver, and frames are drawn into
//! any ratatui backend (a `TestBackend` for tests, a recording backend for the demo player).
//! The same keys and waits give the same frames, byte for byte.

use super::action::Action;
use super::app::App;
use super::driver::{Driver, FRAME, Inline};
use super::keymap::{self, parse_key};
use super::theme::ThemeName;
use super::update::cue::Cue;
use super::update::{on_worker, update};
use super::view;
use super::worker::WorkerEvent;
use crate::run::RunSpec;
use crossterm::event::KeyEvent;
use ratatui::Terminal;
use ratatui::backend::Backend;

/// The whole TUI on one thread.
pub struct InlineTui<B: Backend> {
    app: App,
    driver: Inline,
    term: Terminal<B>,
    /// Virtual seconds since the start.
    clock: f64,
    /// What the worker said failed since the last [`InlineTui::take_failures`].
    failures: Vec<String>,
}

impl<B: Backend> InlineTui<B> {
    /// The TUI on `spec`, its first run started (nothing drawn yet).
    pub fn new(spec: RunSpec, theme: ThemeName, backend: B) -> Result<Self, B::Error> {
        let mut term = Terminal::new(backend)?;
        let size = term.size()?;
        let mut app = App::new(spec, theme);
        let mut driver = Inline::new();
        driver.send(update(&mut app, Action::Resize(size.width, size.height)));
        driver.send(update(&mut app, Action::Start));
        term.clear()?;
        Ok(InlineTui {
            app,
            driver,
            term,
            clock: 0.0,
            failures: Vec::new(),
        })
    }

    /// A key event, through the keymap and update (its commands run at the next frame).
    pub fn key(&mut self, ev: &KeyEvent) {
        if let Some(action) = keymap::map(self.app.mode(), ev) {
            self.action(action);
        }
    }

    /// A key named as in demo scripts (`Right`, `Space`, `q`, …); false if the name is unknown.
    pub fn press(&mut self, name: &str) -> bool {
        match parse_key(name) {
            Some(ev) => {
                self.key(&ev);
                true
            }
            None => false,
        }
    }

    /// A demo cue, through update (its commands run at the next frame).
    pub fn cue(&mut self, cue: &Cue) -> Result<(), String> {
        let cmds = super::update::cue::apply(&mut self.app, cue)?;
        self.driver.send(cmds);
        Ok(())
    }

    /// An action, as if a key had said it.
    pub fn action(&mut self, action: Action) {
        let cmds = update(&mut self.app, action);
        self.driver.send(cmds);
    }

    /// One frame: the worker handles what was sent and advances by one frame of virtual
    /// time, its reports reach the App, and the frame is drawn.
    pub fn frame(&mut self) -> Result<(), B::Error> {
        let dt = FRAME.as_secs_f64();
        self.clock += dt;
        for event in self.driver.tick(dt) {
            if let Some(failure) = failure_of(&event) {
                self.failures.push(failure);
            }
            on_worker(&mut self.app, event);
        }
        self.term
            .draw(|f| view::render(&self.app, f.area(), f.buffer_mut()))?;
        Ok(())
    }

    /// Let `secs` of virtual time pass, frame by frame.
    pub fn advance(&mut self, secs: f64) -> Result<(), B::Error> {
        let frames = (secs / FRAME.as_secs_f64()).round().max(1.0) as u64;
        for _ in 0..frames {
            self.frame()?;
        }
        Ok(())
    }

    /// Run frames until the worker is idle (the run done or paused), at most `max_secs`.
    pub fn settle(&mut self, max_secs: f64) -> Result<(), B::Error> {
        let start = self.clock;
        self.frame()?;
        while self.driver.busy() && self.clock - start < max_secs {
            self.frame()?;
        }
        Ok(())
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    pub fn terminal(&self) -> &Terminal<B> {
        &self.term
    }

    pub fn terminal_mut(&mut self) -> &mut Terminal<B> {
        &mut self.term
    }

    /// Virtual seconds since the start.
    pub fn clock(&self) -> f64 {
        self.clock
    }

    /// Runs the worker has started (merging makes it one per frame at most).
    pub fn runs_started(&self) -> u64 {
        self.driver.runs_started()
    }

    /// Whether the worker has shut down.
    pub fn worker_stopped(&self) -> bool {
        self.driver.stopped()
    }

    /// The failures the worker reported since the last call (a run that could not start, a
    /// sweep or seeds that failed): the demo player turns them into errors of the line that
    /// caused them.
    pub fn take_failures(&mut self) -> Vec<String> {
        std::mem::take(&mut self.failures)
    }
}

/// The message of a worker event that reports a failure.
fn failure_of(event: &WorkerEvent) -> Option<String> {
    match event {
        WorkerEvent::Failed { message, .. } => Some(message.clone()),
        WorkerEvent::SweepDone { error: Some(e), .. } => Some(format!("the sweep failed: {e}")),
        WorkerEvent::SeedsDone { error: Some(e), .. } => Some(format!("the seeds failed: {e}")),
        _ => None,
    }
}
