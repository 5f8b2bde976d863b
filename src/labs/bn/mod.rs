//! bn — batch-norm scale invariance, weight decay and the effective learning rate.
//!
//! Model: h = ReLU(BN(W x)) without affine → linear readout → softmax
//! cross-entropy, on a seeded Gaussian mixture with a train/validation split. Two runs in
//! lockstep from the same init on the same minibatches: `wd` (weight decay λ) and `nowd`
//! (λ = 0), both SGD with momentum in PyTorch's semantics. Every row of W is
//! scale-invariant, so ⟨w, ∇l(w)⟩ = 0 and ∇l(cw) = ∇l(w)/c: without decay ‖w‖ only grows
//! and the effective step η/‖w‖² freezes; with decay the rows reach a rotational
//! equilibrium that turns them by √(2ηλ/(1+α)) radians a step.

pub mod data;
mod explain;
pub mod metrics;
pub mod model;
pub mod optim;

use super::{Lab, LabAction, LabDescriptor, LabFns, Lesson, MapAxis, MapPreset, Preset};
use crate::fmt::fmt_num;
use crate::params::{ParamError, lab_config};
use crate::report::{Recorder, Report};
use crate::rng::rng;
use data::{Batches, Examples};
use metrics::{Cumulative, Window};
use model::{Grads, Net, Running, Workspace};
use ndarray::Array2;
use optim::{MomentumSgd, SgdConfig};

lab_config! {
    /// The bn lab's parameters.
    pub struct Config {
        lr: f64 = log(0.1, 1e-4, 2.0, "η, the SGD learning rate (both runs)"),
        wd: f64 = log(5e-4, 1e-5, 0.1, "λ, the weight decay of the wd run (the nowd run has λ = 0)"),
        momentum: f64 = float(0.9, 0.0, 0.99, 0.05, "α, SGD momentum: buf = α·buf + g + λw, w ← w − η·buf"),
        batch: usize = int(32, 2, 512, "minibatch size: BN normalises over it"),
        dim: usize = int(20, 2, 200, "dimension of the inputs x"),
        width: usize = int(64, 1, 512, "units of the batch-normalised layer: the rows of W"),
        classes: usize = int(4, 2, 20, "classes of the synthetic mixture"),
        noise: f64 = float(0.5, 0.0, 5.0, 0.05, "std of the Gaussian noise around each unit-norm class centre"),
    }
}

const PRESETS: &[Preset] = &[
    Preset {
        name: "equilibrium",
        help: "ηλ = 1e-3: the wd run settles in ~(1−α)/(ηλ) = 100 steps at √(2ηλ/(1+α)) = 0.032 rad",
        sets: &[("lr", "0.2"), ("wd", "5e-3"), ("momentum", "0.9")],
        pace: None,
    },
    Preset {
        name: "no-momentum",
        help: "α = 0: plain SGD, the equilibrium angle is √(2ηλ) (and ‖w‖ of nowd never shrinks)",
        sets: &[("lr", "0.2"), ("wd", "5e-3"), ("momentum", "0")],
        pace: None,
    },
    Preset {
        name: "large-weight-decay",
        help: "λ = 0.05: a fast, large rotation (0.10 rad a step) and a small ‖w‖",
        sets: &[("lr", "0.2"), ("wd", "0.05"), ("momentum", "0.9")],
        pace: None,
    },
];

/// The rescale actions of the `x` and `X` keys (×2, ×½).
const DOUBLE: &str = "rescale-up";
const HALVE: &str = "rescale-down";

/// The claims counted over seeds by `S` and `run --seeds`.
const LESSONS: &[Lesson] = &[
    Lesson {
        label: "settled",
        key: "settled_at",
        pass: f64::is_finite,
    },
    Lesson {
        label: "RMS angle within 5% of theory",
        key: "angular_update_rms_ratio",
        pass: |r| (r - 1.0).abs() <= 0.05,
    },
];

