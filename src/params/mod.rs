//! Lab parameters: their specs (name, kind, default, range, scale, help), validated values,
//! `--set K=V` parsing and the keyboard nudges of the TUI.
//!
//! Every way a value enters a lab (CLI `--set`, the TUI's ←/→ and typed values, sweeps, demo
//! scripts) goes through [`ParamSpec::parse`] or [`ParamSpec::check`], so a value a lab sees
//! is always in range, finite and one of the accepted names.

pub mod config;
mod spec;

pub use config::FromParams;
pub(crate) use config::lab_config;
pub use spec::{Kind, ParamSpec, Scale};

use crate::fmt::fmt_num;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// A parameter value. Serialises as a bare JSON number, string or boolean.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Int(i64),
    Float(f64),
    Text(String),
    Bool(bool),
}

impl Value {
    /// The value as a number, if it is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(x) => Some(*x),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => f.write_str(&fmt_num(*x)),
            Value::Text(s) => f.write_str(s),
            Value::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// A rejected parameter name or value; the message names what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParamError(pub String);

impl From<ParamError> for crate::error::UsageError {
    fn from(err: ParamError) -> Self {
        crate::error::UsageError(err.0)
    }
}

/// Split `K=V` of `--set K=V`.
pub fn parse_assignment(raw: &str) -> Result<(String, String), ParamError> {
    match raw.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(ParamError(format!(
            "--set expects K=V (for example --set lr=0.1), got '{}'",
            crate::fmt::clip_text(raw, 80)
        ))),
    }
}

/// The current values of a lab's parameters, always valid against their specs.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamSet {
    lab: &'static str,
    specs: &'static [ParamSpec],
    values: Vec<Value>,
}

impl ParamSet {
    /// All parameters at their defaults.
    pub fn new(lab: &'static str, specs: &'static [ParamSpec]) -> Self {
        Self {
            lab,
            specs,
            values: specs.iter().map(ParamSpec::default_value).collect(),
        }
    }

    pub fn specs(&self) -> &'static [ParamSpec] {
        self.specs
    }

    /// The values in the specs' order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// The spec of a parameter, or an error listing the accepted names.
    pub fn spec(&self, name: &str) -> Result<&'static ParamSpec, ParamError> {
        self.index(name).map(|i| &self.specs[i])
    }

    fn index(&self, name: &str) -> Result<usize, ParamError> {
        self.specs
            .iter()
            .position(|s| s.name == name)
            .ok_or_else(|| {
                let names: Vec<_> = self.specs.iter().map(|s| s.name).collect();
                ParamError(format!(
                    "unknown parameter '{}' for lab {}; accepted: {}",
                    crate::fmt::clip_text(name, 80),
                    self.lab,
                    names.join(", ")
                ))
            })
    }

    /// The value of a declared parameter, by name (the panel, tests; labs read their typed
    /// config instead). Panics on an undeclared name: a bug in the caller.
    pub fn get(&self, name: &str) -> &Value {
        match self.index(name) {
            Ok(i) => &self.values[i],
            Err(e) => panic!("lab bug: {e}"),
        }
    }

    pub fn f64(&self, name: &str) -> f64 {
        self.get(name).as_f64().unwrap_or(f64::NAN)
    }

    pub fn text(&self, name: &str) -> &str {
        match self.get(name) {
            Value::Text(s) => s,
            _ => "",
        }
    }

    /// Set a validated value.
    pub fn set(&mut self, name: &str, value: Value) -> Result<(), ParamError> {
        let i = self.index(name)?;
        self.values[i] = self.specs[i]
            .check(value)
            .map_err(|e| ParamError(format!("lab {}: {}", self.lab, e.0)))?;
        Ok(())
    }

    /// Parse and set a typed value.
    pub fn set_str(&mut self, name: &str, raw: &str) -> Result<Value, ParamError> {
        let i = self.index(name)?;
        let v = self.specs[i]
            .parse(raw)
            .map_err(|e| ParamError(format!("lab {}: {}", self.lab, e.0)))?;
        self.values[i] = v.clone();
        Ok(v)
    }

    /// (spec, value) pairs in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static ParamSpec, &Value)> {
        self.specs.iter().zip(self.values.iter())
    }

    /// Name -> value, for a [`crate::report::Report`].
    pub fn to_map(&self) -> BTreeMap<String, Value> {
        self.iter()
            .map(|(s, v)| (s.name.to_string(), v.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[ParamSpec] = &[
        ParamSpec::int("hidden", 32, 2, 256, ""),
        ParamSpec::float("s", 1.0, 0.1, 3.0, 0.01, ""),
        ParamSpec::log("lr", 0.01, 1e-6, 1.0, ""),
        ParamSpec::choice("act", &["linear", "tanh"], ""),
    ];

    #[test]
    fn parse_rejects_nan_garbage_and_out_of_range() {
        let s = &SPECS[1];
        assert!(s.parse("nan").is_err());
        assert!(s.parse("inf").is_err());
        assert!(
            s.parse("abc")
                .unwrap_err()
                .0
                .contains("accepted: a number in [0.1, 3]")
        );
        assert!(s.parse("3.5").unwrap_err().0.contains("out of range"));
        assert_eq!(s.parse("1.5").unwrap(), Value::Float(1.5));
        assert!(
            SPECS[0]
                .parse("3.5")
                .unwrap_err()
                .0
                .contains("not an integer")
        );
        assert_eq!(SPECS[0].parse("1e2").unwrap(), Value::Int(100));
        assert!(
            SPECS[3]
                .parse("relu")
                .unwrap_err()
                .0
                .contains("linear|tanh")
        );
    }

    #[test]
    fn nudges_snap_clamp_and_cycle() {
        let s = &SPECS[1];
        let mut v = Value::Float(1.0);
        for _ in 0..10 {
            v = s.nudge(&v, 1, false);
        }
        assert_eq!(v, Value::Float(1.1));
        assert_eq!(s.nudge(&Value::Float(2.95), 1, true), Value::Float(3.0));
        assert_eq!(
            SPECS[2].nudge(&Value::Float(0.01), 1, true),
            Value::Float(0.1)
        );
        assert_eq!(
            SPECS[3].nudge(&Value::Text("tanh".into()), 1, false),
            Value::Text("linear".into())
        );
        assert_eq!(SPECS[0].nudge(&Value::Int(255), 1, true), Value::Int(256));
    }

    #[test]
    fn unknown_names_list_the_accepted_ones() {
        let p = ParamSet::new("demo", SPECS);
        let e = p.spec("nope").unwrap_err();
        assert_eq!(
            e.0,
            "unknown parameter 'nope' for lab demo; accepted: hidden, s, lr, act"
        );
    }
}
