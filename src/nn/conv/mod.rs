//! 2-D convolution lowered to GEMM (im2col), PyTorch's `nn.Conv2d` semantics
//! (cross-correlation, zero padding, no dilation or groups).
//!
//! Per part of the batch ([`batch_parts`]): `col = im2col(x_part)` is `[C_in·kh·kw, cols]`
//! with `cols = images·H_out·W_out`, and `y_part = W · col` lands directly in the
//! channel-major output. Backward: `dW = Σ_parts dy_part · colᵀ` (partials summed in a fixed
//! order) and `dx_part = col2im(Wᵀ · dy_part)`. A 1×1 stride-1 unpadded convolution skips
//! im2col: its input already is the column matrix.

mod patches;
mod winograd;
mod winograd_pass;
mod winograd_rows;

use super::gemm::batch_parts;
use super::microkernel::{Mat, Rows, gemm_nn, gemm_nt, rows_of};
use super::profile;
use super::{Layer, Mode, Module, ModuleKind, Param, ParamRef, Real, Tensor};
use super::{bias_grad_from_rows, ensure_shape, visit_weight_and_bias};
use ndarray::{ArrayView2, ArrayViewMut2, Axis};
use patches::{Geom, chunk_rows, col2im, cols_of, im2col, row_chunks};
use rand::RngExt;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use std::ops::Range;
use std::time::Duration;

/// `nn.Conv2d(c_in, c_out, kernel, stride, padding, bias=...)`.
#[derive(Clone, Debug)]
pub struct Conv2d<T> {
    pub c_in: usize,
    pub c_out: usize,
    /// `[kh, kw]`.
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    /// `[c_out, c_in, kh, kw]`.
    pub weight: Param<T>,
    pub bias: Option<Param<T>>,
    /// Whether backward computes dL/dx; a network's first layer does not need it (the
    /// returned tensor is then all zero).
    pub input_grad: bool,
    /// Whether 3×3 stride-1 convolutions take the Winograd F(2×2, 3×3) path (the default);
    /// `false` forces im2col + GEMM, the reference the Winograd path is tested against.
    pub winograd: bool,
    /// The Winograd-transformed weights `[16][C_out][C_in]`, rebuilt when the weights change.
    wino_u: Vec<T>,
    /// The same, each position's matrix transposed (`[16][C_in][C_out]`), for backward.
    wino_ut: Vec<T>,
    /// The weight stamps ([`Param::stamp`]) `wino_u` and `wino_ut` were built from.
    wino_stamps: [Option<u64>; 2],
    /// The weight as a `[C_in·kh·kw, C_out]` matrix, rebuilt every backward pass.
    weight_t: Vec<T>,
    out: Tensor<T>,
    dx: Tensor<T>,
    partials: Vec<Vec<T>>,
}

/// The parts' partial weight gradients summed into the first, in part order (so the
/// result does not depend on the thread count); returns that sum.
fn sum_partials<T: Real>(partials: &mut [Vec<T>]) -> &[T] {
    let (first, rest) = partials.split_first_mut().expect("one part");
    for p in rest.iter() {
        first.iter_mut().zip(p).for_each(|(g, v)| *g += *v);
    }
    first
}

/// `(image, row)` of each of the consecutive `rows` of a batch with `per_image` rows an
/// image, in order, without a division per row (a division cost as much as the work per
/// row in the Winograd transforms' inner loops).
#[inline(always)]
fn per_image(rows: Range<usize>, per_image: usize) -> impl Iterator<Item = (usize, usize)> {
    let (mut img, mut r) = (rows.start / per_image, rows.start % per_image);
    rows.map(move |_| {
        let at = (img, r);
        r += 1;
        if r == per_image {
            r = 0;
            img += 1;
        }
        at
    })
}

/// `out[j·rows + i] = a[i·cols + j]`: the `rows × cols` matrix `a` transposed, in 8 × 8
/// blocks so both sides stay in cache lines.
#[inline(always)]
pub(super) fn transpose<T: Real>(a: &[T], rows: usize, cols: usize, out: &mut [T]) {
    const B: usize = 8;
    for i0 in (0..rows).step_by(B) {
        let i1 = (i0 + B).min(rows);
        for j0 in (0..cols).step_by(B) {
            let j1 = (j0 + B).min(cols);
            for i in i0..i1 {
                let row = &a[i * cols..][..cols];
                for j in j0..j1 {
                    out[j * rows + i] = row[j];
                }
            }
        }
    }
}

