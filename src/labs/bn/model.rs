//! The bn lab's network, in f64 with its hand-written backward pass:
//! z = x Wᵀ (no bias: BN removes it), ŷ = BN(z) without affine, h = ReLU(ŷ),
//! logits = h Vᵀ + b, softmax cross-entropy averaged over the batch.
//!
//! BN normalises each unit over the batch with the biased variance and **no ε**: then every
//! row w_j of W is exactly scale-invariant (l(cW) = l(W) for c > 0 row by row), which the
//! lab's identities ⟨w_j, ∇_{w_j} l⟩ = 0 and c·∇l(cw) = ∇l(w) need to hold to rounding.
//! PyTorch's ε = 1e-5 would break them by O(ε/σ²). Evaluation uses running statistics
//! updated as PyTorch does (momentum 0.1, unbiased variance).

use crate::rng::LabRng;
use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::RngExt;

/// The parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Net {
    /// width × dim: the batch-normalised layer, each row scale-invariant.
    pub w: Array2<f64>,
    /// classes × width: the readout.
    pub v: Array2<f64>,
    /// classes: the readout's bias.
    pub b: Array1<f64>,
}

/// Gradients of the mean loss, shaped as [`Net`].
#[derive(Clone, Debug, PartialEq)]
pub struct Grads {
    pub w: Array2<f64>,
    pub v: Array2<f64>,
    pub b: Array1<f64>,
}

impl Grads {
    pub fn zeros_like(net: &Net) -> Self {
        Self {
            w: Array2::zeros(net.w.dim()),
            v: Array2::zeros(net.v.dim()),
            b: Array1::zeros(net.b.len()),
        }
    }
}

/// Buffers of one forward/backward pass, reused from step to step. Per-unit arrays are
/// unit-major (width × batch), so BN's loops over the batch run along contiguous rows.
#[derive(Clone, Debug, Default)]
pub struct Workspace {
    z: Array2<f64>,
    yh: Array2<f64>,
    h: Array2<f64>,
    dz: Array2<f64>,
    /// batch × classes: the logits, then the softmax, then dl/dlogits.
    logits: Array2<f64>,
    /// Batch mean and biased variance of z per unit (of the last forward pass).
    pub mean: Vec<f64>,
    pub var: Vec<f64>,
}

impl Workspace {
    fn ensure(&mut self, batch: usize, width: usize, classes: usize) {
        if self.z.dim() != (width, batch) {
            self.z = Array2::zeros((width, batch));
            self.yh = Array2::zeros((width, batch));
            self.h = Array2::zeros((width, batch));
            self.dz = Array2::zeros((width, batch));
        }
        if self.logits.dim() != (batch, classes) {
            self.logits = Array2::zeros((batch, classes));
        }
        self.mean.resize(width, 0.0);
        self.var.resize(width, 0.0);
    }
}

/// Sums with four accumulators: a single one makes every add wait for the previous (these
/// reductions over the batch were most of a step's time).
fn sum(a: &[f64]) -> f64 {
    reduce(a.len(), |i| a[i])
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    reduce(a.len().min(b.len()), |i| a[i] * b[i])
}

fn centred_square_sum(a: &[f64], mean: f64) -> f64 {
    reduce(a.len(), |i| (a[i] - mean) * (a[i] - mean))
}

