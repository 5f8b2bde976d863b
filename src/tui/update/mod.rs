//! The only place the App changes: [`update`] applies an [`Action`] and returns the
//! [`Command`]s the worker must carry out; [`on_worker()`] applies what the worker reports.
//! Both are pure with respect to the outside world, so keymap → action → state is tested
//! without a terminal or threads.
//!
//! The rule that keeps the panel and the charts in agreement: a change to a live parameter
//! applies to the running run; any other change, and every change made when the run is done,
//! starts a new run (paused if the run was paused). Each new run gets a new generation, and
//! reports of older generations are dropped. A run that cannot start changes nothing but
//! the message: the worker keeps the lab's previous run, and the panel goes back to it.
//!
//! Each lab keeps its run while another is shown: opening a lab that has run shows its run
//! as it was left (the worker steps only the shown lab's run).

pub mod cue;
pub mod demo;
mod log;
mod on_worker;
mod quit;
mod seeds;
mod sweep;

pub(super) use log::{complain, say};
pub use log::{config_problems, set_time};
pub use on_worker::on_worker;

use super::action::Action;
use super::app::{App, Effect, Overlay, RunState};
use super::input::InputBox;
use super::panes;
use super::theme::Theme;
use super::worker::Command;
use crate::labs::LabId;
use crate::params::{Kind, Value};

/// Start a new run of the open lab's spec: running, or paused.
pub(super) fn restart(app: &mut App, paused: bool) -> Vec<Command> {
    app.generation += 1;
    let generation = app.generation;
    let lab = app.lab_mut();
    lab.generation = generation;
    lab.run = if paused {
        RunState::Paused
    } else {
        RunState::Running
    };
    lab.progress = Some(super::worker::Progress {
        step: 0,
        total: lab.spec.total_steps(),
        eta: None,
        rate: None,
    });
    let mut cmds = seeds::drop_stale(app);
    cmds.push(Command::Load {
        spec: app.lab().spec.clone(),
        generation,
        paused,
        pace: app.lab().pace(),
    });
    cmds
}

/// The index of the lab whose run has this generation.
pub(super) fn lab_of(app: &App, generation: u64) -> Option<usize> {
    app.labs
        .iter()
        .position(|l| l.generation == generation && generation > 0)
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
    app.message = None;
    app.sweep_metric = None;
    let mut cmds = vec![];
    if app.sweep.take().is_some_and(|s| s.running) {
        cmds.push(Command::CancelSweep);
    }
    if app.lab().report.is_none() {
        cmds.extend(restart(app, false));
        return cmds;
    }
    // Its run as it was left: the worker kept it, paused while hidden.
    app.generation += 1;
    let generation = app.generation;
    app.lab_mut().generation = generation;
    cmds.push(Command::Show {
        lab: app.lab().id(),
        generation,
    });
    cmds
}

/// Set a parameter of the open lab, if the combination stays valid (checked cheaply here),
/// and tell the worker.
pub(super) fn set_param(app: &mut App, name: &'static str, value: Value) -> Vec<Command> {
    let lab = app.lab();
    if lab.params().get(name) == &value {
        // A valid value answers an error about this parameter.
        if app.message.as_ref().is_some_and(|m| m.error) {
            say(app, format!("{name} = {value} (unchanged)"));
        }
        return vec![];
    }
    let mut next = lab.spec.clone();
    if let Err(e) = next.set(name, value.clone()).and_then(|()| next.validate()) {
        complain(app, e.0);
        return vec![];
    }
    let live = lab.params().spec(name).is_ok_and(|s| s.live);
    app.lab_mut().spec = next;
    match app.lab().run {
        RunState::Running if live => {
            say(app, format!("{name} = {value}"));
            vec![Command::Set {
                name: name.to_string(),
                value,
            }]
        }
        // Say so: a restart throws away the steps so far (resnet's minute of training).
        RunState::Paused => {
            say(app, format!("{name} = {value}: restarted, paused"));
            restart(app, true)
        }
        _ => {
            say(app, format!("{name} = {value}: restarted"));
            restart(app, false)
        }
    }
}

/// Replace the open lab's parameters (a preset, the defaults) and restart.
fn replace_params(app: &mut App, apply: impl FnOnce(&mut crate::run::RunSpec)) -> Vec<Command> {
    let mut next = app.lab().spec.clone();
    apply(&mut next);
    if let Err(e) = next.validate() {
        complain(app, e.0);
        return vec![];
    }
    app.lab_mut().spec = next;
    let paused = app.lab().run == RunState::Paused;
    restart(app, paused)
}

