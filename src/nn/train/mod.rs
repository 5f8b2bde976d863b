//! Training a ResNet-18 on a [`Data`](super::data::Data) set: the one training loop behind the
//! `resnet` lab and `gradscope resnet train`. A [`Trainer`] owns the model, the SGD optimiser
//! (groups by module type, [`ParamGroup`](super::ParamGroup)) and the batch loader;
//! [`Trainer::step`] is one optimisation step, [`Trainer::evaluate`] a pass over validation
//! images in either mode.
//!
//! Evaluating in train mode is the classic `model.eval()` omission made on purpose, to show
//! it: each batch is normalised with its own statistics and, as in PyTorch, the forward pass
//! would update the running statistics — so they are snapshotted and restored around the
//! pass, and the model trains on unchanged.

pub mod metrics;
pub mod resume;

use super::data::{ImageSet, Loader};
use super::{BufferRef, CrossEntropy, Mode, Module, ResNet, ResNetConfig, Sgd};
use crate::clock::Stopwatch;
use ndarray::Array4;

/// What to train and how.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    pub model: ResNetConfig,
    pub batch: usize,
    pub lr: f64,
    pub momentum: f64,
    pub wd: f64,
    pub wd_on_bn_bias: bool,
    /// Random crop (4 pixels of padding) and horizontal flip of training images.
    pub augment: bool,
    /// Initialisation, shuffling and augmentation (the synthetic images come from the data).
    pub seed: u64,
}

impl Default for Settings {
    /// The trainer's defaults (the `resnet` lab's): width 16, batch 32, lr 0.1, momentum 0.9,
    /// weight decay 5e-4 on conv and linear weights.
    fn default() -> Self {
        Self {
            model: ResNetConfig::default(),
            batch: 32,
            lr: 0.1,
            momentum: 0.9,
            wd: 5e-4,
            wd_on_bn_bias: false,
            augment: false,
            seed: 0,
        }
    }
}

/// One optimisation step's results.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepStats {
    /// Mean cross-entropy of the batch (before the update).
    pub loss: f64,
    /// Fraction of the batch classified right (before the update).
    pub acc: f64,
    /// Wall time of the step: loading the batch, forward, backward and update.
    pub seconds: f64,
}

/// Loss and accuracy over a set of images.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    pub loss: f64,
    pub acc: f64,
    pub images: usize,
}

/// The batch-norm buffers (running statistics and counters) of a model, as saved by
/// [`snapshot_buffers`].
#[derive(Clone, Debug, PartialEq)]
pub struct BufferSnapshot {
    floats: Vec<Vec<f32>>,
    counts: Vec<i64>,
}

/// A copy of every buffer of `model`.
pub fn snapshot_buffers(model: &mut dyn Module<f32>) -> BufferSnapshot {
    let mut s = BufferSnapshot {
        floats: Vec::new(),
        counts: Vec::new(),
    };
    model.visit_buffers("", &mut |_, b| match b {
        BufferRef::Float(v) => s.floats.push(v.to_vec()),
        BufferRef::Count(c) => s.counts.push(*c),
    });
    s
}

/// Put back buffers saved by [`snapshot_buffers`] from the same model.
pub fn restore_buffers(model: &mut dyn Module<f32>, snapshot: &BufferSnapshot) {
    let (mut floats, mut counts) = (snapshot.floats.iter(), snapshot.counts.iter());
    model.visit_buffers("", &mut |_, b| match b {
        BufferRef::Float(v) => {
            if let Some(src) = floats.next() {
                v.copy_from_slice(src);
            }
        }
        BufferRef::Count(c) => {
            if let Some(src) = counts.next() {
                *c = *src;
            }
        }
    });
}

/// A model, its optimiser and its data stream, at some step.
pub struct Trainer {
    settings: Settings,
    pub net: ResNet<f32>,
    pub sgd: Sgd<f32>,
    loader: Loader,
    step: u64,
    loss: CrossEntropy<f32>,
    x: Array4<f32>,
    labels: Vec<usize>,
    /// Images trained on and the seconds it took, since construction.
    images: u64,
    seconds: f64,
}

impl Trainer {
    /// A freshly initialised model (torchvision's init from `settings.seed`) at step 0.
    pub fn new(settings: Settings) -> Self {
        let net = ResNet::new(settings.model, settings.seed);
        Self::with_model(settings, net, 0)
    }

