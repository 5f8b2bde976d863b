//! Run element-wise kernels with the CPU's SIMD instructions, chosen at run time.
//!
//! The crate is built for the baseline target (machines differ, and a binary built with
//! `target-cpu=native` would not run on an older one), so plain loops compile to SSE2.
//! `unsafe_code` is forbidden, so we cannot call a `#[target_feature]` function ourselves; pulp
//! (faer's SIMD layer, already in the dependency tree) does the detection and the call: a
//! closure run through [`vectorized`] is compiled again with AVX2 + FMA and with AVX-512
//! enabled, and the widest copy the CPU supports runs. Only code inlined into the closure gets
//! the wider instructions: mark the closure `#[inline(always)]` too (perf showed un-inlined
//! closure bodies left in SSE2), and the functions it calls. The results are the same either
//! way (no reassociation, no FMA contraction is introduced by the compiler).

/// Run `f`, on its AVX-512 or AVX2 + FMA compilation when the CPU supports those.
#[inline(always)]
pub fn vectorized<R>(f: impl FnOnce() -> R) -> R {
    pulp::Arch::new().dispatch(f)
}
