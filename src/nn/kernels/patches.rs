//! im2col and col2im for [`crate::nn::Conv2d`]: the patch matrix of a range of output rows
//! (`[C_in·kh·kw, rows·W_out]`, row-major) and its scatter-add back onto the input
//! gradient, processed in chunks small enough to stay in the L2 cache. The general paths
//! serve any geometry; the stride-2 "halving" paths, with the output width a compile-time
//! constant, give the same values for ResNet's downsampling (`conv::ConvAlgo` picks).

use super::Geom;
use crate::nn::Real;
use ndarray::{ArrayViewMut2, Slice};
use std::ops::Range;

/// Output positions `o` in `0..out` whose input index `o·s + k − p` lies in `0..len`.
#[inline(always)]
fn valid(k: usize, p: usize, s: usize, len: usize, out: usize) -> Range<usize> {
    let lo = if k >= p { 0 } else { (p - k).div_ceil(s) };
    let hi = if len + p > k {
        ((len - 1 + p - k) / s + 1).min(out)
    } else {
        0
    };
    lo.min(hi)..hi
}

/// `dst ← src` for the short rows of im2col (4–32 values): in blocks of 8 so the copy is
/// inlined vector moves instead of a `memcpy` call per row.
#[inline(always)]
fn copy_row<T: Real>(dst: &mut [T], src: &[T]) {
    let mut d = dst.chunks_exact_mut(8);
    let mut s = src.chunks_exact(8);
    for (d, s) in (&mut d).zip(&mut s) {
        let s: &[T; 8] = s.try_into().expect("8 values");
        d.copy_from_slice(s);
    }
    d.into_remainder()
        .iter_mut()
        .zip(s.remainder())
        .for_each(|(d, s)| *d = *s);
}

/// `dst ← dst + src`, row-wise as [`copy_row`].
#[inline(always)]
fn add_row<T: Real>(dst: &mut [T], src: &[T]) {
    dst.iter_mut().zip(src).for_each(|(d, s)| *d += *s);
}

/// The (image, row) pairs of output rows `rows`, in order, without a division per row.
#[inline(always)]
fn image_rows(g: &Geom, rows: Range<usize>) -> impl Iterator<Item = (usize, usize)> + use<> {
    super::per_image(rows, g.ho)
}

/// [`im2col_general`] of a 1×1 stride-2 convolution: output row `oh` is the even columns of input
/// row `2·oh`.
#[inline(always)]
pub(crate) fn im2col_pick<T: Real, const WO: usize>(
    g: &Geom,
    x: &[T],
    rows: Range<usize>,
    col: &mut [T],
) {
    let hw = g.h * g.w;
    let dst_rows = col.chunks_exact_mut(rows.len() * WO);
    for (c, dst_c) in dst_rows.take(g.c_in).enumerate() {
        let plane = &x[c * g.n * hw..][..g.n * hw];
        for (dst, (img, oh)) in dst_c.chunks_exact_mut(WO).zip(image_rows(g, rows.clone())) {
            let src = &plane[img * hw + 2 * oh * g.w..][..2 * WO];
            for t in 0..WO {
                dst[t] = src[2 * t];
            }
        }
    }
}

/// [`col2im_general`] of a 1×1 stride-2 convolution: each patch value goes back to its one input.
#[inline(always)]
pub(crate) fn col2im_pick<T: Real, const WO: usize>(
    g: &Geom,
    col: &[T],
    rows: Range<usize>,
    first: usize,
    dx: &mut ArrayViewMut2<'_, T>,
) {
    let hw = g.h * g.w;
    let src_rows = col.chunks_exact(rows.len() * WO);
    for (c, src_c) in src_rows.take(g.c_in).enumerate() {
        let mut dx_row = dx.row_mut(c);
        let dx_c = dx_row.as_slice_mut().expect("channel rows are contiguous");
        for (src, (img, oh)) in src_c.chunks_exact(WO).zip(image_rows(g, rows.clone())) {
            let dst = &mut dx_c[(img - first) * hw + 2 * oh * g.w..][..2 * WO];
            for t in 0..WO {
                dst[2 * t] += src[t];
            }
        }
    }
}

