//! The bn lab against theory: the hand-written gradients against finite differences, the
//! scale-invariance identities ⟨w, ∇l(w)⟩ = 0 and c·∇l(cw) = ∇l(w) to 1e-8, Pythagoras for
//! plain SGD (‖w‖ never decreases), the rotational equilibrium √(2ηλ/(1+α)), the rescale
//! action, sweeps of wd, determinism.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{check_gradient, spread};
use gradscope::testing::labs::LabId;
use gradscope::testing::labs::bn::angular_update_theory;
use gradscope::testing::labs::bn::data::{Batches, mixture};
use gradscope::testing::labs::bn::metrics;
use gradscope::testing::labs::bn::model::Net;
use gradscope::testing::labs::bn::optim::{MomentumSgd, SgdConfig};
use gradscope::testing::report::Report;
use gradscope::testing::rng::rng;
use gradscope::testing::run::{Quiet, RunSpec, Runner};
use gradscope::testing::sweep::{Grid, Shard, SweepPlan};
use ndarray::{Array2, ArrayView2};

/// A network and a batch of 32 from the mixture (dim 6, width 5, 3 classes: small enough to
/// difference every entry).
fn setup(seed: u64) -> (Net, Array2<f64>, Vec<usize>) {
    let (train, _) = mixture(6, 3, 0.5, &mut rng(seed, 0));
    let net = Net::init(6, 5, 3, &mut rng(seed, 1));
    let (x, y) = train.head(32);
    (net, x.to_owned(), y.to_vec())
}

fn run_spec(pairs: &[(&str, &str)], seed: u64, steps: u64) -> RunSpec {
    let mut spec = common::spec(LabId::Bn, pairs, seed);
    spec.steps = Some(steps);
    spec
}

fn run(pairs: &[(&str, &str)], seed: u64, steps: u64) -> Report {
    common::run(run_spec(pairs, seed, steps))
}

#[test]
fn gradients_match_finite_differences() {
    for seed in 0..3 {
        let (net, x, y) = setup(seed);
        let (_, g) = net.grads(x.view(), &y);
        let loss_w = |i: usize, d: f64| {
            let mut n = net.clone();
            n.w.as_slice_mut().unwrap()[i] += d;
            n.loss(x.view(), &y)
        };
        let w = g.w.as_slice().unwrap();
        check_gradient("dl/dW", w, &spread(w.len(), 30), 1e-5, 1e-8, loss_w);
        let loss_v = |i: usize, d: f64| {
            let mut n = net.clone();
            n.v.as_slice_mut().unwrap()[i] += d;
            n.loss(x.view(), &y)
        };
        let v = g.v.as_slice().unwrap();
        check_gradient("dl/dV", v, &spread(v.len(), 15), 1e-5, 1e-8, loss_v);
        let loss_b = |i: usize, d: f64| {
            let mut n = net.clone();
            n.b[i] += d;
            n.loss(x.view(), &y)
        };
        let b = g.b.as_slice().unwrap();
        check_gradient("dl/db", b, &[0, 1, 2], 1e-5, 1e-8, loss_b);
    }
}

#[test]
fn the_gradient_is_orthogonal_to_each_row_analytically() {
    for seed in 0..5 {
        let (net, x, y) = setup(seed);
        let (_, g) = net.grads(x.view(), &y);
        for (w, gr) in net.w.rows().into_iter().zip(g.w.rows()) {
            let cos = w.dot(&gr).abs() / (w.dot(&w).sqrt() * gr.dot(&gr).sqrt());
            assert!(cos < 1e-8, "seed {seed}: cos(w, ∇l) = {cos:e}");
        }
        assert!(metrics::orthogonality(net.w.view(), g.w.view()) < 1e-8);
    }
}

