//! Products too small for a packing GEMM: the recurrent layers' per-step `h_{t−1} W_hhᵀ` and
//! `dpre_t W_hh` (batch × 32 by 32 × 128 in the lstm lab). matrixmultiply packs both
//! operands on every call, which at this size cost a third of its time; here the right
//! operand is read in place, four rows by sixteen columns of the result stay in registers,
//! and each element's sum runs over k in order with one rounding per term (a fused
//! multiply-add, emulated exactly where the CPU has none) — so every instruction set (and
//! every tile edge) gives the same bits.

use super::Real;
use super::simd::vectorized;

/// Rows and columns of the result kept in registers at a time.
const ROWS: usize = 4;
const COLS: usize = 16;

/// `src` `[rows, cols]` transposed into `dst` `[cols, rows]`.
pub fn transpose_into<T: Real>(src: &[T], rows: usize, cols: usize, dst: &mut Vec<T>) {
    dst.resize(rows * cols, T::zero());
    for (r, row) in src.chunks_exact(cols.max(1)).take(rows).enumerate() {
        for (q, v) in row.iter().enumerate() {
            dst[q * rows + r] = *v;
        }
    }
}

/// `c ← c + a·b` for row-major `a` `[n, k]`, `b` `[k, m]`, `c` `[n, m]`; each element's sum
/// is `fma(a_{k−1}, b_{k−1}, … fma(a₀, b₀, c))`: in k order, one rounding per term.
pub fn gemm_acc<T: Real>(a: &[T], b: &[T], c: &mut [T], n: usize, k: usize, m: usize) {
    assert!(
        a.len() >= n * k && b.len() >= k * m && c.len() >= n * m,
        "small gemm shapes"
    );
    vectorized(
        #[inline(always)]
        || {
            let mut s = 0;
            while s < n {
                let rows = ROWS.min(n - s);
                let mut j = 0;
                while j + COLS <= m {
                    if rows == ROWS {
                        tile::<T, ROWS>(a, b, c, s, j, k, m);
                    } else {
                        for r in s..s + rows {
                            tile::<T, 1>(a, b, c, r, j, k, m);
                        }
                    }
                    j += COLS;
                }
                if j < m {
                    edge(a, b, c, s..s + rows, j..m, k, m);
                }
                s += rows;
            }
        },
    );
}

/// A full `R`×`COLS` tile at row `s`, column `j`.
#[inline(always)]
fn tile<T: Real, const R: usize>(
    a: &[T],
    b: &[T],
    c: &mut [T],
    s: usize,
    j: usize,
    k: usize,
    m: usize,
) {
    let mut acc = [[T::zero(); COLS]; R];
    for (r, acc) in acc.iter_mut().enumerate() {
        acc.copy_from_slice(&c[(s + r) * m + j..(s + r) * m + j + COLS]);
    }
    for p in 0..k {
        let bw: &[T; COLS] = b[p * m + j..p * m + j + COLS]
            .try_into()
            .expect("a tile's columns");
        for (r, acc) in acc.iter_mut().enumerate() {
            let av = a[(s + r) * k + p];
            for (x, w) in acc.iter_mut().zip(bw) {
                *x = av.mul_add(*w, *x);
            }
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        c[(s + r) * m + j..(s + r) * m + j + COLS].copy_from_slice(acc);
    }
}

/// What the tiles leave: the same sums, element by element.
#[inline(always)]
fn edge<T: Real>(
    a: &[T],
    b: &[T],
    c: &mut [T],
    rows: std::ops::Range<usize>,
    cols: std::ops::Range<usize>,
    k: usize,
    m: usize,
) {
    for s in rows {
        for j in cols.clone() {
            let mut x = c[s * m + j];
            for p in 0..k {
                x = a[s * k + p].mul_add(b[p * m + j], x);
            }
            c[s * m + j] = x;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_in_k_order_over_every_tile_and_edge() {
        for (n, k, m) in [
            (32, 32, 128),
            (5, 3, 17),
            (1, 7, 1),
            (9, 32, 40),
            (4, 0, 16),
        ] {
            let a: Vec<f64> = (0..n * k)
                .map(|i| ((i * 7919) % 97) as f64 / 13.0 - 3.0)
                .collect();
            let b: Vec<f64> = (0..k * m)
                .map(|i| ((i * 104_729) % 89) as f64 / 11.0 - 4.0)
                .collect();
            let c0: Vec<f64> = (0..n * m).map(|i| (i % 5) as f64 * 0.1).collect();
            let mut c = c0.clone();
            gemm_acc(&a, &b, &mut c, n, k, m);
            for s in 0..n {
                for j in 0..m {
                    let mut x = c0[s * m + j];
                    for p in 0..k {
                        x = a[s * k + p].mul_add(b[p * m + j], x);
                    }
                    assert_eq!(
                        c[s * m + j].to_bits(),
                        x.to_bits(),
                        "({n},{k},{m}) at {s},{j}"
                    );
                }
            }
        }
    }
}
