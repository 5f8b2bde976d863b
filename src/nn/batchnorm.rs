//! `nn.BatchNorm2d` with PyTorch's semantics: eps 1e-5, momentum 0.1; training normalises
//! with the biased batch variance and updates `running_var` with the unbiased one
//! (`n/(n−1)`); evaluation uses the running statistics; `num_batches_tracked` counts
//! training forwards.
//!
//! Statistics and the backward reductions accumulate in f64 with a two-pass variance:
//! a one-pass `E[x²] − E[x]²` in f32 loses the 1e-4 agreement with PyTorch's float64
//! reference when a channel's mean is large against its spread.

use super::activation::{Relu, relu};
use super::kernels::simd;
use super::profile::{self, Phase};
use super::{BufferRef, Layer, Mode, Module, ModuleKind, Param, ParamRef, Real};
use super::{Tensor, ensure_shape, join, visit_weight_and_bias};
use rayon::prelude::*;

/// Below this many elements per channel the per-channel work is not worth a thread.
const PAR_MIN: usize = 4096;

/// One channel of the backward pass: its index, dx row, and (x, dy) rows.
type ChannelTask<'a, T> = (usize, (&'a mut [T], (&'a [T], &'a [T])));

#[derive(Clone, Debug)]
pub struct BatchNorm2d<T> {
    pub channels: usize,
    pub eps: f64,
    pub momentum: f64,
    /// γ, initialised to 1.
    pub weight: Param<T>,
    /// β, initialised to 0.
    pub bias: Param<T>,
    pub running_mean: Vec<T>,
    pub running_var: Vec<T>,
    pub num_batches_tracked: i64,
    // Per channel, from the last forward: the mean and 1/√(var+eps) it normalised with.
    mean: Vec<f64>,
    invstd: Vec<f64>,
    mode: Mode,
    out: Tensor<T>,
    dx: Tensor<T>,
}

impl<T: Real> BatchNorm2d<T> {
    pub fn new(channels: usize) -> Self {
        let mut weight = Param::zeros(&[channels]);
        weight.value_mut().fill(T::one());
        Self {
            channels,
            eps: 1e-5,
            momentum: 0.1,
            weight,
            bias: Param::zeros(&[channels]),
            running_mean: vec![T::zero(); channels],
            running_var: vec![T::one(); channels],
            num_batches_tracked: 0,
            mean: vec![0.0; channels],
            invstd: vec![0.0; channels],
            mode: Mode::Eval,
            out: Tensor::zeros([0, 0, 0, 0]),
            dx: Tensor::zeros([0, 0, 0, 0]),
        }
    }

    /// torchvision's init: γ = 1, β = 0 (running statistics as at construction).
    pub fn init(&mut self) {
        self.weight.value_mut().fill(T::one());
        self.bias.value_mut().fill(T::zero());
    }
}

/// Σ f(x) in f64 over 8 interleaved partial sums: a sequential sum is bound by the adder's
/// latency; eight independent ones vectorise. The order is fixed, so results are
/// reproducible (and within rounding of the sequential sum).
#[inline(always)]
fn sum_lanes<T: Real>(x: &[T], f: impl Fn(T) -> f64) -> f64 {
    let mut acc = [0.0f64; 8];
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += f(v);
        }
    }
    let tail: f64 = chunks.remainder().iter().map(|&v| f(v)).sum();
    acc.iter().sum::<f64>() + tail
}

/// Σ f(x, y) in f64, as [`sum_lanes`].
#[inline(always)]
fn sum_lanes2<T: Real>(x: &[T], y: &[T], f: impl Fn(T, T) -> f64) -> f64 {
    let mut acc = [0.0f64; 8];
    let (mut cx, mut cy) = (x.chunks_exact(8), y.chunks_exact(8));
    for (a8, b8) in (&mut cx).zip(&mut cy) {
        for ((a, &u), &v) in acc.iter_mut().zip(a8).zip(b8) {
            *a += f(u, v);
        }
    }
    let tail: f64 = cx
        .remainder()
        .iter()
        .zip(cy.remainder())
        .map(|(&u, &v)| f(u, v))
        .sum();
    acc.iter().sum::<f64>() + tail
}

/// Mean and biased variance of one channel, two-pass in f64.
fn moments<T: Real>(x: &[T]) -> (f64, f64) {
    simd::vectorized(
        #[inline(always)]
        || {
            let m = x.len() as f64;
            let mean = sum_lanes(x, |v| v.to_f64()) / m;
            let var = sum_lanes(x, |v| (v.to_f64() - mean) * (v.to_f64() - mean)) / m;
            (mean, var)
        },
    )
}

