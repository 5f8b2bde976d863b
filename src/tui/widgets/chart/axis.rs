//! Axis arithmetic of the chart: the log/linear transform that sends bad values to an edge,
//! range settling (flat series stay flat), tick positions and labels.

use crate::fmt::{fmt_num, short_num};

/// Where a value lands after the axis transform.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Pos {
    At(f64),
    /// NaN or +∞: marked on the top edge.
    Top(char),
    /// −∞: marked on the bottom edge as non-finite.
    NegInf,
    /// ≤ 0 on a log axis: a finite value below any decade, marked on the bottom edge.
    Below,
}

pub(super) fn transform(v: f64, log: bool) -> Pos {
    if v.is_nan() {
        Pos::Top('×')
    } else if v == f64::INFINITY {
        Pos::Top('▲')
    } else if v == f64::NEG_INFINITY {
        Pos::NegInf
    } else if log && v <= 0.0 {
        Pos::Below
    } else if log {
        Pos::At(v.log10())
    } else {
        Pos::At(v)
    }
}

/// `lo..hi` padded so a flat or empty range still has height; log ranges snap to decades.
pub(super) fn settle(lo: f64, hi: f64, log: bool) -> (f64, f64) {
    if !lo.is_finite() || !hi.is_finite() {
        return if log { (-1.0, 1.0) } else { (0.0, 1.0) };
    }
    if log {
        if hi - lo < 0.5 {
            // A flat curve: one decade around it, not pinned to an edge, and not exactly
            // centred either (the centre is a boundary between cells, where rounding-level
            // differences would split one line into two).
            let c = 0.5 * (lo + hi);
            (c - OFF_CENTRE, c + 1.0 - OFF_CENTRE)
        } else {
            (lo.floor(), hi.ceil())
        }
    } else if is_flat(lo, hi) {
        let c = 0.5 * (lo + hi);
        let span = if c.abs() > FLAT_ABS {
            c.abs() * 0.2
        } else {
            2.0
        };
        (c - OFF_CENTRE * span, c + (1.0 - OFF_CENTRE) * span)
    } else {
        let pad = (hi - lo) * 0.05;
        (lo - pad, hi + pad)
    }
}

/// Tick values (in transformed units) for an axis spanning `lo..hi` with room for `slots`:
/// whole decades on a log axis (the ends too when fewer than two decades fit), multiples of
/// 1, 2 or 5 × 10^k on a linear one.
pub(super) fn ticks(lo: f64, hi: f64, log: bool, slots: usize) -> Vec<f64> {
    let slots = slots.max(2);
    if log {
        let (a, b) = (lo.ceil() as i64, hi.floor() as i64);
        if b < a {
            return vec![lo, hi];
        }
        let n = (b - a + 1) as usize;
        let every = n.div_ceil(slots).max(1) as i64;
        (a..=b)
            .filter(|d| (d - a) % every == 0)
            .map(|d| d as f64)
            .collect()
    } else {
        let raw = (hi - lo) / (slots.min(5) - 1) as f64;
        if raw.is_nan() || raw <= 0.0 || raw.is_infinite() {
            return vec![lo, hi];
        }
        let mag = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * mag)
            .find(|st| *st >= raw)
            .unwrap_or(10.0 * mag);
        let first = (lo / step).ceil() as i64;
        let last = (hi / step).floor() as i64;
        (first..=last).map(|i| i as f64 * step).collect()
    }
}

pub(super) fn tick_label(t: f64, log: bool) -> String {
    if log {
        let d = t.round() as i32;
        if (t - d as f64).abs() > 1e-9 {
            return short_num(10f64.powf(t));
        }
        match d {
            0 => "1".into(),
            1 => "10".into(),
            2 => "100".into(),
            -1 => "0.1".into(),
            _ => format!("1e{d}"),
        }
    } else {
        fmt_num(t)
    }
}

/// Where a flat series sits in its range (a fraction of the height from the bottom).
const OFF_CENTRE: f64 = 0.45;
/// Below this magnitude a whole linear range is rounding noise around zero.
const FLAT_ABS: f64 = 1e-12;
/// A range narrower than this fraction of its magnitude is flat to rounding.
const FLAT_REL: f64 = 1e-9;

/// Whether values spanning `lo..hi` differ only by rounding: a relative spread below 1e-9,
/// or everything within 1e-12 of zero (a gap or a gradient error at machine precision).
pub(super) fn is_flat(lo: f64, hi: f64) -> bool {
    let mag = lo.abs().max(hi.abs());
    hi - lo <= FLAT_REL * mag || mag < FLAT_ABS
}
