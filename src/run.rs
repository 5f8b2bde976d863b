//! Describing a run apart from running it.
//!
//! A [`RunSpec`] (lab, typed parameter values, seed, steps) is parsed and validated once,
//! cheaply, without building the lab; `run`, `sweep` points, the TUI worker, the demo player
//! and the tests all start from one. A [`Runner`] owns the one step loop and the step count,
//! and calls [`Observer`]s (stderr progress, the worker's publish throttle, the recorder).

use crate::error::UsageError;
use crate::labs::{Applied, DynLab, LabId};
use crate::params::{ParamError, ParamSet, Value, parse_assignment};
use crate::report::Report;
use std::sync::atomic::{AtomicBool, Ordering};

/// What to run: a lab, its parameters, the seed and (optionally) the number of steps.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSpec {
    pub lab: LabId,
    pub params: ParamSet,
    pub seed: u64,
    /// `None`: the lab's default length.
    pub steps: Option<u64>,
}

impl RunSpec {
    /// The lab at its defaults, seed 0.
    pub fn new(lab: LabId) -> RunSpec {
        let d = lab.descriptor();
        RunSpec {
            lab,
            params: ParamSet::new(d.name, d.specs),
            seed: 0,
            steps: None,
        }
    }

    /// From the command line: `--preset` first, then every `--set K=V`, checked against the
    /// specs and against each other. Bad input is a [`UsageError`] naming what is accepted.
    pub fn from_args(
        lab: LabId,
        preset: Option<&str>,
        sets: &[String],
        seed: u64,
        steps: Option<u64>,
    ) -> Result<RunSpec, UsageError> {
        RunSpec::new(lab).with_args(preset, sets, seed, steps)
    }

    /// This spec (a config file's defaults, say) with a command line's preset and `--set`s
    /// applied over it, checked as [`RunSpec::from_args`] checks.
    pub fn with_args(
        mut self,
        preset: Option<&str>,
        sets: &[String],
        seed: u64,
        steps: Option<u64>,
    ) -> Result<RunSpec, UsageError> {
        self.seed = seed;
        self.steps = steps;
        if let Some(name) = preset {
            self.apply_preset(name)?;
        }
        for raw in sets {
            let (k, v) = parse_assignment(raw)?;
            self.set_str(&k, &v)?;
        }
        self.validate()?;
        Ok(self)
    }

    /// Reset every parameter to its default, then apply a preset's values.
    pub fn apply_preset(&mut self, name: &str) -> Result<(), ParamError> {
        let preset = self.lab.preset(name)?;
        self.restore_defaults();
        for (k, v) in preset.sets {
            self.set_str(k, v)?;
        }
        Ok(())
    }

    /// Every parameter back to its default.
    pub fn restore_defaults(&mut self) {
        let d = self.lab.descriptor();
        self.params = ParamSet::new(d.name, d.specs);
    }

    /// Parse and set one value.
    pub fn set_str(&mut self, name: &str, raw: &str) -> Result<(), ParamError> {
        self.params.set_str(name, raw).map(|_| ())
    }

    /// Set one value.
    pub fn set(&mut self, name: &str, value: Value) -> Result<(), ParamError> {
        self.params.set(name, value)
    }

    /// Check the combination of parameters without building the model (cheap).
    pub fn validate(&self) -> Result<(), ParamError> {
        (self.lab.descriptor().fns.check)(&self.params).map(|_| ())
    }

    /// The files the run reads (its non-empty path parameters).
    pub fn input_paths(&self) -> Vec<&std::path::Path> {
        self.params
            .iter()
            .filter(|(spec, _)| matches!(spec.kind, crate::params::Kind::Path))
            .filter_map(|(_, v)| match v {
                Value::Text(p) if !p.is_empty() => Some(std::path::Path::new(p.as_str())),
                _ => None,
            })
            .collect()
    }

    /// The number of steps the run takes: `steps`, else what the lab asks for with these
    /// parameters ([`crate::labs::Lab::default_steps`]), else the descriptor's default.
    pub fn total_steps(&self) -> u64 {
        self.steps.unwrap_or_else(|| {
            (self.lab.descriptor().fns.check)(&self.params)
                .ok()
                .flatten()
                .unwrap_or(self.lab.descriptor().default_steps)
        })
    }

    /// The `--set` arguments that reproduce these parameters (defaults omitted).
    pub fn set_args(&self) -> Vec<String> {
        let d = self.lab.descriptor();
        let defaults = ParamSet::new(d.name, d.specs);
        self.params
            .iter()
            .filter(|(spec, v)| defaults.get(spec.name) != *v)
            .map(|(spec, v)| format!("{}={}", spec.name, shell_word(&v.to_string())))
            .collect()
    }
}

