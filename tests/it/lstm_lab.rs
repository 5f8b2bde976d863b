//! The lstm lab: the gradient flow through the cell against the RNN's, the forget-gate
//! product and its half-life, and the memory task where an open cell path learns and the
//! RNN, with or without a constant added to its gradient, does not. Every preset's claim is
//! checked over seeds 0–9 (seeds run two at a time).

#![allow(clippy::unwrap_used)]

use crate::common;

use gradscope::testing::labs::LabId;
use gradscope::testing::labs::lstm::{self, memory};
use gradscope::testing::nn::CellKind;
use gradscope::testing::report::Report;
use gradscope::testing::rng::rng;
use gradscope::testing::run::RunSpec;

const SEEDS: u64 = 10;

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// A preset's run (`None`: the defaults) of `steps` steps (`None`: the run's length).
fn preset(name: Option<&str>, seed: u64, steps: Option<u64>) -> RunSpec {
    let mut spec = RunSpec::from_args(LabId::Lstm, name, &[], seed, None).unwrap();
    spec.steps = steps;
    spec
}

/// The reports of seeds 0..SEEDS, run on two threads.
fn over_seeds(make: impl Fn(u64) -> RunSpec + Sync) -> Vec<Report> {
    let make = &make;
    let mut out: Vec<(u64, Report)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..2)
            .map(|w| {
                s.spawn(move || {
                    (w..SEEDS)
                        .step_by(2)
                        .map(|seed| (seed, common::run(make(seed))))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    out.sort_by_key(|(seed, _)| *seed);
    out.into_iter().map(|(_, r)| r).collect()
}

/// Final accuracies of learner `v` by seed, and how many reached [`lstm::SOLVED`].
fn finals(rs: &[Report], v: &str) -> (Vec<f64>, usize) {
    let acc: Vec<f64> = rs
        .iter()
        .map(|r| r.num(&format!("final_acc.{v}")))
        .collect();
    let solved = acc.iter().filter(|a| **a >= lstm::SOLVED).count();
    (acc, solved)
}

fn print_table(title: &str, rs: &[Report]) {
    println!(
        "{title}: final accuracy (mean of the last {} steps), solved at",
        lstm::FINAL
    );
    for (seed, r) in rs.iter().enumerate() {
        let cells: Vec<String> = lstm::VARIANTS
            .iter()
            .map(|v| {
                format!(
                    "{v} {:.3} @{}",
                    r.num(&format!("final_acc.{v}")),
                    r.num(&format!("solved_at.{v}"))
                )
            })
            .collect();
        println!("  seed {seed}: {}", cells.join(" | "));
    }
}

#[test]
fn with_forget_bias_5_the_cell_carries_the_gradient_60_steps_back() {
    let mut spec = common::spec(LabId::Lstm, &[("forget_bias", "5"), ("horizon", "60")], 0);
    spec.steps = Some(0);
    let r = common::run(spec);
    let (c, h_rnn) = (r.series("grad_c.lstm"), r.series("grad_h.rnn"));
    assert_eq!(c.len(), 61);
    assert!(c[60] > 1e-3, "cell gradient at lag 60: {}", c[60]);
    assert!(c[60] > 10.0 * h_rnn[60], "{} vs RNN {}", c[60], h_rnn[60]);
    let fp = r.series("forget_product");
    assert!(fp.windows(2).all(|w| w[1] < w[0]), "∏ f falls: {fp:?}");
    // With f near σ(5) everywhere the product follows σ(5)^k.
    let theory = sigmoid(5.0).powi(60);
    assert!(
        (fp[60] / theory - 1.0).abs() < 0.05,
        "{} vs {theory}",
        fp[60]
    );
    assert!((r.series("forget_theory")[60] / theory - 1.0).abs() < 1e-12);
    assert_eq!(r.num("grad_c_final.lstm"), c[60]);
    assert_eq!(r.num("forget_product_final"), fp[60]);
}

#[test]
fn half_lives_are_ln2_over_ln_sigma_b() {
    for (b, want) in [(1.0, 2.2127), (5.0, 103.24), (0.0, 1.0)] {
        let mut spec = common::spec(LabId::Lstm, &[("forget_bias", &b.to_string())], 0);
        spec.steps = Some(0);
        let r = common::run(spec);
        let hl = r.num("half_life");
        assert!((hl - want).abs() / want < 1e-3, "b = {b}: {hl}");
        assert!((r.num("forget_gate_at_rest") - sigmoid(b)).abs() < 1e-15);
    }
}

/// The flow at reset, per preset and seed: (∏ f, LSTM cell gradient, RNN gradient) at lag T.
fn flows(name: Option<&str>) -> Vec<(f64, f64, f64)> {
    (0..SEEDS)
        .map(|seed| {
            let r = common::run(preset(name, seed, Some(0)));
            (
                r.num("forget_product_final"),
                r.num("grad_c_final.lstm"),
                r.num("grad_h_final.rnn"),
            )
        })
        .collect()
}

/// The flow claims of the default (b = 1) and of forget-bias-5, long-horizon and
/// forget-bias-0, over seeds 0–9.
#[test]
fn every_presets_flow_claim_holds_over_seeds() {
    let near = |x: f64, want: f64, tol: f64| (x / want - 1.0).abs() < tol;
    // b = 1: half-life 2.2 steps; 50 steps back ∏ f ≈ σ(1)^50 = 1.8e-7 and the cell's
    // gradient is below 1e-3, the RNN's below 1e-8.
    let default = flows(None);
    // Seed 0, the README's figures.
    let (fp, c, h) = default[0];
    assert!(near(fp, 2.4e-7, 0.03) && near(c, 2.2e-4, 0.03) && near(h, 5.8e-16, 0.03));
    for (fp, c, h) in default {
        assert!(fp > 1e-7 && fp < 5e-7, "b = 1: ∏ f {fp}");
        assert!(c < 1e-3, "b = 1: cell {c}");
        assert!(h < 1e-8, "b = 1: RNN {h}");
    }
    // forget-bias-5: ∏ f ≈ σ(5)^50 = 0.71; the cell's gradient 50 steps back is larger
    // than at T, the RNN's below 1e-8.
    for (fp, c, h) in flows(Some("forget-bias-5")) {
        assert!(near(fp, sigmoid(5.0).powi(50), 0.03), "b = 5: ∏ f {fp}");
        assert!(c > 1.0, "b = 5: cell {c}");
        assert!(h < 1e-8, "b = 5: RNN {h}");
    }
    // long-horizon: ∏ f ≈ σ(5)^100 = 0.51 still; the RNN's gradient is below 1e-16.
    for (fp, c, h) in flows(Some("long-horizon")) {
        assert!(near(fp, sigmoid(5.0).powi(100), 0.05), "T = 100: ∏ f {fp}");
        assert!(c > 1.0, "T = 100: cell {c}");
        assert!(h < 1e-16, "T = 100: RNN {h}");
    }
    // forget-bias-0: ∏ f ≈ 2^-50 ≈ 1e-15 and the cell's gradient below 1e-9: the path is
    // closed.
    for (fp, c, _) in flows(Some("forget-bias-0")) {
        assert!(fp < 1e-14, "b = 0: ∏ f {fp}");
        assert!(c < 1e-9, "b = 0: cell {c}");
    }
}

/// forget-bias-5 over the default run: the LSTM solves the memory task and stays solved in
/// every seed, neither RNN ever does.
#[test]
fn with_forget_bias_5_the_lstm_learns_the_memory_task_and_both_rnns_stay_at_chance() {
    let rs = over_seeds(|seed| preset(Some("forget-bias-5"), seed, None));
    print_table("forget-bias-5", &rs);
    let r0 = &rs[0];
    assert_eq!(r0.steps, lstm::DEFAULT_STEPS);
    assert_eq!(r0.params["horizon"].as_f64(), Some(50.0));
    let (lstm_acc, solved) = finals(&rs, "lstm");
    assert_eq!(solved, SEEDS as usize, "LSTM {lstm_acc:?}");
    assert!(lstm_acc.iter().all(|a| *a >= 0.99), "LSTM {lstm_acc:?}");
    // The step the 20-step accuracy first reaches 95%: 162–403 over seeds 0–9 (seed 0: 236),
    // as the README says. (The step is sensitive to the last bits of the arithmetic: exact
    // values move when a kernel's rounding does; the bands say what the README may claim.)
    let at: Vec<f64> = rs.iter().map(|r| r.num("solved_at.lstm")).collect();
    let (lo, hi) = at
        .iter()
        .fold((f64::MAX, 0.0f64), |(l, h), a| (l.min(*a), h.max(*a)));
    assert!(
        (140.0..=180.0).contains(&lo) && (370.0..=440.0).contains(&hi),
        "{at:?}"
    );
    for v in ["rnn", "rnn_eps"] {
        let (acc, solved) = finals(&rs, v);
        assert_eq!(solved, 0, "{v} {acc:?}");
        assert!(acc.iter().all(|a| *a < 0.32), "{v} {acc:?}");
        assert!(rs.iter().all(|r| r.num(&format!("solved_at.{v}")).is_nan()));
    }
    for r in &rs {
        for v in lstm::VARIANTS {
            assert_eq!(r.num(&format!("diverged.{v}")), 0.0);
            assert_eq!(r.series(&format!("acc.{v}")).len(), r.series("step").len());
        }
    }
    // Seed 0, the README's example.
    assert_eq!(r0.num("solved_at.lstm"), 236.0);
}

/// short-horizon: at T = 10 the LSTM learns in every seed and the plain RNN in most (the
/// others stop at two symbols of four); the RNN+ε rarely keeps what it learns.
#[test]
fn at_a_short_horizon_the_rnn_learns_too_but_not_with_a_constant_added() {
    let rs = over_seeds(|seed| preset(Some("short-horizon"), seed, None));
    print_table("short-horizon", &rs);
    let (lstm_acc, solved) = finals(&rs, "lstm");
    assert_eq!(solved, SEEDS as usize, "LSTM {lstm_acc:?}");
    // The RNN: 7 of 10 (the README's figure, ±1); the others at two symbols of four.
    let (rnn, solved) = finals(&rs, "rnn");
    assert!((6..=8).contains(&solved), "RNN {rnn:?}");
    assert!(rnn.iter().all(|a| *a >= 0.45), "RNN {rnn:?}");
    // The RNN+ε: 20 points or more below the plain RNN in 9 of 10 (±1).
    let (eps, solved) = finals(&rs, "rnn_eps");
    assert!(solved <= 2, "RNN+ε {eps:?}");
    let below = rnn
        .iter()
        .zip(&eps)
        .filter(|(r, e)| **e < **r - 0.2)
        .count();
    assert!(below >= 8, "RNN+ε below the RNN: {rnn:?} {eps:?}");
}

/// `final_acc.V` and `final_loss.V` are the means of the last 50 steps' batches (scored
/// before each update), the curves and `solved_at` of the last 20.
#[test]
fn final_accuracy_is_the_mean_of_the_last_50_steps() {
    let (horizon, batch, steps) = (5, 8, 70);
    let pairs = [
        ("horizon", "5"),
        ("batch", "8"),
        ("forget_bias", "3"),
        ("lr", "0.01"),
    ];
    let mut spec = common::spec(LabId::Lstm, &pairs, 7);
    spec.steps = Some(steps);
    let r = common::run(spec);
    // The same LSTM learner, replayed from the lab's streams (model 0, data 3).
    let model = memory::model(CellKind::Lstm, 32, 3.0, &mut rng(7, 0));
    let mut learner =
        memory::MemoryLearner::new(model, memory::OptimizerKind::Adam, 0.01, 0.5, 0.0);
    let mut data = rng(7, 3);
    let per_step: Vec<(f64, f64)> = (0..steps)
        .map(|s| {
            let (x, y) = memory::batch(horizon + 1, batch, &mut data);
            learner.train(&x, &y, s)
        })
        .collect();
    let mean = |k: usize, f: fn(&(f64, f64)) -> f64| {
        per_step[per_step.len() - k..].iter().map(f).sum::<f64>() / k as f64
    };
    let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
    assert!(close(r.num("final_acc.lstm"), mean(50, |p| p.1)));
    assert!(close(r.num("final_loss.lstm"), mean(50, |p| p.0)));
    assert!(close(
        *r.series("acc.lstm").last().unwrap(),
        mean(20, |p| p.1)
    ));
    assert!(close(
        *r.series("loss.lstm").last().unwrap(),
        mean(20, |p| p.0)
    ));
}

#[test]
fn same_seed_same_report_and_the_rnns_differ_only_by_grad_eps() {
    let spec = || {
        let mut s = common::spec(LabId::Lstm, &[("optimizer", "sgd"), ("lr", "0.5")], 3);
        s.steps = Some(30);
        s
    };
    let (a, b) = (common::run(spec()), common::run(spec()));
    // NaN summaries (not yet solved) are equal in JSON, where they are null.
    assert_eq!(a.to_json(), b.to_json());
    // Same init, same first batch: the same loss before the first update; then apart.
    let (rnn, eps) = (a.series("loss.rnn"), a.series("loss.rnn_eps"));
    assert_eq!(rnn[0], eps[0]);
    assert_ne!(rnn[29], eps[29]);
    let mut s = spec();
    s.seed = 4;
    assert_ne!(common::run(s).series("loss.lstm"), a.series("loss.lstm"));
}

#[test]
fn every_summary_key_exists_from_step_0() {
    let mut spec = common::spec(LabId::Lstm, &[], 0);
    spec.steps = Some(0);
    let r = common::run(spec);
    for v in ["lstm", "rnn", "rnn_eps"] {
        for key in ["final_acc", "final_loss", "solved_at", "diverged"] {
            assert!(r.summary.contains_key(&format!("{key}.{v}")), "{key}.{v}");
        }
        for s in ["loss", "acc"] {
            assert!(r.series.contains_key(&format!("{s}.{v}")), "{s}.{v}");
        }
    }
    for s in ["grad_c.lstm", "grad_h.lstm", "grad_h.rnn", "forget_product"] {
        assert_eq!(r.series(s).len(), 51, "{s}");
        assert_eq!(r.series(s)[0], 1.0, "{s} is relative to lag 0");
    }
}

/// A sweep of a training metric runs each point's whole run (it used to print NaN).
#[test]
fn a_training_metric_sweeps_to_numbers() {
    let d = LabId::Lstm.descriptor();
    assert_eq!(d.sweep_steps, None);
    assert_eq!(d.sweep_metric, "final_acc.lstm");
    let base = common::spec(LabId::Lstm, &[("horizon", "3"), ("batch", "4")], 0);
    let plan = gradscope::testing::sweep::SweepPlan::new(
        base,
        "forget_bias",
        gradscope::testing::sweep::Grid::new(1.0, 5.0, 2, false).unwrap(),
        "final_acc.lstm",
    );
    plan.validate().unwrap();
    let cancel = std::sync::atomic::AtomicBool::new(false);
    for i in 0..2 {
        let p = plan.run_point(i, &cancel).unwrap();
        assert!(p.metric.is_finite() && p.metric > 0.0, "{p:?}");
    }
}

#[test]
fn too_much_work_is_refused_cheaply() {
    let err = gradscope::testing::run::RunSpec::from_args(
        LabId::Lstm,
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
