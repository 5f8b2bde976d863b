//! The `gradscope` binary: parse the command line, dispatch, map errors to exit codes;
//! nothing else.

use clap::Parser;
use gradscope::cli::{Cli, CliCommand, TuiArgs, clap_failure};
use gradscope::error::{exit_code, one_line};
use gradscope::{headless, tui};
use std::process::ExitCode;

/// The TUI under the command line's choices, over the config file's defaults.
fn tui(args: TuiArgs) -> anyhow::Result<u8> {
    let setup = |base| args.setup.over(base, None);
    let record = gradscope::demo::cast::timestamped();
    tui::launch::command(args.lab.as_deref(), args.theme, setup, record)
}

/// Run a parsed command line; the exit code on success.
fn dispatch(cli: Cli) -> anyhow::Result<u8> {
    let done = |r: anyhow::Result<()>| r.map(|()| 0);
    match cli.command {
        None => tui(cli.tui),
        Some(CliCommand::Tui(args)) => tui(args),
        Some(CliCommand::Labs { format }) => done(headless::labs_cmd::labs(format)),
        Some(CliCommand::Run(args)) => done(headless::run::run(args)),
        Some(CliCommand::Sweep(cmd)) => done(headless::sweep_cmd::command(*cmd)),
        Some(CliCommand::Bench(args)) => done(headless::bench::bench(args)),
        Some(CliCommand::Resnet(args)) => headless::resnet_cmd::resnet(args),
        Some(CliCommand::Grad(args)) => done(headless::grad_cmd::grad(args)),
        Some(CliCommand::Demo(args)) => gradscope::demo::player::command(args),
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
