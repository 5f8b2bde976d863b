//! The one place that knows key codes: (mode, key) → [`Action`], and the binding table the
//! help overlay and the hint bar are generated from. A key the table does not bind may be
//! one of the open lab's declared actions ([`Action::LabKey`]). Demo scripts name keys the
//! same way ([`parse_key`]), so a demo goes through this exact keymap.

use super::action::Action;
use super::input::CursorMove;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Which keys are live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputMode {
    /// Browsing labs and parameters.
    Normal,
    /// Typing a parameter value.
    Input,
    /// The help, explain or share overlay is open.
    Overlay,
    /// One chart of the pane fills it (Normal keys act too).
    Zoom,
    /// The sweep view is open under the pane (Normal keys act too).
    Sweep,
    /// The terminal is below the minimum size: only quit acts.
    TooSmall,
    /// `q` asks whether to quit: `q` or `y` quits, any other key stays.
    Confirm,
    /// A sweep measured to take long waits: choose its points, type a range, or cancel.
    Ask,
    /// Never the mode itself: a layer over the modes that inherit Normal while a demo plays.
    /// The lecturer's keys try its bindings first ([`map_playing`]); a script's keys never
    /// do, so a script's `key Right` still adjusts a parameter.
    Demo,
}

impl InputMode {
    /// Whether the Normal bindings act in this mode too.
    fn inherits_normal(self) -> bool {
        matches!(self, InputMode::Normal | InputMode::Zoom | InputMode::Sweep)
    }
}

/// A key as bindings describe it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    pub mode: InputMode,
    pub keys: &'static [Key],
    pub action: Action,
    /// The keys as the help overlay shows them; empty hides the row (its meaning is shown
    /// by another row, like `1–9`).
    pub label: &'static str,
    pub help: &'static str,
    /// A short word for the always-visible hint bar, if this binding earns a place there.
    pub hint: Option<&'static str>,
}

