//! Axis arithmetic of the chart: the log/linear transform that sends bad values to an edge,
//! range settling (flat series stay flat), tick positions and labels.

use crate::fmt::{fmt_num, short_num};

/// Where a value lands after the axis transform.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pos {
    At(f64),
    /// NaN or +∞: marked on the top edge.
    Top(char),
    /// −∞: marked on the bottom edge as non-finite.
    NegInf,
    /// ≤ 0 on a log axis: a finite value below any decade, marked on the bottom edge.
    Below,
}

/// A value after the axis transform: log10 on a log axis; bad values go to an edge.
pub fn transform(v: f64, log: bool) -> Pos {
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

/// Tick values (in transformed units) for an axis spanning `lo..hi` with room for `slots`,
/// always at least two when the range has any width: whole decades on a log axis, thinned
/// to fit; within less than two decades, 1-2-5 multiples (then every multiple, then linear
/// ticks of the values); multiples of 1, 2 or 5 × 10^k on a linear axis.
pub(super) fn ticks(lo: f64, hi: f64, log: bool, slots: usize) -> Vec<f64> {
    let slots = slots.max(2);
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return vec![lo];
    }
    if !log {
        return linear_ticks(lo, hi, slots);
    }
    let (a, b) = (lo.ceil() as i64, hi.floor() as i64);
    if b > a {
        let n = (b - a + 1) as usize;
        let every = n.div_ceil(slots).max(1) as i64;
        return (a..=b)
            .filter(|d| (d - a) % every == 0)
            .map(|d| d as f64)
            .collect();
    }
    // Less than two decades: mantissas within them, the round ones first.
    let slack = 1e-9 * (hi - lo);
    for mantissas in [
        &[1.0, 2.0, 5.0][..],
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
    ] {
        let found: Vec<f64> = (lo.floor() as i64..=hi.ceil() as i64)
            .flat_map(|d| {
                mantissas
                    .iter()
                    .map(move |m| (m * 10f64.powi(d as i32)).log10())
            })
            .filter(|t| (lo - slack..=hi + slack).contains(t))
            .collect();
        if found.len() >= 2 {
            return thin(found, slots);
        }
    }
    linear_ticks(10f64.powf(lo), 10f64.powf(hi), slots)
        .into_iter()
        .filter(|v| *v > 0.0)
        .map(f64::log10)
        .collect()
}

/// Every other tick (every third, …) until at most `slots` remain.
fn thin(ticks: Vec<f64>, slots: usize) -> Vec<f64> {
    let every = ticks.len().div_ceil(slots).max(1);
    ticks.into_iter().step_by(every).collect()
}

/// Multiples of a 1-2-5 step, at most `slots.min(5)` of them and at least two.
fn linear_ticks(lo: f64, hi: f64, slots: usize) -> Vec<f64> {
    let raw = (hi - lo) / (slots.min(5) - 1) as f64;
    if raw.is_nan() || raw <= 0.0 || raw.is_infinite() {
        return vec![lo, hi];
    }
    let mut exp = raw.log10().floor() as i32;
    let mut m = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .position(|m| m * 10f64.powi(exp) >= raw)
        .unwrap_or(3);
    loop {
        let step = [1.0, 2.0, 5.0, 10.0][m] * 10f64.powi(exp);
        let (first, last) = ((lo / step).ceil() as i64, (hi / step).floor() as i64);
        if last > first || step < (hi - lo) * 1e-6 {
            // Multiples by i · step, so 0.1 · 3 stays 0.3 to the label's precision.
            return (first..=last).map(|i| i as f64 * step).collect();
        }
        // Fewer than two multiples fit: the next smaller step.
        if m == 0 {
            m = 2;
            exp -= 1;
        } else {
            m -= 1;
        }
    }
}

/// Labels for ticks (in transformed units), all different: decades by name on a log axis
/// (`1e-3`, `0.1`, `1`, `10`), other values with as many significant digits as it takes
/// to tell them apart (never `3.3e-5, 3.3e-5`).
pub(super) fn tick_labels(ticks: &[f64], log: bool) -> Vec<String> {
    let value = |t: f64| if log { 10f64.powf(t) } else { t };
    for digits in 1..=12 {
        let labels: Vec<String> = ticks
            .iter()
            .map(|&t| match decade(t, log) {
                Some(d) => decade_label(d),
                None => sig_num(value(t), digits),
            })
            .collect();
        let mut sorted = labels.clone();
        sorted.sort();
        sorted.dedup();
        if sorted.len() == labels.len() {
            return labels;
        }
    }
    ticks.iter().map(|&t| fmt_num(value(t))).collect()
}

/// One value's label alone: a decade by name on a log axis, else `short_num` of a log
/// axis's value, `fmt_num` of a linear one.
pub(super) fn value_label(t: f64, log: bool) -> String {
    match decade(t, log) {
        Some(d) => decade_label(d),
        None if log => short_num(10f64.powf(t)),
        None => fmt_num(t),
    }
}

/// The decade a log tick is on, if it is on one.
fn decade(t: f64, log: bool) -> Option<i32> {
    let d = t.round();
    (log && (t - d).abs() <= 1e-9).then_some(d as i32)
}

fn decade_label(d: i32) -> String {
    match d {
        0 => "1".into(),
        1 => "10".into(),
        2 => "100".into(),
        -1 => "0.1".into(),
        _ => format!("1e{d}"),
    }
}

/// `v` to `digits` significant digits, trailing zeros dropped: plain from 1e-3 to 1e5,
/// `3.35e-5` outside.
fn sig_num(v: f64, digits: usize) -> String {
    if v == 0.0 || !v.is_finite() {
        return fmt_num(v);
    }
    let a = v.abs();
    // The magnitude after rounding to `digits` (9.96 to two digits is 10).
    let rounded: f64 = format!("{:.*e}", digits - 1, v).parse().unwrap_or(v);
    let mag = rounded.abs().log10().floor() as i32;
    if (1e-3..1e5).contains(&a) {
        let decimals = (digits as i32 - 1 - mag).max(0) as usize;
        trim(format!("{v:.decimals$}"))
    } else {
        let s = format!("{:.*e}", digits - 1, v);
        match s.split_once('e') {
            Some((mantissa, exp)) => format!("{}e{exp}", trim(mantissa.to_string())),
            None => s,
        }
    }
}

/// Trailing zeros after a decimal point dropped, and the point if nothing follows it.
fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
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
