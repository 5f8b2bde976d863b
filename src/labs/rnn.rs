//! rnn — gradient propagation through a recurrent net against the spectral norm of W_z.
//!
//! Model (DESIGN §3): `z_{t+1} = σ(W_z z_t)` with no input, `z_0 ~ N(0, z0_scale² I)`, loss
//! `l = gᵀ z_T` for a fixed random unit vector `g`. Backpropagation gives
//! `∂l/∂z_t = W_zᵀ diag(σ'(a_{t+1})) ∂l/∂z_{t+1}` with `a_{t+1} = W_z z_t`, so the gradient
//! ratio after k steps is bounded by `(γ‖W_z‖₂)^k`, γ = sup|σ'|.
//!
//! `reset` builds W_z and computes the main propagation at once; each `step` then computes
//! one column of the heatmap (the same seed's W_z rescaled to spectral norms 0.5 … 1.5).

use super::{Applied, Lab, LabId};
use crate::linalg;
use crate::params::{Kind, ParamError, ParamSet, ParamSpec, Scale, Value};
use crate::report::Report;
use crate::rng::{LabRng, rng};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rand::RngExt;
use rand_distr::StandardNormal;

pub const SPECS: &[ParamSpec] = &[
    ParamSpec {
        name: "hidden",
        kind: Kind::Int {
            default: 32,
            min: 2,
            max: 256,
            scale: Scale::Lin,
        },
        help: "p, the size of the hidden state z",
    },
    ParamSpec {
        name: "horizon",
        kind: Kind::Int {
            default: 100,
            min: 1,
            max: 1000,
            scale: Scale::Lin,
        },
        help: "T, the number of steps backpropagated through",
    },
    ParamSpec {
        name: "spectral_norm",
        kind: Kind::Float {
            default: 1.0,
            min: 0.05,
            max: 3.0,
            scale: Scale::Lin,
            step: 0.01,
        },
        help: "target ‖W_z‖₂ (the largest singular value)",
    },
    ParamSpec {
        name: "spectral_radius",
        kind: Kind::Float {
            default: 0.9,
            min: 0.0,
            max: 3.0,
            scale: Scale::Lin,
            step: 0.01,
        },
        help: "target ρ(W_z) for init=nonnormal (capped at spectral_norm)",
    },
    ParamSpec {
        name: "init",
        kind: Kind::Choice {
            default: "orthogonal",
            choices: &["orthogonal", "gaussian", "nonnormal"],
        },
        help: "W_z = s·Q (Haar Q) | Gaussian scaled to ‖W‖₂=s | Q(ρI+cN)Qᵀ, N a nilpotent shift",
    },
    ParamSpec {
        name: "activation",
        kind: Kind::Choice {
            default: "linear",
            choices: &["linear", "tanh", "relu", "sigmoid"],
        },
        help: "σ; its γ = sup|σ'| is 1, 1, 1, 1/4",
    },
    ParamSpec {
        name: "z0_scale",
        kind: Kind::Float {
            default: 1.0,
            min: 1e-3,
            max: 100.0,
            scale: Scale::Log,
            step: 0.1,
        },
        help: "standard deviation of the initial state z_0",
    },
];

/// The spectral norms of the heatmap columns: 0.5, 0.525, …, 1.5.
pub const HEAT_COLUMNS: usize = 41;
pub const HEAT_FROM: f64 = 0.5;
pub const HEAT_TO: f64 = 1.5;

pub fn heat_norm(j: usize) -> f64 {
    HEAT_FROM + (HEAT_TO - HEAT_FROM) * j as f64 / (HEAT_COLUMNS - 1) as f64
}

/// The nonlinearity σ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    Linear,
    Tanh,
    Relu,
    Sigmoid,
}

impl Activation {
    pub fn parse(name: &str) -> Activation {
        match name {
            "tanh" => Activation::Tanh,
            "relu" => Activation::Relu,
            "sigmoid" => Activation::Sigmoid,
            _ => Activation::Linear,
        }
    }

