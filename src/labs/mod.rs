//! The [`Lab`] trait, the [`LabId`] registry, and the helpers every lab shares.
//!
//! A lab is pure numeric code: no terminal, no threads. The TUI worker, `run`, `sweep`, the
//! demo player and the tests all drive labs through this trait, so the same seed gives the
//! same [`Report`] everywhere.

pub mod mf;
pub mod rnn;

use crate::error::UsageError;
use crate::params::{ParamError, ParamSet, ParamSpec, Value};
use crate::report::Report;

/// What a parameter change needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The run must restart (`reset`) for the change to take effect.
    Restart,
    /// The change applies to the running run.
    Live,
}

/// A simulation with parameters, advanced in steps, summarised in a [`Report`].
pub trait Lab: Send {
    fn id(&self) -> LabId;

    fn title(&self) -> &'static str {
        self.id().title()
    }

    /// The parameters with their current values.
    fn params(&self) -> &ParamSet;

    /// Change a parameter (validated against its spec).
    fn set(&mut self, name: &str, value: Value) -> Result<Applied, ParamError>;

    /// Start a fresh run with this seed. Fails when the parameters are inconsistent with
    /// each other (each is valid alone).
    fn reset(&mut self, seed: u64) -> Result<(), ParamError>;

    /// Advance one unit of work (one optimisation step, one sweep column, ...).
    fn step(&mut self);

    /// Whether the run has reached its length.
    fn done(&self) -> bool;

    /// Steps taken since the last reset.
    fn steps(&self) -> u64;

    /// The number of steps a run takes.
    fn run_length(&self) -> u64;

    /// Override the number of steps a run takes (`--steps`).
    fn set_run_length(&mut self, steps: u64);

    /// The report of the run so far. It holds every summary key from step 0 on (NaN where
    /// not yet defined), so sweeps can check a metric name before running.
    fn report(&self) -> Report;

    /// The short lecture text with the formulas (the `e` overlay).
    fn explain(&self) -> &'static str {
        self.id().explain()
    }

    /// The lab's own action, bound to a key in the TUI; returns a line saying what it did,
    /// or `None` when the lab has no such action.
    fn act(&mut self) -> Option<String> {
        None
    }
}

/// Every lab gradscope knows, in tab order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, strum::EnumIter, strum::IntoStaticStr)]
#[strum(serialize_all = "lowercase")]
pub enum LabId {
    Rnn,
    Mf,
}

impl LabId {
    /// Every lab, in tab order.
    pub fn all() -> Vec<LabId> {
        use strum::IntoEnumIterator;
        LabId::iter().collect()
    }

    /// The CLI name (`rnn`, `mf`, ...).
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The tab title.
    pub fn title(self) -> &'static str {
        match self {
            LabId::Rnn => "RNN gradient propagation",
            LabId::Mf => "Matrix factorisation",
        }
    }

    /// The parameter specs.
    pub fn specs(self) -> &'static [ParamSpec] {
        match self {
            LabId::Rnn => rnn::SPECS,
            LabId::Mf => mf::SPECS,
        }
    }

    /// The lecture text of the `e` overlay.
    pub fn explain(self) -> &'static str {
        match self {
            LabId::Rnn => rnn::EXPLAIN,
            LabId::Mf => mf::EXPLAIN,
        }
    }

    /// The summary key the TUI's sweep plots by default.
    pub fn sweep_metric(self) -> &'static str {
        match self {
            LabId::Rnn => "log10_final_ratio",
            LabId::Mf => "relative_gap",
        }
    }

    /// The steps a sweep point runs when none are asked for: rnn's summary is complete at
    /// reset (its steps only fill the heatmap), so its points need none; the others run
    /// their default length.
    pub fn sweep_steps(self) -> Option<u64> {
        match self {
            LabId::Rnn => Some(0),
            LabId::Mf => None,
        }
    }

    /// A fresh lab with default parameters (not yet reset).
    pub fn create(self) -> Box<dyn Lab> {
        match self {
            LabId::Rnn => Box::new(rnn::RnnLab::new()),
            LabId::Mf => Box::new(mf::MfLab::new()),
        }
    }

    /// Parse a CLI lab name; the error lists the accepted names.
    pub fn parse(name: &str) -> Result<LabId, UsageError> {
        LabId::all()
            .into_iter()
            .find(|id| id.name() == name)
            .ok_or_else(|| {
                let names: Vec<_> = LabId::all().iter().map(|id| id.name()).collect();
                UsageError(format!(
                    "unknown lab '{name}'; accepted: {}",
                    names.join(", ")
                ))
            })
    }
}

/// Build a lab with `K=V` assignments applied and reset with `seed`: the common start of
/// `run`, `sweep` points and the TUI worker.
pub fn build(
    id: LabId,
    assignments: &[(String, String)],
    seed: u64,
) -> Result<Box<dyn Lab>, ParamError> {
    let mut lab = id.create();
    for (k, v) in assignments {
        let value = lab
            .params()
            .spec(k)?
            .parse(v)
            .map_err(|e| ParamError(format!("lab {}: {}", id.name(), e.0)))?;
        lab.set(k, value)?;
    }
    lab.reset(seed)?;
    Ok(lab)
}

/// Step a lab until it is done or `max_steps` more steps were taken.
pub fn run_to_end(lab: &mut dyn Lab, max_steps: Option<u64>) {
    let mut taken = 0u64;
    while !lab.done() && max_steps.is_none_or(|m| taken < m) {
        lab.step();
        taken += 1;
    }
}
