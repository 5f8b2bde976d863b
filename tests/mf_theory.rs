//! The mf lab against theory: the Eckart–Young optimum reached to 1e-8, gauge invariance,
//! O(η) balancedness drift, the non-convexity segment, incremental learning from a tiny
//! init, user matrices from .npy/.csv, determinism.

use gradscope::labs::mf::{MfLab, balance, loss, synthetic_x};
use gradscope::labs::{self, Lab, LabId};
use gradscope::linalg;
use gradscope::params::Value;
use gradscope::report::Report;
use gradscope::rng::rng;
use ndarray::Array2;

fn sets(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn run(pairs: &[(&str, String)], seed: u64, steps: Option<u64>) -> (Box<dyn Lab>, Report) {
    let mut lab = labs::build(LabId::Mf, &sets(pairs), seed).expect("valid parameters");
    if let Some(n) = steps {
        lab.set_run_length(n);
    }
    labs::run_to_end(lab.as_mut(), None);
    let report = lab.report();
    (lab, report)
}

/// Σ_{i>r} σ_i² computed another way: the residual of the truncated SVD.
fn truncated_svd_residual(x: &Array2<f64>, r: usize) -> f64 {
    let d = linalg::svd(x.view()).unwrap();
    let mut approx = Array2::<f64>::zeros(x.dim());
    for i in 0..r {
        for ((row, col), v) in approx.indexed_iter_mut() {
            *v += d.s[i] * d.u[[row, i]] * d.v[[col, i]];
        }
    }
    (x - &approx).iter().map(|v| v * v).sum()
}

#[test]
fn descent_reaches_the_eckart_young_optimum() {
    let cases = [
        (30, 20, 3, 5, 0.01),
        (12, 15, 2, 4, 0.05),
        (8, 8, 1, 3, 0.0),
        (25, 10, 4, 6, 0.1),
    ];
    for (seed, (m, n, r, k, noise)) in cases.into_iter().enumerate() {
        let (_, rep) = run(
            &[
                ("rows", m.to_string()),
                ("cols", n.to_string()),
                ("rank", r.to_string()),
                ("true_rank", k.to_string()),
                ("noise", noise.to_string()),
            ],
            seed as u64,
            Some(3000),
        );
        let mut probe = MfLab::new();
        for (name, v) in [("rows", m), ("cols", n), ("rank", r), ("true_rank", k)] {
            probe.set(name, Value::Int(v as i64)).unwrap();
        }
        probe.set("noise", Value::Float(noise)).unwrap();
        probe.reset(seed as u64).unwrap();
        let independent = truncated_svd_residual(&probe.x().to_owned(), r);
        let optimum = rep.num("optimum");
        assert!(
            (optimum - independent).abs() <= 1e-10 * rep.num("x_norm2"),
            "optimum {optimum} vs {independent}"
        );
        let rel = (rep.num("final_loss") - optimum) / optimum.max(1e-300);
        let rel = if optimum > 1e-9 {
            rel
        } else {
            rep.num("relative_gap")
        };
        assert!(rel.abs() < 1e-8, "case {seed}: relative gap {rel}");
        assert!(rep.num("relative_gap").abs() < 1e-8);
        // The learned singular values are the targets.
        let last = |name: &str| *rep.series(name).last().unwrap();
        for (i, target) in rep.list("target_sv").iter().enumerate() {
            assert!((last(&format!("sv.{}", i + 1)) - target).abs() < 1e-6 * target.max(1.0));
        }
    }
}

#[test]
fn gauge_transformations_keep_the_loss() {
    let (mut lab, rep) = run(&[], 4, Some(200));
    assert!(rep.num("gauge_check") < 1e-10, "{}", rep.num("gauge_check"));
    let before = lab.report();
    let said = lab.act().expect("mf has a gauge action");
    assert!(said.contains("random invertible R"));
    let after = lab.report();
    assert!((after.num("final_loss") - before.num("final_loss")).abs() < 1e-10);
    assert!(
        (after.num("balance_final") - before.num("balance_final")).abs() > 1e-3,
        "the factors changed: balance {} → {}",
        before.num("balance_final"),
        after.num("balance_final")
    );
    // Stepping on from the transformed factors still reaches the optimum.
    lab.set_run_length(3000);
    labs::run_to_end(lab.as_mut(), None);
    assert!(lab.report().num("relative_gap").abs() < 1e-8);
}

#[test]
fn balancedness_drift_shrinks_with_the_learning_rate() {
    // Same total time η·steps, so gradient flow would end at the same point; GD's drift of
    // ‖AᵀA − BBᵀ‖ is O(η²) per step, O(η) in total.
    let drift = |lr: f64| {
        let steps = (4.0 / lr).round() as u64;
        let (_, rep) = run(
            &[("lr", lr.to_string()), ("init_scale", "0.1".into())],
            2,
            Some(steps),
        );
        (rep.num("balance_final") - rep.num("balance_initial")).abs()
    };
    let d = [drift(0.02), drift(0.01), drift(0.005)];
    assert!(d[0] > d[1] && d[1] > d[2], "{d:?}");
    for w in d.windows(2) {
        let ratio = w[0] / w[1];
        assert!(
            (1.5..3.0).contains(&ratio),
            "halving η should about halve the drift: {d:?}"
        );
    }
}

#[test]
fn the_segment_ends_at_the_loss_and_peaks_at_the_origin() {
    for steps in [0, 30, 500] {
        let (_, rep) = run(&[], 1, Some(steps));
        let seg = rep.series("segment");
        assert_eq!(seg.len(), 101);
        let f = rep.num("final_loss");
        let scale = rep.num("x_norm2");
        assert!((seg[0] - f).abs() < 1e-10 * scale);
        assert!((seg[100] - f).abs() < 1e-10 * scale);
        assert!((seg[50] - rep.num("x_norm2")).abs() < 1e-10 * scale);
    }
    // At the optimum the midpoint is above both ends: not convex.
    let (_, rep) = run(&[], 1, None);
    let seg = rep.series("segment");
    assert!(seg[50] > 0.5 * (seg[0] + seg[100]) + 1.0);
}

#[test]
fn tiny_init_learns_the_largest_singular_value_first() {
    let (_, rep) = run(
        &[("init_scale", "1e-6".into()), ("rank", "4".into())],
        3,
        None,
    );
    let at = rep.list("learned_at");
    assert_eq!(at.len(), 4);
    assert!(at.iter().all(|s| s.is_finite()), "{at:?}");
    assert!(at.windows(2).all(|w| w[0] < w[1]), "in order: {at:?}");
    // σ1 is large long before σ2 has grown at all.
    let step = rep.series("step");
    let i = step.iter().position(|s| *s == at[0]).unwrap();
    assert!(rep.series("sv.2")[i] < 0.5 * rep.list("target_sv")[1]);
}

#[test]
fn same_seed_same_report() {
    let a = run(&[("noise", "0.3".into())], 9, Some(50)).1;
    let b = run(&[("noise", "0.3".into())], 9, Some(50)).1;
    let c = run(&[("noise", "0.3".into())], 10, Some(50)).1;
    // Compared as JSON: a not-yet-learned singular value is NaN, and NaN != NaN.
    assert!(a.to_json() == b.to_json(), "same seed, different reports");
    assert_ne!(a.series("loss"), c.series("loss"));
}

#[test]
fn a_large_learning_rate_diverges_without_crashing() {
    let (_, rep) = run(
        &[("lr", "0.9".into()), ("init_scale", "1".into())],
        0,
        Some(200),
    );
    assert_eq!(rep.num("diverged"), 1.0);
    assert!(rep.series("loss").iter().any(|v| !v.is_finite()));
    assert_eq!(rep.series("loss").len(), 201);
}

#[test]
fn user_matrices_from_npy_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let x = synthetic_x(9, 6, 3, 0.05, &mut rng(5, 0));
    let npy = dir.path().join("x.npy");
    ndarray_npy::write_npy(&npy, &x).unwrap();
    let csv = dir.path().join("x.csv");
    let text: String = x
        .rows()
        .into_iter()
        .map(|row| {
            row.iter()
                .map(|v| format!("{v:e}"))
                .collect::<Vec<_>>()
                .join(",")
                + "\n"
        })
        .collect();
    std::fs::write(&csv, text).unwrap();
    let sv = linalg::singular_values(x.view()).unwrap();
    for path in [&npy, &csv] {
        let (_, rep) = run(
            &[
                ("input", path.to_str().unwrap().to_string()),
                ("rank", "2".into()),
            ],
            0,
            Some(2000),
        );
        assert_eq!(
            (rep.num("m"), rep.num("n")),
            (9.0, 6.0),
            "shape from the file"
        );
        let target = rep.list("target_sv");
        assert!((target[0] - sv[0]).abs() < 1e-12 && (target[1] - sv[1]).abs() < 1e-12);
        let optimum: f64 = sv[2..].iter().map(|s| s * s).sum();
        assert!((rep.num("optimum") - optimum).abs() < 1e-12);
        assert!(rep.num("relative_gap").abs() < 1e-8);
    }
    // The same matrix gives the same run, whichever file it came from.
    let a = run(&[("input", npy.to_str().unwrap().into())], 0, Some(20)).1;
    let b = run(&[("input", csv.to_str().unwrap().into())], 0, Some(20)).1;
    assert!((a.num("final_loss") - b.num("final_loss")).abs() < 1e-12);
    // Loss is exactly ‖X − AB‖² (no ½).
    let mut lab = MfLab::new();
    lab.set("input", Value::Text(npy.to_str().unwrap().into()))
        .unwrap();
    lab.reset(0).unwrap();
    let (fa, fb) = lab.factors();
    let direct = loss(lab.x(), fa, fb);
    assert_eq!(lab.report().num("final_loss"), direct);
    assert!(balance(fa, fb) >= 0.0);
}

#[test]
fn inconsistent_shapes_are_rejected_at_reset() {
    let err = labs::build(
        LabId::Mf,
        &sets(&[
            ("rows", "2".into()),
            ("rank", "3".into()),
            ("true_rank", "2".into()),
        ]),
        0,
    )
    .err()
    .unwrap();
    assert!(
        err.0.contains("rank=3 exceeds min(rows, cols) = 2"),
        "{}",
        err.0
    );
    let err = labs::build(LabId::Mf, &sets(&[("rows", "3".into())]), 0)
        .err()
        .unwrap();
    assert!(err.0.contains("true_rank=5 exceeds"), "{}", err.0);
}