fn next_preset(app: &mut App) -> Vec<Command> {
    let presets = app.lab().id().descriptor().presets;
    if presets.is_empty() {
        say(app, format!("{} has no presets", app.lab().id().name()));
        return vec![];
    }
    // A preset that cannot apply has said why in the status bar.
    pick_preset(app, app.lab().preset.map_or(0, |i| (i + 1) % presets.len())).unwrap_or_default()
}

/// Apply the open lab's preset `i` (the `c` key and a demo's `preset` line), if the
/// parameters it gives are valid, and restart. An error is also said in the status bar.
pub(super) fn pick_preset(app: &mut App, i: usize) -> Result<Vec<Command>, String> {
    let presets = app.lab().id().descriptor().presets;
    let preset = presets
        .get(i)
        .ok_or_else(|| format!("{} has no preset {}", app.lab().id().name(), i + 1))?;
    let mut next = app.lab().spec.clone();
    if let Err(e) = next
        .apply_preset(preset.name)
        .and_then(|()| next.validate())
    {
        complain(app, e.0.clone());
        return Err(e.0);
    }
    app.lab_mut().spec = next;
    app.lab_mut().preset = Some(i);
    say(
        app,
        format!(
            "preset {} ({}/{}): {}",
            preset.name,
            i + 1,
            presets.len(),
            preset.help
        ),
    );
    let paused = app.lab().run == RunState::Paused;
    Ok(restart(app, paused))
}

fn lab_key(app: &mut App, key: char) -> Vec<Command> {
    let id = app.lab().id();
    // Switching the pane's view is the UI's business: the worker never hears of it.
    if let Some(views) = panes::descriptor(id).views.filter(|v| v.key.key == key) {
        let lab = app.lab_mut();
        lab.view = (lab.view + 1) % views.views.len().max(1);
        let (_, says) = views.views[lab.view];
        say(app, says);
        return vec![];
    }
    if let Some(a) = id.descriptor().actions.iter().find(|a| a.key == key) {
        return vec![Command::Act(a.name)];
    }
    // A key that is another lab's action says where it belongs; other keys do nothing.
    let owner = LabId::all().iter().find_map(|other| {
        let a = panes::keys(*other).find(|a| a.key == key)?;
        Some((other.name(), a.label))
    });
    if let Some((owner, label)) = owner {
        say(
            app,
            format!(
                "{key} does nothing in {}: it is {owner}'s {label}",
                id.name()
            ),
        );
    }
    vec![]
}

fn adjust(app: &mut App, dir: i32, big: bool) -> Vec<Command> {
    let lab = app.lab();
    let Some((spec, value)) = lab.params().iter().nth(lab.selected) else {
        return vec![];
    };
    if matches!(spec.kind, Kind::Path) {
        let text = format!("{} is a path: press Enter to type it", spec.name);
        say(app, text);
        return vec![];
    }
    let next = spec.nudge(value, dir, big);
    if &next == value {
        let text = format!(
            "{} is at the end of its range ({})",
            spec.name,
            spec.accepted()
        );
        say(app, text);
        return vec![];
    }
    set_param(app, spec.name, next)
}

fn commit_input(app: &mut App) -> Vec<Command> {
    let Some(typed) = app.input.as_ref().map(|b| b.text().to_string()) else {
        return vec![];
    };
    if app.range_input {
        return sweep::commit_range(app, &typed);
    }
    let lab = app.lab();
    let Some((spec, _)) = lab.params().iter().nth(lab.selected) else {
        return vec![];
    };
    let parsed = spec.parse(&typed);
    let before = app.generation;
    let result = parsed.map(|value| (spec.name, value));
    match result {
        Ok((name, value)) => {
            let mut next = app.lab().spec.clone();
            let checked = next.set(name, value.clone()).and_then(|()| next.validate());
            if let Err(e) = checked {
                // Keep the input open so the value can be corrected.
                complain(app, e.0);
                return vec![];
            }
            app.input = None;
            let cmds = set_param(app, name, value);
            if app.generation != before {
                app.committed_input = Some((app.generation, typed));
            }
            cmds
        }
        Err(e) => {
            complain(app, e.0);
            vec![]
        }
    }
}

