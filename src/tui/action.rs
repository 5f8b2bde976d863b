//! What the user wants, independent of which key said it. The keymap turns keys into
//! actions; `update` turns actions into state changes and worker commands.

/// An intent of the user (or of the event loop: start, resize, a signal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Load the open lab (the first thing the event loop does).
    Start,
    NextLab,
    PrevLab,
    /// Open the lab with this tab index (0-based).
    SelectLab(usize),
    /// Move the parameter selection by this many rows.
    SelectParam(i32),
    /// Nudge the selected parameter: `dir` ±1, `big` for ten steps.
    Adjust {
        dir: i32,
        big: bool,
    },
    /// Start typing a value for the selected parameter.
    BeginInput,
    InputChar(char),
    InputBackspace,
    InputDelete,
    /// Move the cursor of the value being typed.
    InputCursor(super::input::CursorMove),
    /// Apply the typed value.
    CommitInput,
    TogglePause,
    /// While a demo plays: pause or resume the demo itself (and its run with it).
    DemoPause,
    /// While a demo plays: jump to the previous (−1) or next (1) chapter.
    DemoJump(i8),
    /// Advance exactly one step (pauses).
    StepOnce,
    /// Restart the run with the same seed.
    Reset,
    /// Restart the run with the next seed.
    NewSeed,
    /// Double / halve the pace of the run.
    Faster,
    Slower,
    /// Apply the lab's next preset.
    NextPreset,
    /// Every parameter back to its default.
    Defaults,
    /// Show (and copy) the command that reproduces the current state.
    Share,
    /// Write the zoomed figure (or every figure) of the pane as SVG.
    Figure,
    /// Start or stop recording the terminal (a .cast and a .gif).
    Record,
    /// Write the whole screen as a PNG.
    Screenshot,
    /// Sweep the selected parameter across its valid range.
    Sweep,
    /// In the sweep view: plot the next numeric summary key.
    SweepMetric,
    /// In the sweep view: halve (true) or double (false) the range around the current value.
    SweepNarrow(bool),
    /// At the cost prompt: run the sweep with this many points (per axis for a map).
    SweepPoints(usize),
    /// At the cost prompt: run the sweep as planned.
    SweepConfirm,
    /// Type the sweep's range (and points).
    SweepRange,
    /// Map the lab's next named map.
    NamedMap,
    /// Run the current parameters over seeds (or stop / hide that).
    Seeds,
    /// Keep the current run as a ghost trace.
    Pin,
    /// Drop the ghost trace.
    Unpin,
    /// A key that may be one of the lab's declared actions.
    LabKey(char),
    Explain,
    /// The last messages, in full, with their times.
    Log,
    Zoom,
    /// Zoom the zoomed chart's x range: 1 halves it, −1 doubles it, 0 shows all of it (the
    /// range stays anchored at its start).
    ZoomX(i8),
    CycleTheme,
    Help,
    /// Scroll an overlay by lines (negative: up).
    Scroll(i32),
    /// Close the innermost overlay, input, sweep view or zoom.
    Close,
    /// Suspend to the shell (Ctrl-Z): the event loop restores the terminal, stops, and
    /// redraws when resumed. It changes no App state.
    Suspend,
    /// The terminal has a new size.
    Resize(u16, u16),
    /// Quit; while a long run, a sweep or runs over seeds are in progress, ask once more.
    Quit,
    /// Quit without asking (Ctrl-C, a signal, the second `q`).
    QuitNow,
}
