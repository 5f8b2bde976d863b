//! The interactive terminal UI: terminal setup and restore, and the live event loop.
//!
//! Data flow: keys → [`keymap`] → [`action::Action`] → [`update`] (the only place the
//! [`app::App`] changes) → [`worker::Command`]s for the worker, through a [`driver`]; the
//! worker's reports come back as events through the same channel as keys and [`view`] draws
//! the App. The UI thread blocks on that channel, so it uses no CPU while paused or done,
//! and redraws at most ~30 times a second while the lab runs.
//!
//! The terminal is restored on every way out: quit (q, Ctrl-C), SIGTERM/SIGINT/SIGHUP (then
//! the exit code is 128 + the signal), an error (a guard's `Drop`) and a panic (a hook that
//! restores, reports and exits). Ctrl-Z and SIGTSTP suspend with the terminal restored; `fg`
//! resumes with raw mode and a full redraw.

pub mod action;
pub mod app;
pub mod driver;
pub mod fixture;
pub mod inline;
pub mod keymap;
pub mod panes;
pub mod share;
pub mod speed;
pub mod theme;
pub mod update;
pub mod view;
pub mod widgets;
pub mod worker;

use crate::run::RunSpec;
use action::Action;
use anyhow::Result;
use app::{App, Overlay};
use crossterm::event::{Event, KeyEvent};
use crossterm::{cursor, execute, terminal};
use driver::{Driver, FRAME, Threaded};
use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend};
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::Instant;
use theme::ThemeName;

/// Everything the UI thread waits for.
#[derive(Debug)]
pub enum UiEvent {
    Key(KeyEvent),
    Resize(u16, u16),
    Worker(worker::WorkerEvent),
    /// SIGTERM, SIGINT or SIGHUP (the signal number).
    Terminate(i32),
    /// SIGTSTP from outside (`kill -TSTP`).
    Suspend,
}

fn restore_terminal() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
}

fn enter_terminal() -> std::io::Result<()> {
    terminal::enable_raw_mode()?;
    execute!(
        std::io::stdout(),
        terminal::EnterAlternateScreen,
        cursor::Hide
    )
}

/// Restores the terminal when dropped: on return and on error.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Start the TUI on `spec` (checked by the caller). Returns the process exit code: 0, or
/// 128 + the signal that ended it.
pub fn run(spec: RunSpec, theme: ThemeName) -> Result<u8> {
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
    enter_terminal()?;
    let _guard = TerminalGuard;
    let mut term = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    full_redraw(&mut term)?;
    let (tx, rx) = mpsc::channel();
    spawn_input(tx.clone())?;
    spawn_signals(tx.clone())?;
    let emit_tx = tx.clone();
    let mut driver = Threaded::spawn(Arc::new(move |e| {
        let _ = emit_tx.send(UiEvent::Worker(e));
    }))?;
    let size = term.size()?;
    let mut app = App::new(spec, theme);
    driver.send(update::update(
        &mut app,
        Action::Resize(size.width, size.height),
    ));
    driver.send(update::update(&mut app, Action::Start));
    event_loop(&mut term, app, &mut driver, &rx)
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
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGTSTP};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGINT, SIGHUP, SIGTSTP])?;
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

/// Restore the terminal, stop the process as SIGTSTP would, and take the terminal back when
/// the shell continues it. Returns the terminal's size then (it may have changed).
fn suspend<B: Backend>(term: &mut Terminal<B>) -> Result<(u16, u16)>
where
    B::Error: Send + Sync + 'static,
{
    restore_terminal();
    signal_hook::low_level::emulate_default_handler(signal_hook::consts::SIGTSTP)?;
    enter_terminal()?;
    full_redraw(term)
}

/// Clear the screen and make the next draw repaint every cell. (`Terminal::clear` would ask
/// the terminal for the cursor position, and the input thread would take the answer.)
fn full_redraw<B: Backend>(term: &mut Terminal<B>) -> Result<(u16, u16)>
where
    B::Error: Send + Sync + 'static,
{
    let size = term.size()?;
    term.resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))?;
    Ok((size.width, size.height))
}

/// The loop: wait for an event, update, redraw when something changed and a frame's time
/// has passed. Returns the exit code.
fn event_loop<B: Backend>(
    term: &mut Terminal<B>,
    mut app: App,
    driver: &mut dyn Driver,
    rx: &mpsc::Receiver<UiEvent>,
) -> Result<u8>
where
    B::Error: Send + Sync + 'static,
{
    let mut last_draw: Option<Instant> = None;
    let mut dirty = true;
    let mut exit = 0u8;
    while !app.quit_requested() {
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
        let action = match event {
            UiEvent::Key(key) => keymap::map(app.mode(), &key),
            UiEvent::Resize(w, h) => Some(Action::Resize(w, h)),
            UiEvent::Worker(e) => {
                update::on_worker(&mut app, e);
                None
            }
            UiEvent::Terminate(sig) => {
                exit = 128u8.saturating_add(u8::try_from(sig).unwrap_or(0));
                Some(Action::Quit)
            }
            UiEvent::Suspend => Some(Action::Suspend),
        };
        let Some(action) = action else { continue };
        if action == Action::Suspend {
            let (w, h) = suspend(term)?;
            driver.send(update::update(&mut app, Action::Resize(w, h)));
            last_draw = None;
            continue;
        }
        let sharing = app.overlay() == Some(Overlay::Share);
        driver.send(update::update(&mut app, action));
        if !sharing && app.overlay() == Some(Overlay::Share) {
            copy_to_clipboard(&share::commands(app.lab().spec())[0]);
        }
    }
    Ok(exit)
}

/// Ask the terminal to copy `text` (OSC 52); terminals without it ignore the sequence.
fn copy_to_clipboard(text: &str) {
    let mut out = std::io::stdout();
    let _ = out.write_all(share::osc52(text).as_bytes());
    let _ = out.flush();
}
