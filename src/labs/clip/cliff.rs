//! Pascanu's one-unit cliff (Pascanu, Mikolov & Bengio 2013): `x_t = w·σ(x_{t−1}) + b`,
//! σ the logistic sigmoid, `x_0 = 0.5`, loss `(x_T − 0.7)²`. For large w the map has two
//! stable fixed points; where the basin that x_0 falls into changes, x_T jumps and the
//! loss surface has a wall, with a gradient that grows with T. An SGD step that lands on
//! the wall is huge unless it is clipped.

use crate::nn::clip::{clip_norm, clip_value};

/// The initial state.
pub const X0: f64 = 0.5;
/// The target of x_T.
pub const TARGET: f64 = 0.7;
/// Where every trajectory starts: below the wall, where descent climbs into it.
pub const START: (f64, f64) = (6.75, -5.5);
/// The drawn part of the (w, b) plane.
pub const W_RANGE: (f64, f64) = (0.0, 10.0);
pub const B_RANGE: (f64, f64) = (-7.0, 1.0);
/// Grid of the loss heatmap: columns over w, rows over b.
pub const COLS: usize = 61;
pub const ROWS: usize = 41;

/// The larger of `a` and `b`, NaN if either is: a maximum that keeps a divergence visible
/// (`f64::max` would drop the NaN).
pub fn max_keeping_nan(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The loss at (w, b) over `steps` steps.
pub fn loss(w: f64, b: f64, steps: usize) -> f64 {
    let mut x = X0;
    for _ in 0..steps {
        x = w * sigmoid(x) + b;
    }
    (x - TARGET).powi(2)
}

/// The loss and its gradient (∂/∂w, ∂/∂b) by backpropagation through time.
pub fn loss_and_grad(w: f64, b: f64, steps: usize) -> (f64, [f64; 2]) {
    let mut xs = Vec::with_capacity(steps + 1);
    xs.push(X0);
    for t in 0..steps {
        xs.push(w * sigmoid(xs[t]) + b);
    }
    let e = xs[steps] - TARGET;
    // d = ∂l/∂x_t, from t = T down; ∂x_t/∂x_{t−1} = w σ'(x_{t−1}).
    let mut d = 2.0 * e;
    let (mut gw, mut gb) = (0.0, 0.0);
    for t in (1..=steps).rev() {
        let s = sigmoid(xs[t - 1]);
        gw += d * s;
        gb += d;
        d *= w * s * (1.0 - s);
    }
    (e * e, [gw, gb])
}

/// w of column `j`, b of row `i`.
pub fn w_at(j: usize) -> f64 {
    W_RANGE.0 + (W_RANGE.1 - W_RANGE.0) * j as f64 / (COLS - 1) as f64
}

pub fn b_at(i: usize) -> f64 {
    B_RANGE.0 + (B_RANGE.1 - B_RANGE.0) * i as f64 / (ROWS - 1) as f64
}

/// log10 of the loss over the grid, column-major (column j = w_at(j), row i = b_at(i)).
pub fn landscape(steps: usize) -> Vec<f64> {
    (0..COLS)
        .flat_map(|j| (0..ROWS).map(move |i| loss(w_at(j), b_at(i), steps).log10()))
        .collect()
}

/// How a variant treats the gradient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clipping {
    None,
    Norm,
    Value,
}

/// One SGD trajectory on the cliff.
#[derive(Clone, Debug)]
pub struct Trajectory {
    pub clipping: Clipping,
    pub w: f64,
    pub b: f64,
    /// The loss at the current point.
    pub loss: f64,
    pub max_grad_norm: f64,
    pub clipped: u64,
    pub steps: u64,
}

impl Trajectory {
    pub fn new(clipping: Clipping, horizon: usize) -> Self {
        let (w, b) = START;
        Self {
            clipping,
            w,
            b,
            loss: loss(w, b, horizon),
            max_grad_norm: 0.0,
            clipped: 0,
            steps: 0,
        }
    }

    /// One SGD step; returns ‖g‖ before clipping (NaN once the point is not finite, where
    /// it then stays).
    pub fn step(&mut self, lr: f64, tau: f64, horizon: usize) -> f64 {
        if !(self.w.is_finite() && self.b.is_finite()) {
            return f64::NAN;
        }
        let (_, mut g) = loss_and_grad(self.w, self.b, horizon);
        let norm = g[0].hypot(g[1]);
        self.max_grad_norm = max_keeping_nan(self.max_grad_norm, norm);
        let clipped = match self.clipping {
            Clipping::None => false,
            Clipping::Norm => clip_norm(&mut g, tau).1,
            Clipping::Value => clip_value(&mut g, tau),
        };
        self.clipped += u64::from(clipped);
        self.w -= lr * g[0];
        self.b -= lr * g[1];
        self.steps += 1;
        self.loss = loss(self.w, self.b, horizon);
        norm
    }
}