/// Its telling maps (`gradscope sweep bn --map NAME`, the TUI's `a`).
#[rustfmt::skip]
const MAPS: &[MapPreset] = &[MapPreset {
        name: "equilibrium",
        teaches: "the wd run's angular update over its theory √(2ηλ/(1+α)): near 1 wherever the run outlasts the ~(1−α)/(ηλ) steps it takes to settle; at ηλ = 1e-6 it has not settled and the ratio is off",
        sets: &[],
        x: MapAxis { param: "lr", from: 0.01, to: 1.0, log: true },
        y: MapAxis { param: "wd", from: 1e-4, to: 0.1, log: true },
        metric: "angular_update_ratio",
        points: 11,
        steps: None,
    }];

pub static DESCRIPTOR: LabDescriptor = LabDescriptor {
    name: "bn",
    title: "BN scale invariance",
    specs: SPECS,
    explain: explain::EXPLAIN,
    sweep_metric: "angular_update_ratio",
    sweep_steps: None,
    default_steps: DEFAULT_STEPS,
    steps_per_second: 1000.0,
    presets: PRESETS,
    maps: MAPS,
    lessons: LESSONS,
    actions: &[
        LabAction {
            key: 'x',
            name: DOUBLE,
            label: "W×2",
            help: "multiply W by 2 in both runs: the loss stays, η/‖w‖² drops 4-fold",
        },
        LabAction {
            key: 'X',
            name: HALVE,
            label: "W×½",
            help: "multiply W by ½ in both runs: the loss stays, η/‖w‖² grows 4-fold",
        },
    ],
    fns: LabFns::of::<BnLab>(),
};

/// The default run length: the default wd run (ηλ = 5e-5, α = 0.9) settles well inside it.
pub const DEFAULT_STEPS: u64 = 20_000;
/// Validation accuracy is measured every this many steps (the series holds the latest).
pub const VAL_EVERY: u64 = 100;
/// The training loss and angular update series are means over this many last steps (single
/// steps are dominated by minibatch noise; the tail means use every step).
pub const WINDOW: usize = 50;
/// Examples of the fixed probe batch (the first of the training set) on which the probe
/// loss and the scale check are computed.
pub const PROBE: usize = 256;
/// "Settled" (the wd run): the first step at which, averaged over 100 steps (against
/// minibatch noise), the angular update is within 10% and the mean row norm within 5% of
/// their means over the last 10% of the run: turning at its final rate on a sphere of its
/// final radius. (Either alone can pass by coincidence while the other still moves.)
const SETTLE_ANGLE: f64 = 0.1;
const SETTLE_NORM: f64 = 0.05;
const SETTLE_BLOCK: u64 = 100;
/// Rows the recorder keeps per series.
const RECORD_CAP: usize = 2000;
/// Samples of the running sums behind the tail means.
const CUMULATIVE_CAP: usize = 1 << 16;
/// The work of a step is about batch·width·(dim + 20): the two matrix products of W with
/// the batch, plus BN, ReLU, the readout and the angles per unit and example. This bounds it
/// so that every step allowed takes under about a millisecond (100·200·(100 + 20) takes
/// 0.7 ms on the 2-core test machine), so a default-length run stays under ~20 s.
pub const MAX_WORK: usize = 2_500_000;

/// The two runs, in report order.
pub const VARIANTS: [&str; 2] = ["wd", "nowd"];
/// The per-step series of each run (`name.V`).
const SERIES: [&str; 6] = [
    "weight_norm",
    "eff_lr",
    "angular_update",
    "train_loss",
    "val_acc",
    "orthogonality",
];

/// One of the two runs.
#[derive(Clone, Debug)]
struct Run {
    wd: f64,
    net: Net,
    sgd: MomentumSgd,
    running: Running,
    grads: Grads,
    ws: Workspace,
    before: Array2<f64>,
    angles: Cumulative,
    /// Squared angles, mean over rows: the equilibrium balances their mean (see the explain
    /// text), so √ of their tail mean is what √(2ηλ/(1+α)) predicts exactly.
    angles2: Cumulative,
    /// The mean row norm, step by step: where it settles is where the equilibrium starts.
    norms: Cumulative,
    /// Recent minibatch losses and angular updates, for the series.
    losses: Window,
    recent_angles: Window,
    val_acc: f64,
    orthogonality: f64,
    orthogonality_max: f64,
}