/// [`im2col_general`] of the 3×3, stride 2, padding 1 convolutions that halve an even input
/// (ResNet's downsampling), `WO = W / 2` known at compile time: each input row is split
/// once into even and odd columns, which are the patch rows of its three taps
/// (`kj = 0, 1, 2` read input columns `2·ow − 1`, `2·ow`, `2·ow + 1`). The general path
/// spent its time on per-row bookkeeping of these short rows. Same values.
#[inline(always)]
pub(crate) fn im2col_halving<T: Real, const WO: usize>(
    g: &Geom,
    x: &[T],
    rows: Range<usize>,
    col: &mut [T],
) {
    let (hw, cols) = (g.h * g.w, rows.len() * WO);
    for c in 0..g.c_in {
        let plane = &x[c * g.n * hw..][..g.n * hw];
        for ki in 0..3 {
            let taps = &mut col[(c * 3 + ki) * 3 * cols..][..3 * cols];
            let (d0, rest) = taps.split_at_mut(cols);
            let (d1, d2) = rest.split_at_mut(cols);
            let dst = d0
                .chunks_exact_mut(WO)
                .zip(d1.chunks_exact_mut(WO).zip(d2.chunks_exact_mut(WO)));
            for ((d0, (d1, d2)), (img, oh)) in dst.zip(image_rows(g, rows.clone())) {
                // Padded row 2·oh + ki is input row 2·oh + ki − 1.
                let ih = 2 * oh + ki;
                if ih == 0 || ih > g.h {
                    d0.fill(T::zero());
                    d1.fill(T::zero());
                    d2.fill(T::zero());
                    continue;
                }
                let src = &plane[img * hw + (ih - 1) * g.w..][..2 * WO];
                let mut even = [T::zero(); WO];
                let mut odd = [T::zero(); WO];
                for t in 0..WO {
                    even[t] = src[2 * t];
                    odd[t] = src[2 * t + 1];
                }
                d0[0] = T::zero();
                d0[1..].copy_from_slice(&odd[..WO - 1]);
                d1.copy_from_slice(&even);
                d2.copy_from_slice(&odd);
            }
        }
    }
}

#[inline(always)]
pub(crate) fn im2col_general<T: Real>(g: &Geom, x: &[T], rows: Range<usize>, col: &mut [T]) {
    let (hw, cols) = (g.h * g.w, rows.len() * g.wo);
    let mut dst_rows = col.chunks_exact_mut(cols);
    for c in 0..g.c_in {
        let plane = &x[c * g.n * hw..(c + 1) * g.n * hw];
        for ki in 0..g.kh {
            let ihs = valid(ki, g.ph, g.sh, g.h, g.ho);
            for kj in 0..g.kw {
                let ows = valid(kj, g.pw, g.sw, g.w, g.wo);
                let dst_row = dst_rows.next().expect("k rows");
                let pairs = dst_row
                    .chunks_exact_mut(g.wo)
                    .zip(image_rows(g, rows.clone()));
                for (dst, (img, oh)) in pairs {
                    if !ihs.contains(&oh) {
                        dst.fill(T::zero());
                        continue;
                    }
                    let ih = oh * g.sh + ki - g.ph;
                    let src = &plane[img * hw + ih * g.w..][..g.w];
                    dst[..ows.start].fill(T::zero());
                    dst[ows.end..].fill(T::zero());
                    if g.sw == 1 {
                        let from = ows.start + kj - g.pw;
                        copy_row(&mut dst[ows.clone()], &src[from..from + ows.len()]);
                    } else if g.sw == 2 {
                        // Every other input column: the even lanes of pairs (vectorises
                        // to shuffles, where step_by(2) stays a scalar loop).
                        let src = &src[ows.start * 2 + kj - g.pw..];
                        let mut pairs = src.chunks_exact(2);
                        let dst = &mut dst[ows.clone()];
                        let n = pairs.len().min(dst.len());
                        for (d, p) in dst[..n].iter_mut().zip(&mut pairs) {
                            *d = p[0];
                        }
                        if n < dst.len() {
                            dst[n] = src[2 * n];
                        }
                    } else {
                        let src = src[ows.start * g.sw + kj - g.pw..].iter().step_by(g.sw);
                        dst[ows.clone()]
                            .iter_mut()
                            .zip(src)
                            .for_each(|(d, s)| *d = *s);
                    }
                }
            }
        }
    }
}