/// The width of a weight gradient (`k = C_in·kh·kw` for im2col, `C_in` per Winograd
/// position) from which its product transposes the right operand (patches, transformed
/// tiles) and runs a [`gemm_nn`] with vectors along `k`, instead of a [`gemm_nt`] with
/// vectors along the columns summed across lanes once per chunk. Those lane sums cost as
/// much as the products when a chunk holds few columns (the stride-2 weight gradients ran
/// 2.5× slower than their forward passes; 4×4 images give 64 tiles a part); two vectors
/// along `k` keep the NN kernel's register block full.
const TRANSPOSE_FROM: usize = 32;

/// `dw ← dy·colᵀ` (`+ dw` when `accumulate`): `dy` is `m × n` and `col` `k × n` (the
/// chunk's patches, `n` columns), `dw` `m × k`. `col_t` is scratch of `k·n`.
fn weight_grad_product<T: Real>(
    (m, k, n): (usize, usize, usize),
    dy: Mat<'_, T>,
    col: &[T],
    dw: Rows<'_, '_, T>,
    accumulate: bool,
    col_t: &mut [T],
) {
    if k >= TRANSPOSE_FROM {
        let col_t = &mut col_t[..k * n];
        super::simd::vectorized(
            #[inline(always)]
            || transpose(col, k, n, col_t),
        );
        let b = Mat { data: col_t, ld: k };
        gemm_nn((m, n, k), dy, b, dw, accumulate);
    } else {
        let b = Mat { data: col, ld: n };
        gemm_nt((m, k, n), dy, b, dw, accumulate);
    }
}

/// The rows of `v` as slices (each row of a standard-layout matrix's column range is
/// contiguous).
fn view_rows<'a, T>(v: &'a mut ArrayViewMut2<'_, T>) -> Vec<&'a mut [T]> {
    v.rows_mut()
        .into_iter()
        .map(|r| r.into_slice().expect("rows are contiguous"))
        .collect()
}

/// Cut `v` along axis 1 into the column ranges of `parts` (each image is `scale` columns).
fn split_cols<'a, T>(
    mut v: ArrayViewMut2<'a, T>,
    parts: &[Range<usize>],
    scale: usize,
) -> Vec<ArrayViewMut2<'a, T>> {
    let mut out = Vec::with_capacity(parts.len());
    for r in parts {
        let (head, tail) = v.split_at(Axis(1), r.len() * scale);
        out.push(head);
        v = tail;
    }
    out
}

impl<T: Real> Conv2d<T> {
    /// A square-kernel convolution without bias, zero weights.
    pub fn new(c_in: usize, c_out: usize, kernel: usize, stride: usize, padding: usize) -> Self {
        Self::rect(c_in, c_out, [kernel; 2], [stride; 2], [padding; 2])
    }

    /// Any kernel, stride and padding per axis (`[height, width]`), without bias.
    pub fn rect(
        c_in: usize,
        c_out: usize,
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
    ) -> Self {
        assert!(kernel[0] > 0 && kernel[1] > 0 && stride[0] > 0 && stride[1] > 0);
        Self {
            c_in,
            c_out,
            kernel,
            stride,
            padding,
            weight: Param::zeros(&[c_out, c_in, kernel[0], kernel[1]]),
            bias: None,
            input_grad: true,
            winograd: true,
            wino_u: Vec::new(),
            wino_ut: Vec::new(),
            wino_stamps: [None; 2],
            weight_t: Vec::new(),
            out: Tensor::zeros([0, 0, 0, 0]),
            dx: Tensor::zeros([0, 0, 0, 0]),
            partials: Vec::new(),
        }
    }

    /// Add a (zero) bias.
    pub fn with_bias(mut self) -> Self {
        self.bias = Some(Param::zeros(&[self.c_out]));
        self
    }

    /// Output height and width for an input of `h × w`, if the kernel fits.
    pub fn output_size(&self, h: usize, w: usize) -> Option<(usize, usize)> {
        let (hp, wp) = (h + 2 * self.padding[0], w + 2 * self.padding[1]);
        (hp >= self.kernel[0] && wp >= self.kernel[1]).then(|| {
            (
                (hp - self.kernel[0]) / self.stride[0] + 1,
                (wp - self.kernel[1]) / self.stride[1] + 1,
            )
        })
    }

    /// torchvision's ResNet init: Kaiming normal, fan_out mode, ReLU gain:
    /// `N(0, 2 / (c_out·kh·kw))`. A bias, if any, is zeroed.
    pub fn init_kaiming_fan_out(&mut self, rng: &mut impl rand::Rng) {
        let fan_out = (self.c_out * self.kernel[0] * self.kernel[1]) as f64;
        let std = (2.0 / fan_out).sqrt();
        for v in self.weight.value_mut() {
            *v = T::from_f64(std * rng.sample::<f64, _>(StandardNormal));
        }
        if let Some(b) = &mut self.bias {
            b.value_mut().fill(T::zero());
        }
    }

