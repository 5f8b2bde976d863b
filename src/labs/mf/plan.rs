//! How long an mf run is and how much it may cost.
//!
//! A run ends at the first of: its step count; the relative gap (f − f*)/f* at or below
//! [`GAP_TOL`] (converged); [`WORK_BUDGET`] units of work, a unit being one m·n·r (a
//! gradient step costs about 6·m·n·r flops).
//!
//! The step count, when `--steps` does not give one: for the synthetic X, what its designed
//! spectrum needs (estimated below from the parameters alone, so the TUI can show it before
//! the run); for an input file, whose spectrum is known only once it is read,
//! [`MAX_DEFAULT_STEPS`]. Both are capped by the work budget.

/// A run has converged when (f − f*)/f* is at most this (relative to ‖X‖² when f* = 0).
pub const GAP_TOL: f64 = 1e-12;
/// Most work a step may take, m·n·r: a step stays within tens of milliseconds.
pub const MAX_STEP_WORK: usize = 25_000_000;
/// Most work a run may take, Σ m·n·r over its steps (about 10 s on a 2-core laptop).
pub const WORK_BUDGET: u64 = 4_000_000_000;
/// The most steps a run takes when none are asked for.
pub const MAX_DEFAULT_STEPS: u64 = 20_000;
/// Margin over the estimate: the estimate uses the slowest rates, the run is a little faster.
const MARGIN: f64 = 1.2;

/// The steps the work budget allows at m·n·r per step.
pub fn budget_steps(m: usize, n: usize, r: usize) -> u64 {
    WORK_BUDGET / (m * n * r).max(1) as u64
}

/// The default step count for an input matrix of unknown shape (the budget still applies).
pub fn input_steps() -> u64 {
    MAX_DEFAULT_STEPS
}

/// What the synthetic X (singular values s_i = 10(k − i + 1)/k plus noise) needs to reach
/// [`GAP_TOL`], from its designed spectrum, rounded up to a hundred and capped.
///
/// From a small init σ_r(AB) grows like (1 + 2ησ_r)^{2t} from about s₀², s₀ the init's
/// scale: ln(σ_r/s₀²)/(4ησ_r) steps. Near the optimum the slowest direction (towards
/// σ_{r+1}) contracts by 1 − 2η(σ_r − σ_{r+1}) a step and the gap with its square: another
/// ln(σ_r²/(tol·f*))/(4η(σ_r − σ_{r+1})) steps. Noise of standard deviation ν adds singular
/// values up to about ν(√m + √n). Without a designed gap (r > k) there is no estimate.
pub fn synthetic_steps(p: &Synthetic) -> u64 {
    let (m, n, r, k) = (p.m, p.n, p.r, p.k);
    let tail = p.noise * ((m as f64).sqrt() + (n as f64).sqrt());
    let sigma = |i: usize| -> f64 {
        if i > m.min(n) {
            0.0
        } else if i <= k {
            (10.0 * (k - i + 1) as f64 / k as f64).max(tail)
        } else {
            tail
        }
    };
    let (s1, sr, next) = (sigma(1), sigma(r), sigma(r + 1));
    let cap = MAX_DEFAULT_STEPS.min(budget_steps(m, n, r));
    if r > k || sr - next <= 0.0 || s1 <= 0.0 {
        return cap;
    }
    let eta = p.lr * 10.0 / s1;
    let s0 = p.init_scale * (s1 / 10.0).sqrt();
    let signal: f64 = (1..=k.min(m).min(n)).map(|i| sigma(i).powi(2)).sum();
    let left: f64 = (r + 1..=k.min(m).min(n)).map(|i| sigma(i).powi(2)).sum();
    let fitted_noise = (r * (m + n)) as f64;
    let noise = p.noise.powi(2) * ((m * n) as f64 - fitted_noise).max(0.0);
    let optimum = left + noise;
    let denom = if optimum > GAP_TOL * signal {
        optimum
    } else {
        signal + noise
    };
    let learn = (sr / (s0 * s0)).ln().max(0.0) / (4.0 * eta * sr);
    let settle = (sr * sr / (GAP_TOL * denom)).ln().max(0.0) / (4.0 * eta * (sr - next));
    let steps = (MARGIN * (learn + settle) / 100.0).ceil() * 100.0;
    if steps.is_finite() {
        (steps as u64).max(100).min(cap)
    } else {
        cap
    }
}

/// The parameters of a synthetic X and of its descent that its run length depends on.
pub struct Synthetic {
    pub m: usize,
    pub n: usize,
    pub r: usize,
    pub k: usize,
    pub noise: f64,
    pub init_scale: f64,
    pub lr: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default() -> Synthetic {
        Synthetic {
            m: 30,
            n: 20,
            r: 3,
            k: 5,
            noise: 0.01,
            init_scale: 1e-3,
            lr: 0.01,
        }
    }

    #[test]
    fn the_estimate_follows_the_spectrum_and_the_budget() {
        // σ₃ = 6, σ₄ = 4: ~65 steps to learn σ₃, ~353 to settle, with the margin 600.
        assert_eq!(synthetic_steps(&default()), 600);
        // A smaller gap or step takes longer, in proportion.
        let slow = Synthetic {
            lr: 0.005,
            ..default()
        };
        assert_eq!(synthetic_steps(&slow), 1100);
        // No designed gap (fitting noise): the cap.
        let noise = Synthetic { r: 6, ..default() };
        assert_eq!(synthetic_steps(&noise), MAX_DEFAULT_STEPS);
        // A large X: the work budget.
        let big = Synthetic {
            m: 1000,
            n: 1000,
            r: 25,
            ..default()
        };
        assert_eq!(synthetic_steps(&big), 160);
        assert_eq!(budget_steps(1797, 64, 10), 3_478);
    }
}
