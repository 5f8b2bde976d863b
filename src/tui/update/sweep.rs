//! The sweep part of `update`: sweep the selected parameter over the range that is valid
//! given the other parameters (found with the cheap [`RunSpec::validate`]); with a sweep
//! open, `s` on another parameter maps the two (a 21×21 grid). The worker measures a sweep's
//! cost first and, over [`ASK_OVER`] seconds, waits while the user chooses 11/21/41 points
//! or types a range. `m` plots another metric of the same runs (every point keeps its whole
//! summary: nothing runs again); `[`/`]` narrow or widen the range around the current value.

use super::{complain, say};
use crate::fmt::fmt_num;
use crate::params::{Kind, ParamSpec, Scale};
use crate::run::RunSpec;
use crate::sweep::{Estimate, Grid, SweepPlan, numeric_summary_keys};
use crate::tui::app::{App, SweepView};
use crate::tui::input::InputBox;
use crate::tui::worker::Command;

/// How many values an in-TUI sweep visits.
pub const SWEEP_POINTS: usize = 41;
/// Values per axis of an in-TUI map.
pub const MAP_POINTS: usize = 21;
/// A sweep measured to take longer than this (seconds) waits for the user's choice.
pub const ASK_OVER: f64 = 60.0;

fn valid_at(spec: &RunSpec, param: &ParamSpec, x: f64) -> bool {
    let mut s = spec.clone();
    param
        .value_from_number(x)
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

/// `s`: sweep the selected parameter over its valid range; with a curve open over another
/// parameter, map the two.
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
    let Some(grid2) = axis(param, from, to, MAP_POINTS, log) else {
        return vec![];
    };
    // A curve open over another parameter: map the two, its axis along x.
    let over = app
        .sweep
        .as_ref()
        .filter(|s| s.plan.second.is_none() && s.plan.param != param.name)
        .map(|s| (s.plan.param.clone(), s.plan.grid));
    if let Some((first, grid)) = over {
        let Ok(spec) = lab.params().spec(&first) else {
            return vec![];
        };
        let Some(grid) = axis(spec, grid.from, grid.to, MAP_POINTS, grid.log) else {
            return vec![];
        };
        let plan = plan_of(app, spec.name, grid);
        return match plan.with_second(param.name, grid2) {
            Ok(plan) => launch(app, plan, Some(ASK_OVER)),
            Err(e) => {
                complain(app, e.0);
                vec![]
            }
        };
    }
    match axis(param, from, to, SWEEP_POINTS, log) {
        Some(grid) => {
            let plan = plan_of(app, param.name, grid);
            launch(app, plan, Some(ASK_OVER))
        }
        None => vec![],
    }
}

/// `points` values of `param` over [from, to] (no more than an integer range holds).
fn axis(param: &ParamSpec, from: f64, to: f64, points: usize, log: bool) -> Option<Grid> {
    let points = if matches!(param.kind, Kind::Int { .. }) {
        points.min((to - from).round().max(0.0) as usize + 1)
    } else {
        points
    };
    Grid::new(from, to, points, log).ok()
}

/// The plan of a sweep of the open lab's run over `grid` of `param`, plotting the metric
/// last chosen (or the lab's own), keeping every point's summary for `m`.
fn plan_of(app: &App, param: &str, grid: Grid) -> SweepPlan {
    let lab = app.lab();
    let metric = app
        .sweep_metric
        .clone()
        .unwrap_or_else(|| lab.id().descriptor().sweep_metric.to_string());
    let mut plan = SweepPlan::new(lab.spec.clone(), param, grid, &metric);
    plan.keep_summary = true;
    plan
}

/// Start `plan`, replacing any sweep in progress; over `ask_over` seconds (as the worker
/// measures it) it waits for the user's choice instead of running.
fn launch(app: &mut App, plan: SweepPlan, ask_over: Option<f64>) -> Vec<Command> {
    let id = app.next_sweep_id;
    app.next_sweep_id += 1;
    let text = match &plan.second {
        None => format!(
            "sweeping {} over [{}, {}] ({} runs) · m metric · ] narrow · / range · s on another parameter maps both · Esc closes",
            plan.param,
            fmt_num(plan.grid.from),
            fmt_num(plan.grid.to),
            plan.total()
        ),
        Some((param2, _)) => format!(
            "mapping {} × {param2} ({} runs) · m metric · / range · Esc closes",
            plan.param,
            plan.total()
        ),
    };
    app.sweep = Some(SweepView::new(id, plan.clone(), app.now));
    app.zoom = None;
    say(app, text);
    vec![Command::Sweep { id, plan, ask_over }]
}

