//! Share: the exact commands that reproduce what the screen shows (the TUI and its headless
//! `run` twin), and the OSC 52 sequence that puts text on the terminal's clipboard, over SSH
//! too (as TensorFlow Playground's URL does for its state).

use crate::run::RunSpec;
use base64::Engine;

/// `gradscope tui --lab … --seed … --set …` and `gradscope run … --seed … --set …`.
pub fn commands(spec: &RunSpec) -> [String; 2] {
    let sets: String = spec
        .set_args()
        .iter()
        .map(|a| format!(" --set {a}"))
        .collect();
    let lab = spec.lab.name();
    let seed = spec.seed;
    [
        format!("gradscope tui --lab {lab} --seed {seed}{sets}"),
        format!("gradscope run {lab} --seed {seed}{sets}"),
    ]
}

/// The escape sequence that asks the terminal to copy `text` to the clipboard.
pub fn osc52(text: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    format!("\x1b]52;c;{encoded}\x07")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::LabId;

    #[test]
    fn commands_name_the_lab_seed_and_changed_values() {
        let mut spec = RunSpec::new(LabId::Mf);
        spec.seed = 3;
        spec.set_str("lr", "0.02").unwrap();
        let [tui, run] = commands(&spec);
        assert_eq!(tui, "gradscope tui --lab mf --seed 3 --set lr=0.02");
        assert_eq!(run, "gradscope run mf --seed 3 --set lr=0.02");
        assert_eq!(osc52("hi"), "\x1b]52;c;aGk=\x07");
    }
}
