//! The one place that knows key codes: (mode, key) → [`Action`], and the binding table the
//! help overlay and the hint bar are generated from. Demo scripts name keys the same way
//! ([`parse_key`]), so a demo goes through this exact keymap.

use super::action::Action;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Which keys are live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Browsing labs and parameters.
    Normal,
    /// Typing a parameter value.
    Input,
    /// The help or explain overlay is open.
    Overlay,
}

/// A key as bindings describe it.
#[derive(Clone, Copy, Debug)]
pub enum Key {
    /// A character, with or without Shift (its case says which).
    Char(char),
    /// Ctrl + a character.
    Ctrl(char),
    /// A named key without Shift or Ctrl.
    Code(KeyCode),
    /// A named key with Shift.
    Shift(KeyCode),
}

impl Key {
    fn matches(self, ev: &KeyEvent) -> bool {
        let shift = ev.modifiers.contains(KeyModifiers::SHIFT);
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let alt = ev.modifiers.contains(KeyModifiers::ALT);
        match self {
            Key::Char(c) => ev.code == KeyCode::Char(c) && !ctrl && !alt,
            Key::Ctrl(c) => ev.code == KeyCode::Char(c) && ctrl,
            Key::Code(k) => ev.code == k && !shift && !ctrl && !alt,
            Key::Shift(k) => ev.code == k && shift && !ctrl,
        }
    }
}

/// One row of the keymap.
#[derive(Clone, Copy, Debug)]
pub struct Binding {
    pub mode: Mode,
    pub keys: &'static [Key],
    pub action: Action,
    /// The keys as the help overlay shows them; empty hides the row (its meaning is shown
    /// by another row, like `1–6`).
    pub label: &'static str,
    pub help: &'static str,
    /// A short word for the always-visible hint bar, if this binding earns a place there.
    pub hint: Option<&'static str>,
}

const fn b(
    mode: Mode,
    keys: &'static [Key],
    action: Action,
    label: &'static str,
    help: &'static str,
    hint: Option<&'static str>,
) -> Binding {
    Binding {
        mode,
        keys,
        action,
        label,
        help,
        hint,
    }
}

use Key::{Char as C, Code, Ctrl, Shift};
use Mode::{Input, Normal, Overlay};

