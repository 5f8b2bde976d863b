//! The live event loop: wait for an event (a key, a resize, a worker report, a signal, or
//! the next cue of a demo), hand it to the [`Shell`], carry out the effects it asks for
//! (clipboard, SVG figures, recording, suspend, a demo's pause), and redraw when something
//! changed and a frame's time has passed.

use super::app::{App, Effect};
use super::driver::{Driver, FRAME};
use super::shell::{Shell, UiEvent};
use super::terminal::{NewRecording, ScreenRecorder, TeeOut, full_redraw, suspend};
use super::update::cue::Cue;
use super::{share, svg, view};
use anyhow::Result;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::Write;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// The terminal of the live TUI.
pub type LiveTerminal = Terminal<CrosstermBackend<TeeOut>>;

/// A demo being played live: its cues, paced by their waits.
pub struct Timeline {
    cues: Vec<(usize, Cue)>,
    next: usize,
    due: Instant,
    speed: f64,
    paused_at: Option<Instant>,
}

impl Timeline {
    pub fn new(cues: Vec<(usize, Cue)>, speed: f64) -> Timeline {
        Timeline {
            cues,
            next: 0,
            due: Instant::now(),
            speed,
            paused_at: None,
        }
    }

    fn finished(&self) -> bool {
        self.next >= self.cues.len()
    }

    /// Time until the next cue is due (none when paused or finished).
    fn wait(&self) -> Option<Duration> {
        (!self.finished() && self.paused_at.is_none())
            .then(|| self.due.saturating_duration_since(Instant::now()))
    }

    /// Pause or resume the demo itself.
    fn toggle(&mut self) {
        match self.paused_at.take() {
            Some(at) => self.due += at.elapsed(),
            None => self.paused_at = Some(Instant::now()),
        }
    }

    /// The cues due now, up to and including the next wait.
    fn due_cues(&mut self) -> Vec<(usize, Cue)> {
        let mut out = Vec::new();
        while self.paused_at.is_none() && !self.finished() && Instant::now() >= self.due {
            let (line, cue) = self.cues[self.next].clone();
            self.next += 1;
            if let Cue::Wait(secs) = cue {
                self.due = Instant::now() + Duration::from_secs_f64(secs / self.speed);
                break;
            }
            out.push((line, cue));
        }
        out
    }
}

/// What the loop needs besides the shell.
pub struct Live<'a> {
    pub rx: &'a mpsc::Receiver<UiEvent>,
    pub recorder: ScreenRecorder,
    pub new_recording: NewRecording,
    pub timeline: Option<Timeline>,
}

/// Run until quit. Returns the exit code and lines to print once the terminal is restored.
pub fn run<D: Driver>(
    term: &mut LiveTerminal,
    shell: &mut Shell<D>,
    live: &mut Live,
) -> Result<(u8, Vec<String>)> {
    let mut last_draw: Option<Instant> = None;
    let mut dirty = true;
    // Messages are logged with the time since the start.
    let started = Instant::now();
    while !shell.app().quit_requested() {
        let due = live.timeline.as_mut().map(Timeline::due_cues);
        for (line, cue) in due.unwrap_or_default() {
            match cue {
                Cue::Mark(label) => live.recorder.mark(&label),
                cue => {
                    shell.set_time(started.elapsed().as_secs_f64());
                    let effects = shell.handle(UiEvent::Cue { line, cue });
                    if carry_out(term, shell, live, effects)? {
                        last_draw = None;
                    }
                    dirty = true;
                }
            }
        }
        if dirty && last_draw.is_none_or(|t| t.elapsed() >= FRAME) {
            let drawn = term.draw(|f| view::render(shell.app(), f.area(), f.buffer_mut()))?;
            live.recorder.frame(drawn.buffer);
            last_draw = Some(Instant::now());
            dirty = false;
        }
        let cue_wait = live.timeline.as_ref().and_then(Timeline::wait);
        let frame_wait =
            dirty.then(|| FRAME.saturating_sub(last_draw.map_or(FRAME, |t| t.elapsed())));
        let wait = match (cue_wait, frame_wait) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let event = match wait {
            Some(wait) => match live.rx.recv_timeout(wait) {
                Ok(e) => e,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => break,
            },
            None => match live.rx.recv() {
                Ok(e) => e,
                Err(_) => break,
            },
        };
        dirty = true;
        shell.set_time(started.elapsed().as_secs_f64());
        let effects = shell.handle(event);
        if carry_out(term, shell, live, effects)? {
            last_draw = None;
        }
    }
    let mut notes = Vec::new();
    if let Some(saved) = live.recorder.stop() {
        notes.push(match saved {
            Ok(path) => format!("recorded {path}"),
            Err(e) => format!("error: the recording was not saved: {e}"),
        });
    }
    Ok((shell.exit_code(), notes))
}

