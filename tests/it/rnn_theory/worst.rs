//! The worst direction `worst_norm[k] = ‖(W_zᵀ)^k‖₂` against references built here: the
//! Jordan block's powers in closed form (entries C(k,j)·ρ^{k−j}·c^j), s^k for orthogonal W,
//! products of step Jacobians with an SVD per lag; that it bounds the g of every run; each
//! preset's claim over seeds; and every figure the README quotes.

use gradscope::testing::labs::rnn::{
    self, Activation, Family, Init, Jordan, Operator, RnnLab, jordan_core, jordan_log10,
};
use gradscope::testing::labs::{Lab, LabId};
use gradscope::testing::linalg;
use gradscope::testing::params::FromParams;
use gradscope::testing::report::Report;
use gradscope::testing::rng::rng;
use gradscope::testing::run::RunSpec;
use ndarray::{Array1, Array2};

/// A report right after `reset` (no heatmap columns), with `preset` first.
fn reset(preset: Option<&str>, sets: &[(&str, &str)], seed: u64) -> Report {
    let sets: Vec<String> = sets.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let spec = RunSpec::from_args(LabId::Rnn, preset, &sets, seed, Some(0)).unwrap();
    crate::common::run(spec)
}

fn binomial(k: usize, j: usize) -> f64 {
    (0..j).fold(1.0, |acc, i| acc * (k - i) as f64 / (i + 1) as f64)
}

/// J^k for the b×b block J = ρI + cN, entry (i, i+d) = C(k,d)·ρ^{k−d}·c^d.
fn jordan_power(rho: f64, c: f64, b: usize, k: usize) -> Array2<f64> {
    Array2::from_shape_fn((b, b), |(i, j)| {
        if j < i || j - i > k {
            0.0
        } else {
            let d = j - i;
            binomial(k, d) * rho.powi((k - d) as i32) * c.powi(d as i32)
        }
    })
}

fn norm(m: &Array2<f64>) -> f64 {
    linalg::spectral_norm(m.view()).unwrap()
}

#[test]
fn worst_norm_is_the_jordan_blocks_power_norm_in_closed_form() {
    // (hidden, ρ, s, b, T): a full block; blocks 3, 3, 1; ρ = 0 (nilpotent: zero from k = b);
    // ρ capped at s = 0.6 (c = 0, the core is 0.6·I); a slow decay.
    for (p, rho, s, b, horizon) in [
        (8, 0.5, 1.5, 8, 60),
        (7, 0.9, 1.2, 3, 80),
        (10, 0.0, 1.0, 4, 20),
        (6, 0.8, 0.6, 4, 30),
        (12, 0.95, 1.1, 5, 100),
    ] {
        let core = jordan_core(p, rho, s, b);
        let (rho, c) = (core[[0, 0]], core[[0, 1]]);
        let r = reset(
            None,
            &[
                ("init", "nonnormal"),
                ("hidden", &p.to_string()),
                ("spectral_radius", &rho.to_string()),
                ("spectral_norm", &s.to_string()),
                ("block", &b.to_string()),
                ("horizon", &horizon.to_string()),
            ],
            1,
        );
        let worst = r.series("worst_norm");
        assert_eq!(worst.len(), horizon + 1);
        let mut full = Array2::<f64>::eye(p);
        for (k, w) in worst.iter().enumerate() {
            let want = norm(&jordan_power(rho, c, b.min(p), k));
            // The whole core (its shorter last block too), by repeated products.
            let whole = norm(&full);
            full = full.dot(&core);
            let case = format!("p={p} ρ={rho} s={s} b={b} k={k}");
            if want == 0.0 {
                assert_eq!(*w, 0.0, "{case}");
                assert_eq!(r.series("log10_worst_norm")[k], f64::NEG_INFINITY, "{case}");
            } else {
                assert!((w / want - 1.0).abs() < 1e-10, "{case}: {w} vs {want}");
            }
            assert!((whole - want).abs() <= 1e-12 * want.max(1e-300), "{case}");
        }
    }
}

