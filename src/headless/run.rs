//! `gradscope run`: one run of a lab to its end, printed as JSON, CSV or a table.

use crate::cli::{Format, RunArgs};
use crate::error::UsageError;
use crate::io::{ProgressLine, emit};
use crate::report::Report;
use crate::run::{Observer, RunSpec, Runner};
use crate::tui::theme::ThemeName;
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

/// The stderr progress line as a run observer.
struct ProgressObserver(ProgressLine);

impl Observer for ProgressObserver {
    fn on_step(&mut self, runner: &Runner) {
        self.0.update(runner.steps(), runner.total());
    }
}

/// Run a spec to its end, with a progress line on stderr when it is a terminal.
pub fn execute(spec: RunSpec) -> Result<Report> {
    let mut progress = ProgressObserver(ProgressLine::new(spec.lab.name()));
    let mut runner = Runner::new(spec).map_err(UsageError::from)?;
    runner.run_to_end(None, &mut progress);
    progress.0.finish();
    Ok(runner.report())
}

/// One line on stderr when a run diverged (its `diverged` summary keys; the exit code stays
/// 0: a diverged run is a result, not a failure).
fn warn_if_diverged(report: &Report) {
    let diverged: Vec<&str> = report
        .summary
        .keys()
        .filter(|k| *k == "diverged" || k.starts_with("diverged."))
        .filter(|k| report.num(k) == 1.0)
        .map(String::as_str)
        .collect();
    if !diverged.is_empty() {
        let which = if diverged == ["diverged"] {
            String::new()
        } else {
            format!(" ({})", diverged.join(", "))
        };
        eprintln!(
            "warning: the run diverged{which}: its values became non-finite; a smaller lr converges"
        );
    }
}

pub fn run(args: RunArgs) -> Result<()> {
    let spec = super::spec_from_args(
        &args.lab,
        &args.setup,
        args.steps,
        &[
            ("--out", args.out.as_deref()),
            ("--plot", args.plot.as_deref()),
        ],
    )?;
    let lab = spec.lab;
    if let Some(n) = args.seeds {
        return run_seeds(spec, n, &args);
    }
    if args.jobs.is_some() {
        crate::error::usage_bail!("--jobs needs --seeds: one run uses one core");
    }
    let report = execute(spec)?;
    warn_if_diverged(&report);
    if let Some(plot) = &args.plot {
        let svg = crate::tui::svg::pane_svg(lab, &report, ThemeName::Default, None)
            .map_err(anyhow::Error::msg)?;
        crate::io::write_atomic(plot, svg.as_bytes())?;
    }
    let bytes = render_report(&report, args.format)?;
    emit(args.out.as_deref(), &bytes)
}

/// `run --seeds N`: the spec over N seeds; `--plot` draws the medians with their bands.
fn run_seeds(spec: RunSpec, n: usize, args: &RunArgs) -> Result<()> {
    use super::seeds_cmd;
    let jobs = super::jobs(args.jobs)?;
    let lab = spec.lab;
    let plan = crate::seeds::SeedPlan::new(spec, n).map_err(UsageError::from)?;
    let result = seeds_cmd::execute(plan, jobs)?;
    seeds_cmd::warn_if_diverged(&result);
    if let (Some(plot), Some(first)) = (&args.plot, result.reports.first()) {
        let stats = crate::seeds::SeedStats::of(lab, &result.reports, n);
        let svg = crate::tui::svg::pane_svg_with_seeds(
            lab,
            first,
            Some(&stats),
            ThemeName::Default,
            crate::tui::svg::Shown::default(),
        )
        .map_err(anyhow::Error::msg)?;
        crate::io::write_atomic(plot, svg.as_bytes())?;
    }
    emit(
        args.out.as_deref(),
        &seeds_cmd::render(&result, args.format)?,
    )
}
