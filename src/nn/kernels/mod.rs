//! The engine's numeric kernels, apart from the layers that call them: the two GEMM entry
//! points (`gemm` for general products, [`microkernel`] for the thin products of every
//! convolution), run-time SIMD dispatch (`simd`), the patch matrices of im2col
//! (`patches`) and the Winograd F(2×2, 3×3) transforms (`winograd`, `winograd_rows`).
//! Which kernel a convolution runs is decided in one place, `conv::ConvAlgo`; the kernels
//! take that decision as given (a const width, a [`WeightGradProduct`]).

pub(crate) mod gemm;
mod geom;
pub mod microkernel;
pub(crate) mod patches;
pub(crate) mod simd;
pub(crate) mod small_gemm;
pub(crate) mod transcendental;
pub(crate) mod winograd;
pub(crate) mod winograd_rows;

pub(crate) use geom::Geom;

use super::Real;
use microkernel::{Mat, Rows, gemm_nn, gemm_nt};
use std::ops::Range;

/// `(image, row)` of each of the consecutive `rows` of a batch with `per_image` rows an
/// image, in order, without a division per row (a division cost as much as the work per
/// row in the Winograd transforms' inner loops).
#[inline(always)]
pub(crate) fn per_image(
    rows: Range<usize>,
    per_image: usize,
) -> impl Iterator<Item = (usize, usize)> {
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
pub(crate) fn transpose<T: Real>(a: &[T], rows: usize, cols: usize, out: &mut [T]) {
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

/// How a weight gradient's product `dw ← dy·colᵀ` is computed (chosen per geometry by
/// `conv::ConvAlgo::weight_grad`). The two sum in different orders, so the choice is part
/// of a result's bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WeightGradProduct {
    /// [`gemm_nt`]: vectors along the columns, summed across lanes once per chunk.
    LaneSums,
    /// Transpose `col`, then [`gemm_nn`] with vectors along `k`: for wide gradients, where
    /// the lane sums of few columns cost as much as the products.
    Transposed,
}

/// `dw ← dy·colᵀ` (`+ dw` when `accumulate`): `dy` is `m × n` and `col` `k × n` (patches
/// or transformed tiles, `n` columns, contiguous), `dw` `m × k`. `col_t` is scratch of
/// `k·n` for [`WeightGradProduct::Transposed`].
pub(crate) fn weight_grad_product<T: Real>(
    product: WeightGradProduct,
    (m, k, n): (usize, usize, usize),
    dy: Mat<'_, T>,
    col: &[T],
    dw: Rows<'_, '_, T>,
    accumulate: bool,
    col_t: &mut [T],
) {
    match product {
        WeightGradProduct::Transposed => {
            let col_t = &mut col_t[..k * n];
            simd::vectorized(
                #[inline(always)]
                || transpose(col, k, n, col_t),
            );
            let b = Mat { data: col_t, ld: k };
            gemm_nn((m, n, k), dy, b, dw, accumulate);
        }
        WeightGradProduct::LaneSums => {
            let b = Mat { data: col, ld: n };
            gemm_nt((m, k, n), dy, b, dw, accumulate);
        }
    }
}