    pub fn apply(self, a: f64) -> f64 {
        match self {
            Activation::Linear => a,
            Activation::Tanh => a.tanh(),
            Activation::Relu => a.max(0.0),
            Activation::Sigmoid => 1.0 / (1.0 + (-a).exp()),
        }
    }

    /// σ'(a).
    pub fn derivative(self, a: f64) -> f64 {
        match self {
            Activation::Linear => 1.0,
            Activation::Tanh => 1.0 - a.tanh().powi(2),
            Activation::Relu => {
                if a > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::Sigmoid => {
                let s = 1.0 / (1.0 + (-a).exp());
                s * (1.0 - s)
            }
        }
    }

    /// γ = sup|σ'|.
    pub fn gamma(self) -> f64 {
        match self {
            Activation::Sigmoid => 0.25,
            _ => 1.0,
        }
    }
}

/// What one forward and backward pass gives.
#[derive(Clone, Debug, PartialEq)]
pub struct Propagation {
    /// `‖∂l/∂z_{T−k}‖ / ‖∂l/∂z_T‖`, k = 0..=T (+∞ beyond the f64 range, never NaN).
    pub grad_norm: Vec<f64>,
    /// log10 of `grad_norm`, exact even where the ratio itself overflows.
    pub log10_ratio: Vec<f64>,
    /// `‖(σ'(a_{t+1}) ⊙ ∂l/∂z_{t+1}) z_tᵀ‖_F`, the contribution of step t to ∂l/∂W_z.
    pub grad_w_contrib: Vec<f64>,
    /// The loss `gᵀ z_T`.
    pub loss: f64,
    /// ∂l/∂W_z, the sum of the contributions.
    pub grad_w: Array2<f64>,
}

/// `v / ‖v‖` and `ln ‖v‖` (a zero vector stays zero, with log −∞).
fn normalise(v: Array1<f64>) -> (Array1<f64>, f64) {
    let n = v.dot(&v).sqrt();
    if n > 0.0 && n.is_finite() {
        (v / n, n.ln())
    } else {
        (v, n.ln())
    }
}

/// Forward `horizon` steps from z0, then backpropagate `g`.
///
/// Vectors are carried as a unit direction times `exp(log scale)`, renormalised every step,
/// so a ratio of 3^1000 is a log10 of 477 rather than an overflow into inf − inf = NaN. The
/// forward state is rescaled only for positively homogeneous σ (linear, ReLU), where σ' does
/// not depend on the scale; tanh and sigmoid keep z bounded by themselves.
pub fn propagate(
    w: ArrayView2<f64>,
    act: Activation,
    z0: ArrayView1<f64>,
    g: ArrayView1<f64>,
    horizon: usize,
) -> Propagation {
    let p = z0.len();
    let homogeneous = matches!(act, Activation::Linear | Activation::Relu);
    // z_t = exp(log_z[t]) · zs[t]; slopes[t] = σ'(a_{t+1}).
    let mut zs: Vec<Array1<f64>> = Vec::with_capacity(horizon + 1);
    let mut log_z: Vec<f64> = Vec::with_capacity(horizon + 1);
    let mut slopes: Vec<Array1<f64>> = Vec::with_capacity(horizon);
    let (z, lz) = if homogeneous {
        normalise(z0.to_owned())
    } else {
        (z0.to_owned(), 0.0)
    };
    zs.push(z);
    log_z.push(lz);
    for t in 0..horizon {
        let a = w.dot(&zs[t]);
        slopes.push(a.mapv(|x| act.derivative(x)));
        let next = a.mapv(|x| act.apply(x));
        if homogeneous {
            let (z, l) = normalise(next);
            zs.push(z);
            log_z.push(log_z[t] + l);
        } else {
            zs.push(next);
            log_z.push(0.0);
        }
    }
    let loss = log_z[horizon].exp() * g.dot(&zs[horizon]);

    // δ_t = exp(log_d) · d, with δ_T = g.
    let (mut d, mut log_d) = normalise(g.to_owned());
    let log_d_top = log_d;
    let mut log10_ratio = Vec::with_capacity(horizon + 1);
    let mut contrib = vec![0.0; horizon];
    let mut grad_w = Array2::<f64>::zeros((p, p));
    log10_ratio.push(0.0);
    for t in (0..horizon).rev() {
        // u = σ'(a_{t+1}) ⊙ δ_{t+1}; ∂l/∂W += u z_tᵀ; δ_t = Wᵀ u.
        let u = &slopes[t] * &d;
        let scale = log_d + log_z[t];
        contrib[t] = (scale + u.dot(&u).sqrt().ln() + zs[t].dot(&zs[t]).sqrt().ln()).exp();
        grad_w.scaled_add(scale.exp(), &outer(u.view(), zs[t].view()));
        let (next, l) = normalise(w.t().dot(&u));
        d = next;
        log_d += l;
        log10_ratio.push((log_d - log_d_top) / std::f64::consts::LN_10);
    }
    Propagation {
        grad_norm: log10_ratio.iter().map(|l| 10f64.powf(*l)).collect(),
        log10_ratio,
        grad_w_contrib: contrib,
        loss,
        grad_w,
    }
}

fn outer(a: ArrayView1<f64>, b: ArrayView1<f64>) -> Array2<f64> {
    Array2::from_shape_fn((a.len(), b.len()), |(i, j)| a[i] * b[j])
}

/// How W_z depends on its target spectral norm s, fixed by the seed.
#[derive(Clone, Debug)]
enum Family {
    /// W = s·Q.
    Orthogonal(Array2<f64>),
    /// W = s·G/‖G‖₂.
    Gaussian(Array2<f64>),
    /// W = Q(ρI + cN)Qᵀ with c such that ‖W‖₂ = s (ρ capped at s; see [`nonnormal_core`]).
    NonNormal { q: Array2<f64>, rho: f64 },
}

impl Family {
    fn new(init: &str, p: usize, rho: f64, rng: &mut LabRng) -> Family {
        match init {
            "gaussian" => {
                let g = linalg::gaussian(p, p, rng);
                let norm = linalg::spectral_norm(g.view()).unwrap_or(1.0);
                Family::Gaussian(g / norm)
            }
            "nonnormal" => Family::NonNormal {
                q: linalg::haar_orthogonal(p, rng),
                rho,
            },
            _ => Family::Orthogonal(linalg::haar_orthogonal(p, rng)),
        }
    }

