//! The Winograd transforms ([`super::winograd`]) for the "same" 3×3 convolutions of a
//! ResNet: padding 1 and an even input, so every tile is whole and a tile row holds
//! `TW = W / 2` tiles, a compile-time constant (1, 2, 4, 8 or 16). Every row of a tile
//! row is then a fixed-size array, and the even/odd column split, the one-column shifts
//! and the interleaving of the output compile to register shuffles instead of loops with
//! remainders (perf showed the general transforms spending their time in exactly those).
//!
//! Same arithmetic, same order, as the general transforms: results are bit-identical.

use super::winograd::{plane_stride, tiles};
use super::{Geom, per_image};
use crate::nn::Real;
use ndarray::{ArrayView2, ArrayViewMut2};
use std::ops::Range;

// Plain loops over arrays, not `std::array::from_fn`: perf showed from_fn's drop-guard
// machinery left in the loop at 16 lanes (try_trait.rs at the top of the profile).

/// `[f(0), …, f(N − 1)]`.
#[inline(always)]
fn build<T: Real, const N: usize>(f: impl Fn(usize) -> T) -> [T; N] {
    let mut out = [T::zero(); N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = f(i);
    }
    out
}

/// `[f(0), f(1), f(2), f(3)]`, rows of a tile row.
#[inline(always)]
fn rows4<T: Real, const TW: usize>(f: impl Fn(usize) -> [T; TW]) -> [[T; TW]; 4] {
    let mut out = [[T::zero(); TW]; 4];
    for (i, o) in out.iter_mut().enumerate() {
        *o = f(i);
    }
    out
}

#[inline(always)]
fn zip2<T: Real, const N: usize>(a: &[T; N], b: &[T; N], f: impl Fn(T, T) -> T) -> [T; N] {
    build(|i| f(a[i], b[i]))
}

#[inline(always)]
fn zip3<T: Real, const N: usize>(
    a: &[T; N],
    b: &[T; N],
    c: &[T; N],
    f: impl Fn(T, T, T) -> T,
) -> [T; N] {
    build(|i| f(a[i], b[i], c[i]))
}

#[inline(always)]
fn read<T: Real, const N: usize>(s: &[T]) -> [T; N] {
    let mut out = [T::zero(); N];
    out.copy_from_slice(&s[..N]);
    out
}

/// Padded columns `2t`, `2t+1`, `2t+2`, `2t+3` (t < TW) of input row `ih − 1` of one image
/// plane (zero outside the image).
#[inline(always)]
fn padded_columns<T: Real, const TW: usize>(
    plane: &[T],
    w: usize,
    h: usize,
    ih: usize,
) -> [[T; TW]; 4] {
    if ih == 0 || ih > h {
        return [[T::zero(); TW]; 4];
    }
    let row = &plane[(ih - 1) * w..][..2 * TW];
    // Padded column j is input column j − 1.
    let even: [T; TW] = build(|t| row[2 * t]); // padded 2t + 1
    let odd: [T; TW] = build(|t| row[2 * t + 1]); // padded 2t + 2
    let c0 = build(|t| if t == 0 { T::zero() } else { odd[t - 1] });
    let c3 = build(|t| if t + 1 == TW { T::zero() } else { even[t + 1] });
    [c0, even, odd, c3]
}