#[test]
fn the_gradient_is_orthogonal_to_each_row_by_finite_differences() {
    // Pack ∇_W l and the derivatives along each row's own direction, ⟨ŵ_j, ∇_{w_j} l⟩ = 0,
    // into one vector: the helper then measures both against the gradient's scale.
    let (net, x, y) = setup(7);
    let (_, g) = net.grads(x.view(), &y);
    let n = g.w.len();
    let mut ana: Vec<f64> = g.w.iter().copied().collect();
    for (w, gr) in net.w.rows().into_iter().zip(g.w.rows()) {
        ana.push(w.dot(&gr) / w.dot(&w).sqrt());
    }
    let loss_at = |i: usize, d: f64| {
        let mut m = net.clone();
        if i < n {
            m.w.as_slice_mut().unwrap()[i] += d;
        } else {
            let mut row = m.w.row_mut(i - n);
            let norm = row.dot(&row).sqrt();
            row.mapv_inplace(|v| v + d * v / norm);
        }
        m.loss(x.view(), &y)
    };
    let idx: Vec<usize> = (0..ana.len()).collect();
    check_gradient("dl/dW and dl/d‖w_j‖", &ana, &idx, 1e-5, 1e-8, loss_at);
}

/// max|c·∇l(cW) − ∇l(W)| / max|∇l(W)|.
fn scale_error(net: &Net, x: ArrayView2<f64>, y: &[usize], c: f64) -> f64 {
    let (_, g) = net.grads(x, y);
    let scaled = Net {
        w: &net.w * c,
        ..net.clone()
    };
    let (_, gc) = scaled.grads(x, y);
    let scale = g.w.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let err =
        g.w.iter()
            .zip(&gc.w)
            .fold(0.0f64, |m, (a, b)| m.max((c * b - a).abs()));
    err / scale
}

#[test]
fn the_gradient_scales_as_one_over_c_analytically() {
    for seed in 0..3 {
        let (net, x, y) = setup(seed);
        for c in [1e-3, 0.5, 2.0, 10.0, 1e3] {
            let l0 = net.loss(x.view(), &y);
            let lc = Net {
                w: &net.w * c,
                ..net.clone()
            }
            .loss(x.view(), &y);
            assert!((lc - l0).abs() < 1e-12, "l(cW) = l(W) at c = {c}");
            let e = scale_error(&net, x.view(), &y, c);
            assert!(e < 1e-8, "seed {seed}, c = {c}: {e:e}");
        }
        assert!(metrics::scale_check(&net, x.view(), &y) < 1e-12);
    }
}

#[test]
fn the_gradient_scales_as_one_over_c_by_finite_differences() {
    // Differences of l at cW against the analytic ∇l(W)/c.
    let (net, x, y) = setup(3);
    let (_, g) = net.grads(x.view(), &y);
    for c in [0.5, 2.0, 10.0] {
        let scaled = Net {
            w: &net.w * c,
            ..net.clone()
        };
        let ana: Vec<f64> = g.w.iter().map(|v| v / c).collect();
        let loss_at = |i: usize, d: f64| {
            let mut m = scaled.clone();
            m.w.as_slice_mut().unwrap()[i] += d;
            m.loss(x.view(), &y)
        };
        let name = format!("∇l({c}W) = ∇l(W)/{c}");
        check_gradient(&name, &ana, &spread(ana.len(), 30), 1e-5 * c, 1e-8, loss_at);
    }
}

#[test]
fn plain_sgd_never_shrinks_a_row_pythagoras() {
    // Momentum 0, no decay: ‖w'‖² = ‖w‖² + η²‖∇l(w)‖² row by row.
    let (train, _) = mixture(20, 4, 0.5, &mut rng(0, 0));
    let mut net = Net::init(20, 64, 4, &mut rng(0, 1));
    let mut batches = Batches::new(train.len(), 32, rng(0, 2));
    let (mut xb, mut yb) = (Array2::zeros((32, 20)), Vec::new());
    let mut sgd = MomentumSgd::default();
    let config = SgdConfig {
        lr: 0.5,
        momentum: 0.0,
        weight_decay: 0.0,
    };
    for step in 0..300 {
        train.gather(batches.next_batch(), &mut xb, &mut yb);
        let (_, g) = net.grads(xb.view(), &yb);
        let before = metrics::row_norms(net.w.view());
        sgd.step(&mut net, &g, config);
        let after = metrics::row_norms(net.w.view());
        for (j, gr) in g.w.rows().into_iter().enumerate() {
            let growth = after[j].powi(2) - before[j].powi(2);
            let want = config.lr.powi(2) * gr.dot(&gr);
            assert!(after[j] >= before[j], "step {step}, row {j} shrank");
            assert!(
                (growth - want).abs() <= 1e-9 * want + 1e-15 * before[j].powi(2),
                "step {step}, row {j}: {growth:e} vs η²‖g‖² = {want:e}"
            );
        }
    }
}

