//! mf — gradient descent on the non-convex matrix factorisation f(A, B) = ‖X − AB‖²_F
//! against its Eckart–Young optimum Σ_{i>r} σ_i(X)².
//!
//! X is `true_rank` low-rank plus noise (seeded), or a user's matrix read from `input`
//! (`.npy` or `.csv`; its shape then gives m and n). Factors start at
//! `init_scale`·√(σ₁(X)/10)·N(0, 1) and the step is η = lr·10/σ₁(X): both scale-free, so X
//! and cX learn each singular value at the same step. One step is one gradient step on
//! (A, B) together; a run ends as [`plan`] says.

mod factors;
pub mod input;
pub mod plan;
mod words;

pub use words::EXPLAIN;
use words::PRESETS;

pub use factors::{
    balance, gauge_check, gd_step, landscape, loss, product_singular_values, random_invertible,
    residual, segment,
};

use super::{Lab, LabAction, LabDescriptor, LabFns, Lesson, MapAxis, MapPreset};
use crate::linalg;
use crate::params::{ParamError, lab_config};
use crate::report::{Recorder, Report};
use crate::rng::{LabRng, rng};
use ndarray::{Array2, ArrayView2};
use rand::RngExt;
use rand_distr::StandardNormal;

lab_config! {
    /// The mf lab's parameters.
    pub struct Config {
        rows: usize = int(30, 1, 1000, "m, the rows of the synthetic X (ignored with input)"),
        cols: usize = int(20, 1, 1000, "n, the columns of the synthetic X (ignored with input)"),
        rank: usize = int(3, 1, 100, "r, the inner dimension of A (m×r) and B (r×n)"),
        true_rank: usize = int(5, 1, 100, "rank k of the signal: singular values 10·(k−i+1)/k (ignored with input)"),
        noise: f64 = float(0.01, 0.0, 10.0, 0.01, "standard deviation of the Gaussian noise added to X (ignored with input)"),
        init_scale: f64 = log(1e-3, 1e-8, 10.0, "factors start at init_scale·√(σ₁(X)/10)·N(0,1), scale-free (σ₁ = 10 for the synthetic X): small → singular values learned in order"),
        lr: f64 = log(0.01, 1e-6, 1.0, "step size, scale-free: η = lr·10/σ₁(X), so lr means the same for X of any scale (σ₁ = 10 for the synthetic X)").live(),
        input: String = path("a .npy or .csv file holding X (one 2-D numeric matrix)"),
    }
}

/// The gauge action of the `g` key.
const GAUGE: &str = "gauge";

/// The claims counted over seeds by `S` and `run --seeds`.
const LESSONS: &[Lesson] = &[
    Lesson {
        label: "reached f* (gap < 1e-6)",
        key: "relative_gap",
        pass: |g| g.abs() < 1e-6,
    },
    Lesson {
        label: "diverged",
        key: "diverged",
        pass: |d| d == 1.0,
    },
];

/// Its telling maps (`gradscope sweep mf --map NAME`, the TUI's `a`).
#[rustfmt::skip]
const MAPS: &[MapPreset] = &[MapPreset {
        name: "step-size",
        teaches: "diverged (1) or not (0): from init scales up to 0.1, lr ≤ 0.048 converges to f* and lr ≥ 0.08 diverges — the edge near the stable step lr 0.05 (η < 1/(2σ₁)); from init 1 descent diverges already at lr 0.04: large factors lower the edge",
        sets: &[],
        x: MapAxis { param: "lr", from: 0.001, to: 0.2, log: true },
        y: MapAxis { param: "init_scale", from: 1e-4, to: 1.0, log: true },
        metric: "diverged",
        points: 21,
        steps: None,
    }];

pub static DESCRIPTOR: LabDescriptor = LabDescriptor {
    name: "mf",
    title: "Matrix factorisation",
    specs: SPECS,
    explain: EXPLAIN,
    sweep_metric: "relative_gap",
    sweep_steps: None,
    default_steps: DEFAULT_STEPS,
    steps_per_second: 100.0,
    presets: PRESETS,
    maps: MAPS,
    lessons: LESSONS,
    actions: &[LabAction {
        key: 'g',
        name: GAUGE,
        label: "gauge R",
        help: "replace (A, B) by (AR, R⁻¹B) for a random invertible R: the loss stays",
    }],
    fns: LabFns::of::<MfLab>(),
};