    fn matrix(&self, s: f64) -> Array2<f64> {
        match self {
            Family::Orthogonal(q) => q * s,
            Family::Gaussian(g) => g * s,
            Family::NonNormal { q, rho } => {
                let core = nonnormal_core(q.nrows(), *rho, s);
                q.dot(&core).dot(&q.t())
            }
        }
    }
}

/// `ρI + cN` with N the nilpotent shift inside 2×2 blocks (ones at (2i, 2i+1); N² = 0) and
/// c ≥ 0 chosen so the spectral norm is s. A 2×2 block [[ρ, c], [0, ρ]] has largest
/// singular value (c + √(c² + 4ρ²))/2, which equals s for c = (s² − ρ²)/s.
///
/// Why not one p×p Jordan block: its eigenvalues are so ill-conditioned that rounding alone
/// (ε ≈ 1e-16) moves them by about (ε c^{p−1})^{1/p} ≈ 0.2 at p = 32, so the computed W would
/// not have ρ < 1 and nothing would ever decay in floating point.
pub fn nonnormal_core(p: usize, rho: f64, s: f64) -> Array2<f64> {
    let rho = rho.min(s);
    let c = if p < 2 || s <= rho {
        0.0
    } else {
        (s * s - rho * rho) / s
    };
    Array2::from_shape_fn((p, p), |(i, j)| {
        if i == j {
            rho
        } else if j == i + 1 && i % 2 == 0 {
            c
        } else {
            0.0
        }
    })
}

/// The rnn lab.
pub struct RnnLab {
    params: ParamSet,
    seed: u64,
    run_length: u64,
    steps: u64,
    family: Option<Family>,
    z0: Array1<f64>,
    g: Array1<f64>,
    w: Array2<f64>,
    main: Option<Propagation>,
    norm: f64,
    radius: f64,
    heat: Vec<Vec<f64>>,
}

impl Default for RnnLab {
    fn default() -> Self {
        Self::new()
    }
}

impl RnnLab {
    pub fn new() -> Self {
        Self {
            params: ParamSet::new("rnn", SPECS),
            seed: 0,
            run_length: HEAT_COLUMNS as u64,
            steps: 0,
            family: None,
            z0: Array1::zeros(0),
            g: Array1::zeros(0),
            w: Array2::zeros((0, 0)),
            main: None,
            norm: f64::NAN,
            radius: f64::NAN,
            heat: Vec::new(),
        }
    }

