//! The pace of a live run: a power of two times the lab's natural pace (its declared steps
//! per second), from one step per frame-ish crawl up to as fast as the CPU goes (`max`).
//! `+` doubles, `-` halves. Headless runs are never paced.

/// The speed setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Speed {
    /// 2^k times the lab's natural pace.
    Times(i32),
    /// As fast as the CPU goes.
    Max,
}

/// Above this many doublings `+` goes to `max`.
const FASTEST: i32 = 10;
/// The slowest pace, in steps per second: every step its own frame, slow enough to follow.
pub const SLOWEST_STEPS_PER_S: f64 = 1.0;

impl Speed {
    /// The lab's natural pace.
    pub const NATURAL: Speed = Speed::Times(0);

    /// Steps per second for a lab whose natural pace is `rate`; `None` for `max`.
    pub fn steps_per_second(self, rate: f64) -> Option<f64> {
        match self {
            Speed::Times(k) => Some(rate * 2f64.powi(k)),
            Speed::Max => None,
        }
    }

    pub fn faster(self) -> Speed {
        match self {
            Speed::Times(k) if k < FASTEST => Speed::Times(k + 1),
            _ => Speed::Max,
        }
    }

    /// Half the pace, but never below [`SLOWEST_STEPS_PER_S`].
    pub fn slower(self, rate: f64) -> Speed {
        let next = match self {
            Speed::Max => Speed::Times(FASTEST),
            Speed::Times(k) => Speed::Times(k - 1),
        };
        match next.steps_per_second(rate) {
            Some(p) if p < SLOWEST_STEPS_PER_S => self,
            _ => next,
        }
    }

    /// For the status bar: `×1`, `×4`, `×1/8`, `max`.
    pub fn label(self) -> String {
        match self {
            Speed::Max => "max".into(),
            Speed::Times(k) if k >= 0 => format!("×{}", 1u64 << k),
            Speed::Times(k) => format!("×1/{}", 1u64 << (-k)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubling_and_halving_stop_at_the_ends() {
        let mut s = Speed::NATURAL;
        for _ in 0..20 {
            s = s.faster();
        }
        assert_eq!(s, Speed::Max);
        assert_eq!(s.slower(10.0), Speed::Times(FASTEST));
        let mut s = Speed::NATURAL;
        for _ in 0..20 {
            s = s.slower(10.0);
        }
        // 10 steps/s halves to 5, 2.5, 1.25; the next (0.625) is below the slowest.
        assert_eq!(s, Speed::Times(-3));
        assert_eq!(s.label(), "×1/8");
        assert_eq!(Speed::Times(2).label(), "×4");
    }
}
