//! Dense linear algebra for the labs: spectral norm and radius, SVD, Haar-random orthogonal
//! matrices. A thin layer over faer (decompositions are not the point of this project),
//! taking and returning ndarray matrices in f64.

use crate::rng::LabRng;
use anyhow::{Result, anyhow};
use faer::Mat;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rand::RngExt;
use rand_distr::StandardNormal;

fn to_faer(a: ArrayView2<f64>) -> Mat<f64> {
    Mat::from_fn(a.nrows(), a.ncols(), |i, j| a[[i, j]])
}

fn from_faer(m: faer::MatRef<f64>) -> Array2<f64> {
    Array2::from_shape_fn((m.nrows(), m.ncols()), |(i, j)| m[(i, j)])
}

/// Singular values, largest first.
pub fn singular_values(a: ArrayView2<f64>) -> Result<Vec<f64>> {
    if a.is_empty() {
        return Ok(Vec::new());
    }
    to_faer(a)
        .singular_values()
        .map_err(|e| anyhow!("SVD did not converge: {e:?}"))
}

/// ‖A‖₂, the largest singular value.
pub fn spectral_norm(a: ArrayView2<f64>) -> Result<f64> {
    Ok(singular_values(a)?.first().copied().unwrap_or(0.0))
}

/// ρ(A), the largest eigenvalue modulus of a square matrix.
pub fn spectral_radius(a: ArrayView2<f64>) -> Result<f64> {
    let eig = to_faer(a)
        .eigenvalues()
        .map_err(|e| anyhow!("eigenvalues did not converge: {e:?}"))?;
    Ok(eig.iter().map(|z| z.re.hypot(z.im)).fold(0.0, f64::max))
}

/// A thin SVD `A = U diag(s) Vᵀ`, singular values largest first.
pub struct Svd {
    pub u: Array2<f64>,
    pub s: Array1<f64>,
    pub v: Array2<f64>,
}

/// The thin SVD of A.
pub fn svd(a: ArrayView2<f64>) -> Result<Svd> {
    let f = to_faer(a);
    let d = f
        .thin_svd()
        .map_err(|e| anyhow!("SVD did not converge: {e:?}"))?;
    let s = d.S().column_vector();
    Ok(Svd {
        u: from_faer(d.U()),
        s: Array1::from_iter((0..s.nrows()).map(|i| s[i])),
        v: from_faer(d.V()),
    })
}

/// σ₁(A), the largest singular value, and its right singular vector; see
/// [`top_singular_with`]. Aᵀ is copied to row-major order so both products run along rows.
pub fn top_singular(a: ArrayView2<f64>, start: ArrayView1<f64>) -> (f64, Array1<f64>) {
    let at = a.t().as_standard_layout().into_owned();
    top_singular_with(a.dim(), &|x| a.dot(&x), &|y| at.dot(&y), start)
}

