//! gradscope: a terminal laboratory for the gradient dynamics of deep networks.
//!
//! The crate's layers, data flow and invariants are described in ARCHITECTURE.md at the
//! repository's root ("Layers"). Its public surface is what the binary needs — [`Cli`],
//! [`dispatch`], [`clap_failure`], [`exit_code`] and [`one_line`] — and the [`testing`]
//! facade the integration tests drive; every module below is private to the crate:
//! - `labs`: pure numeric simulations behind one `labs::Lab` trait, each described by a
//!   `labs::LabDescriptor` and producing a `report::Report`;
//! - `run`: a `run::RunSpec` says what to run; a `run::Runner` owns the one step loop;
//! - `params`: parameter specs and validation shared by the CLI, the TUI and sweeps;
//! - `headless` and `sweep`: the command line without a terminal;
//! - `tui`: the interactive terminal UI (keymap → action → update → render, with the lab
//!   on a worker behind a driver seam);
//! - `linalg`: spectral norms, SVD and random orthogonal matrices over faer;
//! - `nn`: the f32 layer engine, ResNet-18, SGD and safetensors checkpoints (PyTorch parity);
//! - leaf modules every other may use: `rng`, `io`, `fmt`, `lab_id`, `error`.

mod cli;
mod clock;
mod demo;
mod error;
mod fmt;
mod headless;
mod io;
mod lab_id;
mod labs;
mod linalg;
mod nn;
mod parallel;
mod params;
#[cfg(test)]
mod plugin_tests;
mod report;
mod rng;
mod run;
mod seeds;
mod sweep;
#[doc(hidden)]
pub mod testing;
mod tui;

pub use cli::{Cli, clap_failure};
pub use error::{exit_code, one_line};

use cli::{CliCommand, TuiArgs};

/// The TUI under the command line's choices, over the config file's defaults.
fn open_tui(args: TuiArgs) -> anyhow::Result<u8> {
    let setup = |base| args.setup.over(base, None);
    let record = demo::cast::timestamped();
    tui::launch::command(args.lab.as_deref(), args.theme, setup, record)
}

/// Run a parsed command line: the TUI or one subcommand. The exit code on success; an error
/// maps to its code through [`exit_code`].
pub fn dispatch(cli: Cli) -> anyhow::Result<u8> {
    let done = |r: anyhow::Result<()>| r.map(|()| 0);
    match cli.command {
        None => open_tui(cli.tui),
        Some(CliCommand::Tui(args)) => open_tui(args),
        Some(CliCommand::Labs { format }) => done(headless::labs_cmd::labs(format)),
        Some(CliCommand::Run(args)) => done(headless::run::run(args)),
        Some(CliCommand::Sweep(cmd)) => done(headless::sweep_cmd::command(*cmd)),
        Some(CliCommand::Bench(args)) => done(headless::bench::bench(args)),
        Some(CliCommand::Resnet(args)) => headless::resnet_cmd::resnet(args),
        Some(CliCommand::Grad(args)) => done(headless::grad_cmd::grad(args)),
        Some(CliCommand::Demo(args)) => demo::player::command(args),
    }
}
