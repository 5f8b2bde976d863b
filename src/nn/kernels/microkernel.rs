//! Packing-free GEMM micro-kernels for the thin products of the convolution layers.
//!
//! The Winograd products of a narrow ResNet multiply a small matrix (channels × channels,
//! 16 × 16 at width 16) by a long one (channels × tiles). A general GEMM packs the long
//! operand into panels first, and at these sizes packing costs about as much as the
//! arithmetic (issue 14's profile). Here the long operand's rows are read in
//! place: each of them is contiguous, so a register block of `MR` rows × two SIMD vectors
//! of the result is computed straight from `a` (broadcast) and `b` (vector loads).
//!
//! - [`gemm_nn`]: `c ← a·b (+ c)`, `a` `[m × k]`, `b` `[k × n]`, the long dimension is `n`.
//! - [`gemm_nt`]: `c ← a·bᵀ (+ c)`, `a` `[m × n]`, `b` `[k × n]`, the long dimension is
//!   the reduction `n` (weight gradients): vectors along `n`, summed across lanes at the end.
//!
//! pulp picks the instruction set at run time (AVX-512, AVX2 + FMA, or scalar) and the
//! kernels are compiled once per set. Multiply-adds are fused where the CPU has FMA, so
//! f32 results differ from matrixmultiply's in the last bits (the conv tests bound them).

use super::Real;
use pulp::{Simd, WithSimd};

/// An element type the kernels run on: its SIMD vector for every pulp instruction set.
pub trait Lanes: Copy + Send + Sync + 'static {
    type V<S: Simd>: Copy;
    fn lanes<S: Simd>() -> usize;
    fn splat<S: Simd>(s: S, x: Self) -> Self::V<S>;
    /// `a·b + c`, fused when the instruction set has FMA.
    fn fma<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>, c: Self::V<S>) -> Self::V<S>;
    /// The first [`Lanes::lanes`] elements of `x`.
    fn load<S: Simd>(x: &[Self]) -> Self::V<S>;
    /// `x` (shorter than a vector), zero-filled.
    fn load_part<S: Simd>(s: S, x: &[Self]) -> Self::V<S>;
    fn store<S: Simd>(x: &mut [Self], v: Self::V<S>);
    fn store_part<S: Simd>(s: S, x: &mut [Self], v: Self::V<S>);
}

macro_rules! impl_lanes {
    ($t:ty, $v:ident, $splat:ident, $fma:ident, $as:ident, $as_mut:ident, $pl:ident, $ps:ident) => {
        impl Lanes for $t {
            type V<S: Simd> = S::$v;
            #[inline(always)]
            fn lanes<S: Simd>() -> usize {
                size_of::<S::$v>() / size_of::<$t>()
            }
            #[inline(always)]
            fn splat<S: Simd>(s: S, x: Self) -> S::$v {
                s.$splat(x)
            }
            #[inline(always)]
            fn fma<S: Simd>(s: S, a: S::$v, b: S::$v, c: S::$v) -> S::$v {
                s.$fma(a, b, c)
            }
            #[inline(always)]
            fn load<S: Simd>(x: &[Self]) -> S::$v {
                S::$as(x).0[0]
            }
            #[inline(always)]
            fn load_part<S: Simd>(s: S, x: &[Self]) -> S::$v {
                s.$pl(x)
            }
            #[inline(always)]
            fn store<S: Simd>(x: &mut [Self], v: S::$v) {
                S::$as_mut(x).0[0] = v;
            }
            #[inline(always)]
            fn store_part<S: Simd>(s: S, x: &mut [Self], v: S::$v) {
                s.$ps(x, v)
            }
        }
    };
}

#[rustfmt::skip]
impl_lanes!(f32, f32s, splat_f32s, mul_add_e_f32s, as_simd_f32s, as_mut_simd_f32s,
    partial_load_f32s, partial_store_f32s);
#[rustfmt::skip]
impl_lanes!(f64, f64s, splat_f64s, mul_add_e_f64s, as_simd_f64s, as_mut_simd_f64s,
    partial_load_f64s, partial_store_f64s);