/// σ₁ of the m×n operator A given by `apply` (x ↦ Ax) and `apply_t` (y ↦ Aᵀy), and its right
/// singular vector, by Golub–Kahan–Lanczos bidiagonalisation with full reorthogonalisation
/// started from `start` (a warm start: the previous vector of a slowly changing sequence of
/// operators). The Ritz value θ never exceeds σ₁. It stops when θ's relative error is below
/// 1e-14 — the residual r = β·|yⱼ| of the Ritz pair puts a singular value within r of θ,
/// and once r < 1e-8·θ Kato–Temple bounds σ₁ − θ by θr²/(2(θ² − θ₂²)), θ₂ the next Ritz
/// value — or when
/// θ stops moving (a cluster of singular values at the top, whose width then bounds the
/// error), or when the Krylov space is invariant; Krylov spaces of at most 48 vectors,
/// restarted from the Ritz vector up to 4 times. NaN if A produces non-finite values.
pub fn top_singular_with(
    (m, n): (usize, usize),
    apply: &dyn Fn(ArrayView1<f64>) -> Array1<f64>,
    apply_t: &dyn Fn(ArrayView1<f64>) -> Array1<f64>,
    start: ArrayView1<f64>,
) -> (f64, Array1<f64>) {
    if m == 0 || n == 0 {
        return (0.0, Array1::zeros(n));
    }
    let norm = |x: &Array1<f64>| x.dot(x).sqrt();
    // A small fixed tilt keeps the start from being exactly orthogonal to the top vector.
    let tilt = Array1::from_shape_fn(n, |i| (1.7 * i as f64 + 0.3).sin());
    let mut v = Array1::zeros(n);
    if start.len() == n && start.iter().all(|x| x.is_finite()) {
        v.assign(&start);
        let nv = norm(&v);
        if nv > 0.0 {
            v /= nv;
        }
    }
    v.scaled_add(1e-4 / norm(&tilt).max(f64::MIN_POSITIVE), &tilt);
    let mut best = (0.0, v.clone());
    // One step past min(m, n): a wide A is then exhausted exactly (α = 0).
    let dim = (m.min(n) + 1).min(48);
    for _restart in 0..4 {
        let nv = norm(&v);
        if nv == 0.0 || !nv.is_finite() {
            break;
        }
        v /= nv;
        let (mut us, mut vs): (Vec<Array1<f64>>, Vec<Array1<f64>>) = (Vec::new(), vec![v.clone()]);
        let (mut alpha, mut beta): (Vec<f64>, Vec<f64>) = (Vec::new(), Vec::new());
        let mut thetas: Vec<f64> = Vec::new();
        for j in 0..dim {
            // A v_j = β_{j−1} u_{j−1} + α_j u_j;  Aᵀ u_j = α_j v_j + β_j v_{j+1}.
            let mut u = apply(vs[j].view());
            if j > 0 {
                u.scaled_add(-beta[j - 1], &us[j - 1]);
            }
            reorthogonalise(&mut u, &us);
            let aj = norm(&u);
            if !aj.is_finite() {
                return (f64::NAN, best.1);
            }
            let invariant = aj <= 1e-300;
            alpha.push(if invariant { 0.0 } else { aj });
            if !invariant {
                u /= aj;
            }
            us.push(u);
            let mut w = if invariant {
                Array1::zeros(n)
            } else {
                apply_t(us[j].view())
            };
            w.scaled_add(-alpha[j], &vs[j]);
            reorthogonalise(&mut w, &vs);
            let bj = norm(&w);
            let top = bidiagonal_top(&alpha, &beta);
            let theta = top.theta;
            if !theta.is_finite() || !bj.is_finite() {
                return (f64::NAN, best.1);
            }
            let resid = bj * top.y_last.abs();
            thetas.push(theta);
            // Relative errors: r/θ, and Kato–Temple's (θr)²/(θ² − θ₂²) on σ₁² halved for σ₁.
            let gap = theta * theta - top.theta2 * top.theta2;
            // θ₂ only bounds σ₂ from below, so the gap is trusted only once the residual is
            // small: a top direction missing from a warm start otherwise passes for converged.
            let kato = if gap > 0.0 && resid <= 1e-8 * theta {
                resid * resid / (2.0 * gap)
            } else {
                f64::INFINITY
            };
            let error = (resid / theta).min(kato);
            // A cluster at the top: θ no longer moves (its error is then the cluster's width).
            let stalled = j >= 8 && theta - thetas[j - 4] <= 1e-15 * theta;
            let exhausted = invariant || bj <= 1e-14 * theta;
            let done = error <= 1e-14 || stalled || exhausted || theta == 0.0;
            if done || j + 1 == dim {
                let mut ritz = Array1::<f64>::zeros(n);
                for (vi, xi) in vs.iter().zip(&top.x) {
                    ritz.scaled_add(*xi, vi);
                }
                if theta >= best.0 {
                    best = (theta, ritz.clone());
                }
                if done {
                    return best;
                }
                v = ritz;
                break;
            }
            beta.push(bj);
            vs.push(w / bj);
        }
    }
    best
}

/// The top of the spectrum of an upper bidiagonal B (diagonal α, superdiagonal β, as long
/// or one shorter): σ₁, σ₂, σ₁'s right singular vector x and the last entry of its left one.
struct BidiagonalTop {
    theta: f64,
    theta2: f64,
    x: Vec<f64>,
    y_last: f64,
}

