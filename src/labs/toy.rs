//! toy — a minimal lab that exists only in unit tests. It is plugged in exactly as a real
//! lab is (a [`super::LabId`] variant, its descriptor, its pane), and the tests in
//! `crate::plugin_tests` check that it then shows up in `labs`, `run`, `sweep`, the TUI's
//! tabs and the render bench with no other edit.

use super::{Lab, LabAction, LabDescriptor, LabFns, Preset};
use crate::params::{ParamError, lab_config};
use crate::report::Report;

lab_config! {
    /// The toy's parameters.
    pub struct Config {
        rate: f64 = float(0.5, 0.0, 1.0, 0.05, "the factor each step multiplies by"),
        start: f64 = log(1.0, 1e-3, 1e3, "the first value"),
    }
}

pub static DESCRIPTOR: LabDescriptor = LabDescriptor {
    name: "toy",
    title: "Toy geometric decay",
    specs: SPECS,
    explain: "x_{t+1} = rate · x_t: a geometric sequence.",
    sweep_metric: "last",
    sweep_steps: None,
    default_steps: 20,
    steps_per_second: 10.0,
    lessons: &[],
    maps: &[],
    presets: &[Preset {
        name: "fast",
        help: "decays fast",
        sets: &[("rate", "0.1")],
        pace: None,
    }],
    actions: &[LabAction {
        key: 'x',
        name: "double",
        label: "double",
        help: "double the current value",
    }],
    fns: LabFns::of::<Toy>(),
};

/// The sequence so far.
pub struct Toy {
    xs: Vec<f64>,
}

impl Lab for Toy {
    type Config = Config;

    fn reset(config: &Config, _seed: u64) -> Result<Toy, ParamError> {
        Ok(Toy {
            xs: vec![config.start],
        })
    }

    fn step(&mut self, config: &Config, _step: u64) {
        let last = self.xs.last().copied().unwrap_or(f64::NAN);
        self.xs.push(last * config.rate);
    }

    fn report(&self, _config: &Config, r: &mut Report) {
        r.set_series("x", self.xs.clone());
        r.set_summary("last", self.xs.last().copied().unwrap_or(f64::NAN));
    }

    fn act(&mut self, _config: &Config, action: &str) -> Result<String, ParamError> {
        match (action, self.xs.last_mut()) {
            ("double", Some(x)) => {
                *x *= 2.0;
                Ok("doubled".into())
            }
            _ => Err(ParamError(format!("no action '{action}'"))),
        }
    }
}
