//! A recurrent layer read out from its last state by a linear layer, with its loss: the
//! sequence models the clip lab (regression, mean squared error) and the lstm lab
//! (classification, softmax cross-entropy) train. Starts from h_0 = c_0 = 0, as PyTorch
//! does without explicit states.

use super::{
    CellKind, CrossEntropy, Layer, Linear, LossOutput, Mode, Module, ParamRef, Real, Recurrent,
    Tensor, ensure_shape,
};
use ndarray::{Array2, Array3, ArrayView3};

/// What the readout is trained to produce.
#[derive(Clone, Copy, Debug)]
pub enum Target<'a> {
    /// One real value per sequence; the loss is the mean squared error (`nn.MSELoss()`).
    Values(&'a [f64]),
    /// One class per sequence; the loss is softmax cross-entropy (`nn.CrossEntropyLoss()`).
    Classes(&'a [usize]),
}

/// `head(h_T)` of a recurrent layer over the sequence.
#[derive(Clone, Debug)]
pub struct SeqModel<T> {
    pub cell: Recurrent<T>,
    pub head: Linear<T>,
    /// h_T as the head's `[H, N, 1, 1]` input.
    features: Tensor<T>,
    ce: CrossEntropy<T>,
    dy: Tensor<T>,
}

impl<T: Real> SeqModel<T> {
    /// Zero parameters; `outputs` is 1 for regression, the class count for classification.
    pub fn new(kind: CellKind, input: usize, hidden: usize, outputs: usize) -> Self {
        Self {
            cell: Recurrent::new(kind, input, hidden),
            head: Linear::new(hidden, outputs),
            features: Tensor::zeros([0, 0, 0, 0]),
            ce: CrossEntropy::new(),
            dy: Tensor::zeros([0, 0, 0, 0]),
        }
    }

    /// PyTorch's default init of both layers.
    pub fn init_default(&mut self, rng: &mut impl rand::Rng) {
        self.cell.init_default(rng);
        self.head.init_default(rng);
    }

    fn forward(&mut self, x: ArrayView3<T>) {
        let (steps, n, _) = x.dim();
        let h = self.cell.hidden_size;
        let lstm = self.cell.kind == CellKind::Lstm;
        let zeros = Array2::zeros((n, h));
        self.cell
            .forward(x, zeros.view(), lstm.then(|| zeros.view()));
        ensure_shape(&mut self.features, [h, n, 1, 1]);
        let last = self.cell.h(steps);
        for ((s, u), v) in last.indexed_iter() {
            self.features[[u, s, 0, 0]] = *v;
        }
        self.head.forward(&self.features, Mode::Train);
    }

    /// The loss (and, for classes, the argmax hits) and its gradient.
    fn loss(&mut self, target: Target) -> LossOutput {
        let y = self.head.output();
        match target {
            Target::Classes(t) => {
                let out = self.ce.forward(y, t);
                self.dy.clone_from(self.ce.grad());
                out
            }
            Target::Values(t) => {
                let n = t.len();
                ensure_shape(&mut self.dy, [1, n, 1, 1]);
                let mut loss = 0.0;
                for (i, &ti) in t.iter().enumerate() {
                    let e = y[[0, i, 0, 0]].to_f64() - ti;
                    loss += e * e;
                    self.dy[[0, i, 0, 0]] = T::from_f64(2.0 * e / n as f64);
                }
                LossOutput {
                    loss: loss / n as f64,
                    correct: 0,
                }
            }
        }
    }

    /// Loss of a batch `x` `[T, N, D]` without gradients.
    pub fn evaluate(&mut self, x: ArrayView3<T>, target: Target) -> LossOutput {
        self.forward(x);
        self.loss(target)
    }

    /// Forward, loss, and backward: every parameter gradient is set (overwritten).
    pub fn forward_backward(&mut self, x: ArrayView3<T>, target: Target) -> LossOutput {
        self.forward(x);
        let out = self.loss(target);
        let (steps, n, _) = x.dim();
        let h = self.cell.hidden_size;
        let dh = self.head.backward(&self.features, &self.dy);
        let mut dh_last = Array2::zeros((n, h));
        for ((s, u), v) in dh_last.indexed_iter_mut() {
            *v = dh[[u, s, 0, 0]];
        }
        let d_out = Array3::zeros((steps, n, h));
        self.cell
            .backward(x, d_out.view(), Some(dh_last.view()), None);
        out
    }
}

impl<T: Real> Module<T> for SeqModel<T> {
    fn visit_params(&mut self, prefix: &str, f: &mut dyn FnMut(ParamRef<'_, T>)) {
        self.cell.visit_params(&super::join(prefix, "cell"), f);
        self.head.visit_params(&super::join(prefix, "head"), f);
    }
}
