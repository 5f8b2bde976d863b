//! The seeds part of `update`: `S` runs the open lab's parameters over [`TUI_SEEDS`] seeds
//! in the background (latest wins: a new start cancels the old one); pressed again it stops
//! the runs, or hides what they showed. The bands belong to one spec: any change of the
//! parameters or the seed drops them.

use super::{complain, say};
use crate::seeds::{SeedPlan, SeedStats, TUI_SEEDS};
use crate::tui::app::{App, SeedsView};
use crate::tui::worker::Command;

/// `S`: start, stop or hide.
pub fn toggle(app: &mut App) -> Vec<Command> {
    let current = app.lab().spec.clone();
    if let Some(view) = app.lab().seeds.as_ref().filter(|v| v.spec == current) {
        let running = view.running;
        app.lab_mut().seeds = None;
        if running {
            say(app, "runs over seeds stopped");
            return vec![Command::CancelSeeds];
        }
        say(app, "bands over seeds hidden (S shows them again)");
        return vec![];
    }
    let plan = match SeedPlan::new(current.clone(), TUI_SEEDS) {
        Ok(plan) => plan,
        Err(e) => {
            complain(app, e.0);
            return vec![];
        }
    };
    // One run over seeds at a time: another lab's unfinished one is cancelled by the worker.
    for lab in &mut app.labs {
        if lab.seeds.as_ref().is_some_and(|v| v.running) {
            lab.seeds = None;
        }
    }
    let id = app.next_sweep_id;
    app.next_sweep_id += 1;
    app.lab_mut().seeds = Some(SeedsView {
        id,
        spec: current,
        running: true,
        stats: None,
    });
    say(
        app,
        format!("running these parameters over {TUI_SEEDS} seeds in the background · S stops"),
    );
    vec![Command::Seeds { id, plan }]
}

/// Drop the open lab's seeds when they are of other parameters than the run starting now.
pub(super) fn drop_stale(app: &mut App) -> Vec<Command> {
    let lab = app.lab_mut();
    match lab.seeds.as_ref() {
        Some(view) if view.spec != lab.spec => {
            let running = view.running;
            lab.seeds = None;
            if running {
                vec![Command::CancelSeeds]
            } else {
                vec![]
            }
        }
        _ => vec![],
    }
}

fn view_mut(app: &mut App, id: u64) -> Option<&mut SeedsView> {
    app.labs
        .iter_mut()
        .find_map(|lab| lab.seeds.as_mut().filter(|v| v.id == id))
}

/// Another seed finished.
pub fn progress(app: &mut App, id: u64, stats: SeedStats) {
    if let Some(view) = view_mut(app, id) {
        view.stats = Some(stats);
    }
}

/// Every seed finished, or the runs failed.
pub fn done(app: &mut App, id: u64, error: Option<String>) {
    let Some(view) = view_mut(app, id) else {
        return;
    };
    view.running = false;
    match error {
        Some(e) => {
            complain(app, format!("runs over seeds failed: {e}"));
        }
        None => say(app, format!("{TUI_SEEDS} seeds done · S hides the bands")),
    }
}
