//! The forward and backward passes of [`Conv2d`] on im2col + GEMM: per part of the batch
//! ([`batch_parts`]), `col = im2col(x_part)` is `[C_in·kh·kw, cols]` with
//! `cols = images·H_out·W_out`, and `y_part = W · col` lands directly in the channel-major
//! output. Backward: `dW = Σ_parts dy_part · colᵀ` (partials summed in a fixed order) and
//! `dx_part = col2im(Wᵀ · dy_part)`. Patches are built a chunk of output rows at a time,
//! small enough to stay in cache. A [`ConvAlgo::Pointwise`] convolution skips im2col: its
//! input already is the column matrix.

use super::{Conv2d, ConvAlgo, HalfWidth, Plan, split_cols, sum_partials};
use crate::nn::kernels::gemm::batch_parts;
use crate::nn::kernels::microkernel::{Mat, gemm_nn, gemm_nt, rows_of};
use crate::nn::kernels::patches::{self, chunk_rows, cols_of, row_chunks};
use crate::nn::kernels::{Geom, WeightGradProduct, simd, transpose, weight_grad_product};
use crate::nn::profile::{self, Phase};
use crate::nn::{Real, Tensor, bias_grad_from_rows, ensure_shape};
use ndarray::{ArrayView2, ArrayViewMut2, Axis};
use rayon::prelude::*;
use std::ops::Range;

/// Fill `col` with the patches of output rows `rows` of `x`, on the path of `algo`.
fn im2col<T: Real>(algo: ConvAlgo, g: &Geom, x: &[T], rows: Range<usize>, col: &mut [T]) {
    use ConvAlgo::{HalvingPick as Pick, HalvingTaps as Taps};
    use HalfWidth::{W4, W8, W16};
    simd::vectorized(
        #[inline(always)]
        || match algo {
            Taps(W4) => patches::im2col_halving::<T, 4>(g, x, rows, col),
            Taps(W8) => patches::im2col_halving::<T, 8>(g, x, rows, col),
            Taps(W16) => patches::im2col_halving::<T, 16>(g, x, rows, col),
            Pick(W4) => patches::im2col_pick::<T, 4>(g, x, rows, col),
            Pick(W8) => patches::im2col_pick::<T, 8>(g, x, rows, col),
            Pick(W16) => patches::im2col_pick::<T, 16>(g, x, rows, col),
            _ => patches::im2col_general(g, x, rows, col),
        },
    );
}

/// Scatter-add `col` onto `dx` (the images from `first` on), on the path of `algo`.
fn col2im<T: Real>(
    algo: ConvAlgo,
    g: &Geom,
    col: &[T],
    rows: Range<usize>,
    first: usize,
    dx: &mut ArrayViewMut2<'_, T>,
) {
    use ConvAlgo::{HalvingPick as Pick, HalvingTaps as Taps};
    use HalfWidth::{W4, W8, W16};
    simd::vectorized(
        #[inline(always)]
        || match algo {
            Taps(W4) => patches::col2im_halving::<T, 4>(g, col, rows, first, dx),
            Taps(W8) => patches::col2im_halving::<T, 8>(g, col, rows, first, dx),
            Taps(W16) => patches::col2im_halving::<T, 16>(g, col, rows, first, dx),
            Pick(W4) => patches::col2im_pick::<T, 4>(g, col, rows, first, dx),
            Pick(W8) => patches::col2im_pick::<T, 8>(g, col, rows, first, dx),
            Pick(W16) => patches::col2im_pick::<T, 16>(g, col, rows, first, dx),
            _ => patches::col2im_general(g, col, rows, first, dx),
        },
    );
}

/// The rows of `v` as slices (each row of a standard-layout matrix's column range is
/// contiguous).
fn view_rows<'a, T>(v: &'a mut ArrayViewMut2<'_, T>) -> Vec<&'a mut [T]> {
    v.rows_mut()
        .into_iter()
        .map(|r| r.into_slice().expect("rows are contiguous"))
        .collect()
}