const fn b(
    mode: InputMode,
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

use InputMode::{Ask, Confirm, Demo, Input, Normal, Overlay, Sweep, TooSmall, Zoom};
use Key::{Char as C, Code, Ctrl, Shift};

/// Every binding. The order is the order of the help overlay.
#[rustfmt::skip]
pub const BINDINGS: &[Binding] = &[
    b(Normal, &[Code(KeyCode::Tab)], Action::NextLab, "Tab", "next lab", Some("lab")),
    b(Normal, &[Code(KeyCode::BackTab), Shift(KeyCode::BackTab), Shift(KeyCode::Tab)], Action::PrevLab, "Shift-Tab", "previous lab", None),
    b(Normal, &[C('1')], Action::SelectLab(0), "1–N", "open lab by number", None),
    b(Normal, &[C('2')], Action::SelectLab(1), "", "", None),
    b(Normal, &[C('3')], Action::SelectLab(2), "", "", None),
    b(Normal, &[C('4')], Action::SelectLab(3), "", "", None),
    b(Normal, &[C('5')], Action::SelectLab(4), "", "", None),
    b(Normal, &[C('6')], Action::SelectLab(5), "", "", None),
    b(Normal, &[C('7')], Action::SelectLab(6), "", "", None),
    b(Normal, &[C('8')], Action::SelectLab(7), "", "", None),
    b(Normal, &[C('9')], Action::SelectLab(8), "", "", None),
    b(Normal, &[Code(KeyCode::Up), C('k')], Action::SelectParam(-1), "↑ k", "select the parameter above", None),
    b(Normal, &[Code(KeyCode::Down), C('j')], Action::SelectParam(1), "↓ j", "select the parameter below", Some("select")),
    b(Normal, &[Code(KeyCode::Left), C('h')], Action::Adjust { dir: -1, big: false }, "← h", "decrease the parameter", None),
    b(Normal, &[Code(KeyCode::Right), C('l')], Action::Adjust { dir: 1, big: false }, "→ l", "increase the parameter", Some("adjust")),
    b(Normal, &[Shift(KeyCode::Left), C('H')], Action::Adjust { dir: -1, big: true }, "Shift-← H", "decrease by ten steps", None),
    b(Normal, &[Shift(KeyCode::Right), C('L')], Action::Adjust { dir: 1, big: true }, "Shift-→ L", "increase by ten steps", None),
    b(Normal, &[Code(KeyCode::Enter)], Action::BeginInput, "Enter", "type a value for the parameter", Some("type")),
    b(Normal, &[C(' ')], Action::TogglePause, "Space", "pause / resume", Some("pause")),
    b(Normal, &[C('.')], Action::StepOnce, ".", "one step (pauses)", Some("step")),
    b(Normal, &[C('+'), C('=')], Action::Faster, "+", "run twice as fast (up to max)", Some("faster")),
    b(Normal, &[C('-'), C('_')], Action::Slower, "-", "run half as fast", Some("slower")),
    b(Normal, &[C('r')], Action::Reset, "r", "restart with the same seed", Some("reset")),
    b(Normal, &[C('n')], Action::NewSeed, "n", "restart with a new seed", None),
    b(Normal, &[C('c')], Action::NextPreset, "c", "cycle the lab's presets (its telling cases)", Some("preset")),
    b(Normal, &[C('d')], Action::Defaults, "d", "every parameter back to its default", None),
    b(Normal, &[C('s')], Action::Sweep, "s", "sweep the selected parameter over its valid range", Some("sweep")),
    b(Normal, &[C('a')], Action::NamedMap, "a", "map the lab's telling maps in turn (gradscope labs lists them)", Some("map")),
    b(Normal, &[C('S')], Action::Seeds, "S", "these parameters over 20 seeds: bands, lesson counts", None),
    b(Normal, &[C('p')], Action::Pin, "p", "pin this run as a ghost trace", Some("pin")),
    b(Normal, &[C('P')], Action::Unpin, "P", "drop the ghost trace", None),
    b(Normal, &[C('e')], Action::Explain, "e", "explain: formulas and what to notice", Some("explain")),
    b(Normal, &[C('M')], Action::Log, "M", "messages: the last 100 in full, with their times", None),
    b(Normal, &[C('z')], Action::Zoom, "z", "zoom the next chart (cycles, then back)", Some("zoom")),
    b(Normal, &[C('y')], Action::Share, "y", "show and copy the command that reproduces this", Some("share")),
    b(Normal, &[C('w')], Action::Figure, "w", "write the zoomed chart (or all of them) as an SVG figure", None),
    b(Normal, &[C('R')], Action::Record, "R", "start / stop recording the terminal (a .cast and a .gif)", None),
    b(Normal, &[C('W')], Action::Screenshot, "W", "write the whole screen as a PNG picture", None),
    b(Normal, &[C('t')], Action::CycleTheme, "t", "theme: default → projector → mono", None),
    b(Normal, &[C('?')], Action::Help, "?", "this help", Some("help")),
    b(Normal, &[Code(KeyCode::Esc)], Action::Close, "Esc", "close the sweep view or zoom", None),
    b(Normal, &[Ctrl('z')], Action::Suspend, "Ctrl-Z", "suspend to the shell (fg resumes)", None),
    b(Normal, &[C('q')], Action::Quit, "q", "quit (asks again during a long run, a sweep or seeds)", Some("quit")),
    b(Normal, &[Ctrl('c')], Action::QuitNow, "Ctrl-C", "quit without asking", None),
    b(Zoom, &[C('z')], Action::Zoom, "z", "the next chart", Some("next")),
    b(Zoom, &[C(']')], Action::ZoomX(1), "]", "show the first half of the x range shown", Some("x-zoom")),
    b(Zoom, &[C('[')], Action::ZoomX(-1), "[", "show twice the x range (up to all of it)", None),
    b(Zoom, &[C('0')], Action::ZoomX(0), "0", "show the whole x range", None),
    b(Zoom, &[Code(KeyCode::Esc)], Action::Close, "Esc", "back to every chart", Some("back")),
    b(Sweep, &[C('m')], Action::SweepMetric, "m", "plot the next metric that varies (nothing runs again)", Some("metric")),
    b(Sweep, &[C('/')], Action::SweepRange, "/", "type the range and points: FROM TO [POINTS]", Some("range")),
    b(Sweep, &[C(']')], Action::SweepNarrow(true), "]", "halve the range around the current value", Some("narrow")),
    b(Sweep, &[C('[')], Action::SweepNarrow(false), "[", "double the range around the current value", Some("widen")),
    b(Sweep, &[C('s')], Action::Sweep, "s", "sweep again; on another parameter: map the two (21×21)", Some("map")),
    b(Sweep, &[C('w')], Action::Figure, "w", "write the sweep as SVG and CSV", None),
    b(Sweep, &[Code(KeyCode::Esc)], Action::Close, "Esc", "close the sweep view", Some("close")),
    b(Input, &[Code(KeyCode::Enter)], Action::CommitInput, "Enter", "apply the typed value", Some("apply")),
    b(Input, &[Code(KeyCode::Left)], Action::InputCursor(CursorMove::Left), "← →", "move the cursor (typing first replaces the whole value)", None),
    b(Input, &[Code(KeyCode::Right)], Action::InputCursor(CursorMove::Right), "", "", None),
    b(Input, &[Code(KeyCode::Home)], Action::InputCursor(CursorMove::Home), "Home End", "to the start / the end", None),
    b(Input, &[Code(KeyCode::End)], Action::InputCursor(CursorMove::End), "", "", None),
    b(Input, &[Code(KeyCode::Backspace)], Action::InputBackspace, "Backspace", "delete a character", None),
    b(Input, &[Code(KeyCode::Delete)], Action::InputDelete, "Delete", "delete the character under the cursor", None),
    b(Input, &[Code(KeyCode::Esc)], Action::Close, "Esc", "cancel typing", Some("cancel")),
    b(Input, &[Ctrl('c')], Action::QuitNow, "Ctrl-C", "quit", Some("quit")),
    b(Overlay, &[Code(KeyCode::Up), C('k')], Action::Scroll(-1), "↑ k", "scroll up", Some("scroll")),
    b(Overlay, &[Code(KeyCode::Down), C('j')], Action::Scroll(1), "↓ j", "scroll down", None),
    b(Overlay, &[Code(KeyCode::PageUp)], Action::Scroll(-PAGE), "PgUp", "a page up", None),
    b(Overlay, &[Code(KeyCode::PageDown), C(' ')], Action::Scroll(PAGE), "PgDn Space", "a page down", Some("page")),
    b(Overlay, &[Code(KeyCode::Esc)], Action::Close, "Esc", "close this overlay", Some("close")),
    b(Overlay, &[C('?')], Action::Help, "?", "toggle help", None),
    b(Overlay, &[C('e')], Action::Explain, "e", "toggle explain", None),
    b(Overlay, &[C('M')], Action::Log, "M", "toggle the messages", None),
    b(Overlay, &[C('q')], Action::Quit, "q", "quit", Some("quit")),
    b(Overlay, &[Ctrl('c')], Action::QuitNow, "Ctrl-C", "quit without asking", None),
    b(TooSmall, &[C('q'), Ctrl('c')], Action::QuitNow, "q Ctrl-C", "quit", Some("quit")),
    b(Ask, &[C('1')], Action::SweepPoints(11), "1", "11 points (per axis for a map)", Some("11")),
    b(Ask, &[C('2')], Action::SweepPoints(21), "2", "21 points", Some("21")),
    b(Ask, &[C('4')], Action::SweepPoints(41), "4", "41 points", Some("41")),
    b(Ask, &[Code(KeyCode::Enter)], Action::SweepConfirm, "Enter", "run it as planned", Some("run")),
    b(Ask, &[C('/')], Action::SweepRange, "/", "type the range and points", Some("range")),
    b(Ask, &[Code(KeyCode::Esc)], Action::Close, "Esc", "cancel the sweep", Some("cancel")),
    b(Ask, &[Ctrl('c')], Action::QuitNow, "Ctrl-C", "quit", None),
    b(Confirm, &[C('q'), C('y'), Ctrl('c')], Action::QuitNow, "q y", "quit", Some("quit")),
    b(Confirm, &[Code(KeyCode::Esc)], Action::Close, "other keys", "stay", Some("stay")),
    b(Demo, &[Code(KeyCode::Left)], Action::DemoJump(-1), "←/→", "the previous / next chapter, replayed from the start (← twice: one more back)", Some("chapter")),
    b(Demo, &[Code(KeyCode::Right)], Action::DemoJump(1), "", "", None),
    b(Demo, &[C(' ')], Action::DemoPause, "Space", "pause / resume the demo (and its run)", Some("pause")),
    b(Demo, &[C('?')], Action::Help, "?", "the chapters, and every key", None),
];

/// Lines an overlay scrolls by for PgUp / PgDn.
pub const PAGE: i32 = 10;

fn bindings_of(mode: InputMode) -> impl Iterator<Item = &'static Binding> {
    let own = BINDINGS.iter().filter(move |b| b.mode == mode);
    let inherited = BINDINGS
        .iter()
        .filter(move |b| mode != Normal && mode.inherits_normal() && b.mode == Normal);
    own.chain(inherited)
}

