//! clip — exploding gradients and clipping, in two views of one run.
//!
//! (1) Pascanu's one-unit cliff ([`cliff`]): the loss over (w, b) as a heatmap, and three
//! SGD trajectories from one start — no clipping, norm clipping, value clipping — each
//! step of the run one step of each. (2) A tanh RNN on the adding problem ([`task`]), the
//! same three variants in lockstep on identical data and init. Both views' data are in
//! every report; the `v` key switches which one the pane shows (a choice of the UI alone).

pub mod cliff;
pub mod task;

use super::{Lab, LabDescriptor, LabFns, Lesson, MapAxis, MapPreset, Preset};
use crate::params::{ParamError, lab_config};
use crate::report::{Recorder, Report};
use crate::rng::{LabRng, rng};
use cliff::{Clipping, Trajectory};
use std::collections::VecDeque;

lab_config! {
    /// The clip lab's parameters.
    pub struct Config {
        hidden: usize = int(16, 2, 128, "H, the RNN's state size"),
        horizon: usize = int(10, 2, 400, "T: the adding problem's length (the RNN's steps)"),
        init_scale: f64 = float(1.8, 0.1, 5.0, 0.1, "‖W_hh‖₂ at init (a Gaussian matrix scaled to it): above 1 gradients can explode"),
        threshold: f64 = log(1.0, 1e-3, 1e3, "τ, in both views: norm clipping rescales g to ‖g‖ = τ, value clipping clamps each component to [−τ, τ]"),
        lr: f64 = log(0.2, 1e-5, 10.0, "SGD step size of the three RNN runs"),
        batch: usize = int(16, 1, 256, "sequences per step (the same batch for every variant)"),
        cliff_horizon: usize = int(30, 2, 400, "T of the one-unit cliff: its wall's gradient grows with it"),
        cliff_lr: f64 = log(0.05, 1e-5, 10.0, "SGD step size of the three cliff paths"),
    }
}

/// The variants, in the order of their series, with their clipping.
pub const VARIANTS: [(&str, Clipping); 3] = [
    ("none", Clipping::None),
    ("norm", Clipping::Norm),
    ("value", Clipping::Value),
];

/// The default run, in steps: at the defaults the norm-clipped RNN needs about this many
/// to learn the adding problem (after 1000 it has in 3 of seeds 0–9, after 2000 in 10).
pub const DEFAULT_STEPS: u64 = 2000;
/// Steps `final_loss` is averaged over.
const TAIL: usize = 20;
/// The work of a longest default run, in units of a step's horizon·batch·hidden·(hidden+2):
/// costlier steps make a shorter default run — about ten seconds at most, and at least
/// RUN_WORK / MAX_WORK = 320 steps.
pub const RUN_WORK: u64 = 8_000_000_000;
/// The most work a step may take: horizon·batch·hidden·(hidden + 2).
pub const MAX_WORK: usize = 25_000_000;

const PRESETS: &[Preset] = &[
    Preset {
        name: "no-clipping-explodes",
        help: "‖W‖₂ = 3: the unclipped RNN diverges in 10 of seeds 0–9; norm clipping learns the adding problem (loss < 1/12) in 10; value clipping stays finite but learns in 1 — its steps are longer than norm's η·τ",
        sets: &[("init_scale", "3")],
        pace: None,
    },
    Preset {
        name: "norm-vs-value",
        help: "‖W‖₂ = 2.5, τ = 0.1: both clip nearly every step; value clipping turns the step (mean cosine ≈ 0.94, norm's is 1) and, its steps ~6× norm's η·τ, learns in 10 of seeds 0–9 to norm's 4",
        sets: &[("init_scale", "2.5"), ("threshold", "0.1")],
        pace: None,
    },
    Preset {
        name: "contractive",
        help: "‖W‖₂ = 0.9: no run diverges and none learns (seeds 0–9); norm clipping engages on 6–12% of steps, value clipping almost never — clipping cannot bring back a fading gradient",
        sets: &[("init_scale", "0.9")],
        pace: None,
    },
];

/// The claims counted over seeds by `S` and `run --seeds`.
const LESSONS: &[Lesson] = &[
    Lesson {
        label: "unclipped diverges",
        key: "diverged.none",
        pass: |d| d == 1.0,
    },
    Lesson {
        label: "norm-clipped learns (< 1/12)",
        key: "final_loss.norm",
        pass: |l| l < 1.0 / 12.0,
    },
    Lesson {
        label: "value-clipped learns",
        key: "final_loss.value",
        pass: |l| l < 1.0 / 12.0,
    },
];

