//! The mf lab's words: the lecture text of the `e` overlay and the presets, each stating
//! the claim it shows (tests/it/mf_theory.rs checks every claim over seeds).

use crate::labs::Preset;

/// Each preset's help states its claim; tests/it/mf_theory.rs checks it over seeds.
pub(super) const PRESETS: &[Preset] = &[
    Preset {
        name: "in-order",
        help: "init 1e-4, rank 4: the singular values of AB are learned one at a time, largest first — each reaches 90% of its target before the next reaches half of its own",
        sets: &[
            ("init_scale", "1e-4"),
            ("rank", "4"),
            ("true_rank", "5"),
            ("lr", "0.005"),
        ],
        pace: None,
    },
    Preset {
        name: "landscape",
        help: "the 1×1 problem (x − ab)²: from a small init descent reaches the hyperbola of minima ab = x at its balanced point |a| = |b| = √|x| (a² − b² only shrinks)",
        sets: &[
            ("rows", "1"),
            ("cols", "1"),
            ("rank", "1"),
            ("true_rank", "1"),
            ("init_scale", "0.05"),
            ("lr", "0.002"),
        ],
        // 276 steps: over 9 s, the descent itself (steps 50–150) over 3 s; mf's 100 steps/s
        // would finish it in 0.15 s.
        pace: Some(30.0),
    },
    Preset {
        name: "diverge",
        help: "lr 0.08, above the stable 0.05 (η < 1/(2σ₁)): the loss overflows within 100 steps, where lr 0.048 converges",
        sets: &[("lr", "0.08")],
        pace: None,
    },
    Preset {
        name: "exact-low-rank",
        help: "noise 0 and rank = true rank = 5: f* = 0, and the run ends with ‖X − AB‖² ≤ 1e-12·‖X‖²",
        sets: &[("noise", "0"), ("rank", "5"), ("true_rank", "5")],
        pace: None,
    },
];

pub const EXPLAIN: &str = "\
Matrix factorisation:  minimise f(A, B) = ‖X − AB‖²_F,  A: m×r, B: r×n
Gradient descent:  A ← A + 2η(X − AB)Bᵀ,  B ← B + 2ηAᵀ(X − AB)
  with η = lr·10/σ₁(X), from A, B = init_scale·√(σ₁(X)/10)·N(0, 1): scale-free,
  so X and cX learn each singular value at the same step.

The optimum (Eckart–Young): with X = U Σ Vᵀ,
  min f = Σ_{i>r} σ_i²,  reached at A = U_r Σ_r^{1/2}, B = Σ_r^{1/2} V_rᵀ
  (or A = U_r, B = Σ_r V_rᵀ, or …)
It is not unique: (AR, R⁻¹B) is optimal for EVERY invertible r×r R, not only
permutations — the product AB is what matters (press g: the factors change,
the loss does not). The gauge_check readout is max |f(AR,R⁻¹B) − f(A,B)|.

Non-convexity in one line: (A, B) and (−A, −B) are both optimal, but their
midpoint (0, 0) has f = ‖X‖² > f*. The segment chart draws f along that line.

No spurious local minima: when σ_r > σ_{r+1}, every other critical point
(AB built from any other set of singular vectors, or fewer) is a saddle, so
gradient descent from a random small init reaches the global optimum.

What to notice
• From a tiny init the singular values of AB are learned one at a time,
  largest first (each grows like (1 + 2ησ_i)^t).
• Balancedness ‖AᵀA − BBᵀ‖ is conserved by gradient flow; gradient descent
  drifts only by O(η²) a step.
• The gap to Σ_{i>r} σ_i² falls geometrically once σ_r is learned, at a rate
  set by σ_r − σ_{r+1}; the run ends when (f − f*)/f* ≤ 1e-12.";