/// The action for a key in a mode, if any. Key releases are ignored (terminals that report
/// them would otherwise act twice).
pub fn map(mode: InputMode, ev: &KeyEvent) -> Option<Action> {
    if ev.kind == KeyEventKind::Release {
        return None;
    }
    let bound = bindings_of(mode)
        .find(|b| b.keys.iter().any(|k| k.matches(ev)))
        .map(|b| b.action);
    if bound.is_some() {
        return bound;
    }
    let plain_char = match ev.code {
        KeyCode::Char(c)
            if !ev.modifiers.contains(KeyModifiers::CONTROL)
                && !ev.modifiers.contains(KeyModifiers::ALT)
                && !c.is_control() =>
        {
            Some(c)
        }
        _ => None,
    };
    match (mode, plain_char) {
        // Any other key answers no.
        (InputMode::Confirm, _) => Some(Action::Close),
        (InputMode::Input, Some(c)) => Some(Action::InputChar(c)),
        (m, Some(c)) if m.inherits_normal() => Some(Action::LabKey(c)),
        _ => None,
    }
}

/// The action for a key of the lecturer while a demo plays: the [`InputMode::Demo`] layer
/// first (in the modes that inherit Normal), then [`map`].
pub fn map_playing(mode: InputMode, ev: &KeyEvent) -> Option<Action> {
    let layered = (mode.inherits_normal() && ev.kind != KeyEventKind::Release)
        .then(|| {
            BINDINGS
                .iter()
                .filter(|b| b.mode == Demo)
                .find(|b| b.keys.iter().any(|k| k.matches(ev)))
        })
        .flatten();
    layered.map_or_else(|| map(mode, ev), |b| Some(b.action))
}