/// `V = Bᵀ d B` of the tile rows `qs` into `v` (`[16][C_in][tiles]`, planes
/// [`plane_stride`] apart); `x` is the whole input `[C_in, N, H, W]`.
#[inline(always)]
pub(crate) fn input_transform<T: Real, const TW: usize>(
    g: &Geom,
    x: &[T],
    qs: Range<usize>,
    v: &mut [T],
) {
    let (th, _) = tiles(g);
    let (hw, tc) = (g.h * g.w, qs.len() * TW);
    let plane = plane_stride::<T>(g.c_in, tc);
    for c in 0..g.c_in {
        let chan = &x[c * g.n * hw..][..g.n * hw];
        for (local, (img, ty)) in per_image(qs.clone(), th).enumerate() {
            let img_plane = &chan[img * hw..][..hw];
            let mut d = [[[T::zero(); TW]; 4]; 4];
            for (i, di) in d.iter_mut().enumerate() {
                *di = padded_columns::<T, TW>(img_plane, g.w, g.h, 2 * ty + i);
            }
            let base = c * tc + local * TW;
            for k in 0..4 {
                // Bᵀ down the rows: (d0 − d2, d1 + d2, d2 − d1, d1 − d3), column by column.
                let mut p = [[T::zero(); TW]; 4];
                for (j, pj) in p.iter_mut().enumerate() {
                    *pj = match k {
                        0 => zip2(&d[0][j], &d[2][j], |a, b| a - b),
                        1 => zip2(&d[1][j], &d[2][j], |a, b| a + b),
                        2 => zip2(&d[2][j], &d[1][j], |a, b| a - b),
                        _ => zip2(&d[1][j], &d[3][j], |a, b| a - b),
                    };
                }
                // B along them: (p0 − p2, p1 + p2, p2 − p1, p1 − p3).
                let out = [
                    zip2(&p[0], &p[2], |a, b| a - b),
                    zip2(&p[1], &p[2], |a, b| a + b),
                    zip2(&p[2], &p[1], |a, b| a - b),
                    zip2(&p[1], &p[3], |a, b| a - b),
                ];
                for (l, o) in out.iter().enumerate() {
                    v[(4 * k + l) * plane + base..][..TW].copy_from_slice(o);
                }
            }
        }
    }
}

/// `y = Aᵀ M A` of the tile rows `qs` from `m` (`[16][C_out][tiles]`) into `y`
/// (`[C_out, images·H·W]` for the images from `first` on).
#[inline(always)]
pub(crate) fn output_transform<T: Real, const TW: usize>(
    g: &Geom,
    m: &[T],
    c_out: usize,
    qs: Range<usize>,
    first: usize,
    y: &mut ArrayViewMut2<'_, T>,
) {
    let (th, _) = tiles(g);
    let (howo, tc) = (g.ho * g.wo, qs.len() * TW);
    let plane = plane_stride::<T>(c_out, tc);
    for o in 0..c_out {
        let mut yrow = y.row_mut(o);
        let yo = yrow.as_slice_mut().expect("output rows are contiguous");
        for (local, (img, ty)) in per_image(qs.clone(), th).enumerate() {
            let base = o * tc + local * TW;
            let mut mp = [[T::zero(); TW]; 16];
            for (xi, row) in mp.iter_mut().enumerate() {
                *row = read(&m[xi * plane + base..]);
            }
            // Aᵀ down the rows: r0 = m0 + m1 + m2, r1 = m1 − m2 − m3 (per column l);
            // then along them: (a, b, c, d) ↦ (a + b + c, b − c − d).
            let r0: [[T; TW]; 4] =
                rows4(|l| zip3(&mp[l], &mp[4 + l], &mp[8 + l], |a, b, c| a + b + c));
            let r1: [[T; TW]; 4] =
                rows4(|l| zip3(&mp[4 + l], &mp[8 + l], &mp[12 + l], |a, b, c| a - b - c));
            let out = &mut yo[(img - first) * howo + 2 * ty * g.wo..][..2 * g.wo];
            for (r, half) in [r0, r1].iter().zip(out.chunks_exact_mut(2 * TW)) {
                let even = zip3(&r[0], &r[1], &r[2], |a, b, c| a + b + c);
                let odd = zip3(&r[1], &r[2], &r[3], |b, c, d| b - c - d);
                for t in 0..TW {
                    half[2 * t] = even[t];
                    half[2 * t + 1] = odd[t];
                }
            }
        }
    }
}

