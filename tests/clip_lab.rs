//! The clip lab: clipping by norm and by value, Pascanu's one-unit cliff, and the tanh RNN
//! trained with and without clipping — where the unclipped run diverges, it is reported
//! as diverged and the clipped runs carry on.

#![allow(clippy::unwrap_used)]

mod common;

use common::check_gradient;
use gradscope::labs::LabId;
use gradscope::labs::clip::{VARIANTS, cliff};
use gradscope::nn::clip::{clip_grad_norm, clip_grad_value, clip_norm, clip_value, grad_norm};
use gradscope::nn::sequence::{SeqModel, Target};
use gradscope::nn::{CellKind, Module};
use rand::RngExt;
use rand_distr::StandardNormal;

fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let n = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    dot / (n(a) * n(b))
}

#[test]
fn norm_clipping_keeps_the_direction_and_value_clipping_clamps() {
    let mut rng = gradscope::rng::rng(5, 0);
    for case in 0..200 {
        let n = 1 + case % 40;
        let scale = 10f64.powf(rng.random_range(-3.0..3.0));
        let g: Vec<f64> = (0..n)
            .map(|_| scale * rng.sample::<f64, _>(StandardNormal))
            .collect();
        let tau = 10f64.powf(rng.random_range(-2.0..2.0));
        let norm = g.iter().map(|x| x * x).sum::<f64>().sqrt();
        let mut c = g.clone();
        let (before, clipped) = clip_norm(&mut c, tau);
        assert_eq!(before, norm);
        assert_eq!(clipped, norm > tau);
        let after = c.iter().map(|x| x * x).sum::<f64>().sqrt();
        assert!(
            (after - norm.min(tau)).abs() <= 1e-12 * norm.min(tau),
            "{after} vs min({norm}, {tau})"
        );
        assert!((cosine(&c, &g) - 1.0).abs() < 1e-12);
        let mut v = g.clone();
        let any = clip_value(&mut v, tau);
        assert_eq!(any, g.iter().any(|x| x.abs() > tau));
        for (a, b) in v.iter().zip(&g) {
            assert_eq!(*a, b.clamp(-tau, tau));
        }
    }
    // Value clipping turns the direction: (10, 1) clamped at 1 is (1, 1).
    let mut v = vec![10.0, 1.0];
    clip_value(&mut v, 1.0);
    assert_eq!(v, [1.0, 1.0]);
    assert!(cosine(&v, &[10.0, 1.0]) < 0.78);
    // Non-finite gradients are left to show the divergence.
    let mut bad = vec![f64::INFINITY, 1.0];
    assert_eq!(clip_norm(&mut bad, 1.0), (f64::INFINITY, false));
    let mut nan = vec![f64::NAN, 2.0];
    assert!(clip_value(&mut nan, 1.0));
    assert!(nan[0].is_nan() && nan[1] == 1.0);
}

#[test]
fn model_clipping_acts_on_every_parameter_together() {
    let mut m = SeqModel::<f64>::new(CellKind::Rnn, 2, 4, 1);
    m.init_default(&mut gradscope::rng::rng(1, 0));
    let x = ndarray::Array3::from_shape_fn((6, 3, 2), |(t, s, d)| (t + s + d) as f64 * 0.3);
    let targets = [3.0, -2.0, 5.0];
    m.forward_backward(x.view(), Target::Values(&targets));
    let flat = |m: &mut SeqModel<f64>| {
        let mut g = Vec::new();
        m.visit_params("", &mut |p| g.extend_from_slice(p.param.grad()));
        g
    };
    let g0 = flat(&mut m);
    let norm = grad_norm(&mut m);
    let tau = norm / 3.0;
    let mut a = m.clone();
    assert_eq!(clip_grad_norm(&mut a, tau), (norm, true));
    let ga = flat(&mut a);
    assert!((grad_norm(&mut a) - tau).abs() < 1e-12 * tau);
    assert!((cosine(&ga, &g0) - 1.0).abs() < 1e-12);
    let mut b = m.clone();
    let small = 0.01;
    assert!(clip_grad_value(&mut b, small));
    assert!(flat(&mut b).iter().all(|g| g.abs() <= small));
    // Below the threshold nothing changes.
    let mut c = m.clone();
    assert_eq!(clip_grad_norm(&mut c, 2.0 * norm), (norm, false));
    assert_eq!(flat(&mut c), g0);
}