/// The hint bar of a mode: (key, word) pairs of the bindings that have a hint word.
pub fn hint_items(mode: InputMode) -> Vec<(&'static str, &'static str)> {
    bindings_of(mode)
        .filter_map(|b| {
            b.hint
                .map(|h| (b.label.split(' ').next().unwrap_or(b.label), h))
        })
        .collect()
}

/// The hint bar of a mode while a demo plays: the demo layer's hints first, then the mode's
/// whose keys it leaves alone (`→ l adjust` shows as `l adjust`; a binding whose first
/// two keys the layer takes shows no hint).
pub fn hint_items_playing(mode: InputMode) -> Vec<(&'static str, &'static str)> {
    if !mode.inherits_normal() {
        return hint_items(mode);
    }
    let layer: Vec<&Binding> = BINDINGS.iter().filter(|b| b.mode == Demo).collect();
    let taken = |k: &Key| layer.iter().any(|b| b.keys.contains(k));
    let mut items: Vec<(&'static str, &'static str)> = layer
        .iter()
        .filter_map(|b| b.hint.map(|h| (b.label, h)))
        .collect();
    for b in bindings_of(mode) {
        let Some(hint) = b.hint else {
            continue;
        };
        let words: Vec<&'static str> = b.label.split(' ').collect();
        let free =
            (0..words.len().min(b.keys.len()).max(1)).find(|&i| !b.keys.get(i).is_some_and(taken));
        if let Some(i) = free {
            items.push((words[i.min(words.len() - 1)], hint));
        }
    }
    items
}

/// Help rows (keys, what they do) of a mode, in table order.
pub fn help_rows(mode: InputMode) -> Vec<(&'static str, &'static str)> {
    BINDINGS
        .iter()
        .filter(|b| b.mode == mode && !b.label.is_empty())
        .map(|b| (b.label, b.help))
        .collect()
}