/// The open sweep again with `points` values (per axis for a map), over the same ranges,
/// run without asking: the user chose it knowing its cost.
pub fn choose_points(app: &mut App, points: usize) -> Vec<Command> {
    let Some(sweep) = app.sweep.as_ref() else {
        return vec![];
    };
    let mut plan = sweep.plan.clone();
    let params = app.lab().params();
    let regrid = |name: &str, g: Grid| {
        params
            .spec(name)
            .ok()
            .and_then(|spec| axis(spec, g.from, g.to, points, g.log))
    };
    let Some(grid) = regrid(&plan.param, plan.grid) else {
        return vec![];
    };
    plan.grid = grid;
    if let Some((param2, grid2)) = plan.second.clone() {
        let Some(grid2) = regrid(&param2, grid2) else {
            return vec![];
        };
        plan.second = Some((param2, grid2));
    }
    launch(app, plan, None)
}

/// Enter at the cost prompt: run the sweep as it was planned.
pub fn confirm(app: &mut App) -> Vec<Command> {
    match app.sweep.as_ref().filter(|s| s.asking) {
        Some(s) => {
            let plan = s.plan.clone();
            launch(app, plan, None)
        }
        None => vec![],
    }
}

/// `/`: type the swept range (and the number of points), prefilled with the current ones.
pub fn begin_range(app: &mut App) -> Vec<Command> {
    if let Some(s) = app.sweep.as_ref() {
        let g = s.plan.grid;
        let text = format!("{} {} {}", fmt_num(g.from), fmt_num(g.to), g.points);
        app.input = Some(InputBox::prefilled(&text));
        app.range_input = true;
    }
    vec![]
}

/// `FROM TO [POINTS]` (spaces, commas or `..` between) for the swept parameter (the map's
/// x axis), checked against the parameter's range.
pub fn commit_range(app: &mut App, typed: &str) -> Vec<Command> {
    let Some(sweep) = app.sweep.as_ref() else {
        return vec![];
    };
    let nums: Result<Vec<f64>, _> = typed
        .replace("..", " ")
        .split([' ', ',', '\t'])
        .filter(|t| !t.is_empty())
        .map(str::parse::<f64>)
        .collect();
    let (from, to, points) = match nums.as_deref() {
        Ok([from, to]) => (*from, *to, sweep.plan.grid.points),
        Ok([from, to, n]) if *n >= 1.0 && n.fract() == 0.0 => (*from, *to, *n as usize),
        _ => {
            complain(
                app,
                format!(
                    "type FROM TO [POINTS] for {}, got '{typed}'",
                    sweep.plan.param
                ),
            );
            return vec![];
        }
    };
    let mut plan = sweep.plan.clone();
    let log = plan.grid.log && from > 0.0 && to > 0.0;
    let grid = match app.lab().params().spec(&plan.param) {
        Ok(spec) => {
            let (lo, hi) = spec.range().unwrap_or((f64::NEG_INFINITY, f64::INFINITY));
            if from.min(to) < lo || from.max(to) > hi {
                let text = format!("{} takes values in {}", spec.name, spec.accepted());
                complain(app, text);
                return vec![];
            }
            axis(spec, from, to, points, log)
        }
        Err(e) => {
            complain(app, e.0);
            return vec![];
        }
    };
    let Some(grid) = grid else {
        complain(app, format!("cannot sweep over '{typed}'"));
        return vec![];
    };
    plan.grid = grid;
    if plan.second.is_none() && (0..grid.points).any(|i| !plan.valid(i)) {
        let text = format!(
            "some values of {} in [{}, {}] are not valid with the other parameters",
            plan.param,
            fmt_num(from),
            fmt_num(to)
        );
        complain(app, text);
        return vec![];
    }
    app.input = None;
    app.range_input = false;
    launch(app, plan, Some(ASK_OVER))
}

/// The summary keys worth plotting: numeric in the points so far, varying over them, and not
/// the swept parameter's own echo. Before any point: every numeric key of the lab's report.
fn varying_keys(app: &App, sweep: &SweepView) -> Vec<String> {
    let Some(first) = sweep.points.first() else {
        return app.lab().report().map_or_else(Vec::new, |r| {
            numeric_summary_keys(r)
                .into_iter()
                .map(String::from)
                .collect()
        });
    };
    let varies = |key: &str| {
        let ys: Vec<f64> = sweep.points.iter().map(|p| p.get(key)).collect();
        let finite: Vec<f64> = ys.iter().copied().filter(|y| y.is_finite()).collect();
        let echo = sweep.points.iter().all(|p| p.get(key) == p.value);
        let (lo, hi) = finite
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), y| {
                (l.min(*y), h.max(*y))
            });
        let spread = !finite.is_empty() && hi - lo > 1e-12 * hi.abs().max(lo.abs());
        // A key finite at some points and not at others varies too (where runs diverge).
        let mixed = !finite.is_empty() && finite.len() < ys.len();
        (spread || mixed) && !(echo && sweep.points.len() > 1)
    };
    first
        .summary
        .iter()
        .map(|(k, _)| k.clone())
        .filter(|k| varies(k) || *k == sweep.plan.metric)
        .collect()
}