#[test]
fn worst_norm_of_orthogonal_linear_w_is_s_to_the_k() {
    for s in [0.7f64, 1.0, 1.1, 1.3] {
        let r = reset(None, &[("spectral_norm", &s.to_string())], 4);
        for (k, w) in r.series("worst_norm").iter().enumerate() {
            assert!((w / s.powi(k as i32) - 1.0).abs() < 1e-12, "s={s} k={k}");
        }
        assert!((r.num("log10_worst_final") - 100.0 * s.log10()).abs() < 1e-12);
    }
}

/// log10 ‖P_k‖₂, P_k = W_zᵀ·diag(σ'(a_{T−k+1}))·P_{k−1}, with a full SVD per lag; for the
/// non-normal W in the basis of Q, where W_zᵀ = coreᵀ and diag(σ') becomes QᵀDQ.
fn brute_force(op: &Operator, slopes: &[Array1<f64>], horizon: usize) -> Vec<f64> {
    let p = slopes[0].len();
    let (mut prod, mut log, mut out) = (Array2::<f64>::eye(p), 0.0, vec![0.0]);
    for k in 1..=horizon {
        let d = Array2::from_diag(&slopes[horizon - k]);
        prod = match op {
            Operator::Dense(w) => w.t().dot(&d).dot(&prod),
            Operator::Rotated { q, core, .. } => core.t().dot(&q.t().dot(&d).dot(q)).dot(&prod),
        };
        let n = norm(&prod);
        prod /= n;
        log += n.log10();
        out.push(log);
    }
    out
}

#[test]
fn worst_norm_is_the_norm_of_the_jacobian_product_for_every_init_and_activation() {
    let (p, horizon) = (10, 60);
    for (init, name) in [
        (Init::Orthogonal, "orthogonal"),
        (Init::Gaussian, "gaussian"),
        (Init::Nonnormal, "nonnormal"),
    ] {
        for act in ["linear", "tanh", "relu", "sigmoid"] {
            let sets = [
                ("init", name),
                ("activation", act),
                ("hidden", "10"),
                ("horizon", "60"),
                ("spectral_norm", "1.3"),
                ("spectral_radius", "0.8"),
                ("block", "4"),
                ("z0_scale", "2"),
            ];
            let seed = 6;
            let r = reset(None, &sets, seed);
            // The lab's W_z, z_0 and g from the same seed's streams.
            let op = Family::new(init, p, 0.8, 4, &mut rng(seed, 0)).operator(1.3);
            let lab = RnnLab::reset(&rnn::Config::from_sets(&sets).unwrap(), seed).unwrap();
            let (z0, g) = lab.z0_and_g();
            let a: Activation = act.parse().unwrap();
            let prop = op.propagate(a, z0, g, horizon);
            // The same forward pass as the lab's.
            assert_eq!(prop.grad_norm, r.series("grad_norm"), "{name}/{act}");
            let want = brute_force(&op, &prop.slopes, horizon);
            for (k, (got, want)) in r.series("log10_worst_norm").iter().zip(&want).enumerate() {
                assert!(
                    (got - want).abs() < 1e-10,
                    "{name}/{act} k={k}: {got} vs {want}"
                );
            }
        }
    }
}

#[test]
fn worst_norm_bounds_every_runs_g_and_is_bounded_by_gamma_norm_to_the_k() {
    for init in ["orthogonal", "gaussian", "nonnormal"] {
        for act in ["linear", "tanh", "relu", "sigmoid"] {
            for s in ["0.8", "1.3"] {
                for seed in 0..10 {
                    let sets = [("init", init), ("activation", act), ("spectral_norm", s)];
                    let r = reset(None, &sets, seed);
                    let worst = r.series("log10_worst_norm");
                    let bound = r.series("bound_norm");
                    for (k, g) in r.series("grad_norm").iter().enumerate() {
                        let case = format!("{init}/{act}/{s} seed {seed} k={k}");
                        assert!(
                            g.log10() <= worst[k] + 1e-9,
                            "{case}: g {g} above the worst by {}",
                            g.log10() - worst[k]
                        );
                        assert!(
                            worst[k] <= bound[k].log10() + 1e-9,
                            "{case}: above (γ‖W‖₂)^k"
                        );
                    }
                }
            }
        }
    }
}