/// Every binding. The order is the order of the help overlay.
pub const BINDINGS: &[Binding] = &[
    b(
        Normal,
        &[Code(KeyCode::Tab)],
        Action::NextLab,
        "Tab",
        "next lab",
        Some("lab"),
    ),
    b(
        Normal,
        &[
            Code(KeyCode::BackTab),
            Shift(KeyCode::BackTab),
            Shift(KeyCode::Tab),
        ],
        Action::PrevLab,
        "Shift-Tab",
        "previous lab",
        None,
    ),
    b(
        Normal,
        &[C('1')],
        Action::SelectLab(0),
        "1–6",
        "open lab by number",
        None,
    ),
    b(Normal, &[C('2')], Action::SelectLab(1), "", "", None),
    b(Normal, &[C('3')], Action::SelectLab(2), "", "", None),
    b(Normal, &[C('4')], Action::SelectLab(3), "", "", None),
    b(Normal, &[C('5')], Action::SelectLab(4), "", "", None),
    b(Normal, &[C('6')], Action::SelectLab(5), "", "", None),
    b(
        Normal,
        &[Code(KeyCode::Up), C('k')],
        Action::SelectParam(-1),
        "↑ k",
        "select the parameter above",
        None,
    ),
    b(
        Normal,
        &[Code(KeyCode::Down), C('j')],
        Action::SelectParam(1),
        "↓ j",
        "select the parameter below",
        Some("select"),
    ),
    b(
        Normal,
        &[Code(KeyCode::Left), C('h')],
        Action::Adjust {
            dir: -1,
            big: false,
        },
        "← h",
        "decrease the parameter",
        None,
    ),
    b(
        Normal,
        &[Code(KeyCode::Right), C('l')],
        Action::Adjust { dir: 1, big: false },
        "→ l",
        "increase the parameter",
        Some("adjust"),
    ),
    b(
        Normal,
        &[Shift(KeyCode::Left), C('H')],
        Action::Adjust { dir: -1, big: true },
        "Shift-← H",
        "decrease by ten steps",
        None,
    ),
    b(
        Normal,
        &[Shift(KeyCode::Right), C('L')],
        Action::Adjust { dir: 1, big: true },
        "Shift-→ L",
        "increase by ten steps",
        None,
    ),
    b(
        Normal,
        &[Code(KeyCode::Enter)],
        Action::BeginInput,
        "Enter",
        "type a value for the parameter",
        Some("type"),
    ),
    b(
        Normal,
        &[C(' ')],
        Action::TogglePause,
        "Space",
        "pause / resume",
        Some("pause"),
    ),
    b(
        Normal,
        &[C('.')],
        Action::StepOnce,
        ".",
        "one step (pauses)",
        Some("step"),
    ),
    b(
        Normal,
        &[C('r')],
        Action::Reset,
        "r",
        "restart with the same seed",
        Some("reset"),
    ),
    b(
        Normal,
        &[C('n')],
        Action::NewSeed,
        "n",
        "restart with a new seed",
        None,
    ),
    b(
        Normal,
        &[C('s')],
        Action::Sweep,
        "s",
        "sweep the selected parameter over its range",
        Some("sweep"),
    ),
    b(
        Normal,
        &[C('p')],
        Action::Pin,
        "p",
        "pin this run as a ghost trace",
        Some("pin"),
    ),
    b(
        Normal,
        &[C('P')],
        Action::Unpin,
        "P",
        "drop the ghost trace",
        None,
    ),
    b(
        Normal,
        &[C('g')],
        Action::LabAction,
        "g",
        "the lab's own action (mf: random gauge R)",
        None,
    ),
    b(
        Normal,
        &[C('e')],
        Action::Explain,
        "e",
        "explain: formulas and what to notice",
        Some("explain"),
    ),
    b(
        Normal,
        &[C('z')],
        Action::Zoom,
        "z",
        "zoom the next chart (cycles, then back)",
        Some("zoom"),
    ),
    b(
        Normal,
        &[C('t')],
        Action::CycleTheme,
        "t",
        "theme: default → projector → mono",
        None,
    ),
    b(
        Normal,
        &[C('?')],
        Action::Help,
        "?",
        "this help",
        Some("help"),
    ),
    b(
        Normal,
        &[Code(KeyCode::Esc)],
        Action::Close,
        "Esc",
        "close the sweep view or zoom",
        None,
    ),
    b(
        Normal,
        &[C('q'), Ctrl('c')],
        Action::Quit,
        "q Ctrl-C",
        "quit",
        Some("quit"),
    ),
    b(
        Input,
        &[Code(KeyCode::Enter)],
        Action::CommitInput,
        "Enter",
        "apply the typed value",
        None,
    ),
    b(
        Input,
        &[Code(KeyCode::Backspace)],
        Action::InputBackspace,
        "Backspace",
        "delete a character",
        None,
    ),
    b(
        Input,
        &[Code(KeyCode::Esc)],
        Action::Close,
        "Esc",
        "cancel typing",
        None,
    ),
    b(Input, &[Ctrl('c')], Action::Quit, "Ctrl-C", "quit", None),
    b(
        Overlay,
        &[Code(KeyCode::Esc), C('q')],
        Action::Close,
        "Esc q",
        "close this overlay",
        None,
    ),
    b(Overlay, &[C('?')], Action::Help, "?", "toggle help", None),
    b(
        Overlay,
        &[C('e')],
        Action::Explain,
        "e",
        "toggle explain",
        None,
    ),
    b(Overlay, &[Ctrl('c')], Action::Quit, "Ctrl-C", "quit", None),
];

/// The action for a key in a mode, if any. Key releases are ignored (terminals that report
/// them would otherwise act twice).
pub fn map(mode: Mode, ev: &KeyEvent) -> Option<Action> {
    if ev.kind == KeyEventKind::Release {
        return None;
    }
    let bound = BINDINGS
        .iter()
        .filter(|b| b.mode == mode)
        .find(|b| b.keys.iter().any(|k| k.matches(ev)))
        .map(|b| b.action);
    if bound.is_some() {
        return bound;
    }
    match (mode, ev.code) {
        (Mode::Input, KeyCode::Char(c))
            if !ev.modifiers.contains(KeyModifiers::CONTROL) && !c.is_control() =>
        {
            Some(Action::InputChar(c))
        }
        _ => None,
    }
}