impl Run {
    fn new(net: Net, wd: f64) -> Self {
        let width = net.width();
        Self {
            wd,
            grads: Grads::zeros_like(&net),
            before: net.w.clone(),
            net,
            sgd: MomentumSgd::default(),
            running: Running::new(width),
            ws: Workspace::default(),
            angles: Cumulative::new(CUMULATIVE_CAP),
            angles2: Cumulative::new(CUMULATIVE_CAP),
            norms: Cumulative::new(CUMULATIVE_CAP),
            losses: Window::new(WINDOW),
            recent_angles: Window::new(WINDOW),
            val_acc: f64::NAN,
            orthogonality: f64::NAN,
            orthogonality_max: 0.0,
        }
    }

    /// One SGD step on the batch (x, y).
    fn step(&mut self, x: &Array2<f64>, y: &[usize], lr: f64, momentum: f64) {
        let loss = self
            .net
            .loss_and_grad(x.view(), y, &mut self.ws, &mut self.grads);
        self.running.update(&self.ws, y.len());
        self.orthogonality = metrics::orthogonality(self.net.w.view(), self.grads.w.view());
        // A diverged run's max is NaN too.
        self.orthogonality_max = metrics::max_nan(self.orthogonality_max, self.orthogonality);
        self.before.assign(&self.net.w);
        let config = SgdConfig {
            lr,
            momentum,
            weight_decay: self.wd,
        };
        self.sgd.step(&mut self.net, &self.grads, config);
        let (angle, square) = metrics::mean_angle(self.before.view(), self.net.w.view());
        self.angles.push(angle);
        self.angles2.push(square);
        self.norms.push(self.weight_norm());
        self.recent_angles.push(angle);
        self.losses.push(loss);
    }

    fn train_loss(&self) -> f64 {
        self.losses.mean()
    }

    fn weight_norm(&self) -> f64 {
        metrics::mean(&metrics::row_norms(self.net.w.view()))
    }

    fn diverged(&self) -> bool {
        !(self.net.w.iter().all(|v| v.is_finite())
            && self.net.v.iter().all(|v| v.is_finite())
            && self.net.b.iter().all(|v| v.is_finite()))
    }

    /// Multiply W (and BN's running statistics with it) by `c`; the momentum buffer is left
    /// as it is, as an in-place `w.mul_(c)` leaves PyTorch's.
    fn rescale(&mut self, c: f64) {
        self.net.w *= c;
        self.running.rescale(c);
    }
}

/// What the last rescale did.
#[derive(Clone, Copy, Debug)]
struct Rescale {
    step: u64,
    factor: f64,
    loss_change: f64,
    eff_lr_ratio: f64,
}

/// The bn lab.
pub struct BnLab {
    /// Steps taken (the runner's count, kept for the records and the rescale readout).
    steps: u64,
    train: Examples,
    val: Examples,
    batches: Batches,
    xb: Array2<f64>,
    yb: Vec<usize>,
    runs: Vec<Run>,
    weight_norm_initial: f64,
    recorder: Recorder,
    rescale: Option<Rescale>,
}

/// √(2ηλ/(1+α)): the equilibrium angular update per step.
pub fn angular_update_theory(lr: f64, wd: f64, momentum: f64) -> f64 {
    (2.0 * lr * wd / (1.0 + momentum)).sqrt()
}

fn check_work(batch: usize, width: usize, dim: usize) -> Result<(), ParamError> {
    let work = batch * width * (dim + 20);
    if work > MAX_WORK {
        return Err(ParamError(format!(
            "lab bn: batch·width·(dim + 20) = {batch}·{width}·{} = {} is more than {} (the work of a step, kept under about a millisecond); lower batch, width or dim",
            dim + 20,
            crate::fmt::thousands(work),
            crate::fmt::thousands(MAX_WORK)
        )));
    }
    Ok(())
}

impl BnLab {
    fn probe_losses(&self) -> Vec<f64> {
        let (x, y) = self.train.head(PROBE);
        self.runs.iter().map(|r| r.net.loss(x, y)).collect()
    }

