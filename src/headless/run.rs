//! `gradscope run`: one run of a lab to its end, printed as JSON, CSV or a table.

use crate::cli::{Format, RunArgs};
use crate::error::UsageError;
use crate::io::{Progress, emit};
use crate::labs::{self, LabId};
use crate::params::parse_assignments;
use crate::report::Report;
use anyhow::Result;

/// Serialise a report in the requested format.
pub fn render_report(report: &Report, format: Format) -> Result<Vec<u8>> {
    Ok(match format {
        Format::Json => (report.to_json() + "\n").into_bytes(),
        Format::Csv => {
            let mut buf = Vec::new();
            report.write_csv(&mut buf)?;
            buf
        }
        Format::Table => report.to_table().into_bytes(),
    })
}

pub fn run(args: RunArgs) -> Result<()> {
    let id = LabId::parse(&args.lab)?;
    let assignments = parse_assignments(&args.sets).map_err(UsageError::from)?;
    if let Some(out) = &args.out {
        let input = assignments.iter().filter(|(k, _)| k == "input");
        let inputs: Vec<&std::path::Path> = input.map(|(_, v)| v.as_ref()).collect();
        crate::io::check_not_an_input(out, &inputs)?; // mf's `input` is no output
    }
    let mut lab = labs::build(id, &assignments, args.seed).map_err(UsageError::from)?;
    if let Some(n) = args.steps {
        lab.set_run_length(n);
    }
    let total = lab.run_length();
    let mut progress = Progress::new(id.name());
    while !lab.done() {
        lab.step();
        progress.update(lab.steps(), total);
    }
    progress.finish();
    let bytes = render_report(&lab.report(), args.format)?;
    emit(args.out.as_deref(), &bytes)
}
