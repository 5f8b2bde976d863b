//! The small value types the App, the worker, the view and the panes share: the run's state
//! and progress, the sweep being shown, a logged message, the smallest terminal the layout
//! works in. A leaf:
//! it imports nothing from the rest of `tui`, so those modules depend on it and not on each
//! other.

use crate::sweep::{Estimate, SweepPlan, SweepPoint};

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

/// The point counts a sweep's cost prompt offers (per axis for a map).
pub const CHOICES: [usize; 3] = [11, 21, 41];

/// The sweep shown under the pane, filled in as points arrive: a curve over one parameter,
/// or a map over two.
#[derive(Clone, Debug)]
pub struct SweepView {
    pub id: u64,
    /// What is swept. Its metric is the one shown: `m` changes it (and the points' metric)
    /// from the summaries the points keep, without running anything again.
    pub plan: SweepPlan,
    pub points: Vec<SweepPoint>,
    pub running: bool,
    pub error: Option<String>,
    /// When it started (the App's clock, seconds), for the ETA from the runs done.
    pub started: f64,
    /// The App's clock at the last point, for the ETA.
    pub last_point: f64,
    /// What it was measured to cost before it ran (live only: the inline driver does not
    /// measure wall time).
    pub estimate: Option<Estimate>,
    /// The estimate was over the limit: the sweep waits for the user to choose its points.
    pub asking: bool,
}

impl SweepView {
    /// A view of `plan` about to run.
    pub fn new(id: u64, plan: SweepPlan, now: f64) -> SweepView {
        SweepView {
            id,
            plan,
            points: Vec::new(),
            running: true,
            error: None,
            started: now,
            last_point: now,
            estimate: None,
            asking: false,
        }
    }

    /// A finished sweep's view (the headless `sweep --plot`).
    pub fn finished(plan: SweepPlan, points: Vec<SweepPoint>) -> SweepView {
        SweepView {
            running: false,
            points,
            ..SweepView::new(0, plan, 0.0)
        }
    }

    pub fn param(&self) -> &str {
        &self.plan.param
    }

    /// The second parameter of a map.
    pub fn param2(&self) -> Option<&str> {
        self.plan.second.as_ref().map(|(p, _)| p.as_str())
    }

    pub fn metric(&self) -> &str {
        &self.plan.metric
    }

    pub fn total(&self) -> usize {
        self.plan.total()
    }

    /// What the cost prompt offers: (points per axis, runs, seconds) for each of
    /// [`CHOICES`], from the measured estimate.
    pub fn choices(&self) -> Vec<(usize, usize, f64)> {
        let Some(estimate) = self.estimate else {
            return Vec::new();
        };
        let axes = if self.plan.second.is_some() { 2 } else { 1 };
        CHOICES
            .iter()
            .map(|&n| {
                let runs = n.pow(axes) * self.plan.seeds.max(1);
                (n, runs, estimate.for_runs(runs))
            })
            .collect()
    }

    /// Seconds left at the pace of the runs done so far (from the start to the last point),
    /// or, before any, the measured estimate.
    pub fn eta(&self) -> Option<f64> {
        let done = self.points.len();
        if !self.running || self.asking {
            return None;
        }
        if done == 0 {
            return self.estimate.map(|e| e.total);
        }
        let per_point = (self.last_point - self.started) / done as f64;
        (per_point > 0.0).then(|| per_point * self.total().saturating_sub(done) as f64)
    }
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
        clock_text(self.at)
    }
}

/// Whole seconds as `m:ss` (or `h:mm:ss`).
pub fn clock_text(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A demo's chapter: one `mark` of its script, at its time.
#[derive(Clone, Debug, PartialEq)]
pub struct Chapter {
    /// Seconds into the demo (its waits before the mark, at the demo's speed).
    pub at: f64,
    pub label: String,
    /// The index of the `mark` among the script's cues.
    pub cue: usize,
}

/// What the status bar shows while a demo plays (its HUD): where the demo is, how long it
/// is, the chapter it is in, whether it is paused.
#[derive(Clone, Debug, PartialEq)]
pub struct DemoHud {
    /// Seconds the demo takes (its waits at its speed).
    pub length: f64,
    pub chapters: Vec<Chapter>,
    /// Seconds into the demo, pauses excluded.
    pub position: f64,
    /// The last chapter whose mark was passed.
    pub chapter: Option<usize>,
    /// The lecturer paused the demo (Space).
    pub paused: bool,
    /// Pausing the demo paused its run too, so resuming resumes it.
    pub paused_run: bool,
    /// Every cue has played: Space acts on the run again.
    pub finished: bool,
}

impl DemoHud {
    /// At the start of a demo of `length` seconds with these chapters.
    pub fn new(length: f64, chapters: Vec<Chapter>) -> DemoHud {
        DemoHud {
            length,
            chapters,
            position: 0.0,
            chapter: None,
            paused: false,
            paused_run: false,
            finished: false,
        }
    }

    /// The current chapter's label.
    pub fn chapter_label(&self) -> Option<&str> {
        Some(self.chapters.get(self.chapter?)?.label.as_str())
    }

    /// `0:26 / 2:22`.
    pub fn clock(&self) -> String {
        format!(
            "{} / {}",
            clock_text(self.position.min(self.length)),
            clock_text(self.length)
        )
    }
}
