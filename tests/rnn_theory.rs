//! The rnn lab against closed-form theory: exact s^k for orthogonal linear nets, exact
//! spectral norms, the (γ‖W‖₂)^k bound, transient growth of non-normal W, finite
//! differences for ∂l/∂W_z, and determinism.

use approx::assert_relative_eq;
use gradscope::labs::rnn::{Activation, RnnLab, propagate};
use gradscope::labs::{self, Lab, LabId};
use gradscope::params::Value;
use gradscope::report::Report;

fn run(sets: &[(&str, &str)], seed: u64) -> Report {
    let sets: Vec<(String, String)> = sets
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut lab = labs::build(LabId::Rnn, &sets, seed).expect("valid parameters");
    labs::run_to_end(lab.as_mut(), None);
    lab.report()
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
    let r = run(
        &[
            ("init", "nonnormal"),
            ("spectral_norm", "1.5"),
            ("spectral_radius", "0.9"),
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
    let lin = run(&[("activation", "linear"), ("spectral_norm", "1.0")], 2);
    let tanh = run(&[("activation", "tanh"), ("spectral_norm", "1.0")], 2);
    let sig = run(&[("activation", "sigmoid"), ("spectral_norm", "1.0")], 2);
    assert!(tanh.num("final_ratio") < lin.num("final_ratio"));
    assert!(sig.num("final_ratio") < tanh.num("final_ratio"));
    assert_eq!(sig.text("regime"), "vanishing");
}

#[test]
fn grad_w_matches_central_finite_differences() {
    for act in [Activation::Tanh, Activation::Linear, Activation::Sigmoid] {
        let mut lab = RnnLab::new();
        lab.set("hidden", Value::Int(6)).unwrap();
        lab.set("horizon", Value::Int(12)).unwrap();
        lab.set("init", Value::Text("gaussian".into())).unwrap();
        lab.set("spectral_norm", Value::Float(1.2)).unwrap();
        lab.reset(11).unwrap();
        let w = lab.w().to_owned();
        let (z0, g) = lab.z0_and_g();
        let (z0, g) = (z0.to_owned(), g.to_owned());
        let prop = propagate(w.view(), act, z0.view(), g.view(), 12);
        let h = 1e-6;
        let mut worst: f64 = 0.0;
        for i in 0..6 {
            for j in 0..6 {
                let mut plus = w.clone();
                plus[[i, j]] += h;
                let mut minus = w.clone();
                minus[[i, j]] -= h;
                let fp = propagate(plus.view(), act, z0.view(), g.view(), 12).loss;
                let fm = propagate(minus.view(), act, z0.view(), g.view(), 12).loss;
                let fd = (fp - fm) / (2.0 * h);
                let an = prop.grad_w[[i, j]];
                let scale = prop.grad_w.iter().fold(0.0f64, |m, x| m.max(x.abs()));
                worst = worst.max((fd - an).abs() / scale);
            }
        }
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
fn report_has_every_key_from_step_zero_and_the_heatmap_fills_per_step() {
    let mut lab = labs::build(LabId::Rnn, &[], 0).unwrap();
    let r0 = lab.report();
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
    lab.step();
    lab.step();
    let r2 = lab.report();
    assert_eq!(r2.steps, 2);
    assert_eq!(r2.series("heatmap_log10").len(), 2 * 101);
    assert_eq!(r2.series("heatmap_spectral_norm"), &[0.5, 0.525]);
    labs::run_to_end(lab.as_mut(), None);
    assert!(lab.done());
    let r = lab.report();
    // Column j of the heatmap is log10 of the ratio at spectral norm 0.5 + j/40: for the
    // default orthogonal linear net that is k·log10(s).
    let col = 30;
    let s = 0.5 + col as f64 / 40.0;
    let k = 77;
    let v = r.series("heatmap_log10")[col * 101 + k];
    assert!((v - k as f64 * s.log10()).abs() < 1e-9);
}
