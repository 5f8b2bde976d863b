//! Lab parameters: their specs (name, kind, default, range, scale, help), validated values,
//! `--set K=V` parsing and the keyboard nudges of the TUI.
//!
//! Every way a value enters a lab (CLI `--set`, the TUI's ←/→ and typed values, sweeps, demo
//! scripts) goes through [`ParamSpec::parse`] or [`ParamSpec::check`], so a value a lab sees
//! is always in range, finite and one of the accepted names.

use crate::fmt::fmt_num;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// How a numeric parameter is spaced: additive steps or multiplicative ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    Lin,
    Log,
}

/// The type, default and accepted values of a parameter.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// An integer in `[min, max]`; a log scale nudges by doubling.
    Int {
        default: i64,
        min: i64,
        max: i64,
        scale: Scale,
    },
    /// A finite number in `[min, max]`. `step` is the nudge: an increment on a linear scale,
    /// decades on a log scale (0.1 multiplies by 10^0.1).
    Float {
        default: f64,
        min: f64,
        max: f64,
        scale: Scale,
        step: f64,
    },
    /// One of a fixed list of names.
    Choice {
        default: &'static str,
        choices: &'static [&'static str],
    },
    /// `true` or `false`.
    Bool { default: bool },
    /// A file path; empty means none.
    Path,
}

/// One parameter of a lab. Names are part of the CLI contract (DESIGN §3).
#[derive(Clone, Copy, Debug)]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: Kind,
    pub help: &'static str,
}

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

impl ParamSpec {
    /// The default value.
    pub fn default_value(&self) -> Value {
        match self.kind {
            Kind::Int { default, .. } => Value::Int(default),
            Kind::Float { default, .. } => Value::Float(default),
            Kind::Choice { default, .. } => Value::Text(default.to_string()),
            Kind::Bool { default } => Value::Bool(default),
            Kind::Path => Value::Text(String::new()),
        }
    }

    /// Whether the parameter is numeric (so it can be swept).
    pub fn is_numeric(&self) -> bool {
        matches!(self.kind, Kind::Int { .. } | Kind::Float { .. })
    }

    /// The numeric range, for numeric parameters.
    pub fn range(&self) -> Option<(f64, f64)> {
        match self.kind {
            Kind::Int { min, max, .. } => Some((min as f64, max as f64)),
            Kind::Float { min, max, .. } => Some((min, max)),
            _ => None,
        }
    }

    /// The scale, for numeric parameters.
    pub fn scale(&self) -> Option<Scale> {
        match self.kind {
            Kind::Int { scale, .. } | Kind::Float { scale, .. } => Some(scale),
            _ => None,
        }
    }

    /// What the parameter accepts, as a phrase: "a number in [0.1, 3]".
    pub fn accepted(&self) -> String {
        match self.kind {
            Kind::Int { min, max, .. } => format!("an integer in [{min}, {max}]"),
            Kind::Float { min, max, .. } => {
                format!("a number in [{}, {}]", fmt_num(min), fmt_num(max))
            }
            Kind::Choice { choices, .. } => format!("one of {}", choices.join("|")),
            Kind::Bool { .. } => "true|false".into(),
            Kind::Path => "a file path (empty for none)".into(),
        }
    }

    fn reject(&self, raw: &str, why: &str) -> ParamError {
        ParamError(format!(
            "{}={raw} {why}; accepted: {}",
            self.name,
            self.accepted()
        ))
    }

