//! 2-D convolution, PyTorch's `nn.Conv2d` semantics (cross-correlation, zero padding, no
//! dilation or groups).
//!
//! The algorithm is a [`ConvAlgo`], classified once per input geometry and cached by the
//! layer: Winograd F(2×2, 3×3) for 3×3 stride-1 convolutions (`winograd_pass`), im2col
//! and GEMM for the rest (`im2col_pass`), with compile-time variants of both for
//! ResNet's shapes. Work is split across the batch (`kernels::gemm::batch_parts`) and
//! partial weight gradients are summed in part order, so results do not depend on the
//! thread count.

mod algo;
mod im2col_pass;
mod winograd_pass;

pub use algo::{ConvAlgo, HalfWidth, RowTiles};

use super::kernels::{Geom, WeightGradProduct};
use super::profile::{self, Phase};
use super::visit_weight_and_bias;
use super::{Layer, Mode, Module, ModuleKind, Param, ParamRef, Real, Tensor};
use ndarray::{ArrayViewMut2, Axis};
use rand::RngExt;
use rand_distr::StandardNormal;
use std::ops::Range;

/// `nn.Conv2d(c_in, c_out, kernel, stride, padding, bias=...)`.
#[derive(Clone, Debug)]
pub struct Conv2d<T> {
    pub c_in: usize,
    pub c_out: usize,
    /// `[kh, kw]`.
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    /// `[c_out, c_in, kh, kw]`.
    pub weight: Param<T>,
    pub bias: Option<Param<T>>,
    /// Whether backward computes dL/dx; a network's first layer does not need it (the
    /// returned tensor is then all zero).
    pub input_grad: bool,
    /// An algorithm to use instead of the fastest for each geometry (tests: the
    /// [`ConvAlgo::Im2col`] reference, or one kernel). A pass panics if it does not
    /// support the geometry.
    pub force: Option<ConvAlgo>,
    /// The algorithm of the last geometry seen (and what it was chosen for).
    plan: Option<Plan>,
    /// The Winograd-transformed weights `[16][C_out][C_in]`, rebuilt when the weights change.
    wino_u: Vec<T>,
    /// The same, each position's matrix transposed (`[16][C_in][C_out]`), for backward.
    wino_ut: Vec<T>,
    /// The weight stamps ([`Param::stamp`]) `wino_u` and `wino_ut` were built from.
    wino_stamps: [Option<u64>; 2],
    /// The weight as a `[C_in·kh·kw, C_out]` matrix, rebuilt every backward pass.
    weight_t: Vec<T>,
    out: Tensor<T>,
    dx: Tensor<T>,
    partials: Vec<Vec<T>>,
}

/// A geometry's algorithm and weight-gradient product, as [`ConvAlgo`] classified them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Plan {
    geom: Geom,
    force: Option<ConvAlgo>,
    algo: ConvAlgo,
    weight_grad: WeightGradProduct,
}

/// The parts' partial weight gradients summed into the first, in part order (so the
/// result does not depend on the thread count); returns that sum.
fn sum_partials<T: Real>(partials: &mut [Vec<T>]) -> &[T] {
    let (first, rest) = partials.split_first_mut().expect("one part");
    for p in rest.iter() {
        first.iter_mut().zip(p).for_each(|(g, v)| *g += *v);
    }
    first
}

/// Cut `v` along axis 1 into the column ranges of `parts` (each image is `scale` columns).
fn split_cols<'a, T>(
    mut v: ArrayViewMut2<'a, T>,
    parts: &[Range<usize>],
    scale: usize,
) -> Vec<ArrayViewMut2<'a, T>> {
    let mut out = Vec::with_capacity(parts.len());
    for r in parts {
        let (head, tail) = v.split_at(Axis(1), r.len() * scale);
        out.push(head);
        v = tail;
    }
    out
}

impl<T: Real> Conv2d<T> {
    /// Add the bias (if any) to every output channel: the end of both forward passes.
    fn add_bias(&mut self) {
        if let Some(b) = &self.bias {
            for (mut ch, &bv) in self.out.outer_iter_mut().zip(b.value()) {
                ch.mapv_inplace(|v| v + bv);
            }
        }
    }

    /// A square-kernel convolution without bias, zero weights.
    pub fn new(c_in: usize, c_out: usize, kernel: usize, stride: usize, padding: usize) -> Self {
        Self::rect(c_in, c_out, [kernel; 2], [stride; 2], [padding; 2])
    }

    /// Any kernel, stride and padding per axis (`[height, width]`), without bias.
    pub fn rect(
        c_in: usize,
        c_out: usize,
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
    ) -> Self {
        assert!(kernel[0] > 0 && kernel[1] > 0 && stride[0] > 0 && stride[1] > 0);
        Self {
            c_in,
            c_out,
            kernel,
            stride,
            padding,
            weight: Param::zeros(&[c_out, c_in, kernel[0], kernel[1]]),
            bias: None,
            input_grad: true,
            force: None,
            plan: None,
            wino_u: Vec::new(),
            wino_ut: Vec::new(),
            wino_stamps: [None; 2],
            weight_t: Vec::new(),
            out: Tensor::zeros([0, 0, 0, 0]),
            dx: Tensor::zeros([0, 0, 0, 0]),
            partials: Vec::new(),
        }
    }

