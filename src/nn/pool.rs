//! Pooling: `nn.MaxPool2d` (the ImageNet stem's 3×3/2, padding 1) and
//! `nn.AdaptiveAvgPool2d` (the head's global average).

use super::profile::{self, Phase};
use super::{Layer, Mode, Module, ParamRef, Real, Tensor, ensure_shape};

/// `nn.MaxPool2d(kernel, stride, padding)`. Padding counts as −∞; ties go to the first
/// maximum in scan order, as in PyTorch, and receive the whole gradient.
#[derive(Clone, Debug)]
pub struct MaxPool2d<T> {
    pub kernel: usize,
    pub stride: usize,
    pub padding: usize,
    /// Flat index into the input of every output's maximum.
    argmax: Vec<usize>,
    out: Tensor<T>,
    dx: Tensor<T>,
}

impl<T: Real> MaxPool2d<T> {
    pub fn new(kernel: usize, stride: usize, padding: usize) -> Self {
        assert!(kernel > 0 && stride > 0 && 2 * padding <= kernel);
        Self {
            kernel,
            stride,
            padding,
            argmax: Vec::new(),
            out: Tensor::zeros([0, 0, 0, 0]),
            dx: Tensor::zeros([0, 0, 0, 0]),
        }
    }

    /// Output size for an input of `len`, if the window fits.
    pub fn output_len(&self, len: usize) -> Option<usize> {
        (len + 2 * self.padding >= self.kernel)
            .then(|| (len + 2 * self.padding - self.kernel) / self.stride + 1)
    }
}