#[test]
fn without_decay_and_momentum_the_lab_norm_never_decreases() {
    let rep = run(&[("momentum", "0"), ("lr", "0.5")], 1, 2000);
    let norms = rep.series("weight_norm.nowd");
    assert!(norms.len() > 100);
    assert!(norms.windows(2).all(|w| w[1] >= w[0]), "‖w‖ of nowd fell");
    assert!(norms.last().unwrap() > &rep.num("weight_norm_initial"));
}

#[test]
fn the_decayed_run_settles_at_the_theoretical_angular_update() {
    // The equilibrium preset: ηλ = 1e-3, α = 0.9, settles in ~(1−α)/(ηλ) = 100 steps.
    let spec = RunSpec {
        steps: Some(3000),
        ..RunSpec::from_args(LabId::Bn, Some("equilibrium"), &[], 0, None).unwrap()
    };
    let rep = common::run(spec);
    let theory = angular_update_theory(0.2, 5e-3, 0.9);
    assert!((rep.num("angular_update_theory") - theory).abs() < 1e-15);
    let tail = rep.num("angular_update_tail.wd");
    assert!(
        (tail / theory - 1.0).abs() < 0.15,
        "tail {tail} vs theory {theory}"
    );
    // The RMS over rows and steps is what the balance predicts: closer still.
    let rms = rep.num("angular_update_rms_tail.wd");
    assert!((rms / theory - 1.0).abs() < 0.05, "rms {rms} vs {theory}");
    let settled = rep.num("settled_at");
    assert!((0.0..1000.0).contains(&settled), "settled at {settled}");
    // Without decay the norm grows and the effective step freezes below the decayed one.
    let grown = rep.num("weight_norm_final.nowd") / rep.num("weight_norm_initial");
    assert!(grown > 1.5, "‖w‖ of nowd grew only {grown}×");
    assert!(rep.num("eff_lr_final.nowd") < rep.num("eff_lr_final.wd"));
    assert!(rep.num("angular_update_tail.nowd") < 0.5 * tail);
    // The identities hold along the run.
    assert!(rep.num("orthogonality_max") < 1e-12);
    assert!(rep.num("scale_check") < 1e-12);
    assert_eq!(rep.num("diverged.wd"), 0.0);
}

#[test]
fn the_equilibrium_follows_theory_across_lr_wd_and_momentum() {
    // ((η, λ, α), steps): each long enough for ~(1−α)/(ηλ) to settle several times over.
    let cases = [
        ((0.2, 5e-3, 0.0), 4000),
        ((0.1, 0.02, 0.5), 2000),
        ((0.05, 0.01, 0.9), 2000),
        ((0.4, 1e-3, 0.95), 1500),
    ];
    for ((lr, wd, momentum), steps) in cases {
        let (l, w, m) = (lr.to_string(), wd.to_string(), momentum.to_string());
        let rep = run(&[("lr", &l), ("wd", &w), ("momentum", &m)], 2, steps);
        let theory = angular_update_theory(lr, wd, momentum);
        let rms = rep.num("angular_update_rms_tail.wd");
        let tail = rep.num("angular_update_tail.wd");
        assert!(
            (rms / theory - 1.0).abs() < 0.1 && (tail / theory - 1.0).abs() < 0.15,
            "η {lr}, λ {wd}, α {momentum}: rms {rms}, mean {tail}, theory {theory}"
        );
    }
}