    fn geom(&self, x: &Tensor<T>) -> Geom {
        let (c, n, h, w) = x.dim();
        assert_eq!(
            c, self.c_in,
            "conv input has {c} channels, expected {}",
            self.c_in
        );
        let (ho, wo) = self
            .output_size(h, w)
            .unwrap_or_else(|| panic!("conv input {h}×{w} is smaller than its kernel"));
        Geom {
            c_in: c,
            n,
            h,
            w,
            kh: self.kernel[0],
            kw: self.kernel[1],
            sh: self.stride[0],
            sw: self.stride[1],
            ph: self.padding[0],
            pw: self.padding[1],
            ho,
            wo,
        }
    }
}

impl<T: Real> Module<T> for Conv2d<T> {
    fn visit_params(&mut self, prefix: &str, f: &mut dyn FnMut(ParamRef<'_, T>)) {
        let bias = self.bias.as_mut();
        visit_weight_and_bias(prefix, ModuleKind::Conv2d, &mut self.weight, bias, f);
    }
}

impl<T: Real> Layer<T> for Conv2d<T> {
    fn forward(&mut self, x: &Tensor<T>, mode: Mode) -> &Tensor<T> {
        let lap = profile::Lap::start();
        if self.uses_winograd(x) {
            self.forward_winograd(x);
        } else {
            self.forward_im2col(x, mode);
        }
        lap.stop(|| self.label(x), "forward");
        &self.out
    }