/// Carry out what the shell asked of the outside world. Returns whether the screen must be
/// drawn again now (after a suspend).
fn carry_out<D: Driver>(
    term: &mut LiveTerminal,
    shell: &mut Shell<D>,
    live: &mut Live,
    effects: Vec<Effect>,
) -> Result<bool> {
    let mut redraw = false;
    for effect in effects {
        match effect {
            Effect::Clipboard(text) => {
                // OSC 52; terminals without it ignore the sequence.
                let mut out = std::io::stdout();
                let _ = out.write_all(share::osc52(&text).as_bytes());
                let _ = out.flush();
            }
            Effect::Figure { only } => {
                let result = write_figure(shell.app(), only);
                shell.effect_done(result);
            }
            Effect::SweepFigure => {
                let result = write_sweep(shell.app());
                shell.effect_done(result);
            }
            Effect::Screenshot => {
                let size = term.size()?;
                let result = write_screenshot(shell.app(), (size.width, size.height));
                shell.effect_done(result);
            }
            Effect::ToggleRecording => match live.recorder.stop() {
                Some(saved) => {
                    shell.recording(None);
                    shell.effect_done(saved.map(|path| format!("recorded {path}")));
                }
                None => {
                    let size = term.size()?;
                    match (live.new_recording)(size.width, size.height) {
                        Ok(rec) => {
                            live.recorder.start(rec);
                            // A recording starts with a whole frame, not a diff.
                            full_redraw(term)?;
                            shell.recording(Some("recording".into()));
                            shell.effect_done(Ok("recording: R stops and saves".into()));
                        }
                        Err(e) => shell.effect_done(Err(e)),
                    }
                }
            },
            Effect::Suspend => {
                let (w, h) = suspend(term)?;
                // A resize asks for nothing more.
                let _ = shell.handle(UiEvent::Resize(w, h));
                redraw = true;
            }
            // While a demo plays, Space pauses the demo itself (and the run with it).
            Effect::PauseToggled => {
                if let Some(timeline) = live.timeline.as_mut().filter(|t| !t.finished()) {
                    timeline.toggle();
                }
            }
            Effect::CueFailed { line, message } => {
                shell.effect_done(Err(format!("demo line {line}: {message}")));
            }
            // The status bar says so already.
            Effect::WorkerFailed(_) => {}
        }
    }
    Ok(redraw)
}

/// `gradscope-LAB[-WHAT]-YYYYMMDD-HHMMSS` (a file name for here, unique to the second).
fn stamped(app: &App, what: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!(
        "gradscope-{}{what}-{}",
        app.lab().id().name(),
        crate::fmt::utc_stamp(now)
    )
}

fn write(name: &str, bytes: &[u8]) -> Result<(), String> {
    crate::io::write_atomic(std::path::Path::new(name), bytes)
        .map_err(|e| crate::error::one_line(&e))
}

/// The zoomed figure, or every figure, as `gradscope-LAB-YYYYMMDD-HHMMSS.svg` here.
fn write_figure(app: &App, only: Option<usize>) -> Result<String, String> {
    let lab = app.lab();
    let report = lab.report().ok_or("nothing to draw yet")?;
    // As the screen shows it: the zoomed chart's x range, step axes over the run's length.
    let shown = svg::Shown {
        view: lab.view(),
        only,
        x_zoom: app.x_zoom(),
        total: super::view::run_length(app),
    };
    let svg = svg::pane_svg_with_seeds(lab.id(), report, lab.seeds(), app.theme(), shown)?;
    let name = format!("{}.svg", stamped(app, ""));
    write(&name, svg.as_bytes())?;
    Ok(format!("wrote {name}"))
}

/// The whole screen as `gradscope-LAB-YYYYMMDD-HHMMSS.png`, drawn again from the App by the
/// same render function the terminal's frames come from.
fn write_screenshot(app: &App, size: (u16, u16)) -> Result<String, String> {
    let png = super::raster::png::of_app(app, size)?;
    let name = format!("{}.png", stamped(app, ""));
    write(&name, &png)?;
    Ok(format!("wrote {name}"))
}

/// The open sweep as it is on screen (its points so far, the metric shown): its figure as
/// `gradscope-LAB-sweep-PARAM-….svg` and its points as the `.csv` beside it.
fn write_sweep(app: &App) -> Result<String, String> {
    let sweep = app.sweep().ok_or("no sweep is open")?;
    let what = match sweep.param2() {
        Some(p2) => format!("-map-{}-{p2}", sweep.param()),
        None => format!("-sweep-{}", sweep.param()),
    };
    let base = stamped(app, &what);
    let state = crate::tui::panes::sweep::state(sweep);
    let svg = svg::sweep_svg(sweep, &state, app.theme())?;
    let csv = crate::sweep::csv(&sweep.plan, &sweep.points)?;
    write(&format!("{base}.svg"), svg.as_bytes())?;
    write(&format!("{base}.csv"), &csv)?;
    Ok(format!("wrote {base}.svg and {base}.csv"))
}
