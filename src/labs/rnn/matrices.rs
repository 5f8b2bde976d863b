//! The recurrent matrix W_z of each `init`, as a function of its target spectral norm s (the
//! heatmap rescales the same seed's matrix to every s).
//!
//! The non-normal family is W = Q(ρI + cN)Qᵀ with N the nilpotent shift inside Jordan blocks
//! of length b and c chosen so ‖W‖₂ = s. It is applied as Q, core, Qᵀ and never formed: a
//! rounded Jordan block of length b has its eigenvalues moved by about (ε c^{b−1})^{1/b}
//! (0.2 for b = 32), while the core itself is exactly triangular, so its eigenvalues are
//! exactly ρ. With a linear σ the whole propagation runs in the basis of Q, on the core.

use super::propagate::{Activation, Propagation, propagate, propagate_with};
use crate::linalg;
use crate::rng::LabRng;
use ndarray::{Array1, Array2, ArrayView1};

/// How W_z is drawn. The first variant is the parameter's default.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, strum::EnumString, strum::VariantNames, strum::IntoStaticStr,
)]
#[strum(serialize_all = "lowercase")]
pub enum Init {
    /// W = s·Q with Q Haar-random.
    Orthogonal,
    /// W = s·G/‖G‖₂ with G Gaussian.
    Gaussian,
    /// W = Q(ρI + cN)Qᵀ, ‖W‖₂ = s, ρ(W) = ρ.
    Nonnormal,
}

/// The seed's draw of one init; [`Family::operator`] scales it to a spectral norm.
#[derive(Clone, Debug)]
pub enum Family {
    Orthogonal(Array2<f64>),
    /// G/‖G‖₂.
    Gaussian(Array2<f64>),
    NonNormal {
        q: Array2<f64>,
        rho: f64,
        block: usize,
    },
}

/// W_z, ready to apply.
#[derive(Clone, Debug)]
pub enum Operator {
    Dense(Array2<f64>),
    /// W = q · core · qᵀ with `core` upper triangular.
    Rotated {
        q: Array2<f64>,
        core: Array2<f64>,
        jordan: Jordan,
    },
}

/// The core's parameters: ρI + cN with N the shift inside blocks of length `block` (the
/// last block may be shorter).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Jordan {
    pub rho: f64,
    pub c: f64,
    pub block: usize,
}

impl Jordan {
    /// The p×p core with ‖core‖₂ = s and ρ capped at s (c ≥ 0 by safeguarded Newton).
    pub fn new(p: usize, rho: f64, s: f64, block: usize) -> Jordan {
        let rho = rho.min(s);
        let block = block.clamp(1, p.max(1));
        Jordan {
            rho,
            c: shift_for_norm(block, rho, s),
            block,
        }
    }

    /// The core as a p×p matrix.
    pub fn matrix(&self, p: usize) -> Array2<f64> {
        Array2::from_shape_fn((p, p), |(i, j)| {
            if i == j {
                self.rho
            } else if j == i + 1 && j % self.block != 0 {
                self.c
            } else {
                0.0
            }
        })
    }
}

impl Family {
    pub fn new(init: Init, p: usize, rho: f64, block: usize, rng: &mut LabRng) -> Family {
        match init {
            Init::Orthogonal => Family::Orthogonal(linalg::haar_orthogonal(p, rng)),
            Init::Gaussian => {
                let g = linalg::gaussian(p, p, rng);
                let norm = linalg::spectral_norm(g.view()).unwrap_or(1.0);
                Family::Gaussian(g / norm)
            }
            Init::Nonnormal => Family::NonNormal {
                q: linalg::haar_orthogonal(p, rng),
                rho,
                block,
            },
        }
    }

    /// W_z with spectral norm s.
    pub fn operator(&self, s: f64) -> Operator {
        match self {
            Family::Orthogonal(q) => Operator::Dense(q * s),
            Family::Gaussian(g) => Operator::Dense(g * s),
            Family::NonNormal { q, rho, block } => {
                let jordan = Jordan::new(q.nrows(), *rho, s, *block);
                Operator::Rotated {
                    q: q.clone(),
                    core: jordan.matrix(q.nrows()),
                    jordan,
                }
            }
        }
    }
}

impl Operator {
    /// The matrix itself (formed; for display and tests).
    pub fn matrix(&self) -> Array2<f64> {
        match self {
            Operator::Dense(w) => w.clone(),
            Operator::Rotated { q, core, .. } => q.dot(core).dot(&q.t()),
        }
    }

