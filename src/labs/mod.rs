//! The [`Lab`] trait, the [`LabId`] enum and the one lookup of lab facts,
//! [`LabId::descriptor`].
//!
//! A lab is pure numeric code: no terminal, no threads. The TUI worker, `run`, `sweep`, the
//! demo player and the tests all start from a [`crate::run::RunSpec`] and drive labs through
//! this trait, so the same seed gives the same [`Report`] everywhere.
//!
//! Adding a lab: one [`LabId`] variant, one arm in [`LabId::descriptor`], one arm in the
//! panes' descriptor lookup, and two new files (the lab and its pane).

pub mod bn;
pub mod clip;
pub mod lstm;
pub mod mf;
pub mod resnet;
pub mod rnn;
#[cfg(test)]
pub mod toy;

pub use crate::lab_id::LabId;

use crate::error::UsageError;
use crate::params::{FromParams, ParamError, ParamSet, ParamSpec};
use crate::report::Report;

/// What a parameter change needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The run must restart (`reset`) for the change to take effect.
    Restart,
    /// The change applies to the running run.
    Live,
}

/// A simulation over a typed [`Lab::Config`], advanced in steps: only the physics. The run's
/// bookkeeping (its seed, the step count, the run length, the report's header, observers) is
/// [`crate::run::Runner`]'s; a lab keeps only the state its steps evolve.
pub trait Lab: Send + Sized + 'static {
    /// The lab's parameters, declared with `crate::params::lab_config!`.
    type Config: FromParams + Clone + Send + 'static;

    /// Check that the parameters are consistent with each other (each is valid alone).
    /// Cheap: no model is built and no large file read, so the UI thread may call it.
    fn validate(_config: &Self::Config) -> Result<(), ParamError> {
        Ok(())
    }

    /// The length of a run with these parameters when none is asked for, in steps; `None`:
    /// the descriptor's `default_steps`. For labs whose run must grow with a parameter (a
    /// longer horizon, an ill-conditioned matrix). Cheap.
    fn default_steps(_config: &Self::Config) -> Option<u64> {
        None
    }

    /// The parameters that have no effect given the others (marked in the panel).
    fn inactive(_config: &Self::Config) -> Vec<&'static str> {
        Vec::new()
    }

    /// A fresh run with this seed ([`Lab::validate`] has passed). Fails when what `validate`
    /// cannot see is wrong (an unreadable input file).
    fn reset(config: &Self::Config, seed: u64) -> Result<Self, ParamError>;

    /// Advance one unit of work (one optimisation step, one heatmap column, ...); `step`
    /// counts from 0.
    fn step(&mut self, config: &Self::Config, step: u64);

    /// Whether the run has reached a natural end (rnn: every heatmap column computed).
    fn done(&self) -> bool {
        false
    }

    /// Write the run so far into `report`, whose header (lab, seed, steps, parameters) the
    /// runner has filled. It holds every summary key from step 0 on (NaN where not yet
    /// defined), so sweeps can check a metric name before running.
    fn report(&self, config: &Self::Config, report: &mut Report);

    /// A parameter declared `.live()` changed: carry on with the new `config`.
    fn retune(&mut self, _config: &Self::Config) {}

    /// Carry out one of the lab's declared [`LabAction`]s (by name); returns a line saying
    /// what it did. An action that changes what the lab's series plot records the new state
    /// (a point at the current step): a finished run takes no further step, so its charts
    /// would otherwise never show the action.
    fn act(&mut self, _config: &Self::Config, action: &str) -> Result<String, ParamError> {
        Err(ParamError(format!("this lab has no action '{action}'")))
    }
}

/// A lab as the runner drives it: its config bound to its state, the types erased.
pub trait DynLab: Send {
    fn step(&mut self, step: u64);
    fn done(&self) -> bool;
    fn report(&self, report: &mut Report);
    /// The run's length when none is asked for (see [`Lab::default_steps`]).
    fn default_steps(&self) -> Option<u64>;
    /// Read the live parameters' new values.
    fn retune(&mut self, params: &ParamSet) -> Result<(), ParamError>;
    fn act(&mut self, action: &str) -> Result<String, ParamError>;
}

