//! A demo on the virtual clock. [`Tape`] is a demo's cues at its speed: its length (its
//! waits) and its chapters (its `mark`s). [`Playback`] plays a tape through an
//! [`InlineTui`], frame by frame: the headless player records it, and [`replay`] — what
//! the lecturer's ←/→ do, live or inline — plays it again from the start up to a chapter,
//! so the screen at a mark is exactly what an uninterrupted play shows there.

use super::app::{App, Chapter, DemoHud, Effect};
use super::driver::{FRAME, Inline};
use super::inline::InlineTui;
use super::update;
use super::update::cue::Cue;
use ratatui::backend::{Backend, TestBackend};
use ratatui::buffer::Buffer;

/// A demo's cues (with their script lines) at its speed.
#[derive(Clone, Debug)]
pub struct Tape {
    cues: Vec<(usize, Cue)>,
    speed: f64,
}

impl Tape {
    /// Waits are divided by `speed`.
    pub fn new(cues: Vec<(usize, Cue)>, speed: f64) -> Tape {
        Tape { cues, speed }
    }

    pub fn cues(&self) -> &[(usize, Cue)] {
        &self.cues
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Seconds the demo takes: its waits at its speed.
    pub fn length(&self) -> f64 {
        self.cues
            .iter()
            .map(|(_, c)| match c {
                Cue::Wait(s) => s / self.speed,
                _ => 0.0,
            })
            .sum()
    }

    /// Its `mark`s, each at the seconds of waiting before it (summed in cue order, as a
    /// play sums them, so a play reaches a mark at exactly its `at`).
    pub fn chapters(&self) -> Vec<Chapter> {
        let mut at = 0.0;
        let mut out = Vec::new();
        for (i, (_, cue)) in self.cues.iter().enumerate() {
            match cue {
                Cue::Wait(s) => at += s / self.speed,
                Cue::Mark(label) => out.push(Chapter {
                    at,
                    label: label.clone(),
                    cue: i,
                }),
                _ => {}
            }
        }
        out
    }

    /// The HUD at the start of the demo.
    pub fn hud(&self) -> DemoHud {
        DemoHud::new(self.length(), self.chapters())
    }

    /// The chapter whose `mark` is cue `index`.
    pub fn chapter_of_cue(&self, index: usize) -> Option<usize> {
        self.chapters().iter().position(|c| c.cue == index)
    }

    /// Where a jump to `chapter` (`None`: the start) lands: the first `wait` or `mark`
    /// after its mark (the cues between are due at the same instant), or the end.
    fn landing(&self, chapter: Option<usize>) -> usize {
        let from = chapter
            .and_then(|k| self.chapters().get(k).map(|c| c.cue + 1))
            .unwrap_or(0);
        (from..self.cues.len())
            .find(|&i| matches!(self.cues[i].1, Cue::Wait(_) | Cue::Mark(_)))
            .unwrap_or(self.cues.len())
    }
}

/// What a [`Playback`] tells its hook: a frame was drawn (this screen; a replay draws
/// none), or a mark was passed.
pub enum Moment<'a> {
    Frame(&'a Buffer),
    Mark(&'a str),
}

/// The hook a play calls at each [`Moment`], with the virtual time; an error stops the play.
pub type Hook<'h> = dyn FnMut(f64, Moment) -> Result<(), String> + 'h;

/// The wait being played: its frames and the demo seconds they span.
#[derive(Clone, Copy, Debug)]
struct Waiting {
    from: f64,
    len: f64,
    frames: u64,
    done: u64,
}

/// A tape played through an [`InlineTui`] on the virtual clock, frame by frame.
pub struct Playback<B: Backend> {
    tui: InlineTui<B>,
    tape: Tape,
    /// The App the demo started from: a jump replays from it.
    initial: App,
    /// The next cue.
    next: usize,
    wait: Option<Waiting>,
    /// Seconds into the demo.
    position: f64,
    /// The line of the last cue whose work the worker may still reject (a `set` of a file
    /// that cannot be read, a `sweep` over values the lab refuses): its failure is the
    /// line's. Keys and typed text may show an error on purpose, so theirs are not.
    accountable: Option<usize>,
    /// Draw each frame (a replay only ticks).
    draw: bool,
}

/// A hook that does nothing.
pub fn quiet(_: f64, _: Moment) -> Result<(), String> {
    Ok(())
}

fn io_error(e: impl std::fmt::Display) -> String {
    format!("the terminal failed: {e}")
}

impl<B: Backend> Playback<B> {
    /// The tape about to play on `app` (its first run started, nothing drawn); `hud`: the
    /// status bar shows the demo's HUD.
    pub fn new(tape: Tape, app: App, backend: B, hud: bool) -> Result<Self, String> {
        let initial = app.clone();
        let mut app = app;
        if hud {
            update::demo::start(&mut app, tape.hud());
        }
        let tui = InlineTui::with_app(app, backend).map_err(io_error)?;
        Ok(Playback {
            tui,
            tape,
            initial,
            next: 0,
            wait: None,
            position: 0.0,
            accountable: None,
            draw: true,
        })
    }

    pub fn tui(&self) -> &InlineTui<B> {
        &self.tui
    }

    pub fn app(&self) -> &App {
        self.tui.app()
    }

    /// Seconds into the demo.
    pub fn position(&self) -> f64 {
        self.position
    }

    /// Play every cue, then one last frame.
    pub fn play_to_end(&mut self, hook: &mut Hook) -> Result<(), String> {
        self.playing()?;
        while self.advance(self.tape.cues.len(), hook)? {}
        self.frame(hook)
    }

    /// Play up to the start of `chapter` (`None`: the demo's start): its mark and the cues
    /// due with it.
    pub fn play_to(&mut self, chapter: Option<usize>, hook: &mut Hook) -> Result<(), String> {
        self.playing()?;
        let stop = self.tape.landing(chapter);
        while self.advance(stop, hook)? {}
        Ok(())
    }

    /// A paused demo would never get anywhere.
    fn playing(&self) -> Result<(), String> {
        match self.tui.app().demo() {
            Some(hud) if hud.paused => Err("the demo is paused (Space resumes it)".into()),
            _ => Ok(()),
        }
    }

    /// Let `secs` of virtual time pass, frame by frame, the tape playing on (unless the
    /// demo is paused).
    pub fn play_for(&mut self, secs: f64) -> Result<(), String> {
        let frames = (secs / FRAME.as_secs_f64()).round() as u64;
        let hook = &mut quiet;
        for _ in 0..frames {
            if !self.advance(self.tape.cues.len(), hook)? {
                self.frame(hook)?;
            }
        }
        Ok(())
    }

    /// Draw the App as it is now (no time passes).
    pub fn draw(&mut self) -> Result<(), String> {
        self.tui.draw().map_err(io_error)
    }

    /// A key of the lecturer, named as in scripts; a jump it asks for is replayed at once.
    pub fn press(&mut self, name: &str) -> Result<(), String> {
        if !self.tui.press(name) {
            return Err(format!("unknown key '{name}'"));
        }
        let mut jump = None;
        for effect in self.tui.take_effects() {
            if let Effect::DemoJump { chapter } = effect {
                jump = Some(chapter);
            }
        }
        match jump {
            Some(chapter) => self.jump(chapter),
            None => Ok(()),
        }
    }

    /// Go to the start of `chapter` as [`replay`] finds it (the live TUI's jump).
    fn jump(&mut self, chapter: Option<usize>) -> Result<(), String> {
        let size = self.tui.size().map_err(io_error)?;
        let landed = replay(&self.tape, &self.initial, size, chapter, self.tui.app())?;
        self.tui.replace(landed.app, landed.driver, landed.clock);
        self.next = landed.next;
        self.position = landed.position;
        self.accountable = landed.accountable;
        self.wait = None;
        Ok(())
    }

    /// Play until one frame has passed, applying the cues due first; false (and no frame)
    /// once cue `stop` is next and no wait is left. A paused demo only lets time pass.
    fn advance(&mut self, stop: usize, hook: &mut Hook) -> Result<bool, String> {
        loop {
            if self.tui.app().demo().is_some_and(|d| d.paused) {
                self.frame(hook)?;
                return Ok(true);
            }
            if let Some(w) = self.wait.as_mut() {
                if w.done < w.frames {
                    w.done += 1;
                    self.position = w.from + w.len * w.done as f64 / w.frames as f64;
                    self.frame(hook)?;
                    return Ok(true);
                }
                self.position = w.from + w.len;
                self.wait = None;
            }
            if self.next >= stop.min(self.tape.cues.len()) {
                if self.next >= self.tape.cues.len() {
                    self.tui.shell_mut().demo_finished();
                }
                return Ok(false);
            }
            let (line, cue) = self.tape.cues[self.next].clone();
            self.next += 1;
            match &cue {
                Cue::Wait(secs) => {
                    let len = secs / self.tape.speed;
                    self.wait = Some(Waiting {
                        from: self.position,
                        len,
                        frames: (len / FRAME.as_secs_f64()).round() as u64,
                        done: 0,
                    });
                }
                Cue::Mark(label) => {
                    hook(self.tui.clock(), Moment::Mark(label))?;
                    if let Some(k) = self.tape.chapter_of_cue(self.next - 1) {
                        self.tui.shell_mut().demo_chapter(k);
                    }
                }
                _ => {
                    self.tui
                        .cue(line, &cue)
                        .map_err(|e| format!("line {line}: {e}"))?;
                    self.accountable = match cue {
                        Cue::Key(_) | Cue::Type(_) => None,
                        Cue::Caption(_) | Cue::Theme(_) => self.accountable,
                        _ => Some(line),
                    };
                }
            }
        }
    }

    /// One frame at the current position (drawn and shown to the hook, or, replaying, only
    /// ticked); a failure the worker reports is the accountable line's error.
    fn frame(&mut self, hook: &mut Hook) -> Result<(), String> {
        self.tui.shell_mut().demo_position(self.position);
        if self.draw {
            let mut seen = Ok(());
            self.tui
                .frame_seen(|t, screen| seen = hook(t, Moment::Frame(screen)))
                .map_err(io_error)?;
            seen?;
        } else {
            self.tui.tick();
        }
        match (
            self.tui.take_failures().into_iter().next(),
            self.accountable,
        ) {
            (Some(failure), Some(line)) => Err(format!("line {line}: {failure}")),
            _ => Ok(()),
        }
    }
}

/// A demo replayed to a chapter: the App and the inline driver (its worker, with what was
/// sent to it) there, the virtual clock, the next cue and the demo's position.
pub struct Landed {
    pub app: App,
    pub driver: Inline,
    pub clock: f64,
    pub next: usize,
    pub position: f64,
    accountable: Option<usize>,
}

/// Play `tape` again from `initial` (the App the demo started from) up to the start of
/// `chapter` (`None`: the demo's start) on the virtual clock, frame by frame as a headless
/// play does but drawing nothing, on a `size` terminal. `before` is the App the jump
/// leaves: the replayed App's runs and sweeps are numbered after its, so its worker's last
/// reports are dropped. The HUD is on. Both the live TUI's ←/→ and [`Playback::press`] land
/// here.
pub fn replay(
    tape: &Tape,
    initial: &App,
    (width, height): (u16, u16),
    chapter: Option<usize>,
    before: &App,
) -> Result<Landed, String> {
    let mut app = initial.clone();
    update::demo::continue_after(&mut app, before);
    let backend = TestBackend::new(width, height);
    let mut play = Playback::new(tape.clone(), app, backend, true)?;
    play.draw = false;
    play.play_to(chapter, &mut quiet)?;
    let (app, driver, clock) = play.tui.into_parts();
    Ok(Landed {
        app,
        driver,
        clock,
        next: play.next,
        position: play.position,
        accountable: play.accountable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tape_knows_its_length_its_chapters_and_where_a_jump_lands() {
        let cues = vec![
            (1, Cue::Caption(None)),
            (2, Cue::Wait(2.0)),
            (3, Cue::Mark("a".into())),
            (4, Cue::Caption(Some("x".into()))),
            (5, Cue::Wait(3.0)),
            (6, Cue::Mark("b".into())),
            (7, Cue::Mark("c".into())),
            (8, Cue::Wait(1.0)),
        ];
        let tape = Tape::new(cues, 2.0);
        assert_eq!(tape.length(), 3.0);
        let chapters: Vec<_> = tape
            .chapters()
            .into_iter()
            .map(|c| (c.at, c.label, c.cue))
            .collect();
        assert_eq!(
            chapters,
            vec![
                (1.0, "a".into(), 2),
                (2.5, "b".into(), 5),
                (2.5, "c".into(), 6)
            ]
        );
        // A jump lands after its mark and the cues due with it, before the next wait or mark.
        assert_eq!(tape.landing(None), 1);
        assert_eq!(tape.landing(Some(0)), 4);
        assert_eq!(tape.landing(Some(1)), 6);
        assert_eq!(tape.landing(Some(2)), 7);
        assert_eq!(tape.chapter_of_cue(6), Some(2));
        assert_eq!(tape.chapter_of_cue(5), Some(1));
        assert_eq!(tape.chapter_of_cue(4), None);
    }
}