fn reduce(n: usize, term: impl Fn(usize) -> f64) -> f64 {
    let mut acc = [0.0; 4];
    let whole = n - n % 4;
    for i in (0..whole).step_by(4) {
        for (k, a) in acc.iter_mut().enumerate() {
            *a += term(i + k);
        }
    }
    let tail: f64 = (whole..n).map(&term).sum();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// BN's running statistics (PyTorch: momentum 0.1; the unbiased variance; start at 0 and 1).
#[derive(Clone, Debug, PartialEq)]
pub struct Running {
    pub mean: Vec<f64>,
    pub var: Vec<f64>,
}

/// PyTorch's BatchNorm momentum.
const BN_MOMENTUM: f64 = 0.1;

impl Running {
    pub fn new(width: usize) -> Self {
        Self {
            mean: vec![0.0; width],
            var: vec![1.0; width],
        }
    }

    /// Fold in the statistics of the last forward pass over a batch of `batch`.
    pub fn update(&mut self, ws: &Workspace, batch: usize) {
        let unbias = batch as f64 / (batch as f64 - 1.0).max(1.0);
        for j in 0..self.mean.len() {
            self.mean[j] = (1.0 - BN_MOMENTUM) * self.mean[j] + BN_MOMENTUM * ws.mean[j];
            self.var[j] = (1.0 - BN_MOMENTUM) * self.var[j] + BN_MOMENTUM * ws.var[j] * unbias;
        }
    }

    /// The statistics of z = Wx after W is multiplied by `c`.
    pub fn rescale(&mut self, c: f64) {
        self.mean.iter_mut().for_each(|m| *m *= c);
        self.var.iter_mut().for_each(|v| *v *= c * c);
    }
}

impl Net {
    /// PyTorch's `nn.Linear` initialisation: U(−1/√fan_in, 1/√fan_in) for weights and bias.
    pub fn init(dim: usize, width: usize, classes: usize, rng: &mut LabRng) -> Net {
        let uniform = |fan_in: usize| {
            let bound = 1.0 / (fan_in as f64).sqrt();
            move |rng: &mut LabRng| rng.random_range(-bound..bound)
        };
        let (uw, uv) = (uniform(dim), uniform(width));
        let w = Array2::from_shape_simple_fn((width, dim), || uw(rng));
        let v = Array2::from_shape_simple_fn((classes, width), || uv(rng));
        let b = Array1::from_shape_simple_fn(classes, || uv(rng));
        Net { w, v, b }
    }

    pub fn width(&self) -> usize {
        self.w.nrows()
    }

    pub fn classes(&self) -> usize {
        self.v.nrows()
    }

    /// Train-mode forward pass (batch statistics): the mean cross-entropy. Fills `ws`.
    pub fn forward(&self, x: ArrayView2<f64>, y: &[usize], ws: &mut Workspace) -> f64 {
        let (n, m, k) = (x.nrows(), self.width(), self.classes());
        ws.ensure(n, m, k);
        general_mat_mul(1.0, &self.w, &x.t(), 0.0, &mut ws.z);
        // The workspace's arrays are made by `zeros`, so in standard layout: unit j's
        // values are the contiguous slice j·n..(j+1)·n.
        let z = ws.z.as_slice().unwrap_or_default();
        let yh = ws.yh.as_slice_mut().unwrap_or_default();
        let h = ws.h.as_slice_mut().unwrap_or_default();
        let units = z
            .chunks_exact(n)
            .zip(yh.chunks_exact_mut(n))
            .zip(h.chunks_exact_mut(n));
        for (j, ((z, yh), h)) in units.enumerate() {
            let mean = sum(z) / n as f64;
            let var = centred_square_sum(z, mean) / n as f64;
            ws.mean[j] = mean;
            ws.var[j] = var;
            let inv = 1.0 / var.sqrt();
            for ((z, yh), h) in z.iter().zip(yh.iter_mut()).zip(h.iter_mut()) {
                *yh = (z - mean) * inv;
                *h = yh.max(0.0);
            }
        }
        self.readout(y, ws)
    }

    /// Logits from `ws.h`, then the softmax probabilities in place of the logits; returns
    /// the mean cross-entropy.
    fn readout(&self, y: &[usize], ws: &mut Workspace) -> f64 {
        general_mat_mul(1.0, &ws.h.t(), &self.v.t(), 0.0, &mut ws.logits);
        let mut total = 0.0;
        for (mut row, &label) in ws.logits.rows_mut().into_iter().zip(y) {
            row += &self.b;
            let top = row.fold(f64::NEG_INFINITY, |a, &b| a.max(b));
            let lse = top + row.iter().map(|l| (l - top).exp()).sum::<f64>().ln();
            total += lse - row[label];
            row.mapv_inplace(|l| (l - lse).exp());
        }
        total / y.len() as f64
    }

    /// Backward pass after [`Net::forward`] on the same batch: the gradients of the mean loss.
    pub fn backward(&self, x: ArrayView2<f64>, y: &[usize], ws: &mut Workspace, g: &mut Grads) {
        let n = x.nrows();
        // dl/dlogits = (softmax − onehot)/n, in place of the probabilities.
        for (mut row, &label) in ws.logits.rows_mut().into_iter().zip(y) {
            row[label] -= 1.0;
            row /= n as f64;
        }
        g.b.assign(&ws.logits.sum_axis(Axis(0)));
        general_mat_mul(1.0, &ws.logits.t(), &ws.h.t(), 0.0, &mut g.v);
        // dl/dh, unit-major.
        general_mat_mul(1.0, &self.v.t(), &ws.logits.t(), 0.0, &mut ws.dz);
        // Through ReLU, then BN without affine: dz = (dŷ − mean(dŷ) − ŷ·mean(dŷ·ŷ))/σ.
        let dz = ws.dz.as_slice_mut().unwrap_or_default();
        let yh = ws.yh.as_slice().unwrap_or_default();
        for (j, (dz, yh)) in dz.chunks_exact_mut(n).zip(yh.chunks_exact(n)).enumerate() {
            for (d, yh) in dz.iter_mut().zip(yh) {
                *d = if *yh > 0.0 { *d } else { 0.0 };
            }
            let (m1, m2) = (sum(dz) / n as f64, dot(dz, yh) / n as f64);
            let inv = 1.0 / ws.var[j].sqrt();
            for (d, yh) in dz.iter_mut().zip(yh) {
                *d = (*d - m1 - yh * m2) * inv;
            }
        }
        general_mat_mul(1.0, &ws.dz, &x, 0.0, &mut g.w);
    }

    /// The mean loss and its gradients on one batch (train mode).
    pub fn loss_and_grad(
        &self,
        x: ArrayView2<f64>,
        y: &[usize],
        ws: &mut Workspace,
        g: &mut Grads,
    ) -> f64 {
        let loss = self.forward(x, y, ws);
        self.backward(x, y, ws, g);
        loss
    }

    /// The mean train-mode loss on a batch (allocates: for probes and tests).
    pub fn loss(&self, x: ArrayView2<f64>, y: &[usize]) -> f64 {
        self.forward(x, y, &mut Workspace::default())
    }

    /// The gradients on a batch (allocates: for probes and tests).
    pub fn grads(&self, x: ArrayView2<f64>, y: &[usize]) -> (f64, Grads) {
        let mut g = Grads::zeros_like(self);
        let loss = self.loss_and_grad(x, y, &mut Workspace::default(), &mut g);
        (loss, g)
    }

    /// Eval-mode accuracy (BN with the running statistics) on a data set.
    pub fn accuracy(&self, x: ArrayView2<f64>, y: &[usize], running: &Running) -> f64 {
        let mut z = Array2::zeros((x.nrows(), self.width()));
        general_mat_mul(1.0, &x, &self.w.t(), 0.0, &mut z);
        for (j, mut col) in z.columns_mut().into_iter().enumerate() {
            let (mean, inv) = (running.mean[j], 1.0 / running.var[j].sqrt());
            col.mapv_inplace(|v| ((v - mean) * inv).max(0.0));
        }
        let logits = z.dot(&self.v.t()) + &self.b;
        let correct = logits
            .rows()
            .into_iter()
            .zip(y)
            .filter(|(row, label)| {
                let best =
                    row.iter()
                        .enumerate()
                        .fold((0, f64::NEG_INFINITY), |(bi, bv), (i, &v)| {
                            if v > bv { (i, v) } else { (bi, bv) }
                        });
                best.0 == **label && best.1.is_finite()
            })
            .count();
        correct as f64 / y.len().max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::rng;

    #[test]
    fn init_is_pytorch_uniform() {
        let net = Net::init(20, 64, 4, &mut rng(0, 1));
        let bound = 1.0 / 20f64.sqrt();
        assert!(net.w.iter().all(|w| w.abs() < bound));
        assert!(net.w.iter().any(|w| w.abs() > 0.9 * bound));
        assert!(net.v.iter().all(|v| v.abs() < 1.0 / 8.0));
    }

    #[test]
    fn loss_at_zero_readout_is_log_classes() {
        let mut net = Net::init(3, 5, 4, &mut rng(0, 1));
        net.v.fill(0.0);
        net.b.fill(0.0);
        let x = Array2::from_shape_fn((6, 3), |(i, j)| (i * 3 + j) as f64 * 0.37 % 1.3);
        let l = net.loss(x.view(), &[0, 1, 2, 3, 0, 1]);
        assert!((l - 4f64.ln()).abs() < 1e-15);
    }
}
