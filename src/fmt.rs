//! Number formatting, in one place: compact numbers for parameters and tables, short ones
//! for chart ticks and readouts, full precision for CSV, thousands separators for counts.
//! A leaf module: it uses nothing of the app.

/// Format a number compactly: `1`, `0.05`, `1.25`, `5e-4`, `3.2e6`; `nan`, `inf`, `-inf`.
pub fn fmt_num(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return "0".into();
    }
    let a = x.abs();
    if (1e-3..1e6).contains(&a) {
        // Six significant digits, trailing zeros dropped.
        let decimals = (5 - a.log10().floor() as i32).max(0) as usize;
        let s = format!("{x:.decimals$}");
        return if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        };
    }
    let s = format!("{:.3e}", x);
    // 5.000e-4 -> 5e-4
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
            format!("{mantissa}e{exp}")
        }
        None => s,
    }
}

/// A number in at most about six characters: three significant digits, or an exponent.
pub fn short_num(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && a.is_finite() && !(1e-2..1e4).contains(&a) {
        let s = format!("{v:.1e}");
        return s.replace(".0e", "e");
    }
    if a == 0.0 || !a.is_finite() {
        return fmt_num(v);
    }
    let mag = a.log10().floor() as i32;
    let p = 10f64.powi(2 - mag);
    fmt_num((v * p).round() / p)
}

/// A number for CSV: `nan`, `inf`, `-inf` for non-finite values; full precision otherwise.
pub fn csv_num(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        format!("{x}")
    }
}

/// `11,173,962`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A UTC time as `YYYYMMDD-HHMMSS`, for file names (days to civil dates after Howard
/// Hinnant's algorithm).
pub fn utc_stamp(unix_seconds: u64) -> String {
    let (days, secs) = (unix_seconds / 86_400, unix_seconds % 86_400);
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

/// A remaining time: `4s`, `1m05s`, `2h03m` (the status bar's and stderr progress's ETA).
pub fn eta(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    }
}

/// Text cut to at most `max` characters, with `…` where it was cut: for echoing a user's
/// value or a long list in a one-line message.
pub fn clip_text(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let kept: String = s.chars().take(max.saturating_sub(1)).collect();
    format!("{kept}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_format_compactly() {
        assert_eq!(fmt_num(1.0), "1");
        assert_eq!(fmt_num(0.05), "0.05");
        assert_eq!(fmt_num(5e-4), "5e-4");
        assert_eq!(fmt_num(1.1), "1.1");
        assert_eq!(fmt_num(f64::NAN), "nan");
        assert_eq!(fmt_num(-f64::INFINITY), "-inf");
        assert_eq!(fmt_num(123456.0), "123456");
        assert_eq!(fmt_num(2.5e7), "2.5e7");
    }

    #[test]
    fn short_csv_and_thousands() {
        assert_eq!(short_num(-30.1825), "-30.2");
        assert_eq!(short_num(0.0031), "3.1e-3");
        assert_eq!(short_num(123456.0), "1.2e5");
        assert_eq!(csv_num(f64::NEG_INFINITY), "-inf");
        assert_eq!(csv_num(0.1), "0.1");
        assert_eq!(thousands(11173962), "11,173,962");
        assert_eq!(thousands(12), "12");
        assert_eq!(utc_stamp(0), "19700101-000000");
        assert_eq!(utc_stamp(1_795_772_415), "20261127-094015");
        assert_eq!(utc_stamp(951_782_400), "20000229-000000");
    }
}