/// A row-major matrix operand: `data[i·ld + j]`.
#[derive(Clone, Copy, Debug)]
pub struct Mat<'a, T> {
    pub data: &'a [T],
    pub ld: usize,
}

/// The result operand, row by row (rows need not be evenly spaced: a column range of a
/// larger matrix, split between threads, is fine).
pub type Rows<'r, 'a, T> = &'r mut [&'a mut [T]];

/// The first `m` rows of the row-major matrix in `data` with row stride `ld`.
pub fn rows_of<T>(data: &mut [T], ld: usize, m: usize) -> Vec<&mut [T]> {
    data.chunks_mut(ld.max(1)).take(m).collect()
}

/// Rows of the reduction dimension one pass of [`gemm_nn`] streams through before it
/// writes its accumulators back, so a column panel of `b` stays in L1.
const KC: usize = 128;

/// `c ← a·b`, or `c ← a·b + c` when `accumulate`; `a` is `m × k`, `b` `k × n`, `c` `m × n`.
pub fn gemm_nn<T: Real>(
    dims: (usize, usize, usize),
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    c: Rows<'_, '_, T>,
    accumulate: bool,
) {
    let (_, k, n) = dims;
    let p = Product::checked("gemm_nn", dims, a, b, c, accumulate, [k, n, n]);
    pulp::Arch::new().dispatch(Nn(p));
}

/// `c ← a·bᵀ`, or `c ← a·bᵀ + c` when `accumulate`; `a` is `m × n`, `b` `k × n`, `c` `m × k`.
pub fn gemm_nt<T: Real>(
    dims: (usize, usize, usize),
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    c: Rows<'_, '_, T>,
    accumulate: bool,
) {
    let (_, k, n) = dims;
    let p = Product::checked("gemm_nt", dims, a, b, c, accumulate, [n, n, k]);
    pulp::Arch::new().dispatch(Nt(p));
}

/// The operands of one product: `a` has `m` rows, `b` `k`, `c` `m`.
struct Product<'a, 'b, T> {
    dims: (usize, usize, usize),
    a: Mat<'a, T>,
    b: Mat<'a, T>,
    c: Rows<'a, 'b, T>,
    accumulate: bool,
}

impl<'a, 'b, T> Product<'a, 'b, T> {
    /// The operands, after checking that `a`, `b` and `c` hold `cols[0]`, `cols[1]` and
    /// `cols[2]` columns in each of their rows.
    fn checked(
        what: &str,
        (m, k, n): (usize, usize, usize),
        a: Mat<'a, T>,
        b: Mat<'a, T>,
        c: Rows<'a, 'b, T>,
        accumulate: bool,
        [ac, bc, cc]: [usize; 3],
    ) -> Self {
        let holds = |x: &Mat<'_, T>, rows: usize, cols: usize| {
            rows == 0 || x.data.len() >= (rows - 1) * x.ld + cols
        };
        assert!(holds(&a, m, ac), "{what}: a too short");
        assert!(holds(&b, k, bc), "{what}: b too short");
        assert!(
            c.len() >= m && c[..m].iter().all(|r| r.len() >= cc),
            "{what}: c too short"
        );
        Self {
            dims: (m, k, n),
            a,
            b,
            c,
            accumulate,
        }
    }
}

/// `c ← a·b (+ c)`, run by pulp on the instruction set it picks.
struct Nn<'a, 'b, T>(Product<'a, 'b, T>);

impl<T: Real> WithSimd for Nn<'_, '_, T> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        if S::REGISTER_COUNT >= 32 {
            nn::<T, S, 8>(s, self);
        } else {
            nn::<T, S, 4>(s, self);
        }
    }
}

