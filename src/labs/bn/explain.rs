//! The bn lab's lecture text (the `e` overlay).

pub const EXPLAIN: &str = "\
Batch norm makes a layer scale-invariant
  h = ReLU(BN(W x)), BN without affine (and without ε): each unit is
  normalised over the batch, so scaling a row w of W by c > 0 changes
  nothing:  l(cw) = l(w).  Differentiate that identity:
    in c at c = 1:   ⟨w, ∇l(w)⟩ = 0      the gradient is orthogonal to w
    in w:            c·∇l(cw) = ∇l(w),   i.e.  ∇l(λw) = ∇l(w)/λ
  The gradient shrinks as the weights grow. Readouts: cos(w,∇l) (the
  largest |⟨w,∇l⟩|/(‖w‖‖∇l‖) over rows) and the scale check
  (max |c·∇l(cw) − ∇l(w)| / max |∇l(w)| over c = 0.5, 2, 10): both ~1e-15.

Plain SGD only ever grows ‖w‖
  w' = w − η∇l(w) with ∇l(w) ⟂ w, so by Pythagoras
    ‖w'‖² = ‖w‖² + η²‖∇l(w)‖²  ≥ ‖w‖².
  With ∇l(w) = ∇l(v)/‖w‖ that is ‖w‖⁴ growing by 2η²‖∇l(v)‖² a step:
  ‖w‖² grows like √t while ‖∇l(v)‖ stays the same.

The effective learning rate
  Only the direction v = w/‖w‖ matters. One SGD step, with ∇l(w) = ∇l(v)/‖w‖
  and ‖w − η∇l(w)‖ = ‖w‖(1 + O(η²)) (Pythagoras above):
    v_{t+1} = v_t − (η/‖w‖²)(I − v vᵀ)∇l(v) + O(η²)
  (I − v vᵀ keeps the step on the sphere; here ∇l(v) ⟂ v already.)
  The step on the sphere is η/‖w‖², not η. A derivation sometimes given,
  1/(‖w‖ + O(η)) ≈ −(1 + ‖w‖)/O(η), is wrong: for small ε,
  1/(‖w‖ + ε) = (1 − ε/‖w‖ + …)/‖w‖, and here ε is even O(η²).
  Without decay (nowd) ‖w‖ grows, η/‖w‖² falls and the rows stop turning.

Weight decay: a rotational equilibrium (the wd run)
  SGD as PyTorch: buf ← α·buf + ∇l + λw (buf = ∇l + λw on step 1),
  w ← w − η·buf.
  Decay shrinks ‖w‖, the gradient grows it. With ∇l ⟂ w:
    ‖w_{t+1}‖² = ‖w_t‖² − 2η⟨w_t,buf_t⟩ + η²‖buf_t‖²
    ⟨w_t,buf_t⟩ = α(⟨w_{t−1},buf_{t−1}⟩ − η‖buf_{t−1}‖²) + λ‖w_t‖²
  At a stationary state the first gives 2⟨w,buf⟩ = η‖buf‖², the second
  (1−α)⟨w,buf⟩ = λ‖w‖² − αη‖buf‖²; together
    η²‖buf‖² / ‖w‖² = 2ηλ/(1+α).
  The step is almost all tangential, so each row turns by
    Δθ = √(2ηλ/(1+α)) radians a step (root mean square)
  whatever the loss, the data or the initial norm: ‖w‖ adjusts until the
  rotation is that. η/‖w‖² settles with it, instead of freezing.

How long it takes to settle
  Plain SGD: u = ‖w‖² follows u' = −2ηλu + η²‖∇l(v)‖²/u, which relaxes like
  e^{−4ηλt} near equilibrium and rises to it in 1/(4ηλ) steps from a small
  norm: ~1/(ηλ) steps. Momentum accumulates the decay λw 1/(1−α)-fold, so it
  takes ~(1−α)/(ηλ): ~2,000 steps at the defaults (ηλ = 5e-5, α = 0.9;
  measured 1,900), ~100 with the equilibrium preset (ηλ = 1e-3).
  settled_at: the first step where, over 100 steps, Δθ is within 10% and
  ‖w‖ within 5% of their means over the last 10% of the run.

What to notice
  • Δθ of wd lands on the dashed line; Δθ of nowd keeps falling.
  • ‖w‖ of nowd never shrinks; its η/‖w‖² ends far below wd's.
  • x / X multiply W by 2 / ½ in both runs: the probe loss stays (Δloss is
    exactly 0: a power of two scales exactly in floating point) while
    η/‖w‖² drops 4× / grows 4×. The wd run returns to its
    equilibrium in ~(1−α)/(ηλ) steps; the nowd run keeps the new scale.
  • The chart is the mean over rows (as is angular_update_tail), a few %
    under the line since a mean ≤ an RMS; angular_update_rms_tail, the RMS
    over rows and steps, is what the balance above predicts.
  • A sweep of wd (s on wd) shows angular_update_ratio (tail/theory) flat
    near 1 wherever the run is long enough to settle.

The model
  Data: classes unit-norm centres in R^dim, noise·N(0, I) around them;
  1024 training and 512 validation examples; batches reshuffled every
  epoch. Both runs start from one init (PyTorch's Linear init) and see the
  same batches. Weight decay acts on every parameter (W, the readout and
  its bias), as torch.optim.SGD(model.parameters(), weight_decay=λ) does;
  only W is scale-invariant. BN has no ε (PyTorch's 1e-5 would break the
  invariance by O(ε/σ²)); validation accuracy is eval mode (running stats,
  momentum 0.1), measured every 100 steps; the loss chart is the mean of
  the last 50 minibatch losses.";
