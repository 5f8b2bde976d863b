//! Batch-norm running statistics follow PyTorch's rule in train mode and stay put in eval
//! mode: `running_mean ← 0.9·running_mean + 0.1·mean`, `running_var ← 0.9·running_var +
//! 0.1·var·n/(n−1)` (unbiased), `num_batches_tracked += 1`; the output itself is
//! normalised with the biased variance.

#![allow(clippy::unwrap_used)]

use gradscope::testing::nn::{BatchNorm2d, Layer, Mode, Tensor};
use ndarray::Array4;

fn input() -> Tensor<f32> {
    // Channel c: values 2c + 0.5·sin(i), distinct per channel and far from zero mean.
    Array4::from_shape_fn([2, 3, 2, 2], |(c, n, h, w)| {
        let i = (n * 4 + h * 2 + w) as f32;
        2.0 * c as f32 + 1.0 + 0.5 * (i * 1.3).sin()
    })
}

fn channel(x: &Tensor<f32>, c: usize) -> Vec<f64> {
    x.index_axis(ndarray::Axis(0), c)
        .iter()
        .map(|&v| f64::from(v))
        .collect()
}

#[test]
fn train_mode_updates_running_stats_with_pytorchs_rule() {
    let mut bn = BatchNorm2d::<f32>::new(2);
    bn.running_mean = vec![0.5, -1.0];
    bn.running_var = vec![2.0, 0.25];
    bn.num_batches_tracked = 7;
    bn.weight.value_mut().copy_from_slice(&[1.5, 0.5]);
    bn.bias.value_mut().copy_from_slice(&[0.1, -0.3]);
    let x = input();
    let y = bn.forward(&x, Mode::Train).clone();
    assert_eq!(bn.num_batches_tracked, 8);
    let (old_mean, old_var) = ([0.5, -1.0], [2.0, 0.25]);
    for c in 0..2 {
        let v = channel(&x, c);
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let biased = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        let unbiased = biased * n / (n - 1.0);
        let rm = 0.9 * old_mean[c] + 0.1 * mean;
        let rv = 0.9 * old_var[c] + 0.1 * unbiased;
        assert!(
            (f64::from(bn.running_mean[c]) - rm).abs() < 1e-6,
            "running_mean[{c}]"
        );
        assert!(
            (f64::from(bn.running_var[c]) - rv).abs() < 1e-6,
            "running_var[{c}]"
        );
        // The output uses the biased variance and eps = 1e-5.
        let (g, b) = ([1.5, 0.5][c], [0.1, -0.3][c]);
        for (yv, xv) in channel(&y, c).iter().zip(&v) {
            let expect = (xv - mean) / (biased + 1e-5).sqrt() * g + b;
            assert!((yv - expect).abs() < 1e-5, "output of channel {c}");
        }
    }
    // A second training step on a shifted batch moves them again by the same rule.
    let before = bn.running_mean.clone();
    let x2 = x.mapv(|v| v + 1.0);
    bn.forward(&x2, Mode::Train);
    assert_eq!(bn.num_batches_tracked, 9);
    for (c, &old) in before.iter().enumerate() {
        let v = channel(&x2, c);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let expect = 0.9 * f64::from(old) + 0.1 * mean;
        assert!((f64::from(bn.running_mean[c]) - expect).abs() < 1e-6);
    }
}

#[test]
fn eval_mode_uses_and_keeps_running_stats() {
    let mut bn = BatchNorm2d::<f32>::new(2);
    bn.running_mean = vec![0.5, 3.0];
    bn.running_var = vec![2.0, 0.25];
    bn.num_batches_tracked = 3;
    bn.weight.value_mut().copy_from_slice(&[2.0, 1.0]);
    bn.bias.value_mut().copy_from_slice(&[0.0, 1.0]);
    let x = input();
    let y = bn.forward(&x, Mode::Eval).clone();
    assert_eq!(bn.running_mean, vec![0.5, 3.0]);
    assert_eq!(bn.running_var, vec![2.0, 0.25]);
    assert_eq!(bn.num_batches_tracked, 3);
    for c in 0..2 {
        let (rm, rv, g, b) = ([0.5, 3.0][c], [2.0, 0.25][c], [2.0, 1.0][c], [0.0, 1.0][c]);
        for (yv, xv) in channel(&y, c).iter().zip(channel(&x, c)) {
            let expect = (xv - rm) / (rv + 1e-5f64).sqrt() * g + b;
            assert!((yv - expect).abs() < 1e-5, "eval output of channel {c}");
        }
    }
}
