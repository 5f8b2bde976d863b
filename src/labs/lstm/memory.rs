//! The memory task of the lstm lab: recall the first symbol of a sequence after `horizon`
//! steps of distractors, and the three learners trained on it in lockstep (same batches).
//!
//! A sequence is `horizon + 1` steps of one-hot symbols from an alphabet of [`SYMBOLS`],
//! with one extra marker channel that is 1 on the first step only; the label is the first
//! symbol, read out from the last state. Every later symbol is a uniform random distractor,
//! so nothing but the first step carries the answer and chance is 1/[`SYMBOLS`].

use crate::nn::sequence::{SeqModel, Target};
use crate::nn::{Adam, CellKind, Module, Recurrent, Sgd};
use crate::rng::LabRng;
use ndarray::Array3;
use rand::RngExt;

/// The shape of the task.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Task {
    /// The alphabet's size: chance accuracy is 1/symbols.
    pub symbols: usize,
    /// The value of a hot input channel.
    pub amplitude: f64,
    /// The probability that a distractor step is blank (all zeros) rather than a symbol.
    pub blank: f64,
}

impl Task {
    /// Input channels: the one-hot symbol and the first-step marker.
    pub fn input(&self) -> usize {
        self.symbols + 1
    }
}

/// The lab's task.
pub const TASK: Task = Task {
    symbols: 4,
    amplitude: 1.0,
    blank: 0.0,
};
/// The alphabet's size: chance accuracy is 1/SYMBOLS.
pub const SYMBOLS: usize = TASK.symbols;
/// Input channels: the one-hot symbol and the first-step marker.
pub const INPUT: usize = SYMBOLS + 1;

/// A batch of `n` sequences of `steps` steps (the first one marked) and their labels.
pub fn batch_of(task: Task, steps: usize, n: usize, rng: &mut LabRng) -> (Array3<f64>, Vec<usize>) {
    let k = task.symbols;
    let a = task.amplitude;
    let mut x = Array3::zeros((steps, n, k + 1));
    let mut labels = Vec::with_capacity(n);
    for s in 0..n {
        let first = rng.random_range(0..k);
        labels.push(first);
        x[[0, s, first]] = a;
        x[[0, s, k]] = a;
        for t in 1..steps {
            let sym = rng.random_range(0..k);
            if task.blank == 0.0 || rng.random::<f64>() >= task.blank {
                x[[t, s, sym]] = a;
            }
        }
    }
    (x, labels)
}

/// A batch of the lab's task.
pub fn batch(steps: usize, n: usize, rng: &mut LabRng) -> (Array3<f64>, Vec<usize>) {
    batch_of(TASK, steps, n, rng)
}

/// Set the LSTM's forget-gate bias: `bias_ih` of gate f to `b`, `bias_hh` of gate f to 0, so
/// a zero input and state give f = σ(b).
pub fn set_forget_bias(cell: &mut Recurrent<f64>, b: f64) {
    let h = cell.hidden_size;
    Recurrent::gate_slice(&mut cell.bias_ih, 1, h).fill(b);
    Recurrent::gate_slice(&mut cell.bias_hh, 1, h).fill(0.0);
}

/// The optimiser of every learner (the `optimizer` parameter).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, strum::EnumString, strum::VariantNames, strum::IntoStaticStr,
)]
#[strum(serialize_all = "lowercase")]
pub enum OptimizerKind {
    Adam,
    Sgd,
}

enum Optimizer {
    Adam(Adam<f64>),
    Sgd(Sgd<f64>),
}

/// One model with its optimiser. Every learner's gradient is clipped to norm `clip` (the
/// same training recipe for all); then `grad_eps` is added to every component before the
/// optimiser sees it (the proposed constant-gradient remedy; 0 for the honest learners).
pub struct MemoryLearner {
    pub model: SeqModel<f64>,
    opt: Optimizer,
    grad_eps: f64,
    /// Gradient-norm clipping threshold τ (0: none).
    clip: f64,
    /// Set once the loss or a parameter is non-finite; the learner then stops.
    pub diverged_at: Option<u64>,
}

impl MemoryLearner {
    pub fn new(
        model: SeqModel<f64>,
        kind: OptimizerKind,
        lr: f64,
        clip: f64,
        grad_eps: f64,
    ) -> Self {
        let opt = match kind {
            OptimizerKind::Adam => Optimizer::Adam(Adam::new(lr)),
            OptimizerKind::Sgd => Optimizer::Sgd(Sgd::new(lr, 0.0, 0.0, false)),
        };
        Self {
            model,
            opt,
            grad_eps,
            clip,
            diverged_at: None,
        }
    }

    /// One optimisation step on a batch; returns the batch's loss and accuracy before the
    /// update (NaN once diverged).
    pub fn train(&mut self, x: &Array3<f64>, labels: &[usize], step: u64) -> (f64, f64) {
        if self.diverged_at.is_some() {
            return (f64::NAN, f64::NAN);
        }
        let out = self
            .model
            .forward_backward(x.view(), Target::Classes(labels));
        let acc = out.correct as f64 / labels.len().max(1) as f64;
        if !out.loss.is_finite() {
            self.diverged_at = Some(step);
            return (out.loss, acc);
        }
        // Clipping bounds what one unlucky batch can do to Adam's moments: without it a
        // solved LSTM is often thrown back to chance by a single spike.
        if self.clip > 0.0 {
            crate::nn::clip::clip_grad_norm(&mut self.model, self.clip);
        }
        let eps = self.grad_eps;
        if eps != 0.0 {
            self.model.visit_params("", &mut |p| {
                p.param.grad_mut().iter_mut().for_each(|g| *g += eps);
            });
        }
        match &mut self.opt {
            Optimizer::Adam(a) => a.step(&mut self.model),
            Optimizer::Sgd(s) => s.step(&mut self.model),
        }
        (out.loss, acc)
    }
}

/// A freshly initialised model of `kind` (PyTorch's default init, and the forget bias for
/// the LSTM) from `rng`.
pub fn model(kind: CellKind, hidden: usize, forget_bias: f64, rng: &mut LabRng) -> SeqModel<f64> {
    model_for(TASK, kind, hidden, forget_bias, rng)
}

/// A model for `task`.
pub fn model_for(
    task: Task,
    kind: CellKind,
    hidden: usize,
    forget_bias: f64,
    rng: &mut LabRng,
) -> SeqModel<f64> {
    let mut m = SeqModel::new(kind, task.input(), hidden, task.symbols);
    m.init_default(rng);
    if kind == CellKind::Lstm {
        set_forget_bias(&mut m.cell, forget_bias);
    }
    m
}