/// A word as a POSIX shell reads it: quoted when it holds anything but safe characters.
fn shell_word(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_.,/:+=@%".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Told about every step a [`Runner`] takes.
pub trait Observer {
    fn on_step(&mut self, runner: &Runner);
}

/// Observes nothing.
pub struct Quiet;

impl Observer for Quiet {
    fn on_step(&mut self, _: &Runner) {}
}

/// A lab started from a [`RunSpec`], the one step loop that advances it and the run's
/// bookkeeping: the step count, the run length and the report's header.
pub struct Runner {
    spec: RunSpec,
    lab: Box<dyn DynLab>,
    steps: u64,
    total: u64,
}

impl Runner {
    /// Build the lab's config once, check it and reset a run with the spec's seed.
    pub fn new(spec: RunSpec) -> Result<Runner, ParamError> {
        let d = spec.lab.descriptor();
        let lab = (d.fns.start)(&spec.params, spec.seed)?;
        let total = spec
            .steps
            .unwrap_or_else(|| lab.default_steps().unwrap_or(d.default_steps));
        Ok(Runner {
            spec,
            lab,
            steps: 0,
            total,
        })
    }

    /// Steps taken since the start.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The steps the run takes.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Change the run's length (a test stepping on past the end).
    pub fn set_total(&mut self, total: u64) {
        self.total = total;
    }

    pub fn done(&self) -> bool {
        self.steps >= self.total || self.lab.done()
    }

    /// Take at most `max` steps, stopping at the end of the run or when `stop` returns true
    /// (checked before every step: a deadline, a cancel flag). Returns the steps taken.
    pub fn advance(
        &mut self,
        max: u64,
        stop: &mut dyn FnMut() -> bool,
        observer: &mut dyn Observer,
    ) -> u64 {
        let mut taken = 0;
        while taken < max && !self.done() && !stop() {
            self.lab.step(self.steps);
            self.steps += 1;
            taken += 1;
            observer.on_step(self);
        }
        taken
    }

    /// Run to the end (or until `cancel` is set).
    pub fn run_to_end(&mut self, cancel: Option<&AtomicBool>, observer: &mut dyn Observer) {
        let mut stop = || cancel.is_some_and(|c| c.load(Ordering::Relaxed));
        self.advance(u64::MAX, &mut stop, observer);
    }

    /// The run so far: the header (lab, seed, steps, parameters) stamped here, the rest the
    /// lab's.
    pub fn report(&self) -> Report {
        let mut r = Report::new(
            self.spec.lab,
            self.spec.seed,
            self.steps,
            self.spec.params.to_map(),
        );
        self.lab.report(&mut r);
        r
    }

    /// Change a parameter of the running run. `Applied::Restart` means the caller must
    /// start a new run for it to show (parameters not declared `.live()`).
    pub fn set_live(&mut self, name: &str, value: Value) -> Result<Applied, ParamError> {
        let live = self.spec.params.spec(name)?.live;
        self.spec.set(name, value)?;
        if !live {
            return Ok(Applied::Restart);
        }
        self.lab.retune(&self.spec.params)?;
        Ok(Applied::Live)
    }

    /// Carry out one of the lab's declared actions.
    pub fn act(&mut self, action: &str) -> Result<String, ParamError> {
        self.lab.act(action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_args_round_trip_through_from_args() {
        let mut spec = RunSpec::new(LabId::Rnn);
        spec.set_str("init", "nonnormal").unwrap();
        spec.set_str("spectral_norm", "1.5").unwrap();
        spec.seed = 4;
        let args = spec.set_args();
        assert_eq!(args, vec!["spectral_norm=1.5", "init=nonnormal"]);
        let back = RunSpec::from_args(LabId::Rnn, None, &args, 4, None).unwrap();
        assert_eq!(back, spec);
    }

    #[test]
    fn shell_words_are_quoted_when_needed() {
        assert_eq!(shell_word("a.npy"), "a.npy");
        assert_eq!(shell_word("my file.csv"), "'my file.csv'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn runner_counts_steps_and_stops_at_the_total() {
        let mut spec = RunSpec::new(LabId::Mf);
        spec.steps = Some(7);
        let mut runner = Runner::new(spec).unwrap();
        assert_eq!(runner.advance(3, &mut || false, &mut Quiet), 3);
        assert_eq!(runner.steps(), 3);
        runner.run_to_end(None, &mut Quiet);
        assert_eq!(runner.steps(), 7);
        assert!(runner.done());
        assert_eq!(runner.report().steps, 7);
    }
}
