//! The TUI's config file, `$XDG_CONFIG_HOME/gradscope/config.toml` (else
//! `~/.config/gradscope/config.toml`): a room's theme, the default speed, and per-lab default
//! parameters. Headless commands never read it, so scripts do not depend on who runs them.
//!
//! ```toml
//! theme = "projector"      # default | projector | mono (--theme and NO_COLOR come first)
//! speed = 2                # a power of two times each lab's natural pace, or "max"
//!
//! [labs.rnn]
//! spectral_norm = 1.1
//! init = "nonnormal"
//! ```
//!
//! A config that cannot be used gives one warning line naming the file and every key that is
//! wrong (the TUI lists them on its first frame), and the built-in defaults are used for
//! everything: a broken config never stops a lecture.

use super::speed::Speed;
use super::theme::ThemeName;
use crate::labs::LabId;
use crate::run::RunSpec;
use clap::ValueEnum;
use std::path::{Path, PathBuf};

/// What a config file sets.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConfigFile {
    pub theme: Option<ThemeName>,
    pub speed: Option<Speed>,
    /// Every lab's starting parameters (defaults where the file says nothing).
    pub labs: Vec<RunSpec>,
    /// Why the file could not be used, one line per problem (all of them); then everything
    /// else is at the built-in defaults.
    pub problems: Vec<String>,
}

/// Where the config file is, from `XDG_CONFIG_HOME` and `HOME`.
pub fn path(xdg: Option<&str>, home: Option<&str>) -> Option<PathBuf> {
    match (
        xdg.filter(|x| !x.is_empty()),
        home.filter(|h| !h.is_empty()),
    ) {
        (Some(x), _) => Some(Path::new(x).join("gradscope/config.toml")),
        (None, Some(h)) => Some(Path::new(h).join(".config/gradscope/config.toml")),
        (None, None) => None,
    }
}

/// The largest config file read: a config is a few lines.
pub const MAX_CONFIG_BYTES: u64 = 64 << 10;

/// The config's text (`None` when there is no file). Only a regular file is opened — a
/// FIFO with no writer would block the TUI's start for ever — and at most
/// [`MAX_CONFIG_BYTES`] of it read.
fn read_bounded(path: &Path) -> Result<Option<String>, String> {
    use std::io::Read;
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    if !meta.is_file() {
        return Err(format!(
            "it is {}, not a regular file",
            crate::io::kind_of(&meta)
        ));
    }
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(format!(
            "{} bytes is more than a config's {} KiB",
            meta.len(),
            MAX_CONFIG_BYTES >> 10
        ));
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_CONFIG_BYTES).read_to_string(&mut text))
        .map_err(|e| e.to_string())?;
    Ok(Some(text))
}

/// Read the config at `path`: its settings, or the defaults (with every problem in
/// `problems`) and a warning line. A missing file is no warning.
pub fn load(path: &Path) -> (ConfigFile, Option<String>) {
    let defaults = ConfigFile {
        labs: LabId::all().iter().map(|&l| RunSpec::new(l)).collect(),
        ..ConfigFile::default()
    };
    let problems = match read_bounded(path) {
        Ok(None) => return (defaults, None),
        Ok(Some(text)) => match parse(&text, defaults.clone()) {
            Ok(config) => return (config, None),
            Err(problems) => problems,
        },
        Err(why) => vec![why],
    };
    let problems: Vec<String> = problems
        .iter()
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let line = format!(
        "warning: config '{}': {}; using the built-in defaults",
        path.display(),
        problems.join("; ")
    );
    let config = ConfigFile {
        problems,
        ..defaults
    };
    (config, Some(line))
}

/// A TOML value as a parameter would be typed.
fn as_typed(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(x) => Some(x.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn parse_speed(v: &toml::Value) -> Result<Speed, String> {
    if v.as_str() == Some("max") {
        return Ok(Speed::Max);
    }
    let x = v
        .as_float()
        .or_else(|| v.as_integer().map(|i| i as f64))
        .ok_or("key 'speed' must be a number or \"max\"")?;
    let k = x.log2();
    if x > 0.0 && (k - k.round()).abs() < 1e-9 && (-10.0..=10.0).contains(&k) {
        Ok(Speed::Times(k.round() as i32))
    } else {
        Err(format!(
            "key 'speed' = {x} is not a power of two from 1/1024 to 1024 (or \"max\")"
        ))
    }
}

/// The config `text` sets over `config`, or every problem it has.
fn parse(text: &str, mut config: ConfigFile) -> Result<ConfigFile, Vec<String>> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| vec![e.message().to_string()])?;
    let mut problems = Vec::new();
    for (key, value) in &table {
        let set = match key.as_str() {
            "theme" => parse_theme(value).map(|t| config.theme = Some(t)),
            "speed" => parse_speed(value).map(|s| config.speed = Some(s)),
            "labs" => match value.as_table() {
                Some(labs) => {
                    for (lab, params) in labs {
                        set_lab(&mut config, lab, params, &mut problems);
                    }
                    Ok(())
                }
                None => Err("key 'labs' must be a table of labs".to_string()),
            },
            other => Err(format!(
                "unknown key '{other}'; accepted: theme, speed, labs"
            )),
        };
        if let Err(why) = set {
            problems.push(why);
        }
    }
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(problems)
    }
}

fn parse_theme(value: &toml::Value) -> Result<ThemeName, String> {
    let name = value.as_str().ok_or("key 'theme' must be a string")?;
    ThemeName::from_str(name, true)
        .map_err(|_| format!("key 'theme' = '{name}' is not one of default, projector, mono"))
}

