//! One run of the resnet lab: the data, the [`Trainer`], and what is recorded along the
//! way (bounded by [`Recorder`]s), written into the report.

use super::{Config, DataChoice};
use crate::nn::data::Data;
use crate::nn::train::metrics::{GroupStats, group_stats, layer_grad_norms};
use crate::nn::train::{Settings, Trainer};
use crate::nn::{Mode, Module, ParamGroup};
use crate::params::ParamError;
use crate::report::{Recorder, Report};
use std::collections::VecDeque;

/// Validation images: the first of the validation split (a fixed set, so every point of the
/// curve is measured on the same images; 20 of each synthetic class).
pub const VAL_IMAGES: usize = 200;
/// Steps between validations. Both passes over [`VAL_IMAGES`] cost about five training
/// steps, so validation adds about a tenth to the run.
pub const VAL_EVERY: u64 = 50;
/// Rows kept of the per-step series (then thinned, see [`Recorder`]).
const CAP: usize = 1000;
/// The most columns of the gradient strip (each the mean over a bin of steps).
pub const STRIP_COLS: usize = 50;
/// Steps whose batch losses make `train_loss_final` and `train_acc_final`.
const FINAL_WINDOW: usize = 20;

const VAL_SERIES: [&str; 4] = [
    "val_loss",
    "val_acc",
    "val_loss_train_mode",
    "val_acc_train_mode",
];

/// A row of the layer table: a stem, a block or the classifier.
struct TableRow {
    name: String,
    channels: usize,
    params: usize,
}

pub struct Run {
    data: Data,
    trainer: Trainer,
    train: Recorder,
    val: Recorder,
    layers: Vec<String>,
    table: Vec<TableRow>,
    groups: GroupStats,
    recent: VecDeque<(f64, f64)>,
    diverged: bool,
}

/// The table row a parameter belongs to: `stem`, `layer2.0`, `fc`.
fn row_of(name: &str) -> String {
    if name.starts_with("layer") {
        name.splitn(3, '.').take(2).collect::<Vec<_>>().join(".")
    } else if name.starts_with("fc") {
        "fc".into()
    } else {
        "stem".into()
    }
}

fn table(trainer: &mut Trainer) -> Vec<TableRow> {
    let mut rows: Vec<TableRow> = Vec::new();
    trainer.net.visit_params("", &mut |p| {
        let name = row_of(p.name);
        if rows.last().is_none_or(|r| r.name != name) {
            rows.push(TableRow {
                name,
                channels: 0,
                params: 0,
            });
        }
        let row = rows.last_mut().expect("pushed above");
        row.params += p.param.len();
        if p.role == crate::nn::ParamRole::Weight && p.kind != crate::nn::ModuleKind::BatchNorm2d {
            // The last conv (or fc) of the row gives its output channels.
            row.channels = p.param.shape()[0];
        }
    });
    rows
}

impl Run {
    pub fn start(c: &Config, seed: u64) -> Result<Run, ParamError> {
        let data = match c.data {
            DataChoice::Synthetic => Data::synthetic(seed),
            DataChoice::Cifar10 => Data::cifar10(std::path::Path::new(&c.cifar_dir))
                .map_err(|e| ParamError(format!("lab resnet: {e}")))?,
        };
        let settings = Settings {
            model: c.model(),
            batch: c.batch,
            lr: c.lr,
            momentum: c.momentum,
            wd: c.wd,
            wd_on_bn_bias: c.wd_on_bn_bias,
            augment: false,
            seed,
        };
        let mut trainer = Trainer::new(settings);
        let layers: Vec<String> = layer_grad_norms(&mut trainer.net)
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        let mut names = vec![
            "train_loss".to_string(),
            "train_acc".into(),
            "train_loss_avg".into(),
            "train_acc_avg".into(),
            "throughput".into(),
        ];
        names.extend(layers.iter().map(|l| format!("grad_norm.{l}")));
        for prefix in ["weight_norm", "eff_lr"] {
            names.extend(ParamGroup::ALL.map(|g| format!("{prefix}.{}", g.name())));
        }
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let groups = group_stats(&mut trainer.net, &trainer.sgd);
        let mut run = Run {
            table: table(&mut trainer),
            data,
            trainer,
            train: Recorder::new(&refs, CAP),
            val: Recorder::new(&VAL_SERIES, CAP),
            layers,
            groups,
            recent: VecDeque::with_capacity(FINAL_WINDOW),
            diverged: false,
        };
        run.validate();
        Ok(run)
    }

    pub fn steps(&self) -> u64 {
        self.trainer.steps()
    }

    pub fn diverged(&self) -> bool {
        self.diverged
    }

    /// Validation loss and accuracy in eval mode and in train mode (the running statistics
    /// restored afterwards), recorded at the current step.
    fn validate(&mut self) {
        let n = VAL_IMAGES.min(self.data.val.len());
        let eval = self.trainer.evaluate(&self.data.val, n, Mode::Eval);
        let train = self.trainer.evaluate(&self.data.val, n, Mode::Train);
        self.val.record(
            self.trainer.steps(),
            &[eval.loss, eval.acc, train.loss, train.acc],
        );
    }

