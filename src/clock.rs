//! Wall-clock measurements (a trainer's images/s) that a thread can withhold. The headless
//! demo player drives the labs inline, on its own thread, on a virtual clock, and its
//! recording must be the same byte for byte; a machine's speed would make every recording
//! differ, so on that thread a measurement reads as unknown (NaN, shown as "–").

use std::cell::Cell;
use std::time::Instant;

thread_local! {
    static WITHHELD: Cell<bool> = const { Cell::new(false) };
}

/// Withhold (`true`) or again report (`false`) wall-clock measurements on this thread.
pub fn withhold_on_this_thread(withhold: bool) {
    WITHHELD.with(|w| w.set(withhold));
}

/// A stopwatch started at [`Stopwatch::start`].
pub struct Stopwatch(Instant);

impl Stopwatch {
    pub fn start() -> Self {
        Stopwatch(Instant::now())
    }

    /// Seconds since the start; NaN where measurements are withheld.
    pub fn seconds(&self) -> f64 {
        if WITHHELD.with(Cell::get) {
            f64::NAN
        } else {
            self.0.elapsed().as_secs_f64()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_withheld_measurement_is_nan_on_that_thread_only() {
        let watch = Stopwatch::start();
        withhold_on_this_thread(true);
        assert!(watch.seconds().is_nan());
        let other = std::thread::spawn(|| Stopwatch::start().seconds())
            .join()
            .unwrap_or(f64::NAN);
        assert!(other >= 0.0);
        withhold_on_this_thread(false);
        assert!(watch.seconds() >= 0.0);
    }
}
