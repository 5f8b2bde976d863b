//! The `gradscope` binary: parse the command line, dispatch, map errors to exit codes.

use clap::Parser;
use gradscope::cli::{Cli, Command, clap_failure};
use gradscope::error::{exit_code, one_line};
use gradscope::{headless, tui};
use std::process::ExitCode;

fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => tui::run(cli.tui),
        Some(Command::Tui(args)) => tui::run(args),
        Some(Command::Labs { format }) => headless::labs_cmd::labs(format),
        Some(Command::Run(args)) => headless::run::run(args),
        Some(Command::Sweep(args)) => headless::sweep_cmd::sweep(args),
        Some(Command::Bench(args)) => headless::bench::bench(args),
        Some(Command::Resnet(args)) => headless::resnet_cmd::resnet(args),
        Some(Command::Grad(args)) => headless::grad_cmd::grad(args),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return clap_failure(&err),
    };
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", one_line(&err));
            ExitCode::from(exit_code(&err) as u8)
        }
    }
}
