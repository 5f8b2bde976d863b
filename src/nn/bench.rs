//! Throughput of ResNet-18 training and evaluation (DESIGN §8): images per second on
//! synthetic 32×32 input, CIFAR stem, 10 classes, median over repetitions.

use super::{Mode, ResNet, ResNetConfig, Sgd, Stem};
use ndarray::Array4;
use rand::RngExt;
use rand_distr::StandardNormal;
use serde::Serialize;
use std::time::Instant;

/// One measurement, in the JSON shape of `bench resnet` (DESIGN §8).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ResnetThroughput {
    pub width: usize,
    pub batch: usize,
    /// Forward, loss, backward and one SGD step.
    pub train_images_per_s: f64,
    /// Eval-mode forward.
    pub eval_images_per_s: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Median images/s over `reps` timed steps (after one untimed warm-up step of each kind)
/// of a freshly initialised network of this `width` on batches of `batch` images.
pub fn bench_resnet(width: usize, batch: usize, reps: usize) -> ResnetThroughput {
    assert!(width > 0 && batch > 1 && reps > 0);
    let config = ResNetConfig {
        stem: Stem::Cifar,
        width,
        classes: 10,
        ..Default::default()
    };
    let mut net = ResNet::<f32>::new(config, 0);
    let mut rng = crate::rng::rng(0, 0xBE7C);
    let x = Array4::from_shape_simple_fn((batch, 3, 32, 32), || rng.sample(StandardNormal));
    let targets: Vec<usize> = (0..batch).map(|_| rng.random_range(0..10)).collect();
    let mut sgd = Sgd::new(0.01, 0.9, 5e-4, false);
    let mut train = Vec::with_capacity(reps);
    for i in 0..=reps {
        let t = Instant::now();
        net.forward_backward(x.view(), &targets);
        sgd.step(&mut net);
        if i > 0 {
            train.push(batch as f64 / t.elapsed().as_secs_f64());
        }
    }
    let mut eval = Vec::with_capacity(reps);
    for i in 0..=reps {
        let t = Instant::now();
        net.forward(x.view(), Mode::Eval);
        if i > 0 {
            eval.push(batch as f64 / t.elapsed().as_secs_f64());
        }
    }
    ResnetThroughput {
        width,
        batch,
        train_images_per_s: median(train),
        eval_images_per_s: median(eval),
    }
}
