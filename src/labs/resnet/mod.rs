//! resnet — a ResNet-18 trained live: train and validation loss and accuracy, validation in
//! eval mode beside the same pass in train mode, the gradient norm of every layer over time,
//! and per optimiser group the weight norm and the effective learning rate — weight decay's
//! groups and batch norm's effective learning rate on a real network.
//!
//! One step is one SGD step on a batch (f32, the nn engine: the one lab that does not compute
//! in f64; see ARCHITECTURE.md, "Layers"). The validation images are a fixed subset of the
//! validation split, evaluated every [`run::VAL_EVERY`] steps so the run's cost stays bounded. `lr`,
//! `momentum`, `wd` and `wd_on_bn_bias` apply live (they only change the optimiser's groups);
//! anything that needs a new model or data stream restarts the run.

mod explain;
mod run;

use super::{Lab, LabAction, LabDescriptor, LabFns, Lesson, MapPreset, Preset};
use crate::nn::data::cifar;
use crate::nn::resnet::footprint::{MEMORY_BUDGET, train_bytes};
use crate::nn::{BnOrder, ResNetConfig};
use crate::params::{ParamError, lab_config};
use crate::report::Report;
use run::Run;
use strum::VariantNames;

pub use explain::EXPLAIN;

/// Where the images come from. The first variant is the default.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, strum::EnumString, strum::VariantNames, strum::IntoStaticStr,
)]
#[strum(serialize_all = "lowercase")]
pub enum DataChoice {
    /// The built-in procedural images (nothing to download).
    Synthetic,
    /// CIFAR-10's binary files in `cifar_dir`.
    Cifar10,
}

lab_config! {
    /// The resnet lab's parameters.
    pub struct Config {
        width: usize = int(16, 1, 64, "channels of the stem; the stages have 1, 2, 4 and 8 times as many (torchvision: 64)"),
        batch: usize = int(32, 2, 256, "images per SGD step"),
        lr: f64 = log(0.1, 1e-4, 1.0, "learning rate η (PyTorch SGD: buf = α·buf + g + λw, w ← w − η·buf)").live(),
        momentum: f64 = float(0.9, 0.0, 0.99, 0.05, "momentum α").live(),
        wd: f64 = float(5e-4, 0.0, 0.01, 1e-4, "weight decay λ, on conv and linear weights (the 'rest' group)").live(),
        wd_on_bn_bias: bool = flag(false, "decay batch-norm γ, β and the biases too").live(),
        bn_order: BnOrder = choice(&BnOrder::NAMES, "batch norm before the ReLU (the original ResNet, PyTorch) or after it"),
        skip: bool = flag(true, "skip connections; false: a plain 18-layer network"),
        data: DataChoice = choice(DataChoice::VARIANTS, "built-in procedural images, or CIFAR-10 from cifar_dir"),
        cifar_dir: String = path("directory with CIFAR-10's data_batch_1.bin … data_batch_5.bin and test_batch.bin"),
    }
}

impl Config {
    /// The network the parameters describe.
    pub fn model(&self) -> ResNetConfig {
        ResNetConfig {
            width: self.width,
            bn_order: self.bn_order,
            skip: self.skip,
            ..ResNetConfig::default()
        }
    }
}

const PRESETS: &[Preset] = &[
    Preset {
        name: "pytorch-order",
        help: "conv → BN → ReLU, the original ResNet's order and torchvision's (the defaults)",
        sets: &[("bn_order", "conv-bn-relu")],
        pace: None,
    },
    Preset {
        name: "bn-after-relu",
        help: "conv → ReLU → BN: the other order; neither is better everywhere — compare",
        sets: &[("bn_order", "conv-relu-bn")],
        pace: None,
    },
    Preset {
        name: "no-skips",
        help: "a plain 18-layer network: BN keeps its gradient strip level; compare how fast it learns",
        sets: &[("skip", "false")],
        pace: None,
    },
    Preset {
        name: "decay-everything",
        help: "weight decay on BN γ, β and biases too (grouping by name gone wrong)",
        sets: &[("wd_on_bn_bias", "true")],
        pace: None,
    },
    Preset {
        name: "no-decay",
        help: "λ = 0: the scale-invariant conv weights grow, their effective lr η/‖w‖² falls",
        sets: &[("wd", "0")],
        pace: None,
    },
];

/// The default run: 400 SGD steps of batch 32 (12,800 images, a quarter of an epoch).
pub const DEFAULT_STEPS: u64 = 400;

/// The claims counted over seeds by `S` and `run --seeds`.
const LESSONS: &[Lesson] = &[Lesson {
    label: "val acc ≥ 80%",
    key: "val_acc_final",
    pass: |a| a >= 0.8,
}];

/// None: one run trains for minutes, so a map of them is a cluster's job (`--shard`).
#[rustfmt::skip]
const MAPS: &[MapPreset] = &[];

pub static DESCRIPTOR: LabDescriptor = LabDescriptor {
    name: "resnet",
    title: "ResNet-18 trainer",
    specs: SPECS,
    explain: EXPLAIN,
    sweep_metric: "val_acc_final",
    sweep_steps: None,
    default_steps: DEFAULT_STEPS,
    // About what a step costs at width 16 on two cores: the natural pace is as fast as
    // training goes (`+` cannot make the CPU faster, `-` slows it down to watch).
    steps_per_second: 10.0,
    presets: PRESETS,
    maps: MAPS,
    lessons: LESSONS,
    actions: &[] as &[LabAction],
    fns: LabFns::of::<ResnetLab>(),
};

/// The resnet lab's run: the network in training and its records.
pub struct ResnetLab {
    run: Run,
}

impl Lab for ResnetLab {
    type Config = Config;

    /// `cifar_dir` only matters with `data=cifar10`.
    fn inactive(c: &Config) -> Vec<&'static str> {
        if c.data == DataChoice::Cifar10 {
            Vec::new()
        } else {
            vec!["cifar_dir"]
        }
    }

    /// Cheap: the memory the run would need, and with CIFAR-10 that its files are there with
    /// a whole number of records (their sizes, without reading them).
    fn validate(c: &Config) -> Result<(), ParamError> {
        let model = c.model();
        let batch = c.batch;
        let need = train_bytes(&model, [batch, 3, 32, 32]);
        if need > u128::from(MEMORY_BUDGET) {
            return Err(ParamError(format!(
                "lab resnet: width {} at batch {batch} needs about {:.1} GiB, more than the {} GiB budget",
                model.width,
                need as f64 / f64::from(1u32 << 30),
                MEMORY_BUDGET >> 30
            )));
        }
        if c.data == DataChoice::Cifar10 {
            if c.cifar_dir.is_empty() {
                return Err(ParamError(
                    "lab resnet: data=cifar10 needs cifar_dir (the directory of data_batch_1.bin … test_batch.bin)".into(),
                ));
            }
            cifar::check_dir(std::path::Path::new(&c.cifar_dir))
                .map_err(|e| ParamError(format!("lab resnet: {e}")))?;
        }
        Ok(())
    }

    fn reset(c: &Config, seed: u64) -> Result<ResnetLab, ParamError> {
        Ok(ResnetLab {
            run: Run::start(c, seed)?,
        })
    }

    fn step(&mut self, c: &Config, _step: u64) {
        self.run.step(c);
    }

    /// A diverged run stops: a network of NaN has nothing left to show.
    fn done(&self) -> bool {
        self.run.diverged()
    }

    fn report(&self, _config: &Config, r: &mut Report) {
        self.run.write_into(r);
    }
}