impl<T: Real> Conv2d<T> {
    pub(super) fn forward_im2col(&mut self, x: &Tensor<T>, plan: &Plan) {
        let (g, algo) = (plan.geom, plan.algo);
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
            if algo == ConvAlgo::Pointwise {
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
                    im2col(algo, &g, xs, rows.clone(), col);
                    let mut yc = yp.slice_axis_mut(Axis(1), cols_of(&g, &rows, r.start));
                    let col = Mat {
                        data: col,
                        ld: cols,
                    };
                    gemm_nn((c_out, k, cols), w, col, &mut view_rows(&mut yc), false);
                }
            });
        });
        self.add_bias();
    }

    /// Weight gradient and (if wanted) input gradient, each part timed for `prof`.
    pub(super) fn backward_im2col(
        &mut self,
        x: &Tensor<T>,
        dy: &Tensor<T>,
        plan: &Plan,
        prof: &profile::SplitScope,
    ) {
        let (g, algo) = (plan.geom, plan.algo);
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
        simd::vectorized(
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
        let product = plan.weight_grad;
        parts
            .par_iter()
            .zip(self.partials.par_iter_mut())
            .zip(dx_parts)
            .for_each(|((r, partial), dxp)| {
                let mut dw = rows_of(partial, k, c_out);
                if algo == ConvAlgo::Pointwise {
                    let (dyp, cols) = (dy_from(r.start * howo), r.len() * hw);
                    let xp = Mat {
                        data: &xs[r.start * hw..],
                        ld: g.n * hw,
                    };
                    {
                        let _w = prof.part(Phase::BackwardWeight);
                        gemm_nt((c_out, g.c_in, cols), dyp, xp, &mut dw, false);
                    }
                    if let Some(mut dxp) = dxp {
                        let _d = prof.part(Phase::BackwardData);
                        let dims = (g.c_in, c_out, cols);
                        gemm_nn(dims, wt, dyp, &mut view_rows(&mut dxp), false);
                    }
                    return;
                }
                let max_cols = (rows_per_chunk * g.wo).min(r.len() * howo);
                let mut dxp = dxp;
                if let Some(d) = &mut dxp {
                    d.fill(T::zero());
                }
                // Room for the transposed patches only where the product uses them.
                let col_t_len = match product {
                    WeightGradProduct::Transposed => k * max_cols,
                    WeightGradProduct::LaneSums => 0,
                };
                T::with_scratch(k * max_cols + col_t_len, |buf| {
                    let (buf, col_t) = buf.split_at_mut(k * max_cols);
                    for (i, rows) in row_chunks(&g, r, rows_per_chunk).enumerate() {
                        let cols = rows.len() * g.wo;
                        let col = &mut buf[..k * cols];
                        let dyc = dy_from(rows.start * g.wo);
                        {
                            let _w = prof.part(Phase::BackwardWeight);
                            im2col(algo, &g, xs, rows.clone(), col);
                            let dims = (c_out, k, cols);
                            weight_grad_product(product, dims, dyc, col, &mut dw, i > 0, col_t);
                        }
                        if let Some(dxp) = &mut dxp {
                            let _d = prof.part(Phase::BackwardData);
                            // The patches are used: reuse their buffer for d(col).
                            let mut dcol = rows_of(col, cols, k);
                            gemm_nn((k, c_out, cols), wt, dyc, &mut dcol, false);
                            col2im(algo, &g, col, rows, r.start, dxp);
                        }
                    }
                });
            });

        let sum = sum_partials(&mut self.partials[..parts.len()]);
        self.weight.grad_mut().copy_from_slice(sum);
        if let Some(b) = &mut self.bias {
            bias_grad_from_rows(b, dy2.view());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The halving paths give the general paths' values to the bit, for every width and
    /// kernel they serve, on row ranges that start and end inside an image.
    #[test]
    fn halving_paths_match_the_general_ones() {
        let sizes = [(8, 8), (4, 16), (6, 32)];
        for ((h, w), (k, p)) in sizes.into_iter().flat_map(|s| [(s, (3, 1)), (s, (1, 0))]) {
            let g = Geom {
                c_in: 3,
                n: 3,
                h,
                w,
                kh: k,
                kw: k,
                sh: 2,
                sw: 2,
                ph: p,
                pw: p,
                ho: h / 2,
                wo: w / 2,
            };
            let kind = ConvAlgo::for_geometry(&g);
            let width = match w / 2 {
                4 => HalfWidth::W4,
                8 => HalfWidth::W8,
                _ => HalfWidth::W16,
            };
            let want = if k == 3 {
                ConvAlgo::HalvingTaps(width)
            } else {
                ConvAlgo::HalvingPick(width)
            };
            assert_eq!(kind, want);
            let x: Vec<f64> = (0..3 * 3 * h * w)
                .map(|i| (i as f64 * 0.37).sin())
                .collect();
            for rows in [0..g.n * g.ho, 1..2 * g.ho + 1] {
                let len = g.k() * rows.len() * g.wo;
                let (mut fast, mut general) = (vec![f64::NAN; len], vec![f64::NAN; len]);
                im2col(kind, &g, &x, rows.clone(), &mut fast);
                patches::im2col_general(&g, &x, rows.clone(), &mut general);
                assert_eq!(fast, general, "im2col {kind:?} {h}×{w} {rows:?}");

                let first = rows.start / g.ho;
                let images = (rows.end - 1) / g.ho + 1 - first;
                let col: Vec<f64> = (0..len).map(|i| (i as f64 * 0.11).cos()).collect();
                let mut dx_fast = ndarray::Array2::<f64>::zeros((3, images * h * w));
                let mut dx_general = dx_fast.clone();
                col2im(kind, &g, &col, rows.clone(), first, &mut dx_fast.view_mut());
                patches::col2im_general(&g, &col, rows.clone(), first, &mut dx_general.view_mut());
                assert_eq!(dx_fast, dx_general, "col2im {kind:?} {h}×{w} {rows:?}");
            }
        }
    }
}
