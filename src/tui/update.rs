//! The only place the App changes: [`update`] applies a user [`Action`] and returns the
//! [`Command`]s the worker must carry out; [`on_worker`] applies what the worker reports.
//! Both are pure with respect to the outside world, so keymap → action → state is tested
//! without a terminal or threads.

use super::action::Action;
use super::app::{App, Message, Overlay, RunState, SweepView};
use super::theme::Theme;
use super::worker::{Command, WorkerEvent};
use crate::labs::LabId;
use crate::params::{Scale, Value};
use crate::sweep::{SweepPlan, grid};

/// How many values an in-TUI sweep visits.
pub const SWEEP_POINTS: usize = 41;

/// The command that (re)loads the open lab in the worker.
pub fn load_command(app: &App) -> Command {
    let lab = app.lab();
    Command::Load {
        lab: lab.id,
        params: lab
            .params
            .iter()
            .map(|(s, v)| (s.name.to_string(), v.clone()))
            .collect(),
        seed: lab.seed,
    }
}

fn say(app: &mut App, text: impl Into<String>) {
    app.message = Some(Message {
        text: text.into(),
        error: false,
    });
}

fn complain(app: &mut App, text: impl Into<String>) {
    app.message = Some(Message {
        text: text.into(),
        error: true,
    });
}

fn open_lab(app: &mut App, index: usize) -> Vec<Command> {
    if index >= app.labs.len() {
        let names: Vec<_> = LabId::all().iter().map(|l| l.name()).collect();
        complain(
            app,
            format!("no lab {}; labs: {}", index + 1, names.join(", ")),
        );
        return vec![];
    }
    if index == app.current {
        return vec![];
    }
    app.current = index;
    app.zoom = None;
    app.run = RunState::Running;
    app.message = None;
    let mut cmds = vec![];
    if app.sweep.take().is_some_and(|s| s.running) {
        cmds.push(Command::CancelSweep);
    }
    cmds.push(load_command(app));
    cmds
}

/// Set a parameter of the open lab (already validated) and tell the worker.
fn set_param(app: &mut App, name: &str, value: Value) -> Vec<Command> {
    let lab = app.lab_mut();
    if lab.params.get(name) == &value {
        return vec![];
    }
    if let Err(e) = lab.params.set(name, value.clone()) {
        complain(app, e.0);
        return vec![];
    }
    app.run = RunState::Running;
    say(app, format!("{name} = {value}"));
    vec![Command::Set {
        name: name.to_string(),
        value,
    }]
}

fn start_sweep(app: &mut App) -> Vec<Command> {
    let lab = app.lab();
    let Some((spec, _)) = lab.params.iter().nth(lab.selected) else {
        return vec![];
    };
    let Some((lo, hi)) = spec.range() else {
        let text = format!(
            "{} is not numeric: select a numeric parameter to sweep",
            spec.name
        );
        complain(app, text);
        return vec![];
    };
    let log = spec.scale() == Some(Scale::Log) && lo > 0.0;
    let points = if matches!(spec.kind, crate::params::Kind::Int { .. }) {
        SWEEP_POINTS.min((hi - lo) as usize + 1)
    } else {
        SWEEP_POINTS
    };
    let values = match grid(lo, hi, points, log) {
        Ok(v) => v,
        Err(e) => {
            complain(app, e.0);
            return vec![];
        }
    };
    let id = app.next_sweep_id;
    let metric = lab.id.sweep_metric().to_string();
    let plan = SweepPlan {
        lab: lab.id,
        assignments: vec![],
        values_set: lab
            .params
            .iter()
            .map(|(s, v)| (s.name.to_string(), v.clone()))
            .collect(),
        param: spec.name.to_string(),
        values: values.clone(),
        metric: metric.clone(),
        steps: lab.id.sweep_steps(),
        seed: lab.seed,
    };
    app.next_sweep_id += 1;
    let lab = app.lab();
    let text = format!(
        "sweeping {} over [{}, {}] ({points} runs)",
        spec.name,
        crate::fmt::fmt_num(lo),
        crate::fmt::fmt_num(hi)
    );
    app.sweep = Some(SweepView {
        id,
        lab: lab.id,
        param: spec.name.to_string(),
        metric,
        values,
        log_x: log,
        points: Vec::new(),
        running: true,
        error: None,
    });
    say(app, text);
    vec![Command::Sweep { id, plan }]
}