/// The run length when [`Lab::default_steps`] has none (never, for valid parameters).
pub const DEFAULT_STEPS: u64 = 500;
/// Points of the non-convexity segment θ = 0, 0.01, …, 1.
const SEGMENT: usize = 101;
/// Grid size of the 1×1 landscape.
pub const LANDSCAPE: usize = 41;

fn check_work(m: usize, n: usize, r: usize) -> Result<(), ParamError> {
    let work = m * n * r;
    if work > plan::MAX_STEP_WORK {
        return Err(ParamError(format!(
            "lab mf: rows·cols·rank = {m}·{n}·{r} = {} is more than {} (a gradient step costs about 6·m·n·r flops; a step is kept to tens of milliseconds)",
            crate::fmt::thousands(work),
            crate::fmt::thousands(plan::MAX_STEP_WORK)
        )));
    }
    Ok(())
}

/// The top singular value at which `lr` is the step itself (that of the synthetic X).
const REFERENCE_SV: f64 = 10.0;
/// A singular value counts as learned at 90% of its target.
const LEARNED: f64 = 0.9;

/// The mf lab's run: X, its spectrum and the factors descending on it.
pub struct MfLab {
    seed: u64,
    /// Steps taken (the runner's count, kept for the records and the work budget).
    steps: u64,
    /// The work budget of a run on this X, in steps.
    budget: u64,
    x: Array2<f64>,
    x_sv: Vec<f64>,
    /// σ₁(X), which sets the scale of the step.
    x_sv_top: f64,
    optimum: f64,
    x_norm2: f64,
    a: Array2<f64>,
    b: Array2<f64>,
    resid: Array2<f64>,
    loss: f64,
    initial_balance: f64,
    recorder: Recorder,
    learned_at: Vec<f64>,
    landscape_extent: f64,
    landscape: Vec<f64>,
    gauge_rng: LabRng,
}

/// X = Σ_{i≤k} s_i u_i v_iᵀ + noise·G with s_i = 10(k − i + 1)/k and Haar-random u, v: a
/// spectral gap of 10/k between consecutive signal values.
pub fn synthetic_x(m: usize, n: usize, k: usize, noise: f64, rng: &mut LabRng) -> Array2<f64> {
    let u = linalg::haar_orthogonal(m, rng);
    let v = linalg::haar_orthogonal(n, rng);
    let mut x = Array2::<f64>::zeros((m, n));
    for i in 0..k.min(m).min(n) {
        let s = 10.0 * (k - i) as f64 / k as f64;
        for r in 0..m {
            for c in 0..n {
                x[[r, c]] += s * u[[r, i]] * v[[c, i]];
            }
        }
    }
    x.mapv_inplace(|val| val + noise * rng.sample::<f64, _>(StandardNormal));
    x
}

