//! Run element-wise kernels with the CPU's SIMD instructions, chosen at run time.
//!
//! The crate is built for the baseline target (CI machines differ; see DESIGN §1), so
//! plain loops compile to SSE2. `unsafe_code` is forbidden, so we cannot call a
//! `#[target_feature]` function ourselves; pulp (faer's SIMD layer, already in the
//! dependency tree) does the detection and the call: a closure run through [`vectorized`]
//! is compiled a second time with AVX2 + FMA enabled and that copy runs when the CPU has
//! them. Only code inlined into the closure (`#[inline(always)]`) gets the wider
//! instructions; the results are the same either way (no reassociation, no FMA
//! contraction is introduced by the compiler).

/// Run `f`, on the AVX2 + FMA compilation of it when the CPU supports those.
#[inline(always)]
pub fn vectorized<R>(f: impl FnOnce() -> R) -> R {
    pulp::Arch::new().dispatch(f)
}
