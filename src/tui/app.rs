//! The App model: which lab is open, every lab's run spec, latest report, run state and
//! progress (a lab keeps them while another is shown), overlays, the sweep view, messages
//! and their log. Its fields are private to the `tui`
//! module and only `update` is handed a `&mut App`, so every change goes through it.
//! Everything else reads through the getters.

use super::input::InputBox;
use super::keymap::InputMode;
pub use super::model::{Chapter, DemoHud, LogEntry, RunState, SweepView};
use super::model::{MIN_HEIGHT, MIN_WIDTH, Progress};
use super::speed::Speed;
use super::theme::ThemeName;
use crate::labs::LabId;
use crate::params::ParamSet;
use crate::report::Report;
use crate::run::RunSpec;
use crate::seeds::SeedStats;
use std::collections::VecDeque;

/// How many messages the log keeps.
pub const LOG_LEN: usize = 100;

/// An overlay over the whole screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlay {
    Help,
    Explain,
    /// The command that reproduces the current state.
    Share,
    /// The last messages, in full, with their times.
    Log,
}

/// One lab as the UI knows it: the spec of its run as last set, the selection, the latest
/// report with its run state and progress, and an optional pinned (ghost) report. It is kept
/// while another lab is shown, as the worker keeps the lab's run.
#[derive(Clone, Debug)]
pub struct LabView {
    pub(super) spec: RunSpec,
    /// The spec of the last run that started; a failed start goes back to it.
    pub(super) last_good: RunSpec,
    /// The generation of this lab's run as last asked for (0: never started).
    pub(super) generation: u64,
    pub(super) run: RunState,
    pub(super) progress: Option<Progress>,
    pub(super) selected: usize,
    pub(super) report: Option<Report>,
    pub(super) pinned: Option<Report>,
    /// The preset last picked with the preset key (index into the lab's presets).
    pub(super) preset: Option<usize>,
    /// The same parameters over seeds (the `S` key), if asked for.
    pub(super) seeds: Option<SeedsView>,
    /// Which of the pane's views is shown (a choice of the UI: runs do not depend on it).
    pub(super) view: usize,
}

/// Runs of one spec over seeds in the background, and what they show so far.
#[derive(Clone, Debug, PartialEq)]
pub struct SeedsView {
    pub id: u64,
    /// The parameters and first seed the runs are of: the bands belong to this spec only.
    pub spec: RunSpec,
    pub running: bool,
    pub stats: Option<SeedStats>,
}

impl LabView {
    pub(super) fn new(spec: RunSpec) -> LabView {
        LabView {
            last_good: spec.clone(),
            spec,
            generation: 0,
            run: RunState::Running,
            progress: None,
            selected: 0,
            report: None,
            pinned: None,
            preset: None,
            seeds: None,
            view: 0,
        }
    }

    pub fn id(&self) -> LabId {
        self.spec.lab
    }

    pub fn spec(&self) -> &RunSpec {
        &self.spec
    }

    pub fn params(&self) -> &ParamSet {
        &self.spec.params
    }

    pub fn seed(&self) -> u64 {
        self.spec.seed
    }

    pub fn selected(&self) -> usize {
        self.selected
    }

    pub fn report(&self) -> Option<&Report> {
        self.report.as_ref()
    }

    /// The natural pace of this lab's run (its preset's, or the lab's), in steps per second.
    pub fn pace(&self) -> f64 {
        super::pace::of_spec(&self.spec)
    }

    pub fn pinned(&self) -> Option<&Report> {
        self.pinned.as_ref()
    }

    /// Which of the pane's views is shown (0 for a pane with one).
    pub fn view(&self) -> usize {
        self.view
    }

    /// What the runs over seeds of the current parameters show, once one has finished.
    pub fn seeds(&self) -> Option<&SeedStats> {
        self.seeds
            .as_ref()
            .filter(|v| v.spec == self.spec)
            .and_then(|v| v.stats.as_ref())
    }

    /// The name of the preset last picked, if the parameters still match it.
    pub fn preset_name(&self) -> Option<&'static str> {
        let preset = self.id().descriptor().presets.get(self.preset?)?;
        let mut spec = RunSpec::new(self.id());
        spec.apply_preset(preset.name).ok()?;
        (spec.params == self.spec.params).then_some(preset.name)
    }
}