#[test]
fn the_cliff_gradient_is_the_derivative_of_its_loss() {
    for (w, b) in [(6.75, -5.5), (3.0, -1.0), (8.0, -4.0), (-2.0, 1.5)] {
        for steps in [1, 30] {
            let (l, g) = cliff::loss_and_grad(w, b, steps);
            assert_eq!(l, cliff::loss(w, b, steps));
            check_gradient(
                &format!("cliff at ({w}, {b}), T = {steps}"),
                &g,
                &[0, 1],
                1e-6,
                1e-6,
                |i, d| {
                    let (dw, db) = if i == 0 { (d, 0.0) } else { (0.0, d) };
                    cliff::loss(w + dw, b + db, steps)
                },
            );
        }
    }
}

#[test]
fn on_the_cliff_no_clipping_is_thrown_off_the_map_and_clipping_bounds_every_step() {
    let r = common::run(common::spec(LabId::Clip, &[], 0));
    let (lr, tau) = (0.05, 1.0);
    // The unclipped step that lands on the wall is hundreds of units long.
    assert!(r.num("cliff_max_grad_norm.none") > 1e3);
    assert!(r.num("cliff_max_jump.none") > 100.0);
    assert_eq!(r.num("cliff_left_map.none"), 1.0);
    // Clipped steps are at most η·τ (norm) and η·τ·√2 (value, two components).
    assert!(r.num("cliff_max_jump.norm") <= lr * tau * (1.0 + 1e-12));
    assert!(r.num("cliff_max_jump.value") <= lr * tau * 2f64.sqrt() * (1.0 + 1e-12));
    assert!(
        r.num("cliff_max_grad_norm.norm") > 1e3,
        "norm clipping met the wall too"
    );
    assert_eq!(r.num("cliff_left_map.norm"), 0.0);
    assert_eq!(r.num("cliff_left_map.value"), 0.0);
    // Norm clipping walks down the valley; value clipping, turned, stalls above it.
    assert!(r.num("cliff_final_loss.norm") < 0.01);
    assert!(r.num("cliff_final_loss.value") > 100.0 * r.num("cliff_final_loss.norm"));
    // Every path starts at the start point, one point per step after it.
    for (v, _) in VARIANTS {
        let w = r.series(&format!("cliff_w.{v}"));
        assert_eq!((w[0], r.series(&format!("cliff_b.{v}"))[0]), cliff::START);
        assert_eq!(w.len(), r.series("cliff_step").len());
        assert_eq!(w.len(), 301);
    }
    let rows = r.num("cliff_rows") as usize;
    let cols = r.num("cliff_cols") as usize;
    assert_eq!(r.series("cliff_log10_loss").len(), rows * cols);
    assert_eq!(r.series("cliff_w_axis").len(), cols);
    assert_eq!(r.series("cliff_b_axis").len(), rows);
}

#[test]
fn at_init_scale_2_5_norm_clipping_engages_and_stays_finite() {
    let r = common::run(common::spec(LabId::Clip, &[("init_scale", "2.5")], 0));
    assert!((r.num("init_spectral_norm") - 2.5).abs() < 1e-12);
    assert!(
        r.num("clipped_fraction.norm") > 0.1,
        "{}",
        r.num("clipped_fraction.norm")
    );
    assert!(r.num("max_grad_norm.norm") > 1.0);
    assert_eq!(r.num("diverged.norm"), 0.0);
    for key in ["loss.norm", "grad_norm.norm", "weight_norm.norm"] {
        assert!(r.series(key).iter().all(|v| v.is_finite()), "{key}");
    }
    // Norm clipping never turns the update: every cosine is 1.
    assert!(
        r.series("cosine.norm")
            .iter()
            .all(|c| (c - 1.0).abs() < 1e-12)
    );
    assert_eq!(r.num("clipped_fraction.none"), 0.0);
}

