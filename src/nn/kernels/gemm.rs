//! The general GEMM entry point of the nn engine (one of its two: convolutions use
//! [`super::microkernel`]), and how work is split across the batch.
//!
//! Measured on a 2-core AVX-512 machine (f32 peak ~315 GFLOP/s), over ResNet-18's conv-as-GEMM
//! shapes at batch 32: ndarray's `general_mat_mul` into a reused buffer, with `matrixmultiply`
//! (≥ 0.3.11) a direct dependency so its AVX-512 kernel is compiled in, reaches ~119 GFLOP/s
//! per core, and ~237 with two threads each running a single-threaded GEMM on half the batch;
//! `.dot()` (allocating, and by default without AVX-512) reaches ~64 and matrixmultiply's own
//! threading is erratic. So the linear and recurrent layers' products go through [`gemm`]
//! (single-threaded), and layers run one product per part of the batch in parallel
//! ([`batch_parts`]), summing partial weight gradients. Convolutions use the packing-free
//! kernels of [`super::microkernel`] instead: their operands are thin (16 channels × thousands
//! of columns), where packing cost as much as the arithmetic (issue 14's profile).

use super::Real;
use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2};
use std::ops::Range;

/// `c ← α·a·b + β·c`, single-threaded. With `β = 0`, `c` is not read (it may hold garbage).
/// Any strides are accepted; the kernel packs its operands.
pub fn gemm<T: Real>(
    alpha: T,
    a: &ArrayView2<'_, T>,
    b: &ArrayView2<'_, T>,
    beta: T,
    c: &mut ArrayViewMut2<'_, T>,
) {
    general_mat_mul(alpha, a, b, beta, c);
}

/// Columns (images × output pixels) one part should hold: enough that the packed GEMM
/// amortises its packing (matrixmultiply's NC is 1024) while the im2col matrix of one part
/// stays a few MB.
const TARGET_COLS: usize = 4096;

/// Split `n` images, each contributing `cols_per_image` GEMM columns, into contiguous
/// parts to run in parallel. The split depends only on the shapes, never on the thread
/// count, so results are bit-identical from run to run and machine to machine.
pub fn batch_parts(n: usize, cols_per_image: usize) -> Vec<Range<usize>> {
    if n == 0 {
        return Vec::new();
    }
    let total = n * cols_per_image.max(1);
    // At least two parts (two cores), an even count so two threads stay balanced.
    let mut parts = total.div_ceil(TARGET_COLS).max(2);
    parts += parts % 2;
    let parts = parts.min(n);
    let (base, extra) = (n / parts, n % parts);
    let mut start = 0;
    (0..parts)
        .map(|i| {
            let len = base + usize::from(i < extra);
            let r = start..start + len;
            start += len;
            r
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn parts_cover_the_batch_in_order() {
        for (n, cols) in [
            (1, 1024),
            (4, 1024),
            (32, 1024),
            (32, 16),
            (7, 256),
            (33, 64),
        ] {
            let parts = batch_parts(n, cols);
            assert_eq!(parts.first().unwrap().start, 0);
            assert_eq!(parts.last().unwrap().end, n);
            assert!(
                parts
                    .windows(2)
                    .all(|w| w[0].end == w[1].start && !w[1].is_empty())
            );
        }
        assert_eq!(batch_parts(32, 1024).len(), 8);
        assert_eq!(batch_parts(32, 16).len(), 2);
        assert_eq!(batch_parts(1, 16).len(), 1);
    }

    #[test]
    fn gemm_matches_naive_product_with_strided_operands() {
        let a = Array2::from_shape_fn((5, 7), |(i, j)| (i * 7 + j) as f64 * 0.1 - 1.0);
        let bt = Array2::from_shape_fn((3, 7), |(i, j)| (i as f64 - j as f64) * 0.3);
        let b = bt.t(); // column-major view
        let mut c = Array2::from_elem((5, 3), 1.0);
        gemm(2.0, &a.view(), &b, 0.5, &mut c.view_mut());
        for i in 0..5 {
            for j in 0..3 {
                let dot: f64 = (0..7).map(|k| a[[i, k]] * b[[k, j]]).sum();
                assert!((c[[i, j]] - (2.0 * dot + 0.5)).abs() < 1e-12);
            }
        }
    }
}