/// Its telling maps (`gradscope sweep clip --map NAME`, the TUI's `a`).
#[rustfmt::skip]
const MAPS: &[MapPreset] = &[MapPreset {
        name: "clipping-matters",
        teaches: "norm clipping's final loss at ‖W‖₂ = 3: with τ = 0.1 it learns below the baseline 1/6 even at lr 1, where a τ of 100 (which never clips) ends above 1 or diverges",
        sets: &[("init_scale", "3")],
        x: MapAxis { param: "threshold", from: 0.01, to: 100.0, log: true },
        y: MapAxis { param: "lr", from: 0.01, to: 1.0, log: true },
        metric: "final_loss.norm",
        points: 21,
        steps: None,
    }];

pub static DESCRIPTOR: LabDescriptor = LabDescriptor {
    name: "clip",
    title: "Exploding gradients and clipping",
    specs: SPECS,
    explain: EXPLAIN,
    sweep_metric: "final_loss.norm",
    sweep_steps: None,
    default_steps: DEFAULT_STEPS,
    steps_per_second: 100.0,
    presets: PRESETS,
    maps: MAPS,
    lessons: LESSONS,
    actions: &[],
    fns: LabFns::of::<ClipLab>(),
};

/// The cost of one step: horizon·batch·hidden·(hidden + 2).
fn work(hidden: usize, horizon: usize, batch: usize) -> usize {
    horizon * batch * hidden * (hidden + task::INPUT)
}

/// The length of a default run with these sizes.
pub fn default_steps(hidden: usize, horizon: usize, batch: usize) -> u64 {
    let work = work(hidden, horizon, batch).max(1) as u64;
    (RUN_WORK / work).min(DEFAULT_STEPS)
}

fn check_work(hidden: usize, horizon: usize, batch: usize) -> Result<(), ParamError> {
    let work = work(hidden, horizon, batch);
    if work > MAX_WORK {
        return Err(ParamError(format!(
            "lab clip: horizon·batch·hidden·(hidden+2) = {} is more than {} (the cost of a step; every run is kept to seconds)",
            crate::fmt::thousands(work),
            crate::fmt::thousands(MAX_WORK)
        )));
    }
    Ok(())
}

/// The clip lab's run: the three RNN learners and the three cliff paths, in lockstep.
pub struct ClipLab {
    learners: Vec<task::ClipLearner>,
    trajectories: Vec<Trajectory>,
    /// The largest distance a cliff trajectory moved in one step.
    max_jump: Vec<f64>,
    /// Whether a cliff trajectory ever left the drawn region.
    left_map: Vec<bool>,
    landscape: Vec<f64>,
    init_norm: f64,
    data: LabRng,
    recorder: Recorder,
    tails: Vec<VecDeque<f64>>,
    /// Sum and count of the finite cosines of each variant's updates with −g.
    cosines: Vec<(f64, u64)>,
}

fn on_map(w: f64, b: f64) -> bool {
    (cliff::W_RANGE.0..=cliff::W_RANGE.1).contains(&w)
        && (cliff::B_RANGE.0..=cliff::B_RANGE.1).contains(&b)
}

impl Lab for ClipLab {
    type Config = Config;

    fn validate(c: &Config) -> Result<(), ParamError> {
        check_work(c.hidden, c.horizon, c.batch)
    }

    fn default_steps(c: &Config) -> Option<u64> {
        Some(default_steps(c.hidden, c.horizon, c.batch))
    }

    fn reset(c: &Config, seed: u64) -> Result<ClipLab, ParamError> {
        let model = task::model(c.hidden, c.init_scale, &mut rng(seed, 0));
        let w = ndarray::ArrayView2::from_shape((c.hidden, c.hidden), model.cell.weight_hh.value())
            .map_err(|e| ParamError(format!("lab clip: {e}")))?;
        let init_norm = crate::linalg::spectral_norm(w).unwrap_or(f64::NAN);
        let learners = VARIANTS
            .iter()
            .map(|(_, v)| task::ClipLearner::new(*v, model.clone(), c.lr))
            .collect();
        let trajectories = VARIANTS
            .iter()
            .map(|(_, v)| Trajectory::new(*v, c.cliff_horizon))
            .collect();
        let names: Vec<String> = [
            "loss",
            "grad_norm",
            "weight_norm",
            "cosine",
            "cliff_w",
            "cliff_b",
            "cliff_loss",
            "cliff_grad_norm",
        ]
        .iter()
        .flat_map(|s| VARIANTS.iter().map(move |(v, _)| format!("{s}.{v}")))
        .collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        Ok(ClipLab {
            learners,
            trajectories,
            max_jump: vec![0.0; VARIANTS.len()],
            left_map: vec![false; VARIANTS.len()],
            landscape: cliff::landscape(c.cliff_horizon),
            init_norm,
            data: rng(seed, 1),
            recorder: Recorder::new(&refs, 2000),
            tails: vec![VecDeque::new(); VARIANTS.len()],
            cosines: vec![(0.0, 0); VARIANTS.len()],
        })
    }

