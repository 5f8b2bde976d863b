//! Winograd F(2×2, 3×3) for 3×3 stride-1 convolutions (Lavin & Gray, 2016), any padding.
//!
//! Each 2×2 output tile is `Aᵀ [Σ_c (G g Gᵀ) ⊙ (Bᵀ d B)] A`, with `d` the 4×4 input patch
//! of the tile and `g` the 3×3 kernel: per tile 16 products per (input, output) channel
//! instead of 36, so the GEMM work of these convolutions drops 2.25×. Over the 16
//! positions ξ of the 4×4 transformed tile the channel sum is a GEMM:
//! `M_ξ [C_out × tiles] = U_ξ [C_out × C_in] · V_ξ [C_in × tiles]`.
//!
//! Backward runs the same transforms transposed (all are linear maps):
//! `dM = A dY Aᵀ`, `dU_ξ = Σ_tiles dM_ξ V_ξᵀ`, `dW = Gᵀ dU G`, `dV_ξ = U_ξᵀ dM_ξ` and
//! `dx += B dV Bᵀ` scattered onto the (overlapping) input patches. The transform matrices
//! hold only 0, ±1 and ±½, so they are exact in floating point; the f32 error stays at the
//! level of the direct convolution's (the tests bound it against the im2col path).
//!
//! Layout: tiles are numbered image by image, tile row by tile row; a chunk of whole tile
//! rows is transformed into `[16][C][tiles]` scratch planes, multiplied, and transformed
//! back while still in cache.

use super::microkernel::{Mat, gemm_nn, rows_of};
use super::{Geom, WeightGradProduct, per_image, simd, transpose, weight_grad_product};
use crate::nn::Real;
use ndarray::{ArrayView2, ArrayViewMut2};
use std::ops::Range;

/// Tile rows and tile columns of one image (2×2 outputs per tile; the last row and column
/// of tiles may hang over the output's edge).
pub(crate) fn tiles(g: &Geom) -> (usize, usize) {
    (g.ho.div_ceil(2), g.wo.div_ceil(2))
}

/// Bytes of transformed tiles (`V` and `M`) a chunk aims at, and the fewest tiles a
/// chunk holds so each GEMM has a reasonable inner dimension.
const CHUNK_BYTES: usize = 512 * 1024;
const MIN_TILES: usize = 256;

/// Tile rows per chunk for `c_out` output channels.
pub(crate) fn chunk_tile_rows<T>(g: &Geom, c_out: usize) -> usize {
    let per_tile = 16 * (g.c_in + c_out) * std::mem::size_of::<T>();
    let count = (CHUNK_BYTES / per_tile).max(MIN_TILES);
    (count / tiles(g).1).max(1)
}

/// Distance between the 16 planes `[channels][tc]` of transformed tiles: one cache line
/// more than a plane. The transforms read or write all 16 planes at once; at a
/// power-of-two distance (16 channels × 256 tiles × 4 bytes = 16 KB) the 16 streams
/// all fall in one L1 set and evict each other.
pub(crate) fn plane_stride<T>(channels: usize, tc: usize) -> usize {
    channels * tc + 64 / std::mem::size_of::<T>()
}

/// Scratch elements one chunk of `rows` tile rows needs: `V` (reused for `dV`), `M`
/// (`dM`), [`AUX_ROWS`] padded rows for the transforms, and one transposed `V_ξ` for
/// [`products_weight_grad`].
pub(crate) fn scratch_len<T>(g: &Geom, c_out: usize, rows: usize) -> usize {
    let (_, tw) = tiles(g);
    let tc = rows * tw;
    16 * (plane_stride::<T>(g.c_in, tc) + plane_stride::<T>(c_out, tc))
        + AUX_ROWS * (2 * tw + 2)
        + g.c_in * tc
}

/// The tile rows (global index `image·tile_rows + row`) of `images`, in chunks of `size`.
pub(crate) fn tile_row_chunks(
    g: &Geom,
    images: &Range<usize>,
    size: usize,
) -> impl Iterator<Item = Range<usize>> + use<> {
    let th = tiles(g).0;
    let (start, end) = (images.start * th, images.end * th);
    (start..end)
        .step_by(size)
        .map(move |q| q..(q + size).min(end))
}