/// [`BidiagonalTop`] from the tridiagonal BᵀB: its two largest eigenvalues by Sturm-count
/// bisection (to the last bits of ‖BᵀB‖, which is all the top ones need), the vector by
/// inverse iteration just above σ₁², where μI − BᵀB is positive definite and LDLᵀ needs no
/// pivoting. The small dense SVD is far slower at these sizes, and runs once per Lanczos step.
fn bidiagonal_top(alpha: &[f64], beta: &[f64]) -> BidiagonalTop {
    let n = alpha.len();
    let d: Vec<f64> = (0..n)
        .map(|i| {
            alpha[i] * alpha[i]
                + if i > 0 {
                    beta[i - 1] * beta[i - 1]
                } else {
                    0.0
                }
        })
        .collect();
    let e: Vec<f64> = (0..n.saturating_sub(1))
        .map(|i| alpha[i] * beta[i])
        .collect();
    let hi = (0..n)
        .map(|i| {
            d[i] + if i > 0 { e[i - 1].abs() } else { 0.0 } + e.get(i).map_or(0.0, |x| x.abs())
        })
        .fold(0.0, f64::max);
    // The number of eigenvalues below x.
    let below = |x: f64| {
        let mut count = 0;
        let mut q = 1.0;
        for i in 0..n {
            let off = if i > 0 { e[i - 1] * e[i - 1] / q } else { 0.0 };
            q = d[i] - x - off;
            if q == 0.0 {
                q = -f64::EPSILON * hi.max(f64::MIN_POSITIVE);
            }
            if q < 0.0 {
                count += 1;
            }
        }
        count
    };
    // The eigenvalue with exactly `k` eigenvalues above it.
    let eigen = |k: usize| {
        let (mut lo, mut up) = (0.0, hi * (1.0 + 4.0 * f64::EPSILON) + f64::MIN_POSITIVE);
        for _ in 0..200 {
            let mid = 0.5 * (lo + up);
            if mid <= lo || mid >= up {
                break;
            }
            if below(mid) >= n - k {
                up = mid
            } else {
                lo = mid
            }
        }
        0.5 * (lo + up)
    };
    let l1 = eigen(0);
    let l2 = if n > 1 { eigen(1) } else { 0.0 };
    // Inverse iteration with (μI − T), μ a hair above λ₁: LDLᵀ of a positive definite matrix.
    let mu = l1 + (l1 * 1e-13).max(hi * 1e-15).max(f64::MIN_POSITIVE);
    let mut x = vec![1.0; n];
    for _ in 0..3 {
        let (mut piv, mut z) = (vec![0.0; n], x.clone());
        for i in 0..n {
            let m = if i > 0 { e[i - 1] / piv[i - 1] } else { 0.0 };
            piv[i] = mu - d[i] - if i > 0 { m * e[i - 1] } else { 0.0 };
            if i > 0 {
                z[i] += m * z[i - 1];
            }
        }
        for i in (0..n).rev() {
            let next = if i + 1 < n { e[i] * z[i + 1] } else { 0.0 };
            z[i] = (z[i] + next) / piv[i];
        }
        let norm = z.iter().map(|v| v * v).sum::<f64>().sqrt();
        if !(norm > 0.0 && norm.is_finite()) {
            break;
        }
        x = z.iter().map(|v| v / norm).collect();
    }
    let theta = l1.max(0.0).sqrt();
    // y = Bx/θ; B's last row holds α only.
    let y_last = if theta > 0.0 {
        alpha[n - 1] * x[n - 1] / theta
    } else {
        0.0
    };
    BidiagonalTop {
        theta,
        theta2: l2.max(0.0).sqrt(),
        x,
        y_last,
    }
}

/// Two passes of classical Gram–Schmidt against an orthonormal set ("twice is enough").
fn reorthogonalise(x: &mut Array1<f64>, basis: &[Array1<f64>]) {
    for _ in 0..2 {
        for q in basis {
            let c = q.dot(x);
            x.scaled_add(-c, q);
        }
    }
}

/// The R factor of a thin QR decomposition A = QR (min(m, n) × n, upper triangular).
pub fn thin_r(a: ArrayView2<f64>) -> Array2<f64> {
    let qr = to_faer(a).qr();
    from_faer(qr.thin_R())
}

/// A matrix of independent N(0, 1) entries.
pub fn gaussian(rows: usize, cols: usize, rng: &mut LabRng) -> Array2<f64> {
    Array2::from_shape_simple_fn((rows, cols), || rng.sample(StandardNormal))
}