/// A line in the status bar. It clears when what it describes changes (a new run, a closed
/// sweep, a corrected value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub text: String,
    pub error: bool,
}

#[derive(Clone, Debug)]
pub struct App {
    pub(super) labs: Vec<LabView>,
    pub(super) current: usize,
    pub(super) speed: Speed,
    pub(super) overlay: Option<Overlay>,
    /// The first line shown of a scrolled overlay.
    pub(super) scroll: u16,
    /// The value being typed, when editing a parameter.
    pub(super) input: Option<InputBox>,
    /// The input box holds the sweep's range (`/`), not a parameter's value.
    pub(super) range_input: bool,
    /// The typed value whose run is starting: reopened for editing if the start fails.
    pub(super) committed_input: Option<(u64, String)>,
    /// The zoomed chart of the pane, if any.
    pub(super) zoom: Option<usize>,
    /// The zoomed chart shows the first 1/2^x_zoom of its x range.
    pub(super) x_zoom: u32,
    pub(super) theme: ThemeName,
    pub(super) message: Option<Message>,
    pub(super) sweep: Option<SweepView>,
    /// The summary key the next sweep plots.
    pub(super) sweep_metric: Option<String>,
    pub(super) caption: Option<String>,
    pub(super) quit: bool,
    pub(super) next_sweep_id: u64,
    /// The generation of the newest run asked for; reports of older ones are dropped.
    pub(super) generation: u64,
    /// The terminal's size, for the too-small rule.
    pub(super) size: (u16, u16),
    /// What update asks of the outside world (clipboard, files, recording), taken by the
    /// event loop through `update::take_effects`.
    pub(super) effects: Vec<Effect>,
    /// The file being recorded to, if recording.
    pub(super) recording: Option<String>,
    /// The last messages, oldest first.
    pub(super) log: VecDeque<LogEntry>,
    /// Seconds since the TUI started (the event loop's clock: real, or a demo's virtual one).
    pub(super) now: f64,
    /// `q` asked whether to quit, and this would be lost.
    pub(super) confirm_quit: Option<Vec<String>>,
    /// The HUD of the demo playing, if one is (and, headless, if asked for).
    pub(super) demo: Option<DemoHud>,
}

/// Something for the event loop: what only it can do (it owns the terminal, the file system
/// and a demo's clock), and what it may need to know.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Put this text on the terminal's clipboard (OSC 52).
    Clipboard(String),
    /// Write the pane's figures (or figure `only`) as an SVG file.
    Figure { only: Option<usize> },
    /// Write the open sweep as SVG and CSV files.
    SweepFigure,
    /// Start or stop recording the terminal (a .cast and a .gif).
    ToggleRecording,
    /// Write the whole screen, as it is, as a PNG file.
    Screenshot,
    /// Suspend to the shell (Ctrl-Z, SIGTSTP): restore the terminal, stop, redraw on resume.
    Suspend,
    /// Jump to the start of a demo's chapter (`None`: the demo's start): the event loop
    /// replays the demo from the start on the virtual clock up to it.
    DemoJump { chapter: Option<usize> },
    /// A demo cue could not apply now (its line, and why).
    CueFailed { line: usize, message: String },
    /// The worker reported a failure (a run that could not start, a sweep or seeds that
    /// failed); the status bar already says so.
    WorkerFailed(String),
}

impl App {
    /// The App on `start` (its parameters and seed), every other lab at its defaults.
    pub fn new(start: RunSpec, theme: ThemeName) -> App {
        App::configured(start, theme, Speed::NATURAL, &[])
    }

