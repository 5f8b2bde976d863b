//! The mathematics of f(A, B) = ‖X − AB‖²_F (exactly this, no ½): gradient steps, the
//! singular values of AB, balancedness, the non-convexity segment, gauge transformations
//! (AR, R⁻¹B) and the 1×1 landscape. Pure functions over ndarray; SVD and QR from faer.

use crate::linalg;
use crate::rng::LabRng;
use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView2};
use rand::RngExt;

/// f(A, B) = ‖X − AB‖²_F.
pub fn loss(x: ArrayView2<f64>, a: ArrayView2<f64>, b: ArrayView2<f64>) -> f64 {
    let r = &x - &a.dot(&b);
    r.iter().map(|v| v * v).sum()
}

/// One simultaneous gradient step from (A, B) given the residual R = X − AB there:
/// ∇_A f = −2 R Bᵀ, ∇_B f = −2 Aᵀ R.
/// The products go straight into A (after B's gradient is taken from the old A), so a
/// step allocates only the r×n gradient of B.
pub fn gd_step(a: &mut Array2<f64>, b: &mut Array2<f64>, resid: ArrayView2<f64>, lr: f64) {
    let grad_b = a.t().dot(&resid);
    general_mat_mul(2.0 * lr, &resid, &b.t(), 1.0, a);
    b.scaled_add(2.0 * lr, &grad_b);
}

/// R = X − AB into `resid` (reused: no allocation per step); returns ‖R‖²_F.
pub fn residual(
    x: ArrayView2<f64>,
    a: ArrayView2<f64>,
    b: ArrayView2<f64>,
    resid: &mut Array2<f64>,
) -> f64 {
    if resid.dim() != x.dim() {
        *resid = Array2::zeros(x.dim());
    }
    resid.assign(&x);
    general_mat_mul(-1.0, &a, &b, 1.0, resid);
    resid.iter().map(|v| v * v).sum()
}

/// The singular values of AB (largest first), from r×r matrices only: with A = Q_A R_A and
/// Bᵀ = Q_B R_B, AB = Q_A (R_A R_Bᵀ) Q_Bᵀ has the singular values of R_A R_Bᵀ. NaN when the
/// factors are not finite.
pub fn product_singular_values(a: ArrayView2<f64>, b: ArrayView2<f64>) -> Vec<f64> {
    let r = a.ncols();
    if a.iter().chain(b.iter()).any(|v| !v.is_finite()) {
        return vec![f64::NAN; r];
    }
    let ra = linalg::thin_r(a);
    let rb = linalg::thin_r(b.t());
    let core = ra.dot(&rb.t());
    let mut s = linalg::singular_values(core.view()).unwrap_or_else(|_| vec![f64::NAN; r]);
    s.resize(r, 0.0);
    s
}

/// Balancedness ‖AᵀA − BBᵀ‖_F: conserved by gradient flow, drifting by O(η²) per GD step.
pub fn balance(a: ArrayView2<f64>, b: ArrayView2<f64>) -> f64 {
    let d = a.t().dot(&a) - b.dot(&b.t());
    d.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// f along the straight line (1−θ)(A,B) + θ(−A,−B) for θ = 0, 1/(n−1), …, 1. Both ends are
/// f(A, B) and the midpoint is (0, 0) with f = ‖X‖²: a segment between two optima that
/// leaves the set of optima, so f is not convex. Along the line AB is scaled by (1 − 2θ)², so
/// f = ‖X‖² − 2c⟨X, AB⟩ + c²‖AB‖² with c = (1 − 2θ)².
pub fn segment(x: ArrayView2<f64>, a: ArrayView2<f64>, b: ArrayView2<f64>, n: usize) -> Vec<f64> {
    let p = a.dot(&b);
    let xx: f64 = x.iter().map(|v| v * v).sum();
    let xp: f64 = x.iter().zip(p.iter()).map(|(u, v)| u * v).sum();
    let pp: f64 = p.iter().map(|v| v * v).sum();
    (0..n)
        .map(|i| {
            let theta = i as f64 / (n - 1).max(1) as f64;
            let c = (1.0 - 2.0 * theta).powi(2);
            xx - 2.0 * c * xp + c * c * pp
        })
        .collect()
}

/// A random invertible r×r matrix R = Q₁ diag(d) Q₂ with d_i in [1/spread, spread], and its
/// exact inverse Q₂ᵀ diag(1/d) Q₁ᵀ (condition number at most spread²).
pub fn random_invertible(r: usize, spread: f64, rng: &mut LabRng) -> (Array2<f64>, Array2<f64>) {
    let q1 = linalg::haar_orthogonal(r, rng);
    let q2 = linalg::haar_orthogonal(r, rng);
    let ln = spread.ln();
    let d: Vec<f64> = (0..r).map(|_| rng.random_range(-ln..=ln).exp()).collect();
    let scale = |q: &Array2<f64>, f: &dyn Fn(f64) -> f64| {
        Array2::from_shape_fn((r, r), |(i, j)| q[[i, j]] * f(d[j]))
    };
    let r_mat = scale(&q1, &|x| x).dot(&q2);
    let r_inv = scale(&q2.t().to_owned(), &|x| 1.0 / x).dot(&q1.t());
    (r_mat, r_inv)
}

/// max |f(AR, R⁻¹B) − f(A, B)| over `trials` random invertible R: zero up to rounding,
/// because (AR)(R⁻¹B) = AB — the optimum is a manifold, not a point.
pub fn gauge_check(
    x: ArrayView2<f64>,
    a: ArrayView2<f64>,
    b: ArrayView2<f64>,
    trials: usize,
    rng: &mut LabRng,
) -> f64 {
    let f0 = loss(x, a, b);
    (0..trials)
        .map(|_| {
            let (r, r_inv) = random_invertible(a.ncols(), 2.0, rng);
            let f = loss(x, a.dot(&r).view(), r_inv.dot(&b).view());
            (f - f0).abs()
        })
        .fold(0.0, f64::max)
}

/// log10 (x − ab)² on an n×n grid over a, b ∈ [−extent, extent], column-major (column i is
/// a = a_i, rows go up in b). Zero (on the hyperbola ab = x) is −∞.
pub fn landscape(x: f64, extent: f64, n: usize) -> Vec<f64> {
    let coord = |i: usize| -extent + 2.0 * extent * i as f64 / (n - 1) as f64;
    (0..n)
        .flat_map(|i| (0..n).map(move |j| (x - coord(i) * coord(j)).powi(2).log10()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::rng;

    #[test]
    fn product_singular_values_match_a_full_svd() {
        let mut g = rng(2, 0);
        let a = linalg::gaussian(7, 3, &mut g);
        let b = linalg::gaussian(3, 5, &mut g);
        let want = linalg::singular_values(a.dot(&b).view()).unwrap();
        let got = product_singular_values(a.view(), b.view());
        for i in 0..3 {
            assert!((want[i] - got[i]).abs() < 1e-12 * want[0]);
        }
    }

    #[test]
    fn random_invertible_inverse_is_exact() {
        let mut g = rng(3, 0);
        let (r, r_inv) = random_invertible(4, 3.0, &mut g);
        let eye = r.dot(&r_inv);
        for ((i, j), v) in eye.indexed_iter() {
            assert!((v - if i == j { 1.0 } else { 0.0 }).abs() < 1e-13);
        }
    }
}
