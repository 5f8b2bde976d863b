#![allow(clippy::unwrap_used)]
//! Each lab's named maps (`gradscope sweep LAB --map NAME`, the TUI's `a`): the sentence each
//! teaches is checked on the cells it names, over seeds 0–9; the CLI runs a map by name and
//! refuses an unknown one; `gradscope labs` lists them.

use crate::common::{gradscope, run, spec};
use gradscope::testing::labs::{LabId, MapPreset};
use gradscope::testing::report::Report;
use gradscope::testing::sweep::SweepPlan;

fn map(lab: LabId, name: &str) -> &'static MapPreset {
    lab.descriptor()
        .maps
        .iter()
        .find(|m| m.name == name)
        .unwrap()
}

/// The run of `map`'s cell (x, y) at `seed`, with the map's own settings and steps.
fn cell(lab: LabId, name: &str, x: f64, y: f64, seed: u64) -> Report {
    let m = map(lab, name);
    let mut s = spec(lab, m.sets, seed);
    s.steps = s.steps.or(m.steps);
    s.set_str(m.x.param, &x.to_string()).unwrap();
    s.set_str(m.y.param, &y.to_string()).unwrap();
    run(s)
}

#[test]
fn rnn_worst_growth_is_above_one_exactly_where_the_norm_is() {
    let m = map(LabId::Rnn, "worst-growth");
    for seed in 0..10 {
        for s in [0.5, 0.8, 0.95, 1.05, 1.25, 1.6, 2.0] {
            let mut low = f64::NAN;
            for rho in [0.0, 0.5, 0.9, 1.0, 1.5] {
                let peak = cell(LabId::Rnn, m.name, s, rho, seed).num(m.metric);
                assert_eq!(
                    peak > 1e-9,
                    s > 1.0,
                    "seed {seed}, ‖W‖ {s}, ρ {rho}: {peak}"
                );
                if rho == 0.5 {
                    low = peak;
                }
                if rho == 1.5 && s > 1.0 {
                    assert!(peak > low + 1.0, "seed {seed}, ‖W‖ {s}: {peak} vs {low}");
                }
            }
        }
    }
}

#[test]
fn lstm_reach_is_gone_at_small_forget_bias_and_kept_at_large() {
    let m = map(LabId::Lstm, "reach");
    for seed in 0..10 {
        for b in [-2.0, -1.0, 0.0] {
            let g = cell(LabId::Lstm, m.name, b, 100.0, seed).num(m.metric);
            assert!(g < -15.0, "seed {seed}, b {b}: log10 {g}");
        }
        for b in [4.0, 5.0, 6.0] {
            let g = cell(LabId::Lstm, m.name, b, 100.0, seed).num(m.metric);
            assert!(g > -1.0, "seed {seed}, b {b}: log10 {g}");
        }
    }
}

#[test]
fn bn_equilibrium_holds_where_the_run_settles_and_not_at_eta_lambda_1e_6() {
    let m = map(LabId::Bn, "equilibrium");
    let cells: Vec<(u64, f64, f64)> = (0..10)
        .flat_map(|seed| [(seed, 1.0, 0.1), (seed, 0.01, 1e-4)])
        .collect();
    let ratios = gradscope::testing::parallel::run_indexed(
        cells.len(),
        2,
        &std::sync::atomic::AtomicBool::new(false),
        |i| {
            let (seed, lr, wd) = cells[i];
            Ok(cell(LabId::Bn, m.name, lr, wd, seed).num(m.metric))
        },
        |_, _| {},
    )
    .unwrap();
    for (i, ratio) in ratios {
        let (seed, lr, _) = cells[i];
        if lr == 1.0 {
            assert!((ratio - 1.0).abs() < 0.1, "seed {seed}, ηλ 0.1: {ratio}");
        } else {
            assert!(ratio > 1.2, "seed {seed}, ηλ 1e-6 has not settled: {ratio}");
        }
    }
}

#[test]
fn mf_step_size_edge_is_near_the_stable_step_and_lower_from_a_large_init() {
    let m = map(LabId::Mf, "step-size");
    for seed in 0..10 {
        // From init 1 the edge is lower: 0.04 diverges, 0.02 converges.
        let big = |lr: f64| cell(LabId::Mf, m.name, lr, 1.0, seed);
        assert_eq!(
            big(0.04).num("diverged"),
            1.0,
            "seed {seed}, init 1, lr 0.04"
        );
        assert_eq!(
            big(0.02).num("diverged"),
            0.0,
            "seed {seed}, init 1, lr 0.02"
        );
        assert!(
            big(0.02).num("relative_gap") < 1e-6,
            "seed {seed}, init 1, lr 0.02"
        );
        for init in [1e-4, 1e-2, 0.1] {
            for lr in [0.001, 0.01, 0.048] {
                let r = cell(LabId::Mf, m.name, lr, init, seed);
                assert_eq!(r.num("diverged"), 0.0, "seed {seed}, init {init}, lr {lr}");
                assert!(
                    r.num("relative_gap") < 1e-6,
                    "seed {seed}, init {init}, lr {lr}"
                );
            }
            for lr in [0.08, 0.2] {
                let r = cell(LabId::Mf, m.name, lr, init, seed);
                assert_eq!(r.num("diverged"), 1.0, "seed {seed}, init {init}, lr {lr}");
            }
        }
    }
}

#[test]
fn clip_norm_clipping_learns_at_lr_1_where_a_huge_threshold_blows_up() {
    let m = map(LabId::Clip, "clipping-matters");
    for seed in 0..10 {
        let clipped = cell(LabId::Clip, m.name, 0.1, 1.0, seed).num(m.metric);
        assert!(clipped < 1.0 / 6.0, "seed {seed}, τ 0.1: {clipped}");
        let unclipped = cell(LabId::Clip, m.name, 100.0, 1.0, seed).num(m.metric);
        assert!(
            unclipped.is_nan() || unclipped > 1.0,
            "seed {seed}, τ 100: {unclipped}"
        );
    }
}

#[test]
fn every_map_plans_a_valid_grid_over_numeric_parameters() {
    for &lab in LabId::all() {
        for m in lab.descriptor().maps {
            let plan =
                SweepPlan::of_map(gradscope::testing::run::RunSpec::new(lab), m, Some(3)).unwrap();
            assert_eq!(plan.total(), 9, "{}", m.name);
            plan.validate().unwrap();
            assert!(m.teaches.len() > 40, "{}: a sentence", m.name);
        }
    }
}

#[test]
fn sweep_map_by_name_and_an_unknown_one_refused() {
    let out = gradscope()
        .args([
            "sweep",
            "rnn",
            "--map",
            "worst-growth",
            "--points",
            "3",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("index,spectral_norm,spectral_radius,log10_worst_peak_ratio")
    );
    assert_eq!(lines.count(), 9);
    let out = gradscope()
        .args(["sweep", "rnn", "--map", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("unknown map 'nope'") && err.contains("worst-growth"),
        "{err}"
    );
    let labs = gradscope().arg("labs").output().unwrap();
    let text = String::from_utf8(labs.stdout).unwrap();
    for (lab, name) in [
        (LabId::Rnn, "worst-growth"),
        (LabId::Lstm, "reach"),
        (LabId::Bn, "equilibrium"),
        (LabId::Mf, "step-size"),
        (LabId::Clip, "clipping-matters"),
    ] {
        assert!(text.contains(map(lab, name).teaches), "{name} in labs");
    }
}