/// `m`: plot the next metric that varies over the points, from the summaries they keep
/// (nothing runs again).
pub fn next_metric(app: &mut App) -> Vec<Command> {
    let Some(sweep) = app.sweep.as_ref() else {
        return vec![];
    };
    let keys = varying_keys(app, sweep);
    if keys.is_empty() {
        return vec![];
    }
    let i = keys.iter().position(|k| *k == sweep.plan.metric);
    let next = keys[i.map_or(0, |i| (i + 1) % keys.len())].clone();
    app.sweep_metric = Some(next.clone());
    let text = format!("plotting {next} (m: the next metric that varies)");
    if let Some(sweep) = app.sweep.as_mut() {
        for p in &mut sweep.points {
            p.metric = p.get(&next);
            p.spread = None;
        }
        sweep.plan.metric = next;
    }
    say(app, text);
    vec![]
}

/// Halve (narrow) or double (widen) the swept range around the parameter's current value,
/// within its valid range, and sweep again.
pub fn rescale(app: &mut App, narrow: bool) -> Vec<Command> {
    let Some(sweep) = app.sweep.as_ref() else {
        return vec![];
    };
    if sweep.plan.second.is_some() {
        say(app, "[ and ] narrow a curve; / types a map's range");
        return vec![];
    }
    let lab = app.lab();
    let Ok(param) = lab.params().spec(&sweep.plan.param) else {
        return vec![];
    };
    let Some((lo, hi)) = param.range() else {
        return vec![];
    };
    let g = sweep.plan.grid;
    let log = g.log;
    let Some((vlo, vhi)) = valid_range(&lab.spec, param, lo, hi, log) else {
        return vec![];
    };
    let current = lab.params().f64(param.name).clamp(vlo, vhi);
    let factor = if narrow { 0.25 } else { 1.0 };
    let (from, to) = if log {
        let half = (g.to / g.from).ln() * factor;
        ((current.ln() - half).exp(), (current.ln() + half).exp())
    } else {
        let half = (g.to - g.from) * factor;
        (current - half, current + half)
    };
    let (from, to) = (from.max(vlo), to.min(vhi));
    if to <= from {
        return vec![];
    }
    match axis(param, from, to, SWEEP_POINTS, log) {
        Some(grid) => {
            let plan = plan_of(app, param.name, grid);
            launch(app, plan, Some(ASK_OVER))
        }
        None => vec![],
    }
}

/// A demo's sweep cue: `param` over [from, to] at `points` values, run without asking (a
/// tape has chosen its cost).
pub(super) fn launch_range(
    app: &mut App,
    param: &'static str,
    from: f64,
    to: f64,
    points: usize,
    log: bool,
) -> Vec<Command> {
    match Grid::new(from, to, points, log) {
        Ok(grid) => {
            let plan = plan_of(app, param, grid);
            launch(app, plan, None)
        }
        Err(e) => {
            complain(app, e.0);
            vec![]
        }
    }
}

/// The worker measured the sweep's cost: the title shows it until the first point; over the
/// limit the sweep waits for a choice (the prompt lists each choice's cost).
pub fn estimated(app: &mut App, id: u64, estimate: Estimate, waiting: bool) {
    let Some(sweep) = app.sweep.as_mut().filter(|s| s.id == id) else {
        return;
    };
    sweep.estimate = Some(estimate);
    if waiting {
        sweep.asking = true;
        sweep.running = false;
        let text = format!(
            "this sweep would take about {}: choose 11/21/41 points, / types a range, Esc cancels",
            crate::fmt::eta(estimate.total)
        );
        say(app, text);
    }
}

/// `a`: the lab's next named map (the first, or the one after the map open), with the
/// sentence it teaches in the status bar.
pub fn named_map(app: &mut App) -> Vec<Command> {
    let lab = app.lab();
    let maps = lab.id().descriptor().maps;
    if maps.is_empty() {
        let text = format!(
            "{} names no map: one of its runs takes minutes (s sweeps, then s on another parameter maps)",
            lab.id().name()
        );
        say(app, text);
        return vec![];
    }
    let open = app.sweep.as_ref().and_then(|s| {
        maps.iter().position(|m| {
            s.plan.param == m.x.param && s.param2() == Some(m.y.param) && s.plan.metric == m.metric
        })
    });
    let map = &maps[open.map_or(0, |i| (i + 1) % maps.len())];
    match SweepPlan::of_map(lab.spec.clone(), map, None) {
        Ok(mut plan) => {
            plan.keep_summary = true;
            let cmds = launch(app, plan, Some(ASK_OVER));
            say(app, format!("map {}: {}", map.name, map.teaches));
            cmds
        }
        Err(e) => {
            complain(app, e.0);
            vec![]
        }
    }
}
