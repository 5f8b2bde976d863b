//! The rnn lab against closed-form theory: exact s^k for orthogonal linear nets, exact
//! spectral norms, the (γ‖W‖₂)^k bound, transient growth of non-normal W, finite
//! differences for ∂l/∂W_z, and determinism; the worst direction ‖(W_zᵀ)^k‖₂ and each
//! preset's claim over seeds in the `worst` module.

#![allow(clippy::unwrap_used)]

use crate::common;
#[path = "rnn_theory/worst.rs"]
mod worst;

use approx::assert_relative_eq;
use common::{check_gradient, spread};
use gradscope::testing::labs::rnn::{self, Activation, RnnLab, propagate};
use gradscope::testing::labs::{Lab, LabId};
use gradscope::testing::params::FromParams;
use gradscope::testing::report::Report;
use gradscope::testing::run::{Quiet, RunSpec, Runner};

fn run(sets: &[(&str, &str)], seed: u64) -> Report {
    common::run(common::spec(LabId::Rnn, sets, seed))
}

#[test]
fn orthogonal_linear_ratio_is_exactly_s_to_the_k() {
    for s in [0.5f64, 0.9, 1.0, 1.1, 1.5] {
        let r = run(
            &[
                ("init", "orthogonal"),
                ("activation", "linear"),
                ("spectral_norm", &s.to_string()),
            ],
            3,
        );
        let g = r.series("grad_norm");
        assert_eq!(g.len(), 101);
        for (k, x) in g.iter().enumerate() {
            assert_relative_eq!(*x, s.powi(k as i32), max_relative = 1e-10);
        }
        assert!((r.num("spectral_norm") - s).abs() < 1e-12);
        assert!((r.num("spectral_radius") - s).abs() < 1e-10);
    }
}

#[test]
fn gaussian_and_nonnormal_hit_the_target_spectral_norm() {
    for init in ["gaussian", "nonnormal"] {
        for s in [0.3, 1.0, 1.7] {
            for seed in 0..3 {
                let r = run(&[("init", init), ("spectral_norm", &s.to_string())], seed);
                let got = r.num("spectral_norm");
                assert!((got - s).abs() < 1e-10 * s, "{init} s={s}: {got}");
            }
        }
    }
    // The non-normal radius is the requested one (capped at the norm).
    let r = run(
        &[
            ("init", "nonnormal"),
            ("spectral_norm", "1.5"),
            ("spectral_radius", "0.8"),
        ],
        1,
    );
    assert!((r.num("spectral_radius") - 0.8).abs() < 1e-6);
    let r = run(
        &[
            ("init", "nonnormal"),
            ("spectral_norm", "0.6"),
            ("spectral_radius", "0.8"),
        ],
        1,
    );
    assert!((r.num("spectral_radius") - 0.6).abs() < 1e-6);
}

#[test]
fn every_ratio_is_within_its_bound() {
    for init in ["orthogonal", "gaussian", "nonnormal"] {
        for act in ["linear", "tanh", "relu", "sigmoid"] {
            for s in ["0.7", "1.3"] {
                let r = run(
                    &[
                        ("init", init),
                        ("activation", act),
                        ("spectral_norm", s),
                        ("z0_scale", "2"),
                    ],
                    5,
                );
                let gamma = r.num("gamma");
                assert_eq!(gamma, if act == "sigmoid" { 0.25 } else { 1.0 });
                for (k, (x, b)) in r
                    .series("grad_norm")
                    .iter()
                    .zip(r.series("bound_norm"))
                    .enumerate()
                {
                    assert!(*x <= b * (1.0 + 1e-9), "{init}/{act}/{s} k={k}: {x} > {b}");
                }
            }
        }
    }
}

#[test]
fn nonnormal_with_radius_below_one_grows_then_decays() {
    // 2×2 blocks (the default is now 8, which grows far more: see the test below).
    let r = run(
        &[
            ("init", "nonnormal"),
            ("spectral_norm", "1.5"),
            ("spectral_radius", "0.9"),
            ("block", "2"),
            ("activation", "linear"),
        ],
        0,
    );
    assert!(r.num("spectral_radius") < 1.0 && r.num("spectral_norm") > 1.0);
    let g = r.series("grad_norm");
    let peak = g.iter().copied().fold(0.0, f64::max);
    let peak_at = g.iter().position(|x| *x == peak).unwrap();
    assert!(peak > 1.5, "transient growth: peak {peak}");
    assert!(peak_at > 1 && peak_at < 50, "peak at {peak_at}");
    assert!(g[100] < 1e-2, "then decay: {}", g[100]);
    assert_eq!(r.text("regime"), "vanishing");
    assert_eq!(r.num("peak_lag"), peak_at as f64);
}

#[test]
fn saturating_activations_make_vanishing_worse() {
    // Over seeds, and in the worst direction as well as for g.
    for seed in 0..10 {
        let lin = run(&[("activation", "linear"), ("spectral_norm", "1.0")], seed);
        let tanh = run(&[("activation", "tanh"), ("spectral_norm", "1.0")], seed);
        let sig = run(&[("activation", "sigmoid"), ("spectral_norm", "1.0")], seed);
        for key in ["final_ratio", "log10_worst_final"] {
            assert!(tanh.num(key) < lin.num(key), "seed {seed}: {key}");
            assert!(sig.num(key) < tanh.num(key), "seed {seed}: {key}");
        }
        assert_eq!(sig.text("regime"), "vanishing");
    }
}