/// Column blocks of two vectors, row blocks of `MR`, the reduction in passes of [`KC`].
#[inline(always)]
fn nn<T: Real, S: Simd, const MR: usize>(s: S, op: Nn<'_, '_, T>) {
    let Nn(Product {
        dims: (m, k, n),
        a,
        b,
        c,
        accumulate,
    }) = op;
    let width = 2 * T::lanes::<S>();
    for p0 in (0..k.max(1)).step_by(KC) {
        let kc = KC.min(k - p0);
        let acc_in = accumulate || p0 > 0;
        for j in (0..n).step_by(width) {
            let w = width.min(n - j);
            let mut i = 0;
            while i < m {
                let rows = MR.min(m - i);
                let blk = Block {
                    i,
                    j,
                    p0,
                    kc,
                    acc_in,
                };
                macro_rules! go {
                    ($($r:literal)*) => {
                        match rows {
                            $($r => if w == width {
                                nn_block::<T, S, $r, false>(s, &blk, w, a, b, &mut *c)
                            } else {
                                nn_block::<T, S, $r, true>(s, &blk, w, a, b, &mut *c)
                            },)*
                            _ => unreachable!("row block of {rows}"),
                        }
                    };
                }
                go!(1 2 3 4 5 6 7 8);
                i += rows;
            }
        }
    }
}

/// Where one register block sits: result rows from `i`, columns from `j`, reduction
/// indices `p0 .. p0 + kc`, and whether `c`'s old value is added.
struct Block {
    i: usize,
    j: usize,
    p0: usize,
    kc: usize,
    acc_in: bool,
}

/// One `R × (2 vectors)` block of `c` (only `w` columns of it when `PART`).
#[allow(clippy::needless_range_loop)] // register blocks read best with indices
#[inline(always)]
fn nn_block<T: Real, S: Simd, const R: usize, const PART: bool>(
    s: S,
    blk: &Block,
    w: usize,
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    c: Rows<'_, '_, T>,
) {
    let l = T::lanes::<S>();
    let (w0, w1) = (w.min(l), w.saturating_sub(l));
    let load = |x: &[T]| -> [T::V<S>; 2] {
        if PART {
            [T::load_part(s, &x[..w0]), T::load_part(s, &x[l.min(w)..w])]
        } else {
            [T::load::<S>(x), T::load::<S>(&x[l..])]
        }
    };
    let zero = T::splat(s, T::zero());
    let mut acc = [[zero; 2]; R];
    if blk.acc_in {
        for (r, acc) in acc.iter_mut().enumerate() {
            *acc = load(&c[blk.i + r][blk.j..]);
        }
    }
    let arows: [&[T]; R] =
        std::array::from_fn(|r| &a.data[(blk.i + r) * a.ld + blk.p0..][..blk.kc]);
    for p in 0..blk.kc {
        let bv = load(&b.data[(blk.p0 + p) * b.ld + blk.j..][..w]);
        for r in 0..R {
            let av = T::splat(s, arows[r][p]);
            acc[r][0] = T::fma(s, av, bv[0], acc[r][0]);
            acc[r][1] = T::fma(s, av, bv[1], acc[r][1]);
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        let out = &mut c[blk.i + r][blk.j..][..w];
        if PART {
            T::store_part(s, &mut out[..w0], acc[0]);
            T::store_part(s, &mut out[w0..w0 + w1], acc[1]);
        } else {
            T::store::<S>(&mut out[..l], acc[0]);
            T::store::<S>(&mut out[l..], acc[1]);
        }
    }
}

/// `c ← a·bᵀ (+ c)`, run by pulp on the instruction set it picks.
struct Nt<'a, 'b, T>(Product<'a, 'b, T>);

impl<T: Real> WithSimd for Nt<'_, '_, T> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        // `V` vectors make one group of [`GROUP`] lanes.
        match (T::lanes::<S>(), S::REGISTER_COUNT >= 32) {
            (16, true) => nt::<T, S, 4, 4, 1>(s, self),
            (8, true) => nt::<T, S, 3, 3, 2>(s, self),
            (8, false) => nt::<T, S, 2, 3, 2>(s, self),
            (4, _) => nt::<T, S, 2, 2, 4>(s, self),
            (1, _) => nt::<T, S, 1, 1, 16>(s, self),
            (l, _) => unreachable!("{l} lanes"),
        }
    }
}

