//! Shared test scaffolding: the one finite-difference gradient check every gradient test
//! uses (rnn, mf, the nn layers; clip, lstm and bn next), and helpers to build specs.
#![allow(dead_code)]

use gradscope::labs::LabId;
use gradscope::report::Report;
use gradscope::run::{Quiet, RunSpec, Runner};

/// Up to `max` indices spread evenly over `0..len`.
pub fn spread(len: usize, max: usize) -> Vec<usize> {
    (0..len).step_by(len.div_ceil(max.max(1)).max(1)).collect()
}

/// max |num − ana| over the largest |ana| (entries of one gradient span decades, so the
/// error is measured against the tensor's scale, not entry by entry).
pub fn rel_err(num: &[f64], ana: &[f64]) -> f64 {
    rel_err_floor(num, ana, 1e-12)
}

/// [`rel_err`] with the scale at least `floor`.
pub fn rel_err_floor(num: &[f64], ana: &[f64], floor: f64) -> f64 {
    let scale = ana.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(floor);
    num.iter()
        .zip(ana)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()))
        / scale
}

/// Check an analytic gradient `ana` against central differences at the entries `idx`:
/// `loss_at(i, δ)` is the loss with entry `i` moved by `δ` (and put back afterwards).
/// Panics with `name` and the error when it exceeds `tol`; returns the error.
pub fn check_gradient(
    name: &str,
    ana: &[f64],
    idx: &[usize],
    eps: f64,
    tol: f64,
    loss_at: impl FnMut(usize, f64) -> f64,
) -> f64 {
    check_gradient_floor(name, ana, idx, eps, tol, 1e-12, loss_at)
}

/// [`check_gradient`] measuring the error against a scale of at least `floor`: for checked
/// entries that are all zero up to rounding (e.g. a weight tap that only meets zero inputs),
/// where the finite difference is itself only rounding noise of the loss (≈ ε·|L|/δ).
pub fn check_gradient_floor(
    name: &str,
    ana: &[f64],
    idx: &[usize],
    eps: f64,
    tol: f64,
    floor: f64,
    mut loss_at: impl FnMut(usize, f64) -> f64,
) -> f64 {
    let num: Vec<f64> = idx
        .iter()
        .map(|&i| (loss_at(i, eps) - loss_at(i, -eps)) / (2.0 * eps))
        .collect();
    let picked: Vec<f64> = idx.iter().map(|&i| ana[i]).collect();
    let e = rel_err_floor(&num, &picked, floor);
    assert!(
        e < tol,
        "{name}: relative error {e:e} (numeric {num:?} vs analytic {picked:?})"
    );
    e
}

/// A spec from `K=V` pairs (panics on a bad one: tests give good ones).
pub fn spec(lab: LabId, pairs: &[(&str, &str)], seed: u64) -> RunSpec {
    let sets: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    RunSpec::from_args(lab, None, &sets, seed, None).expect("valid parameters")
}

/// Run a spec to its end.
pub fn run(spec: RunSpec) -> Report {
    let mut runner = Runner::new(spec).expect("the run starts");
    runner.run_to_end(None, &mut Quiet);
    runner.report()
}