/// A Haar-random orthogonal n×n matrix: the Q of a Gaussian matrix's QR with the signs of
/// R's diagonal folded in (without that correction Q is not uniformly distributed).
pub fn haar_orthogonal(n: usize, rng: &mut LabRng) -> Array2<f64> {
    let g = gaussian(n, n, rng);
    let qr = to_faer(g.view()).qr();
    let q = qr.compute_Q();
    let r = qr.R();
    Array2::from_shape_fn((n, n), |(i, j)| {
        let sign = if r[(j, j)] < 0.0 { -1.0 } else { 1.0 };
        q[(i, j)] * sign
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::rng;
    use ndarray::array;

    #[test]
    fn norms_of_known_matrices() {
        let a = array![[3.0, 0.0], [0.0, -4.0]];
        assert!((spectral_norm(a.view()).unwrap() - 4.0).abs() < 1e-12);
        assert!((spectral_radius(a.view()).unwrap() - 4.0).abs() < 1e-12);
        // A nilpotent shift: norm 1, radius 0.
        let n = array![[0.0, 1.0], [0.0, 0.0]];
        assert!((spectral_norm(n.view()).unwrap() - 1.0).abs() < 1e-12);
        assert!(spectral_radius(n.view()).unwrap().abs() < 1e-12);
        // A rotation: complex eigenvalues of modulus 1.
        let r = array![[0.0, -1.0], [1.0, 0.0]];
        assert!((spectral_radius(r.view()).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn haar_matrices_are_orthogonal_and_svd_reconstructs() {
        let mut g = rng(7, 0);
        let q = haar_orthogonal(12, &mut g);
        let eye = q.t().dot(&q);
        for ((i, j), x) in eye.indexed_iter() {
            let want = if i == j { 1.0 } else { 0.0 };
            assert!((x - want).abs() < 1e-12);
        }
        let a = gaussian(6, 4, &mut g);
        let d = svd(a.view()).unwrap();
        let back = d.u.dot(&Array2::from_diag(&d.s)).dot(&d.v.t());
        assert!((&back - &a).iter().all(|x| x.abs() < 1e-12));
        assert!(d.s.windows(2).into_iter().all(|w| w[0] >= w[1]));
    }

    #[test]
    fn top_singular_matches_the_svd_from_any_start() {
        let mut g = rng(3, 0);
        for (m, n) in [(1, 1), (5, 3), (3, 5), (40, 40), (90, 60)] {
            let a = gaussian(m, n, &mut g);
            let want = spectral_norm(a.view()).unwrap();
            for start in [
                Array1::zeros(n),
                Array1::from_elem(n, 1.0),
                svd(a.view()).unwrap().v.column(n.min(m) - 1).to_owned(),
            ] {
                let (got, v) = top_singular(a.view(), start.view());
                assert!(
                    (got - want).abs() < 1e-13 * want,
                    "{m}×{n}: {got} vs {want}"
                );
                let av = a.dot(&v);
                assert!((av.dot(&av).sqrt() / v.dot(&v).sqrt() - want).abs() < 1e-10 * want);
            }
        }
        // A cluster at the top (singular values 1, 1 − 1e-9, ...) and a zero matrix.
        let q = haar_orthogonal(30, &mut g);
        let d = Array2::from_diag(&Array1::from_shape_fn(30, |i| 1.0 - 1e-9 * i as f64));
        let a = q.dot(&d).dot(&haar_orthogonal(30, &mut g));
        let (got, _) = top_singular(a.view(), Array1::zeros(30).view());
        assert!((got - 1.0).abs() < 1e-12, "{got}");
        assert_eq!(
            top_singular(Array2::zeros((4, 4)).view(), Array1::zeros(4).view()).0,
            0.0
        );
    }

    #[test]
    fn bidiagonal_top_matches_the_svd() {
        let alpha = [1.0, 0.3, 2.0, 0.7, 1e-3];
        let beta = [0.5, 1.5, 0.2, 0.9];
        let b = Array2::from_shape_fn((5, 5), |(i, j)| {
            if i == j {
                alpha[i]
            } else if j == i + 1 {
                beta[i]
            } else {
                0.0
            }
        });
        let d = svd(b.view()).unwrap();
        let top = bidiagonal_top(&alpha, &beta);
        assert!((top.theta - d.s[0]).abs() < 1e-14 * d.s[0]);
        assert!((top.theta2 - d.s[1]).abs() < 1e-13 * d.s[0]);
        let x = Array1::from(top.x.clone());
        let bx = b.dot(&x);
        assert!((bx.dot(&bx).sqrt() - d.s[0]).abs() < 1e-13 * d.s[0]);
        assert!((top.y_last - bx[4] / top.theta).abs() < 1e-15);
    }
}
