//! The `gradscope` binary: parse the command line, dispatch, map errors to exit codes.

use clap::Parser;
use gradscope::cli::Cli;
use gradscope::error::{exit_code, one_line};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return gradscope::headless::clap_failure(&err),
    };
    match gradscope::headless::dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", one_line(&err));
            ExitCode::from(exit_code(&err) as u8)
        }
    }
}