    /// Parse a value typed by the user (`--set`, the TUI's Enter, a demo script).
    pub fn parse(&self, raw: &str) -> Result<Value, ParamError> {
        let raw = raw.trim();
        let value = match self.kind {
            Kind::Int { .. } => {
                let x = parse_number(raw).ok_or_else(|| self.reject(raw, "is not a number"))?;
                if x.fract() != 0.0 {
                    return Err(self.reject(raw, "is not an integer"));
                }
                self.check(Value::Float(x))
                    .map_err(|_| self.reject(raw, "is out of range"))?
            }
            Kind::Float { .. } => {
                let x = parse_number(raw).ok_or_else(|| self.reject(raw, "is not a number"))?;
                self.check(Value::Float(x))
                    .map_err(|_| self.reject(raw, "is out of range"))?
            }
            Kind::Choice { choices, .. } => match choices.iter().find(|c| **c == raw) {
                Some(c) => Value::Text(c.to_string()),
                None => return Err(self.reject(raw, "is not a known name")),
            },
            Kind::Bool { .. } => match raw {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => return Err(self.reject(raw, "is not a boolean")),
            },
            Kind::Path => Value::Text(raw.to_string()),
        };
        Ok(value)
    }

    /// Validate (and normalise) a value: numbers must be finite and in range, integers
    /// integral, names known. Floats given to an integer parameter are accepted when integral.
    pub fn check(&self, value: Value) -> Result<Value, ParamError> {
        let shown = value.to_string();
        match (self.kind, value) {
            (Kind::Int { min, max, .. }, v @ (Value::Int(_) | Value::Float(_))) => {
                let x = v.as_f64().unwrap_or(f64::NAN);
                if !x.is_finite() {
                    return Err(self.reject(&shown, "is not finite"));
                }
                if x.fract() != 0.0 {
                    return Err(self.reject(&shown, "is not an integer"));
                }
                if x < min as f64 || x > max as f64 {
                    return Err(self.reject(&shown, "is out of range"));
                }
                Ok(Value::Int(x as i64))
            }
            (Kind::Float { min, max, .. }, v @ (Value::Int(_) | Value::Float(_))) => {
                let x = v.as_f64().unwrap_or(f64::NAN);
                if !x.is_finite() {
                    return Err(self.reject(&shown, "is not finite"));
                }
                if x < min || x > max {
                    return Err(self.reject(&shown, "is out of range"));
                }
                Ok(Value::Float(x))
            }
            (Kind::Choice { choices, .. }, Value::Text(s)) if choices.contains(&s.as_str()) => {
                Ok(Value::Text(s))
            }
            (Kind::Bool { .. }, v @ Value::Bool(_)) => Ok(v),
            (Kind::Path, v @ Value::Text(_)) => Ok(v),
            _ => Err(self.reject(&shown, "has the wrong type")),
        }
    }

    /// The value for a number (a sweep point): integers are rounded, then range-checked.
    pub fn from_number(&self, x: f64) -> Result<Value, ParamError> {
        match self.kind {
            Kind::Int { .. } => self.check(Value::Float(x.round())),
            Kind::Float { .. } => self.check(Value::Float(x)),
            _ => Err(ParamError(format!(
                "{} is not numeric; accepted: {}",
                self.name,
                self.accepted()
            ))),
        }
    }