#[test]
fn without_clipping_the_run_diverges_and_the_others_carry_on() {
    let spec =
        gradscope::run::RunSpec::from_args(LabId::Clip, Some("no-clipping-explodes"), &[], 0, None)
            .unwrap();
    let r = common::run(spec);
    assert_eq!(r.num("diverged.none"), 1.0);
    let at = r.num("diverged_at.none");
    assert!(at > 0.0 && at < 300.0, "{at}");
    let loss = r.series("loss.none");
    assert!(
        loss.iter().any(|v| !v.is_finite()),
        "non-finite values are kept"
    );
    assert!(loss[..10].iter().all(|v| v.is_finite()));
    assert!(r.num("final_loss.none").is_nan());
    for v in ["norm", "value"] {
        assert_eq!(r.num(&format!("diverged.{v}")), 0.0, "{v}");
        let s = r.series(&format!("loss.{v}"));
        assert_eq!(s.len(), loss.len(), "{v} kept running");
        assert!(s.iter().all(|x| x.is_finite()), "{v}");
        assert!(r.num(&format!("clipped_fraction.{v}")) > 0.3, "{v}");
    }
    // Value clipping turns the update away from −g; norm clipping does not.
    assert!(r.num("mean_cosine.value") < 0.999);
    assert!((r.num("mean_cosine.norm") - 1.0).abs() < 1e-12);
    // Headless: exit 0, the JSON keeps the non-finite values as null, one warning line.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gradscope"))
        .args(["run", "clip", "--preset", "no-clipping-explodes"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("diverged.none"), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let none = json["series"]["loss.none"].as_array().unwrap();
    assert!(none.iter().any(serde_json::Value::is_null));
}

#[test]
fn every_design_key_exists_from_step_0_and_the_view_is_an_action() {
    let mut spec = common::spec(LabId::Clip, &[], 0);
    spec.steps = Some(0);
    let r = common::run(spec);
    for (v, _) in VARIANTS {
        for s in ["loss", "grad_norm", "weight_norm"] {
            assert!(r.series.contains_key(&format!("{s}.{v}")), "{s}.{v}");
        }
        for k in [
            "final_loss",
            "clipped_fraction",
            "diverged",
            "max_grad_norm",
        ] {
            assert!(r.summary.contains_key(&format!("{k}.{v}")), "{k}.{v}");
        }
    }
    assert_eq!(r.text("view"), "cliff");
    let mut runner = gradscope::run::Runner::new(common::spec(LabId::Clip, &[], 0)).unwrap();
    assert!(runner.act("view").unwrap().contains("RNN"));
    assert_eq!(runner.report().text("view"), "rnn");
    assert_eq!(runner.view(), Some("rnn"));
    runner.act("view").unwrap();
    assert_eq!(runner.report().text("view"), "cliff");
    assert!(runner.act("zoom").is_err());
}

#[test]
fn same_seed_same_report() {
    let spec = |seed| {
        let mut s = common::spec(LabId::Clip, &[("init_scale", "2.5")], seed);
        s.steps = Some(60);
        s
    };
    let (a, b) = (common::run(spec(2)), common::run(spec(2)));
    assert_eq!(a.to_json(), b.to_json());
    assert_ne!(
        common::run(spec(3)).series("loss.none"),
        a.series("loss.none")
    );
    // Identical init and data: the first loss and gradient are the same for every variant.
    let first = |k: &str, v: &str| a.series(&format!("{k}.{v}"))[0];
    for k in ["loss", "grad_norm"] {
        assert_eq!(first(k, "none"), first(k, "norm"));
        assert_eq!(first(k, "none"), first(k, "value"));
    }
}

#[test]
fn too_much_work_is_refused_cheaply() {
    let err = gradscope::run::RunSpec::from_args(
        LabId::Clip,
        None,
        &[
            "hidden=128".into(),
            "horizon=400".into(),
            "batch=256".into(),
        ],
        0,
        None,
    )
    .unwrap_err();
    assert!(err.0.contains("horizon·batch·hidden"), "{}", err.0);
}
