//! rnn — gradient propagation through a recurrent net against the spectral norm of W_z.
//!
//! Model: `z_{t+1} = σ(W_z z_t)` with no input, `z_0 ~ N(0, z0_scale² I)`, loss `l = gᵀ z_T`
//! for a fixed random unit vector `g`. Backpropagation gives
//! `∂l/∂z_t = W_zᵀ diag(σ'(a_{t+1})) ∂l/∂z_{t+1}` with `a_{t+1} = W_z z_t`, so the gradient
//! ratio after k steps is bounded by `(γ‖W_z‖₂)^k`, γ = sup|σ'|. Beside this g's ratio the lab
//! computes the worst direction's, ‖(W_zᵀ)^k‖₂ (the norm of the product of the step
//! Jacobians for a nonlinear σ), which g only reaches when it happens to align with it.
//!
//! `reset` builds W_z and computes the main propagation and the worst direction at once; each
//! `step` then computes one column of the heatmap (the same seed's W_z rescaled to spectral
//! norms 0.5 … 1.5).

mod matrices;
mod propagate;
mod worst;

pub use matrices::{Family, Init, Jordan, Operator, jordan_core};
pub use propagate::{Activation, Propagation, propagate};
pub use worst::{jordan_log10, power_log10, worst_log10};

use super::{Lab, LabAction, LabDescriptor, LabFns, Lesson, MapAxis, MapPreset, Preset};
use crate::linalg;
use crate::params::{ParamError, lab_config};
use crate::report::Report;
use crate::rng::rng;
use ndarray::{Array1, ArrayView1, ArrayView2};
use rand::RngExt;
use rand_distr::StandardNormal;
use strum::VariantNames;

lab_config! {
    /// The rnn lab's parameters.
    pub struct Config {
        hidden: usize = int(32, 2, 256, "p, the size of the hidden state z"),
        horizon: usize = int(100, 1, 1000, "T, the number of steps backpropagated through"),
        spectral_norm: f64 = float(1.0, 0.05, 3.0, 0.01, "target ‖W_z‖₂ (the largest singular value)"),
        spectral_radius: f64 = float(0.9, 0.0, 3.0, 0.01, "target ρ(W_z) for init=nonnormal (capped at spectral_norm)"),
        block: usize = int(8, 2, 64, "Jordan block length b for init=nonnormal: longer blocks grow more before they decay"),
        init: Init = choice(Init::VARIANTS, "W_z = s·Q (Haar Q) | Gaussian scaled to ‖W‖₂=s | Q(ρI+cN)Qᵀ, N Jordan shifts"),
        activation: Activation = choice(Activation::VARIANTS, "σ; its γ = sup|σ'| is 1, 1, 1, 1/4"),
        z0_scale: f64 = log(1.0, 1e-3, 100.0, "standard deviation of the initial state z_0"),
    }
}

/// The heatmap's columns: spectral norms 0.5, 0.525, …, 1.5.
const HEAT_COLUMNS: usize = 41;
const HEAT_FROM: f64 = 0.5;
const HEAT_TO: f64 = 1.5;

fn heat_norm(j: usize) -> f64 {
    HEAT_FROM + (HEAT_TO - HEAT_FROM) * j as f64 / (HEAT_COLUMNS - 1) as f64
}

const PRESETS: &[Preset] = &[
    Preset {
        name: "exact-power",
        help: "orthogonal W = 1.1·Q, linear σ: every g's ratio is exactly 1.1^k (13780.6 at T = 100)",
        sets: &[
            ("init", "orthogonal"),
            ("activation", "linear"),
            ("spectral_norm", "1.1"),
        ],
        pace: None,
    },
    Preset {
        name: "transient-growth",
        help: "non-normal W, ‖W‖₂ = 1.5 > 1 > ρ = 0.5: the worst direction grows 39.7× by k = 13, a random g 7.2–21.3× (seeds 0–9), then both vanish like 0.5^k",
        sets: &[
            ("init", "nonnormal"),
            ("spectral_norm", "1.5"),
            ("spectral_radius", "0.5"),
            ("block", "8"),
            ("horizon", "200"),
        ],
        pace: None,
    },
    Preset {
        name: "tanh-vanishing",
        help: "tanh at ‖W‖₂ = 1: the same bound as linear (γ = 1), yet every direction shrinks below 0.17× by T = 100 (g below 0.1×; seeds 0–9)",
        sets: &[
            ("activation", "tanh"),
            ("spectral_norm", "1"),
            ("z0_scale", "2"),
        ],
        pace: None,
    },
    Preset {
        name: "sigmoid-cap",
        help: "sigmoid at ‖W‖₂ = 3: γ‖W‖₂ = 0.75 < 1, so every direction must vanish, at least like 0.75^k",
        sets: &[("activation", "sigmoid"), ("spectral_norm", "3")],
        pace: None,
    },
];

/// The claims counted over seeds by `S` and `run --seeds`.
const LESSONS: &[Lesson] = &[
    Lesson {
        label: "g grows first",
        key: "peak_lag",
        pass: |k| k > 0.0,
    },
    Lesson {
        label: "vanishes by T (< 0.1)",
        key: "final_ratio",
        pass: |r| r < 0.1,
    },
];