/// The hint bar: "→ adjust  ↓ select  …", from the bindings that have a hint word.
pub fn hint_items() -> Vec<(&'static str, &'static str)> {
    BINDINGS
        .iter()
        .filter_map(|b| {
            b.hint
                .map(|h| (b.label.split(' ').next().unwrap_or(b.label), h))
        })
        .collect()
}

/// Help rows (keys, what they do) of a mode, in table order.
pub fn help_rows(mode: Mode) -> Vec<(&'static str, &'static str)> {
    BINDINGS
        .iter()
        .filter(|b| b.mode == mode && !b.label.is_empty())
        .map(|b| (b.label, b.help))
        .collect()
}

/// A key named as in demo scripts and tests: `Right`, `Shift-Left`, `Space`, `Enter`,
/// `Tab`, `Shift-Tab`, `Esc`, `Backspace`, `Up`, `Down`, `Ctrl-c`, or a single character.
pub fn parse_key(name: &str) -> Option<KeyEvent> {
    let plain = |code| Some(KeyEvent::new(code, KeyModifiers::NONE));
    let shifted = |code| Some(KeyEvent::new(code, KeyModifiers::SHIFT));
    match name {
        "Up" => plain(KeyCode::Up),
        "Down" => plain(KeyCode::Down),
        "Left" => plain(KeyCode::Left),
        "Right" => plain(KeyCode::Right),
        "Shift-Left" => shifted(KeyCode::Left),
        "Shift-Right" => shifted(KeyCode::Right),
        "Shift-Up" => shifted(KeyCode::Up),
        "Shift-Down" => shifted(KeyCode::Down),
        "Space" => plain(KeyCode::Char(' ')),
        "Enter" => plain(KeyCode::Enter),
        "Tab" => plain(KeyCode::Tab),
        "Shift-Tab" | "BackTab" => shifted(KeyCode::BackTab),
        "Esc" | "Escape" => plain(KeyCode::Esc),
        "Backspace" => plain(KeyCode::Backspace),
        _ => {
            if let Some(rest) = name.strip_prefix("Ctrl-") {
                let mut chars = rest.chars();
                return match (chars.next(), chars.next()) {
                    (Some(c), None) => Some(KeyEvent::new(
                        KeyCode::Char(c.to_ascii_lowercase()),
                        KeyModifiers::CONTROL,
                    )),
                    _ => None,
                };
            }
            let mut chars = name.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if c.is_uppercase() => {
                    Some(KeyEvent::new(KeyCode::Char(c), KeyModifiers::SHIFT))
                }
                (Some(c), None) => plain(KeyCode::Char(c)),
                _ => None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> KeyEvent {
        parse_key(name).expect("a known key name")
    }

    #[test]
    fn keys_map_to_actions_per_mode() {
        assert_eq!(map(Mode::Normal, &key("Tab")), Some(Action::NextLab));
        assert_eq!(map(Mode::Normal, &key("Shift-Tab")), Some(Action::PrevLab));
        assert_eq!(map(Mode::Normal, &key("3")), Some(Action::SelectLab(2)));
        assert_eq!(
            map(Mode::Normal, &key("Shift-Right")),
            Some(Action::Adjust { dir: 1, big: true })
        );
        assert_eq!(
            map(Mode::Normal, &key("L")),
            Some(Action::Adjust { dir: 1, big: true })
        );
        assert_eq!(map(Mode::Normal, &key("Ctrl-c")), Some(Action::Quit));
        assert_eq!(map(Mode::Input, &key("q")), Some(Action::InputChar('q')));
        assert_eq!(map(Mode::Input, &key("Ctrl-c")), Some(Action::Quit));
        assert_eq!(map(Mode::Overlay, &key("Right")), None);
        assert_eq!(map(Mode::Overlay, &key("Esc")), Some(Action::Close));
    }

    #[test]
    fn every_normal_action_has_a_help_row_or_a_sibling_that_does() {
        let rows = help_rows(Mode::Normal);
        assert!(rows.iter().any(|(k, _)| *k == "1–6"));
        assert!(rows.iter().any(|(_, h)| h.contains("sweep")));
        assert!(hint_items().iter().any(|(_, h)| *h == "quit"));
    }
}