struct Bound<L: Lab> {
    config: L::Config,
    lab: L,
}

impl<L: Lab> DynLab for Bound<L> {
    fn step(&mut self, step: u64) {
        self.lab.step(&self.config, step);
    }
    fn done(&self) -> bool {
        self.lab.done()
    }
    fn report(&self, report: &mut Report) {
        self.lab.report(&self.config, report);
    }
    fn default_steps(&self) -> Option<u64> {
        L::default_steps(&self.config)
    }
    fn retune(&mut self, params: &ParamSet) -> Result<(), ParamError> {
        self.config = L::Config::from_params(params)?;
        self.lab.retune(&self.config);
        Ok(())
    }
    fn act(&mut self, action: &str) -> Result<String, ParamError> {
        self.lab.act(&self.config, action)
    }
}

/// A run started, or why it could not start.
pub type StartedLab = Result<Box<dyn DynLab>, ParamError>;

/// A lab's entry points over untyped parameter values, for [`LabDescriptor::fns`]: the one
/// place a [`ParamSet`] becomes a lab's [`Lab::Config`].
#[derive(Clone, Copy)]
pub struct LabFns {
    /// Build and validate the config; `Some(steps)`: the run's default length.
    pub check: fn(&ParamSet) -> Result<Option<u64>, ParamError>,
    /// Build and validate the config once, and reset a run with this seed.
    pub start: fn(&ParamSet, u64) -> StartedLab,
    /// The parameters that have no effect given the others.
    pub inactive: fn(&ParamSet) -> Vec<&'static str>,
}

impl LabFns {
    /// The entry points of lab `L`.
    pub const fn of<L: Lab>() -> LabFns {
        LabFns {
            check: check::<L>,
            start: start::<L>,
            inactive: inactive::<L>,
        }
    }
}

fn configure<L: Lab>(params: &ParamSet) -> Result<L::Config, ParamError> {
    let config = L::Config::from_params(params)?;
    L::validate(&config)?;
    Ok(config)
}

fn check<L: Lab>(params: &ParamSet) -> Result<Option<u64>, ParamError> {
    configure::<L>(params).map(|c| L::default_steps(&c))
}

fn start<L: Lab>(params: &ParamSet, seed: u64) -> StartedLab {
    let config = configure::<L>(params)?;
    let lab = L::reset(&config, seed)?;
    Ok(Box::new(Bound { config, lab }))
}

fn inactive<L: Lab>(params: &ParamSet) -> Vec<&'static str> {
    L::Config::from_params(params)
        .map(|c| L::inactive(&c))
        .unwrap_or_default()
}

/// A named set of parameter values: one telling case of a lab's lesson.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Preset {
    pub name: &'static str,
    /// What the preset shows, in a line.
    pub help: &'static str,
    /// `K=V` pairs applied over the defaults.
    pub sets: &'static [(&'static str, &'static str)],
    /// The live pace of its runs in steps per second, when the lab's would not let it be
    /// watched (`None`: the lab's `steps_per_second`).
    pub pace: Option<f64>,
}

/// One axis of a named map: a parameter over [from, to].
#[derive(Clone, Copy, Debug)]
pub struct MapAxis {
    pub param: &'static str,
    pub from: f64,
    pub to: f64,
    pub log: bool,
}

/// A telling two-parameter map of a lab (`gradscope sweep LAB --map NAME`, the TUI's `a`):
/// a metric over `x` × `y`, with the sentence it teaches — no more than its runs show (each
/// lab's tests check it over seeds).
#[derive(Clone, Copy, Debug)]
pub struct MapPreset {
    pub name: &'static str,
    /// What the map shows, in a sentence.
    pub teaches: &'static str,
    /// `K=V` pairs applied over the run's parameters first (a non-normal init, …).
    pub sets: &'static [(&'static str, &'static str)],
    pub x: MapAxis,
    pub y: MapAxis,
    pub metric: &'static str,
    /// Values per axis (fewer for labs whose runs take seconds).
    pub points: usize,
    /// Steps of each run (`None`: what the metric needs).
    pub steps: Option<u64>,
}

