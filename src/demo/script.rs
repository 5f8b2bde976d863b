//! The demo script: one command per line, `#` comments, blank lines ignored.
//!
//! ```text
//! size 120x36                 # the terminal of a headless recording (first, if given)
//! theme projector
//! lab rnn
//! preset transient-growth
//! set spectral_norm 1.1
//! key Right x5                # any key of the keymap, repeated
//! type 64                     # characters, one by one
//! wait 1.5s                   # also 500ms, or plain seconds
//! caption Transient growth    # a caption bar until the next caption; `caption` clears
//! step 10
//! sweep spectral_norm 0.5 1.5 21
//! pin
//! mark the peak               # a marker in the recording
//! ```
//!
//! A bad line is reported with its line number and what is accepted.

use crate::tui::keymap::parse_key;
use crate::tui::theme::ThemeName;
use crate::tui::update::cue::Cue;
use clap::ValueEnum;

/// A parsed demo.
#[derive(Clone, Debug, PartialEq)]
pub struct Script {
    /// The terminal size the script asks for.
    pub size: Option<(u16, u16)>,
    /// The cues with their line numbers.
    pub cues: Vec<(usize, Cue)>,
}

/// The commands, for error messages.
const COMMANDS: &str =
    "size, theme, lab, preset, set, key, type, wait, caption, step, sweep, pin, mark";

/// The most a `key … xN` or `step N` may repeat, and the longest `wait`: a typo should not
/// make a demo run for hours.
const MAX_REPEAT: u64 = 10_000;
const MAX_WAIT_S: f64 = 600.0;
/// The most cues a whole script may expand to (its `key … xN` repeats and typed characters
/// counted one by one), checked before each line is expanded: a short tape cannot make the
/// player hold millions of keys.
pub const MAX_CUES: usize = 100_000;
/// The largest script file read (a two-minute lecture is a few kilobytes).
pub const MAX_SCRIPT_BYTES: u64 = 1 << 20;
/// How much of an offending value a message echoes.
const ECHO: usize = 80;

/// `raw` cut for echoing in a message.
fn echo(raw: &str) -> String {
    crate::fmt::clip_text(raw, ECHO)
}

/// Parse `WxH` (`120x36`).
pub fn parse_size(raw: &str) -> Result<(u16, u16), String> {
    let parsed = raw
        .split_once(['x', 'X', '×'])
        .and_then(|(w, h)| Some((w.trim().parse::<u16>().ok()?, h.trim().parse::<u16>().ok()?)));
    match parsed {
        Some((w, h)) if (20..=1000).contains(&w) && (5..=500).contains(&h) => Ok((w, h)),
        _ => Err(format!(
            "size '{}' is not COLSxROWS with 20 ≤ COLS ≤ 1000 and 5 ≤ ROWS ≤ 500 (for example 120x36)",
            echo(raw)
        )),
    }
}

fn parse_wait(raw: &str) -> Result<f64, String> {
    let (num, scale) = if let Some(ms) = raw.strip_suffix("ms") {
        (ms, 1e-3)
    } else if let Some(s) = raw.strip_suffix('s') {
        (s, 1.0)
    } else {
        (raw, 1.0)
    };
    match num.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 && x * scale <= MAX_WAIT_S => Ok(x * scale),
        _ => Err(format!(
            "wait '{}' is not a duration up to {MAX_WAIT_S} s (for example 1.5s or 500ms)",
            echo(raw)
        )),
    }
}

fn parse_count(raw: &str, what: &str) -> Result<u64, String> {
    match raw.parse::<u64>() {
        Ok(n) if (1..=MAX_REPEAT).contains(&n) => Ok(n),
        _ => Err(format!(
            "{what} '{}' is not a count from 1 to {MAX_REPEAT}",
            echo(raw)
        )),
    }
}

fn parse_number(raw: &str) -> Result<f64, String> {
    raw.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| format!("'{}' is not a finite number", echo(raw)))
}

/// One line's command (empty for a blank or comment line), and how many times it repeats.
fn parse_line(line: &str) -> Result<Option<(Cue, usize)>, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let (cmd, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    let words: Vec<&str> = rest.split_whitespace().collect();
    let need = |n: usize, usage: &str| {
        if words.len() == n {
            Ok(())
        } else {
            Err(format!("'{}' expects: {} {usage}", echo(cmd), echo(cmd)))
        }
    };
    let cue = match cmd {
        "theme" => {
            need(1, "default|projector|mono")?;
            let theme = ThemeName::from_str(words[0], true).map_err(|_| {
                format!(
                    "unknown theme '{}'; accepted: default, projector, mono",
                    echo(words[0])
                )
            })?;
            Cue::Theme(theme)
        }
        "lab" => {
            need(1, "NAME")?;
            Cue::Lab(words[0].to_string())
        }
        "preset" => {
            need(1, "NAME")?;
            Cue::Preset(words[0].to_string())
        }
        "set" => {
            need(2, "PARAM VALUE")?;
            Cue::Set(words[0].to_string(), words[1].to_string())
        }
        "key" => {
            let times = match words.as_slice() {
                [_] => 1,
                [_, n] => parse_count(n.strip_prefix('x').unwrap_or(n), "repeat")?,
                _ => return Err("'key' expects: key NAME [xN]".into()),
            };
            let ev = parse_key(words[0]).ok_or_else(|| {
                format!(
                    "unknown key '{}'; accepted: Up, Down, Left, Right, Shift-Left, Shift-Right, Space, Enter, Tab, Shift-Tab, Esc, Backspace, PgUp, PgDn, Ctrl-X or one character",
                    echo(words[0])
                )
            })?;
            return Ok(Some((Cue::Key(ev), times as usize)));
        }
        "type" => {
            if rest.is_empty() {
                return Err("'type' expects: type TEXT".into());
            }
            Cue::Type(rest.to_string())
        }
        "wait" => {
            need(1, "DURATION")?;
            Cue::Wait(parse_wait(words[0])?)
        }
        "caption" => Cue::Caption((!rest.is_empty()).then(|| rest.to_string())),
        "step" => {
            need(1, "N")?;
            Cue::Step(parse_count(words[0], "step")?)
        }
        "sweep" => {
            need(4, "PARAM FROM TO POINTS")?;
            let points = parse_count(words[3], "points")?;
            Cue::Sweep {
                param: words[0].to_string(),
                from: parse_number(words[1])?,
                to: parse_number(words[2])?,
                points: points as usize,
            }
        }
        "pin" => {
            need(0, "")?;
            Cue::Pin
        }
        "mark" => Cue::Mark(rest.to_string()),
        _ => {
            return Err(format!(
                "unknown command '{}'; accepted: {COMMANDS}",
                echo(cmd)
            ));
        }
    };
    Ok(Some((cue, 1)))
}

