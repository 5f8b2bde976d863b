//! The forward and backward passes of [`Conv2d`] on the Winograd path ([`super::winograd`]):
//! per part of the batch, chunks of tile rows go input transform → 16 GEMMs → output
//! transform while in cache. Backward recomputes the input transform (cheaper than keeping
//! a 4× copy of the input) and sums the parts' partial `dU` in a fixed order, so results
//! do not depend on the thread count.

use super::patches::Geom;
use super::winograd::{
    chunk_tile_rows, input_grad_transform, input_transform, output_grad_transform,
    output_transform, plane_stride, products_nn, products_weight_grad, scratch_len,
    tile_row_chunks, tiles, transform_weights, transpose_planes, weight_grad,
};
use super::winograd_rows::{self as rows, with_fixed_row};
use super::{Conv2d, split_cols, sum_partials};
use crate::nn::gemm::batch_parts;
use crate::nn::{Real, Tensor, bias_grad_from_rows, ensure_shape, profile, simd};
use ndarray::{ArrayView2, ArrayViewMut2, Axis, Slice};
use rayon::prelude::*;
use std::ops::Range;
use std::time::Duration;

/// `V = Bᵀ d B` of tile rows `qs`: the fixed-row transform when it applies (`fixed`),
/// the general one otherwise (which uses `pad` as scratch).
#[inline(always)]
fn transform_input<T: Real>(
    g: &Geom,
    fixed: bool,
    x: &[T],
    qs: Range<usize>,
    v: &mut [T],
    pad: &mut [T],
) {
    if fixed {
        with_fixed_row!(tiles(g).1, rows::input_transform(g, x, qs, v))
    } else {
        input_transform(g, x, qs, v, pad)
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

    pub(super) fn forward_winograd(&mut self, x: &Tensor<T>) {
        let g = self.geom(x);
        let (c_out, c_in, howo) = (self.c_out, g.c_in, g.ho * g.wo);
        let (th, tw) = tiles(&g);
        let fixed = rows::applies(&g);
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
                        || {
                            if fixed {
                                with_fixed_row!(
                                    tw,
                                    rows::output_transform(&g, m, c_out, qs, r.start, &mut yp)
                                )
                            } else {
                                output_transform(&g, m, c_out, qs, r.start, &mut yp, pad)
                            }
                        },
                    );
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
    pub(super) fn backward_winograd(
        &mut self,
        x: &Tensor<T>,
        dy: &Tensor<T>,
    ) -> (Duration, Duration) {
        let g = self.geom(x);
        let (c_out, c_in, hw, howo) = (self.c_out, g.c_in, g.h * g.w, g.ho * g.wo);
        let (th, tw) = tiles(&g);
        let fixed = rows::applies(&g);
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
        let times = parts
            .par_iter()
            .zip(self.partials.par_iter_mut())
            .zip(dx_parts)
            .map(|((r, du), mut dxp)| {
                let mut lap = profile::Lap::start();
                let (mut tw_, mut td) = (Duration::ZERO, Duration::ZERO);
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
                        simd::vectorized(
                            #[inline(always)]
                            || {
                                transform_input(&g, fixed, xs, qs.clone(), v, pad);
                                if fixed {
                                    with_fixed_row!(
                                        tw,
                                        rows::output_grad_transform(
                                            &g,
                                            &dyp,
                                            c_out,
                                            qs.clone(),
                                            r.start,
                                            dm
                                        )
                                    )
                                } else {
                                    output_grad_transform(
                                        &g,
                                        &dyp,
                                        c_out,
                                        qs.clone(),
                                        r.start,
                                        dm,
                                        pad,
                                    )
                                };
                            },
                        );
                        products_weight_grad((c_out, c_in, tc), dm, v, du, i > 0, vt);
                        tw_ += lap.lap();
                        if let Some(dxp) = &mut dxp {
                            // V is used: its buffer takes dV.
                            products_nn((c_in, c_out, tc), ut, dm, v, false);
                            simd::vectorized(
                                #[inline(always)]
                                || {
                                    if fixed {
                                        with_fixed_row!(
                                            tw,
                                            rows::input_grad_transform(&g, v, qs, r.start, dxp)
                                        )
                                    } else {
                                        input_grad_transform(&g, v, qs, r.start, dxp, pad)
                                    }
                                },
                            );
                            td += lap.lap();
                        }
                    }
                });
                (tw_, td)
            })
            .reduce(
                || (Duration::ZERO, Duration::ZERO),
                |a, b| (a.0 + b.0, a.1 + b.1),
            );

        let du = sum_partials(&mut self.partials[..parts.len()]);
        weight_grad(du, c_out, c_in, self.weight.grad_mut());
        if let Some(b) = &mut self.bias {
            bias_grad_from_rows(b, dy2.view());
        }
        times
    }
}
