//! The sweep part of `update`: sweep the selected parameter over the range that is valid
//! given the other parameters (found with the cheap [`RunSpec::validate`]), cycle the
//! plotted metric through the lab's numeric summary keys, and narrow or widen the range
//! around the current value.

use super::{complain, say};
use crate::fmt::fmt_num;
use crate::params::{Kind, ParamSpec, Scale};
use crate::run::RunSpec;
use crate::sweep::{Grid, SweepPlan, numeric_summary_keys};
use crate::tui::app::{App, SweepView};
use crate::tui::worker::Command;

/// How many values an in-TUI sweep visits.
pub const SWEEP_POINTS: usize = 41;

fn valid_at(spec: &RunSpec, param: &ParamSpec, x: f64) -> bool {
    let mut s = spec.clone();
    param
        .from_number(x)
        .and_then(|v| s.set(param.name, v))
        .and_then(|()| s.validate())
        .is_ok()
}

/// Move from a valid `good` towards an invalid `bad` and return the last valid value (to a
/// relative resolution of 1e-6, or exactly for integers).
fn edge(spec: &RunSpec, param: &ParamSpec, mut good: f64, mut bad: f64, int: bool) -> f64 {
    for _ in 0..60 {
        let mid = if int {
            ((good + bad) / 2.0).round()
        } else {
            (good + bad) / 2.0
        };
        if mid == good || mid == bad || (!int && (bad - good).abs() <= 1e-6 * good.abs().max(1e-12))
        {
            break;
        }
        if valid_at(spec, param, mid) {
            good = mid;
        } else {
            bad = mid;
        }
    }
    good
}

/// The part of the parameter's range where the run is valid given the other parameters:
/// the contiguous stretch around the current value (or the first valid stretch).
fn valid_range(
    spec: &RunSpec,
    param: &ParamSpec,
    lo: f64,
    hi: f64,
    log: bool,
) -> Option<(f64, f64)> {
    let int = matches!(param.kind, Kind::Int { .. });
    let grid = Grid::new(lo, hi, 201, log).ok()?;
    let probes: Vec<(f64, bool)> = grid
        .values()
        .map(|x| if int { x.round() } else { x })
        .map(|x| (x, valid_at(spec, param, x)))
        .collect();
    let current = spec.params.f64(param.name);
    let anchor = probes
        .iter()
        .position(|(x, ok)| *ok && *x >= current)
        .or_else(|| probes.iter().position(|(_, ok)| *ok))?;
    let mut first = anchor;
    while first > 0 && probes[first - 1].1 {
        first -= 1;
    }
    let mut last = anchor;
    while last + 1 < probes.len() && probes[last + 1].1 {
        last += 1;
    }
    let from = if first > 0 {
        edge(spec, param, probes[first].0, probes[first - 1].0, int)
    } else {
        lo
    };
    let to = if last + 1 < probes.len() {
        edge(spec, param, probes[last].0, probes[last + 1].0, int)
    } else {
        hi
    };
    Some((from, to))
}

/// Start a sweep of the selected parameter over its valid range.
pub fn start(app: &mut App) -> Vec<Command> {
    let lab = app.lab();
    let Some((param, _)) = lab.params().iter().nth(lab.selected) else {
        return vec![];
    };
    let Some((lo, hi)) = param.range() else {
        let text = format!(
            "{} is not numeric: select a numeric parameter to sweep",
            param.name
        );
        complain(app, text);
        return vec![];
    };
    let log = param.scale() == Some(Scale::Log) && lo > 0.0;
    let Some((from, to)) = valid_range(&lab.spec, param, lo, hi, log) else {
        let text = format!(
            "no value of {} is valid with the other parameters",
            param.name
        );
        complain(app, text);
        return vec![];
    };
    launch(app, param.name, from, to, log)
}

/// Start a sweep of `param` over [from, to] at the usual number of points (fewer for an
/// integer range), replacing any sweep in progress.
fn launch(app: &mut App, param: &'static str, from: f64, to: f64, log: bool) -> Vec<Command> {
    let spec = app.lab().params().spec(param).ok().copied();
    let int = matches!(spec.map(|s| s.kind), Some(Kind::Int { .. }));
    let points = if int {
        SWEEP_POINTS.min((to - from).round() as usize + 1)
    } else {
        SWEEP_POINTS
    };
    launch_range(app, param, from, to, points, log)
}

/// Start a sweep of `param` over [from, to] at `points` values.
pub(super) fn launch_range(
    app: &mut App,
    param: &'static str,
    from: f64,
    to: f64,
    points: usize,
    log: bool,
) -> Vec<Command> {
    let lab = app.lab();
    let grid = match Grid::new(from, to, points, log) {
        Ok(g) => g,
        Err(e) => {
            complain(app, e.0);
            return vec![];
        }
    };
    let id = app.next_sweep_id;
    let metric = app
        .sweep_metric
        .clone()
        .unwrap_or_else(|| lab.id().descriptor().sweep_metric.to_string());
    let plan = SweepPlan::new(lab.spec.clone(), param, grid, &metric);
    let text = format!(
        "sweeping {param} over [{}, {}] ({points} runs) · m metric · ] narrow · Esc closes",
        fmt_num(from),
        fmt_num(to)
    );
    let lab_id = lab.id();
    app.next_sweep_id += 1;
    app.sweep = Some(SweepView {
        id,
        lab: lab_id,
        param: param.to_string(),
        metric,
        from,
        to,
        total: points,
        log_x: log,
        points: Vec::new(),
        running: true,
        error: None,
    });
    app.zoom = None;
    say(app, text);
    vec![Command::Sweep { id, plan }]
}

/// Plot the next numeric summary key of the lab, and sweep again.
pub fn next_metric(app: &mut App) -> Vec<Command> {
    let Some(sweep) = app.sweep.as_ref() else {
        return vec![];
    };
    let Some(report) = app.lab().report() else {
        return vec![];
    };
    let keys = numeric_summary_keys(report);
    if keys.is_empty() {
        return vec![];
    }
    let i = keys.iter().position(|k| *k == sweep.metric);
    let next = keys[i.map_or(0, |i| (i + 1) % keys.len())].to_string();
    let (param, from, to, log) = (sweep.param.clone(), sweep.from, sweep.to, sweep.log_x);
    app.sweep_metric = Some(next);
    match app.lab().params().spec(&param) {
        Ok(spec) => launch(app, spec.name, from, to, log),
        Err(_) => vec![],
    }
}

/// Halve (narrow) or double (widen) the swept range around the parameter's current value,
/// within its valid range, and sweep again.
pub fn rescale(app: &mut App, narrow: bool) -> Vec<Command> {
    let Some(sweep) = app.sweep.as_ref() else {
        return vec![];
    };
    let lab = app.lab();
    let Ok(param) = lab.params().spec(&sweep.param) else {
        return vec![];
    };
    let Some((lo, hi)) = param.range() else {
        return vec![];
    };
    let log = sweep.log_x;
    let Some((vlo, vhi)) = valid_range(&lab.spec, param, lo, hi, log) else {
        return vec![];
    };
    let current = lab.params().f64(param.name).clamp(vlo, vhi);
    let factor = if narrow { 0.25 } else { 1.0 };
    let (from, to) = if log {
        let half = (sweep.to / sweep.from).ln() * factor;
        ((current.ln() - half).exp(), (current.ln() + half).exp())
    } else {
        let half = (sweep.to - sweep.from) * factor;
        (current - half, current + half)
    };
    let (from, to) = (from.max(vlo), to.min(vhi));
    if to <= from {
        return vec![];
    }
    launch(app, param.name, from, to, log)
}