/// `U = G g Gᵀ` of every kernel (`w` is `[C_out, C_in, 3, 3]`) into `u` (`[16][C_out][C_in]`).
pub(crate) fn transform_weights<T: Real>(w: &[T], c_out: usize, c_in: usize, u: &mut [T]) {
    let half = T::from_f64(0.5);
    let plane = c_out * c_in;
    for (oi, g) in w.chunks_exact(9).enumerate() {
        // Rows of G g, then columns: (a, b, c) ↦ (a, (a+b+c)/2, (a−b+c)/2, c).
        let col = |a: T, b: T, c: T| [a, (a + b + c) * half, (a - b + c) * half, c];
        let r0 = [g[0], g[1], g[2]];
        let r2 = [g[6], g[7], g[8]];
        let r1 = [g[3], g[4], g[5]];
        let gg = [
            r0,
            [0, 1, 2].map(|j| (r0[j] + r1[j] + r2[j]) * half),
            [0, 1, 2].map(|j| (r0[j] - r1[j] + r2[j]) * half),
            r2,
        ];
        for (k, row) in gg.iter().enumerate() {
            for (l, v) in col(row[0], row[1], row[2]).into_iter().enumerate() {
                u[(4 * k + l) * plane + oi] = v;
            }
        }
    }
}

/// `dW = Gᵀ dU G` of every kernel: `du` is `[16][C_out][C_in]`, `dw` `[C_out, C_in, 3, 3]`.
pub(crate) fn weight_grad<T: Real>(du: &[T], c_out: usize, c_in: usize, dw: &mut [T]) {
    let half = T::from_f64(0.5);
    let plane = c_out * c_in;
    for (oi, g) in dw.chunks_exact_mut(9).enumerate() {
        let m: [[T; 4]; 4] =
            std::array::from_fn(|k| std::array::from_fn(|l| du[(4 * k + l) * plane + oi]));
        // Gᵀ rows: (a, b, c, d) ↦ (a + (b+c)/2, (b−c)/2, (b+c)/2 + d), first down the
        // rows, then along them.
        let red = |a: T, b: T, c: T, d: T| [a + (b + c) * half, (b - c) * half, (b + c) * half + d];
        let cols: [[T; 3]; 4] = std::array::from_fn(|k| red(m[k][0], m[k][1], m[k][2], m[k][3]));
        for j in 0..3 {
            let v = red(cols[0][j], cols[1][j], cols[2][j], cols[3][j]);
            for i in 0..3 {
                g[3 * i + j] = v[i];
            }
        }
    }
}

/// `out[j] = f(a[j], b[j])` over the common length.
#[inline(always)]
fn map2<T: Real>(out: &mut [T], a: &[T], b: &[T], f: impl Fn(T, T) -> T) {
    out.iter_mut()
        .zip(a.iter().zip(b))
        .for_each(|(o, (&a, &b))| *o = f(a, b));
}

/// `out[j] = f(a[j], b[j], c[j])` over the common length.
#[inline(always)]
fn map3<T: Real>(out: &mut [T], a: &[T], b: &[T], c: &[T], f: impl Fn(T, T, T) -> T) {
    out.iter_mut()
        .zip(a.iter().zip(b.iter().zip(c)))
        .for_each(|(o, (&a, (&b, &c)))| *o = f(a, b, c));
}

/// The first `N` consecutive slices of `len` elements of `buf`.
#[inline(always)]
fn split_n<T, const N: usize>(buf: &mut [T], len: usize) -> [&mut [T]; N] {
    let mut it = buf.chunks_exact_mut(len);
    std::array::from_fn(|_| it.next().expect("scratch holds N slices"))
}

/// Even and odd columns of `row` into `even` and `odd`.
#[inline(always)]
fn deinterleave<T: Real>(row: &[T], even: &mut [T], odd: &mut [T]) {
    for ((p, e), o) in row.chunks_exact(2).zip(even.iter_mut()).zip(odd.iter_mut()) {
        *e = p[0];
        *o = p[1];
    }
}

