//! The live event loop: wait for an event (a key, a resize, a worker report, a signal, or
//! the next cue of a demo), hand it to the [`Shell`], carry out the effects it asks for
//! (clipboard, SVG figures, recording, suspend, a demo's jump to a chapter), and redraw when
//! something changed and a frame's time has passed. A demo's timeline follows the HUD's
//! pause and tells the HUD where the demo is.

use super::app::{App, Effect};
use super::driver::{FRAME, Threaded};
use super::playback::{self, Tape};
use super::shell::{Shell, UiEvent};
use super::terminal::{NewRecording, ScreenRecorder, TeeOut, full_redraw, suspend};
use super::update::cue::Cue;
use super::worker::Emit;
use super::{share, svg, view};
use anyhow::Result;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::Write;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// The terminal of the live TUI.
pub type LiveTerminal = Terminal<CrosstermBackend<TeeOut>>;

/// A demo being played live: its cues, paced by their waits in real time.
pub struct Timeline {
    tape: Tape,
    next: usize,
    /// When the next cue is due.
    due: Instant,
    /// Seconds into the demo at `due` (the waits so far).
    due_at: f64,
    /// The length of the wait before `due`, in seconds.
    wait_len: f64,
    paused_at: Option<Instant>,
}

impl Timeline {
    pub fn new(tape: Tape) -> Timeline {
        Timeline {
            tape,
            next: 0,
            due: Instant::now(),
            due_at: 0.0,
            wait_len: 0.0,
            paused_at: None,
        }
    }

    fn finished(&self) -> bool {
        self.next >= self.tape.cues().len()
    }

    /// Seconds into the demo, pauses excluded.
    fn position(&self) -> f64 {
        let now = self.paused_at.unwrap_or_else(Instant::now);
        let left = self.due.saturating_duration_since(now).as_secs_f64();
        (self.due_at - left.min(self.wait_len)).max(0.0)
    }

    /// Time until the next cue is due or the HUD's clock turns over (none when paused or
    /// finished).
    fn wait(&self) -> Option<Duration> {
        if self.finished() || self.paused_at.is_some() {
            return None;
        }
        let cue = self.due.saturating_duration_since(Instant::now());
        let pos = self.position();
        let second = Duration::from_secs_f64((pos.floor() + 1.0 - pos).max(0.001));
        Some(cue.min(second))
    }

    /// Pause or resume the demo itself (the App's HUD says which).
    fn set_paused(&mut self, paused: bool) {
        match (paused, self.paused_at) {
            (true, None) => self.paused_at = Some(Instant::now()),
            (false, Some(at)) => {
                self.due += at.elapsed();
                self.paused_at = None;
            }
            _ => {}
        }
    }

    /// Go on from cue `next`, `position` seconds into the demo (after a jump).
    fn resume_at(&mut self, next: usize, position: f64) {
        self.next = next;
        self.due = Instant::now();
        self.due_at = position;
        self.wait_len = 0.0;
        self.paused_at = None;
    }

    /// The cues due now (with their index), up to and including the next wait.
    fn due_cues(&mut self) -> Vec<(usize, usize, Cue)> {
        let mut out = Vec::new();
        while self.paused_at.is_none() && !self.finished() && Instant::now() >= self.due {
            let index = self.next;
            let (line, cue) = self.tape.cues()[index].clone();
            self.next += 1;
            if let Cue::Wait(secs) = cue {
                self.wait_len = secs / self.tape.speed();
                self.due_at += self.wait_len;
                self.due = Instant::now() + Duration::from_secs_f64(self.wait_len);
                break;
            }
            out.push((index, line, cue));
        }
        out
    }
}

/// A demo playing live: its timeline, and what a jump replays from.
pub struct LiveDemo {
    pub timeline: Timeline,
    /// The App the demo started from (a jump replays the demo from it).
    pub initial: App,
    /// Where a worker's events go (a jump starts a worker of its own).
    pub emit: Emit,
    /// A jump being replayed on its own thread: where it goes, and its result to come.
    pub replaying: Option<Replaying>,
}

/// A jump under way: the replay runs on its own thread, so the UI keeps drawing and
/// answering (the demo waits; keys other than quitting wait too: they would act on the
/// screen the jump is about to replace).
pub struct Replaying {
    to: String,
    result: mpsc::Receiver<Result<playback::Landed, String>>,
}

