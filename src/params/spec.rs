//! Parameter specs: name, kind, default, range, scale and help, declared in one line each;
//! parsing and checking of values, and the keyboard nudges of the TUI.

use super::{ParamError, Value};
use crate::fmt::fmt_num;
use serde::Serialize;

/// How a numeric parameter is spaced: additive steps or multiplicative ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    Lin,
    Log,
}

/// The type, default and accepted values of a parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
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

/// One parameter of a lab. Names are part of the CLI contract (`--set NAME=V`, scripts rely on
/// them). Declared in one line each with the const constructors ([`ParamSpec::int`],
/// [`ParamSpec::float`], [`ParamSpec::log`], [`ParamSpec::choice`], [`ParamSpec::flag`],
/// [`ParamSpec::path`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: Kind,
    pub help: &'static str,
    /// A change applies to the running run (a learning rate); otherwise it restarts the run.
    pub live: bool,
}

impl ParamSpec {
    const fn new(name: &'static str, kind: Kind, help: &'static str) -> Self {
        Self {
            name,
            kind,
            help,
            live: false,
        }
    }

    /// An integer in `[min, max]`, nudged by ±1 (Shift: ±10).
    pub const fn int(
        name: &'static str,
        default: i64,
        min: i64,
        max: i64,
        help: &'static str,
    ) -> Self {
        Self::new(
            name,
            Kind::Int {
                default,
                min,
                max,
                scale: Scale::Lin,
            },
            help,
        )
    }

    /// A number in `[min, max]` on a linear scale, nudged by `step`.
    pub const fn float(
        name: &'static str,
        default: f64,
        min: f64,
        max: f64,
        step: f64,
        help: &'static str,
    ) -> Self {
        Self::new(
            name,
            Kind::Float {
                default,
                min,
                max,
                scale: Scale::Lin,
                step,
            },
            help,
        )
    }

    /// A positive number in `[min, max]` on a log scale, nudged by a tenth of a decade.
    pub const fn log(
        name: &'static str,
        default: f64,
        min: f64,
        max: f64,
        help: &'static str,
    ) -> Self {
        Self::new(
            name,
            Kind::Float {
                default,
                min,
                max,
                scale: Scale::Log,
                step: 0.1,
            },
            help,
        )
    }

    /// One of `choices`; the first is the default. Pass the `VARIANTS` of the enum the value
    /// parses into (strum's `VariantNames`), so the list cannot drift from the enum.
    pub const fn choice(
        name: &'static str,
        choices: &'static [&'static str],
        help: &'static str,
    ) -> Self {
        Self::new(
            name,
            Kind::Choice {
                default: choices[0],
                choices,
            },
            help,
        )
    }

    /// `true` or `false`.
    pub const fn flag(name: &'static str, default: bool, help: &'static str) -> Self {
        Self::new(name, Kind::Bool { default }, help)
    }

    /// A file path; empty means none.
    pub const fn path(name: &'static str, help: &'static str) -> Self {
        Self::new(name, Kind::Path, help)
    }

    /// Mark the parameter as applying to the running run.
    pub const fn live(mut self) -> Self {
        self.live = true;
        self
    }
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
            "{}={} {why}; accepted: {}",
            self.name,
            crate::fmt::clip_text(raw, 80),
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
    pub fn value_from_number(&self, x: f64) -> Result<Value, ParamError> {
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
