//! Layers on channel-major activations: the [`Tensor`] layout, the [`Layer`] trait, and
//! the buffer and layout helpers every layer shares.

use super::{Module, Param, Real};
use ndarray::{Array4, ArrayView4};

/// Activations: `[C, N, H, W]`, standard layout (see the module docs).
pub type Tensor<T> = Array4<T>;

/// Training or evaluation behaviour (batch norm statistics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Train,
    Eval,
}

/// A layer on channel-major 4-D activations.
pub trait Layer<T: Real>: Module<T> {
    /// Compute the output into the layer's own buffer and remember what backward needs.
    fn forward(&mut self, x: &Tensor<T>, mode: Mode) -> &Tensor<T>;
    /// Given the input `x` of the last forward and dL/dy, set every parameter gradient and
    /// return dL/dx.
    fn backward(&mut self, x: &Tensor<T>, dy: &Tensor<T>) -> &Tensor<T>;
    /// The output of the last forward.
    fn output(&self) -> &Tensor<T>;
    /// dL/dx of the last backward.
    fn input_grad(&self) -> &Tensor<T>;
}

/// Set a bias gradient to the row sums of the output gradient `[C_out, ·]` (summed in f64,
/// so the result does not depend on the batch split): the shared last step of Conv2d and
/// Linear backward.
pub fn bias_grad_from_rows<T: Real>(bias: &mut Param<T>, dy: ndarray::ArrayView2<T>) {
    for (gb, row) in bias.grad_mut().iter_mut().zip(dy.outer_iter()) {
        *gb = T::from_f64(row.iter().map(|v| v.to_f64()).sum());
    }
}

/// Make `buf` a zero-initialised array of `shape` unless it already has that shape, in
/// which case its (stale) contents are kept: callers overwrite every element they read.
pub fn ensure_shape<T: Real>(buf: &mut Tensor<T>, shape: [usize; 4]) {
    if buf.shape() != shape {
        *buf = Tensor::zeros(shape);
    }
}

/// PyTorch's `[N, C, H, W]` into channel-major `[C, N, H, W]`, reusing `out`.
pub fn nchw_to_cnhw<T: Real>(x: ArrayView4<'_, T>, out: &mut Tensor<T>) {
    let (n, c, h, w) = x.dim();
    ensure_shape(out, [c, n, h, w]);
    out.assign(&x.permuted_axes([1, 0, 2, 3]));
}

/// Channel-major `[C, N, H, W]` back into PyTorch's `[N, C, H, W]`.
pub fn cnhw_to_nchw<T: Real>(x: &Tensor<T>) -> Tensor<T> {
    x.view()
        .permuted_axes([1, 0, 2, 3])
        .as_standard_layout()
        .into_owned()
}

/// The shape of a tensor as an array.
pub fn dims<T>(t: &Tensor<T>) -> [usize; 4] {
    let (c, n, h, w) = t.dim();
    [c, n, h, w]
}

/// `out ← a + b` (same shapes), in parallel chunks for large tensors.
pub fn add_into<T: Real>(out: &mut Tensor<T>, a: &Tensor<T>, b: &Tensor<T>) {
    use rayon::prelude::*;
    const CHUNK: usize = 1 << 14;
    assert_eq!(a.shape(), b.shape(), "added tensors differ in shape");
    ensure_shape(out, dims(a));
    let o = out.as_slice_mut().expect("standard layout");
    let (a, b) = (a.as_slice().expect("layout"), b.as_slice().expect("layout"));
    let add = |(o, (a, b)): (&mut [T], (&[T], &[T]))| {
        o.iter_mut()
            .zip(a.iter().zip(b))
            .for_each(|(o, (&a, &b))| *o = a + b);
    };
    if o.len() >= 2 * CHUNK {
        o.par_chunks_mut(CHUNK)
            .zip(a.par_chunks(CHUNK).zip(b.par_chunks(CHUNK)))
            .for_each(add);
    } else {
        add((o, (a, b)));
    }
}