/// What the loop needs besides the shell.
pub struct Live<'a> {
    pub rx: &'a mpsc::Receiver<UiEvent>,
    pub recorder: ScreenRecorder,
    pub new_recording: NewRecording,
    pub demo: Option<LiveDemo>,
}

/// Run until quit. Returns the exit code and lines to print once the terminal is restored.
pub fn run(
    term: &mut LiveTerminal,
    shell: &mut Shell<Threaded>,
    live: &mut Live,
) -> Result<(u8, Vec<String>)> {
    let mut last_draw: Option<Instant> = None;
    let mut dirty = true;
    // Messages are logged with the time since the start.
    let started = Instant::now();
    // The HUD's clock as last drawn (whole seconds).
    let mut hud_second = None;
    while !shell.app().quit_requested() {
        let due = match live.demo.as_mut() {
            Some(demo) => {
                if let Some(done) = demo.replaying.as_ref().and_then(|r| {
                    r.result
                        .try_recv()
                        .ok()
                        .map(|landed| (r.to.clone(), landed))
                }) {
                    demo.replaying = None;
                    land(shell, demo, done)?;
                    last_draw = None;
                    dirty = true;
                }
                let timeline = &mut demo.timeline;
                timeline.set_paused(
                    demo.replaying.is_some() || shell.app().demo().is_some_and(|d| d.paused),
                );
                let cues = timeline.due_cues();
                cues.into_iter()
                    .map(|(index, line, cue)| (timeline.tape.chapter_of_cue(index), line, cue))
                    .collect()
            }
            None => Vec::new(),
        };
        for (chapter, line, cue) in due {
            match cue {
                Cue::Mark(label) => {
                    live.recorder.mark(&label);
                    if let Some(k) = chapter {
                        shell.demo_chapter(k);
                    }
                }
                cue => {
                    shell.set_time(started.elapsed().as_secs_f64());
                    let effects = shell.handle(UiEvent::Cue { line, cue });
                    if carry_out(term, shell, live, effects)? {
                        last_draw = None;
                    }
                }
            }
            dirty = true;
        }
        if let Some(demo) = live.demo.as_ref() {
            let timeline = &demo.timeline;
            if timeline.finished() && shell.app().demo().is_some_and(|d| !d.finished) {
                shell.demo_finished();
            }
            if !timeline.finished() {
                shell.demo_position(timeline.position());
            }
            let second = shell.app().demo().map(|d| d.position.floor() as u64);
            dirty |= second != hud_second;
            hud_second = second;
        }
        if dirty && last_draw.is_none_or(|t| t.elapsed() >= FRAME) {
            let drawn = term.draw(|f| view::render(shell.app(), f.area(), f.buffer_mut()))?;
            live.recorder.frame(drawn.buffer);
            last_draw = Some(Instant::now());
            dirty = false;
        }
        let cue_wait = live.demo.as_ref().and_then(|d| d.timeline.wait());
        let frame_wait =
            dirty.then(|| FRAME.saturating_sub(last_draw.map_or(FRAME, |t| t.elapsed())));
        // A replay in flight is looked at every frame.
        let replay_wait = live
            .demo
            .as_ref()
            .and_then(|d| d.replaying.as_ref())
            .map(|_| FRAME);
        let wait = [cue_wait, frame_wait, replay_wait]
            .into_iter()
            .flatten()
            .min();
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
        if let (UiEvent::Key(key), Some(r)) = (
            &event,
            live.demo.as_ref().and_then(|d| d.replaying.as_ref()),
        ) && !is_quit(key)
        {
            shell.effect_done(Ok(format!("replaying the demo to {}… (q quits)", r.to)));
            continue;
        }
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

/// Replay the demo from its start to `chapter` on the virtual clock, on a thread of its own
/// (a replay takes as long as the labs' work up to there; the UI goes on drawing and says
/// where it is going); [`land`] goes on live from there once it is done.
fn jump(
    term: &mut LiveTerminal,
    shell: &mut Shell<Threaded>,
    live: &mut Live,
    chapter: Option<usize>,
) -> Result<()> {
    let Some(demo) = live.demo.as_mut() else {
        return Ok(());
    };
    if let Some(r) = &demo.replaying {
        shell.effect_done(Ok(format!("replaying the demo to {}…", r.to)));
        return Ok(());
    }
    let to = chapter
        .and_then(|k| {
            demo.timeline
                .tape
                .chapters()
                .get(k)
                .map(|c| c.label.clone())
        })
        .map_or("the start".to_string(), |label| format!("'{label}'"));
    shell.effect_done(Ok(format!("replaying the demo to {to}…")));
    let size = term.size()?;
    let (tape, initial, before) = (
        demo.timeline.tape.clone(),
        demo.initial.clone(),
        shell.app().clone(),
    );
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("demo-replay".into())
        .spawn(move || {
            // As in a headless play: the replayed frames must not depend on the machine's
            // speed.
            crate::clock::withhold_on_this_thread(true);
            let landed =
                playback::replay(&tape, &initial, (size.width, size.height), chapter, &before);
            let _ = tx.send(landed);
        })?;
    demo.replaying = Some(Replaying { to, result: rx });
    Ok(())
}

/// Go on live from a finished replay: the replayed App, its runs handed to a new worker
/// thread, the timeline at the cue after the chapter's mark. The old worker stops; its last
/// reports are stale.
fn land(
    shell: &mut Shell<Threaded>,
    demo: &mut LiveDemo,
    (to, landed): (String, Result<playback::Landed, String>),
) -> Result<()> {
    match landed {
        Ok(landed) => {
            let driver = Threaded::adopt(landed.driver, demo.emit.clone())?;
            drop(shell.replace(landed.app, driver));
            demo.timeline.resume_at(landed.next, landed.position);
        }
        Err(e) => shell.effect_done(Err(format!("the jump to {to} failed: {e}"))),
    }
    Ok(())
}

/// q and Ctrl-C: the keys that still act while a jump is replayed.
fn is_quit(key: &crossterm::event::KeyEvent) -> bool {
    use crossterm::event::{KeyCode, KeyModifiers};
    match key.code {
        KeyCode::Char('q') => true,
        KeyCode::Char('c') => key.modifiers.contains(KeyModifiers::CONTROL),
        _ => false,
    }
}

/// Carry out what the shell asked of the outside world. Returns whether the screen must be
/// drawn again now (after a suspend).
fn carry_out(
    term: &mut LiveTerminal,
    shell: &mut Shell<Threaded>,
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
            Effect::DemoJump { chapter } => {
                jump(term, shell, live, chapter)?;
                redraw = true;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeline_keeps_the_demos_position_and_stops_it_while_paused() {
        let mark = |s: &str| Cue::Mark(s.into());
        let cues = vec![
            (1, mark("a")),
            (2, Cue::Wait(0.1)),
            (3, mark("b")),
            (4, Cue::Wait(60.0)),
            (5, mark("c")),
        ];
        let mut timeline = Timeline::new(Tape::new(cues, 2.0));
        let due: Vec<usize> = timeline.due_cues().iter().map(|c| c.0).collect();
        assert_eq!(due, vec![0], "the cues before the first wait");
        assert!(timeline.position() <= 0.05);
        std::thread::sleep(Duration::from_millis(80));
        // The wait (0.05 s at speed 2) is over: the position stops at its end until the
        // next cue is taken.
        assert_eq!(timeline.position(), 0.05);
        let due: Vec<usize> = timeline.due_cues().iter().map(|c| c.0).collect();
        assert_eq!(due, vec![2]);
        timeline.set_paused(true);
        let at = timeline.position();
        assert!((0.05..30.05).contains(&at), "{at}");
        assert!(timeline.wait().is_none());
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(timeline.position(), at, "no time passes while paused");
        timeline.set_paused(false);
        assert!(timeline.position() >= at);
        assert!(timeline.wait().is_some_and(|w| w <= Duration::from_secs(1)));
        // A jump goes on from a cue at a position: the cues from there are due at once.
        timeline.resume_at(4, 30.05);
        let due: Vec<usize> = timeline.due_cues().iter().map(|c| c.0).collect();
        assert_eq!(due, vec![4]);
        assert!(timeline.finished());
        assert_eq!(timeline.position(), 30.05);
    }
}