/// `dM = A dY Aᵀ` of the tile rows `qs` from `dy` (`[C_out, images·H·W]` for the images
/// from `first` on) into `dm` (`[16][C_out][tiles]`).
#[inline(always)]
pub(crate) fn output_grad_transform<T: Real, const TW: usize>(
    g: &Geom,
    dy: &ArrayView2<'_, T>,
    c_out: usize,
    qs: Range<usize>,
    first: usize,
    dm: &mut [T],
) {
    let (th, _) = tiles(g);
    let (howo, tc) = (g.ho * g.wo, qs.len() * TW);
    let plane = plane_stride::<T>(c_out, tc);
    for o in 0..c_out {
        let dyrow = dy.row(o);
        let dyo = dyrow.as_slice().expect("gradient rows are contiguous");
        for (local, (img, ty)) in per_image(qs.clone(), th).enumerate() {
            let base = o * tc + local * TW;
            let src = &dyo[(img - first) * howo + 2 * ty * g.wo..][..2 * g.wo];
            let split =
                |row: &[T]| -> [[T; TW]; 2] { [build(|t| row[2 * t]), build(|t| row[2 * t + 1])] };
            let [a0, b0] = split(&src[..2 * TW]);
            let [a1, b1] = split(&src[2 * TW..]);
            // A down the rows: (y0, y0 + y1, y0 − y1, −y1); then along them:
            // (a, b) ↦ (a, a + b, a − b, −b).
            for k in 0..4 {
                let (sa, sb) = match k {
                    0 => (a0, b0),
                    1 => (zip2(&a0, &a1, |x, y| x + y), zip2(&b0, &b1, |x, y| x + y)),
                    2 => (zip2(&a0, &a1, |x, y| x - y), zip2(&b0, &b1, |x, y| x - y)),
                    _ => (a1.map(|x| T::zero() - x), b1.map(|x| T::zero() - x)),
                };
                let out = [
                    sa,
                    zip2(&sa, &sb, |a, b| a + b),
                    zip2(&sa, &sb, |a, b| a - b),
                    sb.map(|b| T::zero() - b),
                ];
                for (l, r) in out.iter().enumerate() {
                    dm[(4 * k + l) * plane + base..][..TW].copy_from_slice(r);
                }
            }
        }
    }
}

/// `dx += B dV Bᵀ` of the tile rows `qs` from `dv` (`[16][C_in][tiles]`) onto `dx`
/// (`[C_in, images·H·W]` for the images from `first` on).
#[inline(always)]
pub(crate) fn input_grad_transform<T: Real, const TW: usize>(
    g: &Geom,
    dv: &[T],
    qs: Range<usize>,
    first: usize,
    dx: &mut ArrayViewMut2<'_, T>,
) {
    let (th, _) = tiles(g);
    let (hw, tc) = (g.h * g.w, qs.len() * TW);
    let plane = plane_stride::<T>(g.c_in, tc);
    for c in 0..g.c_in {
        let mut dxrow = dx.row_mut(c);
        let dxc = dxrow.as_slice_mut().expect("gradient rows are contiguous");
        for (local, (img, ty)) in per_image(qs.clone(), th).enumerate() {
            let base = c * tc + local * TW;
            let mut vp = [[T::zero(); TW]; 16];
            for (xi, row) in vp.iter_mut().enumerate() {
                *row = read(&dv[xi * plane + base..]);
            }
            let plane_dx = &mut dxc[(img - first) * hw..][..hw];
            for i in 0..4 {
                // Padded row 2ty + i is input row 2ty + i − 1.
                let ih = 2 * ty + i;
                if ih == 0 || ih > g.h {
                    continue;
                }
                // B down the rows, row i: (v0, v1 − v2 + v3, v1 + v2 − v0, −v3), per
                // column l.
                let e: [[T; TW]; 4] = rows4(|l| match i {
                    0 => vp[l],
                    1 => zip3(&vp[4 + l], &vp[8 + l], &vp[12 + l], |a, b, c| a - b + c),
                    2 => zip3(&vp[4 + l], &vp[8 + l], &vp[l], |a, b, c| a + b - c),
                    _ => vp[12 + l].map(|a| T::zero() - a),
                });
                let [a, b, cc, d] = &e;
                // Along the row: (a, b − c + d, b + c − a, −d) at padded columns 2t … 2t+3.
                let p0 = *a;
                let p1 = zip3(b, cc, d, |b, c, d| b - c + d);
                let p2 = zip3(b, cc, a, |b, c, a| b + c - a);
                let p3 = d.map(|d| T::zero() - d);
                // Input column 2t is padded column 2t + 1: p1 of tile t plus p3 of tile
                // t − 1; input column 2t + 1 is padded 2t + 2: p2 of tile t plus p0 of
                // tile t + 1. (Padded columns 0 and 2·TW + 1 are the padding.)
                let even: [T; TW] = build(|t| if t == 0 { p1[0] } else { p1[t] + p3[t - 1] });
                let odd: [T; TW] = build(|t| {
                    if t + 1 == TW {
                        p2[t]
                    } else {
                        p2[t] + p0[t + 1]
                    }
                });
                let dst = &mut plane_dx[(ih - 1) * g.w..][..2 * TW];
                for t in 0..TW {
                    dst[2 * t] += even[t];
                    dst[2 * t + 1] += odd[t];
                }
            }
        }
    }
}