    fn eff_lrs(&self, lr: f64) -> Vec<f64> {
        self.runs
            .iter()
            .map(|r| metrics::eff_lr(lr, r.net.w.view()))
            .collect()
    }

    fn record(&mut self, lr: f64) {
        let mut row = Vec::with_capacity(SERIES.len() * VARIANTS.len());
        for run in &self.runs {
            row.extend([
                run.weight_norm(),
                metrics::eff_lr(lr, run.net.w.view()),
                run.recent_angles.mean(),
                run.train_loss(),
                run.val_acc,
                run.orthogonality,
            ]);
        }
        self.recorder.record(self.steps, &row);
    }

    fn measure_val(&mut self) {
        let (x, y) = (self.val.x.view(), &self.val.y);
        for run in &mut self.runs {
            run.val_acc = run.net.accuracy(x, y, &run.running);
        }
    }

    fn rescale_all(&mut self, lr: f64, c: f64) -> String {
        let (loss0, eff0) = (self.probe_losses(), self.eff_lrs(lr));
        for run in &mut self.runs {
            run.rescale(c);
        }
        let (loss1, eff1) = (self.probe_losses(), self.eff_lrs(lr));
        let change = loss0
            .iter()
            .zip(&loss1)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, metrics::max_nan);
        self.rescale = Some(Rescale {
            step: self.steps,
            factor: c,
            loss_change: change,
            eff_lr_ratio: eff1[0] / eff0[0],
        });
        // A point at this same step: the charts show the jump even when no step follows (a
        // finished run takes none).
        self.record(lr);
        // The wd run's numbers (nowd's change the same way); the readouts keep both.
        format!(
            "W×{} at step {} (both runs): loss {} → {}, η/‖w‖² {} → {}",
            fmt_num(c),
            self.steps,
            fmt_num(loss0[0]),
            fmt_num(loss1[0]),
            fmt_num(eff0[0]),
            fmt_num(eff1[0])
        )
    }
}

impl Lab for BnLab {
    type Config = Config;

    fn validate(c: &Config) -> Result<(), ParamError> {
        if c.batch > data::N_TRAIN {
            return Err(ParamError(format!(
                "lab bn: batch={} exceeds the {} training examples",
                c.batch,
                data::N_TRAIN
            )));
        }
        check_work(c.batch, c.width, c.dim)
    }

    fn reset(c: &Config, seed: u64) -> Result<BnLab, ParamError> {
        let (train, val) = data::mixture(c.dim, c.classes, c.noise, &mut rng(seed, 0));
        let net = Net::init(c.dim, c.width, c.classes, &mut rng(seed, 1));
        let weight_norm_initial = metrics::mean(&metrics::row_norms(net.w.view()));
        let names: Vec<String> = VARIANTS
            .iter()
            .flat_map(|v| SERIES.iter().map(move |s| format!("{s}.{v}")))
            .collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut lab = BnLab {
            steps: 0,
            batches: Batches::new(train.len(), c.batch, rng(seed, 2)),
            train,
            val,
            xb: Array2::zeros((c.batch, c.dim)),
            yb: Vec::with_capacity(c.batch),
            runs: vec![Run::new(net.clone(), c.wd), Run::new(net, 0.0)],
            weight_norm_initial,
            recorder: Recorder::new(&refs, RECORD_CAP),
            rescale: None,
        };
        lab.measure_val();
        Ok(lab)
    }

    fn step(&mut self, c: &Config, step: u64) {
        let idx = self.batches.next_batch();
        self.train.gather(idx, &mut self.xb, &mut self.yb);
        for run in &mut self.runs {
            run.step(&self.xb, &self.yb, c.lr, c.momentum);
        }
        self.steps = step + 1;
        if self.steps.is_multiple_of(VAL_EVERY) {
            self.measure_val();
        }
        self.record(c.lr);
    }