/// `V = Bᵀ d B` of the tiles of tile rows `qs` into `v` (`[16][C_in][tiles]`); `aux` is
/// scratch ([`AUX_ROWS`] rows of `2·tw + 2`). `x` is the whole input `[C_in, N, H, W]`.
///
/// Per tile row the four padded input rows are combined down (`Bᵀ`) and split into even
/// and odd columns; tile `t` covers padded columns `2t … 2t+3`, i.e. even and odd columns
/// `t` and `t + 1`, so the column step (`B`) is element-wise over the row's tiles and
/// vectorises.
#[inline(always)]
pub(crate) fn input_transform<T: Real>(
    g: &Geom,
    x: &[T],
    qs: Range<usize>,
    v: &mut [T],
    aux: &mut [T],
) {
    let (th, tw) = tiles(g);
    let (hw, tc, wp) = (g.h * g.w, qs.len() * tw, 2 * tw + 2);
    let plane = plane_stride::<T>(g.c_in, tc);
    let (d, rest) = aux.split_at_mut(4 * wp);
    let [r, ev, od] = split_n::<T, 3>(rest, wp);
    let (ev, od) = (&mut ev[..tw + 1], &mut od[..tw + 1]);
    for c in 0..g.c_in {
        let chan = &x[c * g.n * hw..][..g.n * hw];
        for (local, (img, ty)) in per_image(qs.clone(), th).enumerate() {
            gather_rows(g, &chan[img * hw..][..hw], ty, d, wp);
            let [d0, d1, d2, d3] = split_n::<T, 4>(d, wp);
            let base = c * tc + local * tw;
            for k in 0..4 {
                // Bᵀ down the rows: (d0 − d2, d1 + d2, d2 − d1, d1 − d3).
                match k {
                    0 => map2(r, d0, d2, |a, b| a - b),
                    1 => map2(r, d1, d2, |a, b| a + b),
                    2 => map2(r, d2, d1, |a, b| a - b),
                    _ => map2(r, d1, d3, |a, b| a - b),
                }
                deinterleave(r, ev, od);
                let (e, e1, o, o1) = (&ev[..tw], &ev[1..], &od[..tw], &od[1..]);
                let [v0, v1, v2, v3] = split_n::<T, 4>(&mut v[4 * k * plane..], plane);
                // B along them: (p0 − p2, p1 + p2, p2 − p1, p1 − p3).
                let t = base..base + tw;
                map2(&mut v0[t.clone()], e, e1, |a, b| a - b);
                map2(&mut v1[t.clone()], o, e1, |a, b| a + b);
                map2(&mut v2[t.clone()], e1, o, |a, b| a - b);
                map2(&mut v3[t], o, o1, |a, b| a - b);
            }
        }
    }
}

/// Rows of `2·tw + 2` elements the transforms need as scratch.
pub(crate) const AUX_ROWS: usize = 16;

/// The four input rows under tile row `ty` of one image plane, zero-padded, into `d`
/// (`4 × wp`; padded column `j` is input column `j − pw`).
#[inline(always)]
fn gather_rows<T: Real>(g: &Geom, plane: &[T], ty: usize, d: &mut [T], wp: usize) {
    let (lo, hi) = (g.pw.min(wp), (g.pw + g.w).min(wp));
    for (i, dst) in d.chunks_exact_mut(wp).take(4).enumerate() {
        let ih = 2 * ty + i;
        if ih < g.ph || ih - g.ph >= g.h {
            dst.fill(T::zero());
            continue;
        }
        let src = &plane[(ih - g.ph) * g.w..][..g.w];
        dst[..lo].fill(T::zero());
        dst[hi..].fill(T::zero());
        dst[lo..hi].copy_from_slice(&src[..hi - lo]);
    }
}