fn zoom(app: &mut App) {
    let theme = Theme::new(app.theme);
    let lab = app.lab();
    let charts = lab
        .report()
        .map_or(0, |r| panes::figure_count(lab.id(), r, &theme, lab.view));
    app.zoom = match app.zoom {
        None if charts > 0 => Some(0),
        Some(i) if i + 1 < charts => Some(i + 1),
        _ => None,
    };
    app.x_zoom = 0;
}

/// The most halvings of a zoomed chart's x range (1/1024 of it).
const MAX_X_ZOOM: u32 = 10;

/// Halve (1), double (−1) or reset (0) the zoomed chart's x range, anchored at its start.
fn zoom_x(app: &mut App, dir: i8) {
    let before = app.x_zoom;
    app.x_zoom = match dir {
        0 => 0,
        d if d > 0 => (before + 1).min(MAX_X_ZOOM),
        _ => before.saturating_sub(1),
    };
    match (app.x_zoom, app.x_zoom == before) {
        (0, true) if dir != 0 => say(app, "the whole x range is shown ([ widens, ] narrows)"),
        (0, _) => say(app, "x range: all of it"),
        (k, true) => say(
            app,
            format!("x range: the first 1/{} already, the narrowest", 1u64 << k),
        ),
        (k, false) => say(
            app,
            format!("x range: the first 1/{} (0 shows all)", 1u64 << k),
        ),
    }
}

fn toggle_overlay(app: &mut App, overlay: Overlay) {
    app.scroll = 0;
    app.overlay = if app.overlay == Some(overlay) {
        None
    } else {
        Some(overlay)
    };
}

fn close(app: &mut App) -> Vec<Command> {
    if app.confirm_quit.take().is_some() {
        return vec![];
    }
    if app.input.take().is_some() {
        app.range_input = false;
        if app.message.as_ref().is_some_and(|m| m.error) {
            app.message = None;
        }
        return vec![];
    }
    if app.overlay.take().is_some() || app.zoom.take().is_some() {
        return vec![];
    }
    if let Some(sweep) = app.sweep.take() {
        app.message = None;
        if sweep.running {
            return vec![Command::CancelSweep];
        }
    }
    vec![]
}

