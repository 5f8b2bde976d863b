//! The demo's part of `update`: its HUD (position, chapter, paused, finished), which the
//! player that plays the demo keeps up to date, and the lecturer's keys while it plays —
//! Space pauses the demo itself, ←/→ ask the event loop for a jump to a chapter.

use super::say;
use crate::tui::action::Action;
use crate::tui::app::{App, DemoHud, Effect, RunState};
use crate::tui::worker::Command;

/// Past this many seconds into a chapter, ← goes back to its start; sooner, to the chapter
/// before (as a media player's "previous").
pub const BACK_GRACE: f64 = 2.0;

/// A demo starts playing with this HUD.
pub fn start(app: &mut App, hud: DemoHud) {
    app.demo = Some(hud);
}

/// The demo is `secs` in (pauses excluded).
pub fn position(app: &mut App, secs: f64) {
    if let Some(hud) = app.demo.as_mut() {
        hud.position = secs;
    }
}

/// The demo passed the mark of chapter `index`.
pub fn chapter(app: &mut App, index: usize) {
    if let Some(hud) = app.demo.as_mut() {
        hud.chapter = Some(index);
    }
}

/// Every cue of the demo has played.
pub fn finished(app: &mut App) {
    if let Some(hud) = app.demo.as_mut() {
        hud.finished = true;
        hud.position = hud.length;
    }
}

/// `app` replaces `before` (a jump replayed the demo into it): its run generations and
/// sweep ids start after `before`'s, so whatever `before`'s worker still reports is stale
/// and dropped; what only the event loop knows (the recording) carries over.
pub fn continue_after(app: &mut App, before: &App) {
    app.generation = app.generation.max(before.generation);
    app.next_sweep_id = app.next_sweep_id.max(before.next_sweep_id);
    app.recording.clone_from(&before.recording);
}

/// Space while a demo plays: pause or resume the demo, and its run with it. Once the demo
/// has finished, Space is the run's again.
pub(super) fn pause(app: &mut App) -> Vec<Command> {
    let run = app.lab().run;
    let Some(hud) = app.demo.as_mut().filter(|h| !h.finished) else {
        return super::update(app, Action::TogglePause);
    };
    hud.paused = !hud.paused;
    if hud.paused {
        hud.paused_run = run == RunState::Running;
        if hud.paused_run {
            app.lab_mut().run = RunState::Paused;
            return vec![Command::Run(false)];
        }
    } else if std::mem::take(&mut hud.paused_run) && run == RunState::Paused {
        app.lab_mut().run = RunState::Running;
        return vec![Command::Run(true)];
    }
    vec![]
}

/// ← (−1) or → (1) while a demo plays: ask the event loop to replay the demo to the start
/// of the current chapter (← more than [`BACK_GRACE`] seconds into it), the previous one,
/// or the next one.
pub(super) fn jump(app: &mut App, dir: i8) -> Vec<Command> {
    let Some(hud) = app.demo.as_ref() else {
        return vec![];
    };
    let target = if dir < 0 {
        match hud.chapter {
            Some(i)
                if hud
                    .chapters
                    .get(i)
                    .is_some_and(|c| hud.position - c.at > BACK_GRACE) =>
            {
                Some(i)
            }
            Some(i) => i.checked_sub(1),
            None => None,
        }
    } else {
        let next = hud.chapter.map_or(0, |i| i + 1);
        if next >= hud.chapters.len() {
            let text = match hud.chapter_label() {
                Some(label) => format!("'{label}' is the demo's last chapter (← goes back)"),
                None => "this demo has no chapters (no mark lines)".to_string(),
            };
            say(app, text);
            return vec![];
        }
        Some(next)
    };
    app.effects.push(Effect::DemoJump { chapter: target });
    vec![]
}
