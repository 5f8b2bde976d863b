//! The clip lab: clipping by norm and by value, Pascanu's one-unit cliff, and the tanh RNN
//! trained with and without clipping. Every claim the presets, the explain text and the
//! README make about the RNN is checked here over seeds 0–9 (runs two at a time); the
//! figures they quote are checked with a tolerance.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::check_gradient;
use gradscope::testing::labs::LabId;
use gradscope::testing::labs::clip::{VARIANTS, cliff};
use gradscope::testing::nn::clip::{
    clip_grad_norm, clip_grad_value, clip_norm, clip_value, grad_norm,
};
use gradscope::testing::nn::sequence::{SeqModel, Target};
use gradscope::testing::nn::{CellKind, Module};
use gradscope::testing::report::Report;
use gradscope::testing::run::RunSpec;
use rand::RngExt;
use rand_distr::StandardNormal;

fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let n = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    dot / (n(a) * n(b))
}

#[test]
fn norm_clipping_keeps_the_direction_and_value_clipping_clamps() {
    let mut rng = gradscope::testing::rng::rng(5, 0);
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
    m.init_default(&mut gradscope::testing::rng::rng(1, 0));
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
    // README: the unclipped path lands on the wall at step 11 (‖g‖ = 1.5e4) and is thrown
    // 769 units away.
    let none_g = r.series("cliff_grad_norm.none");
    let wall = none_g.iter().position(|g| *g > 1e3).unwrap();
    assert_eq!(wall, 11);
    assert!(
        (none_g[wall] / 1.54e4 - 1.0).abs() < 0.01,
        "{}",
        none_g[wall]
    );
    assert!((r.num("cliff_max_jump.none") - 769.0).abs() < 1.0);
    assert_eq!(r.num("cliff_left_map.none"), 1.0);
    // Clipped steps are at most η·τ (norm: exactly, on the wall) and η·τ·√2 (value, two
    // components).
    assert!((r.num("cliff_max_jump.norm") - lr * tau).abs() < 1e-12);
    assert!(r.num("cliff_max_jump.value") <= lr * tau * 2f64.sqrt() * (1.0 + 1e-12));
    // README: the norm-clipped path meets the same wall (‖g‖ up to 5.9e3) ...
    assert!((r.num("cliff_max_grad_norm.norm") / 5.9e3 - 1.0).abs() < 0.01);
    assert_eq!(r.num("cliff_left_map.norm"), 0.0);
    assert_eq!(r.num("cliff_left_map.value"), 0.0);
    // ... and walks down into the valley (loss 5e-3 after 300 steps, below 1e-12 after
    // 2000); the value-clipped one moves diagonally and stalls at 1.84.
    let norm_loss = r.series("cliff_loss.norm");
    assert!(
        (norm_loss[300] / 5.35e-3 - 1.0).abs() < 0.01,
        "{}",
        norm_loss[300]
    );
    assert!(r.num("cliff_final_loss.norm") < 1e-12);
    assert!((r.num("cliff_final_loss.value") - 1.84).abs() < 0.005);
    assert_eq!(r.num("cliff_clipped_fraction.value"), 1.0);
    // Every path starts at the start point, one point per step after it.
    for (v, _) in VARIANTS {
        let w = r.series(&format!("cliff_w.{v}"));
        assert_eq!((w[0], r.series(&format!("cliff_b.{v}"))[0]), cliff::START);
        assert_eq!(w.len(), r.series("cliff_step").len());
        assert_eq!(w.len(), 2001);
    }
    let rows = r.num("cliff_rows") as usize;
    let cols = r.num("cliff_cols") as usize;
    assert_eq!(r.series("cliff_log10_loss").len(), rows * cols);
    assert_eq!(r.series("cliff_w_axis").len(), cols);
    assert_eq!(r.series("cliff_b_axis").len(), rows);
}

