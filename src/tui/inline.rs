//! The TUI driven inline, with a virtual clock: keys, cues and worker reports go through the
//! same [`Shell`] as in the live TUI, the worker runs on this thread through the [`Inline`]
//! driver, and frames are drawn into any ratatui backend (a `TestBackend` for tests, a
//! recording backend for the demo player).
//! The same keys and waits give the same frames, byte for byte.

use super::app::{App, Effect};
use super::driver::{FRAME, Inline};
use super::keymap::parse_key;
use super::shell::{Shell, UiEvent};
use super::theme::ThemeName;
use super::update::cue::Cue;
use super::view;
use crate::run::RunSpec;
use crossterm::event::KeyEvent;
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::buffer::Buffer;

/// The whole TUI on one thread.
pub struct InlineTui<B: Backend> {
    shell: Shell<Inline>,
    term: Terminal<B>,
    /// Virtual seconds since the start.
    clock: f64,
    /// What the worker said failed since the last [`InlineTui::take_failures`].
    failures: Vec<String>,
    /// The other effects the shell asked for (nothing here carries them out: no clipboard,
    /// files or suspending); [`InlineTui::cue`] finds a cue's failure among them.
    effects: Vec<Effect>,
}

impl<B: Backend> InlineTui<B> {
    /// The TUI on `spec`, its first run started (nothing drawn yet).
    pub fn new(spec: RunSpec, theme: ThemeName, backend: B) -> Result<Self, B::Error> {
        Self::with_app(App::new(spec, theme), backend)
    }

    /// The TUI on an App built by the caller (the config's defaults and problems), its first
    /// run started (nothing drawn yet).
    pub fn with_app(app: App, backend: B) -> Result<Self, B::Error> {
        let mut term = Terminal::new(backend)?;
        let size = term.size()?;
        let shell = Shell::start(app, Inline::new(), (size.width, size.height));
        term.clear()?;
        Ok(InlineTui {
            shell,
            term,
            clock: 0.0,
            failures: Vec::new(),
            effects: Vec::new(),
        })
    }

    /// An event through the shell (its commands run at the next frame).
    pub fn handle(&mut self, event: UiEvent) {
        self.shell.set_time(self.clock);
        for effect in self.shell.handle(event) {
            match effect {
                Effect::WorkerFailed(failure) => self.failures.push(failure),
                other => self.effects.push(other),
            }
        }
    }

    /// A key event, through the keymap and update (its commands run at the next frame).
    pub fn key(&mut self, ev: &KeyEvent) {
        self.handle(UiEvent::Key(*ev));
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

    /// A demo cue of script line `line`, through the shell (its commands run at the next
    /// frame); an error says why it cannot apply now.
    pub fn cue(&mut self, line: usize, cue: &Cue) -> Result<(), String> {
        self.handle(UiEvent::Cue {
            line,
            cue: cue.clone(),
        });
        let failed = self
            .effects
            .iter()
            .position(|e| matches!(e, Effect::CueFailed { line: l, .. } if *l == line));
        match failed.map(|i| self.effects.remove(i)) {
            Some(Effect::CueFailed { message, .. }) => Err(message),
            _ => Ok(()),
        }
    }

    /// One frame: the worker handles what was sent and advances by one frame of virtual
    /// time, its reports reach the App through the shell, and the frame is drawn.
    pub fn frame(&mut self) -> Result<(), B::Error> {
        self.frame_seen(|_, _| {})
    }

    /// One frame, as [`InlineTui::frame`], its virtual time and screen handed to `seen` (a
    /// GIF recording).
    pub fn frame_seen(&mut self, seen: impl FnOnce(f64, &Buffer)) -> Result<(), B::Error> {
        self.tick();
        self.draw_seen(seen)
    }

    /// A frame's time without drawing it (a demo replayed to a chapter draws only where
    /// it lands).
    pub fn tick(&mut self) {
        let dt = FRAME.as_secs_f64();
        self.clock += dt;
        for event in self.shell.driver_mut().tick(dt) {
            self.handle(UiEvent::Worker(event));
        }
    }

    /// Draw the App as it is now (no time passes).
    pub fn draw(&mut self) -> Result<(), B::Error> {
        self.draw_seen(|_, _| {})
    }

    /// Draw the App as it is now, the screen handed to `seen` with the virtual time.
    fn draw_seen(&mut self, seen: impl FnOnce(f64, &Buffer)) -> Result<(), B::Error> {
        let app = self.shell.app();
        let drawn = self
            .term
            .draw(|f| view::render(app, f.area(), f.buffer_mut()))?;
        seen(self.clock, drawn.buffer);
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
        while self.shell.driver().busy() && self.clock - start < max_secs {
            self.frame()?;
        }
        Ok(())
    }

    pub fn app(&self) -> &App {
        self.shell.app()
    }

    pub fn terminal(&self) -> &Terminal<B> {
        &self.term
    }

    /// Virtual seconds since the start.
    pub fn clock(&self) -> f64 {
        self.clock
    }

    /// Runs the worker has started (merging makes it one per frame at most).
    pub fn runs_started(&self) -> u64 {
        self.shell.driver().runs_started()
    }

    /// How many labs have a run the worker keeps (the shown one included).
    pub fn runs_kept(&self) -> usize {
        self.shell.driver().runs_kept()
    }

    /// The failures the worker reported since the last call (a run that could not start, a
    /// sweep or seeds that failed): the demo player turns them into errors of the line that
    /// caused them.
    pub fn take_failures(&mut self) -> Vec<String> {
        std::mem::take(&mut self.failures)
    }

    /// The effects the shell asked for since the last call (clipboard, figures, recording,
    /// a screenshot, suspend, a demo's jump), in order.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    /// The shell (a demo's player tells it where the demo is).
    pub fn shell_mut(&mut self) -> &mut Shell<Inline> {
        &mut self.shell
    }

    /// Go on from `app`, `driver` and `clock` (a demo replayed to a chapter): the terminal
    /// stays, and its next draw shows the new App.
    pub fn replace(&mut self, app: App, driver: Inline, clock: f64) {
        self.shell.replace(app, driver);
        self.clock = clock;
        self.failures.clear();
        self.effects.clear();
    }

    /// The App, the driver with its worker, and the virtual clock.
    pub fn into_parts(self) -> (App, Inline, f64) {
        let (app, driver) = self.shell.into_parts();
        (app, driver, self.clock)
    }

    /// The terminal's size.
    pub fn size(&self) -> Result<(u16, u16), B::Error> {
        let size = self.term.size()?;
        Ok((size.width, size.height))
    }
}