    fn backward(&mut self, x: &Tensor<T>, dy: &Tensor<T>) -> &Tensor<T> {
        let mut lap = profile::Lap::start();
        let (weight, data) = if self.uses_winograd(x) {
            self.backward_winograd(x, dy)
        } else {
            self.backward_im2col(x, dy)
        };
        if profile::enabled() {
            let (label, d) = (self.label(x), lap.lap());
            profile::split(
                &label,
                d,
                ("backward-weight", weight),
                ("backward-data", data),
            );
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

impl<T: Real> Conv2d<T> {
    /// The layer type in a profile: kernel, stride and algorithm.
    fn label(&self, x: &Tensor<T>) -> String {
        let algo = if self.uses_winograd(x) {
            "winograd"
        } else {
            "im2col"
        };
        let [kh, kw] = self.kernel;
        format!("conv{kh}x{kw}/{} {algo}", self.stride[0])
    }

    fn uses_winograd(&self, x: &Tensor<T>) -> bool {
        self.winograd && winograd::applies(&self.geom(x))
    }

    fn forward_im2col(&mut self, x: &Tensor<T>, _mode: Mode) {
        let g = self.geom(x);
        let (hw, howo, k, c_out) = (g.h * g.w, g.ho * g.wo, g.k(), self.c_out);
        ensure_shape(&mut self.out, [c_out, g.n, g.ho, g.wo]);
        let parts = batch_parts(g.n, howo);
        let xs = x.as_slice().expect("standard layout");
        let w = Mat {
            data: self.weight.value(),
            ld: k,
        };
        let y2 = self
            .out
            .view_mut()
            .into_shape_with_order((c_out, g.n * howo));
        let y_parts = split_cols(y2.expect("output shape"), &parts, howo);
        let rows_per_chunk = chunk_rows::<T>(&g);
        parts.par_iter().zip(y_parts).for_each(|(r, mut yp)| {
            if g.pointwise() {
                let xp = Mat {
                    data: &xs[r.start * hw..],
                    ld: g.n * hw,
                };
                let dims = (c_out, g.c_in, r.len() * hw);
                gemm_nn(dims, w, xp, &mut view_rows(&mut yp), false);
                return;
            }
            let max_cols = (rows_per_chunk * g.wo).min(r.len() * howo);
            T::with_scratch(k * max_cols, |buf| {
                for rows in row_chunks(&g, r, rows_per_chunk) {
                    let cols = rows.len() * g.wo;
                    let col = &mut buf[..k * cols];
                    im2col(&g, xs, rows.clone(), col);
                    let mut yc = yp.slice_axis_mut(Axis(1), cols_of(&g, &rows, r.start));
                    let col = Mat {
                        data: col,
                        ld: cols,
                    };
                    gemm_nn((c_out, k, cols), w, col, &mut view_rows(&mut yc), false);
                }
            });
        });
        if let Some(b) = &self.bias {
            for (mut ch, &bv) in self.out.outer_iter_mut().zip(b.value()) {
                ch.mapv_inplace(|v| v + bv);
            }
        }
    }

    /// Weight gradient and (if wanted) input gradient; returns the thread time that went
    /// into each (for the profile; zero when profiling is off).
    fn backward_im2col(&mut self, x: &Tensor<T>, dy: &Tensor<T>) -> (Duration, Duration) {
        let g = self.geom(x);
        let (hw, howo, k, c_out) = (g.h * g.w, g.ho * g.wo, g.k(), self.c_out);
        assert_eq!(dy.shape(), [c_out, g.n, g.ho, g.wo], "conv dy shape");
        let parts = batch_parts(g.n, howo);
        let wlen = self.weight.len();
        if self.partials.len() < parts.len() {
            self.partials.resize(parts.len(), Vec::new());
        }
        self.partials
            .iter_mut()
            .for_each(|p| p.resize(wlen, T::zero()));
        ensure_shape(&mut self.dx, [g.c_in, g.n, g.h, g.w]);
        // Wᵀ (`[k, C_out]`), the left operand of the input gradient.
        self.weight_t.resize(wlen, T::zero());
        let (w, wt) = (self.weight.value(), &mut self.weight_t);
        super::simd::vectorized(
            #[inline(always)]
            || transpose(w, c_out, k, wt),
        );
        let wt = Mat {
            data: &self.weight_t,
            ld: c_out,
        };

        let xs = x.as_slice().expect("standard layout");
        let dys = dy.as_slice().expect("standard layout");
        let dy2 = ArrayView2::from_shape((c_out, g.n * howo), dys).expect("dy shape");
        let dx_parts: Vec<Option<ArrayViewMut2<'_, T>>> = if self.input_grad {
            let dx2 = self.dx.view_mut().into_shape_with_order((g.c_in, g.n * hw));
            split_cols(dx2.expect("dx shape"), &parts, hw)
                .into_iter()
                .map(Some)
                .collect()
        } else {
            parts.iter().map(|_| None).collect()
        };
        let rows_per_chunk = chunk_rows::<T>(&g);
        // The columns of dy from global column `col0` on.
        let dy_from = |col0: usize| Mat {
            data: &dys[col0..],
            ld: g.n * howo,
        };
        let times = parts
            .par_iter()
            .zip(self.partials.par_iter_mut())
            .zip(dx_parts)
            .map(|((r, partial), dxp)| {
                let mut lap = profile::Lap::start();
                let (mut tw, mut td) = (Duration::ZERO, Duration::ZERO);
                let mut dw = rows_of(partial, k, c_out);
                if g.pointwise() {
                    let (dyp, cols) = (dy_from(r.start * howo), r.len() * hw);
                    let xp = Mat {
                        data: &xs[r.start * hw..],
                        ld: g.n * hw,
                    };
                    gemm_nt((c_out, g.c_in, cols), dyp, xp, &mut dw, false);
                    tw += lap.lap();
                    if let Some(mut dxp) = dxp {
                        gemm_nn(
                            (g.c_in, c_out, cols),
                            wt,
                            dyp,
                            &mut view_rows(&mut dxp),
                            false,
                        );
                    }
                    return (tw, td + lap.lap());
                }
                let max_cols = (rows_per_chunk * g.wo).min(r.len() * howo);
                let mut dxp = dxp;
                if let Some(d) = &mut dxp {
                    d.fill(T::zero());
                }
                // Room for the transposed patches only where the product uses them.
                let col_t_len = if k >= TRANSPOSE_FROM { k * max_cols } else { 0 };
                T::with_scratch(k * max_cols + col_t_len, |buf| {
                    let (buf, col_t) = buf.split_at_mut(k * max_cols);
                    for (i, rows) in row_chunks(&g, r, rows_per_chunk).enumerate() {
                        let cols = rows.len() * g.wo;
                        let col = &mut buf[..k * cols];
                        im2col(&g, xs, rows.clone(), col);
                        let dyc = dy_from(rows.start * g.wo);
                        weight_grad_product((c_out, k, cols), dyc, col, &mut dw, i > 0, col_t);
                        tw += lap.lap();
                        if let Some(dxp) = &mut dxp {
                            // The patches are used: reuse their buffer for d(col).
                            let mut dcol = rows_of(col, cols, k);
                            gemm_nn((k, c_out, cols), wt, dyc, &mut dcol, false);
                            col2im(&g, col, rows, r.start, dxp);
                            td += lap.lap();
                        }
                    }
                });
                (tw, td)
            })
            .reduce(
                || (Duration::ZERO, Duration::ZERO),
                |a, b| (a.0 + b.0, a.1 + b.1),
            );

        let sum = sum_partials(&mut self.partials[..parts.len()]);
        self.weight.grad_mut().copy_from_slice(sum);
        if let Some(b) = &mut self.bias {
            bias_grad_from_rows(b, dy2.view());
        }
        times
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layer against the definition, summed term by term, forward and backward
    /// (`dL/dy = 1`): stride 2 along both axes, odd and even widths (the last strided
    /// column of a row is the one `im2col` copies on its own), 1×1 and rectangular kernels.
    #[test]
    fn direct_convolution_agrees() {
        for (kernel, stride, pad, (h, w)) in [
            ([3, 2], [2, 1], [1, 0], (5, 4)),
            ([3, 3], [2, 2], [1, 1], (5, 7)),
            ([3, 3], [2, 2], [1, 1], (6, 8)),
            ([3, 3], [2, 2], [1, 1], (8, 16)),
            ([3, 3], [2, 2], [1, 1], (4, 32)),
            ([1, 1], [2, 2], [0, 0], (5, 6)),
            ([3, 3], [2, 2], [0, 0], (7, 9)),
        ] {
            check_direct(2, kernel, stride, pad, h, w);
        }
        // Enough input channels (k = 5·9) for the weight gradient's transposed product.
        check_direct(5, [3, 3], [2, 2], [1, 1], 8, 16);
        check_direct(40, [1, 1], [2, 2], [0, 0], 6, 8);
    }

    fn check_direct(
        c_in: usize,
        kernel: [usize; 2],
        stride: [usize; 2],
        pad: [usize; 2],
        h: usize,
        w: usize,
    ) {
        let mut conv = Conv2d::<f64>::rect(c_in, 3, kernel, stride, pad).with_bias();
        let mut i = 0.0;
        conv.weight.value_mut().iter_mut().for_each(|v| {
            i += 1.0;
            *v = (i * 0.37f64).sin()
        });
        conv.bias
            .as_mut()
            .unwrap()
            .value_mut()
            .copy_from_slice(&[0.1, -0.2, 0.3]);
        let x = Tensor::from_shape_fn([c_in, 3, h, w], |(c, n, hh, ww)| {
            ((c * 60 + n * 20 + hh * w + ww) as f64 * 0.71).cos()
        });
        let y = conv.forward(&x, Mode::Train).clone();
        let (ho, wo) = conv.output_size(h, w).unwrap();
        assert_eq!(y.shape(), [3, 3, ho, wo]);
        let dx = conv
            .backward(&x, &Tensor::from_elem([3, 3, ho, wo], 1.0))
            .clone();
        let wt = conv.weight.view();
        let mut want_dx = Tensor::<f64>::zeros([c_in, 3, h, w]);
        let mut want_dw = ndarray::Array4::<f64>::zeros([3, c_in, kernel[0], kernel[1]]);
        for o in 0..3 {
            for n in 0..3 {
                for oh in 0..ho {
                    for ow in 0..wo {
                        let mut acc = conv.bias.as_ref().unwrap().value()[o];
                        for c in 0..c_in {
                            for ki in 0..kernel[0] {
                                for kj in 0..kernel[1] {
                                    let ih = (oh * stride[0] + ki) as isize - pad[0] as isize;
                                    let iw = (ow * stride[1] + kj) as isize - pad[1] as isize;
                                    if (0..h as isize).contains(&ih)
                                        && (0..w as isize).contains(&iw)
                                    {
                                        let at = [c, n, ih as usize, iw as usize];
                                        acc += wt[[o, c, ki, kj]] * x[at];
                                        want_dx[at] += wt[[o, c, ki, kj]];
                                        want_dw[[o, c, ki, kj]] += x[at];
                                    }
                                }
                            }
                        }
                        assert!(
                            (y[[o, n, oh, ow]] - acc).abs() < 1e-12,
                            "{kernel:?} {stride:?}"
                        );
                    }
                }
            }
        }
        let err = (&dx - &want_dx).iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(err < 1e-12, "{kernel:?} {stride:?}: dx error {err}");
        let dw = conv.weight.grad();
        let err = dw
            .iter()
            .zip(want_dw.iter())
            .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
        assert!(
            err < 1e-11,
            "{kernel:?} {stride:?} c_in {c_in}: dW error {err}"
        );
    }
}