/// One claim of a lab's lesson that a single run either shows or not, counted over seeds
/// (`run --seeds`, the TUI's `S`): "LSTM ≥ 95%: 19/20 seeds".
#[derive(Clone, Copy, Debug)]
pub struct Lesson {
    /// What passing means, in a few words ("LSTM ≥ 95%").
    pub label: &'static str,
    /// The numeric summary key it reads.
    pub key: &'static str,
    /// Whether a run's value of `key` passes (NaN must fail unless NaN is the point).
    pub pass: fn(f64) -> bool,
}

/// A lab's own action, bound to a key in the TUI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LabAction {
    pub key: char,
    /// The name [`Lab::act`] receives.
    pub name: &'static str,
    /// A word or two for the hint bar.
    pub label: &'static str,
    /// A line for the help overlay.
    pub help: &'static str,
}

/// Everything gradscope knows about a lab, in one static value per lab.
pub struct LabDescriptor {
    /// The CLI name (`rnn`, `mf`, ...).
    pub name: &'static str,
    /// The tab title.
    pub title: &'static str,
    pub specs: &'static [ParamSpec],
    /// The lecture text of the `e` overlay.
    pub explain: &'static str,
    /// The summary key the TUI's sweep plots first.
    pub sweep_metric: &'static str,
    /// The steps a sweep point runs when none are asked for (`None`: the run's length). rnn's
    /// summary is complete at reset (its steps only fill the heatmap), so its points need none.
    pub sweep_steps: Option<u64>,
    /// The length of a run, in steps.
    pub default_steps: u64,
    /// The natural pace of a live run, in steps per second: a default run unfolds in a few
    /// seconds (headless runs are never paced).
    pub steps_per_second: f64,
    pub presets: &'static [Preset],
    /// Its telling two-parameter maps.
    pub maps: &'static [MapPreset],
    /// The claims counted over seeds (the TUI's `S` header, `run --seeds`).
    pub lessons: &'static [Lesson],
    pub actions: &'static [LabAction],
    /// The lab's code: `LabFns::of::<TheLab>()`.
    pub fns: LabFns,
}

impl LabId {
    /// The one place that maps a lab to its facts.
    pub fn descriptor(self) -> &'static LabDescriptor {
        match self {
            LabId::Rnn => &rnn::DESCRIPTOR,
            LabId::Clip => &clip::DESCRIPTOR,
            LabId::Lstm => &lstm::DESCRIPTOR,
            LabId::Bn => &bn::DESCRIPTOR,
            LabId::Mf => &mf::DESCRIPTOR,
            LabId::Resnet => &resnet::DESCRIPTOR,
            #[cfg(test)]
            LabId::Toy => &toy::DESCRIPTOR,
        }
    }

    /// The CLI name (`rnn`, `mf`, ...).
    pub fn name(self) -> &'static str {
        self.descriptor().name
    }

    /// The tab title.
    pub fn title(self) -> &'static str {
        self.descriptor().title
    }

    /// A preset by name; the error lists the accepted ones.
    pub fn preset(self, name: &str) -> Result<&'static Preset, ParamError> {
        let presets = self.descriptor().presets;
        presets.iter().find(|p| p.name == name).ok_or_else(|| {
            let names: Vec<_> = presets.iter().map(|p| p.name).collect();
            ParamError(format!(
                "unknown preset '{}' for lab {}; accepted: {}",
                crate::fmt::clip_text(name, 80),
                self.name(),
                names.join(", ")
            ))
        })
    }

    /// Parse a CLI lab name; the error lists the accepted names.
    pub fn parse(name: &str) -> Result<LabId, UsageError> {
        LabId::all()
            .iter()
            .copied()
            .find(|id| id.name() == name)
            .ok_or_else(|| {
                let names: Vec<_> = LabId::all().iter().map(|id| id.name()).collect();
                UsageError(format!(
                    "unknown lab '{}'; accepted: {}",
                    crate::fmt::clip_text(name, 80),
                    names.join(", ")
                ))
            })
    }
}

impl serde::Serialize for LabId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl std::fmt::Display for LabId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
