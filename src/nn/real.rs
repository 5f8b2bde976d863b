//! The scalar of the engine ([`Real`]: `f32` for training, `f64` for reference checks) and
//! each thread's scratch buffer for patch matrices and transformed tiles.

use super::kernels::microkernel;
use ndarray::LinalgScalar;
use std::cell::RefCell;
use std::fmt::Debug;
use std::ops::{AddAssign, MulAssign, SubAssign};

thread_local! {
    // Per-thread scratch for im2col matrices: one allocation per worker thread for the
    // whole process instead of one per convolution call.
    static SCRATCH_F32: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    static SCRATCH_F64: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

/// The scalar of the engine: `f32` (training, checkpoints) or `f64` (reference checks).
pub trait Real:
    LinalgScalar
    + Send
    + Sync
    + Debug
    + PartialOrd
    + AddAssign
    + SubAssign
    + MulAssign
    + Default
    + microkernel::Lanes
{
    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
    /// `self·a + b` with one rounding (an FMA instruction where the CPU has one, else
    /// libm's exact emulation: the same bits either way).
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// Run `f` on this thread's scratch buffer of at least `len` elements. Its contents
    /// are unspecified: callers overwrite what they read. `f` must not re-enter.
    fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [Self]) -> R) -> R;
}

impl Real for f32 {
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        <Self>::mul_add(self, a, b)
    }
    fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [Self]) -> R) -> R {
        SCRATCH_F32.with_borrow_mut(|buf| {
            if buf.len() < len {
                buf.resize(len, 0.0);
            }
            f(&mut buf[..len])
        })
    }
}

impl Real for f64 {
    fn from_f64(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        <Self>::mul_add(self, a, b)
    }
    fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [Self]) -> R) -> R {
        SCRATCH_F64.with_borrow_mut(|buf| {
            if buf.len() < len {
                buf.resize(len, 0.0);
            }
            f(&mut buf[..len])
        })
    }
}
