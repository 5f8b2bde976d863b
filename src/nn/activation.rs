//! ReLU. Its backward masks with the saved output, as PyTorch's `threshold_backward` does,
//! so it needs nothing of the input.
//!
//! NaN propagates as in PyTorch: `relu(NaN) = NaN` (only `x <= 0` maps to 0, and NaN compares
//! false), and backward zeroes the gradient only where `y <= 0`, so a NaN output passes its
//! gradient through. Written `x > 0 ? x : 0`, a NaN would silently become 0.

use super::kernels::simd;
use super::profile::{self, Phase};
use super::{Layer, Mode, Module, ParamRef, Real, Tensor, ensure_shape};
use rayon::prelude::*;

/// Element counts below which a thread is not worth starting.
const PAR_MIN: usize = 1 << 15;
const CHUNK: usize = 1 << 14;

#[derive(Clone, Debug)]
pub struct Relu<T> {
    out: Tensor<T>,
    dx: Tensor<T>,
}

impl<T: Real> Default for Relu<T> {
    fn default() -> Self {
        Self {
            out: Tensor::zeros([0, 0, 0, 0]),
            dx: Tensor::zeros([0, 0, 0, 0]),
        }
    }
}

impl<T: Real> Relu<T> {
    pub fn new() -> Self {
        Self::default()
    }
}

impl<T: Real> Module<T> for Relu<T> {
    fn visit_params(&mut self, _prefix: &str, _f: &mut dyn FnMut(ParamRef<'_, T>)) {}
}

fn relu_chunk<T: Real>((y, x): (&mut [T], &[T])) {
    y.iter_mut().zip(x).for_each(|(y, &x)| *y = relu(x));
}

fn mask_chunk<T: Real>((dx, (y, dy)): (&mut [T], (&[T], &[T]))) {
    let zero = T::zero();
    dx.iter_mut()
        .zip(y.iter().zip(dy))
        .for_each(|(dx, (&y, &dy))| {
            *dx = if y <= zero { zero } else { dy };
        });
}

/// `max(x, 0)`, NaN kept (as PyTorch): the one definition the fused kernels share.
#[inline(always)]
pub(crate) fn relu<T: Real>(x: T) -> T {
    if x <= T::zero() { T::zero() } else { x }
}

impl<T: Real> Relu<T> {
    /// The output buffer, shaped `dims`, for a kernel that computes this ReLU fused with
    /// the layer before it (batch norm, a residual sum) and writes it here directly.
    pub(crate) fn output_mut(&mut self, dims: [usize; 4]) -> &mut Tensor<T> {
        ensure_shape(&mut self.out, dims);
        &mut self.out
    }

    /// `relu(a + b)` in one pass: the residual sum and the ReLU after it.
    pub(crate) fn forward_sum(&mut self, a: &Tensor<T>, b: &Tensor<T>) -> &Tensor<T> {
        assert_eq!(a.shape(), b.shape(), "added tensors differ in shape");
        let (c, n, h, w) = a.dim();
        ensure_shape(&mut self.out, [c, n, h, w]);
        let ys = self.out.as_slice_mut().expect("standard layout");
        let (a, b) = (a.as_slice().expect("layout"), b.as_slice().expect("layout"));
        let add_relu = |(y, (a, b)): (&mut [T], (&[T], &[T]))| {
            simd::vectorized(
                #[inline(always)]
                || {
                    y.iter_mut()
                        .zip(a.iter().zip(b))
                        .for_each(|(y, (&a, &b))| *y = relu(a + b))
                },
            )
        };
        if ys.len() >= PAR_MIN {
            ys.par_chunks_mut(CHUNK)
                .zip(a.par_chunks(CHUNK).zip(b.par_chunks(CHUNK)))
                .for_each(add_relu);
        } else {
            add_relu((ys, (a, b)));
        }
        &self.out
    }

    /// The backward pass needs only the output (`dL/dx = dy` where it is positive), so
    /// it works after a fused forward too, when the ReLU's input was never stored.
    pub(crate) fn backward_from_output(&mut self, dy: &Tensor<T>) -> &Tensor<T> {
        Layer::backward(self, dy, dy)
    }
}

impl<T: Real> Layer<T> for Relu<T> {
    fn forward(&mut self, x: &Tensor<T>, _mode: Mode) -> &Tensor<T> {
        let _t = profile::scope("relu", Phase::Forward);
        let (c, n, h, w) = x.dim();
        ensure_shape(&mut self.out, [c, n, h, w]);
        let xs = x.as_slice().expect("standard layout");
        let ys = self.out.as_slice_mut().expect("standard layout");
        if xs.len() >= PAR_MIN {
            ys.par_chunks_mut(CHUNK)
                .zip(xs.par_chunks(CHUNK))
                .for_each(relu_chunk);
        } else {
            relu_chunk((ys, xs));
        }
        &self.out
    }

    fn backward(&mut self, _x: &Tensor<T>, dy: &Tensor<T>) -> &Tensor<T> {
        let _t = profile::scope("relu", Phase::Backward);
        let (c, n, h, w) = dy.dim();
        assert_eq!(dy.shape(), self.out.shape(), "relu dy shape");
        ensure_shape(&mut self.dx, [c, n, h, w]);
        let ys = self.out.as_slice().expect("standard layout");
        let dys = dy.as_slice().expect("standard layout");
        let dxs = self.dx.as_slice_mut().expect("standard layout");
        if dys.len() >= PAR_MIN {
            let it = dxs
                .par_chunks_mut(CHUNK)
                .zip(ys.par_chunks(CHUNK).zip(dys.par_chunks(CHUNK)));
            it.for_each(mask_chunk);
        } else {
            mask_chunk((dxs, (ys, dys)));
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