/// The reports of seeds 0..10 of a preset (`None`: the defaults) with `sets` over it, two
/// runs at a time.
fn seeds_with(preset: Option<&str>, sets: &[String]) -> Vec<Report> {
    const SEEDS: u64 = 10;
    let run =
        |seed| common::run(RunSpec::from_args(LabId::Clip, preset, sets, seed, None).unwrap());
    let mut out: Vec<(u64, Report)> = std::thread::scope(|s| {
        let halves: Vec<_> = (0..2)
            .map(|k| {
                s.spawn(move || {
                    (k..SEEDS)
                        .step_by(2)
                        .map(|seed| (seed, run(seed)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        halves.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    out.sort_by_key(|(seed, _)| *seed);
    let reports: Vec<Report> = out.into_iter().map(|(_, r)| r).collect();
    for r in &reports {
        // Every run: the init has the asked spectral norm, norm clipping never turns the
        // update, and the unclipped run is never clipped.
        assert!((r.num("init_spectral_norm") - r.param_f64("init_scale")).abs() < 1e-12);
        assert!(
            r.series("cosine.norm")
                .iter()
                .all(|c| !c.is_finite() || (c - 1.0).abs() < 1e-12)
        );
        assert_eq!(r.num("clipped_fraction.none"), 0.0);
        assert_eq!(r.steps, 2000);
    }
    reports
}

fn seeds(preset: Option<&str>) -> Vec<Report> {
    seeds_with(preset, &[])
}

/// The learned threshold: below the loss of knowing one of the two values.
const LEARNED: f64 = 1.0 / 12.0;

/// How many runs learned (final loss below 1/12) and how many diverged, for variant `v`.
fn counts(rs: &[Report], v: &str) -> (usize, usize) {
    let learned = rs
        .iter()
        .filter(|r| r.num(&format!("final_loss.{v}")) < LEARNED)
        .count();
    let diverged = rs
        .iter()
        .filter(|r| r.num(&format!("diverged.{v}")) == 1.0)
        .count();
    (learned, diverged)
}

/// The median of `key` over the runs, a diverged run's NaN counting as +∞.
fn median(rs: &[Report], key: &str) -> f64 {
    let mut xs: Vec<f64> = rs
        .iter()
        .map(|r| r.num(key))
        .map(|x| if x.is_nan() { f64::INFINITY } else { x })
        .collect();
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    (xs[(n - 1) / 2] + xs[n / 2]) / 2.0
}

/// A count the texts quote, checked to within one seed.
fn quoted(count: usize, figure: usize, what: &str) {
    assert!(
        count.abs_diff(figure) <= 1,
        "{what}: {count}, quoted {figure}"
    );
}

fn near(x: f64, figure: f64, tol: f64, what: &str) {
    assert!((x - figure).abs() <= tol, "{what}: {x}, quoted {figure}");
}

#[test]
fn at_the_defaults_the_clipped_runs_learn_and_the_unclipped_one_mostly_diverges() {
    let rs = seeds(None);
    assert_eq!(rs[0].param_f64("horizon"), 10.0);
    let (none_learned, none_diverged) = counts(&rs, "none");
    let (norm_learned, norm_diverged) = counts(&rs, "norm");
    let (value_learned, value_diverged) = counts(&rs, "value");
    // The claim: norm clipping learns in at least 8 of 10; the unclipped run diverges in
    // most, and learns in fewer seeds than norm clipping.
    assert!(norm_learned >= 8 && none_diverged >= 5 && none_learned + 4 <= norm_learned);
    assert_eq!((norm_diverged, value_diverged), (0, 0));
    // The figures quoted: 7 diverged, 10 and 6 learned; median final losses.
    quoted(none_diverged, 7, "none diverged");
    quoted(norm_learned, 10, "norm learned");
    quoted(value_learned, 6, "value learned");
    near(median(&rs, "final_loss.norm"), 0.047, 0.01, "median norm");
    near(median(&rs, "final_loss.value"), 0.075, 0.01, "median value");
    // Why 2000 steps: after 1000 norm clipping has learned in 3 of the 10.
    let at_1000 = rs
        .iter()
        .filter(|r| r.series("loss.norm")[980..1000].iter().sum::<f64>() / 20.0 < LEARNED)
        .count();
    quoted(at_1000, 3, "norm learned after 1000 steps");
}

#[test]
fn at_horizon_30_no_run_learns_in_2000_steps() {
    let rs = seeds_with(None, &["horizon=30".into()]);
    for (v, _) in VARIANTS {
        assert_eq!(counts(&rs, v).0, 0, "{v} learned");
    }
    near(median(&rs, "final_loss.norm"), 0.172, 0.01, "median norm");
}

#[test]
fn no_clipping_explodes_and_norm_clipping_learns_where_value_clipping_mostly_does_not() {
    let rs = seeds(Some("no-clipping-explodes"));
    let (_, none_diverged) = counts(&rs, "none");
    let (norm_learned, _) = counts(&rs, "norm");
    let (value_learned, value_diverged) = counts(&rs, "value");
    // The claim: the unclipped run diverges and the norm-clipped one learns, each in at
    // least 8 of 10 (quoted: all 10); value clipping stays finite and learns in at most 2
    // (quoted: 1).
    assert!(none_diverged >= 8 && norm_learned >= 8);
    quoted(none_diverged, 10, "none diverged");
    quoted(norm_learned, 10, "norm learned");
    assert!(value_learned <= 2, "value learned in {value_learned}");
    assert_eq!(value_diverged, 0);
    near(median(&rs, "final_loss.norm"), 0.041, 0.01, "median norm");
    near(median(&rs, "final_loss.value"), 0.22, 0.03, "median value");
    for r in &rs {
        let tau = r.param_f64("threshold");
        let eta = r.param_f64("lr");
        // The first gradient is already above τ; unclipped, it is more than 1000 times
        // larger within 10 steps.
        let g = r.series("grad_norm.none");
        let early = g[..10].iter().fold(0.0f64, |m, x| m.max(*x));
        assert!(g[0] > tau && early > 1000.0 * g[0], "{} {early}", g[0]);
        // The unclipped run then diverges between steps 150 and 230 (README).
        let at = r.num("diverged_at.none");
        assert!((150.0..=230.0).contains(&at), "diverged at {at}");
        // A norm-clipped step is at most η·τ; value clipping's steps are longer.
        assert!(r.num("mean_step.norm") <= eta * tau * (1.0 + 1e-12));
        assert!(r.num("mean_step.value") > r.num("mean_step.norm"));
    }
}

#[test]
fn the_diverged_run_is_reported_headless_without_a_crash() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gradscope"))
        .args([
            "run",
            "clip",
            "--preset",
            "no-clipping-explodes",
            "--steps",
            "300",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("diverged.none"), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let none = json["series"]["loss.none"].as_array().unwrap();
    assert!(none[..10].iter().all(serde_json::Value::is_number));
    assert!(
        none.iter().any(serde_json::Value::is_null),
        "non-finite values are kept"
    );
    assert!(json["summary"]["final_loss.none"].is_null());
    for v in ["norm", "value"] {
        let s = json["series"][format!("loss.{v}")].as_array().unwrap();
        assert_eq!(s.len(), none.len(), "{v} kept running");
        assert!(s.iter().all(serde_json::Value::is_number), "{v}");
    }
}

#[test]
fn norm_vs_value_value_clipping_turns_the_step_and_its_longer_steps_learn_faster() {
    let rs = seeds(Some("norm-vs-value"));
    let (norm_learned, _) = counts(&rs, "norm");
    let (value_learned, _) = counts(&rs, "value");
    // The claim: value clipping turns the update (cosine < 1 in every run), norm clipping
    // never does (checked in `seeds`); here value clipping learns in more seeds.
    assert!(rs.iter().all(|r| r.num("mean_cosine.value") < 0.97));
    near(median(&rs, "mean_cosine.value"), 0.94, 0.02, "value cosine");
    assert!(value_learned > norm_learned);
    quoted(value_learned, 10, "value learned");
    quoted(norm_learned, 4, "norm learned");
    quoted(counts(&rs, "none").1, 10, "none diverged");
    near(median(&rs, "final_loss.norm"), 0.097, 0.01, "median norm");
    near(median(&rs, "final_loss.value"), 0.030, 0.01, "median value");
    for r in &rs {
        // Both clip nearly every step; norm's steps are then η·τ, value's about 6× longer.
        assert!(r.num("clipped_fraction.norm") > 0.95);
        assert!(r.num("clipped_fraction.value") > 0.85);
        let eta_tau = r.param_f64("lr") * r.param_f64("threshold");
        near(
            r.num("mean_step.norm") / eta_tau,
            1.0,
            0.01,
            "norm step / η·τ",
        );
        let ratio = r.num("mean_step.value") / r.num("mean_step.norm");
        assert!((5.0..=7.5).contains(&ratio), "value/norm step {ratio}");
    }
}

#[test]
fn contractive_nothing_diverges_nothing_learns_and_clipping_seldom_engages() {
    let rs = seeds(Some("contractive"));
    for (v, _) in VARIANTS {
        assert_eq!(counts(&rs, v), (0, 0), "{v}: (learned, diverged)");
        near(median(&rs, &format!("final_loss.{v}")), 0.15, 0.01, v);
    }
    for r in &rs {
        let f = r.num("clipped_fraction.norm");
        // Quoted: 6–12%.
        assert!((0.05..=0.13).contains(&f), "norm clipped on {f}");
        assert!(r.num("clipped_fraction.value") < 0.02);
    }
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
            "mean_step",
        ] {
            assert!(r.summary.contains_key(&format!("{k}.{v}")), "{k}.{v}");
        }
    }
    assert_eq!(r.num("baseline_loss"), 1.0 / 6.0);
    assert_eq!(r.num("one_value_loss"), 1.0 / 12.0);
    // Which view the pane shows is the UI's choice: the lab has no action for it.
    let mut runner =
        gradscope::testing::run::Runner::new(common::spec(LabId::Clip, &[], 0)).unwrap();
    assert!(runner.act("view").is_err());
    assert!(runner.act("zoom").is_err());
}

#[test]
fn the_default_run_is_2000_steps_and_shorter_when_a_step_is_costly() {
    let steps = |sets: &[(&str, &str)]| common::spec(LabId::Clip, sets, 0).total_steps();
    assert_eq!(steps(&[]), 2000);
    assert_eq!(steps(&[("horizon", "30")]), 2000);
    // horizon·batch·hidden·(hidden+2) = 90·16·128·130 = 23,961,600: 8e9 / that.
    assert_eq!(
        steps(&[("hidden", "128"), ("horizon", "90")]),
        8_000_000_000 / 23_961_600
    );
    // The costliest step allowed (25,000,000) still gets 320.
    assert_eq!(
        steps(&[("hidden", "128"), ("horizon", "300"), ("batch", "4")]),
        400
    );
    let mut spec = common::spec(LabId::Clip, &[], 0);
    spec.steps = Some(7);
    assert_eq!(spec.total_steps(), 7);
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
    let err = RunSpec::from_args(
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
