//! Apps in a known state, for snapshot tests and the render benchmark: a finished run fed
//! to the App through `update` and `on_worker`, exactly as the worker would.

use super::action::Action;
use super::app::{App, RunState};
use super::theme::ThemeName;
use super::update::{on_worker, update};
use super::worker::{Progress, WorkerEvent};
use crate::run::{Quiet, RunSpec, Runner};

/// An App showing `spec`'s lab after its run finished, at a `width`×`height` terminal.
pub fn finished_app(spec: RunSpec, theme: ThemeName, width: u16, height: u16) -> App {
    app_after(spec, theme, width, height, &mut || false)
}

/// An App showing `spec`'s lab after its run finished or `stop` said so (checked before
/// every step; the render benchmark bounds a long run by wall time), paused in that case.
pub fn app_after(
    spec: RunSpec,
    theme: ThemeName,
    width: u16,
    height: u16,
    stop: &mut dyn FnMut() -> bool,
) -> App {
    let mut app = App::new(spec.clone(), theme);
    update(&mut app, Action::Resize(width, height));
    update(&mut app, Action::Start);
    let report = Runner::new(spec).map(|mut runner| {
        runner.advance(u64::MAX, stop, &mut Quiet);
        let progress = Progress {
            step: runner.steps(),
            total: runner.total(),
            eta: None,
            rate: None,
        };
        (runner.report(), progress, runner.done())
    });
    let event = match report {
        Ok((report, progress, done)) => WorkerEvent::Report {
            generation: app.generation(),
            report: Box::new(report),
            state: if done {
                RunState::Done
            } else {
                RunState::Paused
            },
            progress,
        },
        Err(e) => WorkerEvent::Failed {
            generation: app.generation(),
            message: e.0,
        },
    };
    on_worker(&mut app, event);
    app
}