/// Apply an action. Returns the commands for the worker.
pub fn update(app: &mut App, action: Action) -> Vec<Command> {
    match action {
        Action::Start => {
            let mut cmds = Vec::new();
            if app.speed != crate::tui::speed::Speed::NATURAL {
                cmds.push(Command::Speed(app.speed));
            }
            cmds.extend(restart(app, false));
            cmds
        }
        Action::NextLab => open_lab(app, (app.current + 1) % app.labs.len()),
        Action::PrevLab => open_lab(app, (app.current + app.labs.len() - 1) % app.labs.len()),
        Action::SelectLab(i) => open_lab(app, i),
        Action::SelectParam(d) => {
            let n = app.lab().params().specs().len() as i32;
            let lab = app.lab_mut();
            lab.selected = (lab.selected as i32 + d).rem_euclid(n.max(1)) as usize;
            vec![]
        }
        Action::Adjust { dir, big } => adjust(app, dir, big),
        Action::BeginInput => {
            let lab = app.lab();
            let current = lab.params().iter().nth(lab.selected).map(|(_, v)| v);
            let text = current.map(|v| v.to_string()).unwrap_or_default();
            app.input = Some(InputBox::prefilled(&text));
            vec![]
        }
        Action::InputChar(c) => {
            if let Some(b) = app.input.as_mut() {
                b.insert(c);
            }
            vec![]
        }
        Action::InputBackspace => {
            if let Some(b) = app.input.as_mut() {
                b.backspace();
            }
            vec![]
        }
        Action::InputDelete => {
            if let Some(b) = app.input.as_mut() {
                b.delete();
            }
            vec![]
        }
        Action::InputCursor(to) => {
            if let Some(b) = app.input.as_mut() {
                b.move_cursor(to);
            }
            vec![]
        }
        Action::CommitInput => commit_input(app),
        Action::TogglePause => match app.lab().run {
            RunState::Running => {
                app.lab_mut().run = RunState::Paused;
                vec![Command::Run(false)]
            }
            RunState::Paused => {
                app.lab_mut().run = RunState::Running;
                vec![Command::Run(true)]
            }
            RunState::Done => {
                say(app, "the run is done: r restarts it, n with a new seed");
                vec![]
            }
        },
        Action::DemoPause => demo::pause(app),
        Action::DemoJump(dir) => demo::jump(app, dir),
        Action::StepOnce => {
            if app.lab().run == RunState::Done {
                say(app, "the run is done: r restarts it");
                return vec![];
            }
            app.lab_mut().run = RunState::Paused;
            vec![Command::Step]
        }
        Action::Reset => {
            app.message = None;
            restart(app, false)
        }
        Action::NewSeed => {
            let lab = app.lab_mut();
            lab.spec.seed = lab.spec.seed.wrapping_add(1);
            app.message = None;
            restart(app, false)
        }
        Action::Faster | Action::Slower => {
            let rate = app.lab().pace();
            app.speed = if action == Action::Faster {
                app.speed.faster()
            } else {
                app.speed.slower(rate)
            };
            say(app, format!("speed {}", app.speed.label()));
            vec![Command::Speed(app.speed)]
        }
        Action::NextPreset => next_preset(app),
        Action::Defaults => {
            let cmds = replace_params(app, crate::run::RunSpec::restore_defaults);
            app.lab_mut().preset = None;
            say(app, "every parameter at its default");
            cmds
        }
        Action::Share => {
            toggle_overlay(app, Overlay::Share);
            if app.overlay == Some(Overlay::Share) {
                let [tui, _] = crate::tui::share::commands(app.lab().spec());
                app.effects.push(Effect::Clipboard(tui));
            }
            vec![]
        }
        Action::Figure if app.sweep.is_some() => {
            if app.sweep.as_ref().is_some_and(|s| s.points.is_empty()) {
                say(app, "no point of the sweep has finished yet");
            } else {
                app.effects.push(Effect::SweepFigure);
            }
            vec![]
        }
        Action::Figure => {
            if app.lab().report().is_none() {
                say(app, "nothing to draw yet");
            } else {
                app.effects.push(Effect::Figure { only: app.zoom });
            }
            vec![]
        }
        Action::Record => {
            app.effects.push(Effect::ToggleRecording);
            vec![]
        }
        Action::Screenshot => {
            app.effects.push(Effect::Screenshot);
            vec![]
        }
        Action::Seeds => seeds::toggle(app),
        Action::Sweep => sweep::start(app),
        Action::SweepMetric => sweep::next_metric(app),
        Action::SweepNarrow(narrow) => sweep::rescale(app, narrow),
        Action::SweepPoints(n) => sweep::choose_points(app, n),
        Action::SweepConfirm => sweep::confirm(app),
        Action::SweepRange => sweep::begin_range(app),
        Action::NamedMap => sweep::named_map(app),
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
            if app.lab_mut().pinned.take().is_none() {
                say(app, "no pinned run to drop (p pins one)");
            } else {
                app.message = None;
            }
            vec![]
        }
        Action::LabKey(c) => lab_key(app, c),
        Action::Explain => {
            toggle_overlay(app, Overlay::Explain);
            vec![]
        }
        Action::Help => {
            toggle_overlay(app, Overlay::Help);
            vec![]
        }
        Action::Log => {
            toggle_overlay(app, Overlay::Log);
            vec![]
        }
        Action::Scroll(d) => {
            let max = crate::tui::view::overlay_len(app).saturating_sub(1) as i64;
            app.scroll = (i64::from(app.scroll) + i64::from(d)).clamp(0, max.max(0)) as u16;
            vec![]
        }
        Action::Zoom => {
            zoom(app);
            vec![]
        }
        Action::ZoomX(dir) => {
            zoom_x(app, dir);
            vec![]
        }
        Action::CycleTheme => {
            app.theme = Theme::cycle(app.theme);
            let label = Theme::new(app.theme).label();
            say(app, format!("theme {label}"));
            vec![]
        }
        Action::Close => close(app),
        Action::Resize(w, h) => {
            app.size = (w, h);
            vec![]
        }
        Action::Suspend => vec![],
        Action::Quit => quit::quit(app),
        Action::QuitNow => quit::quit_now(app),
    }
}

/// The effects asked for since the last call, for the event loop to carry out.
pub fn take_effects(app: &mut App) -> Vec<Effect> {
    std::mem::take(&mut app.effects)
}

/// How an effect went: a line for the status bar.
pub fn effect_done(app: &mut App, result: Result<String, String>) {
    match result {
        Ok(text) => say(app, text),
        Err(text) => complain(app, text),
    }
}

/// Recording started (to this file) or stopped.
pub fn recording(app: &mut App, file: Option<String>) {
    app.recording = file;
}
