//! The worst direction: `worst_norm[k] = ‖(W_zᵀ)^k‖₂`, the largest gradient ratio after k
//! steps over every loss direction g (`grad_norm` is one g's, so it never exceeds it).
//!
//! With a linear σ every step Jacobian is W_zᵀ and the series is exact: s^k for W = s·Q;
//! on the Jordan core, whose powers have closed-form entries; renormalised powers for a
//! dense W. With a nonlinear σ the Jacobians W_zᵀ·diag(σ'(a_{t+1})) change along the
//! trajectory, so it is the norm of their product over the last k steps of this run — the
//! worst g for this z_0, not a property of W alone. Every value is kept as a log10, exact
//! where the ratio itself overflows f64.

use super::matrices::{Jordan, Operator};
use super::propagate::Activation;
use crate::linalg;
use ndarray::{Array1, Array2, ArrayView1, linalg::general_mat_mul};
use std::f64::consts::LN_10;

/// log10 s^k for k = 0..=T: W = s·Q with Q orthogonal and a linear σ.
pub fn power_log10(s: f64, horizon: usize) -> Vec<f64> {
    (0..=horizon)
        .map(|k| if k == 0 { 0.0 } else { k as f64 * s.log10() })
        .collect()
}

/// log10 ‖W^k‖₂, k = 0..=T, for W whose Jacobians are exact (linear σ), or log10 of the
/// norm of the product of the last k step Jacobians along the run (nonlinear σ, `slopes`
/// from the forward pass).
pub fn worst_log10(
    op: &Operator,
    act: Activation,
    slopes: &[Array1<f64>],
    horizon: usize,
) -> Vec<f64> {
    match op {
        Operator::Rotated { jordan, .. } if act == Activation::Linear => {
            jordan_log10(jordan, horizon)
        }
        Operator::Dense(w) if act == Activation::Linear => powers_log10(w, horizon),
        _ => products_log10(op, slopes, horizon),
    }
}

/// log10 ‖core^k‖₂ for the Jordan core. The core is block diagonal, so its power's norm is
/// the largest over its blocks; a shorter last block's power is the leading principal
/// submatrix of a full block's, never larger, so the full b×b block J = ρI + cN decides.
/// J^k is upper-triangular Toeplitz with entries C(k,j)·ρ^{k−j}·c^j (j < b): they are
/// formed as logarithms, scaled by their largest, and σ₁ of the scaled matrix comes from
/// Lanczos warm-started at the previous k's vector.
pub fn jordan_log10(jordan: &Jordan, horizon: usize) -> Vec<f64> {
    let Jordan { rho, c, block: b } = *jordan;
    // n·ln x with 0·ln 0 = 0 (ρ⁰ = c⁰ = 1 even for ρ = 0 or c = 0).
    let term = |n: usize, x: f64| if n == 0 { 0.0 } else { n as f64 * x.ln() };
    let mut out = Vec::with_capacity(horizon + 1);
    let mut v = Array1::from_elem(b, 1.0);
    let mut logs = vec![f64::NEG_INFINITY; b];
    for k in 0..=horizon {
        // ln C(k, j) by C(k, j) = C(k, j−1)·(k−j+1)/j, accurate to a few ulps for j < 64.
        let mut ln_binom = 0.0;
        for (j, l) in logs.iter_mut().enumerate() {
            if j > k {
                *l = f64::NEG_INFINITY;
                continue;
            }
            if j > 0 {
                ln_binom += ((k - j + 1) as f64 / j as f64).ln();
            }
            *l = ln_binom + term(k - j, rho) + term(j, c);
        }
        let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if top == f64::NEG_INFINITY {
            out.push(f64::NEG_INFINITY);
            continue;
        }
        let diagonals: Vec<f64> = logs.iter().map(|l| (l - top).exp()).collect();
        let toeplitz =
            Array2::from_shape_fn((b, b), |(i, j)| if j >= i { diagonals[j - i] } else { 0.0 });
        let sigma = top_singular(&toeplitz, &mut v);
        out.push((top + sigma.ln()) / LN_10);
    }
    out
}

