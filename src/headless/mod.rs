//! Everything the command line does without a terminal: dispatch, and the shared output
//! plumbing (stdout or an atomically written `--out` file, one-line clap errors).
//! Data goes to stdout; diagnostics and progress to stderr.

mod bench;
mod grad_cmd;
mod labs_cmd;
mod resnet_cmd;
mod run;
mod sweep_cmd;

use crate::cli::{Cli, Command};
use crate::error::UsageError;
use crate::params::{ParamError, parse_assignment};
use anyhow::{Context, Result};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

pub use bench::{LabSpeed, RenderTiming, finished_app, labs_bench, render_bench};

/// Run a parsed command line.
pub fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        None => crate::tui::run(cli.tui),
        Some(Command::Tui(args)) => crate::tui::run(args),
        Some(Command::Labs { format }) => labs_cmd::labs(format),
        Some(Command::Run(args)) => run::run(args),
        Some(Command::Sweep(args)) => sweep_cmd::sweep(args),
        Some(Command::Bench(args)) => bench::bench(args),
        Some(Command::Resnet(args)) => resnet_cmd::resnet(args),
        Some(Command::Grad(args)) => grad_cmd::grad(args),
    }
}

/// Report a clap parse failure: help and version go to stdout with exit 0; a usage error is
/// one line on stderr with exit 2.
pub fn clap_failure(err: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match err.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = err.print();
            ExitCode::SUCCESS
        }
        _ => {
            // clap's message spans lines ("error: …", "  [possible values: …]", "Usage: …");
            // keep what comes before the usage, folded into one line.
            let rendered = err.render().to_string();
            let parts: Vec<&str> = rendered
                .lines()
                .map(str::trim)
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more"))
                .filter(|l| !l.is_empty())
                .collect();
            let text = parts.join(" ");
            let text = text.strip_prefix("error: ").unwrap_or(&text);
            eprintln!("error: {text} (see --help)");
            ExitCode::from(2)
        }
    }
}

/// Parse every `--set K=V`.
pub fn parse_assignments(raw: &[String]) -> Result<Vec<(String, String)>, ParamError> {
    raw.iter().map(|s| parse_assignment(s)).collect()
}

/// Write bytes to `path` atomically: a temporary file in the same directory, flushed and
/// renamed over the target, so a reader never sees half a file and a failure leaves the old
/// file intact.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let cannot =
        |e: &dyn std::fmt::Display| UsageError(format!("cannot write '{}': {e}", path.display()));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| cannot(&e))?;
    tmp.write_all(bytes).map_err(|e| cannot(&e))?;
    tmp.as_file().sync_all().map_err(|e| cannot(&e))?;
    tmp.persist(path).map_err(|e| cannot(&e.error))?;
    Ok(())
}

/// Send output to `--out` (atomically) or to stdout. A closed stdout pipe (`| head`) is not
/// an error.
pub fn emit(out: Option<&Path>, bytes: &[u8]) -> Result<()> {
    match out {
        Some(path) => write_atomic(path, bytes),
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.context("writing to stdout"),
            }
        }
    }
}

/// A progress line on stderr, only when stderr is a terminal; throttled to ~5 updates/s.
pub struct Progress {
    enabled: bool,
    label: String,
    last: std::time::Instant,
    shown: bool,
}

impl Progress {
    pub fn new(label: &str) -> Self {
        Self {
            enabled: std::io::stderr().is_terminal(),
            label: label.to_string(),
            last: std::time::Instant::now(),
            shown: false,
        }
    }

    pub fn update(&mut self, done: u64, total: u64) {
        if !self.enabled || self.last.elapsed().as_millis() < 200 {
            return;
        }
        self.last = std::time::Instant::now();
        self.shown = true;
        eprint!("\r{}: {done}/{total}\x1b[K", self.label);
    }

    pub fn finish(&mut self) {
        if self.shown {
            eprint!("\r\x1b[K");
        }
    }
}