#[test]
fn rescaling_w_keeps_the_loss_and_the_decayed_run_returns_to_equilibrium() {
    let mut spec = RunSpec::from_args(LabId::Bn, Some("equilibrium"), &[], 0, None).unwrap();
    spec.steps = Some(3000);
    let mut runner = Runner::new(spec).unwrap();
    runner.advance(1000, &mut || false, &mut Quiet);
    let before = runner.report();
    let text = runner.act("rescale-up").unwrap();
    assert!(
        text.starts_with("W×2 at step 1000 (both runs): loss "),
        "{text}"
    );
    let after = runner.report();
    for v in ["wd", "nowd"] {
        let (l0, l1) = (
            before.num(&format!("probe_loss.{v}")),
            after.num(&format!("probe_loss.{v}")),
        );
        assert!(
            (l1 - l0).abs() < 1e-12 * l0.abs().max(1.0),
            "{v}: {l0} → {l1}"
        );
        let (e0, e1) = (
            before.num(&format!("eff_lr_final.{v}")),
            after.num(&format!("eff_lr_final.{v}")),
        );
        assert!((e1 / e0 - 0.25).abs() < 1e-12, "{v}: η/‖w‖² ×{}", e1 / e0);
    }
    assert!(after.num("rescale_loss_change") < 1e-12);
    assert!((after.num("rescale_eff_lr_ratio") - 0.25).abs() < 1e-12);
    assert_eq!(after.num("rescale_step"), 1000.0);
    assert_eq!(after.num("rescale_factor"), 2.0);
    // Weight decay pulls the doubled norm back to its equilibrium; nowd keeps the new scale.
    runner.run_to_end(None, &mut Quiet);
    let end = runner.report();
    let (wd0, wd1) = (
        before.num("weight_norm_final.wd"),
        end.num("weight_norm_final.wd"),
    );
    assert!((wd1 / wd0 - 1.0).abs() < 0.15, "wd: ‖w‖ {wd0} → ×2 → {wd1}");
    let nowd = end.num("weight_norm_final.nowd") / before.num("weight_norm_final.nowd");
    assert!(nowd > 1.95, "nowd keeps the doubled scale: ×{nowd}");
    assert!(runner.act("rescale-down").unwrap().starts_with("W×0.5"));
    assert!(runner.act("nonsense").is_err());
}

#[test]
fn a_sweep_of_wd_follows_the_theory_line() {
    // `gradscope sweep bn --param wd --metric angular_update_tail.wd`, short runs at a large ηλ.
    let base = RunSpec {
        steps: Some(1500),
        ..common::spec(LabId::Bn, &[("lr", "0.2")], 0)
    };
    let grid = Grid::new(2e-3, 5e-2, 4, true).unwrap();
    let plan = SweepPlan::new(base, "wd", grid, "angular_update_tail.wd");
    plan.validate().unwrap();
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let points = plan.run(Shard::ALL, 2, &cancel, |_| {}).unwrap();
    for p in points {
        let theory = angular_update_theory(0.2, p.value, 0.9);
        assert!(
            (p.metric / theory - 1.0).abs() < 0.15,
            "λ {}: {} vs {theory}",
            p.value,
            p.metric
        );
    }
}

#[test]
fn same_seed_same_report_and_every_key_from_step_zero() {
    let a = run(&[], 5, 300);
    let b = run(&[], 5, 300);
    // As JSON: NaN summaries (no rescale yet) are null there, and equal.
    assert_eq!(a.to_json(), b.to_json());
    assert_ne!(
        a.series("train_loss.wd"),
        run(&[], 6, 300).series("train_loss.wd")
    );
    let zero = Runner::new(run_spec(&[], 5, 0)).unwrap().report();
    for key in a.summary.keys() {
        assert!(zero.summary.contains_key(key), "{key} missing at step 0");
    }
    for v in ["wd", "nowd"] {
        for s in [
            "weight_norm",
            "eff_lr",
            "angular_update",
            "train_loss",
            "val_acc",
            "orthogonality",
        ] {
            assert_eq!(a.series(&format!("{s}.{v}")).len(), 300, "{s}.{v}");
        }
    }
}

#[test]
fn validation_names_the_problem() {
    let bad = RunSpec::from_args(
        LabId::Bn,
        None,
        &["batch=512".into(), "width=512".into()],
        0,
        None,
    );
    let e = bad.unwrap_err().0;
    assert!(e.contains("batch·width·(dim + 20)"), "{e}");
}