/// One channel's backward: returns (Σdy, Σdy·x̂) (= dβ, dγ) and writes dx, given the
/// channel's mean, 1/σ and γ it was normalised with.
#[inline(always)]
fn channel_grad<T: Real>(
    dx: &mut [T],
    x: &[T],
    dy: &[T],
    (mu, is, gamma): (f64, f64, f64),
    train: bool,
) -> (f64, f64) {
    let m = x.len() as f64;
    let sum_dy = sum_lanes(dy, |d| d.to_f64());
    let sum_dy_xhat = sum_lanes2(x, dy, |x, d| d.to_f64() * (x.to_f64() - mu)) * is;
    let g = gamma * is;
    if train {
        // dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy·x̂))
        let (a, b) = (sum_dy / m, sum_dy_xhat / m);
        for ((dx, x), dy) in dx.iter_mut().zip(x).zip(dy) {
            let xhat = (x.to_f64() - mu) * is;
            *dx = T::from_f64(g * (dy.to_f64() - a - xhat * b));
        }
    } else {
        for (dx, dy) in dx.iter_mut().zip(dy) {
            *dx = T::from_f64(g * dy.to_f64());
        }
    }
    (sum_dy, sum_dy_xhat)
}

impl<T: Real> Module<T> for BatchNorm2d<T> {
    fn visit_params(&mut self, prefix: &str, f: &mut dyn FnMut(ParamRef<'_, T>)) {
        let bias = Some(&mut self.bias);
        visit_weight_and_bias(prefix, ModuleKind::BatchNorm2d, &mut self.weight, bias, f);
    }

    fn visit_buffers(&mut self, prefix: &str, f: &mut dyn FnMut(&str, BufferRef<'_, T>)) {
        f(
            &join(prefix, "running_mean"),
            BufferRef::Float(&mut self.running_mean),
        );
        f(
            &join(prefix, "running_var"),
            BufferRef::Float(&mut self.running_var),
        );
        f(
            &join(prefix, "num_batches_tracked"),
            BufferRef::Count(&mut self.num_batches_tracked),
        );
    }
}

impl<T: Real> BatchNorm2d<T> {
    /// `relu(BN(x))` into `relu`'s output in one pass: batch norm followed by a ReLU, as in
    /// every conv–BN–ReLU unit of a ResNet. This layer's own output is not written (its
    /// backward pass reads only its input, and the ReLU's reads only its output), which
    /// saves a write and a read of the activation.
    pub(crate) fn forward_relu(&mut self, x: &Tensor<T>, mode: Mode, relu: &mut Relu<T>) {
        let _t = profile::scope("batchnorm", Phase::Forward);
        let (c, n, h, w) = x.dim();
        let out = relu.output_mut([c, n, h, w]);
        self.normalise(x, mode, out, true);
    }

    /// Statistics (training: batch moments and the running averages; evaluation: the
    /// running ones), then `out = γ·x̂ + β`, through a ReLU when `then_relu`.
    fn normalise(&mut self, x: &Tensor<T>, mode: Mode, out: &mut Tensor<T>, then_relu: bool) {
        let (c, n, h, w) = x.dim();
        assert_eq!(c, self.channels, "batch norm input has {c} channels");
        let m = n * h * w;
        ensure_shape(out, [c, n, h, w]);
        self.mode = mode;
        let xs = x.as_slice().expect("standard layout");
        if mode == Mode::Train {
            assert!(
                m > 1,
                "batch norm needs more than one value per channel in training"
            );
            let stats: Vec<(f64, f64)> = if m >= PAR_MIN {
                xs.par_chunks(m).map(moments).collect()
            } else {
                xs.chunks(m).map(moments).collect()
            };
            let (mom, unbias) = (self.momentum, m as f64 / (m as f64 - 1.0));
            for (i, &(mean, var)) in stats.iter().enumerate() {
                self.mean[i] = mean;
                self.invstd[i] = 1.0 / (var + self.eps).sqrt();
                let (rm, rv) = (self.running_mean[i].to_f64(), self.running_var[i].to_f64());
                self.running_mean[i] = T::from_f64((1.0 - mom) * rm + mom * mean);
                self.running_var[i] = T::from_f64((1.0 - mom) * rv + mom * var * unbias);
            }
            self.num_batches_tracked += 1;
        } else {
            for i in 0..c {
                self.mean[i] = self.running_mean[i].to_f64();
                self.invstd[i] = 1.0 / (self.running_var[i].to_f64() + self.eps).sqrt();
            }
        }
        let (gamma, beta) = (self.weight.value(), self.bias.value());
        let (mean, invstd) = (&self.mean, &self.invstd);
        let ys = out.as_slice_mut().expect("standard layout");
        let normalise = |(i, (y, x)): (usize, (&mut [T], &[T]))| {
            let scale = gamma[i].to_f64() * invstd[i];
            let (mu, b) = (mean[i], beta[i].to_f64());
            simd::vectorized(
                #[inline(always)]
                || {
                    if then_relu {
                        for (y, x) in y.iter_mut().zip(x) {
                            *y = relu(T::from_f64((x.to_f64() - mu) * scale + b));
                        }
                    } else {
                        for (y, x) in y.iter_mut().zip(x) {
                            *y = T::from_f64((x.to_f64() - mu) * scale + b);
                        }
                    }
                },
            )
        };
        if m >= PAR_MIN {
            ys.par_chunks_mut(m)
                .zip(xs.par_chunks(m))
                .enumerate()
                .for_each(normalise);
        } else {
            ys.chunks_mut(m)
                .zip(xs.chunks(m))
                .enumerate()
                .for_each(normalise);
        }
    }
}

impl<T: Real> Layer<T> for BatchNorm2d<T> {
    fn forward(&mut self, x: &Tensor<T>, mode: Mode) -> &Tensor<T> {
        let _t = profile::scope("batchnorm", Phase::Forward);
        let mut out = std::mem::replace(&mut self.out, Tensor::zeros([0, 0, 0, 0]));
        self.normalise(x, mode, &mut out, false);
        self.out = out;
        &self.out
    }

    fn backward(&mut self, x: &Tensor<T>, dy: &Tensor<T>) -> &Tensor<T> {
        let _t = profile::scope("batchnorm", Phase::Backward);
        let (c, n, h, w) = x.dim();
        let m = n * h * w;
        assert_eq!(dy.shape(), x.shape(), "batch norm dy shape");
        ensure_shape(&mut self.dx, [c, n, h, w]);
        let (xs, dys) = (
            x.as_slice().expect("layout"),
            dy.as_slice().expect("layout"),
        );
        let (mean, invstd, gamma, train) = (
            &self.mean,
            &self.invstd,
            self.weight.value(),
            self.mode == Mode::Train,
        );
        // Per channel: Σdy and Σdy·x̂ (= dβ and dγ), then dx.
        let channel = |(i, (dx, (x, dy))): ChannelTask<'_, T>| -> (f64, f64) {
            let (mu, is, g) = (mean[i], invstd[i], gamma[i].to_f64());
            simd::vectorized(
                #[inline(always)]
                || channel_grad(dx, x, dy, (mu, is, g), train),
            )
        };
        let dxs = self.dx.as_slice_mut().expect("standard layout");
        let sums: Vec<(f64, f64)> = if m >= PAR_MIN {
            let it = dxs
                .par_chunks_mut(m)
                .zip(xs.par_chunks(m).zip(dys.par_chunks(m)));
            it.enumerate().map(channel).collect()
        } else {
            let it = dxs.chunks_mut(m).zip(xs.chunks(m).zip(dys.chunks(m)));
            it.enumerate().map(channel).collect()
        };
        for (i, (sum_dy, sum_dy_xhat)) in sums.into_iter().enumerate() {
            self.bias.grad_mut()[i] = T::from_f64(sum_dy);
            self.weight.grad_mut()[i] = T::from_f64(sum_dy_xhat);
        }
        &self.dx
    }

    fn output(&self) -> &Tensor<T> {
        &self.out
    }

    fn input_grad(&self) -> &Tensor<T> {
        &self.dx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lane_sums_match_sequential_sums_at_every_tail_length() {
        for len in 0..27 {
            let x: Vec<f32> = (0..len).map(|i| (i as f32 * 0.37).sin() + 0.5).collect();
            let y: Vec<f32> = (0..len).map(|i| (i as f32 * 0.11).cos()).collect();
            let seq: f64 = x.iter().map(|&v| f64::from(v)).sum();
            let seq2: f64 = x
                .iter()
                .zip(&y)
                .map(|(&a, &b)| f64::from(a) * f64::from(b))
                .sum();
            assert!((sum_lanes(&x, |v| v.to_f64()) - seq).abs() <= 1e-13 * (1.0 + seq.abs()));
            let s2 = sum_lanes2(&x, &y, |a, b| a.to_f64() * b.to_f64());
            assert!((s2 - seq2).abs() <= 1e-13 * (1.0 + seq2.abs()), "{len}");
        }
    }
}