/// Lanes of the partial sums of [`gemm_nt`], whatever the instruction set: element `t` of
/// a dot product goes to partial sum `t mod 16`, and the 16 are added in a fixed tree, so
/// the result is the same bits on AVX-512, AVX2 and scalar machines (the weight gradients
/// and with them every training run; snapshot tests rely on it).
const GROUP: usize = 16;

/// Blocks of `MI` rows of `a` × `NQ` rows of `b`, each a dot product along `n`.
#[inline(always)]
fn nt<T: Real, S: Simd, const MI: usize, const NQ: usize, const V: usize>(s: S, op: Nt<'_, '_, T>) {
    debug_assert_eq!(V * T::lanes::<S>(), GROUP);
    let Nt(Product {
        dims: (m, k, n),
        a,
        b,
        c,
        accumulate,
    }) = op;
    let mut i = 0;
    while i < m {
        let ri = MI.min(m - i);
        let mut q = 0;
        while q < k {
            let rq = NQ.min(k - q);
            let at = (i, q);
            macro_rules! go {
                ($(($x:literal, $y:literal))*) => {
                    match (ri, rq) {
                        $(($x, $y) if $x <= MI && $y <= NQ => {
                            nt_block::<T, S, $x, $y, V>(s, at, n, a, b, &mut *c, accumulate)
                        })*
                        _ => unreachable!("block {ri}×{rq}"),
                    }
                };
            }
            go!(
                (1, 1)(1, 2)(1, 3)(1, 4)(2, 1)(2, 2)(2, 3)(2, 4)(3, 1)(3, 2)(3, 3)(3, 4)(4, 1)(
                    4, 2
                )(4, 3)(4, 4)
            );
            q += rq;
        }
        i += ri;
    }
}

/// The 16 lanes of a group, added pairwise in a fixed order: `l + 8`, then `l + 4`, …
#[inline(always)]
fn sum_group<T: Real>(mut lanes: [T; GROUP]) -> T {
    let mut half = GROUP / 2;
    while half > 0 {
        for l in 0..half {
            let upper = lanes[l + half];
            lanes[l] += upper;
        }
        half /= 2;
    }
    lanes[0]
}