    /// The App on `start`, at `speed`, the other labs at `defaults` (the config file's; a lab
    /// not in it at its built-in defaults), all with `start`'s seed.
    pub fn configured(start: RunSpec, theme: ThemeName, speed: Speed, defaults: &[RunSpec]) -> App {
        let seed = start.seed;
        let labs: Vec<LabView> = LabId::all()
            .iter()
            .map(|&id| {
                if id == start.lab {
                    return LabView::new(start.clone());
                }
                let base = defaults
                    .iter()
                    .find(|s| s.lab == id)
                    .cloned()
                    .unwrap_or_else(|| RunSpec::new(id));
                LabView::new(RunSpec { seed, ..base })
            })
            .collect();
        let current = labs.iter().position(|l| l.id() == start.lab).unwrap_or(0);
        App {
            labs,
            current,
            speed,
            overlay: None,
            scroll: 0,
            input: None,
            range_input: false,
            committed_input: None,
            zoom: None,
            x_zoom: 0,
            theme,
            message: None,
            sweep: None,
            sweep_metric: None,
            caption: None,
            quit: false,
            next_sweep_id: 1,
            generation: 0,
            size: (MIN_WIDTH, MIN_HEIGHT),
            effects: Vec::new(),
            recording: None,
            log: VecDeque::new(),
            now: 0.0,
            confirm_quit: None,
            demo: None,
        }
    }

    pub fn lab(&self) -> &LabView {
        &self.labs[self.current]
    }

    pub(super) fn lab_mut(&mut self) -> &mut LabView {
        &mut self.labs[self.current]
    }

    pub fn labs(&self) -> &[LabView] {
        &self.labs
    }

    pub fn current(&self) -> usize {
        self.current
    }

    /// The open lab's run state.
    pub fn run_state(&self) -> RunState {
        self.lab().run
    }

    /// The open lab's progress.
    pub fn progress(&self) -> Option<&Progress> {
        self.lab().progress.as_ref()
    }

    pub fn speed(&self) -> Speed {
        self.speed
    }

    pub fn overlay(&self) -> Option<Overlay> {
        self.overlay
    }

    pub fn scroll(&self) -> u16 {
        self.scroll
    }

    /// The value being typed.
    pub fn input(&self) -> Option<&str> {
        self.input.as_ref().map(InputBox::text)
    }

    /// The input box of a parameter's value (its text, cursor and selection).
    pub fn input_box(&self) -> Option<&InputBox> {
        self.input.as_ref().filter(|_| !self.range_input)
    }

    /// The input box of the sweep's range (`/`), when that is what is typed.
    pub fn range_box(&self) -> Option<&InputBox> {
        self.input.as_ref().filter(|_| self.range_input)
    }

    /// The last messages, oldest first.
    pub fn log(&self) -> &VecDeque<LogEntry> {
        &self.log
    }

    /// What quitting would throw away, while `q` asks for a second `q`.
    pub fn confirm_quit(&self) -> Option<&[String]> {
        self.confirm_quit.as_deref()
    }

    /// The HUD of the demo playing, if any.
    pub fn demo(&self) -> Option<&DemoHud> {
        self.demo.as_ref()
    }

    pub fn zoom(&self) -> Option<usize> {
        self.zoom
    }

    /// How many times the zoomed chart's x range was halved (0 while no chart is zoomed).
    pub fn x_zoom(&self) -> u32 {
        if self.zoom.is_some() { self.x_zoom } else { 0 }
    }

    pub fn theme(&self) -> ThemeName {
        self.theme
    }

    pub fn message(&self) -> Option<&Message> {
        self.message.as_ref()
    }

    pub fn sweep(&self) -> Option<&SweepView> {
        self.sweep.as_ref()
    }

    pub fn caption(&self) -> Option<&str> {
        self.caption.as_deref()
    }

    pub fn quit_requested(&self) -> bool {
        self.quit
    }

    /// The file being recorded to, if recording.
    pub fn recording(&self) -> Option<&str> {
        self.recording.as_deref()
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Whether the terminal is below the minimum size (only quit and resize act then).
    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_WIDTH || self.size.1 < MIN_HEIGHT
    }

    /// Which keys are live.
    pub fn mode(&self) -> InputMode {
        if self.too_small() {
            InputMode::TooSmall
        } else if self.confirm_quit.is_some() {
            InputMode::Confirm
        } else if self.input.is_some() {
            InputMode::Input
        } else if self.sweep.as_ref().is_some_and(|s| s.asking) {
            InputMode::Ask
        } else if self.overlay.is_some() {
            InputMode::Overlay
        } else if self.zoom.is_some() {
            InputMode::Zoom
        } else if self.sweep.is_some() {
            InputMode::Sweep
        } else {
            InputMode::Normal
        }
    }
}
