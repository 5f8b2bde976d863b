//! Gradient clipping, on a gradient vector or on every parameter of a model at once
//! (`torch.nn.utils.clip_grad_norm_` / `clip_grad_value_`):
//! - by norm: `g ← τ·g/‖g‖` when `‖g‖ > τ` — the direction is kept (cosine 1 with g) and
//!   the norm becomes `min(‖g‖, τ)` exactly (PyTorch divides by `‖g‖ + 1e-6`, a relative
//!   difference of 1e-6/‖g‖);
//! - by value: every component clamped to `[−τ, τ]` — each is bounded, the direction is not
//!   kept.
//!
//! A non-finite gradient is left as it is (and reported as not clipped): scaling inf or NaN
//! by τ/‖g‖ would only hide a divergence as NaN.

use super::{Module, Real};

/// Scale `g` to norm `tau` if its norm is above `tau`. Returns the norm before and whether
/// it was clipped.
pub fn clip_norm(g: &mut [f64], tau: f64) -> (f64, bool) {
    let norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
    let clip = norm.is_finite() && norm > tau;
    if clip {
        let s = tau / norm;
        g.iter_mut().for_each(|v| *v *= s);
    }
    (norm, clip)
}

/// Clamp every component of `g` to `[−tau, tau]` (`tau > 0`; NaN stays NaN). Returns
/// whether any changed.
pub fn clip_value(g: &mut [f64], tau: f64) -> bool {
    let mut any = false;
    for v in g.iter_mut() {
        let c = v.clamp(-tau, tau);
        any |= c != *v && !v.is_nan();
        *v = c;
    }
    any
}

/// The norm of every parameter gradient of `model` taken together.
pub fn grad_norm<T: Real>(model: &mut dyn Module<T>) -> f64 {
    let mut sq = 0.0;
    model.visit_params("", &mut |p| {
        sq += p
            .param
            .grad()
            .iter()
            .map(|g| g.to_f64().powi(2))
            .sum::<f64>();
    });
    sq.sqrt()
}

/// [`clip_norm`] over every parameter gradient of `model` together.
pub fn clip_grad_norm<T: Real>(model: &mut dyn Module<T>, tau: f64) -> (f64, bool) {
    let norm = grad_norm(model);
    let clip = norm.is_finite() && norm > tau;
    if clip {
        let s = tau / norm;
        model.visit_params("", &mut |p| {
            p.param
                .grad_mut()
                .iter_mut()
                .for_each(|g| *g = T::from_f64(g.to_f64() * s));
        });
    }
    (norm, clip)
}

/// [`clip_value`] on every parameter gradient of `model`. Returns whether any changed.
pub fn clip_grad_value<T: Real>(model: &mut dyn Module<T>, tau: f64) -> bool {
    let mut any = false;
    model.visit_params("", &mut |p| {
        for g in p.param.grad_mut() {
            let v = g.to_f64();
            let c = v.clamp(-tau, tau);
            any |= c != v && !v.is_nan();
            *g = T::from_f64(c);
        }
    });
    any
}