/// `c[i + x][q + y] (+)= Σ_t a[i + x][t]·b[q + y][t]` for `x < RI`, `y < RQ`, summed in
/// [`GROUP`] lanes of `V` vectors each.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
fn nt_block<T: Real, S: Simd, const RI: usize, const RQ: usize, const V: usize>(
    s: S,
    (i, q): (usize, usize),
    n: usize,
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    c: Rows<'_, '_, T>,
    accumulate: bool,
) {
    let l = T::lanes::<S>();
    let arows: [&[T]; RI] = std::array::from_fn(|x| &a.data[(i + x) * a.ld..][..n]);
    let brows: [&[T]; RQ] = std::array::from_fn(|y| &b.data[(q + y) * b.ld..][..n]);
    let zero = T::splat(s, T::zero());
    let mut acc = [[[zero; V]; RQ]; RI];
    let full = n - n % GROUP;
    for t in (0..full).step_by(GROUP) {
        for v in 0..V {
            let at = t + v * l;
            let bv: [T::V<S>; RQ] = std::array::from_fn(|y| T::load::<S>(&brows[y][at..]));
            for x in 0..RI {
                let av = T::load::<S>(&arows[x][at..]);
                for y in 0..RQ {
                    acc[x][y][v] = T::fma(s, av, bv[y], acc[x][y][v]);
                }
            }
        }
    }
    if full < n {
        // The last group, zero-filled: the same lanes get the same zeros on every ISA.
        for v in 0..V {
            let at = (full + v * l).min(n);
            let end = (at + l).min(n);
            let bv: [T::V<S>; RQ] = std::array::from_fn(|y| T::load_part(s, &brows[y][at..end]));
            for x in 0..RI {
                let av = T::load_part(s, &arows[x][at..end]);
                for y in 0..RQ {
                    acc[x][y][v] = T::fma(s, av, bv[y], acc[x][y][v]);
                }
            }
        }
    }
    for x in 0..RI {
        for y in 0..RQ {
            let mut lanes = [T::zero(); GROUP];
            for (v, chunk) in lanes.chunks_exact_mut(l).enumerate() {
                T::store::<S>(chunk, acc[x][y][v]);
            }
            let out = &mut c[i + x][q + y];
            let v = sum_group(lanes);
            *out = if accumulate { *out + v } else { v };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled<T: Real>(len: usize, seed: f64) -> Vec<T> {
        (0..len)
            .map(|i| T::from_f64(((i as f64 + seed) * 0.618).sin()))
            .collect()
    }

    /// Run `op` on instruction set `isa` (0 scalar, 1 AVX2 + FMA, 2 AVX-512), if the CPU
    /// has it: every compilation of the kernels is checked, not only the best one.
    fn run_on<Op: WithSimd>(isa: usize, op: Op) -> bool {
        match isa {
            0 => {
                Simd::vectorize(pulp::Scalar, op);
                true
            }
            #[cfg(target_arch = "x86_64")]
            1 => pulp::x86::V3::try_new()
                .map(|s| Simd::vectorize(s, op))
                .is_some(),
            #[cfg(target_arch = "x86_64")]
            2 => pulp::x86::V4::try_new()
                .map(|s| Simd::vectorize(s, op))
                .is_some(),
            _ => false,
        }
    }

    fn check<T: Real>(tol: f64) {
        for isa in 0..3 {
            check_on::<T>(isa, tol);
        }
    }

    fn check_on<T: Real>(isa: usize, tol: f64) {
        // Odd sizes: remainders in every dimension, lengths not a multiple of any SIMD width.
        for &(m, k, n) in &[
            (1, 1, 1),
            (3, 5, 7),
            (9, 3, 33),
            (16, 16, 256),
            (13, 130, 47),
            (8, 17, 64),
            (2, 300, 5),
        ] {
            for accumulate in [false, true] {
                let (lda, ldb, ldc) = (k + 2, n + 3, n + 1);
                let a = filled::<T>(m * lda, 1.0);
                let b = filled::<T>(k * ldb, 2.0);
                let mut c = filled::<T>(m * ldc, 3.0);
                let old = c.clone();
                let op = Nn(Product {
                    dims: (m, k, n),
                    a: Mat { data: &a, ld: lda },
                    b: Mat { data: &b, ld: ldb },
                    c: &mut rows_of(&mut c, ldc, m),
                    accumulate,
                });
                if !run_on(isa, op) {
                    return;
                }
                for i in 0..m {
                    for j in 0..n {
                        let mut want = if accumulate {
                            old[i * ldc + j].to_f64()
                        } else {
                            0.0
                        };
                        for p in 0..k {
                            want += a[i * lda + p].to_f64() * b[p * ldb + j].to_f64();
                        }
                        let got = c[i * ldc + j].to_f64();
                        assert!(
                            (got - want).abs() <= tol * (1.0 + want.abs()),
                            "nn {m}×{k}×{n}"
                        );
                    }
                    // Padding columns are untouched.
                    for j in n..ldc.min(c.len() - i * ldc) {
                        assert_eq!(c[i * ldc + j], old[i * ldc + j]);
                    }
                }

                // gemm_nt: a is m × n, b is k × n, c is m × k.
                let (lda, ldb, ldc) = (n + 2, n + 1, k + 3);
                let a = filled::<T>(m * lda, 4.0);
                let b = filled::<T>(k * ldb, 5.0);
                let mut c = filled::<T>(m * ldc, 6.0);
                let old = c.clone();
                run_on(
                    isa,
                    Nt(Product {
                        dims: (m, k, n),
                        a: Mat { data: &a, ld: lda },
                        b: Mat { data: &b, ld: ldb },
                        c: &mut rows_of(&mut c, ldc, m),
                        accumulate,
                    }),
                );
                for i in 0..m {
                    for q in 0..k {
                        let mut want = if accumulate {
                            old[i * ldc + q].to_f64()
                        } else {
                            0.0
                        };
                        for t in 0..n {
                            want += a[i * lda + t].to_f64() * b[q * ldb + t].to_f64();
                        }
                        let got = c[i * ldc + q].to_f64();
                        assert!(
                            (got - want).abs() <= tol * (1.0 + want.abs()),
                            "nt {m}×{k}×{n}"
                        );
                    }
                }
            }
        }
    }

    /// What both kernels must give on every FMA instruction set, computed one element at a
    /// time with fused multiply-adds: `gemm_nn` adds along the reduction in order; `gemm_nt`
    /// puts element `t` into partial sum `t mod GROUP` and adds the partial sums by
    /// [`sum_group`]. The SIMD width appears nowhere.
    fn width_free_reference(
        (m, k, n): (usize, usize, usize),
        a: &[f32],
        b: &[f32],
    ) -> (Vec<f32>, Vec<f32>) {
        let nt = (0..m * k)
            .map(|iq| {
                let (i, q) = (iq / k, iq % k);
                let mut lanes = [0.0f32; GROUP];
                for t in 0..n {
                    lanes[t % GROUP] = a[i * n + t].mul_add(b[q * n + t], lanes[t % GROUP]);
                }
                sum_group(lanes)
            })
            .collect();
        let nn = (0..m * n)
            .map(|ij| {
                let (i, j) = (ij / n, ij % n);
                (0..k).fold(0.0f32, |c, p| a[i * k + p].mul_add(b[p * n + j], c))
            })
            .collect();
        (nt, nn)
    }

    /// Both kernels give the same bits with AVX2 + FMA and with AVX-512: results must not
    /// depend on the machine's SIMD width. Each instruction set the CPU has is checked
    /// against the width-free reference, so an AVX2-only machine checks its half too.
    #[test]
    fn results_do_not_depend_on_the_simd_width() {
        let (m, k, n) = (5, 7, 75);
        let a = filled::<f32>(m * n, 1.0);
        let b = filled::<f32>(k * n, 2.0);
        let run = |isa: usize| -> Option<(Vec<f32>, Vec<f32>)> {
            let mut nt_c = vec![0.0f32; m * k];
            let op = Nt(Product {
                dims: (m, k, n),
                a: Mat { data: &a, ld: n },
                b: Mat { data: &b, ld: n },
                c: &mut rows_of(&mut nt_c, k, m),
                accumulate: false,
            });
            if !run_on(isa, op) {
                return None;
            }
            let mut nn_c = vec![0.0f32; m * n];
            let op = Nn(Product {
                dims: (m, k, n),
                a: Mat { data: &a, ld: k },
                b: Mat { data: &b, ld: n },
                c: &mut rows_of(&mut nn_c, n, m),
                accumulate: false,
            });
            run_on(isa, op);
            Some((nt_c, nn_c))
        };
        let want = width_free_reference((m, k, n), &a, &b);
        let mut checked = Vec::new();
        for (isa, name) in [(1, "AVX2 + FMA"), (2, "AVX-512")] {
            match run(isa) {
                Some(got) => {
                    assert_eq!(got.0, want.0, "gemm_nt on {name}");
                    assert_eq!(got.1, want.1, "gemm_nn on {name}");
                    checked.push(name);
                }
                None => eprintln!("SKIPPED: {name} part of the SIMD-width test: this CPU lacks it"),
            }
        }
        #[cfg(target_arch = "x86_64")]
        {
            // A CPU of the x86-64-v3 level (AVX2, FMA, BMI1/2, LZCNT) must run that
            // compilation: the test may not pass by checking nothing.
            use std::arch::is_x86_feature_detected as has;
            let v3 = has!("avx2") && has!("fma") && has!("bmi1") && has!("bmi2") && has!("lzcnt");
            assert_eq!(checked.contains(&"AVX2 + FMA"), v3, "{checked:?}");
        }
    }

    #[test]
    fn kernels_match_the_naive_product_f64() {
        check::<f64>(1e-12);
    }

    #[test]
    fn kernels_match_the_naive_product_f32() {
        check::<f32>(1e-4);
    }
}