/// Its telling maps (`gradscope sweep rnn --map NAME`, the TUI's `a`).
#[rustfmt::skip]
const MAPS: &[MapPreset] = &[MapPreset {
        name: "worst-growth",
        teaches: "a non-normal W_z, linear σ: the worst direction's gradient grows (peak ratio > 1) exactly where ‖W‖₂ > 1, at every ρ(W) — ρ < 1 says only that it vanishes in the end; where ρ ≥ 1 too, the peak is far higher",
        sets: &[("init", "nonnormal")],
        x: MapAxis { param: "spectral_norm", from: 0.5, to: 2.0, log: false },
        y: MapAxis { param: "spectral_radius", from: 0.0, to: 1.5, log: false },
        metric: "log10_worst_peak_ratio",
        points: 21,
        steps: None,
    }];

pub static DESCRIPTOR: LabDescriptor = LabDescriptor {
    name: "rnn",
    title: "RNN gradient propagation",
    specs: SPECS,
    explain: EXPLAIN,
    sweep_metric: "log10_final_ratio",
    sweep_steps: Some(0),
    default_steps: HEAT_COLUMNS as u64,
    steps_per_second: 10.0,
    presets: PRESETS,
    maps: MAPS,
    lessons: LESSONS,
    actions: &[] as &[LabAction],
    fns: LabFns::of::<RnnLab>(),
};

/// The rnn lab's run: W_z, z_0, g, the propagation along them and the heatmap so far.
pub struct RnnLab {
    family: Family,
    z0: Array1<f64>,
    g: Array1<f64>,
    op: Operator,
    main: Propagation,
    /// log10 ‖(W_zᵀ)^k‖₂ (or of the Jacobian product), k = 0..=T.
    worst: Vec<f64>,
    norm: f64,
    radius: f64,
    heat: Vec<Vec<f64>>,
}

impl RnnLab {
    /// The current W_z (formed from its factors when it has them).
    pub fn w(&self) -> ndarray::Array2<f64> {
        self.op.matrix()
    }

    /// The initial state and the loss direction of the current run.
    pub fn z0_and_g(&self) -> (ArrayView1<'_, f64>, ArrayView1<'_, f64>) {
        (self.z0.view(), self.g.view())
    }
}

/// The regime from log10 of the final gradient ratio: vanishing below −1 (the gradient
/// shrank more than tenfold), exploding above +1, neutral between.
pub fn regime(log10_ratio: f64) -> &'static str {
    if log10_ratio < -1.0 {
        "vanishing"
    } else if log10_ratio > 1.0 {
        "exploding"
    } else {
        "neutral"
    }
}

/// The lag, log10 and value of a series' peak, from its log10 values, which stay exact where
/// the ratio overflows (NaN lag and value for an empty series).
fn peak_of(log10: &[f64]) -> (f64, f64, f64) {
    let (lag, top) = log10.iter().copied().enumerate().fold(
        (f64::NAN, f64::NEG_INFINITY),
        |(k0, best), (k, v)| {
            if v > best { (k as f64, v) } else { (k0, best) }
        },
    );
    let value = if lag.is_nan() {
        f64::NAN
    } else {
        10f64.powf(top)
    };
    (lag, top, value)
}

/// Spectral norm and radius of a matrix (NaN if the decomposition fails).
fn norm_and_radius(m: ArrayView2<f64>) -> (f64, f64) {
    (
        linalg::spectral_norm(m).unwrap_or(f64::NAN),
        linalg::spectral_radius(m).unwrap_or(f64::NAN),
    )
}

impl Lab for RnnLab {
    type Config = Config;

