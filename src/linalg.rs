//! Dense linear algebra for the labs: spectral norm and radius, SVD, Haar-random orthogonal
//! matrices. A thin layer over faer (decompositions are not the point of this project),
//! taking and returning ndarray matrices in f64.

use crate::rng::LabRng;
use anyhow::{Result, anyhow};
use faer::Mat;
use ndarray::{Array1, Array2, ArrayView2};
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
}
