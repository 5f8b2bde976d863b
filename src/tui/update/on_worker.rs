//! The worker's part of `update`: its reports reach the lab they are of (a lab just left
//! may still report; a replaced run's reports are stale), and a run that could not start puts
//! the lab's panel back on the run the worker kept.

use super::{complain, lab_of, say, seeds};
use crate::tui::app::{App, RunState};
use crate::tui::input::InputBox;
use crate::tui::worker::{Command, WorkerEvent};

/// Apply an event from the worker. Returns the commands for the worker (none so far: a run
/// that cannot start is answered by the worker keeping the lab's previous run).
pub fn on_worker(app: &mut App, event: WorkerEvent) -> Vec<Command> {
    match event {
        WorkerEvent::Report {
            generation,
            report,
            state,
            progress,
        } => {
            // Reports of a run that was replaced are stale; a lab just left may still report.
            let Some(i) = lab_of(app, generation) else {
                return vec![];
            };
            let lab = &mut app.labs[i];
            lab.run = state;
            lab.progress = Some(progress);
            lab.last_good = lab.spec.clone();
            lab.report = Some(*report);
            if i == app.current {
                app.committed_input = None;
            }
            vec![]
        }
        WorkerEvent::Failed {
            generation,
            message,
        } => {
            let Some(i) = lab_of(app, generation) else {
                return vec![];
            };
            // The worker kept the lab's previous run (it reports it next, as it was): the
            // panel goes back to its parameters; a typed value comes back for editing.
            let lab = &mut app.labs[i];
            lab.spec = lab.last_good.clone();
            if lab.report.is_none() {
                // Nothing ran: nothing runs.
                lab.run = RunState::Done;
            }
            let name = lab.id().name();
            if i != app.current {
                complain(app, format!("{name}: {message}"));
                return vec![];
            }
            if let Some((g, typed)) = app.committed_input.take()
                && g == generation
            {
                app.input = Some(InputBox::editing(&typed));
            }
            complain(app, message);
            vec![]
        }
        WorkerEvent::Info { generation, text } => {
            if generation == app.lab().generation {
                say(app, text);
            }
            vec![]
        }
        WorkerEvent::SweepPoint { id, mut point } => {
            let now = app.now;
            if let Some(s) = app.sweep.as_mut().filter(|s| s.id == id) {
                // `m` may have chosen another metric than the one the plan ran with.
                if !point.summary.is_empty() {
                    point.metric = point.get(&s.plan.metric);
                }
                s.points.push(point);
                s.points.sort_by_key(|p| p.index);
                s.last_point = now;
            }
            vec![]
        }
        WorkerEvent::SweepEstimate {
            id,
            estimate,
            waiting,
        } => {
            super::sweep::estimated(app, id, estimate, waiting);
            vec![]
        }
        WorkerEvent::SeedsProgress { id, stats } => {
            seeds::progress(app, id, *stats);
            vec![]
        }
        WorkerEvent::SeedsDone { id, error } => {
            seeds::done(app, id, error);
            vec![]
        }
        WorkerEvent::SweepDone { id, error } => {
            let Some(s) = app.sweep.as_mut().filter(|s| s.id == id) else {
                return vec![];
            };
            s.running = false;
            s.error = error.clone();
            match error {
                Some(e) => complain(app, e),
                None => app.message = None,
            }
            vec![]
        }
    }
}
