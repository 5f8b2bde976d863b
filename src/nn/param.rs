//! [`Param`]: a learnable tensor, its gradient, and a stamp naming the state of its value.

use super::Real;
use ndarray::{ArrayViewMutD, IxDyn};

/// A learnable tensor and the gradient of the last backward pass, row-major.
#[derive(Clone, Debug)]
pub struct Param<T> {
    shape: Vec<usize>,
    value: Vec<T>,
    grad: Vec<T>,
    /// Changes with every mutable access to the value (see [`Param::stamp`]).
    stamp: u64,
}

/// The next [`Param::stamp`]: one counter for all parameters, so a stamp names one state
/// of one parameter's value (a clone shares it, and also its value).
static NEXT_STAMP: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn next_stamp() -> u64 {
    NEXT_STAMP.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl<T: Real> Param<T> {
    /// A zero parameter of this shape (zero gradient).
    pub fn zeros(shape: &[usize]) -> Self {
        let n = shape.iter().product();
        Self {
            shape: shape.to_vec(),
            value: vec![T::zero(); n],
            grad: vec![T::zero(); n],
            stamp: next_stamp(),
        }
    }

    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    pub fn len(&self) -> usize {
        self.value.len()
    }
    pub fn value(&self) -> &[T] {
        &self.value
    }
    pub fn value_mut(&mut self) -> &mut [T] {
        self.stamp = next_stamp();
        &mut self.value
    }
    /// Names the value's current state: equal stamps mean an unchanged value, so a layer
    /// can keep what it derives from the value (transformed weights) until the stamp
    /// changes. Every mutable access to the value takes a new stamp.
    pub fn stamp(&self) -> u64 {
        self.stamp
    }
    pub fn grad(&self) -> &[T] {
        &self.grad
    }
    pub fn grad_mut(&mut self) -> &mut [T] {
        &mut self.grad
    }
    /// Value and gradient at once (the optimiser reads one and writes the other).
    pub fn value_and_grad_mut(&mut self) -> (&mut [T], &[T]) {
        self.stamp = next_stamp();
        (&mut self.value, &self.grad)
    }
    pub fn view_mut(&mut self) -> ArrayViewMutD<'_, T> {
        self.stamp = next_stamp();
        ArrayViewMutD::from_shape(IxDyn(&self.shape), &mut self.value)
            .expect("shape matches length")
    }
}