/// `y = Aᵀ M A` of the tiles of `qs` from `m` (`[16][C_out][tiles]`) into `y`
/// (`[C_out, images·H_out·W_out]` for the images from `first` on). Element-wise over a
/// tile row's tiles, then interleaved into the two output rows.
#[inline(always)]
pub(crate) fn output_transform<T: Real>(
    g: &Geom,
    m: &[T],
    c_out: usize,
    qs: Range<usize>,
    first: usize,
    y: &mut ArrayViewMut2<'_, T>,
    aux: &mut [T],
) {
    let (th, tw) = tiles(g);
    let (howo, tc) = (g.ho * g.wo, qs.len() * tw);
    let plane = plane_stride::<T>(c_out, tc);
    let [t0, t1, t2, t3, y00, y01, y10, y11] = split_n::<T, 8>(aux, tw);
    for o in 0..c_out {
        let mut yrow = y.row_mut(o);
        let yo = yrow.as_slice_mut().expect("output rows are contiguous");
        for (local, (img, ty)) in per_image(qs.clone(), th).enumerate() {
            let base = o * tc + local * tw;
            let mp = |xi: usize| &m[xi * plane + base..][..tw];
            // Aᵀ down the rows: r0 = m0 + m1 + m2 and r1 = m1 − m2 − m3, per column l;
            // then along them: (a, b, c, d) ↦ (a + b + c, b − c − d).
            for (i, (ya, yb)) in [(&mut *y00, &mut *y01), (&mut *y10, &mut *y11)]
                .into_iter()
                .enumerate()
            {
                for (l, t) in [&mut *t0, &mut *t1, &mut *t2, &mut *t3]
                    .into_iter()
                    .enumerate()
                {
                    if i == 0 {
                        map3(t, mp(l), mp(4 + l), mp(8 + l), |a, b, c| a + b + c);
                    } else {
                        map3(t, mp(4 + l), mp(8 + l), mp(12 + l), |a, b, c| a - b - c);
                    }
                }
                map3(ya, t0, t1, t2, |a, b, c| a + b + c);
                map3(yb, t1, t2, t3, |b, c, d| b - c - d);
            }
            let out = &mut yo[(img - first) * howo + 2 * ty * g.wo..];
            interleave(&mut out[..g.wo], y00, y01);
            if 2 * ty + 1 < g.ho {
                interleave(&mut out[g.wo..2 * g.wo], y10, y11);
            }
        }
    }
}

/// `row[2t] = even[t]`, `row[2t + 1] = odd[t]` as far as `row` reaches.
#[inline(always)]
fn interleave<T: Real>(row: &mut [T], even: &[T], odd: &[T]) {
    let half = row.len() / 2;
    let mut pairs = row.chunks_exact_mut(2);
    for ((p, &e), &o) in (&mut pairs).zip(even).zip(odd) {
        p[0] = e;
        p[1] = o;
    }
    if let [last] = pairs.into_remainder() {
        *last = even[half];
    }
}

/// `dM = A dY Aᵀ` of the tiles of `qs` from `dy` (`[C_out, images·H_out·W_out]` for the
/// images from `first` on) into `dm` (`[16][C_out][tiles]`); outputs past the edge count 0.
#[inline(always)]
pub(crate) fn output_grad_transform<T: Real>(
    g: &Geom,
    dy: &ArrayView2<'_, T>,
    c_out: usize,
    qs: Range<usize>,
    first: usize,
    dm: &mut [T],
    aux: &mut [T],
) {
    let (th, tw) = tiles(g);
    let (howo, tc) = (g.ho * g.wo, qs.len() * tw);
    let plane = plane_stride::<T>(c_out, tc);
    let [a0, b0, a1, b1, sa, sb] = split_n::<T, 6>(aux, tw);
    for o in 0..c_out {
        let dyrow = dy.row(o);
        let dyo = dyrow.as_slice().expect("gradient rows are contiguous");
        for (local, (img, ty)) in per_image(qs.clone(), th).enumerate() {
            let base = o * tc + local * tw;
            let src = &dyo[(img - first) * howo + 2 * ty * g.wo..];
            split_row(&src[..g.wo], a0, b0);
            if 2 * ty + 1 < g.ho {
                split_row(&src[g.wo..2 * g.wo], a1, b1);
            } else {
                a1.fill(T::zero());
                b1.fill(T::zero());
            }
            // A down the rows: (y0, y0 + y1, y0 − y1, −y1); then along them:
            // (a, b) ↦ (a, a + b, a − b, −b).
            for k in 0..4 {
                match k {
                    0 => {
                        sa.copy_from_slice(a0);
                        sb.copy_from_slice(b0);
                    }
                    1 => {
                        map2(sa, a0, a1, |x, y| x + y);
                        map2(sb, b0, b1, |x, y| x + y);
                    }
                    2 => {
                        map2(sa, a0, a1, |x, y| x - y);
                        map2(sb, b0, b1, |x, y| x - y);
                    }
                    _ => {
                        map2(sa, a1, a1, |x, _| T::zero() - x);
                        map2(sb, b1, b1, |x, _| T::zero() - x);
                    }
                }
                let [m0, m1, m2, m3] = split_n::<T, 4>(&mut dm[4 * k * plane..], plane);
                let t = base..base + tw;
                m0[t.clone()].copy_from_slice(sa);
                map2(&mut m1[t.clone()], sa, sb, |a, b| a + b);
                map2(&mut m2[t.clone()], sa, sb, |a, b| a - b);
                map2(&mut m3[t], sb, sb, |b, _| T::zero() - b);
            }
        }
    }
}

