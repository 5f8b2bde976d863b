//! Opt-in wall-clock accounting per layer type and phase, for `bench resnet --profile`.
//!
//! A pass opens a [`Scope`] (`let _t = profile::scope("relu", Phase::Forward);`) and is
//! charged on the scope's drop. When profiling is off (the default) opening a scope is one
//! relaxed atomic load: no clock is read and no label is built. The orchestration of a
//! network is sequential (layers parallelise inside), so the wall times of the phases add
//! up to the step's time. A convolution's backward computes its weight and input gradients
//! in one pass over shared patches: it opens a [`SplitScope`], times each part on every thread
//! with [`SplitScope::part`], and its wall time is shared between the two phases by the thread
//! time each took.

use std::borrow::Cow;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

static ENABLED: AtomicBool = AtomicBool::new(false);
static TOTALS: Mutex<Vec<LayerTime>> = Mutex::new(Vec::new());

/// What part of a training step a time was spent on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    Forward,
    /// A backward pass that is not split (every layer but the convolutions).
    Backward,
    BackwardWeight,
    BackwardData,
    /// The optimiser's step.
    Step,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Self::Forward => "forward",
            Self::Backward => "backward",
            Self::BackwardWeight => "backward-weight",
            Self::BackwardData => "backward-data",
            Self::Step => "step",
        }
    }
}

/// Accumulated time of one (layer type, phase).
#[derive(Clone, Debug, PartialEq)]
pub struct LayerTime {
    /// e.g. `conv3x3/1 winograd-rows`, `batchnorm`, `relu`.
    pub layer: String,
    pub phase: Phase,
    pub seconds: f64,
    pub calls: u64,
}

/// Turn accounting on or off (it is process-wide).
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Forget everything accumulated so far.
pub fn reset() {
    lock().clear();
}

/// Everything accumulated since the last [`reset`], in first-seen order.
pub fn entries() -> Vec<LayerTime> {
    lock().clone()
}

fn lock() -> std::sync::MutexGuard<'static, Vec<LayerTime>> {
    // A panic while holding the lock cannot leave the totals inconsistent: keep going.
    TOTALS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Add `d` to (layer, phase).
fn record(layer: &str, phase: Phase, d: Duration) {
    let mut t = lock();
    match t.iter_mut().find(|e| e.layer == layer && e.phase == phase) {
        Some(e) => {
            e.seconds += d.as_secs_f64();
            e.calls += 1;
        }
        None => t.push(LayerTime {
            layer: layer.to_string(),
            phase,
            seconds: d.as_secs_f64(),
            calls: 1,
        }),
    }
}

/// The label of a scope: a fixed name, or one built only when profiling is on.
pub trait Label {
    fn label(self) -> Cow<'static, str>;
}

impl Label for &'static str {
    fn label(self) -> Cow<'static, str> {
        Cow::Borrowed(self)
    }
}

impl<F: FnOnce() -> String> Label for F {
    fn label(self) -> Cow<'static, str> {
        Cow::Owned(self())
    }
}

/// Wall time from [`scope`] to the drop, charged to (layer, phase) when profiling is on.
#[must_use = "a scope measures until it is dropped"]
pub struct Scope(Option<(Instant, Cow<'static, str>, Phase)>);

/// Charge the time until the returned scope drops to (`layer`, `phase`).
pub fn scope(layer: impl Label, phase: Phase) -> Scope {
    Scope(enabled().then(|| (Instant::now(), layer.label(), phase)))
}

impl Drop for Scope {
    fn drop(&mut self) {
        if let Some((start, layer, phase)) = &self.0 {
            record(layer, *phase, start.elapsed());
        }
    }
}

/// A scope whose wall time goes to two phases in proportion to the thread time measured
/// in each by [`SplitScope::part`] (on any thread: a part's time is summed atomically).
#[must_use = "a split measures until it is dropped"]
pub struct SplitScope {
    running: Option<(Instant, Cow<'static, str>)>,
    phases: [Phase; 2],
    nanos: [AtomicU64; 2],
}

/// Charge the time until the returned split drops to (`layer`, `a`) and (`layer`, `b`).
pub fn split(layer: impl Label, a: Phase, b: Phase) -> SplitScope {
    SplitScope {
        running: enabled().then(|| (Instant::now(), layer.label())),
        phases: [a, b],
        nanos: [AtomicU64::new(0), AtomicU64::new(0)],
    }
}

impl SplitScope {
    /// Time until the returned part drops counts for `phase` (one of the split's two).
    pub fn part(&self, phase: Phase) -> Part<'_> {
        Part(self.running.as_ref().map(|_| {
            let i = usize::from(phase == self.phases[1]);
            debug_assert!(phase == self.phases[i], "{phase:?} is not split here");
            (&self.nanos[i], Instant::now())
        }))
    }
}

impl Drop for SplitScope {
    fn drop(&mut self) {
        if let Some((start, layer)) = &self.running {
            let nanos = self.nanos.each_ref().map(|n| n.load(Ordering::Relaxed));
            let [a, b] = shares(start.elapsed(), nanos);
            record(layer, self.phases[0], a);
            record(layer, self.phases[1], b);
        }
    }
}

/// `wall` shared in proportion to the thread times `nanos` (halves when both are zero).
fn shares(wall: Duration, nanos: [u64; 2]) -> [Duration; 2] {
    let [a, b] = nanos.map(|n| n as f64);
    let share = if a + b > 0.0 { a / (a + b) } else { 0.5 };
    [wall.mul_f64(share), wall.mul_f64(1.0 - share)]
}

/// Thread time of one part of a [`SplitScope`], added on drop.
#[must_use = "a part measures until it is dropped"]
pub struct Part<'a>(Option<(&'a AtomicU64, Instant)>);

impl Drop for Part<'_> {
    fn drop(&mut self) {
        if let Some((acc, start)) = self.0 {
            let ns = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
            acc.fetch_add(ns, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_shares_its_wall_time_by_thread_times() {
        let ms = Duration::from_millis;
        assert_eq!(shares(ms(100), [30_000_000, 10_000_000]), [ms(75), ms(25)]);
        assert_eq!(shares(ms(100), [0, 0]), [ms(50), ms(50)]);
    }

    #[test]
    fn scopes_read_no_clock_while_profiling_is_off() {
        // Profiling is process-wide and off unless a bench turns it on; no unit test does.
        assert!(!enabled());
        assert!(scope("test-only", Phase::Forward).0.is_none());
        let s = split("test-only", Phase::BackwardWeight, Phase::BackwardData);
        assert!(s.running.is_none() && s.part(Phase::BackwardData).0.is_none());
    }
}