/// log10 ‖W^k‖₂ = log10 ‖(W_zᵀ)^k‖₂ for a dense W, k = 0..=T. W^k = W^j·F with F = W^{mL}
/// (scaled to unit Frobenius norm, its log scale kept) formed every L lags, and σ₁(W^j·F)
/// by Lanczos through F and j products with vectors: one matrix product per L lags.
fn powers_log10(w: &Array2<f64>, horizon: usize) -> Vec<f64> {
    let p = w.nrows();
    // L balances F's product, p³/L a lag, against Lanczos's ~6 steps of 2(j + 1) products
    // with vectors, ~6(L + 1)p² a lag: L ≈ √(p/6).
    let giant = ((p as f64 / 6.0).sqrt().round() as usize).clamp(1, 8);
    let wt = w.t().as_standard_layout().into_owned();
    let frobenius = |m: &Array2<f64>| m.iter().map(|x| x * x).sum::<f64>().sqrt();
    // W^L, scaled by exp(−ln_wl).
    let (mut wl, mut ln_wl) = (w.clone(), 0.0);
    for _ in 1..giant {
        wl = wl.dot(w);
        let n = frobenius(&wl);
        if n > 0.0 {
            wl /= n;
        }
        ln_wl += n.ln();
    }
    let (mut f, mut ft, mut ln_f) = (Array2::<f64>::eye(p), Array2::<f64>::eye(p), 0.0);
    let mut out = Vec::with_capacity(horizon + 1);
    out.push(0.0);
    let mut v = Array1::from_elem(p, 1.0);
    for k in 1..=horizon {
        let j = k % giant;
        if j == 0 {
            f = wl.dot(&f);
            let n = frobenius(&f);
            ln_f += ln_wl + n.ln();
            if !(n > 0.0 && n.is_finite()) {
                out.resize(
                    horizon + 1,
                    if n == 0.0 {
                        f64::NEG_INFINITY
                    } else {
                        f64::NAN
                    },
                );
                break;
            }
            f /= n;
            ft = f.t().as_standard_layout().into_owned();
        }
        let apply = |x: ArrayView1<f64>| {
            let mut y = f.dot(&x);
            for _ in 0..j {
                y = w.dot(&y);
            }
            y
        };
        let apply_t = |y: ArrayView1<f64>| {
            let mut x = y.to_owned();
            for _ in 0..j {
                x = wt.dot(&x);
            }
            ft.dot(&x)
        };
        let sigma;
        (sigma, v) = linalg::top_singular_with((p, p), &apply, &apply_t, v.view());
        out.push((ln_f + sigma.ln()) / LN_10);
    }
    out
}

/// log10 ‖P_k‖₂ with P_0 = I and P_k = W_zᵀ·diag(slopes[T−k])·P_{k−1}, each P_k
/// renormalised by its norm, whose logarithm is accumulated.
fn products_log10(op: &Operator, slopes: &[Array1<f64>], horizon: usize) -> Vec<f64> {
    let p = match op {
        Operator::Dense(w) => w.nrows(),
        Operator::Rotated { q, .. } => q.nrows(),
    };
    let mut out = Vec::with_capacity(horizon + 1);
    out.push(0.0);
    let mut prod = Array2::<f64>::eye(p);
    let mut scratch = Array2::<f64>::zeros((p, p));
    let mut v = Array1::from_elem(p, 1.0);
    let mut log = 0.0;
    for k in 1..=horizon {
        for (mut row, d) in prod.rows_mut().into_iter().zip(&slopes[horizon - k]) {
            row *= *d;
        }
        apply_t(op, &prod, &mut scratch);
        std::mem::swap(&mut prod, &mut scratch);
        let sigma = top_singular(&prod, &mut v);
        if !(sigma > 0.0 && sigma.is_finite()) {
            // A zero product stays zero (ReLU with every unit off): log −∞ from here on.
            let rest = if sigma == 0.0 {
                f64::NEG_INFINITY
            } else {
                f64::NAN
            };
            out.resize(horizon + 1, rest);
            break;
        }
        prod /= sigma;
        log += sigma.ln();
        out.push(log / LN_10);
    }
    out
}

/// `out = W_zᵀ x`; for the rotated operator Q·coreᵀ·(Qᵀx), never forming W (a rounded
/// Jordan block has its eigenvalues moved by about (ε c^{b−1})^{1/b}).
fn apply_t(op: &Operator, x: &Array2<f64>, out: &mut Array2<f64>) {
    match op {
        Operator::Dense(w) => general_mat_mul(1.0, &w.t(), x, 0.0, out),
        Operator::Rotated { q, jordan, .. } => {
            let mut y = Array2::<f64>::zeros(x.raw_dim());
            general_mat_mul(1.0, &q.t(), x, 0.0, &mut y);
            // coreᵀ is lower bidiagonal: row i is ρ·y_i + c·y_{i−1} inside a block.
            let mut z = &y * jordan.rho;
            for i in 1..y.nrows() {
                if i % jordan.block != 0 {
                    z.row_mut(i).scaled_add(jordan.c, &y.row(i - 1));
                }
            }
            general_mat_mul(1.0, q, &z, 0.0, out);
        }
    }
}

/// σ₁ of m, warm-started at and updating `v`.
fn top_singular(m: &Array2<f64>, v: &mut Array1<f64>) -> f64 {
    let sigma;
    (sigma, *v) = linalg::top_singular(m.view(), v.view());
    sigma
}