    /// The next value for a keyboard nudge: `dir` is +1 or -1; `big` is Shift (10 steps).
    /// Clamped to the range; choices cycle; booleans toggle; paths do not move.
    pub fn nudge(&self, value: &Value, dir: i32, big: bool) -> Value {
        let dir = f64::from(dir.signum());
        match (self.kind, value) {
            (
                Kind::Int {
                    min, max, scale, ..
                },
                v,
            ) => {
                let x = v.as_f64().unwrap_or(min as f64);
                let next = match scale {
                    Scale::Lin => x + dir * if big { 10.0 } else { 1.0 },
                    Scale::Log => {
                        let factor: f64 = if big { 8.0 } else { 2.0 };
                        let y = if dir > 0.0 { x * factor } else { x / factor };
                        if y.round() == x { x + dir } else { y.round() }
                    }
                };
                Value::Int(next.round().clamp(min as f64, max as f64) as i64)
            }
            (
                Kind::Float {
                    min,
                    max,
                    scale,
                    step,
                    ..
                },
                v,
            ) => {
                let x = v.as_f64().unwrap_or(min);
                let n = if big { 10.0 } else { 1.0 };
                let next = match scale {
                    Scale::Lin => {
                        let y = x + dir * n * step;
                        // Snap to the step grid so repeated nudges print cleanly (1.1, not 1.0999..).
                        let snapped = (y / step).round() * step;
                        let decimals = (-step.log10().floor()).max(0.0) as i32 + 1;
                        let p = 10f64.powi(decimals);
                        (snapped * p).round() / p
                    }
                    Scale::Log => {
                        let base = if x > 0.0 {
                            x
                        } else {
                            min.max(f64::MIN_POSITIVE)
                        };
                        round_sig(base * 10f64.powf(dir * n * step), 3)
                    }
                };
                Value::Float(next.clamp(min, max))
            }
            (Kind::Choice { choices, .. }, Value::Text(s)) => {
                let i = choices.iter().position(|c| c == s).unwrap_or(0) as i64;
                let n = choices.len() as i64;
                let j = (i + dir as i64).rem_euclid(n) as usize;
                Value::Text(choices[j].to_string())
            }
            (Kind::Bool { .. }, Value::Bool(b)) => Value::Bool(!b),
            _ => value.clone(),
        }
    }
}

fn round_sig(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let mag = x.abs().log10().floor() as i32;
    let p = 10f64.powi(digits - 1 - mag);
    (x * p).round() / p
}

/// Parse a finite number; `nan`, `inf` and garbage are `None`.
fn parse_number(raw: &str) -> Option<f64> {
    raw.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Split `K=V` of `--set K=V`.
pub fn parse_assignment(raw: &str) -> Result<(String, String), ParamError> {
    match raw.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(ParamError(format!(
            "--set expects K=V (for example --set lr=0.1), got '{raw}'"
        ))),
    }
}

/// Parse every `--set K=V`.
pub fn parse_assignments(raw: &[String]) -> Result<Vec<(String, String)>, ParamError> {
    raw.iter().map(|s| parse_assignment(s)).collect()
}

/// The current values of a lab's parameters, always valid against their specs.
#[derive(Clone, Debug)]
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
                    "unknown parameter '{name}' for lab {}; accepted: {}",
                    self.lab,
                    names.join(", ")
                ))
            })
    }

    /// The value of a parameter the lab itself declared. Panics on an undeclared name: that
    /// is a bug in the lab, caught by its tests.
    pub fn get(&self, name: &str) -> &Value {
        match self.index(name) {
            Ok(i) => &self.values[i],
            Err(e) => panic!("lab bug: {e}"),
        }
    }

    pub fn f64(&self, name: &str) -> f64 {
        self.get(name).as_f64().unwrap_or(f64::NAN)
    }

    pub fn usize(&self, name: &str) -> usize {
        self.f64(name).max(0.0) as usize
    }

    pub fn text(&self, name: &str) -> &str {
        match self.get(name) {
            Value::Text(s) => s,
            _ => "",
        }
    }

    pub fn flag(&self, name: &str) -> bool {
        matches!(self.get(name), Value::Bool(true))
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
        ParamSpec {
            name: "hidden",
            kind: Kind::Int {
                default: 32,
                min: 2,
                max: 256,
                scale: Scale::Lin,
            },
            help: "",
        },
        ParamSpec {
            name: "s",
            kind: Kind::Float {
                default: 1.0,
                min: 0.1,
                max: 3.0,
                scale: Scale::Lin,
                step: 0.01,
            },
            help: "",
        },
        ParamSpec {
            name: "lr",
            kind: Kind::Float {
                default: 0.01,
                min: 1e-6,
                max: 1.0,
                scale: Scale::Log,
                step: 0.1,
            },
            help: "",
        },
        ParamSpec {
            name: "act",
            kind: Kind::Choice {
                default: "linear",
                choices: &["linear", "tanh"],
            },
            help: "",
        },
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
