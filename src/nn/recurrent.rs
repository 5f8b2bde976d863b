//! A single-layer vanilla tanh RNN and LSTM over a whole sequence, with full
//! backpropagation through time, in PyTorch's layout and names (`nn.RNN`, `nn.LSTM`).
//!
//! - Input is seq-first `[T, N, D]`, the states `[N, H]`, the output `[T, N, H]` (h_1..h_T).
//! - Parameters `weight_ih_l0` `[G·H, D]`, `weight_hh_l0` `[G·H, H]`, `bias_ih_l0` and
//!   `bias_hh_l0` `[G·H]`, with G = 1 (RNN) or 4 (LSTM, gates in PyTorch's order i, f, g, o).
//! - RNN: `h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)`.
//! - LSTM: `i, f, o = σ(·)`, `g = tanh(·)`, `c_t = f ⊙ c_{t−1} + i ⊙ g`, `h_t = o ⊙ tanh(c_t)`.
//!
//! [`Recurrent::backward`] sets every parameter gradient (overwriting) and the gradients of
//! the input, h_0 and c_0, and records the norm of the total gradient with respect to every
//! state h_t and c_t (t = 0..T): the curves of how far credit reaches back. The input-side
//! products of all steps are one GEMM each; only the recurrent product is per step.
//!
//! Generic over [`Real`]: the labs and `grad lstm|rnn` run it in f64, the finite-difference
//! tests too. The nonlinearities are evaluated in f64 whatever `T` is.

use super::kernels::gemm::gemm;
use super::{Module, ModuleKind, Param, ParamRef, ParamRole, Real, join};
use ndarray::{ArrayView2, ArrayView3, ArrayViewMut2};
use rand::RngExt;

/// Which cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellKind {
    /// `nn.RNN` with tanh.
    Rnn,
    /// `nn.LSTM`.
    Lstm,
}

impl CellKind {
    /// Rows per hidden unit in the weights: 1 for the RNN, 4 gates for the LSTM.
    pub fn gates(self) -> usize {
        match self {
            CellKind::Rnn => 1,
            CellKind::Lstm => 4,
        }
    }

