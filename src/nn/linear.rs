//! `nn.Linear` on channel-major features: input `[in, N, 1, 1]`, output `[out, N, 1, 1]`,
//! `y = W·x + b` with `W` of shape `[out, in]` (PyTorch's layout).

use super::kernels::gemm::gemm;
use super::{Layer, Mode, Module, ModuleKind, Param, ParamRef, Real, Tensor};
use super::{bias_grad_from_rows, ensure_shape, visit_weight_and_bias};
use ndarray::{ArrayView2, ArrayViewMut2};
use rand::RngExt;

#[derive(Clone, Debug)]
pub struct Linear<T> {
    pub in_features: usize,
    pub out_features: usize,
    /// `[out, in]`.
    pub weight: Param<T>,
    pub bias: Option<Param<T>>,
    out: Tensor<T>,
    dx: Tensor<T>,
}

impl<T: Real> Linear<T> {
    /// A linear layer with bias (PyTorch's default), zero parameters.
    pub fn new(in_features: usize, out_features: usize) -> Self {
        Self {
            in_features,
            out_features,
            weight: Param::zeros(&[out_features, in_features]),
            bias: Some(Param::zeros(&[out_features])),
            out: Tensor::zeros([0, 0, 0, 0]),
            dx: Tensor::zeros([0, 0, 0, 0]),
        }
    }

    /// PyTorch's default init: `kaiming_uniform_(a=√5)` for the weight, which is
    /// `U(−1/√in, 1/√in)`, and the same range for the bias.
    pub fn init_default(&mut self, rng: &mut impl rand::Rng) {
        let bound = 1.0 / (self.in_features as f64).sqrt();
        let mut draw = |v: &mut T| *v = T::from_f64(rng.random_range(-bound..bound));
        self.weight.value_mut().iter_mut().for_each(&mut draw);
        if let Some(b) = &mut self.bias {
            b.value_mut().iter_mut().for_each(&mut draw);
        }
    }

    fn check(&self, x: &Tensor<T>) -> usize {
        let (c, n, h, w) = x.dim();
        assert!(
            c == self.in_features && h == 1 && w == 1,
            "linear input must be [in, N, 1, 1]"
        );
        n
    }
}

impl<T: Real> Module<T> for Linear<T> {
    fn visit_params(&mut self, prefix: &str, f: &mut dyn FnMut(ParamRef<'_, T>)) {
        let bias = self.bias.as_mut();
        visit_weight_and_bias(prefix, ModuleKind::Linear, &mut self.weight, bias, f);
    }
}

impl<T: Real> Layer<T> for Linear<T> {
    fn forward(&mut self, x: &Tensor<T>, _mode: Mode) -> &Tensor<T> {
        let n = self.check(x);
        let (fi, fo) = (self.in_features, self.out_features);
        ensure_shape(&mut self.out, [fo, n, 1, 1]);
        let x2 = ArrayView2::from_shape((fi, n), x.as_slice().expect("layout")).expect("shape");
        let w = ArrayView2::from_shape((fo, fi), self.weight.value()).expect("weight shape");
        let ys = self.out.as_slice_mut().expect("standard layout");
        let mut y2 = ArrayViewMut2::from_shape((fo, n), ys).expect("shape");
        gemm(T::one(), &w, &x2, T::zero(), &mut y2);
        if let Some(b) = &self.bias {
            for (mut row, &bv) in y2.outer_iter_mut().zip(b.value()) {
                row.mapv_inplace(|v| v + bv);
            }
        }
        &self.out
    }

    fn backward(&mut self, x: &Tensor<T>, dy: &Tensor<T>) -> &Tensor<T> {
        let n = self.check(x);
        let (fi, fo) = (self.in_features, self.out_features);
        assert_eq!(dy.shape(), [fo, n, 1, 1], "linear dy shape");
        ensure_shape(&mut self.dx, [fi, n, 1, 1]);
        let x2 = ArrayView2::from_shape((fi, n), x.as_slice().expect("layout")).expect("shape");
        let dy2 = ArrayView2::from_shape((fo, n), dy.as_slice().expect("layout")).expect("shape");
        let mut dw = ArrayViewMut2::from_shape((fo, fi), self.weight.grad_mut()).expect("shape");
        gemm(T::one(), &dy2, &x2.t(), T::zero(), &mut dw);
        let w = ArrayView2::from_shape((fo, fi), self.weight.value()).expect("weight shape");
        let dxs = self.dx.as_slice_mut().expect("standard layout");
        let mut dx2 = ArrayViewMut2::from_shape((fi, n), dxs).expect("shape");
        gemm(T::one(), &w.t(), &dy2, T::zero(), &mut dx2);
        if let Some(b) = &mut self.bias {
            bias_grad_from_rows(b, dy2.view());
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
