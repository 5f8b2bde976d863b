//! The quit part of `update`: `q` quits at once unless quitting would throw away work that
//! takes a while to redo — a long run in progress (in any lab: each keeps its run), a sweep
//! or runs over seeds. Then it asks once more: `q` or `y` quits, any other key stays.

use crate::tui::app::{App, RunState};
use crate::tui::worker::Command;
use crate::tui::worker::Progress;

/// A run that takes longer than this at its natural pace is a long run.
pub const LONG_RUN_SECS: f64 = 10.0;

/// What quitting now would throw away, in words (empty: nothing worth asking about).
pub fn at_stake(app: &App) -> Vec<String> {
    let mut lost = Vec::new();
    if let Some(s) = app.sweep.as_ref().filter(|s| s.running) {
        lost.push(format!(
            "the sweep of {} ({}/{} points)",
            s.param(),
            s.points.len(),
            s.total()
        ));
    }
    for lab in &app.labs {
        let name = lab.id().name();
        if let Some(seeds) = lab.seeds.as_ref().filter(|v| v.running) {
            let done = seeds.stats.as_ref().map_or(0, |s| s.seeds.len());
            lost.push(format!(
                "{name}'s runs over seeds ({done}/{})",
                crate::seeds::TUI_SEEDS
            ));
        }
        let Some(&Progress { step, total, .. }) = lab.progress.as_ref() else {
            continue;
        };
        let long = total as f64 / lab.pace() > LONG_RUN_SECS;
        if lab.report.is_some() && lab.run != RunState::Done && long && step > 0 && step < total {
            lost.push(format!("{name}'s run at step {step}/{total}"));
        }
    }
    lost
}

/// `q`: quit, or ask first.
pub fn quit(app: &mut App) -> Vec<Command> {
    let lost = at_stake(app);
    if lost.is_empty() {
        return quit_now(app);
    }
    app.confirm_quit = Some(lost);
    vec![]
}

/// Quit without asking.
pub fn quit_now(app: &mut App) -> Vec<Command> {
    app.confirm_quit = None;
    app.quit = true;
    // Shutdown skips whatever is still queued: quitting never waits for it.
    vec![Command::Shutdown]
}