    /// `spectral_radius` and `block` only shape the non-normal matrix.
    fn inactive(c: &Config) -> Vec<&'static str> {
        if c.init == Init::Nonnormal {
            Vec::new()
        } else {
            vec!["spectral_radius", "block"]
        }
    }

    fn reset(c: &Config, seed: u64) -> Result<RnnLab, ParamError> {
        let (act, p) = (c.activation, c.hidden);
        let family = Family::new(c.init, p, c.spectral_radius, c.block, &mut rng(seed, 0));
        let mut r = rng(seed, 1);
        let z0 =
            Array1::from_shape_simple_fn(p, || c.z0_scale * r.sample::<f64, _>(StandardNormal));
        let mut r = rng(seed, 2);
        let g = Array1::from_shape_simple_fn(p, || r.sample::<f64, _>(StandardNormal));
        let g = &g / g.dot(&g).sqrt();
        let op = family.operator(c.spectral_norm);
        let (norm, radius) = norm_and_radius(op.spectral_matrix().view());
        let main = op.propagate(act, z0.view(), g.view(), c.horizon);
        let worst = match (&family, act) {
            (Family::Orthogonal(_), Activation::Linear) => power_log10(c.spectral_norm, c.horizon),
            _ => worst_log10(&op, act, &main.slopes, c.horizon),
        };
        Ok(RnnLab {
            family,
            z0,
            g,
            op,
            main,
            worst,
            norm,
            radius,
            heat: Vec::new(),
        })
    }

    fn step(&mut self, c: &Config, _step: u64) {
        let j = self.heat.len();
        if j >= HEAT_COLUMNS {
            return;
        }
        let prop = self.family.operator(heat_norm(j)).propagate(
            c.activation,
            self.z0.view(),
            self.g.view(),
            c.horizon,
        );
        self.heat.push(prop.log10_ratio);
    }

    fn done(&self) -> bool {
        self.heat.len() >= HEAT_COLUMNS
    }

    fn report(&self, c: &Config, r: &mut Report) {
        let horizon = c.horizon;
        let gamma = c.activation.gamma();
        let m = &self.main;
        let (grad_norm, log10, contrib) = (
            m.grad_norm.clone(),
            m.log10_ratio.clone(),
            m.grad_w_contrib.clone(),
        );
        let log10_final = log10.last().copied().unwrap_or(f64::NAN);
        let final_ratio = grad_norm.last().copied().unwrap_or(f64::NAN);
        let (peak_lag, peak_log10, peak) = peak_of(&log10);
        let (worst_lag, worst_log10, worst_peak) = peak_of(&self.worst);
        let powers = |base: f64| (0..=horizon).map(|k| base.powi(k as i32)).collect();
        r.set_series("grad_norm", grad_norm);
        r.set_series("bound_norm", powers(gamma * self.norm));
        r.set_series("bound_radius", powers(self.radius));
        r.set_series("grad_w_contrib", contrib);
        r.set_series(
            "worst_norm",
            self.worst.iter().map(|l| 10f64.powf(*l)).collect(),
        );
        r.set_series("log10_worst_norm", self.worst.clone());
        r.set_series(
            "heatmap_spectral_norm",
            (0..self.heat.len()).map(heat_norm).collect(),
        );
        r.set_series("heatmap_axis", (0..HEAT_COLUMNS).map(heat_norm).collect());
        r.set_series("heatmap_log10", self.heat.concat());
        r.set_summary("heatmap_rows", (horizon + 1) as f64);
        r.set_summary("heatmap_cols", HEAT_COLUMNS as f64);
        r.set_summary("spectral_norm", self.norm);
        r.set_summary("spectral_radius", self.radius);
        r.set_summary("gamma", gamma);
        r.set_summary("final_ratio", final_ratio);
        r.set_summary("log10_final_ratio", log10_final);
        r.set_summary("peak_ratio", peak);
        r.set_summary("log10_peak_ratio", peak_log10);
        r.set_summary("peak_lag", peak_lag);
        r.set_summary("worst_peak_ratio", worst_peak);
        r.set_summary("log10_worst_peak_ratio", worst_log10);
        r.set_summary("worst_peak_lag", worst_lag);
        r.set_summary(
            "log10_worst_final",
            self.worst.last().copied().unwrap_or(f64::NAN),
        );
        r.set_summary("regime", regime(log10_final));
    }
}

pub const EXPLAIN: &str = "\
Gradient propagation in a recurrent net
  z_{t+1} = σ(W_z z_t),  loss l = gᵀ z_T,  backpropagated through T steps.

Backprop multiplies by one Jacobian per step:
  ∂l/∂z_t = W_zᵀ diag(σ'(a_{t+1})) ∂l/∂z_{t+1}
so  ‖∂l/∂z_{T−k}‖ ≤ (γ ‖W_z‖₂)^k ‖∂l/∂z_T‖,  γ = sup|σ'| (1 for linear, tanh
and ReLU; 1/4 for sigmoid). The chart shows this g's ratio under the worst
direction's, ‖(W_zᵀ)^k‖₂, the largest ratio over every g (with a nonlinear
σ: the norm of the product of the step Jacobians along this run), against
that bound and against ρ(W_z)^k — the asymptotic rate (‖W^k‖^{1/k} → ρ as
k → ∞), not a bound.

What to notice
• ρ(W_z) < 1 gives vanishing as T → ∞ (linear net): ‖W^k‖ → 0 like ρ^k times
  a polynomial in k. Within a finite horizon it can grow enormously first:
  ρ = 0.95, ‖W‖₂ = 1.5, one Jordan block of 64 (hidden 64) grows 10^63.6-fold
  by T = 1000 in the worst direction (a random g: 10^62–10^63).
• ‖W_z‖₂ > 1 is necessary, not sufficient, for growth: with γ‖W‖₂ ≤ 1
  nothing can grow, but a norm above 1 does not make it grow. A non-normal
  W with ρ < 1 < ‖W‖₂ (init=nonnormal, Jordan blocks of length b) grows
  for a while — more the longer the blocks — then decays like ρ^k.
• Orthogonal W = s·Q with a linear σ gives exactly s^k for every g: the
  phase boundary is s = 1 (the heatmap's white column; press s to sweep
  spectral_norm).
• Saturating activations cap the bound (γ = 1 for tanh, 1/4 for sigmoid)
  but make vanishing worse, never better: σ' ≤ γ only shrinks the product.
• Remedies are gating (LSTM), orthogonal or identity initialisation and
  skip connections — not adding a small constant to the gradient.";
