//! The small value types the App, the worker, the view and the panes share: the run's state
//! and progress, the sweep being shown, a logged message, the smallest terminal the layout
//! works in. A leaf:
//! it imports nothing from the rest of `tui`, so those modules depend on it and not on each
//! other.

use crate::labs::LabId;
use crate::sweep::SweepPoint;

/// The smallest terminal the layout works in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

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

/// How far a run is, and when it will be done.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    pub step: u64,
    pub total: u64,
    /// Seconds to the end at the current rate; `None` until it is meaningful.
    pub eta: Option<f64>,
    /// Steps per second over the run so far; `None` until it is meaningful.
    pub rate: Option<f64>,
}

/// The sweep shown under the pane, filled in as points arrive.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepView {
    pub id: u64,
    pub lab: LabId,
    pub param: String,
    pub metric: String,
    /// The swept range.
    pub from: f64,
    pub to: f64,
    pub total: usize,
    pub log_x: bool,
    pub points: Vec<SweepPoint>,
    pub running: bool,
    pub error: Option<String>,
}

/// A message as the log keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct LogEntry {
    /// Seconds since the TUI started.
    pub at: f64,
    pub text: String,
    pub error: bool,
}

impl LogEntry {
    /// `m:ss` (or `h:mm:ss`) since the start.
    pub fn time(&self) -> String {
        let s = self.at.max(0.0) as u64;
        let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
        if h > 0 {
            format!("{h}:{m:02}:{s:02}")
        } else {
            format!("{m}:{s:02}")
        }
    }
}