/// A key named as in demo scripts and tests: `Right`, `Shift-Left`, `Space`, `Enter`,
/// `Tab`, `Shift-Tab`, `Esc`, `Backspace`, `Up`, `Down`, `PgUp`, `PgDn`, `Home`, `End`,
/// `Delete`, `Ctrl-c`, or a
/// single character.
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
        "PgUp" | "PageUp" => plain(KeyCode::PageUp),
        "PgDn" | "PageDown" => plain(KeyCode::PageDown),
        "Home" => plain(KeyCode::Home),
        "End" => plain(KeyCode::End),
        "Delete" | "Del" => plain(KeyCode::Delete),
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
        assert_eq!(map(InputMode::Normal, &key("Tab")), Some(Action::NextLab));
        assert_eq!(
            map(InputMode::Normal, &key("Shift-Tab")),
            Some(Action::PrevLab)
        );
        assert_eq!(
            map(InputMode::Normal, &key("3")),
            Some(Action::SelectLab(2))
        );
        assert_eq!(
            map(InputMode::Normal, &key("Shift-Right")),
            Some(Action::Adjust { dir: 1, big: true })
        );
        assert_eq!(
            map(InputMode::Normal, &key("L")),
            Some(Action::Adjust { dir: 1, big: true })
        );
        assert_eq!(
            map(InputMode::Normal, &key("Ctrl-c")),
            Some(Action::QuitNow)
        );
        assert_eq!(map(InputMode::Normal, &key("q")), Some(Action::Quit));
        assert_eq!(
            map(InputMode::Input, &key("q")),
            Some(Action::InputChar('q'))
        );
        assert_eq!(map(InputMode::Input, &key("Ctrl-c")), Some(Action::QuitNow));
        assert_eq!(
            map(InputMode::Input, &key("Home")),
            Some(Action::InputCursor(CursorMove::Home))
        );
        assert_eq!(
            map(InputMode::Input, &key("Right")),
            Some(Action::InputCursor(CursorMove::Right))
        );
        assert_eq!(map(InputMode::Confirm, &key("y")), Some(Action::QuitNow));
        assert_eq!(map(InputMode::Confirm, &key("q")), Some(Action::QuitNow));
        assert_eq!(map(InputMode::Confirm, &key("n")), Some(Action::Close));
        assert_eq!(map(InputMode::Confirm, &key("Down")), Some(Action::Close));
        assert_eq!(map(InputMode::Normal, &key("M")), Some(Action::Log));
        assert_eq!(map(InputMode::Overlay, &key("Right")), None);
        assert_eq!(map(InputMode::Overlay, &key("Esc")), Some(Action::Close));
        assert_eq!(map(InputMode::Overlay, &key("q")), Some(Action::Quit));
        assert_eq!(map(InputMode::Zoom, &key("z")), Some(Action::Zoom));
        assert_eq!(
            map(InputMode::Zoom, &key("Right")),
            map(InputMode::Normal, &key("Right"))
        );
        assert_eq!(map(InputMode::Normal, &key("g")), Some(Action::LabKey('g')));
        assert_eq!(map(InputMode::TooSmall, &key("j")), None);
        assert_eq!(map(InputMode::TooSmall, &key("q")), Some(Action::QuitNow));
    }

    /// Whether a character is bound in Normal mode (so a lab action may not use it).
    fn is_bound(c: char) -> bool {
        let ev = KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        let shifted = KeyEvent::new(KeyCode::Char(c), KeyModifiers::SHIFT);
        BINDINGS
            .iter()
            .filter(|b| b.mode.inherits_normal())
            .any(|b| b.keys.iter().any(|k| k.matches(&ev) || k.matches(&shifted)))
    }

    #[test]
    fn the_demo_layer_takes_the_lecturers_arrows_and_space_where_normal_keys_act() {
        use InputMode::*;
        assert_eq!(
            map_playing(Normal, &key("Left")),
            Some(Action::DemoJump(-1))
        );
        assert_eq!(map_playing(Zoom, &key("Right")), Some(Action::DemoJump(1)));
        assert_eq!(map_playing(Sweep, &key("Space")), Some(Action::DemoPause));
        assert_eq!(map_playing(Normal, &key("l")), map(Normal, &key("l")));
        assert_eq!(map_playing(Normal, &key("?")), Some(Action::Help));
        assert_eq!(
            map_playing(Input, &key("Left")),
            Some(Action::InputCursor(CursorMove::Left))
        );
        assert_eq!(
            map_playing(Overlay, &key("Space")),
            Some(Action::Scroll(PAGE))
        );
        let hints = hint_items_playing(Normal);
        assert!(hints.contains(&("←/→", "chapter")), "{hints:?}");
        assert!(hints.contains(&("l", "adjust")), "{hints:?}");
        assert!(!hints.iter().any(|(k, _)| *k == "→"), "{hints:?}");
        assert_eq!(hint_items_playing(Input), hint_items(Input));
    }

    #[test]
    fn no_lab_action_key_is_taken_by_the_keymap() {
        for &id in crate::labs::LabId::all() {
            for a in crate::tui::panes::keys(id) {
                assert!(!is_bound(a.key), "{}: '{}' is bound", id.name(), a.key);
            }
        }
    }

    #[test]
    fn every_normal_action_has_a_help_row_or_a_sibling_that_does() {
        let rows = help_rows(InputMode::Normal);
        assert!(rows.iter().any(|(k, _)| *k == "1–N"));
        assert!(rows.iter().any(|(_, h)| h.contains("sweep")));
        for mode in [
            InputMode::Normal,
            InputMode::Input,
            InputMode::Overlay,
            InputMode::Zoom,
            InputMode::Sweep,
            InputMode::TooSmall,
            InputMode::Confirm,
            InputMode::Ask,
        ] {
            assert!(
                hint_items(mode)
                    .iter()
                    .any(|(_, h)| *h == "quit" || *h == "cancel"),
                "{mode:?}"
            );
        }
    }
}