    /// The current W_z.
    pub fn w(&self) -> ArrayView2<'_, f64> {
        self.w.view()
    }

    /// The initial state and the loss direction of the current run.
    pub fn z0_and_g(&self) -> (ArrayView1<'_, f64>, ArrayView1<'_, f64>) {
        (self.z0.view(), self.g.view())
    }

    pub fn activation(&self) -> Activation {
        Activation::parse(self.params.text("activation"))
    }

    fn horizon(&self) -> usize {
        self.params.usize("horizon")
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

impl Lab for RnnLab {
    fn id(&self) -> LabId {
        LabId::Rnn
    }

    fn params(&self) -> &ParamSet {
        &self.params
    }

    fn set(&mut self, name: &str, value: Value) -> Result<Applied, ParamError> {
        self.params.set(name, value)?;
        Ok(Applied::Restart)
    }

    fn reset(&mut self, seed: u64) -> Result<(), ParamError> {
        self.seed = seed;
        self.steps = 0;
        self.heat.clear();
        let p = self.params.usize("hidden");
        let family = Family::new(
            self.params.text("init"),
            p,
            self.params.f64("spectral_radius"),
            &mut rng(seed, 0),
        );
        let z0_scale = self.params.f64("z0_scale");
        let mut r = rng(seed, 1);
        self.z0 = Array1::from_shape_simple_fn(p, || z0_scale * r.sample::<f64, _>(StandardNormal));
        let mut r = rng(seed, 2);
        let g = Array1::from_shape_simple_fn(p, || r.sample::<f64, _>(StandardNormal));
        self.g = &g / g.dot(&g).sqrt();
        self.w = family.matrix(self.params.f64("spectral_norm"));
        self.norm = linalg::spectral_norm(self.w.view()).unwrap_or(f64::NAN);
        self.radius = linalg::spectral_radius(self.w.view()).unwrap_or(f64::NAN);
        self.main = Some(propagate(
            self.w.view(),
            self.activation(),
            self.z0.view(),
            self.g.view(),
            self.horizon(),
        ));
        self.family = Some(family);
        Ok(())
    }

    fn step(&mut self) {
        let j = self.heat.len();
        let Some(family) = &self.family else { return };
        if j >= HEAT_COLUMNS {
            return;
        }
        let w = family.matrix(heat_norm(j));
        let prop = propagate(
            w.view(),
            self.activation(),
            self.z0.view(),
            self.g.view(),
            self.horizon(),
        );
        self.heat.push(prop.log10_ratio);
        self.steps += 1;
    }

    fn done(&self) -> bool {
        self.steps >= self.run_length.min(HEAT_COLUMNS as u64)
    }

    fn steps(&self) -> u64 {
        self.steps
    }

    fn run_length(&self) -> u64 {
        self.run_length.min(HEAT_COLUMNS as u64)
    }

    fn set_run_length(&mut self, steps: u64) {
        self.run_length = steps;
    }

    fn report(&self) -> Report {
        let mut r = Report::new("rnn", self.seed, self.steps, self.params.to_map());
        let horizon = self.horizon();
        let gamma = self.activation().gamma();
        let (grad_norm, contrib, log10_final) = match &self.main {
            Some(m) => (
                m.grad_norm.clone(),
                m.grad_w_contrib.clone(),
                m.log10_ratio.last().copied().unwrap_or(f64::NAN),
            ),
            None => (Vec::new(), Vec::new(), f64::NAN),
        };
        let final_ratio = grad_norm.last().copied().unwrap_or(f64::NAN);
        let peak = grad_norm.iter().copied().fold(f64::NAN, f64::max);
        let peak_lag = grad_norm
            .iter()
            .position(|x| *x == peak)
            .map_or(f64::NAN, |k| k as f64);
        let powers = |base: f64| (0..=horizon).map(|k| base.powi(k as i32)).collect();
        r.set_series("grad_norm", grad_norm);
        r.set_series("bound_norm", powers(gamma * self.norm));
        r.set_series("bound_radius", powers(self.radius));
        r.set_series("grad_w_contrib", contrib);
        r.set_series(
            "heatmap_spectral_norm",
            (0..self.heat.len()).map(heat_norm).collect(),
        );
        r.set_series("heatmap_log10", self.heat.concat());
        r.set_summary("spectral_norm", self.norm);
        r.set_summary("spectral_radius", self.radius);
        r.set_summary("gamma", gamma);
        r.set_summary("final_ratio", final_ratio);
        r.set_summary("log10_final_ratio", log10_final);
        r.set_summary("peak_ratio", peak);
        r.set_summary("peak_lag", peak_lag);
        r.set_summary("regime", regime(log10_final));
        r
    }
}

pub const EXPLAIN: &str = "\
Gradient propagation in a recurrent net
  z_{t+1} = σ(W_z z_t),  loss l = gᵀ z_T,  backpropagated through T steps.

Backprop multiplies by one Jacobian per step:
  ∂l/∂z_t = W_zᵀ diag(σ'(a_{t+1})) ∂l/∂z_{t+1}
so  ‖∂l/∂z_{T−k}‖ ≤ (γ ‖W_z‖₂)^k ‖∂l/∂z_T‖,  γ = sup|σ'| (1 for linear, tanh
and ReLU; 1/4 for sigmoid). The chart shows the ratio against this bound
and against ρ(W_z)^k.

What to notice
• ρ(W_z) < 1 is sufficient for vanishing (linear net): ‖W^k‖ → 0 like ρ^k.
• ‖W_z‖₂ > 1 is necessary, not sufficient, for exploding: with γ‖W‖₂ ≤ 1
  nothing can grow, but a norm above 1 does not make it grow. A non-normal
  W with ρ < 1 < ‖W‖₂ (init=nonnormal) grows for a while, then decays.
• Orthogonal W = s·Q with a linear σ gives exactly s^k: the phase boundary
  is s = 1 (the heatmap's white column; press s to sweep spectral_norm).
• Saturating activations cap the bound (γ = 1 for tanh, 1/4 for sigmoid)
  but make vanishing worse, never better: σ' ≤ γ only shrinks the product.
• Remedies are gating (LSTM), orthogonal or identity initialisation and
  skip connections — not adding a small constant to the gradient.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonnormal_core_hits_its_targets() {
        let core = nonnormal_core(16, 0.9, 1.5);
        let n = linalg::spectral_norm(core.view()).unwrap();
        let r = linalg::spectral_radius(core.view()).unwrap();
        assert!((n - 1.5).abs() < 1e-10, "{n}");
        assert!((r - 0.9).abs() < 1e-6, "{r}");
        let odd = nonnormal_core(5, 0.5, 0.8);
        assert!((linalg::spectral_norm(odd.view()).unwrap() - 0.8).abs() < 1e-12);
        // s below ρ: ρ is capped at s and W is s·I.
        let capped = nonnormal_core(4, 0.9, 0.6);
        assert!((linalg::spectral_radius(capped.view()).unwrap() - 0.6).abs() < 1e-12);
    }

    #[test]
    fn derivatives_match_finite_differences() {
        for act in [Activation::Tanh, Activation::Sigmoid, Activation::Linear] {
            for a in [-2.0, -0.3, 0.7, 3.0] {
                let h = 1e-6;
                let fd = (act.apply(a + h) - act.apply(a - h)) / (2.0 * h);
                assert!((fd - act.derivative(a)).abs() < 1e-8);
                assert!(act.derivative(a) <= act.gamma() + 1e-15);
            }
        }
    }
}