#[test]
fn grad_w_matches_central_finite_differences() {
    for act in [Activation::Tanh, Activation::Linear, Activation::Sigmoid] {
        let sets = [
            ("hidden", "6"),
            ("horizon", "12"),
            ("init", "gaussian"),
            ("spectral_norm", "1.2"),
        ];
        let lab = RnnLab::reset(&rnn::Config::from_sets(&sets).unwrap(), 11).unwrap();
        let w = lab.w().to_owned();
        let (z0, g) = lab.z0_and_g();
        let (z0, g) = (z0.to_owned(), g.to_owned());
        let prop = propagate(w.view(), act, z0.view(), g.view(), 12);
        let ana: Vec<f64> = prop.grad_w.iter().copied().collect();
        let all: Vec<usize> = (0..36).collect();
        let worst = check_gradient(&format!("{act:?}"), &ana, &all, 1e-6, 1e-7, |i, d| {
            let mut moved = w.clone();
            moved[[i / 6, i % 6]] += d;
            propagate(moved.view(), act, z0.view(), g.view(), 12).loss
        });
        assert!(worst < 1e-7, "{act:?}: worst relative error {worst}");
        // The per-step contributions are the norms of the rank-one terms that sum to it.
        let total: f64 = prop.grad_w_contrib.iter().sum();
        let norm = prop.grad_w.iter().map(|x| x * x).sum::<f64>().sqrt();
        assert!(norm <= total * (1.0 + 1e-12));
    }
}

#[test]
fn same_seed_same_report_and_seeds_differ() {
    let a = run(&[("init", "gaussian"), ("activation", "tanh")], 42);
    let b = run(&[("init", "gaussian"), ("activation", "tanh")], 42);
    let c = run(&[("init", "gaussian"), ("activation", "tanh")], 43);
    assert_eq!(a, b);
    assert_ne!(a.series("grad_norm"), c.series("grad_norm"));
}

#[test]
fn activation_derivatives_match_finite_differences() {
    for act in [
        Activation::Tanh,
        Activation::Sigmoid,
        Activation::Linear,
        Activation::Relu,
    ] {
        let points = [-2.0, -0.3, 0.7, 3.0];
        let ana: Vec<f64> = points.iter().map(|&a| act.derivative(a)).collect();
        check_gradient(
            &format!("{act:?}'"),
            &ana,
            &spread(4, 4),
            1e-6,
            1e-8,
            |i, d| act.apply(points[i] + d),
        );
        assert!(ana.iter().all(|s| *s <= act.gamma() + 1e-15));
    }
}

#[test]
fn nonnormal_jordan_blocks_grow_strongly_then_vanish() {
    let r = run(
        &[
            ("init", "nonnormal"),
            ("hidden", "32"),
            ("spectral_norm", "1.5"),
            ("spectral_radius", "0.5"),
            ("block", "8"),
            ("horizon", "200"),
        ],
        0,
    );
    let g = r.series("grad_norm");
    assert!(r.num("peak_ratio") > 10.0, "peak {}", r.num("peak_ratio"));
    assert!(g[200] < 1e-10, "ratio at T: {}", g[200]);
    assert!((r.num("spectral_radius") - 0.5).abs() < 1e-6);
    assert!((r.num("spectral_norm") - 1.5).abs() < 1e-10);
    // The worked example of issue 7: hidden 8, horizon 200, seed 3 now grows too.
    let r = run(
        &[
            ("init", "nonnormal"),
            ("hidden", "8"),
            ("spectral_norm", "1.5"),
            ("spectral_radius", "0.5"),
            ("horizon", "200"),
        ],
        3,
    );
    assert!(r.num("peak_ratio") > 3.0 && r.num("peak_lag") > 0.0);
}

#[test]
fn peak_lag_is_the_true_peak_when_the_ratio_overflows() {
    let r = run(&[("horizon", "1000"), ("spectral_norm", "3")], 0);
    assert_eq!(r.num("peak_ratio"), f64::INFINITY);
    assert_eq!(r.num("peak_lag"), 1000.0);
    assert!((r.num("log10_peak_ratio") - 1000.0 * 3f64.log10()).abs() < 1e-6);
}

#[test]
fn report_has_every_key_from_step_zero_and_the_heatmap_fills_per_step() {
    let mut runner = Runner::new(RunSpec::new(LabId::Rnn)).unwrap();
    let r0 = runner.report();
    for key in [
        "spectral_norm",
        "spectral_radius",
        "final_ratio",
        "log10_final_ratio",
        "regime",
    ] {
        assert!(r0.summary.contains_key(key), "{key}");
    }
    for key in ["grad_norm", "bound_norm", "bound_radius", "grad_w_contrib"] {
        assert!(!r0.series(key).is_empty(), "{key}");
    }
    assert_eq!(r0.series("heatmap_log10").len(), 0);
    runner.advance(2, &mut || false, &mut Quiet);
    let r2 = runner.report();
    assert_eq!(r2.steps, 2);
    assert_eq!(r2.series("heatmap_log10").len(), 2 * 101);
    assert_eq!(r2.series("heatmap_spectral_norm"), &[0.5, 0.525]);
    runner.run_to_end(None, &mut Quiet);
    assert!(runner.done());
    assert_eq!(runner.steps(), 41, "every heatmap column");
    let r = runner.report();
    // Column j of the heatmap is log10 of the ratio at spectral norm 0.5 + j/40: for the
    // default orthogonal linear net that is k·log10(s).
    let col = 30;
    let s = 0.5 + col as f64 / 40.0;
    let k = 77;
    let v = r.series("heatmap_log10")[col * 101 + k];
    assert!((v - k as f64 * s.log10()).abs() < 1e-9);
}
