//! The lstm lab: the gradient flow through the cell against the RNN's, the forget-gate
//! product and its half-life, and the memory task where an open cell path learns and the
//! RNN with or without the course's constant-gradient remedy does not.

#![allow(clippy::unwrap_used)]

mod common;

use gradscope::labs::LabId;

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
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
    // At b = 1 the cell path is nearly as closed as the RNN's over 50 steps: the default.
    let mut spec = common::spec(LabId::Lstm, &[], 0);
    spec.steps = Some(0);
    let r = common::run(spec);
    assert!(r.num("forget_product_final") < 1e-5);
}

/// The memory task at horizon 50 with the forget-bias-5 preset, over the default run.
#[test]
fn the_lstm_learns_the_memory_task_where_both_rnns_stay_at_chance() {
    let spec = gradscope::run::RunSpec::from_args(LabId::Lstm, Some("forget-bias-5"), &[], 0, None)
        .unwrap();
    assert_eq!(spec.params.usize("horizon"), 50);
    let r = common::run(spec);
    let acc = |v: &str| r.num(&format!("final_acc.{v}"));
    println!(
        "horizon 50, forget_bias 5, seed 0, {} steps: final accuracy lstm {:.3} (solved at step {}), rnn {:.3}, rnn_eps {:.3}; chance {}",
        r.steps,
        acc("lstm"),
        r.num("solved_at.lstm"),
        acc("rnn"),
        acc("rnn_eps"),
        r.num("chance")
    );
    assert_eq!(r.steps, gradscope::labs::lstm::DEFAULT_STEPS);
    assert!(acc("lstm") >= 0.95, "LSTM {}", acc("lstm"));
    assert!(r.num("solved_at.lstm").is_finite());
    for v in ["rnn", "rnn_eps"] {
        assert!(acc(v) < r.num("chance") + 0.1, "{v}: {}", acc(v));
        assert!(r.num(&format!("solved_at.{v}")).is_nan());
    }
    for v in ["lstm", "rnn", "rnn_eps"] {
        assert_eq!(r.num(&format!("diverged.{v}")), 0.0);
        assert_eq!(r.series(&format!("acc.{v}")).len(), r.series("step").len());
    }
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

#[test]
fn too_much_work_is_refused_cheaply() {
    let err = gradscope::run::RunSpec::from_args(
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
