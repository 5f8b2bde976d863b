//! Throughput of ResNet-18 training and evaluation: images per second on
//! synthetic 32×32 input, CIFAR stem, 10 classes, median over repetitions; optionally where
//! the time goes per layer type and phase ([`super::profile`]), and the CPU it ran on.

use super::profile::{self, LayerTime, Phase};
use super::{Mode, ResNet, ResNetConfig, Sgd, Stem};
use ndarray::Array4;
use rand::RngExt;
use rand_distr::StandardNormal;
use serde::Serialize;
use std::time::Instant;

/// One measurement, in the JSON shape of `bench resnet`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ResnetThroughput {
    pub width: usize,
    pub batch: usize,
    /// Forward, loss, backward and one SGD step.
    pub train_images_per_s: f64,
    /// Eval-mode forward.
    pub eval_images_per_s: f64,
}

/// Where a step's time went: seconds per step for every (layer type, phase), training
/// and evaluation, with the measured step time the entries add up to (minus glue).
#[derive(Clone, Debug, PartialEq)]
pub struct ResnetProfile {
    pub width: usize,
    pub batch: usize,
    pub train_step_s: f64,
    pub train: Vec<LayerTime>,
    pub eval_step_s: f64,
    pub eval: Vec<LayerTime>,
}

/// The CPU the numbers were measured on: its model name and the widest SIMD level the
/// kernels (ours through pulp, matrixmultiply's; both dispatch at run time) use on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CpuInfo {
    pub model: String,
    pub simd: &'static str,
    pub threads: usize,
}

/// This machine's [`CpuInfo`]; `threads` is rayon's pool size (`RAYON_NUM_THREADS`).
pub fn cpu_info() -> CpuInfo {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    CpuInfo {
        model,
        simd: simd_level(),
        threads: rayon::current_num_threads(),
    }
}

#[cfg(target_arch = "x86_64")]
fn simd_level() -> &'static str {
    if std::arch::is_x86_feature_detected!("avx512f") {
        "AVX-512"
    } else if std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma")
    {
        "AVX2+FMA"
    } else if std::arch::is_x86_feature_detected!("avx") {
        "AVX"
    } else {
        "SSE2"
    }
}

#[cfg(target_arch = "aarch64")]
fn simd_level() -> &'static str {
    "NEON"
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn simd_level() -> &'static str {
    "scalar"
}

/// Per-step seconds of the entries accumulated over `steps` steps.
fn per_step(steps: usize) -> Vec<LayerTime> {
    let mut v = profile::entries();
    v.iter_mut().for_each(|e| e.seconds /= steps as f64);
    v
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
    run(width, batch, reps, false).0
}

/// [`bench_resnet`] with the time of every step charged to layer types and phases (the
/// optimiser step included); the profile is the mean over the timed steps.
pub fn bench_resnet_profiled(
    width: usize,
    batch: usize,
    reps: usize,
) -> (ResnetThroughput, ResnetProfile) {
    let (t, p) = run(width, batch, reps, true);
    (t, p.expect("profiled"))
}

fn run(
    width: usize,
    batch: usize,
    reps: usize,
    with_profile: bool,
) -> (ResnetThroughput, Option<ResnetProfile>) {
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
    if with_profile {
        profile::reset();
    }
    let mut train = Vec::with_capacity(reps);
    let mut train_s = 0.0;
    for i in 0..=reps {
        // The warm-up step is neither timed nor profiled.
        profile::set_enabled(with_profile && i > 0);
        let t = Instant::now();
        net.forward_backward(x.view(), &targets);
        let step = profile::scope("optimiser (sgd)", Phase::Step);
        sgd.step(&mut net);
        drop(step);
        if i > 0 {
            let s = t.elapsed().as_secs_f64();
            train_s += s;
            train.push(batch as f64 / s);
        }
    }
    let train_profile = per_step(reps);
    profile::set_enabled(false);
    if with_profile {
        profile::reset();
    }
    let mut eval = Vec::with_capacity(reps);
    let mut eval_s = 0.0;
    for i in 0..=reps {
        profile::set_enabled(with_profile && i > 0);
        let t = Instant::now();
        net.forward(x.view(), Mode::Eval);
        if i > 0 {
            let s = t.elapsed().as_secs_f64();
            eval_s += s;
            eval.push(batch as f64 / s);
        }
    }
    let eval_profile = per_step(reps);
    profile::set_enabled(false);
    if with_profile {
        profile::reset();
    }
    let throughput = ResnetThroughput {
        width,
        batch,
        train_images_per_s: median(train),
        eval_images_per_s: median(eval),
    };
    let prof = with_profile.then(|| ResnetProfile {
        width,
        batch,
        train_step_s: train_s / reps as f64,
        train: train_profile,
        eval_step_s: eval_s / reps as f64,
        eval: eval_profile,
    });
    (throughput, prof)
}
