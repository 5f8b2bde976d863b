//! `gradscope` / `gradscope tui`: from the command line's choices to a started TUI. Every
//! argument is checked (cheaply) before the terminal is touched; the config file gives
//! defaults, the command line overrides them, and the file's problems are shown on the first
//! frame.

use super::config;
use super::theme::{Theme, ThemeName};
use crate::error::UsageError;
use crate::labs::LabId;
use crate::run::RunSpec;

/// Start the TUI on `lab` (the first lab when `None`) with `theme`, the run set up by
/// `setup` over the config file's (or the built-in) parameters of that lab; `R` records
/// through `new_recording`.
pub fn command(
    lab: Option<&str>,
    theme: Option<ThemeName>,
    setup: impl FnOnce(RunSpec) -> Result<RunSpec, UsageError>,
    new_recording: super::NewRecording,
) -> anyhow::Result<u8> {
    let lab = match lab {
        Some(name) => LabId::parse(name)?,
        None => LabId::all()[0],
    };
    let (config, file) = load_config();
    let base = config
        .labs
        .iter()
        .find(|s| s.lab == lab)
        .cloned()
        .unwrap_or_else(|| RunSpec::new(lab));
    let spec = setup(base)?;
    // --theme, then NO_COLOR (mono), then the config file, then default.
    let no_color = std::env::var("NO_COLOR").ok();
    let no_color = no_color.as_deref().filter(|v| !v.is_empty());
    let theme = match (theme, no_color, config.theme) {
        (None, None, Some(t)) => t,
        (asked, no_color, _) => Theme::initial(asked, no_color),
    };
    let problems = (!config.problems.is_empty()).then_some((file, config.problems));
    let start = super::Start {
        spec,
        theme,
        speed: config.speed.unwrap_or(super::speed::Speed::NATURAL),
        labs: config.labs,
        problems,
    };
    super::run(start, new_recording)
}

/// The config file and its path, or the defaults with one warning line when it cannot be
/// used.
fn load_config() -> (config::ConfigFile, String) {
    let xdg = std::env::var("XDG_CONFIG_HOME").ok();
    let home = std::env::var("HOME").ok();
    let Some(path) = config::path(xdg.as_deref(), home.as_deref()) else {
        return (config::load(std::path::Path::new("")).0, String::new());
    };
    let (config, warning) = config::load(&path);
    if let Some(w) = warning {
        eprintln!("{w}");
    }
    (config, path.display().to_string())
}