/// Even and odd columns of an output row; a missing last odd column is 0.
#[inline(always)]
fn split_row<T: Real>(row: &[T], even: &mut [T], odd: &mut [T]) {
    deinterleave(row, even, odd);
    if !row.len().is_multiple_of(2) {
        let t = row.len() / 2;
        even[t] = row[row.len() - 1];
        odd[t] = T::zero();
    }
}

/// `dx += B dV Bᵀ` of the tiles of `qs` from `dv` (`[16][C_in][tiles]`) onto `dx`
/// (`[C_in, images·H·W]` for the images from `first` on).
///
/// Per tile row: the rows step (`B`) is element-wise over the tiles; along the row, tile
/// `t` adds `(a, b − c + d, b + c − a, −d)` to padded columns `2t … 2t+3`, so even column
/// `t` gets tile `t`'s first and tile `t − 1`'s third value, odd column `t` likewise: two
/// element-wise sums, interleaved onto the input row.
#[inline(always)]
pub(crate) fn input_grad_transform<T: Real>(
    g: &Geom,
    dv: &[T],
    qs: Range<usize>,
    first: usize,
    dx: &mut ArrayViewMut2<'_, T>,
    aux: &mut [T],
) {
    let (th, tw) = tiles(g);
    let (hw, tc, wp) = (g.h * g.w, qs.len() * tw, 2 * tw + 2);
    let plane = plane_stride::<T>(g.c_in, tc);
    let [e0, e1, e2, e3, p0, p1, p2, p3, ev, od] = split_n::<T, 10>(aux, wp);
    let (ev, od) = (&mut ev[..tw + 1], &mut od[..tw + 1]);
    for c in 0..g.c_in {
        let mut dxrow = dx.row_mut(c);
        let dxc = dxrow.as_slice_mut().expect("gradient rows are contiguous");
        for (local, (img, ty)) in per_image(qs.clone(), th).enumerate() {
            let base = c * tc + local * tw;
            let vp = |xi: usize| &dv[xi * plane + base..][..tw];
            let plane_dx = &mut dxc[(img - first) * hw..][..hw];
            for i in 0..4 {
                let ih = 2 * ty + i;
                if ih < g.ph || ih - g.ph >= g.h {
                    continue;
                }
                // B down the rows, row i: (v0, v1 − v2 + v3, v1 + v2 − v0, −v3), per
                // column l.
                for (l, e) in [&mut *e0, &mut *e1, &mut *e2, &mut *e3]
                    .into_iter()
                    .enumerate()
                {
                    let e = &mut e[..tw];
                    match i {
                        0 => e.copy_from_slice(vp(l)),
                        1 => map3(e, vp(4 + l), vp(8 + l), vp(12 + l), |a, b, c| a - b + c),
                        2 => map3(e, vp(4 + l), vp(8 + l), vp(l), |a, b, c| a + b - c),
                        _ => map2(e, vp(12 + l), vp(12 + l), |a, _| T::zero() - a),
                    }
                }
                let (a, b, cc, d) = (&e0[..tw], &e1[..tw], &e2[..tw], &e3[..tw]);
                // Along the row: (a, b − c + d, b + c − a, −d) at columns 2t … 2t+3.
                p0[..tw].copy_from_slice(a);
                map3(&mut p1[..tw], b, cc, d, |b, c, d| b - c + d);
                map3(&mut p2[..tw], b, cc, a, |b, c, a| b + c - a);
                map2(&mut p3[..tw], d, d, |d, _| T::zero() - d);
                ev[0] = p0[0];
                od[0] = p1[0];
                map2(&mut ev[1..tw], &p0[1..tw], &p2[..tw - 1], |x, y| x + y);
                map2(&mut od[1..tw], &p1[1..tw], &p3[..tw - 1], |x, y| x + y);
                ev[tw] = p2[tw - 1];
                od[tw] = p3[tw - 1];
                // Padded column j is input column j − pw.
                let dst = &mut plane_dx[(ih - g.ph) * g.w..][..g.w];
                add_interleaved(dst, ev, od, g.pw);
            }
        }
    }
}