    fn step(&mut self, c: &Config, step: u64) {
        let tau = c.threshold;
        let (x, targets) = task::batch(c.horizon, c.batch, &mut self.data);
        let stats: Vec<task::UpdateStats> = self
            .learners
            .iter_mut()
            .map(|l| l.train(&x, &targets, tau, step))
            .collect();
        let (cliff_lr, cliff_horizon) = (c.cliff_lr, c.cliff_horizon);
        let mut cliff_grads = Vec::with_capacity(VARIANTS.len());
        for (i, t) in self.trajectories.iter_mut().enumerate() {
            let before = (t.w, t.b);
            cliff_grads.push(t.step(cliff_lr, tau, cliff_horizon));
            let jump = (t.w - before.0).hypot(t.b - before.1);
            self.max_jump[i] = cliff::max_keeping_nan(self.max_jump[i], jump);
            self.left_map[i] |= !on_map(t.w, t.b);
        }
        for (c, s) in self.cosines.iter_mut().zip(&stats) {
            if s.cosine.is_finite() {
                *c = (c.0 + s.cosine, c.1 + 1);
            }
        }
        for (tail, s) in self.tails.iter_mut().zip(&stats) {
            tail.push_back(s.loss);
            if tail.len() > TAIL {
                tail.pop_front();
            }
        }
        let mut row: Vec<f64> = Vec::with_capacity(24);
        row.extend(stats.iter().map(|s| s.loss));
        row.extend(stats.iter().map(|s| s.grad_norm));
        row.extend(stats.iter().map(|s| s.weight_norm));
        row.extend(stats.iter().map(|s| s.cosine));
        row.extend(self.trajectories.iter().map(|t| t.w));
        row.extend(self.trajectories.iter().map(|t| t.b));
        row.extend(self.trajectories.iter().map(|t| t.loss));
        row.extend(cliff_grads);
        self.recorder.record(step, &row);
    }

