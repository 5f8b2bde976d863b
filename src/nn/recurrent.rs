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
use super::kernels::simd::vectorized;
use super::kernels::small_gemm::{gemm_acc, transpose_into};
use super::kernels::transcendental::{sigmoid, tanh};
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
    /// The pre-activations' buffer, `[T, N, G·H]`.
    pre: Vec<T>,
    /// W_hhᵀ `[H, G·H]` of the last forward.
    whh_t: Vec<T>,
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
            pre: Vec::new(),
            whh_t: Vec::new(),
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
        // Kept between calls (no allocation per sequence); the GEMM overwrites it (β = 0).
        let mut pre = std::mem::take(&mut self.pre);
        pre.resize(steps * n * gh, T::zero());
        let xs = x.as_standard_layout();
        let x2 = xs
            .view()
            .into_shape_with_order((steps * n, d))
            .expect("contiguous input");
        let wih = ArrayView2::from_shape((gh, d), self.weight_ih.value()).expect("shape");
        {
            let mut p2 = ArrayViewMut2::from_shape((steps * n, gh), &mut pre).expect("shape");
            gemm(T::one(), &x2, &wih.t(), T::zero(), &mut p2);
        }
        // W_hhᵀ `[H, G·H]`, so each step's product reads it row by row.
        transpose_into(self.weight_hh.value(), gh, h, &mut self.whh_t);
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
            gemm_acc(&self.hs[t * nh..(t + 1) * nh], &self.whh_t, p, n, h, gh);
            let (before, after) = self.hs.split_at_mut((t + 1) * nh);
            let h_next = &mut after[..nh];
            let _ = before;
            if lstm {
                let acts = &mut self.acts[t * n * gh..(t + 1) * n * gh];
                let tanh_c = &mut self.tanh_cs[t * nh..(t + 1) * nh];
                let (cb, ca) = self.cs.split_at_mut((t + 1) * nh);
                let c_prev = &cb[t * nh..];
                let c_next = &mut ca[..nh];
                let p = &*p;
                let bias = &bias[..];
                vectorized(
                    #[inline(always)]
                    || {
                        for s in 0..n {
                            let rows = s * h..(s + 1) * h;
                            lstm_cell(
                                &p[s * gh..(s + 1) * gh],
                                bias,
                                &mut acts[s * gh..(s + 1) * gh],
                                &c_prev[rows.clone()],
                                &mut c_next[rows.clone()],
                                &mut tanh_c[rows.clone()],
                                &mut h_next[rows],
                            );
                        }
                    },
                );
            } else {
                let bias = &bias[..];
                vectorized(
                    #[inline(always)]
                    || {
                        for (hn, z) in h_next.chunks_exact_mut(gh).zip(p.chunks_exact(gh)) {
                            for ((hv, z), b) in hn.iter_mut().zip(z).zip(bias) {
                                *hv = T::from_f64(tanh((*z + *b).to_f64()));
                            }
                        }
                    },
                );
            }
        }
        self.pre = pre;
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
                let (dh, dc) = (&dh[..], &mut dc[..]);
                vectorized(
                    #[inline(always)]
                    || {
                        for s in 0..n {
                            let rows = s * h..(s + 1) * h;
                            lstm_cell_backward(
                                &acts[s * gh..(s + 1) * gh],
                                &tanh_c[rows.clone()],
                                &c_prev[rows.clone()],
                                &dh[rows.clone()],
                                &mut dc[rows],
                                &mut dp[s * gh..(s + 1) * gh],
                            );
                        }
                    },
                );
                self.dc_norms[t] = norm(dc);
                // Through the cell: ∂L/∂c_{t−1} = ∂L/∂c_t ⊙ f.
                for s in 0..n {
                    let f = &acts[s * gh + h..s * gh + 2 * h];
                    for (d, f) in dc[s * h..(s + 1) * h].iter_mut().zip(f) {
                        *d *= f.to_f64();
                    }
                }
            } else {
                for ((p, g), hv) in dp.iter_mut().zip(&dh).zip(h_t) {
                    let hv = hv.to_f64();
                    *p = T::from_f64(g * (1.0 - hv * hv));
                }
            }
            // The recurrent path: ∂L/∂h_{t−1} = dpre_t W_hh.
            carry.fill(T::zero());
            gemm_acc(dp, self.weight_hh.value(), &mut carry, n, gh, h);
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

/// One LSTM cell of one sample: `pre` (the gates' pre-activations without bias, i f g o) →
/// the activated gates `acts`, c_t, tanh(c_t) and h_t. Each loop runs over the hidden units
/// alone, so it vectorizes.
#[inline(always)]
fn lstm_cell<T: Real>(
    pre: &[T],
    bias: &[T],
    acts: &mut [T],
    c_prev: &[T],
    c_next: &mut [T],
    tanh_c: &mut [T],
    h_next: &mut [T],
) {
    let h = c_prev.len();
    for (gate, ((a, z), b)) in acts
        .chunks_exact_mut(h)
        .zip(pre.chunks_exact(h))
        .zip(bias.chunks_exact(h))
        .enumerate()
    {
        if gate == 2 {
            for ((a, z), b) in a.iter_mut().zip(z).zip(b) {
                *a = T::from_f64(tanh((*z + *b).to_f64()));
            }
        } else {
            for ((a, z), b) in a.iter_mut().zip(z).zip(b) {
                *a = T::from_f64(sigmoid((*z + *b).to_f64()));
            }
        }
    }
    let (i, rest) = acts.split_at(h);
    let (f, rest) = rest.split_at(h);
    let (g, o) = rest.split_at(h);
    for u in 0..h {
        let c = f[u].to_f64() * c_prev[u].to_f64() + i[u].to_f64() * g[u].to_f64();
        let tc = tanh(c);
        c_next[u] = T::from_f64(c);
        tanh_c[u] = T::from_f64(tc);
        h_next[u] = T::from_f64(o[u].to_f64() * tc);
    }
}

/// The backward of [`lstm_cell`] for one sample: from ∂L/∂h_t (`dh`) and ∂L/∂c_t (`dc`, from
/// the later steps; the path through h_t is added here) to the gates' pre-activation
/// gradients `dpre` (i f g o).
#[inline(always)]
fn lstm_cell_backward<T: Real>(
    acts: &[T],
    tanh_c: &[T],
    c_prev: &[T],
    dh: &[f64],
    dc: &mut [f64],
    dpre: &mut [T],
) {
    let h = dh.len();
    let (i, rest) = acts.split_at(h);
    let (f, rest) = rest.split_at(h);
    let (g, o) = rest.split_at(h);
    let (di, rest) = dpre.split_at_mut(h);
    let (df, rest) = rest.split_at_mut(h);
    let (dg, d_o) = rest.split_at_mut(h);
    for u in 0..h {
        let (i, f, g, o) = (i[u].to_f64(), f[u].to_f64(), g[u].to_f64(), o[u].to_f64());
        let tc = tanh_c[u].to_f64();
        let dcu = dc[u] + dh[u] * o * (1.0 - tc * tc);
        dc[u] = dcu;
        di[u] = T::from_f64(dcu * g * i * (1.0 - i));
        df[u] = T::from_f64(dcu * c_prev[u].to_f64() * f * (1.0 - f));
        dg[u] = T::from_f64(dcu * i * (1.0 - g * g));
        d_o[u] = T::from_f64(dh[u] * tc * o * (1.0 - o));
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
