//! Softmax cross-entropy averaged over the batch (`nn.CrossEntropyLoss()`), on logits
//! `[classes, N, 1, 1]`. Computed in f64 with the max subtracted, so large logits neither
//! overflow nor lose the 1e-4 agreement with PyTorch.

use super::{Real, Tensor, ensure_shape};

/// Loss of one batch and how many argmax predictions hit the target.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LossOutput {
    pub loss: f64,
    pub correct: usize,
}

/// The loss with its gradient buffer (`dL/dlogits`, same shape as the logits).
#[derive(Clone, Debug)]
pub struct CrossEntropy<T> {
    grad: Tensor<T>,
}

impl<T: Real> Default for CrossEntropy<T> {
    fn default() -> Self {
        Self {
            grad: Tensor::zeros([0, 0, 0, 0]),
        }
    }
}

impl<T: Real> CrossEntropy<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Mean of `−log softmax(logits)[target]` over the batch; fills [`Self::grad`] with
    /// `(softmax − onehot)/N`. Targets must be below the class count.
    pub fn forward(&mut self, logits: &Tensor<T>, targets: &[usize]) -> LossOutput {
        let (k, n, h, w) = logits.dim();
        assert!(
            h == 1 && w == 1 && n == targets.len(),
            "logits [K, N, 1, 1] and N targets"
        );
        ensure_shape(&mut self.grad, [k, n, 1, 1]);
        let (mut loss, mut correct) = (0.0, 0);
        let mut z = vec![0.0f64; k];
        for (i, &t) in targets.iter().enumerate() {
            assert!(t < k, "target {t} out of range for {k} classes");
            z.iter_mut()
                .enumerate()
                .for_each(|(c, z)| *z = logits[[c, i, 0, 0]].to_f64());
            let (arg, max) =
                z.iter().enumerate().fold(
                    (0, f64::NEG_INFINITY),
                    |b, (c, &v)| {
                        if v > b.1 { (c, v) } else { b }
                    },
                );
            let sum: f64 = z.iter().map(|v| (v - max).exp()).sum();
            loss += sum.ln() + max - z[t];
            correct += usize::from(arg == t);
            for (c, &v) in z.iter().enumerate() {
                let p = (v - max).exp() / sum - f64::from(u8::from(c == t));
                self.grad[[c, i, 0, 0]] = T::from_f64(p / n as f64);
            }
        }
        LossOutput {
            loss: loss / n as f64,
            correct,
        }
    }

    /// `dL/dlogits` of the last [`Self::forward`].
    pub fn grad(&self) -> &Tensor<T> {
        &self.grad
    }
}