    fn module(self) -> ModuleKind {
        match self {
            CellKind::Rnn => ModuleKind::Rnn,
            CellKind::Lstm => ModuleKind::Lstm,
        }
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// tanh to within a few ulps, about four times as fast as libm's (which goes through
/// `expm1` and dominated the cells' time): an odd Taylor polynomial near 0 (relative error
/// below 1e-16 for |x| < 1/16), `1 − 2/(e^{2|x|} + 1)` beyond (relative error ≲ 4e-15).
pub fn tanh(x: f64) -> f64 {
    let a = x.abs();
    if a < 0.0625 {
        let x2 = x * x;
        // x − x³/3 + 2x⁵/15 − 17x⁷/315 + 62x⁹/2835 − 1382x¹¹/155925
        let p = -1382.0 / 155_925.0;
        let p = p * x2 + 62.0 / 2835.0;
        let p = p * x2 - 17.0 / 315.0;
        let p = p * x2 + 2.0 / 15.0;
        let p = p * x2 - 1.0 / 3.0;
        x + x * x2 * p
    } else if a > 20.0 {
        // tanh is 1 to f64 precision (also for ±∞); NaN falls through below.
        x.signum()
    } else {
        (1.0 - 2.0 / ((2.0 * a).exp() + 1.0)).copysign(x)
    }
}

/// One recurrent layer with the caches of its last forward pass.
#[derive(Clone, Debug)]
pub struct Recurrent<T> {
    pub kind: CellKind,
    pub input_size: usize,
    pub hidden_size: usize,
    /// `[G·H, D]`.
    pub weight_ih: Param<T>,
    /// `[G·H, H]`.
    pub weight_hh: Param<T>,
    pub bias_ih: Param<T>,
    pub bias_hh: Param<T>,
    /// Steps and batch of the last forward.
    steps: usize,
    batch: usize,
    /// h_0..h_T, `[T+1, N, H]`.
    hs: Vec<T>,
    /// c_0..c_T (LSTM), `[T+1, N, H]`.
    cs: Vec<T>,
    /// Activated gates i, f, g, o of every step (LSTM), `[T, N, 4H]`.
    acts: Vec<T>,
    /// tanh(c_t) of every step (LSTM), `[T, N, H]`.
    tanh_cs: Vec<T>,
    /// Pre-activation gradients of every step, `[T, N, G·H]`.
    dpre: Vec<T>,
    dx: Vec<T>,
    dh0: Vec<T>,
    dc0: Vec<T>,
    dh_norms: Vec<f64>,
    dc_norms: Vec<f64>,
}

impl<T: Real> Recurrent<T> {
    /// A layer with zero parameters.
    pub fn new(kind: CellKind, input_size: usize, hidden_size: usize) -> Self {
        let gh = kind.gates() * hidden_size;
        Self {
            kind,
            input_size,
            hidden_size,
            weight_ih: Param::zeros(&[gh, input_size]),
            weight_hh: Param::zeros(&[gh, hidden_size]),
            bias_ih: Param::zeros(&[gh]),
            bias_hh: Param::zeros(&[gh]),
            steps: 0,
            batch: 0,
            hs: Vec::new(),
            cs: Vec::new(),
            acts: Vec::new(),
            tanh_cs: Vec::new(),
            dpre: Vec::new(),
            dx: Vec::new(),
            dh0: Vec::new(),
            dc0: Vec::new(),
            dh_norms: Vec::new(),
            dc_norms: Vec::new(),
        }
    }

    /// PyTorch's default init: every weight and bias `U(−1/√H, 1/√H)`.
    pub fn init_default(&mut self, rng: &mut impl rand::Rng) {
        let k = 1.0 / (self.hidden_size.max(1) as f64).sqrt();
        self.visit_params("", &mut |p| {
            for v in p.param.value_mut() {
                *v = T::from_f64(rng.random_range(-k..k));
            }
        });
    }

    /// Rows `gate·H .. (gate+1)·H` of a bias: one gate's slice (LSTM: 0 i, 1 f, 2 g, 3 o).
    pub fn gate_slice(bias: &mut Param<T>, gate: usize, hidden: usize) -> &mut [T] {
        &mut bias.value_mut()[gate * hidden..(gate + 1) * hidden]
    }

    fn gh(&self) -> usize {
        self.kind.gates() * self.hidden_size
    }

    /// Run the sequence `x` `[T, N, D]` from `h0` (and `c0` for the LSTM; zeros if `None`),
    /// both `[N, H]`. The output is [`Recurrent::output`].
    pub fn forward(&mut self, x: ArrayView3<T>, h0: ArrayView2<T>, c0: Option<ArrayView2<T>>) {
        let (steps, n, d) = x.dim();
        let (h, gh) = (self.hidden_size, self.gh());
        assert_eq!(d, self.input_size, "recurrent input size");
        assert_eq!(h0.dim(), (n, h), "h0 shape");
        let lstm = self.kind == CellKind::Lstm;
        self.steps = steps;
        self.batch = n;
        let nh = n * h;
        self.hs.resize((steps + 1) * nh, T::zero());
        self.hs[..nh]
            .iter_mut()
            .zip(h0.iter())
            .for_each(|(a, b)| *a = *b);
        if lstm {
            self.cs.resize((steps + 1) * nh, T::zero());
            match c0 {
                Some(c0) => {
                    assert_eq!(c0.dim(), (n, h), "c0 shape");
                    self.cs[..nh]
                        .iter_mut()
                        .zip(c0.iter())
                        .for_each(|(a, b)| *a = *b);
                }
                None => self.cs[..nh].fill(T::zero()),
            }
        }
        // Pre-activations of every step from the input side at once: x W_ihᵀ + b.
        let mut pre = vec![T::zero(); steps * n * gh];
        let xs = x.as_standard_layout();
        let x2 = xs
            .view()
            .into_shape_with_order((steps * n, d))
            .expect("contiguous input");
        let wih = ArrayView2::from_shape((gh, d), self.weight_ih.value()).expect("shape");
        let whh = ArrayView2::from_shape((gh, h), self.weight_hh.value()).expect("shape");
        {
            let mut p2 = ArrayViewMut2::from_shape((steps * n, gh), &mut pre).expect("shape");
            gemm(T::one(), &x2, &wih.t(), T::zero(), &mut p2);
        }
        let bias: Vec<T> = self
            .bias_ih
            .value()
            .iter()
            .zip(self.bias_hh.value())
            .map(|(a, b)| *a + *b)
            .collect();
        if lstm {
            self.acts.resize(steps * n * gh, T::zero());
            self.tanh_cs.resize(steps * nh, T::zero());
        }
        for t in 0..steps {
            let p = &mut pre[t * n * gh..(t + 1) * n * gh];
            {
                let hp =
                    ArrayView2::from_shape((n, h), &self.hs[t * nh..(t + 1) * nh]).expect("shape");
                let mut p2 = ArrayViewMut2::from_shape((n, gh), &mut *p).expect("shape");
                gemm(T::one(), &hp, &whh.t(), T::one(), &mut p2);
            }
            let (before, after) = self.hs.split_at_mut((t + 1) * nh);
            let h_next = &mut after[..nh];
            let _ = before;
            if lstm {
                let acts = &mut self.acts[t * n * gh..(t + 1) * n * gh];
                let tanh_c = &mut self.tanh_cs[t * nh..(t + 1) * nh];
                let (cb, ca) = self.cs.split_at_mut((t + 1) * nh);
                let c_prev = &cb[t * nh..];
                let c_next = &mut ca[..nh];
                for s in 0..n {
                    let row = &p[s * gh..(s + 1) * gh];
                    let act = &mut acts[s * gh..(s + 1) * gh];
                    for u in 0..h {
                        let z = |g: usize| (row[g * h + u] + bias[g * h + u]).to_f64();
                        let (i, f, g, o) =
                            (sigmoid(z(0)), sigmoid(z(1)), tanh(z(2)), sigmoid(z(3)));
                        let c = f * c_prev[s * h + u].to_f64() + i * g;
                        act[u] = T::from_f64(i);
                        act[h + u] = T::from_f64(f);
                        act[2 * h + u] = T::from_f64(g);
                        act[3 * h + u] = T::from_f64(o);
                        c_next[s * h + u] = T::from_f64(c);
                        let tc = tanh(c);
                        tanh_c[s * h + u] = T::from_f64(tc);
                        h_next[s * h + u] = T::from_f64(o * tc);
                    }
                }
            } else {
                for ((hn, z), b) in h_next.iter_mut().zip(p.iter()).zip(bias.iter().cycle()) {
                    *hn = T::from_f64(tanh((*z + *b).to_f64()));
                }
            }
        }
    }

    /// The output h_1..h_T of the last forward, `[T, N, H]`.
    pub fn output(&self) -> ArrayView3<'_, T> {
        let nh = self.batch * self.hidden_size;
        ArrayView3::from_shape(
            (self.steps, self.batch, self.hidden_size),
            &self.hs[nh..(self.steps + 1) * nh],
        )
        .expect("shape")
    }

    /// The state h_t, `[N, H]` (t = 0..T).
    pub fn h(&self, t: usize) -> ArrayView2<'_, T> {
        let nh = self.batch * self.hidden_size;
        ArrayView2::from_shape(
            (self.batch, self.hidden_size),
            &self.hs[t * nh..(t + 1) * nh],
        )
        .expect("shape")
    }

