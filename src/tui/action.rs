//! What the user wants, independent of which key said it. The keymap turns keys into
//! actions; `update` turns actions into state changes and worker commands.

/// An intent of the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
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
    /// Apply the typed value.
    CommitInput,
    TogglePause,
    /// Advance exactly one step (pauses).
    StepOnce,
    /// Restart the run with the same seed.
    Reset,
    /// Restart the run with the next seed.
    NewSeed,
    /// Sweep the selected parameter across its range.
    Sweep,
    /// Keep the current run as a ghost trace.
    Pin,
    /// Drop the ghost trace.
    Unpin,
    /// The lab's own action (mf: apply a random invertible R to the factors).
    LabAction,
    Explain,
    Zoom,
    CycleTheme,
    Help,
    /// Close the innermost overlay, input, sweep view or zoom.
    Close,
    Quit,
}