    /// The matrix whose singular values and eigenvalues are those of W: the core when
    /// there is one (orthogonally similar, and exactly triangular).
    pub fn spectral_matrix(&self) -> &Array2<f64> {
        match self {
            Operator::Dense(w) => w,
            Operator::Rotated { core, .. } => core,
        }
    }

    /// Forward `horizon` steps from z0, then backpropagate g.
    pub fn propagate(
        &self,
        act: Activation,
        z0: ArrayView1<f64>,
        g: ArrayView1<f64>,
        horizon: usize,
    ) -> Propagation {
        match self {
            Operator::Dense(w) => propagate(w.view(), act, z0, g, horizon),
            // σ = identity commutes with the rotation: propagate y = Qᵀz through the core,
            // whose powers are then exact; norms are the same in both bases.
            Operator::Rotated { q, core, .. } if act == Activation::Linear => {
                let (y0, gy) = (q.t().dot(&z0), q.t().dot(&g));
                let mut prop = propagate(core.view(), act, y0.view(), gy.view(), horizon);
                prop.grad_w = q.dot(&prop.grad_w).dot(&q.t());
                prop
            }
            Operator::Rotated { q, core, .. } => {
                let apply =
                    |x: ArrayView1<f64>| -> Array1<f64> { q.dot(&core.dot(&q.t().dot(&x))) };
                let apply_t =
                    |x: ArrayView1<f64>| -> Array1<f64> { q.dot(&core.t().dot(&q.t().dot(&x))) };
                propagate_with(&apply, &apply_t, act, z0, g, horizon)
            }
        }
    }
}

/// `ρI + cN` (p×p) with N the shift inside Jordan blocks of length `block` (the last block
/// may be shorter) and c ≥ 0 such that the spectral norm is s. ρ is capped at s.
pub fn jordan_core(p: usize, rho: f64, s: f64, block: usize) -> Array2<f64> {
    Jordan::new(p, rho, s, block).matrix(p)
}

/// The c ≥ 0 with ‖ρI_b + cN_b‖₂ = s: safeguarded Newton on c, whose derivative is uᵀNv for
/// the top singular pair (u, v). The norm grows monotonically from ρ at c = 0, and
/// ‖cN‖ − ρ ≤ ‖ρI + cN‖ bounds the root by s + ρ.
fn shift_for_norm(b: usize, rho: f64, s: f64) -> f64 {
    if b < 2 || s <= rho {
        return 0.0;
    }
    let block = |c: f64| {
        Array2::from_shape_fn((b, b), |(i, j)| {
            if i == j {
                rho
            } else if j == i + 1 {
                c
            } else {
                0.0
            }
        })
    };
    let (mut lo, mut hi) = (0.0, s + rho);
    let mut c = s - rho;
    for _ in 0..100 {
        let Ok(d) = linalg::svd(block(c).view()) else {
            break;
        };
        let f = d.s[0] - s;
        if f.abs() <= 1e-15 * s {
            return c;
        }
        if f < 0.0 {
            lo = c;
        } else {
            hi = c;
        }
        // d‖J‖/dc = u₁ᵀ N v₁ = Σ_i u₁[i] v₁[i+1].
        let slope: f64 = (0..b - 1).map(|i| d.u[[i, 0]] * d.v[[i + 1, 0]]).sum();
        let newton = c - f / slope;
        c = if slope > 0.0 && newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        if hi - lo <= 1e-15 * s {
            break;
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jordan_cores_hit_their_targets() {
        for (p, rho, s, b) in [
            (16, 0.9, 1.5, 2),
            (32, 0.5, 1.5, 8),
            (5, 0.5, 0.8, 8),
            (32, 0.9, 1.1, 32),
        ] {
            let core = jordan_core(p, rho, s, b);
            let n = linalg::spectral_norm(core.view()).unwrap();
            let r = linalg::spectral_radius(core.view()).unwrap();
            assert!((n - s).abs() < 1e-12, "{p} {rho} {s} {b}: norm {n}");
            assert!((r - rho).abs() < 1e-12, "{p} {rho} {s} {b}: radius {r}");
        }
        // s below ρ: ρ is capped at s and the core is s·I.
        let capped = jordan_core(4, 0.9, 0.6, 8);
        assert!((linalg::spectral_radius(capped.view()).unwrap() - 0.6).abs() < 1e-12);
        assert!((linalg::spectral_norm(capped.view()).unwrap() - 0.6).abs() < 1e-12);
    }
}