    fn report(&self, c: &Config, r: &mut Report) {
        self.recorder.write_into(r);
        // The cliff paths start at the start point, before any step.
        let start_loss = cliff::loss(cliff::START.0, cliff::START.1, c.cliff_horizon);
        for (v, _) in VARIANTS {
            for (key, start) in [
                ("cliff_w", cliff::START.0),
                ("cliff_b", cliff::START.1),
                ("cliff_loss", start_loss),
            ] {
                let name = format!("{key}.{v}");
                let mut path = vec![start];
                path.extend_from_slice(r.series(&name));
                r.set_series(&name, path);
            }
        }
        // The step after which each path point is reached (0: the start).
        let path_steps: Vec<f64> = std::iter::once(0.0)
            .chain(r.series("step").iter().map(|s| s + 1.0))
            .collect();
        r.set_series("cliff_step", path_steps);
        r.set_series("cliff_log10_loss", self.landscape.clone());
        r.set_series("cliff_w_axis", (0..cliff::COLS).map(cliff::w_at).collect());
        r.set_series("cliff_b_axis", (0..cliff::ROWS).map(cliff::b_at).collect());
        r.set_summary("cliff_cols", cliff::COLS as f64);
        r.set_summary("cliff_rows", cliff::ROWS as f64);
        r.set_summary("cliff_start_w", cliff::START.0);
        r.set_summary("cliff_start_b", cliff::START.1);
        r.set_summary("cliff_target", cliff::TARGET);
        r.set_summary("baseline_loss", task::BASELINE);
        r.set_summary("one_value_loss", task::ONE_VALUE);
        r.set_summary("init_spectral_norm", self.init_norm);
        let frac = |n: u64, of: u64| {
            if of == 0 {
                f64::NAN
            } else {
                n as f64 / of as f64
            }
        };
        for (i, (v, _)) in VARIANTS.iter().enumerate() {
            let l = self.learners.get(i);
            let tail = self.tails.get(i).filter(|t| !t.is_empty());
            let final_loss = tail.map_or(f64::NAN, |t| t.iter().sum::<f64>() / t.len() as f64);
            r.set_summary(&format!("final_loss.{v}"), final_loss);
            r.set_summary(
                &format!("clipped_fraction.{v}"),
                l.map_or(f64::NAN, |l| frac(l.clipped, l.steps)),
            );
            let diverged_at = l.and_then(|l| l.diverged_at);
            r.set_summary(
                &format!("diverged.{v}"),
                f64::from(u8::from(diverged_at.is_some())),
            );
            r.set_summary(
                &format!("diverged_at.{v}"),
                diverged_at.map_or(f64::NAN, |s| s as f64),
            );
            let (sum, n) = self.cosines.get(i).copied().unwrap_or((0.0, 0));
            r.set_summary(
                &format!("mean_cosine.{v}"),
                if n == 0 { f64::NAN } else { sum / n as f64 },
            );
            let (steps_sum, n_steps) = l.map_or((0.0, 0), |l| l.step_sum);
            r.set_summary(
                &format!("mean_step.{v}"),
                if n_steps == 0 {
                    f64::NAN
                } else {
                    steps_sum / n_steps as f64
                },
            );
            r.set_summary(
                &format!("max_grad_norm.{v}"),
                l.filter(|l| l.steps > 0)
                    .map_or(f64::NAN, |l| l.max_grad_norm),
            );
            if let Some(t) = self.trajectories.get(i) {
                r.set_summary(&format!("cliff_final_loss.{v}"), t.loss);
                r.set_summary(
                    &format!("cliff_max_grad_norm.{v}"),
                    if t.steps > 0 {
                        t.max_grad_norm
                    } else {
                        f64::NAN
                    },
                );
                r.set_summary(
                    &format!("cliff_clipped_fraction.{v}"),
                    frac(t.clipped, t.steps),
                );
                r.set_summary(&format!("cliff_max_jump.{v}"), self.max_jump[i]);
                r.set_summary(
                    &format!("cliff_left_map.{v}"),
                    f64::from(u8::from(self.left_map[i])),
                );
            }
        }
    }
}

pub const EXPLAIN: &str = "\
Exploding gradients and clipping (press v to switch views)

Backpropagation through T steps multiplies T Jacobians; where they are
large the gradient can be huge — in a few places of the loss surface only.
Pascanu's one-unit model shows why (T = cliff_horizon, step cliff_lr):
  x_t = w·σ(x_{t−1}) + b,   x_0 = 0.5,   loss (x_T − 0.7)².
For large w the map has two stable fixed points; where the one x_0 falls
into changes, x_T jumps. The loss surface has a wall (the cliff on the
heatmap) whose gradient grows with T. An SGD step that lands on it is
huge: the parameters are thrown far away.

The remedies bound the step, with threshold τ:
  norm clipping   g ← τ·g/‖g‖ when ‖g‖ > τ
    keeps the direction (cosine 1 with g), bounds the step to η·τ;
  value clipping  every component clamped to [−τ, τ]
    bounds each component, but changes the direction (cosine < 1: the step
    turns towards a diagonal), and the step can still be η·τ·√n long.

The RNN view trains a tanh RNN (‖W_hh‖₂ = init_scale at init) on the adding
problem — sum the two marked values of a T-step sequence (T = horizon) —
three times in lockstep, same data and init: none, norm, value. Predicting
the mean scores 1/6, knowing one of the two values 1/12 (dashed lines):
below 1/12 a run has learned to carry the first value to the end.
grad_norm is measured before clipping.

What to notice
• On the cliff, the unclipped step hits the wall and leaves the map; the
  norm-clipped one stays and walks down into the valley; the value-clipped
  one moves diagonally and stalls.
• RNN, defaults (‖W‖₂ = 1.8), seeds 0–9: the unclipped run diverges in 7,
  norm clipping learns (below 1/12) in all 10, value clipping in 6.
• ‖W‖₂ = 3 (preset no-clipping-explodes): the first gradient is already
  above τ. The unclipped run diverges in all 10 seeds; norm clipping still
  learns in all 10; value clipping stays finite but learns in 1 — its steps
  are longer than norm clipping's η·τ.
• τ = 0.1 (preset norm-vs-value): both clip nearly every step; value
  clipping turns the update (cosine ≈ 0.94) and, with longer steps, learns
  in more seeds than norm clipping.
• Clipping bounds large gradients; it does nothing for vanishing ones
  (preset contractive) — for those see the rnn and lstm labs.";