impl MfLab {
    /// X of the current run.
    pub fn x(&self) -> ArrayView2<'_, f64> {
        self.x.view()
    }

    /// The current factors.
    pub fn factors(&self) -> (ArrayView2<'_, f64>, ArrayView2<'_, f64>) {
        (self.a.view(), self.b.view())
    }

    fn rank(&self) -> usize {
        self.a.ncols()
    }

    /// Whether this is the 1×1, rank-1 problem whose landscape can be drawn.
    fn scalar_problem(&self) -> bool {
        self.x.dim() == (1, 1) && self.rank() == 1
    }

    fn evaluate(&mut self) {
        self.loss = residual(self.x.view(), self.a.view(), self.b.view(), &mut self.resid);
    }

    fn record(&mut self) {
        let sv = product_singular_values(self.a.view(), self.b.view());
        for (i, s) in sv.iter().enumerate() {
            if self.learned_at[i].is_nan() && self.x_sv[i] > 0.0 && *s >= LEARNED * self.x_sv[i] {
                self.learned_at[i] = self.steps as f64;
            }
        }
        let mut row = vec![
            self.loss,
            self.loss - self.optimum,
            balance(self.a.view(), self.b.view()),
        ];
        row.extend(sv);
        if self.scalar_problem() {
            row.push(self.a[[0, 0]]);
            row.push(self.b[[0, 0]]);
        }
        self.recorder.record(self.steps, &row);
    }

    /// The gradient step η = lr·10/σ₁(X), so that a given `lr` behaves the same on X of any
    /// scale: scaling X by c scales the optimal factors by √c and the Hessian of f by c (at
    /// the 1×1 optimum its top eigenvalue is 4σ₁, so GD is stable for η < 1/(2σ₁)), and from
    /// a small init σ_i grows like (1 + 2ησ_i)^t. Both depend on η·σ₁ only. The synthetic X
    /// has σ₁ = 10, where η = lr.
    fn step_size(&self, lr: f64) -> f64 {
        let s1 = self.x_sv_top;
        if s1 > 0.0 { lr * REFERENCE_SV / s1 } else { lr }
    }

    /// Whether the relative gap is at most [`plan::GAP_TOL`].
    fn converged(&self) -> bool {
        self.relative_gap() <= plan::GAP_TOL
    }

    /// The relative gap (f − f*)/f*, or relative to ‖X‖² when the optimum is 0.
    fn relative_gap(&self) -> f64 {
        let denom = if self.optimum > 1e-12 * self.x_norm2 {
            self.optimum
        } else {
            self.x_norm2
        };
        (self.loss - self.optimum) / denom
    }
}

impl Lab for MfLab {
    type Config = Config;