/// The peak of a run's g and of its worst direction, and the ratio at T.
struct Peaks {
    g: f64,
    g_lag: f64,
    worst: f64,
    worst_lag: f64,
    final_ratio: f64,
}

fn peaks(r: &Report) -> Peaks {
    Peaks {
        g: r.num("peak_ratio"),
        g_lag: r.num("peak_lag"),
        worst: r.num("worst_peak_ratio"),
        worst_lag: r.num("worst_peak_lag"),
        final_ratio: r.num("final_ratio"),
    }
}

#[test]
fn exact_power_is_exactly_1_1_to_the_k_over_seeds() {
    for seed in 0..10 {
        let r = reset(Some("exact-power"), &[], seed);
        for key in ["grad_norm", "worst_norm"] {
            for (k, x) in r.series(key).iter().enumerate() {
                assert!(
                    (x / 1.1f64.powi(k as i32) - 1.0).abs() < 1e-10,
                    "{key} k={k}"
                );
            }
        }
        // README: 1.1^100 ≈ 13780.6.
        assert!((r.num("final_ratio") - 13780.6).abs() < 0.05);
        assert_eq!(r.text("regime"), "exploding");
    }
}

#[test]
fn transient_growth_worst_direction_and_g_peaks_over_seeds() {
    let mut g_peaks = Vec::new();
    for seed in 0..10 {
        let r = reset(Some("transient-growth"), &[], seed);
        let p = peaks(&r);
        // The worst direction is the core's: the same for every seed (39.71 at k = 13).
        assert!((p.worst - 39.713).abs() < 1e-3, "seed {seed}: {}", p.worst);
        assert_eq!(p.worst_lag, 13.0);
        // One random g: 7.2–21.3× at k = 10–13, always below the worst.
        assert!(
            (10.0..=13.0).contains(&p.g_lag),
            "seed {seed}: lag {}",
            p.g_lag
        );
        assert!(p.g < p.worst);
        // Then both vanish like 0.5^k: below 1e-45 at T = 200.
        assert!(p.final_ratio < 1e-45 && r.num("log10_worst_final") < -45.0);
        assert_eq!(r.text("regime"), "vanishing");
        g_peaks.push(p.g);
    }
    let lo = g_peaks.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = g_peaks.iter().copied().fold(0.0, f64::max);
    assert!(
        (lo - 7.2).abs() < 0.05 && (hi - 21.3).abs() < 0.05,
        "{g_peaks:?}"
    );
}

#[test]
fn tanh_at_norm_one_shrinks_every_direction_over_seeds() {
    for seed in 0..10 {
        let r = reset(Some("tanh-vanishing"), &[], seed);
        assert_eq!(r.num("gamma"), 1.0);
        assert!((r.num("spectral_norm") - 1.0).abs() < 1e-12);
        // The bound (γ‖W‖₂)^k is 1 throughout; g ends below 0.1, every direction below 0.17.
        assert!(r.num("final_ratio") < 0.1, "seed {seed}");
        assert_eq!(r.text("regime"), "vanishing");
        assert!(r.num("log10_worst_final") < 0.17f64.log10(), "seed {seed}");
        assert_eq!(r.num("worst_peak_lag"), 0.0);
    }
}

#[test]
fn sigmoid_cap_vanishes_in_every_direction_over_seeds() {
    for seed in 0..10 {
        let r = reset(Some("sigmoid-cap"), &[], seed);
        assert!((r.num("gamma") * r.num("spectral_norm") - 0.75).abs() < 1e-12);
        for (k, w) in r.series("log10_worst_norm").iter().enumerate() {
            assert!(*w <= k as f64 * 0.75f64.log10() + 1e-9, "seed {seed} k={k}");
        }
        assert_eq!(r.text("regime"), "vanishing");
    }
}

