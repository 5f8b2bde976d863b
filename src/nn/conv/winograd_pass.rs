//! The forward and backward passes of [`Conv2d`] on the Winograd path
//! ([`crate::nn::kernels::winograd`]): per part of the batch, chunks of tile rows go input
//! transform → 16 GEMMs → output transform while in cache. Backward recomputes the input transform (cheaper than keeping
//! a 4× copy of the input) and sums the parts' partial `dU` in a fixed order, so results
//! do not depend on the thread count.

use super::{Conv2d, ConvAlgo, Plan, RowTiles, split_cols, sum_partials};
use crate::nn::kernels::gemm::batch_parts;
use crate::nn::kernels::winograd::{
    chunk_tile_rows, input_grad_transform, input_transform, output_grad_transform,
    output_transform, plane_stride, products_nn, products_weight_grad, scratch_len,
    tile_row_chunks, tiles, transform_weights, transpose_planes, weight_grad,
};
use crate::nn::kernels::{Geom, simd, winograd_rows as rows};
use crate::nn::profile::{self, Phase};
use crate::nn::{Real, Tensor, bias_grad_from_rows, ensure_shape};
use ndarray::{ArrayView2, ArrayViewMut2, Axis, Slice};
use rayon::prelude::*;
use std::ops::Range;

/// Call `$f::<_, TW>($args)` with the compile-time tile count `TW` of `$tiles`.
macro_rules! with_row_tiles {
    ($tiles:expr, $($f:ident)::+($($arg:expr),* $(,)?)) => {
        match $tiles {
            RowTiles::T1 => $($f)::+::<_, 1>($($arg),*),
            RowTiles::T2 => $($f)::+::<_, 2>($($arg),*),
            RowTiles::T4 => $($f)::+::<_, 4>($($arg),*),
            RowTiles::T8 => $($f)::+::<_, 8>($($arg),*),
            RowTiles::T16 => $($f)::+::<_, 16>($($arg),*),
        }
    };
}

/// The fixed-row transforms' tile count of a Winograd plan; `None` for the general ones.
fn row_tiles(algo: ConvAlgo) -> Option<RowTiles> {
    match algo {
        ConvAlgo::WinogradRows(t) => Some(t),
        _ => None,
    }
}

/// `V = Bᵀ d B` of tile rows `qs`: the fixed-row transform for `Some(tiles)`, the general
/// one otherwise (which uses `pad` as scratch).
#[inline(always)]
fn transform_input<T: Real>(
    g: &Geom,
    fixed: Option<RowTiles>,
    x: &[T],
    qs: Range<usize>,
    v: &mut [T],
    pad: &mut [T],
) {
    match fixed {
        Some(t) => with_row_tiles!(t, rows::input_transform(g, x, qs, v)),
        None => input_transform(g, x, qs, v, pad),
    }
}

impl<T: Real> Conv2d<T> {
    /// `U` of the current weights: transformed again only when the weights changed since
    /// (an optimiser step, a load), not for the backward pass after a forward pass or for
    /// repeated evaluation.
    fn refresh_wino_weights(&mut self) {
        let stamp = Some(self.weight.stamp());
        if self.wino_stamps[0] == stamp {
            return;
        }
        self.wino_u.resize(16 * self.c_out * self.c_in, T::zero());
        transform_weights(self.weight.value(), self.c_out, self.c_in, &mut self.wino_u);
        self.wino_stamps[0] = stamp;
    }

    pub(super) fn forward_winograd(&mut self, x: &Tensor<T>, plan: &Plan) {
        let g = plan.geom;
        let (c_out, c_in, howo) = (self.c_out, g.c_in, g.ho * g.wo);
        let (th, tw) = tiles(&g);
        let fixed = row_tiles(plan.algo);
        ensure_shape(&mut self.out, [c_out, g.n, g.ho, g.wo]);
        self.refresh_wino_weights();
        let parts = batch_parts(g.n, howo);
        let xs = x.as_slice().expect("standard layout");
        let y2 = self
            .out
            .view_mut()
            .into_shape_with_order((c_out, g.n * howo));
        let y_parts = split_cols(y2.expect("output shape"), &parts, howo);
        let rows = chunk_tile_rows::<T>(&g, c_out);
        let u = &self.wino_u;
        parts.par_iter().zip(y_parts).for_each(|(r, mut yp)| {
            let max_rows = rows.min(r.len() * th);
            T::with_scratch(scratch_len::<T>(&g, c_out, max_rows), |buf| {
                for qs in tile_row_chunks(&g, r, rows) {
                    let tc = qs.len() * tw;
                    let (v, rest) = buf.split_at_mut(16 * plane_stride::<T>(c_in, tc));
                    let (m, pad) = rest.split_at_mut(16 * plane_stride::<T>(c_out, tc));
                    simd::vectorized(
                        #[inline(always)]
                        || transform_input(&g, fixed, xs, qs.clone(), v, pad),
                    );
                    products_nn((c_out, c_in, tc), u, v, m, false);
                    simd::vectorized(
                        #[inline(always)]
                        || match fixed {
                            Some(t) => with_row_tiles!(
                                t,
                                rows::output_transform(&g, m, c_out, qs, r.start, &mut yp)
                            ),
                            None => output_transform(&g, m, c_out, qs, r.start, &mut yp, pad),
                        },
                    );
                }
            });
        });
        self.add_bias();
    }

