//! exp, the logistic sigmoid and tanh in f64 without branches or libm calls, so a loop of
//! them vectorizes (inside [`super::simd::vectorized`]): the LSTM's gates were a third of the
//! lstm lab's time, most of it in libm's scalar `exp`. Plain multiplies and adds (no fused
//! multiply-add), so every instruction set gives the same bits.

/// e^x to within 2 ulps for x in [−708, 709] (clamped beyond: e^x is then 0 or ∞ to the
/// precision that matters here, and no subnormal is produced); NaN stays NaN.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    const LOG2E: f64 = std::f64::consts::LOG2_E;
    // ln 2 in two parts (fdlibm's): k·LN2_HI is exact for |k| < 2^11.
    const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76);
    // Adding 1.5·2^52 rounds to an integer, which then sits in the low mantissa bits.
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    let x = x.clamp(-708.0, 709.0);
    let t = x * LOG2E + SHIFT;
    let k = t - SHIFT;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // e^r for |r| ≤ ln2/2 by its Taylor series to r^13/13! (truncation below 1e-17).
    const C: [f64; 14] = [
        1.0 / 6_227_020_800.0,
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0,
    ];
    let mut p = C[0];
    for c in &C[1..] {
        p = p * r + c;
    }
    // 2^k: k + 1023 in [1, 2046] into the exponent field (the shift drops SHIFT's bits).
    let scale = f64::from_bits(t.to_bits().wrapping_add(1023) << 52);
    p * scale
}

/// 1 / (1 + e^−x).
#[inline(always)]
pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + exp(-x))
}

/// tanh to within a few ulps: an odd Taylor polynomial near 0 (relative error below 1e-16
/// for |x| < 1/16), `1 − 2/(e^{2|x|} + 1)` beyond (relative error ≲ 4e-15; exactly ±1 past
/// |x| ≈ 19). Both are computed and one is chosen, so a loop of it has no branch.
#[inline(always)]
pub fn tanh(x: f64) -> f64 {
    let a = x.abs();
    let x2 = x * x;
    // x − x³/3 + 2x⁵/15 − 17x⁷/315 + 62x⁹/2835 − 1382x¹¹/155925
    let p = -1382.0 / 155_925.0;
    let p = p * x2 + 62.0 / 2835.0;
    let p = p * x2 - 17.0 / 315.0;
    let p = p * x2 + 2.0 / 15.0;
    let p = p * x2 - 1.0 / 3.0;
    let near = x + x * x2 * p;
    let far = (1.0 - 2.0 / (exp(2.0 * a) + 1.0)).copysign(x);
    if a < 0.0625 { near } else { far }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f64, b: f64) -> f64 {
        ((a - b) / b).abs() / f64::EPSILON
    }

    #[test]
    fn exp_agrees_with_libm_to_two_ulps() {
        let mut worst = 0.0f64;
        for i in -708_000..709_000 {
            let x = f64::from(i) * 1e-3 + 1.234_567e-7;
            worst = worst.max(ulps(exp(x), x.exp()));
        }
        assert!(worst <= 2.0, "{worst} ulps");
        assert_eq!(exp(0.0), 1.0);
        assert!(exp(f64::NAN).is_nan());
        assert!(ulps(exp(f64::NEG_INFINITY), (-708.0f64).exp()) <= 2.0);
        assert!(exp(f64::INFINITY) > 8e307);
    }

    #[test]
    fn sigmoid_and_tanh_agree_with_libm() {
        let (mut ws, mut wt) = (0.0f64, 0.0f64);
        for i in -40_000..=40_000 {
            // Dense near 0 (where tanh's polynomial and formula meet), out to ±25.
            let x = f64::from(i) * 1e-4 * (1.0 + f64::from(i).abs() * 1e-4);
            ws = ws.max(ulps(sigmoid(x), 1.0 / (1.0 + (-x).exp())));
            if x != 0.0 {
                wt = wt.max(ulps(tanh(x), x.tanh()));
            }
        }
        assert!(ws <= 4.0, "sigmoid: {ws} ulps");
        assert!(wt * f64::EPSILON < 5e-15, "tanh: {wt} ulps");
        assert_eq!(tanh(f64::INFINITY), 1.0);
        assert_eq!(tanh(f64::NEG_INFINITY), -1.0);
        assert!(tanh(f64::NAN).is_nan() && sigmoid(f64::NAN).is_nan());
        assert_eq!(tanh(0.0), 0.0);
        assert_eq!(tanh(1e-300), 1e-300);
        // e^x clamps at e^709: a sigmoid far out is a tiny normal number, not 0.
        assert!(sigmoid(-1e4) > 0.0 && sigmoid(-1e4) < 1.3e-308);
        assert_eq!(sigmoid(1e4), 1.0);
    }
}