    /// One SGD step with the current (live) hyperparameters, and its records.
    pub fn step(&mut self, c: &Config) {
        let (lr, momentum, wd, decay_all) = (c.lr, c.momentum, c.wd, c.wd_on_bn_bias);
        let s = self.trainer.settings();
        if (s.lr, s.momentum, s.wd, s.wd_on_bn_bias) != (lr, momentum, wd, decay_all) {
            self.trainer
                .set_hyperparameters(lr, momentum, wd, decay_all);
        }
        let stats = self.trainer.step(&self.data.train);
        let grads = layer_grad_norms(&mut self.trainer.net);
        self.groups = group_stats(&mut self.trainer.net, &self.trainer.sgd);
        if self.recent.len() == FINAL_WINDOW {
            self.recent.pop_front();
        }
        self.recent.push_back((stats.loss, stats.acc));
        let batch = self.trainer.settings().batch as f64;
        let mut row = vec![
            stats.loss,
            stats.acc,
            self.recent_mean(|x| x.0),
            self.recent_mean(|x| x.1),
            batch / stats.seconds,
        ];
        row.extend(grads.iter().map(|(_, g)| *g));
        row.extend(self.groups.weight_norm);
        row.extend(self.groups.eff_lr);
        let step = self.trainer.steps();
        self.train.record(step, &row);
        if !stats.loss.is_finite() {
            self.diverged = true;
        }
        if step.is_multiple_of(VAL_EVERY) || self.diverged {
            self.validate();
        }
    }

    /// The mean over the last [`FINAL_WINDOW`] steps of the batch loss or accuracy.
    fn recent_mean(&self, f: fn(&(f64, f64)) -> f64) -> f64 {
        let n = self.recent.len();
        if n == 0 {
            f64::NAN
        } else {
            self.recent.iter().map(f).sum::<f64>() / n as f64
        }
    }

    /// Every series and summary key of the run (see the README's resnet section).
    pub fn write_into(&self, r: &mut Report) {
        self.train.write_into(r);
        let mut v = Report::new(r.lab, r.seed, r.steps, Default::default());
        self.val.write_into(&mut v);
        for (name, values) in v.series {
            let name = if name == "step" {
                "val_step".into()
            } else {
                name
            };
            r.series.insert(name, values);
        }
        // The gradient strip: mean log10 ‖∂L/∂W‖ of every layer (rows, input first) over
        // bins of consecutive recorded steps (columns), column-major — single steps are too
        // noisy to read.
        let steps = r.series("step").to_vec();
        let logs: Vec<Vec<f64>> = self
            .layers
            .iter()
            .map(|l| {
                let g = r.series(&format!("grad_norm.{l}"));
                g.iter().map(|v| v.log10()).collect()
            })
            .collect();
        let bin = steps.len().div_ceil(STRIP_COLS).max(1);
        let mut grid = Vec::new();
        let mut bin_steps = Vec::new();
        for (b, chunk) in steps.chunks(bin).enumerate() {
            let range = b * bin..b * bin + chunk.len();
            for layer in &logs {
                let vals = &layer[range.clone()];
                grid.push(vals.iter().sum::<f64>() / vals.len() as f64);
            }
            bin_steps.push(chunk.last().copied().unwrap_or(f64::NAN));
        }
        let cols = bin_steps.len();
        r.set_series("grad_strip_log10", grid);
        r.set_series("grad_strip_step", bin_steps);
        let last = |name: &str| r.series(name).last().copied().unwrap_or(f64::NAN);
        let summary: Vec<(&str, f64)> = VAL_SERIES
            .iter()
            .map(|&s| (s, last(s)))
            .chain([("val_step", last("val_step"))])
            .collect();
        for (name, value) in summary {
            r.set_summary(&format!("{name}_final"), value);
        }
        r.set_summary("train_loss_final", self.recent_mean(|x| x.0));
        r.set_summary("train_acc_final", self.recent_mean(|x| x.1));
        r.set_summary("images_per_s", self.trainer.images_per_s());
        let s = self.trainer.settings();
        let epoch = (self.steps() * s.batch as u64) as f64 / self.data.train.len() as f64;
        r.set_summary("epoch", epoch);
        r.set_summary("train_images", self.data.train.len() as f64);
        r.set_summary("val_images", VAL_IMAGES.min(self.data.val.len()) as f64);
        r.set_summary("diverged", if self.diverged { 1.0 } else { 0.0 });
        r.set_summary("grad_strip_rows", self.layers.len() as f64);
        r.set_summary("grad_strip_cols", cols as f64);
        r.set_summary("layer_names", self.layers.join(" ").as_str());
        write_groups(r, &self.groups);
        let names: Vec<&str> = self.table.iter().map(|t| t.name.as_str()).collect();
        r.set_summary("table_rows", names.join(" ").as_str());
        let params: Vec<f64> = self.table.iter().map(|t| t.params as f64).collect();
        r.set_summary("params", params.iter().sum::<f64>());
        r.set_summary("table_params", params);
        let channels: Vec<f64> = self.table.iter().map(|t| t.channels as f64).collect();
        r.set_summary("table_channels", channels);
    }
}

fn write_groups(r: &mut Report, g: &GroupStats) {
    for group in ParamGroup::ALL {
        let (i, name) = (group.index(), group.name());
        r.set_summary(&format!("weight_norm_final.{name}"), g.weight_norm[i]);
        r.set_summary(&format!("eff_lr_final.{name}"), g.eff_lr[i]);
        r.set_summary(&format!("weight_decay.{name}"), g.weight_decay[i]);
        r.set_summary(&format!("group_tensors.{name}"), g.tensors[i] as f64);
        r.set_summary(&format!("group_params.{name}"), g.params[i] as f64);
    }
}