    /// Train `net` from `step` on (a resumed run; restore the optimiser with
    /// [`Sgd::restore`]).
    pub fn with_model(settings: Settings, net: ResNet<f32>, step: u64) -> Self {
        assert_eq!(
            *net.config(),
            settings.model,
            "the model is the one configured"
        );
        let s = settings;
        Self {
            settings,
            net,
            sgd: Sgd::new(s.lr, s.momentum, s.wd, s.wd_on_bn_bias),
            loader: Loader::new(s.seed, s.batch, s.augment),
            step,
            loss: CrossEntropy::new(),
            x: Array4::zeros((0, 3, 0, 0)),
            labels: Vec::new(),
            images: 0,
            seconds: 0.0,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Optimisation steps taken (counting those before a resume).
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// Change the optimiser's hyperparameters between steps (the momentum buffers stay).
    pub fn set_hyperparameters(&mut self, lr: f64, momentum: f64, wd: f64, wd_on_bn_bias: bool) {
        self.settings.lr = lr;
        self.settings.momentum = momentum;
        self.settings.wd = wd;
        self.settings.wd_on_bn_bias = wd_on_bn_bias;
        let fresh = Sgd::<f32>::new(lr, momentum, wd, wd_on_bn_bias);
        self.sgd.groups = fresh.groups;
    }

    /// Training images per second over every step this trainer took.
    pub fn images_per_s(&self) -> f64 {
        if self.seconds > 0.0 {
            self.images as f64 / self.seconds
        } else {
            f64::NAN
        }
    }

    /// One optimisation step on the next training batch.
    pub fn step(&mut self, train: &ImageSet) -> StepStats {
        let watch = Stopwatch::start();
        self.loader
            .load(train, self.step, &mut self.x, &mut self.labels);
        let out = self.net.forward_backward(self.x.view(), &self.labels);
        self.sgd.step(&mut self.net);
        self.step += 1;
        let seconds = watch.seconds();
        self.images += self.labels.len() as u64;
        self.seconds += seconds;
        StepStats {
            loss: out.loss,
            acc: out.correct as f64 / self.labels.len() as f64,
            seconds,
        }
    }

    /// Loss and accuracy over the first `count` images of `set`, in batches of the training
    /// batch size, in `mode`. In train mode every batch is normalised with its own statistics;
    /// the running statistics are restored afterwards, so the model is unchanged.
    pub fn evaluate(&mut self, set: &ImageSet, count: usize, mode: Mode) -> Evaluation {
        let count = count.min(set.len());
        let saved = (mode == Mode::Train).then(|| snapshot_buffers(&mut self.net));
        let (mut loss, mut correct) = (0.0, 0);
        let mut x = Array4::zeros((0, 3, 0, 0));
        let mut labels = Vec::new();
        let indices: Vec<usize> = (0..count).collect();
        for chunk in indices.chunks(self.settings.batch) {
            set.batch_into(chunk, None, &mut x, &mut labels);
            let logits = self.net.forward(x.view(), mode);
            let out = self.loss.forward(logits, &labels);
            loss += out.loss * chunk.len() as f64;
            correct += out.correct;
        }
        if let Some(saved) = saved {
            restore_buffers(&mut self.net, &saved);
        }
        Evaluation {
            loss: loss / count.max(1) as f64,
            acc: correct as f64 / count.max(1) as f64,
            images: count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::data::Data;

    fn tiny() -> Settings {
        Settings {
            model: ResNetConfig {
                width: 4,
                ..Default::default()
            },
            batch: 8,
            ..Default::default()
        }
    }

    #[test]
    fn evaluation_in_either_mode_leaves_the_running_statistics_alone() {
        let data = Data::synthetic(0);
        let mut t = Trainer::new(tiny());
        t.step(&data.train);
        let before = snapshot_buffers(&mut t.net);
        let eval = t.evaluate(&data.val, 20, Mode::Eval);
        assert_eq!(snapshot_buffers(&mut t.net), before);
        let train_mode = t.evaluate(&data.val, 20, Mode::Train);
        assert_eq!(
            snapshot_buffers(&mut t.net),
            before,
            "restored after train mode"
        );
        assert_eq!((eval.images, train_mode.images), (20, 20));
        assert_ne!(
            eval.loss, train_mode.loss,
            "the two modes normalise differently"
        );
        // Without the restore the pass would have moved them (PyTorch's train-mode forward).
        let x = Array4::<f32>::ones((4, 3, 32, 32));
        t.net.forward(x.view(), Mode::Train);
        assert_ne!(snapshot_buffers(&mut t.net), before);
    }
}
