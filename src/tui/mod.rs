//! The interactive terminal UI: terminal setup and restore, and the event loop.
//!
//! Data flow: keys → [`keymap`] → [`action::Action`] → [`update`] (the only place the
//! [`app::App`] changes) → [`worker::Command`]s for the lab's worker thread; the worker's
//! reports come back as events through the same channel and [`view`] draws the App. The UI
//! thread blocks on that channel, so it uses no CPU while paused or done, and redraws at most
//! ~30 times a second while the lab runs.
//!
//! The terminal is restored on every way out: quit (q, Ctrl-C), SIGTERM/SIGINT/SIGHUP,
//! an error (a guard's `Drop`) and a panic (a hook that restores, reports and exits).

pub mod action;
pub mod app;
pub mod keymap;
pub mod panes;
pub mod theme;
pub mod update;
pub mod view;
pub mod widgets;
pub mod worker;

use crate::cli::TuiArgs;
use crate::error::UsageError;
use crate::labs::{self, LabId};
use anyhow::Result;
use app::App;
use crossterm::event::{Event, KeyEvent};
use crossterm::{cursor, execute, terminal};
use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};
use theme::Theme;
use worker::WorkerHandle;

/// The shortest time between two frames (~30 redraws/s).
const FRAME: Duration = Duration::from_millis(33);

/// Everything the UI thread waits for.
#[derive(Debug)]
pub enum UiEvent {
    Key(KeyEvent),
    Resize,
    Worker(worker::WorkerEvent),
    /// SIGTERM, SIGINT or SIGHUP.
    Terminate,
}

/// Build the App from the command line, checking every argument before the terminal is
/// touched (so a mistake is a one-line error, exit 2).
pub fn app_from_args(args: &TuiArgs, no_color: Option<&str>) -> Result<App> {
    let lab = match &args.lab {
        Some(name) => LabId::parse(name)?,
        None => LabId::all()[0],
    };
    let assignments = crate::params::parse_assignments(&args.sets).map_err(UsageError::from)?;
    // Building the lab once checks the combination of parameters too.
    labs::build(lab, &assignments, args.seed).map_err(UsageError::from)?;
    let mut app = App::new(lab, Theme::initial(args.theme, no_color), args.seed);
    for (k, v) in &assignments {
        let value = app
            .lab()
            .params
            .spec(k)?
            .parse(v)
            .map_err(UsageError::from)?;
        app.lab_mut()
            .params
            .set(k, value)
            .map_err(UsageError::from)?;
    }
    Ok(app)
}

fn restore_terminal() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
}

/// Restores the terminal when dropped: on return and on error.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Start the TUI.
pub fn run(args: TuiArgs) -> Result<()> {
    let no_color = std::env::var("NO_COLOR").ok();
    let app = app_from_args(&args, no_color.as_deref())?;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        crate::usage_bail!(
            "the TUI needs a terminal (stdin/stdout are not a tty); for scripts use `gradscope run` or `gradscope sweep`"
        );
    }
    // A panic anywhere (UI or worker) restores the terminal, reports, and ends the process:
    // a UI with a dead worker or a raw-mode shell is worse than an exit.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
        std::process::exit(101);
    }));
    terminal::enable_raw_mode()?;
    let _guard = TerminalGuard;
    execute!(
        std::io::stdout(),
        terminal::EnterAlternateScreen,
        cursor::Hide
    )?;
    let mut term = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    term.clear()?;
    let (tx, rx) = mpsc::channel();
    spawn_input(tx.clone());
    spawn_signals(tx.clone())?;
    event_loop(&mut term, app, tx, rx)
}

fn spawn_input(tx: Sender<UiEvent>) {
    std::thread::Builder::new()
        .name("gradscope-input".into())
        .spawn(move || {
            while let Ok(ev) = crossterm::event::read() {
                let sent = match ev {
                    Event::Key(k) => tx.send(UiEvent::Key(k)),
                    Event::Resize(..) => tx.send(UiEvent::Resize),
                    _ => Ok(()),
                };
                if sent.is_err() {
                    break;
                }
            }
        })
        .expect("the OS can start a thread");
}

fn spawn_signals(tx: Sender<UiEvent>) -> Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGINT, SIGHUP])?;
    std::thread::Builder::new()
        .name("gradscope-signals".into())
        .spawn(move || {
            if signals.forever().next().is_some() {
                let _ = tx.send(UiEvent::Terminate);
            }
        })?;
    Ok(())
}

/// The loop: wait for an event, update, redraw when something changed and a frame's time
/// has passed. Generic over the backend so tests and recordings can drive it.
pub fn event_loop<B: Backend>(
    term: &mut Terminal<B>,
    mut app: App,
    tx: Sender<UiEvent>,
    rx: mpsc::Receiver<UiEvent>,
) -> Result<()>
where
    B::Error: Send + Sync + 'static,
{
    let worker = WorkerHandle::spawn(Arc::new(move |e| {
        let _ = tx.send(UiEvent::Worker(e));
    }));
    worker.send(update::load_command(&app));
    let mut last_draw: Option<Instant> = None;
    let mut dirty = true;
    while !app.quit {
        if dirty && last_draw.is_none_or(|t| t.elapsed() >= FRAME) {
            term.draw(|f| view::render(&app, f.area(), f.buffer_mut()))?;
            last_draw = Some(Instant::now());
            dirty = false;
        }
        let event = if dirty {
            let wait = FRAME.saturating_sub(last_draw.map_or(FRAME, |t| t.elapsed()));
            match rx.recv_timeout(wait) {
                Ok(e) => e,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => break,
            }
        } else {
            match rx.recv() {
                Ok(e) => e,
                Err(_) => break,
            }
        };
        dirty = true;
        match event {
            UiEvent::Key(key) => {
                if let Some(action) = keymap::map(app.mode(), &key) {
                    for cmd in update::update(&mut app, action) {
                        worker.send(cmd);
                    }
                }
            }
            UiEvent::Resize => {}
            UiEvent::Worker(e) => update::on_worker(&mut app, e),
            UiEvent::Terminate => app.quit = true,
        }
    }
    drop(worker);
    Ok(())
}
