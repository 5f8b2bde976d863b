//! One forward pass of `z_{t+1} = σ(W z_t)` and the backward pass of `l = gᵀ z_T`, for any
//! way of applying W and Wᵀ (a dense matrix, or a rotated triangular core).
//!
//! Vectors are carried as a unit direction times `exp(log scale)`, renormalised every step,
//! so a ratio of 3^1000 is a log10 of 477 rather than an overflow into inf − inf = NaN.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, linalg::general_mat_mul};

/// The nonlinearity σ. The first variant is the parameter's default.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, strum::EnumString, strum::VariantNames, strum::IntoStaticStr,
)]
#[strum(serialize_all = "lowercase")]
pub enum Activation {
    Linear,
    Tanh,
    Relu,
    Sigmoid,
}

impl Activation {
    pub fn apply(self, a: f64) -> f64 {
        match self {
            Activation::Linear => a,
            Activation::Tanh => a.tanh(),
            Activation::Relu => a.max(0.0),
            Activation::Sigmoid => 1.0 / (1.0 + (-a).exp()),
        }
    }

    /// σ'(a).
    pub fn derivative(self, a: f64) -> f64 {
        match self {
            Activation::Linear => 1.0,
            Activation::Tanh => 1.0 - a.tanh().powi(2),
            Activation::Relu => {
                if a > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::Sigmoid => {
                let s = 1.0 / (1.0 + (-a).exp());
                s * (1.0 - s)
            }
        }
    }

    /// γ = sup|σ'|.
    pub fn gamma(self) -> f64 {
        match self {
            Activation::Sigmoid => 0.25,
            _ => 1.0,
        }
    }

    /// Whether σ(cx) = cσ(x) for c > 0, so the forward state may be renormalised.
    fn homogeneous(self) -> bool {
        matches!(self, Activation::Linear | Activation::Relu)
    }
}

/// What one forward and backward pass gives.
#[derive(Clone, Debug, PartialEq)]
pub struct Propagation {
    /// `‖∂l/∂z_{T−k}‖ / ‖∂l/∂z_T‖`, k = 0..=T (+∞ beyond the f64 range, never NaN).
    pub grad_norm: Vec<f64>,
    /// log10 of `grad_norm`, exact even where the ratio itself overflows.
    pub log10_ratio: Vec<f64>,
    /// `‖(σ'(a_{t+1}) ⊙ ∂l/∂z_{t+1}) z_tᵀ‖_F`, the contribution of step t to ∂l/∂W_z.
    pub grad_w_contrib: Vec<f64>,
    /// The loss `gᵀ z_T`.
    pub loss: f64,
    /// ∂l/∂W_z, the sum of the contributions.
    pub grad_w: Array2<f64>,
    /// `σ'(a_{t+1})` for t = 0..T−1: step t's Jacobian ∂z_{t+1}/∂z_t is diag(slopes\[t\])·W_z.
    pub slopes: Vec<Array1<f64>>,
}

/// `v / ‖v‖` and `ln ‖v‖` (a zero vector stays zero, with log −∞).
fn normalise(v: Array1<f64>) -> (Array1<f64>, f64) {
    let n = v.dot(&v).sqrt();
    if n > 0.0 && n.is_finite() {
        (v / n, n.ln())
    } else {
        (v, n.ln())
    }
}

/// Forward `horizon` steps from z0 with a dense W, then backpropagate `g`.
pub fn propagate(
    w: ArrayView2<f64>,
    act: Activation,
    z0: ArrayView1<f64>,
    g: ArrayView1<f64>,
    horizon: usize,
) -> Propagation {
    // Wᵀ in row-major order: products with it then run along contiguous rows.
    let wt = w.t().as_standard_layout().into_owned();
    propagate_with(&|x| w.dot(&x), &|x| wt.dot(&x), act, z0, g, horizon)
}

/// Forward and backward with W given by how it and its transpose act on a vector. The
/// forward state is rescaled only for positively homogeneous σ (linear, ReLU), where σ' does
/// not depend on the scale; tanh and sigmoid keep z bounded by themselves.
pub fn propagate_with(
    apply: &dyn Fn(ArrayView1<f64>) -> Array1<f64>,
    apply_t: &dyn Fn(ArrayView1<f64>) -> Array1<f64>,
    act: Activation,
    z0: ArrayView1<f64>,
    g: ArrayView1<f64>,
    horizon: usize,
) -> Propagation {
    let p = z0.len();
    let homogeneous = act.homogeneous();
    // z_t = exp(log_z[t]) · zs[t]; slopes[t] = σ'(a_{t+1}).
    let mut zs: Vec<Array1<f64>> = Vec::with_capacity(horizon + 1);
    let mut log_z: Vec<f64> = Vec::with_capacity(horizon + 1);
    let mut slopes: Vec<Array1<f64>> = Vec::with_capacity(horizon);
    let (z, lz) = if homogeneous {
        normalise(z0.to_owned())
    } else {
        (z0.to_owned(), 0.0)
    };
    zs.push(z);
    log_z.push(lz);
    for t in 0..horizon {
        let a = apply(zs[t].view());
        slopes.push(a.mapv(|x| act.derivative(x)));
        let next = a.mapv(|x| act.apply(x));
        if homogeneous {
            let (z, l) = normalise(next);
            zs.push(z);
            log_z.push(log_z[t] + l);
        } else {
            zs.push(next);
            log_z.push(0.0);
        }
    }
    let loss = log_z[horizon].exp() * g.dot(&zs[horizon]);

    // δ_t = exp(log_d) · d, with δ_T = g.
    let (mut d, mut log_d) = normalise(g.to_owned());
    let log_d_top = log_d;
    let mut log10_ratio = Vec::with_capacity(horizon + 1);
    let mut contrib = vec![0.0; horizon];
    let mut grad_w = Array2::<f64>::zeros((p, p));
    log10_ratio.push(0.0);
    for t in (0..horizon).rev() {
        // u = σ'(a_{t+1}) ⊙ δ_{t+1}; ∂l/∂W += u z_tᵀ; δ_t = Wᵀ u.
        let u = &slopes[t] * &d;
        let scale = log_d + log_z[t];
        contrib[t] = (scale + u.dot(&u).sqrt().ln() + zs[t].dot(&zs[t]).sqrt().ln()).exp();
        // The rank-one term exp(scale)·u z_tᵀ, added in place.
        let (col, row) = (
            u.view().insert_axis(Axis(1)),
            zs[t].view().insert_axis(Axis(0)),
        );
        general_mat_mul(scale.exp(), &col, &row, 1.0, &mut grad_w);
        let (next, l) = normalise(apply_t(u.view()));
        d = next;
        log_d += l;
        log10_ratio.push((log_d - log_d_top) / std::f64::consts::LN_10);
    }
    Propagation {
        grad_norm: log10_ratio.iter().map(|l| 10f64.powf(*l)).collect(),
        log10_ratio,
        grad_w_contrib: contrib,
        loss,
        grad_w,
        slopes,
    }
}