    /// Add a (zero) bias.
    pub fn with_bias(mut self) -> Self {
        self.bias = Some(Param::zeros(&[self.c_out]));
        self
    }

    /// Output height and width for an input of `h × w`, if the kernel fits.
    pub fn output_size(&self, h: usize, w: usize) -> Option<(usize, usize)> {
        let (hp, wp) = (h + 2 * self.padding[0], w + 2 * self.padding[1]);
        (hp >= self.kernel[0] && wp >= self.kernel[1]).then(|| {
            (
                (hp - self.kernel[0]) / self.stride[0] + 1,
                (wp - self.kernel[1]) / self.stride[1] + 1,
            )
        })
    }

    /// torchvision's ResNet init: Kaiming normal, fan_out mode, ReLU gain:
    /// `N(0, 2 / (c_out·kh·kw))`. A bias, if any, is zeroed.
    pub fn init_kaiming_fan_out(&mut self, rng: &mut impl rand::Rng) {
        let fan_out = (self.c_out * self.kernel[0] * self.kernel[1]) as f64;
        let std = (2.0 / fan_out).sqrt();
        for v in self.weight.value_mut() {
            *v = T::from_f64(std * rng.sample::<f64, _>(StandardNormal));
        }
        if let Some(b) = &mut self.bias {
            b.value_mut().fill(T::zero());
        }
    }

    /// The algorithm a pass on an input of shape `[C, N, H, W]` runs.
    pub fn algo(&self, input: [usize; 4]) -> ConvAlgo {
        let g = self.geom(input);
        self.force.unwrap_or_else(|| ConvAlgo::for_geometry(&g))
    }

    fn geom(&self, [c, n, h, w]: [usize; 4]) -> Geom {
        assert_eq!(
            c, self.c_in,
            "conv input has {c} channels, expected {}",
            self.c_in
        );
        let (ho, wo) = self
            .output_size(h, w)
            .unwrap_or_else(|| panic!("conv input {h}×{w} is smaller than its kernel"));
        Geom {
            c_in: c,
            n,
            h,
            w,
            kh: self.kernel[0],
            kw: self.kernel[1],
            sh: self.stride[0],
            sw: self.stride[1],
            ph: self.padding[0],
            pw: self.padding[1],
            ho,
            wo,
        }
    }

    /// The plan of input `x`: the cached one while the geometry (and [`Conv2d::force`])
    /// stays the same, classified again when it changes.
    fn plan(&mut self, x: &Tensor<T>) -> Plan {
        let geom = self.geom(super::dims(x));
        match self.plan {
            Some(p) if p.geom == geom && p.force == self.force => p,
            _ => {
                let algo = self.algo(super::dims(x));
                assert!(
                    algo.supports(&geom),
                    "{algo:?} does not compute the convolution of {geom:?}"
                );
                let weight_grad = algo.weight_grad(&geom);
                let p = Plan {
                    geom,
                    force: self.force,
                    algo,
                    weight_grad,
                };
                self.plan = Some(p);
                p
            }
        }
    }

    /// The layer type in a profile: kernel, stride and algorithm.
    fn label(&self, algo: ConvAlgo) -> String {
        let [kh, kw] = self.kernel;
        format!("conv{kh}x{kw}/{} {}", self.stride[0], algo.label())
    }
}

impl<T: Real> Module<T> for Conv2d<T> {
    fn visit_params(&mut self, prefix: &str, f: &mut dyn FnMut(ParamRef<'_, T>)) {
        let bias = self.bias.as_mut();
        visit_weight_and_bias(prefix, ModuleKind::Conv2d, &mut self.weight, bias, f);
    }
}

impl<T: Real> Layer<T> for Conv2d<T> {
    fn forward(&mut self, x: &Tensor<T>, _mode: Mode) -> &Tensor<T> {
        let plan = self.plan(x);
        let _t = profile::scope(|| self.label(plan.algo), Phase::Forward);
        match plan.algo {
            ConvAlgo::WinogradRows(_) | ConvAlgo::Winograd => self.forward_winograd(x, &plan),
            ConvAlgo::Pointwise
            | ConvAlgo::HalvingTaps(_)
            | ConvAlgo::HalvingPick(_)
            | ConvAlgo::Im2col => self.forward_im2col(x, &plan),
        }
        &self.out
    }

