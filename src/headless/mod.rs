//! Everything the command line does without a terminal: `labs`, `run`, `sweep`, `resnet`,
//! `grad` and `bench`. Data goes to stdout; diagnostics and progress to stderr.

pub mod bench;
pub mod grad_cmd;
pub mod grad_recurrent;
pub mod labs_cmd;
pub mod resnet_cmd;
pub mod resnet_train;
pub mod run;
pub mod seeds_cmd;
pub mod sweep_cmd;
pub mod sweep_json;

use crate::cli::Setup;
use crate::labs::LabId;
use crate::run::RunSpec;
use std::path::Path;

/// The run a `run` or `sweep` command line describes: the lab by name, its preset and
/// `--set`s checked once; then its outputs (flag, path), checked before any work: writable,
/// none of them one of the run's input files, no two the same.
pub fn spec_from_args(
    lab: &str,
    setup: &Setup,
    steps: Option<u64>,
    outputs: &[(&str, Option<&Path>)],
) -> anyhow::Result<RunSpec> {
    let spec = setup.over(RunSpec::new(LabId::parse(lab)?), steps)?;
    let outputs: Vec<(&str, &Path, bool)> = outputs
        .iter()
        .filter_map(|(flag, p)| p.map(|p| (*flag, p, false)))
        .collect();
    crate::io::check_outputs(&outputs, &spec.input_paths())?;
    Ok(spec)
}

/// The most threads `--jobs` may ask for (a bound stated in the README).
pub const MAX_JOBS: usize = 1024;

/// `--jobs`: 1 to [`MAX_JOBS`]; all cores when not given.
pub fn jobs(arg: Option<usize>) -> anyhow::Result<usize> {
    match arg {
        Some(j) if (1..=MAX_JOBS).contains(&j) => Ok(j),
        Some(j) => crate::error::usage_bail!("--jobs must be between 1 and {MAX_JOBS}, got {j}"),
        None => Ok(crate::sweep::default_jobs()),
    }
}
