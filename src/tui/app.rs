//! The App model: which lab is open, its parameters and latest report, the run state,
//! overlays, the sweep view and messages. Plain data; only `update` changes it.

use super::keymap::Mode;
use crate::labs::LabId;
use crate::params::ParamSet;
use crate::report::Report;
use crate::sweep::SweepPoint;
use crate::tui::theme::ThemeName;

/// What the worker is doing with the open lab.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunState {
    Running,
    Paused,
    Done,
}

impl RunState {
    pub fn label(self) -> &'static str {
        match self {
            RunState::Running => "RUNNING",
            RunState::Paused => "PAUSED",
            RunState::Done => "DONE",
        }
    }
}

/// An overlay over the whole screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlay {
    Help,
    Explain,
}

/// One lab as the UI knows it: its parameters as last set, the selection, the seed, the
/// latest report and an optional pinned (ghost) report.
#[derive(Clone, Debug)]
pub struct LabView {
    pub id: LabId,
    pub params: ParamSet,
    pub selected: usize,
    pub seed: u64,
    pub report: Option<Report>,
    pub pinned: Option<Report>,
}

/// The sweep shown under the pane, filled in as points arrive.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepView {
    pub id: u64,
    pub lab: LabId,
    pub param: String,
    pub metric: String,
    pub values: Vec<f64>,
    pub log_x: bool,
    pub points: Vec<SweepPoint>,
    pub running: bool,
    pub error: Option<String>,
}

/// A line in the status bar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub text: String,
    pub error: bool,
}

#[derive(Clone, Debug)]
pub struct App {
    pub labs: Vec<LabView>,
    pub current: usize,
    pub run: RunState,
    pub overlay: Option<Overlay>,
    /// The value being typed, when editing a parameter.
    pub input: Option<String>,
    /// The zoomed chart of the pane, if any.
    pub zoom: Option<usize>,
    pub theme: ThemeName,
    pub message: Option<Message>,
    pub sweep: Option<SweepView>,
    pub caption: Option<String>,
    pub quit: bool,
    pub next_sweep_id: u64,
}

impl App {
    /// The App on `start`, every lab at its default parameters.
    pub fn new(start: LabId, theme: ThemeName, seed: u64) -> App {
        let labs: Vec<LabView> = LabId::all()
            .into_iter()
            .map(|id| LabView {
                id,
                params: ParamSet::new(id.name(), id.specs()),
                selected: 0,
                seed,
                report: None,
                pinned: None,
            })
            .collect();
        let current = labs.iter().position(|l| l.id == start).unwrap_or(0);
        App {
            labs,
            current,
            run: RunState::Running,
            overlay: None,
            input: None,
            zoom: None,
            theme,
            message: None,
            sweep: None,
            caption: None,
            quit: false,
            next_sweep_id: 1,
        }
    }

    pub fn lab(&self) -> &LabView {
        &self.labs[self.current]
    }

    pub fn lab_mut(&mut self) -> &mut LabView {
        &mut self.labs[self.current]
    }

    /// Which keys are live.
    pub fn mode(&self) -> Mode {
        if self.input.is_some() {
            Mode::Input
        } else if self.overlay.is_some() {
            Mode::Overlay
        } else {
            Mode::Normal
        }
    }
}
