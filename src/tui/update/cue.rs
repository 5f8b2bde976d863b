//! Cues: what a demo script asks of the TUI, applied through `update` like keys are. Keys
//! and typed text go through the real keymap; the other cues (open a lab, set a value, a
//! caption, a theme, a sweep over a range) are the direct forms of what a lecturer would do
//! with several keys.

use super::sweep::launch_range;
use super::{complain, pick_preset, set_param};
use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::keymap;
use crate::tui::theme::ThemeName;
use crate::tui::worker::Command;
use crossterm::event::KeyEvent;

/// One step of a demo.
#[derive(Clone, Debug, PartialEq)]
pub enum Cue {
    /// A key, through the keymap of the current mode.
    Key(KeyEvent),
    /// Characters typed one by one (into the value being typed, or as keys).
    Type(String),
    /// Show a caption (`None` clears it).
    Caption(Option<String>),
    /// Open a lab by name.
    Lab(String),
    /// Set a parameter of the open lab (as typed).
    Set(String, String),
    /// Apply a preset of the open lab.
    Preset(String),
    Theme(ThemeName),
    /// Take this many steps (pausing the run, as `.` does).
    Step(u64),
    /// Sweep a parameter over a range.
    Sweep {
        param: String,
        from: f64,
        to: f64,
        points: usize,
    },
    /// Pin the current run as a ghost.
    Pin,
    /// Let time pass (the player's business: seconds).
    Wait(f64),
    /// A marker in the recording (the player's business).
    Mark(String),
}

/// Apply a cue; an error is a cue that cannot apply now (an unknown lab or parameter, a
/// bad value), said in one line.
pub fn apply(app: &mut App, cue: &Cue) -> Result<Vec<Command>, String> {
    match cue {
        Cue::Key(ev) => {
            Ok(keymap::map(app.mode(), ev).map_or_else(Vec::new, |a| super::update(app, a)))
        }
        Cue::Type(text) => {
            let mut cmds = Vec::new();
            for c in text.chars() {
                let action = if app.input.is_some() {
                    Some(Action::InputChar(c))
                } else {
                    let ev = KeyEvent::new(
                        crossterm::event::KeyCode::Char(c),
                        crossterm::event::KeyModifiers::NONE,
                    );
                    keymap::map(app.mode(), &ev)
                };
                if let Some(a) = action {
                    cmds.extend(super::update(app, a));
                }
            }
            Ok(cmds)
        }
        Cue::Caption(text) => {
            app.caption = text.clone();
            Ok(vec![])
        }
        Cue::Lab(name) => {
            let index = app
                .labs
                .iter()
                .position(|l| l.id().name() == name)
                .ok_or_else(|| {
                    let names: Vec<_> = app.labs.iter().map(|l| l.id().name()).collect();
                    format!("unknown lab '{name}'; accepted: {}", names.join(", "))
                })?;
            Ok(super::update(app, Action::SelectLab(index)))
        }
        Cue::Set(name, raw) => {
            let spec = app.lab().params().spec(name).map_err(|e| e.0)?;
            let value = spec.parse(raw).map_err(|e| e.0)?;
            let index = app
                .lab()
                .params()
                .iter()
                .position(|(s, _)| s.name == spec.name);
            if let Some(i) = index {
                app.lab_mut().selected = i;
            }
            let before = app.message.clone();
            let cmds = set_param(app, spec.name, value);
            match &app.message {
                Some(m) if m.error && app.message != before => Err(m.text.clone()),
                _ => Ok(cmds),
            }
        }
        Cue::Preset(name) => {
            let lab = app.lab().id();
            let index = lab
                .descriptor()
                .presets
                .iter()
                .position(|p| p.name == name)
                .ok_or_else(|| match lab.preset(name) {
                    Err(e) => e.0,
                    Ok(_) => String::new(),
                })?;
            // The `c` key's path, with its validation.
            pick_preset(app, index)
        }
        Cue::Theme(theme) => {
            app.theme = *theme;
            Ok(vec![])
        }
        Cue::Step(n) => {
            let mut cmds = Vec::new();
            for _ in 0..*n {
                cmds.extend(super::update(app, Action::StepOnce));
            }
            Ok(cmds)
        }
        Cue::Sweep {
            param,
            from,
            to,
            points,
        } => {
            let spec = app.lab().params().spec(param).map_err(|e| e.0)?;
            if spec.range().is_none() {
                let text = format!("cannot sweep '{param}': it is not numeric");
                complain(app, text.clone());
                return Err(text);
            }
            let log = spec.scale() == Some(crate::params::Scale::Log) && *from > 0.0 && *to > 0.0;
            let before = app.message.clone();
            let cmds = launch_range(app, spec.name, *from, *to, *points, log);
            match &app.message {
                Some(m) if m.error && app.message != before => Err(m.text.clone()),
                _ => Ok(cmds),
            }
        }
        Cue::Pin => Ok(super::update(app, Action::Pin)),
        Cue::Wait(_) | Cue::Mark(_) => Ok(vec![]),
    }
}