/// [`col2im_general`] of the convolutions [`im2col_halving`] serves: per input row, the three
/// taps' rows are added into its even and odd columns, in the general path's order
/// (taps by `ki`, then `kj`), so the sums are the same to the bit.
#[inline(always)]
pub(crate) fn col2im_halving<T: Real, const WO: usize>(
    g: &Geom,
    col: &[T],
    rows: Range<usize>,
    first: usize,
    dx: &mut ArrayViewMut2<'_, T>,
) {
    let (hw, cols) = (g.h * g.w, rows.len() * WO);
    for c in 0..g.c_in {
        let mut dx_row = dx.row_mut(c);
        let dx_c = dx_row.as_slice_mut().expect("channel rows are contiguous");
        for ki in 0..3 {
            let taps = &col[(c * 3 + ki) * 3 * cols..][..3 * cols];
            let (s0, rest) = taps.split_at(cols);
            let (s1, s2) = rest.split_at(cols);
            let src = s0
                .chunks_exact(WO)
                .zip(s1.chunks_exact(WO).zip(s2.chunks_exact(WO)));
            for ((s0, (s1, s2)), (img, oh)) in src.zip(image_rows(g, rows.clone())) {
                let ih = 2 * oh + ki;
                if ih == 0 || ih > g.h {
                    continue;
                }
                let dst = &mut dx_c[(img - first) * hw + (ih - 1) * g.w..][..2 * WO];
                let mut even = [T::zero(); WO];
                let mut odd = [T::zero(); WO];
                for t in 0..WO {
                    even[t] = dst[2 * t];
                    odd[t] = dst[2 * t + 1];
                }
                // Tap kj = 0 reads input column 2·ow − 1 (odd column ow − 1), then kj = 1
                // column 2·ow, kj = 2 column 2·ow + 1.
                for t in 0..WO - 1 {
                    odd[t] += s0[t + 1];
                }
                for t in 0..WO {
                    even[t] += s1[t];
                    odd[t] += s2[t];
                }
                for t in 0..WO {
                    dst[2 * t] = even[t];
                    dst[2 * t + 1] = odd[t];
                }
            }
        }
    }
}

#[inline(always)]
pub(crate) fn col2im_general<T: Real>(
    g: &Geom,
    col: &[T],
    rows: Range<usize>,
    first: usize,
    dx: &mut ArrayViewMut2<'_, T>,
) {
    let (hw, cols) = (g.h * g.w, rows.len() * g.wo);
    let mut src_rows = col.chunks_exact(cols);
    for c in 0..g.c_in {
        let mut dx_row = dx.row_mut(c);
        let dx_c = dx_row.as_slice_mut().expect("channel rows are contiguous");
        for ki in 0..g.kh {
            let ihs = valid(ki, g.ph, g.sh, g.h, g.ho);
            for kj in 0..g.kw {
                let ows = valid(kj, g.pw, g.sw, g.w, g.wo);
                let src_row = src_rows.next().expect("k rows");
                let pairs = src_row.chunks_exact(g.wo).zip(image_rows(g, rows.clone()));
                for (src, (img, oh)) in pairs {
                    if !ihs.contains(&oh) {
                        continue;
                    }
                    let ih = oh * g.sh + ki - g.ph;
                    let dst = &mut dx_c[(img - first) * hw + ih * g.w..][..g.w];
                    if g.sw == 1 {
                        let from = ows.start + kj - g.pw;
                        add_row(&mut dst[from..from + ows.len()], &src[ows.clone()]);
                    } else {
                        let d = dst[ows.start * g.sw + kj - g.pw..].iter_mut().step_by(g.sw);
                        d.zip(&src[ows.clone()]).for_each(|(d, s)| *d += *s);
                    }
                }
            }
        }
    }
}

/// Bytes of im2col patches processed at a time: the column block then stays in the L2
/// cache between im2col, the GEMM's packing and col2im, instead of streaming through
/// memory three times (this dominated at width 16).
const CHUNK_BYTES: usize = 256 * 1024;
/// But at least this many columns, so each GEMM has a reasonable inner dimension.
const MIN_CHUNK_COLS: usize = 256;

/// Output rows per chunk for a patch matrix of `k` rows.
pub(crate) fn chunk_rows<T>(g: &Geom) -> usize {
    let cols = (CHUNK_BYTES / (g.k() * std::mem::size_of::<T>())).max(MIN_CHUNK_COLS);
    (cols / g.wo).max(1)
}

/// The output rows of `images`, in chunks of at most `size`.
pub(crate) fn row_chunks(
    g: &Geom,
    images: &Range<usize>,
    size: usize,
) -> impl Iterator<Item = Range<usize>> {
    let (start, end) = (images.start * g.ho, images.end * g.ho);
    (start..end)
        .step_by(size)
        .map(move |r| r..(r + size).min(end))
}

/// Columns `rows` (global output rows) of a part starting at image `first`.
pub(crate) fn cols_of(g: &Geom, rows: &Range<usize>, first: usize) -> Slice {
    let base = first * g.ho;
    Slice::from((rows.start - base) * g.wo..(rows.end - base) * g.wo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_ranges() {
        // 3-wide kernel, pad 1, stride 1, width 5: tap 0 misses ow 0, tap 2 misses ow 4.
        assert_eq!(valid(0, 1, 1, 5, 5), 1..5);
        assert_eq!(valid(1, 1, 1, 5, 5), 0..5);
        assert_eq!(valid(2, 1, 1, 5, 5), 0..4);
        // stride 2, pad 3, kernel 7 on width 8 (output 4): tap 0 reads -3, -1, 1, 3.
        assert_eq!(valid(0, 3, 2, 8, 4), 2..4);
        assert_eq!(valid(6, 3, 2, 8, 4), 0..3);
    }
}