/// Apply an action. Returns the commands for the worker.
pub fn update(app: &mut App, action: Action) -> Vec<Command> {
    match action {
        Action::NextLab => open_lab(app, (app.current + 1) % app.labs.len()),
        Action::PrevLab => open_lab(app, (app.current + app.labs.len() - 1) % app.labs.len()),
        Action::SelectLab(i) => open_lab(app, i),
        Action::SelectParam(d) => {
            let n = app.lab().params.specs().len() as i32;
            let lab = app.lab_mut();
            lab.selected = (lab.selected as i32 + d).rem_euclid(n.max(1)) as usize;
            vec![]
        }
        Action::Adjust { dir, big } => {
            let lab = app.lab();
            let Some((spec, value)) = lab.params.iter().nth(lab.selected) else {
                return vec![];
            };
            let next = spec.nudge(value, dir, big);
            set_param(app, spec.name, next)
        }
        Action::BeginInput => {
            app.input = Some(String::new());
            vec![]
        }
        Action::InputChar(c) => {
            if let Some(s) = app.input.as_mut() {
                s.push(c);
            }
            vec![]
        }
        Action::InputBackspace => {
            if let Some(s) = app.input.as_mut() {
                s.pop();
            }
            vec![]
        }
        Action::CommitInput => {
            let Some(typed) = app.input.clone() else {
                return vec![];
            };
            let lab = app.lab();
            let Some((spec, _)) = lab.params.iter().nth(lab.selected) else {
                return vec![];
            };
            match spec.parse(&typed) {
                Ok(value) => {
                    app.input = None;
                    set_param(app, spec.name, value)
                }
                Err(e) => {
                    // Keep the input open so the value can be corrected.
                    complain(app, e.0);
                    vec![]
                }
            }
        }
        Action::TogglePause => match app.run {
            RunState::Running => {
                app.run = RunState::Paused;
                vec![Command::Run(false)]
            }
            RunState::Paused => {
                app.run = RunState::Running;
                vec![Command::Run(true)]
            }
            RunState::Done => {
                say(app, "the run is done: r restarts it, n with a new seed");
                vec![]
            }
        },
        Action::StepOnce => {
            if app.run == RunState::Done {
                say(app, "the run is done: r restarts it");
                return vec![];
            }
            app.run = RunState::Paused;
            vec![Command::Step]
        }
        Action::Reset => {
            app.run = RunState::Running;
            vec![Command::Reset {
                seed: app.lab().seed,
            }]
        }
        Action::NewSeed => {
            let lab = app.lab_mut();
            lab.seed = lab.seed.wrapping_add(1);
            let seed = lab.seed;
            app.run = RunState::Running;
            say(app, format!("seed {seed}"));
            vec![Command::Reset { seed }]
        }
        Action::Sweep => start_sweep(app),
        Action::Pin => {
            let lab = app.lab_mut();
            lab.pinned = lab.report.clone();
            let pinned = lab.pinned.is_some();
            if pinned {
                say(app, "pinned this run as a ghost trace (P drops it)");
            }
            vec![]
        }
        Action::Unpin => {
            app.lab_mut().pinned = None;
            vec![]
        }
        Action::LabAction => vec![Command::LabAction],
        Action::Explain => {
            app.overlay = match app.overlay {
                Some(Overlay::Explain) => None,
                _ => Some(Overlay::Explain),
            };
            vec![]
        }
        Action::Help => {
            app.overlay = match app.overlay {
                Some(Overlay::Help) => None,
                _ => Some(Overlay::Help),
            };
            vec![]
        }
        Action::Zoom => {
            let charts = super::panes::chart_count(app.lab().id, app.lab().report.as_ref());
            app.zoom = match app.zoom {
                None if charts > 0 => Some(0),
                Some(i) if i + 1 < charts => Some(i + 1),
                _ => None,
            };
            vec![]
        }
        Action::CycleTheme => {
            app.theme = Theme::cycle(app.theme);
            let label = Theme::new(app.theme).label();
            say(app, format!("theme {label}"));
            vec![]
        }
        Action::Close => {
            if app.input.is_some() {
                app.input = None;
            } else if app.overlay.is_some() {
                app.overlay = None;
            } else if let Some(sweep) = app.sweep.take() {
                if sweep.running {
                    return vec![Command::CancelSweep];
                }
            } else {
                app.zoom = None;
            }
            vec![]
        }
        Action::Quit => {
            app.quit = true;
            vec![Command::CancelSweep]
        }
    }
}

/// Apply an event from the worker.
pub fn on_worker(app: &mut App, event: WorkerEvent) {
    match event {
        WorkerEvent::Report { report, state } => {
            // Reports of a lab that was switched away from are stale.
            if report.lab == app.lab().id.name() {
                app.run = state;
                app.lab_mut().report = Some(*report);
            }
        }
        WorkerEvent::Rejected {
            lab,
            name,
            previous,
            message,
        } => {
            if let Some(view) = app.labs.iter_mut().find(|l| l.id == lab) {
                let _ = view.params.set(&name, previous);
            }
            complain(app, message);
        }
        WorkerEvent::Info(text) => say(app, text),
        WorkerEvent::SweepPoint { id, point } => {
            if let Some(s) = app.sweep.as_mut().filter(|s| s.id == id) {
                s.points.push(point);
                s.points.sort_by_key(|p| p.index);
            }
        }
        WorkerEvent::SweepDone { id, error } => {
            if let Some(s) = app.sweep.as_mut().filter(|s| s.id == id) {
                s.running = false;
                s.error = error.clone();
            }
            if let Some(e) = error {
                complain(app, e);
            }
        }
    }
}