/// Set one lab's parameters (`[labs.NAME]`), noting every problem.
fn set_lab(config: &mut ConfigFile, lab: &str, params: &toml::Value, problems: &mut Vec<String>) {
    let id = match LabId::parse(lab) {
        Ok(id) => id,
        Err(e) => return problems.push(format!("key 'labs.{lab}': {}", e.0)),
    };
    let Some(params) = params.as_table() else {
        return problems.push(format!("key 'labs.{lab}' must be a table of parameters"));
    };
    let Some(spec) = config.labs.iter_mut().find(|s| s.lab == id) else {
        return;
    };
    let before = problems.len();
    for (name, v) in params {
        let at = format!("key 'labs.{lab}.{name}'");
        let set = as_typed(v)
            .ok_or_else(|| format!("{at} must be a number, a string or a boolean"))
            .and_then(|raw| {
                spec.set_str(name, &raw)
                    .map_err(|e| format!("{at}: {}", e.0))
            });
        if let Err(why) = set {
            problems.push(why);
        }
    }
    // The combination is checked only when every value could be set.
    if problems.len() == before
        && let Err(e) = spec.validate()
    {
        problems.push(format!("key 'labs.{lab}': {}", e.0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> (ConfigFile, Option<String>) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.toml");
        std::fs::write(&p, text).unwrap();
        load(&p)
    }

    #[test]
    fn a_valid_config_sets_theme_speed_and_lab_defaults() {
        let (c, warn) = load_text(
            "theme = \"projector\"\nspeed = 4\n[labs.rnn]\nspectral_norm = 1.1\ninit = \"nonnormal\"\n[labs.mf]\nlr = 0.02\n",
        );
        assert_eq!(warn, None);
        assert_eq!(c.theme, Some(ThemeName::Projector));
        assert_eq!(c.speed, Some(Speed::Times(2)));
        let rnn = c.labs.iter().find(|s| s.lab == LabId::Rnn).unwrap();
        assert_eq!(rnn.params.f64("spectral_norm"), 1.1);
        assert_eq!(rnn.params.text("init"), "nonnormal");
        assert_eq!(
            c.labs
                .iter()
                .find(|s| s.lab == LabId::Mf)
                .unwrap()
                .params
                .f64("lr"),
            0.02
        );
    }

    #[test]
    fn an_invalid_config_warns_once_naming_file_and_key_and_uses_defaults() {
        for (text, want) in [
            ("theme = \"neon\"\n", "key 'theme' = 'neon'"),
            ("speed = 3\n", "key 'speed' = 3"),
            (
                "[labs.rnn]\nspectral_norm = 9\n",
                "key 'labs.rnn.spectral_norm'",
            ),
            ("[labs.nope]\nx = 1\n", "key 'labs.nope'"),
            ("colour = 1\n", "unknown key 'colour'"),
            ("theme = \n", "config '"),
        ] {
            let (c, warn) = load_text(text);
            let warn = warn.unwrap();
            assert!(
                warn.contains(want) && warn.contains("config.toml"),
                "{text:?}: {warn}"
            );
            assert_eq!(warn.lines().count(), 1);
            assert_eq!(c.theme, None);
            assert!(c.labs.iter().all(|s| *s == RunSpec::new(s.lab)));
        }
    }

    #[test]
    fn every_problem_is_listed_not_only_the_first() {
        let (c, warn) = load_text(
            "theme = \"neon\"\ncolour = 1\n[labs.rnn]\nspectral_norm = 9\nhidden = 1\n[labs.mf]\nlr = 0.02\n",
        );
        let warn = warn.unwrap();
        assert_eq!(c.problems.len(), 4, "{:?}", c.problems);
        for want in [
            "key 'theme' = 'neon'",
            "unknown key 'colour'",
            "key 'labs.rnn.spectral_norm'",
            "key 'labs.rnn.hidden'",
        ] {
            assert!(warn.contains(want), "{want}: {warn}");
            assert!(c.problems.iter().any(|p| p.contains(want)), "{want}");
        }
        assert_eq!(warn.lines().count(), 1);
        // Nothing of a broken config is used, not even its good keys.
        assert_eq!(c.theme, None);
        assert!(c.labs.iter().all(|s| *s == RunSpec::new(s.lab)));
    }

    #[test]
    fn a_missing_config_is_silent_and_the_path_follows_xdg() {
        let (c, warn) = load(Path::new("/no/such/dir/config.toml"));
        assert_eq!(warn, None);
        assert_eq!(c.labs.len(), LabId::all().len());
        assert_eq!(
            path(Some("/x"), Some("/h")),
            Some(PathBuf::from("/x/gradscope/config.toml"))
        );
        assert_eq!(
            path(None, Some("/h")),
            Some(PathBuf::from("/h/.config/gradscope/config.toml"))
        );
    }

    #[test]
    fn a_fifo_or_a_huge_config_is_refused_without_reading_it() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("config.toml");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            // No writer: reading it would block for ever.
            let (_, warn) = load(&fifo);
            assert!(warn.unwrap().contains("a FIFO, not a regular file"));
        }
        let big = dir.path().join("big.toml");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(1 << 30).unwrap();
        let (c, warn) = load(&big);
        assert!(warn.unwrap().contains("more than a config's 64 KiB"));
        assert_eq!(c.theme, None);
    }
}