    /// The cell state c_t, `[N, H]` (LSTM; t = 0..T).
    pub fn c(&self, t: usize) -> ArrayView2<'_, T> {
        let nh = self.batch * self.hidden_size;
        ArrayView2::from_shape(
            (self.batch, self.hidden_size),
            &self.cs[t * nh..(t + 1) * nh],
        )
        .expect("shape")
    }

    /// The forget gate f_t of step t = 1..T, `[N, H]` (LSTM).
    pub fn forget_gate(&self, t: usize) -> Vec<T> {
        let (n, h, gh) = (self.batch, self.hidden_size, self.gh());
        let acts = &self.acts[(t - 1) * n * gh..t * n * gh];
        (0..n)
            .flat_map(|s| acts[s * gh + h..s * gh + 2 * h].iter().copied())
            .collect()
    }

    /// Backpropagate through time. `x` is the input of the last forward; `d_out` `[T, N, H]`
    /// is ∂L/∂output; `d_hn` and `d_cn` `[N, H]` are ∂L/∂h_T and ∂L/∂c_T from outside the
    /// output (None: zero). Overwrites every parameter gradient and the input, h_0 and c_0
    /// gradients.
    pub fn backward(
        &mut self,
        x: ArrayView3<T>,
        d_out: ArrayView3<T>,
        d_hn: Option<ArrayView2<T>>,
        d_cn: Option<ArrayView2<T>>,
    ) {
        let (steps, n, h, d, gh) = (
            self.steps,
            self.batch,
            self.hidden_size,
            self.input_size,
            self.gh(),
        );
        assert_eq!(x.dim(), (steps, n, d), "backward input shape");
        assert_eq!(d_out.dim(), (steps, n, h), "backward output gradient shape");
        let lstm = self.kind == CellKind::Lstm;
        let nh = n * h;
        let mut dh = vec![0.0f64; nh];
        let mut dc = vec![0.0f64; nh];
        if let Some(g) = d_hn {
            dh.iter_mut()
                .zip(g.iter())
                .for_each(|(a, b)| *a = b.to_f64());
        }
        if let Some(g) = d_cn {
            dc.iter_mut()
                .zip(g.iter())
                .for_each(|(a, b)| *a = b.to_f64());
        }
        self.dpre.resize(steps * n * gh, T::zero());
        self.dh_norms = vec![0.0; steps + 1];
        self.dc_norms = vec![0.0; if lstm { steps + 1 } else { 0 }];
        let whh = ArrayView2::from_shape((gh, h), self.weight_hh.value()).expect("shape");
        let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
        let mut carry = vec![T::zero(); nh];
        for t in (1..=steps).rev() {
            let dout = d_out.index_axis(ndarray::Axis(0), t - 1);
            for ((a, b), o) in dh.iter_mut().zip(dout.iter()).zip(&carry) {
                *a += b.to_f64() + o.to_f64();
            }
            self.dh_norms[t] = norm(&dh);
            let dp = &mut self.dpre[(t - 1) * n * gh..t * n * gh];
            let h_t = &self.hs[t * nh..(t + 1) * nh];
            if lstm {
                let acts = &self.acts[(t - 1) * n * gh..t * n * gh];
                let tanh_c = &self.tanh_cs[(t - 1) * nh..t * nh];
                let c_prev = &self.cs[(t - 1) * nh..t * nh];
                for s in 0..n {
                    let act = &acts[s * gh..(s + 1) * gh];
                    let row = &mut dp[s * gh..(s + 1) * gh];
                    for u in 0..h {
                        let k = s * h + u;
                        let (i, f, g, o) = (
                            act[u].to_f64(),
                            act[h + u].to_f64(),
                            act[2 * h + u].to_f64(),
                            act[3 * h + u].to_f64(),
                        );
                        let tc = tanh_c[k].to_f64();
                        dc[k] += dh[k] * o * (1.0 - tc * tc);
                        row[u] = T::from_f64(dc[k] * g * i * (1.0 - i));
                        row[h + u] = T::from_f64(dc[k] * c_prev[k].to_f64() * f * (1.0 - f));
                        row[2 * h + u] = T::from_f64(dc[k] * i * (1.0 - g * g));
                        row[3 * h + u] = T::from_f64(dh[k] * tc * o * (1.0 - o));
                    }
                }
                self.dc_norms[t] = norm(&dc);
                for s in 0..n {
                    let act = &acts[s * gh..(s + 1) * gh];
                    for u in 0..h {
                        dc[s * h + u] *= act[h + u].to_f64();
                    }
                }
            } else {
                for ((p, g), hv) in dp.iter_mut().zip(&dh).zip(h_t) {
                    let hv = hv.to_f64();
                    *p = T::from_f64(g * (1.0 - hv * hv));
                }
            }
            // The recurrent path: ∂L/∂h_{t−1} = dpre_t W_hh.
            let dp2 = ArrayView2::from_shape((n, gh), &*dp).expect("shape");
            let mut c2 = ArrayViewMut2::from_shape((n, h), &mut carry).expect("shape");
            gemm(T::one(), &dp2, &whh, T::zero(), &mut c2);
            dh.fill(0.0);
        }
        self.dh0 = carry.clone();
        self.dh_norms[0] = norm(&carry.iter().map(|v| v.to_f64()).collect::<Vec<_>>());
        if lstm {
            self.dc_norms[0] = norm(&dc);
            self.dc0 = dc.iter().map(|&v| T::from_f64(v)).collect();
        } else {
            self.dc0.clear();
        }
        // Weight and input gradients of all steps at once.
        let xs = x.as_standard_layout();
        let x2 = xs
            .view()
            .into_shape_with_order((steps * n, d))
            .expect("contiguous input");
        let dp_all = ArrayView2::from_shape((steps * n, gh), &self.dpre).expect("shape");
        let h_prev = ArrayView2::from_shape((steps * n, h), &self.hs[..steps * nh]).expect("shape");
        {
            let mut dw =
                ArrayViewMut2::from_shape((gh, d), self.weight_ih.grad_mut()).expect("shape");
            gemm(T::one(), &dp_all.t(), &x2, T::zero(), &mut dw);
        }
        {
            let mut dw =
                ArrayViewMut2::from_shape((gh, h), self.weight_hh.grad_mut()).expect("shape");
            gemm(T::one(), &dp_all.t(), &h_prev, T::zero(), &mut dw);
        }
        self.dx.resize(steps * n * d, T::zero());
        {
            let wih = ArrayView2::from_shape((gh, d), self.weight_ih.value()).expect("shape");
            let mut dx2 = ArrayViewMut2::from_shape((steps * n, d), &mut self.dx).expect("shape");
            gemm(T::one(), &dp_all, &wih, T::zero(), &mut dx2);
        }
        let mut sums = vec![0.0f64; gh];
        for row in self.dpre.chunks_exact(gh.max(1)) {
            sums.iter_mut().zip(row).for_each(|(s, v)| *s += v.to_f64());
        }
        for b in [&mut self.bias_ih, &mut self.bias_hh] {
            b.grad_mut()
                .iter_mut()
                .zip(&sums)
                .for_each(|(g, s)| *g = T::from_f64(*s));
        }
    }

    /// ∂L/∂x of the last backward, `[T, N, D]`.
    pub fn input_grad(&self) -> ArrayView3<'_, T> {
        ArrayView3::from_shape((self.steps, self.batch, self.input_size), &self.dx).expect("shape")
    }

    /// ∂L/∂h_0, `[N, H]`.
    pub fn h0_grad(&self) -> ArrayView2<'_, T> {
        ArrayView2::from_shape((self.batch, self.hidden_size), &self.dh0).expect("shape")
    }

    /// ∂L/∂c_0, `[N, H]` (LSTM; empty for the RNN).
    pub fn c0_grad(&self) -> ArrayView2<'_, T> {
        let rows = if self.dc0.is_empty() { 0 } else { self.batch };
        ArrayView2::from_shape((rows, self.hidden_size), &self.dc0).expect("shape")
    }

    /// ‖∂L/∂h_t‖ (Frobenius over the batch) for t = 0..T, of the last backward: the total
    /// gradient, through every path.
    pub fn h_grad_norms(&self) -> &[f64] {
        &self.dh_norms
    }

    /// ‖∂L/∂c_t‖ for t = 0..T (LSTM; empty for the RNN).
    pub fn c_grad_norms(&self) -> &[f64] {
        &self.dc_norms
    }
}