/// `dst[j] += padded[j + skip]` where padded column `2t` is `even[t]` and `2t + 1` is
/// `odd[t]`, as far as both reach.
#[inline(always)]
fn add_interleaved<T: Real>(dst: &mut [T], even: &[T], odd: &[T], skip: usize) {
    let end = (2 * even.len()).saturating_sub(skip).min(dst.len());
    if end == 0 {
        return;
    }
    let dst = &mut dst[..end];
    if skip.is_multiple_of(2) {
        let (e, o) = (&even[skip / 2..], &odd[skip / 2..]);
        let mut pairs = dst.chunks_exact_mut(2);
        for ((p, &x), &y) in (&mut pairs).zip(e).zip(o) {
            p[0] += x;
            p[1] += y;
        }
        if let [last] = pairs.into_remainder() {
            *last += e[end / 2];
        }
    } else {
        // Odd skip: dst starts on an odd padded column.
        let (o, e) = (&odd[skip / 2..], &even[skip / 2 + 1..]);
        let mut pairs = dst.chunks_exact_mut(2);
        for ((p, &x), &y) in (&mut pairs).zip(o).zip(e) {
            p[0] += x;
            p[1] += y;
        }
        if let [last] = pairs.into_remainder() {
            *last += o[end / 2];
        }
    }
}

/// The 16 products of a chunk, `c_ξ ← a_ξ · b_ξ` (`+ c_ξ` when `accumulate`): `a` is
/// `[16][m][k]` (weights, planes back to back), `b` `[16][k][n]` and `c` `[16][m][n]`
/// (tiles, planes [`plane_stride`] apart).
pub(crate) fn products_nn<T: Real>(
    (m, k, n): (usize, usize, usize),
    a: &[T],
    b: &[T],
    c: &mut [T],
    accumulate: bool,
) {
    let (sb, sc) = (plane_stride::<T>(k, n), plane_stride::<T>(m, n));
    for xi in 0..16 {
        gemm_nn(
            (m, k, n),
            Mat {
                data: &a[xi * m * k..][..m * k],
                ld: k,
            },
            Mat {
                data: &b[xi * sb..][..k * n],
                ld: n,
            },
            &mut rows_of(&mut c[xi * sc..][..m * n], n, m),
            accumulate,
        );
    }
}

/// The weight gradient's 16 products `du_ξ ← dm_ξ · v_ξᵀ` (`+ du_ξ` when `accumulate`):
/// `dm` is `[16][m][n]` and `v` `[16][k][n]` (tiles, planes [`plane_stride`] apart),
/// `du` `[16][m][k]`; `n` (the tiles) is the reduction. `vt` is scratch of `k·n`.
pub(crate) fn products_weight_grad<T: Real>(
    product: WeightGradProduct,
    (m, k, n): (usize, usize, usize),
    dm: &[T],
    v: &[T],
    du: &mut [T],
    accumulate: bool,
    vt: &mut [T],
) {
    let (sa, sb) = (plane_stride::<T>(m, n), plane_stride::<T>(k, n));
    for xi in 0..16 {
        let a = Mat {
            data: &dm[xi * sa..][..m * n],
            ld: n,
        };
        let vx = &v[xi * sb..][..k * n];
        let mut c = rows_of(&mut du[xi * m * k..][..m * k], k, m);
        weight_grad_product(product, (m, k, n), a, vx, &mut c, accumulate, vt);
    }
}

/// `u_t[ξ][c][o] = u[ξ][o][c]`: the transformed weights per position, transposed, for
/// the input gradient `dV_ξ = U_ξᵀ dM_ξ`.
pub(crate) fn transpose_planes<T: Real>(u: &[T], c_out: usize, c_in: usize, ut: &mut [T]) {
    let plane = c_out * c_in;
    for (src, dst) in u.chunks_exact(plane).zip(ut.chunks_exact_mut(plane)) {
        simd::vectorized(
            #[inline(always)]
            || transpose(src, c_out, c_in, dst),
        );
    }
}