    /// Weight gradient and (if wanted) input gradient, each part timed for `prof`.
    pub(super) fn backward_winograd(
        &mut self,
        x: &Tensor<T>,
        dy: &Tensor<T>,
        plan: &Plan,
        prof: &profile::SplitScope,
    ) {
        let g = plan.geom;
        let (c_out, c_in, hw, howo) = (self.c_out, g.c_in, g.h * g.w, g.ho * g.wo);
        let (th, tw) = tiles(&g);
        let fixed = row_tiles(plan.algo);
        assert_eq!(dy.shape(), [c_out, g.n, g.ho, g.wo], "conv dy shape");
        self.refresh_wino_weights();
        let parts = batch_parts(g.n, howo);
        let ulen = 16 * c_out * c_in;
        if self.partials.len() < parts.len() {
            self.partials.resize(parts.len(), Vec::new());
        }
        self.partials
            .iter_mut()
            .for_each(|p| p.resize(ulen, T::zero()));
        ensure_shape(&mut self.dx, [c_in, g.n, g.h, g.w]);

        let xs = x.as_slice().expect("standard layout");
        let dys = dy.as_slice().expect("standard layout");
        let dy2 = ArrayView2::from_shape((c_out, g.n * howo), dys).expect("dy shape");
        let dx_parts: Vec<Option<ArrayViewMut2<'_, T>>> = if self.input_grad {
            let dx2 = self.dx.view_mut().into_shape_with_order((c_in, g.n * hw));
            split_cols(dx2.expect("dx shape"), &parts, hw)
                .into_iter()
                .map(Some)
                .collect()
        } else {
            parts.iter().map(|_| None).collect()
        };
        if self.input_grad && self.wino_stamps[1] != self.wino_stamps[0] {
            self.wino_ut.resize(ulen, T::zero());
            transpose_planes(&self.wino_u, c_out, c_in, &mut self.wino_ut);
            self.wino_stamps[1] = self.wino_stamps[0];
        }
        let rows = chunk_tile_rows::<T>(&g, c_out);
        let ut = &self.wino_ut;
        let product = plan.weight_grad;
        parts
            .par_iter()
            .zip(self.partials.par_iter_mut())
            .zip(dx_parts)
            .for_each(|((r, du), mut dxp)| {
                let dyp = dy2.slice_axis(Axis(1), Slice::from(r.start * howo..r.end * howo));
                if let Some(d) = &mut dxp {
                    d.fill(T::zero());
                }
                let max_rows = rows.min(r.len() * th);
                T::with_scratch(scratch_len::<T>(&g, c_out, max_rows), |buf| {
                    for (i, qs) in tile_row_chunks(&g, r, rows).enumerate() {
                        let tc = qs.len() * tw;
                        let (v, rest) = buf.split_at_mut(16 * plane_stride::<T>(c_in, tc));
                        let (dm, rest) = rest.split_at_mut(16 * plane_stride::<T>(c_out, tc));
                        let (vt, pad) = rest.split_at_mut(c_in * tc);
                        {
                            let _w = prof.part(Phase::BackwardWeight);
                            simd::vectorized(
                                #[inline(always)]
                                || {
                                    transform_input(&g, fixed, xs, qs.clone(), v, pad);
                                    let (qs, first) = (qs.clone(), r.start);
                                    match fixed {
                                        Some(t) => with_row_tiles!(
                                            t,
                                            rows::output_grad_transform(
                                                &g, &dyp, c_out, qs, first, dm
                                            )
                                        ),
                                        None => output_grad_transform(
                                            &g, &dyp, c_out, qs, first, dm, pad,
                                        ),
                                    };
                                },
                            );
                            let dims = (c_out, c_in, tc);
                            products_weight_grad(product, dims, dm, v, du, i > 0, vt);
                        }
                        if let Some(dxp) = &mut dxp {
                            let _d = prof.part(Phase::BackwardData);
                            // V is used: its buffer takes dV.
                            products_nn((c_in, c_out, tc), ut, dm, v, false);
                            simd::vectorized(
                                #[inline(always)]
                                || match fixed {
                                    Some(t) => with_row_tiles!(
                                        t,
                                        rows::input_grad_transform(&g, v, qs, r.start, dxp)
                                    ),
                                    None => input_grad_transform(&g, v, qs, r.start, dxp, pad),
                                },
                            );
                        }
                    }
                });
            });

        let du = sum_partials(&mut self.partials[..parts.len()]);
        weight_grad(du, c_out, c_in, self.weight.grad_mut());
        if let Some(b) = &mut self.bias {
            bias_grad_from_rows(b, dy2.view());
        }
    }
}
