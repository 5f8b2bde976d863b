//! Shared test scaffolding: the `gradscope` command and the fixture files every CLI test
//! uses, the one finite-difference gradient check every gradient test uses (rnn, mf, clip,
//! lstm, bn, the nn layers), helpers to build and run specs, and the README-figure checks.
#![allow(dead_code)]

use gradscope::testing::labs::LabId;
use gradscope::testing::report::Report;
use gradscope::testing::run::{Quiet, RunSpec, Runner};
use std::path::{Path, PathBuf};

/// The `gradscope` binary cargo built for the tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_gradscope");

/// A command running the `gradscope` binary.
pub fn gradscope() -> assert_cmd::Command {
    assert_cmd::Command::new(BIN)
}

/// A file of `tests/fixtures` (the PyTorch reference tensors and the parameter table).
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

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

/// The README, for the tests that check the figures it quotes.
pub fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md is readable")
}

/// The numbers written in `text`, in order: `1,900` is 1900, `0.5e-3` and `5e-4` are read
/// whole, `−` is a minus sign; a `%` after a number is left to the caller.
pub fn numbers_in(text: &str) -> Vec<(String, f64)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let neg = (chars[i] == '-' || chars[i] == '−')
            && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit())
            && (i == 0 || !chars[i - 1].is_alphanumeric());
        let start = if neg { i + 1 } else { i };
        if !chars.get(start).is_some_and(|c| c.is_ascii_digit())
            || (start > 0 && (chars[start - 1].is_alphanumeric() || chars[start - 1] == '_'))
        {
            i += 1;
            continue;
        }
        let mut j = start;
        let mut lit = String::new();
        while j < chars.len() {
            let c = chars[j];
            let next_digit = chars.get(j + 1).is_some_and(|c| c.is_ascii_digit());
            if c.is_ascii_digit() {
                lit.push(c);
            } else if (c == '.' && next_digit) || (c == ',' && next_digit && lit.len() <= 3) {
                if c == '.' {
                    lit.push(c);
                }
            } else if c == 'e'
                && (next_digit
                    || (chars.get(j + 1) == Some(&'-')
                        && chars.get(j + 2).is_some_and(|c| c.is_ascii_digit())))
            {
                lit.push('e');
                if chars[j + 1] == '-' {
                    lit.push('-');
                    j += 1;
                }
            } else {
                break;
            }
            j += 1;
        }
        let quoted: String = chars[i..j].iter().collect();
        let value: f64 = lit.parse().expect("a number");
        out.push((quoted, if neg { -value } else { value }));
        i = j;
    }
    out
}

/// Half a unit in the last digit a number is written with: what rounding to it allows.
fn half_ulp(written: &str) -> f64 {
    let mantissa = written.split('e').next().unwrap_or(written);
    let exp: i32 = written
        .split_once('e')
        .map_or(0, |(_, e)| e.parse().expect("an exponent"));
    let decimals = mantissa.split_once('.').map_or(0, |(_, d)| d.len() as i32);
    0.5 * 10f64.powi(exp - decimals)
}

/// Check a figure the README quotes: `needle` appears in the README verbatim, and the
/// numbers in it are `computed` rounded as written (each within half a unit of its last
/// digit, plus `slack` relative for rounding between machines). `None` skips a number that
/// is not a measurement (a parameter, a step count of the command).
pub fn assert_quoted(readme: &str, needle: &str, computed: &[Option<f64>], slack: f64) {
    assert!(
        readme.contains(needle),
        "the README no longer says {needle:?}: update the test with the text"
    );
    let found = numbers_in(needle);
    assert_eq!(
        found.len(),
        computed.len(),
        "{needle:?} has the numbers {found:?}"
    );
    for ((written, quoted), value) in found.iter().zip(computed) {
        let Some(value) = value else { continue };
        let tol =
            half_ulp(written.trim_start_matches(['-', '−'])) * 1.000_001 + slack * value.abs();
        assert!(
            (value - quoted).abs() <= tol,
            "README {needle:?}: {written} but a run gives {value}"
        );
    }
}
