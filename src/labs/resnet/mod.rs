//! resnet — a ResNet-18 trained live: train and validation loss and accuracy, validation in
//! eval mode beside the same pass in train mode, the gradient norm of every layer over time,
//! and per optimiser group the weight norm and the effective learning rate — weight decay's
//! groups and batch norm's effective learning rate on a real network.
//!
//! One step is one SGD step on a batch (f32, the nn engine: the one lab that does not compute
//! in f64; see ARCHITECTURE.md, "Layers"). The validation images are a fixed subset of the
//! validation split, evaluated every [`VAL_EVERY`] steps so the run's cost stays bounded. `lr`,
//! `momentum`, `wd` and `wd_on_bn_bias` apply live (they only change the optimiser's groups);
//! anything that needs a new model or data stream restarts the run.

mod explain;
mod run;

use super::{Lab, LabAction, LabDescriptor, LabId, Lesson, Preset};
use crate::nn::data::cifar;
use crate::nn::resnet::footprint::{MEMORY_BUDGET, train_bytes};
use crate::nn::{BnOrder, ResNetConfig};
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::report::Report;
use run::Run;
use strum::VariantNames;

pub use explain::EXPLAIN;
pub use run::{STRIP_COLS, VAL_EVERY, VAL_IMAGES};

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

#[rustfmt::skip]
pub const SPECS: &[ParamSpec] = &[
    ParamSpec::int("width", 16, 1, 64, "channels of the stem; the stages have 1, 2, 4 and 8 times as many (torchvision: 64)"),
    ParamSpec::int("batch", 32, 2, 256, "images per SGD step"),
    ParamSpec::log("lr", 0.1, 1e-4, 1.0, "learning rate η (PyTorch SGD: buf = α·buf + g + λw, w ← w − η·buf)").live(),
    ParamSpec::float("momentum", 0.9, 0.0, 0.99, 0.05, "momentum α").live(),
    ParamSpec::float("wd", 5e-4, 0.0, 0.01, 1e-4, "weight decay λ, on conv and linear weights (the 'rest' group)").live(),
    ParamSpec::flag("wd_on_bn_bias", false, "decay batch-norm γ, β and the biases too").live(),
    ParamSpec::choice("bn_order", &BnOrder::NAMES, "batch norm before the ReLU (the original ResNet, PyTorch) or after it"),
    ParamSpec::flag("skip", true, "skip connections; false: a plain 18-layer network"),
    ParamSpec::choice("data", DataChoice::VARIANTS, "built-in procedural images, or CIFAR-10 from cifar_dir"),
    ParamSpec::path("cifar_dir", "directory with CIFAR-10's data_batch_1.bin … data_batch_5.bin and test_batch.bin"),
];

const PRESETS: &[Preset] = &[
    Preset {
        name: "pytorch-order",
        help: "conv → BN → ReLU, the original ResNet's order and torchvision's (the defaults)",
        sets: &[("bn_order", "conv-bn-relu")],
    },
    Preset {
        name: "bn-after-relu",
        help: "conv → ReLU → BN: the other order; neither is better everywhere — compare",
        sets: &[("bn_order", "conv-relu-bn")],
    },
    Preset {
        name: "no-skips",
        help: "a plain 18-layer network: BN keeps its gradient strip level; compare how fast it learns",
        sets: &[("skip", "false")],
    },
    Preset {
        name: "decay-everything",
        help: "weight decay on BN γ, β and biases too (grouping by name gone wrong)",
        sets: &[("wd_on_bn_bias", "true")],
    },
    Preset {
        name: "no-decay",
        help: "λ = 0: the scale-invariant conv weights grow, their effective lr η/‖w‖² falls",
        sets: &[("wd", "0")],
    },
];

/// `cifar_dir` only matters with `data=cifar10`.
fn inactive(params: &ParamSet) -> Vec<&'static str> {
    if params.text("data") == <&str>::from(DataChoice::Cifar10) {
        Vec::new()
    } else {
        vec!["cifar_dir"]
    }
}

/// The default run: 400 SGD steps of batch 32 (12,800 images, a quarter of an epoch).
pub const DEFAULT_STEPS: u64 = 400;

/// The claims counted over seeds by `S` and `run --seeds`.
const LESSONS: &[Lesson] = &[Lesson {
    label: "val acc ≥ 80%",
    key: "val_acc_final",
    pass: |a| a >= 0.8,
}];

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
    lessons: LESSONS,
    actions: &[] as &[LabAction],
    inactive,
    create: || Box::new(ResnetLab::new()),
};

/// The resnet lab.
pub struct ResnetLab {
    params: ParamSet,
    seed: u64,
    run: Option<Run>,
}

impl Default for ResnetLab {
    fn default() -> Self {
        Self::new()
    }
}

impl ResnetLab {
    pub fn new() -> Self {
        Self {
            params: ParamSet::new("resnet", SPECS),
            seed: 0,
            run: None,
        }
    }

    /// The network the parameters describe.
    pub fn model(&self) -> Result<ResNetConfig, ParamError> {
        Ok(ResNetConfig {
            width: self.params.usize("width"),
            bn_order: self.params.choice("bn_order")?,
            skip: self.params.flag("skip"),
            ..ResNetConfig::default()
        })
    }
}

impl Lab for ResnetLab {
    fn params(&self) -> &ParamSet {
        &self.params
    }

    fn params_mut(&mut self) -> &mut ParamSet {
        &mut self.params
    }

    /// Cheap: the memory the run would need, and with CIFAR-10 that its files are there with
    /// a whole number of records (their sizes, without reading them).
    fn validate(&self) -> Result<(), ParamError> {
        let model = self.model()?;
        let batch = self.params.usize("batch");
        let need = train_bytes(&model, [batch, 3, 32, 32]);
        if need > u128::from(MEMORY_BUDGET) {
            return Err(ParamError(format!(
                "lab resnet: width {} at batch {batch} needs about {:.1} GiB, more than the {} GiB budget",
                model.width,
                need as f64 / f64::from(1u32 << 30),
                MEMORY_BUDGET >> 30
            )));
        }
        if self.params.choice::<DataChoice>("data")? == DataChoice::Cifar10 {
            let dir = self.params.text("cifar_dir");
            if dir.is_empty() {
                return Err(ParamError(
                    "lab resnet: data=cifar10 needs cifar_dir (the directory of data_batch_1.bin … test_batch.bin)".into(),
                ));
            }
            cifar::check_dir(std::path::Path::new(dir))
                .map_err(|e| ParamError(format!("lab resnet: {e}")))?;
        }
        Ok(())
    }

    fn reset(&mut self, seed: u64) -> Result<(), ParamError> {
        self.validate()?;
        self.seed = seed;
        self.run = None;
        self.run = Some(Run::start(&self.params, self.model()?, seed)?);
        Ok(())
    }

    fn step(&mut self) {
        if let Some(run) = self.run.as_mut() {
            run.step(&self.params);
        }
    }

    /// A diverged run stops: a network of NaN has nothing left to show.
    fn done(&self) -> bool {
        self.run.as_ref().is_some_and(Run::diverged)
    }

    fn report(&self) -> Report {
        let steps = self.run.as_ref().map_or(0, Run::steps);
        let mut r = Report::new(LabId::Resnet, self.seed, steps, self.params.to_map());
        match &self.run {
            Some(run) => run.write_into(&mut r),
            None => run::write_empty(&mut r),
        }
        r
    }
}