/// Every bn figure the README quotes: the equilibrium table (7 runs of 20,000 steps) and the
/// two sweeps of wd, run as the README's commands run them (seed 0, the lab's defaults).
#[test]
fn the_readme_bn_figures_are_what_the_runs_give() {
    let readme = common::readme();
    // (η, λ, α) of each table row, then the wd values of the sweeps (η 0.1, α 0.9).
    let rows = [
        (
            0.1,
            5e-4,
            0.9,
            "| 0.1 | 5e-4 | 0.9 | 0.00725 | 0.00704 (0.970) | 0.00734 (1.011) | 1,900 | 2,000 |",
        ),
        (
            0.2,
            5e-3,
            0.9,
            "| 0.2 | 5e-3 | 0.9 | 0.03244 | 0.03092 (0.953) | 0.03281 (1.011) | 100 | 100 |",
        ),
        (
            0.2,
            5e-3,
            0.0,
            "| 0.2 | 5e-3 | 0 | 0.04472 | 0.04033 (0.902) | 0.04480 (1.002) | 1,300 | 1,000 |",
        ),
        (
            0.05,
            1e-3,
            0.5,
            "| 0.05 | 1e-3 | 0.5 | 0.00816 | 0.00751 (0.920) | 0.00832 (1.020) | 7,400 | 10,000 |",
        ),
        (
            0.5,
            1e-4,
            0.9,
            "| 0.5 | 1e-4 | 0.9 | 0.00725 | 0.00695 (0.957) | 0.00729 (1.005) | 2,100 | 2,000 |",
        ),
        (
            0.1,
            2e-3,
            0.95,
            "| 0.1 | 2e-3 | 0.95 | 0.01432 | 0.01389 (0.970) | 0.01443 (1.008) | 300 | 250 |",
        ),
        (
            0.2,
            0.05,
            0.9,
            "| 0.2 | 0.05 | 0.9 | 0.10260 | 0.10001 (0.975) | 0.11072 (1.079) | 100 | 10 |",
        ),
    ];
    let grid = Grid::new(1e-4, 0.1, 7, true).unwrap();
    let swept: Vec<f64> = grid.values().chain([1e-5, 3e-5]).collect();
    let specs: Vec<RunSpec> = rows
        .iter()
        .map(|&(lr, wd, m, _)| (lr, wd, m))
        .chain(swept.iter().map(|&wd| (0.1, wd, 0.9)))
        .map(|(lr, wd, m)| {
            let (l, w, m) = (lr.to_string(), wd.to_string(), m.to_string());
            common::spec(LabId::Bn, &[("lr", &l), ("wd", &w), ("momentum", &m)], 0)
        })
        .collect();
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let reports: Vec<Report> = gradscope::testing::parallel::run_indexed(
        specs.len(),
        2,
        &cancel,
        |i| Ok(common::run(specs[i].clone())),
        |_, _| {},
    )
    .unwrap()
    .into_iter()
    .map(|(_, r)| r)
    .collect();
    for ((lr, wd, m, row), r) in rows.iter().zip(&reports) {
        let theory = r.num("angular_update_theory");
        let (tail, rms) = (
            r.num("angular_update_tail.wd"),
            r.num("angular_update_rms_tail.wd"),
        );
        let values = [
            None,
            None,
            None,
            Some(theory),
            Some(tail),
            Some(tail / theory),
            Some(rms),
            Some(rms / theory),
            Some(r.num("settled_at")),
            Some((1.0 - m) / (lr * wd)),
        ];
        common::assert_quoted(&readme, row, &values, 0.0);
    }
    let ratio = |i: usize| Some(reports[rows.len() + i].num("angular_update_ratio"));
    common::assert_quoted(
        &readme,
        "(ratios 0.953, 0.966, 0.972, 0.973,\n0.967, 0.960, 0.979 at λ = 1e-4, 10^−3.5, …, 0.1)",
        &[
            ratio(0),
            ratio(1),
            ratio(2),
            ratio(3),
            ratio(4),
            ratio(5),
            ratio(6),
            None,
            None,
            None,
            None,
        ],
        0.0,
    );
    let low = &reports[rows.len() + 7];
    assert!(low.num("settled_at").is_nan(), "λ = 1e-5 has not settled");
    common::assert_quoted(
        &readme,
        "at λ = 1e-5 (~100,000 steps needed) the rows still turn faster than the\nequilibrium (ratio 1.37)",
        &[
            None,
            Some((1.0 - 0.9) / (0.1 * 1e-5)),
            Some(low.num("angular_update_ratio")),
        ],
        0.0,
    );
    let near = reports[rows.len() + 8].num("angular_update_ratio");
    assert!((near - 1.0).abs() < 0.1, "λ = 3e-5 passes near 1: {near}");
}