impl<T: Real> Module<T> for Recurrent<T> {
    fn visit_params(&mut self, prefix: &str, f: &mut dyn FnMut(ParamRef<'_, T>)) {
        let kind = self.kind.module();
        let params = [
            ("weight_ih_l0", ParamRole::Weight, &mut self.weight_ih),
            ("weight_hh_l0", ParamRole::Weight, &mut self.weight_hh),
            ("bias_ih_l0", ParamRole::Bias, &mut self.bias_ih),
            ("bias_hh_l0", ParamRole::Bias, &mut self.bias_hh),
        ];
        for (name, role, param) in params {
            let name = join(prefix, name);
            f(ParamRef {
                name: &name,
                kind,
                role,
                param,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_tanh_agrees_with_libm_to_a_few_ulps() {
        let mut worst = 0.0f64;
        for i in -40_000..=40_000 {
            // Dense near 0 (where the polynomial and the formula meet), out to ±25.
            let x = f64::from(i) * 1e-4 * (1.0 + f64::from(i).abs() * 1e-4);
            let (a, b) = (tanh(x), x.tanh());
            if b != 0.0 {
                worst = worst.max(((a - b) / b).abs());
            }
        }
        assert!(worst < 5e-15, "{worst:e}");
        assert_eq!(tanh(f64::INFINITY), 1.0);
        assert_eq!(tanh(f64::NEG_INFINITY), -1.0);
        assert!(tanh(f64::NAN).is_nan());
        assert_eq!(tanh(0.0), 0.0);
        assert_eq!(tanh(1e-300), 1e-300);
    }
}