impl Script {
    /// Parse a script; the error names the line. A byte-order mark at the start is skipped.
    pub fn parse(text: &str) -> Result<Script, String> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut script = Script {
            size: None,
            cues: Vec::new(),
        };
        // Typed characters count as cues too: each is a key press.
        let mut expanded = 0usize;
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            let trimmed = line.trim();
            if let Some(raw) = trimmed.strip_prefix("size ") {
                if !script.cues.is_empty() || script.size.is_some() {
                    return Err(format!(
                        "line {n}: 'size' must come once, before any other command"
                    ));
                }
                script.size = Some(parse_size(raw.trim()).map_err(|e| format!("line {n}: {e}"))?);
                continue;
            }
            let Some((cue, times)) = parse_line(line).map_err(|e| format!("line {n}: {e}"))? else {
                continue;
            };
            let weight = match &cue {
                Cue::Type(text) => text.chars().count(),
                Cue::Step(k) => *k as usize,
                _ => 1,
            };
            expanded = expanded.saturating_add(weight.saturating_mul(times));
            if expanded > MAX_CUES {
                return Err(format!(
                    "line {n}: the script expands to more than {MAX_CUES} key presses and steps \
                     (repeats and typed text counted one by one); split it into several demos"
                ));
            }
            script.cues.extend(std::iter::repeat_n((n, cue), times));
        }
        Ok(script)
    }

    /// Read and parse a script file: at most [`MAX_SCRIPT_BYTES`], UTF-8.
    pub fn read(path: &std::path::Path) -> Result<Script, String> {
        use std::io::Read;
        let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
        if file.metadata().is_ok_and(|m| m.is_dir()) {
            return Err("it is a directory".into());
        }
        let mut bytes = Vec::new();
        file.take(MAX_SCRIPT_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| e.to_string())?;
        if bytes.len() as u64 > MAX_SCRIPT_BYTES {
            return Err(format!(
                "larger than {} KiB; a demo script is a few kilobytes",
                MAX_SCRIPT_BYTES >> 10
            ));
        }
        let text = String::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_string())?;
        Script::parse(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_and_bad_lines_name_their_number() {
        let s = Script::parse(
            "size 100x30\n# a comment\n\nlab mf\nkey Right x3\nwait 1.5s\nwait 250ms\ncaption Hello there\ncaption\nsweep lr 0.001 0.1 11\nmark peak\n",
        )
        .unwrap();
        assert_eq!(s.size, Some((100, 30)));
        assert_eq!(s.cues.len(), 1 + 3 + 2 + 2 + 1 + 1);
        assert_eq!(s.cues[0], (4, Cue::Lab("mf".into())));
        assert_eq!(s.cues[4].1, Cue::Wait(1.5));
        assert_eq!(s.cues[5].1, Cue::Wait(0.25));
        assert_eq!(s.cues[6].1, Cue::Caption(Some("Hello there".into())));
        assert_eq!(s.cues[7].1, Cue::Caption(None));
        for (text, want) in [
            ("lab rnn\nfly away\n", "line 2: unknown command 'fly'"),
            ("key Nope\n", "line 1: unknown key 'Nope'"),
            ("wait forever\n", "line 1: wait 'forever'"),
            ("set lr\n", "line 1: 'set' expects: set PARAM VALUE"),
            ("lab rnn\nsize 80x24\n", "line 2: 'size' must come once"),
            ("size 3x3\n", "line 1: size '3x3'"),
            ("step 0\n", "line 1: step '0'"),
            ("theme purple\n", "unknown theme 'purple'"),
            ("sweep lr a 1 3\n", "'a' is not a finite number"),
            (
                "key Right x10000\n".repeat(11).as_str(),
                "line 11: the script expands",
            ),
        ] {
            let err = Script::parse(text).unwrap_err();
            assert!(err.contains(want), "{text:?}: {err}");
        }
        // A byte-order mark is no part of the first command; long values are cut in errors.
        assert_eq!(Script::parse("\u{feff}lab mf\n").unwrap().cues.len(), 1);
        let long = format!("key {}\n", "Z".repeat(10_000));
        let err = Script::parse(&long).unwrap_err();
        assert!(err.len() < 400, "{} bytes", err.len());
    }
}