/// J^n for the b×b block by repeated squaring, each product rescaled (its entries are all
/// ≥ 0, so the products are accurate entry by entry): log10 ‖J^n‖₂.
fn log10_power_by_squaring(j: &Array2<f64>, mut n: usize) -> f64 {
    let b = j.nrows();
    let (mut acc, mut acc_log) = (Array2::<f64>::eye(b), 0.0);
    let (mut sq, mut sq_log) = (j.clone(), 0.0);
    let rescale = |m: &mut Array2<f64>| {
        let top = m.iter().copied().fold(0.0, f64::max);
        *m /= top;
        top.log10()
    };
    while n > 0 {
        if n % 2 == 1 {
            acc = acc.dot(&sq);
            acc_log += sq_log + rescale(&mut acc);
        }
        sq = sq.dot(&sq);
        sq_log = 2.0 * sq_log + rescale(&mut sq);
        n /= 2;
    }
    acc_log + norm(&acc).log10()
}

#[test]
fn radius_below_one_grows_by_ten_to_the_62_within_a_thousand_steps() {
    let sets = [
        ("init", "nonnormal"),
        ("hidden", "64"),
        ("block", "64"),
        ("spectral_radius", "0.95"),
        ("spectral_norm", "1.5"),
        ("horizon", "1000"),
    ];
    let core = jordan_core(64, 0.95, 1.5, 64);
    let direct = log10_power_by_squaring(&core, 1000);
    // mpmath at 60 digits, from the same c: 63.63255187339219.
    assert!((direct - 63.632_551_873_392_19).abs() < 1e-9, "{direct}");
    let mut g_finals = Vec::new();
    for seed in 0..10 {
        let r = reset(None, &sets, seed);
        assert!((r.num("spectral_radius") - 0.95).abs() < 1e-12);
        let worst = r.num("log10_worst_final");
        assert!((worst - direct).abs() < 1e-9, "seed {seed}: {worst}");
        // Still growing at T: ‖W^1000‖₂ is the peak; the ratio itself is a finite 4.3e63.
        assert_eq!(r.num("worst_peak_lag"), 1000.0);
        assert!((r.num("worst_peak_ratio") / 10f64.powf(direct) - 1.0).abs() < 1e-8);
        g_finals.push(r.num("log10_final_ratio"));
    }
    // One random g: 10^62.0 … 10^62.9 (seed 0: 10^62.17).
    assert!((g_finals[0] - 62.17).abs() < 0.005, "{g_finals:?}");
    let lo = g_finals.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = g_finals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert!(
        (lo - 62.0).abs() < 0.05 && (hi - 62.9).abs() < 0.05,
        "{g_finals:?}"
    );
    // Past the horizon's range: the peak is ‖W^1259‖₂ = 10^64.34.
    let jordan = Jordan {
        rho: 0.95,
        c: core[[0, 1]],
        block: 64,
    };
    let longer = jordan_log10(&jordan, 1500);
    assert!((longer[1000] - direct).abs() < 1e-9);
    let (lag, top) = longer
        .iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |best, (k, v)| {
            if *v > best.1 { (k, *v) } else { best }
        });
    assert_eq!(lag, 1259);
    assert!((top - 64.34).abs() < 0.005, "{top}");
}

#[test]
fn readme_figures_of_the_transient_growth_preset_seed_0() {
    let r = reset(Some("transient-growth"), &[], 0);
    let p = peaks(&r);
    assert!(
        (p.g - 17.55).abs() < 0.005 && p.g_lag == 11.0,
        "{} at {}",
        p.g,
        p.g_lag
    );
    assert!((p.worst - 39.71).abs() < 0.005 && p.worst_lag == 13.0);
    assert!(
        (p.final_ratio / 4.747e-47 - 1.0).abs() < 1e-3,
        "{}",
        p.final_ratio
    );
    // ρ(W)^k is the asymptotic rate, not a bound: at k = 200 the ratio is 10^13.9 (this g)
    // and 10^14.5 (the worst direction) above 0.5^200.
    let above = |log10: f64| log10 - 200.0 * 0.5f64.log10();
    assert!((above(r.num("log10_final_ratio")) - 13.9).abs() < 0.05);
    assert!((above(r.num("log10_worst_final")) - 14.5).abs() < 0.05);
    let radius = r.series("bound_radius");
    assert!(r.series("grad_norm")[200] > 1e13 * radius[200]);
}
