//! The `gradscope` binary: parse the command line, dispatch, map errors to exit codes;
//! nothing else.

use clap::Parser;
use gradscope::{Cli, clap_failure, dispatch, exit_code, one_line};
use std::process::ExitCode;

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