    fn backward(&mut self, x: &Tensor<T>, dy: &Tensor<T>) -> &Tensor<T> {
        let plan = self.plan(x);
        let label = || self.label(plan.algo);
        let prof = profile::split(label, Phase::BackwardWeight, Phase::BackwardData);
        match plan.algo {
            ConvAlgo::WinogradRows(_) | ConvAlgo::Winograd => {
                self.backward_winograd(x, dy, &plan, &prof)
            }
            ConvAlgo::Pointwise
            | ConvAlgo::HalvingTaps(_)
            | ConvAlgo::HalvingPick(_)
            | ConvAlgo::Im2col => self.backward_im2col(x, dy, &plan, &prof),
        }
        drop(prof);
        &self.dx
    }

    fn output(&self) -> &Tensor<T> {
        &self.out
    }

    fn input_grad(&self) -> &Tensor<T> {
        &self.dx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layer against the definition, summed term by term, forward and backward
    /// (`dL/dy = 1`): stride 2 along both axes, odd and even widths (the last strided
    /// column of a row is the one `im2col` copies on its own), 1×1 and rectangular kernels.
    #[test]
    fn direct_convolution_agrees() {
        for (kernel, stride, pad, (h, w)) in [
            ([3, 2], [2, 1], [1, 0], (5, 4)),
            ([3, 3], [2, 2], [1, 1], (5, 7)),
            ([3, 3], [2, 2], [1, 1], (6, 8)),
            ([3, 3], [2, 2], [1, 1], (8, 16)),
            ([3, 3], [2, 2], [1, 1], (4, 32)),
            ([1, 1], [2, 2], [0, 0], (5, 6)),
            ([3, 3], [2, 2], [0, 0], (7, 9)),
        ] {
            check_direct(2, kernel, stride, pad, h, w);
        }
        // Enough input channels (k = 5·9) for the weight gradient's transposed product.
        check_direct(5, [3, 3], [2, 2], [1, 1], 8, 16);
        check_direct(40, [1, 1], [2, 2], [0, 0], 6, 8);
    }

    fn check_direct(
        c_in: usize,
        kernel: [usize; 2],
        stride: [usize; 2],
        pad: [usize; 2],
        h: usize,
        w: usize,
    ) {
        let mut conv = Conv2d::<f64>::rect(c_in, 3, kernel, stride, pad).with_bias();
        let mut i = 0.0;
        conv.weight.value_mut().iter_mut().for_each(|v| {
            i += 1.0;
            *v = (i * 0.37f64).sin()
        });
        conv.bias
            .as_mut()
            .unwrap()
            .value_mut()
            .copy_from_slice(&[0.1, -0.2, 0.3]);
        let x = Tensor::from_shape_fn([c_in, 3, h, w], |(c, n, hh, ww)| {
            ((c * 60 + n * 20 + hh * w + ww) as f64 * 0.71).cos()
        });
        let y = conv.forward(&x, Mode::Train).clone();
        let (ho, wo) = conv.output_size(h, w).unwrap();
        assert_eq!(y.shape(), [3, 3, ho, wo]);
        let dx = conv
            .backward(&x, &Tensor::from_elem([3, 3, ho, wo], 1.0))
            .clone();
        let wt =
            ndarray::ArrayView4::from_shape([3, c_in, kernel[0], kernel[1]], conv.weight.value())
                .unwrap();
        let mut want_dx = Tensor::<f64>::zeros([c_in, 3, h, w]);
        let mut want_dw = ndarray::Array4::<f64>::zeros([3, c_in, kernel[0], kernel[1]]);
        for o in 0..3 {
            for n in 0..3 {
                for oh in 0..ho {
                    for ow in 0..wo {
                        let mut acc = conv.bias.as_ref().unwrap().value()[o];
                        for c in 0..c_in {
                            for ki in 0..kernel[0] {
                                for kj in 0..kernel[1] {
                                    let ih = (oh * stride[0] + ki) as isize - pad[0] as isize;
                                    let iw = (ow * stride[1] + kj) as isize - pad[1] as isize;
                                    if (0..h as isize).contains(&ih)
                                        && (0..w as isize).contains(&iw)
                                    {
                                        let at = [c, n, ih as usize, iw as usize];
                                        acc += wt[[o, c, ki, kj]] * x[at];
                                        want_dx[at] += wt[[o, c, ki, kj]];
                                        want_dw[[o, c, ki, kj]] += x[at];
                                    }
                                }
                            }
                        }
                        assert!(
                            (y[[o, n, oh, ow]] - acc).abs() < 1e-12,
                            "{kernel:?} {stride:?}"
                        );
                    }
                }
            }
        }
        let err = (&dx - &want_dx).iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(err < 1e-12, "{kernel:?} {stride:?}: dx error {err}");
        let dw = conv.weight.grad();
        let err = dw
            .iter()
            .zip(want_dw.iter())
            .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
        assert!(
            err < 1e-11,
            "{kernel:?} {stride:?} c_in {c_in}: dW error {err}"
        );
    }
}
