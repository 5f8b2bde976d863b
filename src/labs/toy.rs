//! toy — a minimal lab that exists only in unit tests. It is plugged in exactly as a real
//! lab is (a [`LabId`] variant, its descriptor, its pane), and the tests in
//! `crate::plugin_tests` check that it then shows up in `labs`, `run`, `sweep`, the TUI's
//! tabs and the render bench with no other edit.

use super::{Lab, LabAction, LabDescriptor, LabId, Preset, all_active};
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::report::Report;

#[rustfmt::skip]
pub const SPECS: &[ParamSpec] = &[
    ParamSpec::float("rate", 0.5, 0.0, 1.0, 0.05, "the factor each step multiplies by"),
    ParamSpec::log("start", 1.0, 1e-3, 1e3, "the first value"),
];

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
    presets: &[Preset {
        name: "fast",
        help: "decays fast",
        sets: &[("rate", "0.1")],
    }],
    actions: &[LabAction {
        key: 'x',
        name: "double",
        label: "double",
        help: "double the current value",
    }],
    inactive: all_active,
    create: || Box::new(Toy::new()),
};

pub struct Toy {
    params: ParamSet,
    seed: u64,
    xs: Vec<f64>,
}

impl Toy {
    fn new() -> Toy {
        Toy {
            params: ParamSet::new("toy", SPECS),
            seed: 0,
            xs: Vec::new(),
        }
    }
}

impl Lab for Toy {
    fn params(&self) -> &ParamSet {
        &self.params
    }

    fn params_mut(&mut self) -> &mut ParamSet {
        &mut self.params
    }

    fn reset(&mut self, seed: u64) -> Result<(), ParamError> {
        self.seed = seed;
        self.xs = vec![self.params.f64("start")];
        Ok(())
    }

    fn step(&mut self) {
        let last = self.xs.last().copied().unwrap_or(f64::NAN);
        self.xs.push(last * self.params.f64("rate"));
    }

    fn report(&self) -> Report {
        let steps = self.xs.len().saturating_sub(1) as u64;
        let mut r = Report::new(LabId::Toy, self.seed, steps, self.params.to_map());
        r.set_series("x", self.xs.clone());
        r.set_summary("last", self.xs.last().copied().unwrap_or(f64::NAN));
        r
    }

    fn act(&mut self, action: &str) -> Result<String, ParamError> {
        match (action, self.xs.last_mut()) {
            ("double", Some(x)) => {
                *x *= 2.0;
                Ok("doubled".into())
            }
            _ => Err(ParamError(format!("no action '{action}'"))),
        }
    }
}
