//! Opt-in wall-clock accounting per layer type and phase, for `bench resnet --profile`.
//!
//! Layers time their passes with a [`Lap`]; when profiling is off (the default) that is one
//! relaxed atomic load. The orchestration of a network is sequential (layers parallelise
//! inside), so the wall times of the phases add up to the step's time. A convolution's
//! backward computes its weight and input gradients in one pass over shared patches; it
//! splits its wall time between the two by the thread time each part took ([`split`]).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static ENABLED: AtomicBool = AtomicBool::new(false);
static TOTALS: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

/// Accumulated time of one (layer type, phase).
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// e.g. `conv3x3/1 winograd`, `batchnorm`, `relu`.
    pub layer: String,
    /// `forward`, `backward-data`, `backward-weight`, `backward`, `step`.
    pub phase: &'static str,
    pub seconds: f64,
    pub calls: u64,
}

/// Turn accounting on or off (it is process-wide).
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Forget everything accumulated so far.
pub fn reset() {
    lock().clear();
}

/// Everything accumulated since the last [`reset`], in first-seen order.
pub fn entries() -> Vec<Entry> {
    lock().clone()
}

fn lock() -> std::sync::MutexGuard<'static, Vec<Entry>> {
    // A panic while holding the lock cannot leave the totals inconsistent: keep going.
    TOTALS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Add `d` to (layer, phase).
pub fn record(layer: &str, phase: &'static str, d: Duration) {
    let mut t = lock();
    match t.iter_mut().find(|e| e.layer == layer && e.phase == phase) {
        Some(e) => {
            e.seconds += d.as_secs_f64();
            e.calls += 1;
        }
        None => t.push(Entry {
            layer: layer.to_string(),
            phase,
            seconds: d.as_secs_f64(),
            calls: 1,
        }),
    }
}

/// Split a wall time `d` between two phases in proportion to the thread times `a` and `b`
/// that went into them.
pub fn split(
    layer: &str,
    d: Duration,
    (pa, a): (&'static str, Duration),
    (pb, b): (&'static str, Duration),
) {
    let total = (a + b).as_secs_f64();
    let share = if total > 0.0 {
        a.as_secs_f64() / total
    } else {
        0.5
    };
    record(layer, pa, d.mul_f64(share));
    record(layer, pb, d.mul_f64(1.0 - share));
}

/// A stopwatch that measures only when profiling is on.
#[derive(Clone, Copy, Debug)]
pub struct Lap(Option<Instant>);

impl Lap {
    pub fn start() -> Self {
        Self(enabled().then(Instant::now))
    }
    /// Time since the start (zero when profiling is off), and restart.
    pub fn lap(&mut self) -> Duration {
        match &mut self.0 {
            Some(t) => {
                let now = Instant::now();
                let d = now - *t;
                *t = now;
                d
            }
            None => Duration::ZERO,
        }
    }
    /// Charge the time since the start to (`layer()`, phase); the label is built only
    /// when profiling is on.
    pub fn stop(self, layer: impl FnOnce() -> String, phase: &'static str) {
        if let Some(t) = self.0 {
            record(&layer(), phase, t.elapsed());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_shares_a_wall_time_by_thread_times() {
        // Profiling is process-wide: record under a label no layer uses, read only it.
        let label = "test-only split";
        split(
            label,
            Duration::from_millis(100),
            ("a", Duration::from_millis(30)),
            ("b", Duration::from_millis(10)),
        );
        let got: Vec<Entry> = entries().into_iter().filter(|e| e.layer == label).collect();
        assert_eq!(got.len(), 2);
        assert!((got[0].seconds - 0.075).abs() < 1e-9 && got[0].phase == "a");
        assert!((got[1].seconds - 0.025).abs() < 1e-9 && got[1].phase == "b");
        assert!(Lap::start().lap() == Duration::ZERO || enabled());
    }
}