impl<T: Real> Module<T> for MaxPool2d<T> {
    fn visit_params(&mut self, _prefix: &str, _f: &mut dyn FnMut(ParamRef<'_, T>)) {}
}

impl<T: Real> Layer<T> for MaxPool2d<T> {
    fn forward(&mut self, x: &Tensor<T>, _mode: Mode) -> &Tensor<T> {
        let _t = profile::scope("maxpool", Phase::Forward);
        let (c, n, h, w) = x.dim();
        let (ho, wo) = self
            .output_len(h)
            .zip(self.output_len(w))
            .expect("pool window fits");
        ensure_shape(&mut self.out, [c, n, ho, wo]);
        self.argmax.resize(c * n * ho * wo, 0);
        let xs = x.as_slice().expect("standard layout");
        let ys = self.out.as_slice_mut().expect("standard layout");
        let (k, s, p) = (self.kernel, self.stride, self.padding);
        for img in 0..c * n {
            let base = img * h * w;
            for oh in 0..ho {
                for ow in 0..wo {
                    let mut best: Option<(usize, T)> = None;
                    for ih in (oh * s).saturating_sub(p)..(oh * s + k).saturating_sub(p).min(h) {
                        for iw in (ow * s).saturating_sub(p)..(ow * s + k).saturating_sub(p).min(w)
                        {
                            let v = xs[base + ih * w + iw];
                            // NaN wins, as in PyTorch: it propagates.
                            if best.is_none_or(|(_, b)| v > b || v.partial_cmp(&v).is_none()) {
                                best = Some((base + ih * w + iw, v));
                            }
                        }
                    }
                    // 2·padding ≤ kernel: every window holds at least one input.
                    let (at, v) = best.expect("window overlaps the input");
                    let o = (img * ho + oh) * wo + ow;
                    ys[o] = v;
                    self.argmax[o] = at;
                }
            }
        }
        &self.out
    }

    fn backward(&mut self, x: &Tensor<T>, dy: &Tensor<T>) -> &Tensor<T> {
        let _t = profile::scope("maxpool", Phase::Backward);
        let (c, n, h, w) = x.dim();
        assert_eq!(dy.shape(), self.out.shape(), "max pool dy shape");
        ensure_shape(&mut self.dx, [c, n, h, w]);
        self.dx.fill(T::zero());
        let dxs = self.dx.as_slice_mut().expect("standard layout");
        for (&at, &d) in self.argmax.iter().zip(dy.iter()) {
            dxs[at] += d;
        }
        &self.dx
    }

    fn output(&self) -> &Tensor<T> {
        &self.out
    }

    fn input_grad(&self) -> &Tensor<T> {
        &self.dx
    }
}

/// `nn.AdaptiveAvgPool2d((out_h, out_w))`: output cell `i` averages input rows
/// `⌊i·H/out_h⌋ .. ⌈(i+1)·H/out_h⌉`, as PyTorch does.
#[derive(Clone, Debug)]
pub struct AdaptiveAvgPool2d<T> {
    pub out_h: usize,
    pub out_w: usize,
    out: Tensor<T>,
    dx: Tensor<T>,
}

fn bounds(i: usize, input: usize, output: usize) -> std::ops::Range<usize> {
    (i * input / output)..((i + 1) * input).div_ceil(output)
}

impl<T: Real> AdaptiveAvgPool2d<T> {
    pub fn new(out_h: usize, out_w: usize) -> Self {
        assert!(out_h > 0 && out_w > 0);
        Self {
            out_h,
            out_w,
            out: Tensor::zeros([0, 0, 0, 0]),
            dx: Tensor::zeros([0, 0, 0, 0]),
        }
    }
}

impl<T: Real> Module<T> for AdaptiveAvgPool2d<T> {
    fn visit_params(&mut self, _prefix: &str, _f: &mut dyn FnMut(ParamRef<'_, T>)) {}
}

impl<T: Real> Layer<T> for AdaptiveAvgPool2d<T> {
    fn forward(&mut self, x: &Tensor<T>, _mode: Mode) -> &Tensor<T> {
        let _t = profile::scope("avgpool", Phase::Forward);
        let (c, n, h, w) = x.dim();
        let (oh_n, ow_n) = (self.out_h, self.out_w);
        ensure_shape(&mut self.out, [c, n, oh_n, ow_n]);
        let xs = x.as_slice().expect("standard layout");
        let ys = self.out.as_slice_mut().expect("standard layout");
        for img in 0..c * n {
            let plane = &xs[img * h * w..][..h * w];
            for oh in 0..oh_n {
                for ow in 0..ow_n {
                    let (rows, cols) = (bounds(oh, h, oh_n), bounds(ow, w, ow_n));
                    let count = (rows.len() * cols.len()) as f64;
                    let sum: f64 = rows
                        .flat_map(|r| plane[r * w..][cols.clone()].iter().map(|v| v.to_f64()))
                        .sum();
                    ys[(img * oh_n + oh) * ow_n + ow] = T::from_f64(sum / count);
                }
            }
        }
        &self.out
    }

    fn backward(&mut self, x: &Tensor<T>, dy: &Tensor<T>) -> &Tensor<T> {
        let _t = profile::scope("avgpool", Phase::Backward);
        let (c, n, h, w) = x.dim();
        let (oh_n, ow_n) = (self.out_h, self.out_w);
        assert_eq!(dy.shape(), [c, n, oh_n, ow_n], "adaptive pool dy shape");
        ensure_shape(&mut self.dx, [c, n, h, w]);
        self.dx.fill(T::zero());
        let dys = dy.as_slice().expect("standard layout");
        let dxs = self.dx.as_slice_mut().expect("standard layout");
        for img in 0..c * n {
            let plane = &mut dxs[img * h * w..][..h * w];
            for oh in 0..oh_n {
                for ow in 0..ow_n {
                    let (rows, cols) = (bounds(oh, h, oh_n), bounds(ow, w, ow_n));
                    let share = dys[(img * oh_n + oh) * ow_n + ow].to_f64()
                        / (rows.len() * cols.len()) as f64;
                    let share = T::from_f64(share);
                    for r in rows {
                        plane[r * w..][cols.clone()]
                            .iter_mut()
                            .for_each(|v| *v += share);
                    }
                }
            }
        }
        &self.dx
    }

    fn output(&self) -> &Tensor<T> {
        &self.out
    }

    fn input_grad(&self) -> &Tensor<T> {
        &self.dx
    }
}