    /// With an input file, X's shape and content come from the file.
    fn inactive(c: &Config) -> Vec<&'static str> {
        if c.input.is_empty() {
            Vec::new()
        } else {
            vec!["rows", "cols", "true_rank", "noise"]
        }
    }

    /// Cheap checks: the synthetic shape against the ranks, or that the input file exists and
    /// has a type we read (its shape is known only once it is read, in `reset`).
    fn validate(c: &Config) -> Result<(), ParamError> {
        if !c.input.is_empty() {
            return input::check_path(&c.input).map_err(|e| ParamError(format!("lab mf: {e}")));
        }
        let (m, n, r, k) = (c.rows, c.cols, c.rank, c.true_rank);
        if k > m.min(n) {
            return Err(ParamError(format!(
                "lab mf: true_rank={k} exceeds min(rows, cols) = {}",
                m.min(n)
            )));
        }
        if r > m.min(n) {
            return Err(ParamError(format!(
                "lab mf: rank={r} exceeds min(rows, cols) = {}",
                m.min(n)
            )));
        }
        check_work(m, n, r)
    }

    fn reset(c: &Config, seed: u64) -> Result<MfLab, ParamError> {
        let x = if c.input.is_empty() {
            synthetic_x(c.rows, c.cols, c.true_rank, c.noise, &mut rng(seed, 0))
        } else {
            input::read_matrix(&c.input).map_err(|e| ParamError(format!("lab mf: {e}")))?
        };
        let r = c.rank;
        let (m, n) = x.dim();
        check_work(m, n, r)?;
        if r > m.min(n) {
            return Err(ParamError(format!(
                "lab mf: rank={r} exceeds min(rows, cols) = {} of X ({m}×{n})",
                m.min(n)
            )));
        }
        let sv =
            linalg::singular_values(x.view()).map_err(|e| ParamError(format!("lab mf: {e}")))?;
        let x_sv_top = sv.first().copied().unwrap_or(0.0);
        // Scale-free: X → cX scales the optimal factors by √c, and so does this init.
        let reference = if x_sv_top > 0.0 {
            (x_sv_top / REFERENCE_SV).sqrt()
        } else {
            1.0
        };
        let scale = c.init_scale * reference;
        let mut g = rng(seed, 1);
        let a = Array2::from_shape_simple_fn((m, r), || scale * g.sample::<f64, _>(StandardNormal));
        let b = Array2::from_shape_simple_fn((r, n), || scale * g.sample::<f64, _>(StandardNormal));
        let mut names: Vec<String> = vec!["loss".into(), "gap".into(), "balance".into()];
        names.extend((1..=r).map(|i| format!("sv.{i}")));
        let (mut landscape_extent, mut landscape_grid) = (0.0, Vec::new());
        if x.dim() == (1, 1) && r == 1 {
            names.extend(["path_a".into(), "path_b".into()]);
            let x0 = x[[0, 0]];
            let start = a[[0, 0]].abs().max(b[[0, 0]].abs());
            landscape_extent = (2.0 * x0.abs().sqrt()).max(1.2 * start).max(1e-3);
            landscape_grid = landscape(x0, landscape_extent, LANDSCAPE);
        }
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut lab = MfLab {
            seed,
            steps: 0,
            budget: plan::budget_steps(m, n, r),
            optimum: sv[r..].iter().map(|s| s * s).sum(),
            x_norm2: x.iter().map(|v| v * v).sum(),
            x_sv: sv[..r].to_vec(),
            x_sv_top,
            initial_balance: balance(a.view(), b.view()),
            resid: Array2::zeros((m, n)),
            x,
            a,
            b,
            loss: f64::NAN,
            recorder: Recorder::new(&refs, 2000),
            learned_at: vec![f64::NAN; r],
            landscape_extent,
            landscape: landscape_grid,
            gauge_rng: rng(seed, 7),
        };
        lab.evaluate();
        lab.record();
        Ok(lab)
    }

    /// Converged (relative gap ≤ [`plan::GAP_TOL`]) or the work budget spent. A diverged
    /// run goes on to its step count: its non-finite values are the result shown.
    fn done(&self) -> bool {
        self.converged() || self.steps >= self.budget
    }

    /// The synthetic X's run from its designed spectrum; an input's from the cap (its
    /// spectrum is known only once read, and this must not read it).
    fn default_steps(c: &Config) -> Option<u64> {
        if !c.input.is_empty() {
            return Some(plan::input_steps());
        }
        Some(plan::synthetic_steps(&plan::Synthetic {
            m: c.rows,
            n: c.cols,
            r: c.rank,
            k: c.true_rank,
            noise: c.noise,
            init_scale: c.init_scale,
            lr: c.lr,
        }))
    }

    fn step(&mut self, c: &Config, step: u64) {
        let eta = self.step_size(c.lr);
        gd_step(&mut self.a, &mut self.b, self.resid.view(), eta);
        self.steps = step + 1;
        self.evaluate();
        self.record();
    }

    fn report(&self, c: &Config, r: &mut Report) {
        self.recorder.write_into(r);
        let (a, b) = (self.a.view(), self.b.view());
        r.set_series("segment", segment(self.x.view(), a, b, SEGMENT));
        r.set_series(
            "segment_theta",
            (0..SEGMENT)
                .map(|i| i as f64 / (SEGMENT - 1) as f64)
                .collect(),
        );
        if !self.landscape.is_empty() {
            let e = self.landscape_extent;
            let axis: Vec<f64> = (0..LANDSCAPE)
                .map(|i| -e + 2.0 * e * i as f64 / (LANDSCAPE - 1) as f64)
                .collect();
            // The hyperbola of minima ab = x, sampled along a inside the drawn square.
            let x = self.x[[0, 0]];
            let (minima_a, minima_b): (Vec<f64>, Vec<f64>) = (0..=200)
                .map(|i| -e + 2.0 * e * f64::from(i) / 200.0)
                .filter(|a| *a != 0.0 && (x / a).abs() <= e)
                .map(|a| (a, x / a))
                .unzip();
            r.set_series("landscape_log10", self.landscape.clone());
            r.set_series("landscape_axis", axis);
            r.set_series("minima_a", minima_a);
            r.set_series("minima_b", minima_b);
            r.set_summary("landscape_n", LANDSCAPE as f64);
            r.set_summary("landscape_extent", self.landscape_extent);
            r.set_summary("x", self.x[[0, 0]]);
        }
        let (m, n) = self.x.dim();
        r.set_summary("m", m as f64);
        r.set_summary("n", n as f64);
        r.set_summary("optimum", self.optimum);
        r.set_summary("final_loss", self.loss);
        r.set_summary("gap", self.loss - self.optimum);
        r.set_summary("relative_gap", self.relative_gap());
        r.set_summary("x_norm2", self.x_norm2);
        r.set_summary("target_sv", self.x_sv.clone());
        // A diverged run has learned nothing, whatever it passed through on the way.
        let learned_at = if self.loss.is_finite() {
            self.learned_at.clone()
        } else {
            vec![f64::NAN; self.learned_at.len()]
        };
        r.set_summary("learned_at", learned_at);
        r.set_summary("step_size", self.step_size(c.lr));
        r.set_summary("balance_initial", self.initial_balance);
        r.set_summary("balance_final", balance(a, b));
        r.set_summary("diverged", if self.loss.is_finite() { 0.0 } else { 1.0 });
        r.set_summary("converged", if self.converged() { 1.0 } else { 0.0 });
        r.set_summary("work", (self.steps as f64) * (m * n * self.rank()) as f64);
        // A fixed stream per report: the same factors give the same check.
        let mut g = rng(self.seed, 5);
        r.set_summary("gauge_check", gauge_check(self.x.view(), a, b, 5, &mut g));
    }

    /// Replace (A, B) by (AR, R⁻¹B) for a random invertible R: the product and the loss stay,
    /// the factors (and their balance) change.
    fn act(&mut self, _config: &Config, action: &str) -> Result<String, ParamError> {
        if action != GAUGE {
            return Err(ParamError(format!("lab mf has no action '{action}'")));
        }
        let r = self.rank();
        let (rm, r_inv) = random_invertible(r, 3.0, &mut self.gauge_rng);
        let before = (self.loss, balance(self.a.view(), self.b.view()));
        self.a = self.a.dot(&rm);
        self.b = r_inv.dot(&self.b);
        self.evaluate();
        // A point at this same step: the charts show the jump even when no step follows (a
        // finished run takes none).
        self.record();
        let after = balance(self.a.view(), self.b.view());
        Ok(format!(
            "applied a random invertible R: loss {} → {}, balance {} → {}",
            crate::fmt::fmt_num(before.0),
            crate::fmt::fmt_num(self.loss),
            crate::fmt::fmt_num(before.1),
            crate::fmt::fmt_num(after)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::FromParams;

    #[test]
    fn synthetic_x_has_the_designed_spectrum() {
        let x = synthetic_x(12, 9, 4, 0.0, &mut rng(3, 0));
        let sv = linalg::singular_values(x.view()).unwrap();
        for (i, want) in [10.0, 7.5, 5.0, 2.5, 0.0].iter().enumerate() {
            assert!((sv[i] - want).abs() < 1e-12, "{i}: {}", sv[i]);
        }
    }

    #[test]
    fn a_run_ends_at_convergence_divergence_or_the_work_budget() {
        let mut params = crate::params::ParamSet::new("mf", SPECS);
        let c = Config::from_params(&params).unwrap();
        let mut lab = MfLab::reset(&c, 0).unwrap();
        assert!(!lab.done());
        lab.steps = plan::budget_steps(30, 20, 3) - 1;
        assert!(!lab.done());
        lab.steps += 1;
        assert!(lab.done(), "the work budget is spent");
        let mut lab = MfLab::reset(&c, 0).unwrap();
        lab.loss = f64::INFINITY;
        assert!(!lab.done(), "diverged: on to the step count");
        let mut lab = MfLab::reset(&c, 0).unwrap();
        lab.loss = lab.optimum * (1.0 + 0.5e-12);
        assert!(lab.done(), "converged");
        assert_eq!(MfLab::default_steps(&c), Some(600));
        params.set_str("input", "x.npy").unwrap();
        let c = Config::from_params(&params).unwrap();
        assert_eq!(MfLab::default_steps(&c), Some(plan::MAX_DEFAULT_STEPS));
    }
}
