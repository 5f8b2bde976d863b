//! The `gradscope` binary: parse the command line, dispatch, map errors to exit codes.

use clap::Parser;
use gradscope::cli::{Cli, Command, TuiArgs, clap_failure};
use gradscope::error::{exit_code, one_line};
use gradscope::labs::LabId;
use gradscope::run::RunSpec;
use gradscope::tui::theme::Theme;
use gradscope::{headless, tui};
use std::process::ExitCode;

/// The TUI: every argument is checked (cheaply) before the terminal is touched.
fn tui(args: TuiArgs) -> anyhow::Result<u8> {
    let lab = match &args.lab {
        Some(name) => LabId::parse(name)?,
        None => LabId::all()[0],
    };
    let spec = RunSpec::from_args(lab, args.preset.as_deref(), &args.sets, args.seed, None)?;
    let no_color = std::env::var("NO_COLOR").ok();
    tui::run(spec, Theme::initial(args.theme, no_color.as_deref()))
}

/// Run a parsed command line; the exit code on success.
fn dispatch(cli: Cli) -> anyhow::Result<u8> {
    let done = |r: anyhow::Result<()>| r.map(|()| 0);
    match cli.command {
        None => tui(cli.tui),
        Some(Command::Tui(args)) => tui(args),
        Some(Command::Labs { format }) => done(headless::labs_cmd::labs(format)),
        Some(Command::Run(args)) => done(headless::run::run(args)),
        Some(Command::Sweep(args)) => done(headless::sweep_cmd::sweep(args)),
        Some(Command::Bench(args)) => done(headless::bench::bench(args)),
        Some(Command::Resnet(args)) => headless::resnet_cmd::resnet(args),
        Some(Command::Grad(args)) => done(headless::grad_cmd::grad(args)),
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