    fn report(&self, c: &Config, r: &mut Report) {
        self.recorder.write_into(r);
        let theory = angular_update_theory(c.lr, c.wd, c.momentum);
        r.set_summary("angular_update_theory", theory);
        r.set_summary("weight_norm_initial", self.weight_norm_initial);
        let probe = self.probe_losses();
        let eff = self.eff_lrs(c.lr);
        let (vx, vy) = (self.val.x.view(), &self.val.y);
        let mut orth_max = 0.0f64;
        for (i, v) in VARIANTS.iter().enumerate() {
            let Some(run) = self.runs.get(i) else {
                continue;
            };
            let tail = run.angles.tail_mean();
            r.set_summary(&format!("angular_update_tail.{v}"), tail);
            let rms = run.angles2.tail_mean().sqrt();
            r.set_summary(&format!("angular_update_rms_tail.{v}"), rms);
            if i == 0 {
                let pair = [(&run.angles, SETTLE_ANGLE), (&run.norms, SETTLE_NORM)];
                let settled = metrics::settled_at(&pair, SETTLE_BLOCK);
                r.set_summary("settled_at", settled);
                r.set_summary("angular_update_ratio", tail / theory);
                r.set_summary("angular_update_rms_ratio", rms / theory);
            }
            r.set_summary(&format!("weight_norm_final.{v}"), run.weight_norm());
            r.set_summary(&format!("eff_lr_final.{v}"), eff[i]);
            let acc = run.net.accuracy(vx, vy, &run.running);
            r.set_summary(&format!("val_acc_final.{v}"), acc);
            r.set_summary(&format!("train_loss_final.{v}"), run.train_loss());
            r.set_summary(&format!("probe_loss.{v}"), probe[i]);
            let diverged = if run.diverged() { 1.0 } else { 0.0 };
            r.set_summary(&format!("diverged.{v}"), diverged);
            orth_max = metrics::max_nan(orth_max, run.orthogonality_max);
        }
        r.set_summary("orthogonality_max", orth_max);
        let (px, py) = self.train.head(PROBE);
        let check = self
            .runs
            .iter()
            .map(|run| metrics::scale_check(&run.net, px, py))
            .fold(0.0, metrics::max_nan);
        r.set_summary("scale_check", check);
        let tail_start = self
            .runs
            .first()
            .map_or(f64::NAN, |r| r.angles.tail_start() as f64);
        r.set_summary("tail_start", tail_start);
        let rs = self.rescale;
        r.set_summary("rescale_step", rs.map_or(f64::NAN, |s| s.step as f64));
        r.set_summary("rescale_factor", rs.map_or(f64::NAN, |s| s.factor));
        r.set_summary(
            "rescale_loss_change",
            rs.map_or(f64::NAN, |s| s.loss_change),
        );
        r.set_summary(
            "rescale_eff_lr_ratio",
            rs.map_or(f64::NAN, |s| s.eff_lr_ratio),
        );
    }

    /// Multiply W by 2 or ½ in both runs mid-run.
    fn act(&mut self, config: &Config, action: &str) -> Result<String, ParamError> {
        let c = match action {
            DOUBLE => 2.0,
            HALVE => 0.5,
            _ => return Err(ParamError(format!("lab bn has no action '{action}'"))),
        };
        if self.runs.is_empty() {
            return Err(ParamError("lab bn: no run to rescale".into()));
        }
        Ok(self.rescale_all(config.lr, c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::FromParams;

    #[test]
    fn a_diverged_run_is_reported_and_stays_nan_without_a_panic() {
        let c = Config::from_params(&crate::params::ParamSet::new("bn", SPECS)).unwrap();
        let mut lab = BnLab::reset(&c, 0).unwrap();
        for step in 0..5 {
            lab.step(&c, step);
        }
        lab.runs[1].net.v[[0, 0]] = f64::INFINITY;
        for step in 5..10 {
            lab.step(&c, step);
        }
        let mut r = Report::new(crate::labs::LabId::Bn, 0, 10, Default::default());
        lab.report(&c, &mut r);
        assert_eq!(r.num("diverged.nowd"), 1.0);
        assert_eq!(r.num("diverged.wd"), 0.0);
        assert!(r.num("train_loss_final.nowd").is_nan());
        assert!(r.num("angular_update_tail.wd").is_finite());
        assert!(
            r.num("scale_check").is_nan(),
            "NaN is not hidden by the max"
        );
    }
}
