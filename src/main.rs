//! The `gradscope` binary: parse the command line, dispatch, map errors to exit codes.

use clap::Parser;
use gradscope::cli::{Cli, Command, TuiArgs, clap_failure};
use gradscope::error::{exit_code, one_line};
use gradscope::labs::LabId;
use gradscope::run::RunSpec;
use gradscope::tui::theme::Theme;
use gradscope::{headless, tui};
use std::process::ExitCode;

/// The TUI: every argument is checked (cheaply) before the terminal is touched. The config
/// file gives defaults; the command line overrides them.
fn tui(args: TuiArgs) -> anyhow::Result<u8> {
    let lab = match &args.lab {
        Some(name) => LabId::parse(name)?,
        None => LabId::all()[0],
    };
    let config = load_config();
    let base = config
        .labs
        .iter()
        .find(|s| s.lab == lab)
        .cloned()
        .unwrap_or_else(|| RunSpec::new(lab));
    let spec = args.setup.over(base, None)?;
    // --theme, then NO_COLOR (mono), then the config file, then default.
    let no_color = std::env::var("NO_COLOR").ok();
    let no_color = no_color.as_deref().filter(|v| !v.is_empty());
    let theme = match (args.theme, no_color, config.theme) {
        (None, None, Some(t)) => t,
        (asked, no_color, _) => Theme::initial(asked, no_color),
    };
    let start = tui::Start {
        spec,
        theme,
        speed: config.speed.unwrap_or(tui::speed::Speed::NATURAL),
        labs: config.labs,
    };
    tui::run(start, gradscope::demo::cast::timestamped())
}

/// The config file, or the defaults with one warning line when it cannot be used.
fn load_config() -> tui::config::Config {
    let xdg = std::env::var("XDG_CONFIG_HOME").ok();
    let home = std::env::var("HOME").ok();
    let Some(path) = tui::config::path(xdg.as_deref(), home.as_deref()) else {
        return tui::config::load(std::path::Path::new("")).0;
    };
    let (config, warning) = tui::config::load(&path);
    if let Some(w) = warning {
        eprintln!("{w}");
    }
    config
}

/// Run a parsed command line; the exit code on success.
fn dispatch(cli: Cli) -> anyhow::Result<u8> {
    let done = |r: anyhow::Result<()>| r.map(|()| 0);
    match cli.command {
        None => tui(cli.tui),
        Some(Command::Tui(args)) => tui(args),
        Some(Command::Labs { format }) => done(headless::labs_cmd::labs(format)),
        Some(Command::Run(args)) => done(headless::run::run(args)),
        Some(Command::Sweep(cmd)) => done(headless::sweep_cmd::command(*cmd)),
        Some(Command::Bench(args)) => done(headless::bench::bench(args)),
        Some(Command::Resnet(args)) => headless::resnet_cmd::resnet(args),
        Some(Command::Grad(args)) => done(headless::grad_cmd::grad(args)),
        Some(Command::Demo(args)) => gradscope::demo::player::command(args),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return clap_failure(&err),
    };
    match dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {}", one_line(&err));
            ExitCode::from(exit_code(&err) as u8)
        }
    }
}
