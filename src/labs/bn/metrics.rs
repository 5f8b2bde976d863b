//! What the bn lab measures on W: row norms, the effective learning rate η/‖w‖², the angle
//! each row turns by in a step, gradient–weight orthogonality, the scale check
//! c·∇l(cw) = ∇l(w), and ([`Cumulative`]) the tail mean and settling step of a per-step
//! series without keeping every step.

use super::model::Net;
use ndarray::{ArrayView1, ArrayView2};

fn dot(a: ArrayView1<f64>, b: ArrayView1<f64>) -> f64 {
    a.dot(&b)
}

fn norm(a: ArrayView1<f64>) -> f64 {
    dot(a, a).sqrt()
}

/// ‖w_j‖ of every row.
pub fn row_norms(w: ArrayView2<f64>) -> Vec<f64> {
    w.rows().into_iter().map(norm).collect()
}

/// The larger of two numbers, NaN if either is (`f64::max` drops a NaN, which would hide a
/// diverged run behind the other values).
pub fn max_nan(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// The mean of a slice (NaN when empty).
pub fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// The angle between two vectors, accurate for tiny angles too: 2·atan2(‖â − b̂‖, ‖â + b̂‖)
/// (acos of the cosine loses half the digits near 0).
pub fn angle(a: ArrayView1<f64>, b: ArrayView1<f64>) -> f64 {
    let (ra, rb) = (1.0 / norm(a), 1.0 / norm(b));
    let (mut diff, mut sum) = (0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        let (u, v) = (x * ra, y * rb);
        diff += (u - v) * (u - v);
        sum += (u + v) * (u + v);
    }
    2.0 * diff.sqrt().atan2(sum.sqrt())
}

/// The mean over rows of the angle between row j of `before` and of `after`, and the mean
/// of the squared angles.
pub fn mean_angle(before: ArrayView2<f64>, after: ArrayView2<f64>) -> (f64, f64) {
    let angles: Vec<f64> = before
        .rows()
        .into_iter()
        .zip(after.rows())
        .map(|(a, b)| angle(a, b))
        .collect();
    let squares: Vec<f64> = angles.iter().map(|a| a * a).collect();
    (mean(&angles), mean(&squares))
}

/// The mean over rows of η/‖w_j‖².
pub fn eff_lr(lr: f64, w: ArrayView2<f64>) -> f64 {
    let per_row: Vec<f64> = w.rows().into_iter().map(|r| lr / dot(r, r)).collect();
    mean(&per_row)
}

/// The largest |⟨w_j, g_j⟩|/(‖w_j‖‖g_j‖) over rows (0 for a row with no gradient).
pub fn orthogonality(w: ArrayView2<f64>, g: ArrayView2<f64>) -> f64 {
    w.rows()
        .into_iter()
        .zip(g.rows())
        .map(|(w, g)| {
            let denom = norm(w) * norm(g);
            if denom > 0.0 {
                dot(w, g).abs() / denom
            } else {
                0.0
            }
        })
        .fold(0.0, max_nan)
}

/// The mean of the last `len` values pushed (of fewer at the start).
#[derive(Clone, Debug)]
pub struct Window {
    len: usize,
    values: std::collections::VecDeque<f64>,
}

impl Window {
    pub fn new(len: usize) -> Self {
        Self {
            len: len.max(1),
            values: std::collections::VecDeque::with_capacity(len.max(1)),
        }
    }

    pub fn push(&mut self, value: f64) {
        if self.values.len() == self.len {
            self.values.pop_front();
        }
        self.values.push_back(value);
    }

    /// Summed afresh each time: a running sum would keep a NaN or an overflow forever.
    pub fn mean(&self) -> f64 {
        self.values.iter().sum::<f64>() / self.values.len() as f64
    }
}

/// The factors c of the scale check.
pub const SCALE_FACTORS: [f64; 3] = [0.5, 2.0, 10.0];

/// max over c ∈ {0.5, 2, 10} of max|c·∇_W l(cW) − ∇_W l(W)| / max|∇_W l(W)| on a batch:
/// 0 up to rounding, since l(cW) = l(W) gives ∇l(cW) = ∇l(W)/c.
pub fn scale_check(net: &Net, x: ArrayView2<f64>, y: &[usize]) -> f64 {
    let (_, g) = net.grads(x, y);
    let scale = g.w.iter().fold(0.0, |m, v| max_nan(m, v.abs()));
    SCALE_FACTORS
        .iter()
        .map(|&c| {
            let scaled = Net {
                w: &net.w * c,
                ..net.clone()
            };
            let (_, gc) = scaled.grads(x, y);
            let err =
                gc.w.iter()
                    .zip(&g.w)
                    .fold(0.0, |m, (a, b)| max_nan(m, (c * a - b).abs()));
            if scale > 0.0 { err / scale } else { err }
        })
        .fold(0.0, max_nan)
}

/// A per-step series kept as running sums sampled every `stride` steps (the stride doubles
/// when `cap` samples are held), so the mean over any stretch between samples is exact and
/// memory stays bounded however long the run.
#[derive(Clone, Debug)]
pub struct Cumulative {
    cap: usize,
    stride: u64,
    /// (step, sum of the values of steps 1..=step), for step = 0 and multiples of `stride`.
    samples: Vec<(u64, f64)>,
    step: u64,
    total: f64,
    last: f64,
}

/// A series counts as settled only if it reaches its tail mean within this first fraction
/// of the run (one still drifting reaches it only near the end).
pub const SETTLE_MAX_FRACTION: f64 = 0.5;

impl Cumulative {
    pub fn new(cap: usize) -> Self {
        Self {
            cap: cap.max(8),
            stride: 1,
            samples: vec![(0, 0.0)],
            step: 0,
            total: 0.0,
            last: f64::NAN,
        }
    }

    /// Add the value of the next step.
    pub fn push(&mut self, value: f64) {
        self.last = value;
        self.step += 1;
        self.total += value;
        if self.step.is_multiple_of(self.stride) {
            self.samples.push((self.step, self.total));
        }
        if self.samples.len() > self.cap {
            self.stride *= 2;
            let stride = self.stride;
            self.samples.retain(|(s, _)| s.is_multiple_of(stride));
        }
    }

    /// The running sum at the latest sample at or before `step`.
    fn at_or_before(&self, step: u64) -> (u64, f64) {
        if step >= self.step {
            return (self.step, self.total);
        }
        let i = self.samples.partition_point(|(s, _)| *s <= step);
        self.samples[i.saturating_sub(1)]
    }

    /// The mean over steps (from, to] (rounded down to the samples held).
    fn mean_between(&self, from: u64, to: u64) -> f64 {
        let (a, sa) = self.at_or_before(from);
        let (b, sb) = self.at_or_before(to);
        (sb - sa) / (b - a) as f64
    }

    /// The first step of the last 10% of the run (⌊0.9·t⌋), as used by [`Self::tail_mean`].
    pub fn tail_start(&self) -> u64 {
        self.step - self.step.div_ceil(10)
    }

    /// The mean over the last 10% of steps: steps after ⌊0.9·t⌋ (after the nearest sample
    /// before it once the run is longer than `cap` steps). NaN before the first step.
    pub fn tail_mean(&self) -> f64 {
        if self.step == 0 {
            return f64::NAN;
        }
        self.mean_between(self.tail_start(), self.step)
    }
}

/// The first step at which every series comes within its tolerance (relative) of its own
/// tail mean at once: the start of the first stretch of `block` steps (or of the samples'
/// stride, if longer) where each series' mean is that close. NaN when that is after
/// [`SETTLE_MAX_FRACTION`] of the run (still drifting: not settled within the run), or the
/// run is shorter than two stretches. The series must have been pushed in lockstep.
pub fn settled_at(series: &[(&Cumulative, f64)], block: u64) -> f64 {
    let Some((first, _)) = series.first() else {
        return f64::NAN;
    };
    let t = first.step;
    let len = block.max(1).div_ceil(first.stride) * first.stride;
    let tails: Vec<f64> = series.iter().map(|(c, _)| c.tail_mean()).collect();
    if t < 2 * len || tails.iter().any(|m| !m.is_finite() || *m == 0.0) {
        return f64::NAN;
    }
    let last = (t as f64 * SETTLE_MAX_FRACTION) as u64;
    (0..=last)
        .step_by(len as usize)
        .find(|&from| {
            series.iter().zip(&tails).all(|((c, tol), tail)| {
                let m = c.mean_between(from, (from + len).min(t));
                (m / tail - 1.0).abs() <= *tol
            })
        })
        .map_or(f64::NAN, |from| from as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn angles_are_exact_for_tiny_and_right_angles() {
        let a = array![1.0, 0.0];
        let tiny: f64 = 1e-9;
        let b = array![tiny.cos(), tiny.sin()];
        assert!((angle(a.view(), b.view()) - tiny).abs() < 1e-22);
        let c = array![0.0, 3.0];
        let right = angle(a.view(), c.view());
        assert!((right - std::f64::consts::FRAC_PI_2).abs() < 1e-15);
    }

    #[test]
    fn tail_mean_and_settling_of_a_step_series() {
        // 1.0 for 400 steps, then 2.0 for 600: the tail is 2 and it settled at step 400.
        let mut c = Cumulative::new(4096);
        for t in 0..1000 {
            c.push(if t < 400 { 1.0 } else { 2.0 });
        }
        assert_eq!(c.tail_mean(), 2.0);
        assert_eq!(settled_at(&[(&c, 0.1)], 100), 400.0);
        // A series that keeps drifting (1/t) never settles.
        let mut d = Cumulative::new(64);
        for t in 1..=1000 {
            d.push(1.0 / f64::from(t));
        }
        assert!(settled_at(&[(&d, 0.1)], 100).is_nan());
        // Thinned to 64 samples (stride 16), stretches are 112 steps: the change at 400 is
        // found in the stretch 336..448.
        let mut e = Cumulative::new(64);
        for t in 0..1000 {
            e.push(if t < 400 { 1.0 } else { 2.0 });
        }
        assert_eq!(e.tail_mean(), 2.0);
        assert_eq!(settled_at(&[(&e, 0.1)], 100), 448.0);
        // Two series settle when the later one does.
        let mut f = Cumulative::new(4096);
        for t in 0..1000 {
            f.push(if t < 200 { 5.0 } else { 1.0 });
        }
        assert_eq!(settled_at(&[(&f, 0.1)], 100), 200.0);
        assert_eq!(settled_at(&[(&f, 0.1), (&c, 0.1)], 100), 400.0);
    }

    #[test]
    fn windows_average_the_last_values_only() {
        let mut w = Window::new(3);
        assert!(w.mean().is_nan());
        for v in [f64::NAN, 1.0, 2.0, 3.0, 4.0] {
            w.push(v);
        }
        assert_eq!(w.mean(), 3.0, "the NaN has left the window");
    }

    #[test]
    fn the_tail_mean_is_exact_while_all_steps_are_held() {
        let mut c = Cumulative::new(4096);
        for t in 1..=1000u32 {
            c.push(f64::from(t));
        }
        // Steps 901..=1000: their mean is 950.5.
        assert_eq!(c.tail_mean(), 950.5);
    }
}
