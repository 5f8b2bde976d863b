//! The interactive terminal UI: terminal setup and restore, and the live event loop.
//!
//! Data flow: keys → [`keymap`] → [`action::Action`] → [`update`] (the only place the
//! [`app::App`] changes) → [`worker::Command`]s for the worker, through a [`driver`]; the
//! worker's reports come back as events through the same channel as keys and [`view`] draws
//! the App. The UI thread blocks on that channel, so it uses no CPU while paused or done,
//! and redraws at most ~30 times a second while the lab runs.
//!
//! [`shell::Shell`] is the one way events reach the App, for every loop: [`terminal`] owns
//! the real terminal (and tees it into a recording); [`live`] is the event loop around the
//! shell; [`inline`] drives the same shell on one thread with a virtual clock.
//!
//! The terminal is restored on every way out: quit (q, Ctrl-C), SIGTERM/SIGINT/SIGHUP/SIGQUIT (then
//! the exit code is 128 + the signal), an error (a guard's `Drop`) and a panic (a hook that
//! restores, reports and exits). Ctrl-Z and SIGTSTP suspend with the terminal restored; `fg`
//! resumes with raw mode and a full redraw.

pub mod action;
pub mod app;
pub mod config;
pub mod driver;
pub mod fixture;
pub mod inline;
pub mod input;
pub mod keymap;
pub mod launch;
pub mod live;
pub mod model;
pub mod pace;
pub mod panes;
pub mod playback;
pub mod raster;
pub mod share;
pub mod shell;
pub mod speed;
pub mod svg;
pub mod terminal;
pub mod theme;
pub mod update;
pub mod view;
pub mod widgets;
pub mod worker;

use crate::run::RunSpec;
use anyhow::Result;
use app::App;
use crossterm::event::Event;
use driver::Threaded;
use live::{Live, LiveDemo, Timeline};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::mpsc::{self, Sender};
use terminal::{NewRecording, Recording, ScreenRecorder, TeeOut};
use theme::ThemeName;
use update::cue::Cue;

pub use shell::UiEvent;

/// How the live TUI starts: the open lab's run, the theme, the speed, every lab's defaults.
pub struct Start {
    pub spec: RunSpec,
    pub theme: ThemeName,
    pub speed: speed::Speed,
    /// The other labs' starting parameters (the config file's).
    pub labs: Vec<RunSpec>,
    /// The config file and every problem it has, shown on the first frame.
    pub problems: Option<(String, Vec<String>)>,
}

/// A demo to play live: its cues, the speed, and a recording to start with.
pub struct DemoPlay {
    pub cues: Vec<(usize, Cue)>,
    pub speed: f64,
    pub record: Option<Box<dyn Recording>>,
}

/// Start the TUI on `spec` (checked by the caller). `new_recording` makes the file the `R`
/// key records to. Returns the process exit code: 0, or 128 + the signal that ended it.
pub fn run(start: Start, new_recording: NewRecording) -> Result<u8> {
    run_live(start, new_recording, None)
}

/// Play a demo in the live TUI (keys go through the real keymap; Space pauses the demo,
/// ←/→ jump to its chapters, ? lists them).
pub fn run_demo(start: Start, new_recording: NewRecording, demo: DemoPlay) -> Result<u8> {
    run_live(start, new_recording, Some(demo))
}

fn run_live(start: Start, new_recording: NewRecording, demo: Option<DemoPlay>) -> Result<u8> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        crate::error::usage_bail!(
            "the TUI needs a terminal (stdin/stdout are not a tty); for scripts use `gradscope run` or `gradscope sweep`, for recordings `gradscope demo --headless`"
        );
    }
    // A panic anywhere (UI or worker) restores the terminal, reports, and ends the process:
    // a UI with a dead worker or a raw-mode shell is worse than an exit.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        terminal::restore();
        previous(info);
        std::process::exit(101);
    }));
    let recorder = ScreenRecorder::default();
    let (tape, start_recording) = match demo {
        Some(d) => (Some(playback::Tape::new(d.cues, d.speed)), d.record),
        None => (None, None),
    };
    let guard = terminal::Guard;
    terminal::enter()?;
    let mut term = Terminal::new(CrosstermBackend::new(TeeOut::new(recorder.clone())))?;
    if let Some(rec) = start_recording {
        recorder.start(rec);
    }
    terminal::full_redraw(&mut term)?;
    let (tx, rx) = mpsc::channel();
    spawn_input(tx.clone())?;
    spawn_signals(tx.clone())?;
    let emit_tx = tx.clone();
    let emit: worker::Emit = Arc::new(move |e| {
        let _ = emit_tx.send(UiEvent::Worker(e));
    });
    let driver = Threaded::spawn(emit.clone())?;
    let size = term.size()?;
    let mut app = App::configured(start.spec, start.theme, start.speed, &start.labs);
    // Every problem of the config file, on the first frame (demos never read it).
    if let Some((file, problems)) = &start.problems {
        update::config_problems(&mut app, file, problems);
    }
    // A demo shows its HUD; a jump replays it from the App it started from.
    let demo = tape.map(|tape| {
        let initial = app.clone();
        update::demo::start(&mut app, tape.hud());
        LiveDemo {
            timeline: Timeline::new(tape),
            initial,
            emit,
            replaying: None,
        }
    });
    let mut shell = shell::Shell::start(app, driver, (size.width, size.height));
    if recorder.is_on() {
        shell.recording(Some("recording".into()));
    }
    let mut live = Live {
        rx: &rx,
        recorder,
        new_recording,
        demo,
    };
    let outcome = live::run(&mut term, &mut shell, &mut live);
    drop(guard);
    let (code, notes) = outcome?;
    for note in notes {
        eprintln!("{note}");
    }
    Ok(code)
}

fn spawn_input(tx: Sender<UiEvent>) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("gradscope-input".into())
        .spawn(move || {
            while let Ok(ev) = crossterm::event::read() {
                let sent = match ev {
                    Event::Key(k) => tx.send(UiEvent::Key(k)),
                    Event::Resize(w, h) => tx.send(UiEvent::Resize(w, h)),
                    _ => Ok(()),
                };
                if sent.is_err() {
                    break;
                }
            }
        })?;
    Ok(())
}

fn spawn_signals(tx: Sender<UiEvent>) -> Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGTSTP};
    // SIGQUIT (Ctrl-\) too: its default would end the process with the terminal raw.
    let mut signals =
        signal_hook::iterator::Signals::new([SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGTSTP])?;
    std::thread::Builder::new()
        .name("gradscope-signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                let event = if sig == SIGTSTP {
                    UiEvent::Suspend
                } else {
                    UiEvent::Terminate(sig)
                };
                if tx.send(event).is_err() {
                    break;
                }
            }
        })?;
    Ok(())
}
