//! The long-range regression task of the clip lab, Hochreiter & Schmidhuber's adding
//! problem (used by Pascanu et al. for clipping): each step carries a value u_t ~ U(0, 1)
//! and a marker; exactly two steps are marked, one in the first half and one in the second,
//! and the target is the sum of their values. Predicting the mean (1) scores the variance
//! of the sum, 1/6: the baseline. Knowing only the second value (the recent one) scores
//! Var(u) = 1/12; going below that needs the first value, carried T/2 and more steps.
//!
//! The three learners are one tanh RNN (`hidden` units, W_hh Gaussian scaled to spectral
//! norm `init_scale`, the other weights PyTorch's default init) with a linear readout,
//! copied three times, trained with plain SGD on the same batches; they differ only in
//! what they do to the gradient.

use super::cliff::Clipping;
use crate::linalg;
use crate::nn::clip::{clip_grad_norm, clip_grad_value};
use crate::nn::sequence::{SeqModel, Target};
use crate::nn::{CellKind, Module, Sgd};
use crate::rng::LabRng;
use ndarray::Array3;
use rand::RngExt;

/// Input channels: the value and the marker.
pub const INPUT: usize = 2;
/// The loss of predicting the mean: Var(u + v) for independent U(0, 1).
pub const BASELINE: f64 = 1.0 / 6.0;
/// The loss of knowing one of the two values and predicting the mean of the other: Var(u).
/// Below it a learner carries the first marked value across the sequence.
pub const ONE_VALUE: f64 = 1.0 / 12.0;

/// A batch of `n` sequences of `steps` steps and their targets.
pub fn batch(steps: usize, n: usize, rng: &mut LabRng) -> (Array3<f64>, Vec<f64>) {
    let mut x = Array3::zeros((steps, n, INPUT));
    let mut targets = Vec::with_capacity(n);
    let half = (steps / 2).max(1);
    for s in 0..n {
        for t in 0..steps {
            x[[t, s, 0]] = rng.random::<f64>();
        }
        let first = rng.random_range(0..half);
        let second = if steps > half {
            rng.random_range(half..steps)
        } else {
            first
        };
        x[[first, s, 1]] = 1.0;
        x[[second, s, 1]] = 1.0;
        let sum = x[[first, s, 0]]
            + if second == first {
                0.0
            } else {
                x[[second, s, 0]]
            };
        targets.push(sum);
    }
    (x, targets)
}

/// The model every learner starts from.
pub fn model(hidden: usize, init_scale: f64, rng: &mut LabRng) -> SeqModel<f64> {
    let mut m = SeqModel::new(CellKind::Rnn, INPUT, hidden, 1);
    m.init_default(rng);
    let g = linalg::gaussian(hidden, hidden, rng);
    let s = linalg::spectral_norm(g.view()).unwrap_or(f64::NAN);
    let w = m.cell.weight_hh.value_mut();
    for (dst, v) in w.iter_mut().zip(g.iter()) {
        *dst = init_scale * v / s;
    }
    m
}

/// What one training step measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UpdateStats {
    pub loss: f64,
    /// ‖g‖ before clipping.
    pub grad_norm: f64,
    /// ‖θ‖ after the update.
    pub weight_norm: f64,
    /// The cosine between the update's direction and −g (1 unless clipping turned it).
    pub cosine: f64,
    /// ‖Δθ‖ = η·‖g after clipping‖: the length of the update.
    pub step: f64,
}

/// One learner: a model, its clipping, and its record.
pub struct ClipLearner {
    pub clipping: Clipping,
    pub model: SeqModel<f64>,
    sgd: Sgd<f64>,
    lr: f64,
    pub clipped: u64,
    pub steps: u64,
    pub max_grad_norm: f64,
    /// The sum of the finite update lengths ‖Δθ‖, and how many there were.
    pub step_sum: (f64, u64),
    /// The step at which the loss or a weight stopped being finite; the learner then stops.
    pub diverged_at: Option<u64>,
}

/// Every parameter gradient, flattened in visit order.
fn gradient(model: &mut SeqModel<f64>) -> Vec<f64> {
    let mut g = Vec::new();
    model.visit_params("", &mut |p| g.extend_from_slice(p.param.grad()));
    g
}

/// ‖a‖₂.
fn norm(a: &[f64]) -> f64 {
    a.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// cos∠(a, b); NaN when either is zero or not finite.
pub fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    dot / (norm(a) * norm(b))
}

/// ‖θ‖ over every parameter.
fn weight_norm(model: &mut SeqModel<f64>) -> f64 {
    let mut sq = 0.0;
    model.visit_params("", &mut |p| {
        sq += p.param.value().iter().map(|v| v * v).sum::<f64>();
    });
    sq.sqrt()
}

impl ClipLearner {
    pub fn new(clipping: Clipping, model: SeqModel<f64>, lr: f64) -> Self {
        Self {
            clipping,
            model,
            sgd: Sgd::new(lr, 0.0, 0.0, false),
            lr,
            clipped: 0,
            steps: 0,
            max_grad_norm: 0.0,
            step_sum: (0.0, 0),
            diverged_at: None,
        }
    }

    /// One SGD step on a batch with the learner's clipping at threshold `tau`. After a
    /// divergence every value is NaN.
    pub fn train(&mut self, x: &Array3<f64>, targets: &[f64], tau: f64, step: u64) -> UpdateStats {
        if self.diverged_at.is_some() {
            return UpdateStats {
                loss: f64::NAN,
                grad_norm: f64::NAN,
                weight_norm: f64::NAN,
                cosine: f64::NAN,
                step: f64::NAN,
            };
        }
        let loss = self
            .model
            .forward_backward(x.view(), Target::Values(targets))
            .loss;
        let raw = gradient(&mut self.model);
        let (grad_norm, clipped) = match self.clipping {
            Clipping::None => (crate::nn::clip::grad_norm(&mut self.model), false),
            Clipping::Norm => clip_grad_norm(&mut self.model, tau),
            Clipping::Value => {
                let norm = crate::nn::clip::grad_norm(&mut self.model);
                (norm, clip_grad_value(&mut self.model, tau))
            }
        };
        self.max_grad_norm = super::cliff::max_keeping_nan(self.max_grad_norm, grad_norm);
        self.clipped += u64::from(clipped);
        self.steps += 1;
        let (cosine, applied) = if clipped {
            let applied = gradient(&mut self.model);
            (cosine(&raw, &applied), norm(&applied))
        } else {
            (1.0, grad_norm)
        };
        let step_len = self.lr * applied;
        if step_len.is_finite() {
            self.step_sum = (self.step_sum.0 + step_len, self.step_sum.1 + 1);
        }
        if loss.is_finite() && grad_norm.is_finite() {
            self.sgd.step(&mut self.model);
        }
        let weight_norm = weight_norm(&mut self.model);
        if !(loss.is_finite() && grad_norm.is_finite() && weight_norm.is_finite()) {
            self.diverged_at = Some(step);
        }
        UpdateStats {
            loss,
            grad_norm,
            weight_norm,
            cosine,
            step: step_len,
        }
    }
}
