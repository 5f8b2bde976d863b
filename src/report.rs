//! [`Report`]: parameters, series and summary of a lab run — the one shape the TUI panes,
//! the headless CLI, sweeps and tests all read — with its JSON, CSV and table writers, and
//! the [`Recorder`] that keeps training series bounded in memory.

use crate::fmt::{csv_num, fmt_num};
use crate::lab_id::LabId;
use crate::params::Value;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

/// A summary entry: a number, a word, or a list of numbers.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Summary {
    Num(f64),
    Text(String),
    List(Vec<f64>),
}

impl From<f64> for Summary {
    fn from(x: f64) -> Self {
        Summary::Num(x)
    }
}

impl From<&str> for Summary {
    fn from(s: &str) -> Self {
        Summary::Text(s.to_string())
    }
}

impl From<Vec<f64>> for Summary {
    fn from(v: Vec<f64>) -> Self {
        Summary::List(v)
    }
}

/// Everything a lab has to say after some steps. Non-finite numbers are kept (and written
/// as `null` in JSON, `nan`/`inf` in CSV), never dropped.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub lab: LabId,
    pub seed: u64,
    pub steps: u64,
    pub params: BTreeMap<String, Value>,
    pub series: BTreeMap<String, Vec<f64>>,
    pub summary: BTreeMap<String, Summary>,
}

impl Report {
    pub fn new(lab: LabId, seed: u64, steps: u64, params: BTreeMap<String, Value>) -> Self {
        Self {
            lab,
            seed,
            steps,
            params,
            series: BTreeMap::new(),
            summary: BTreeMap::new(),
        }
    }

    /// A series by name; empty when absent.
    pub fn series(&self, name: &str) -> &[f64] {
        self.series.get(name).map_or(&[], Vec::as_slice)
    }

    /// A numeric summary entry; NaN when absent or not a number.
    pub fn num(&self, key: &str) -> f64 {
        match self.summary.get(key) {
            Some(Summary::Num(x)) => *x,
            _ => f64::NAN,
        }
    }

    /// A text summary entry; empty when absent.
    pub fn text(&self, key: &str) -> &str {
        match self.summary.get(key) {
            Some(Summary::Text(s)) => s,
            _ => "",
        }
    }

    /// A list summary entry; empty when absent.
    pub fn list(&self, key: &str) -> &[f64] {
        match self.summary.get(key) {
            Some(Summary::List(v)) => v,
            _ => &[],
        }
    }

    /// A parameter's value as a number; NaN when absent or not numeric.
    pub fn param_f64(&self, name: &str) -> f64 {
        self.params
            .get(name)
            .and_then(Value::as_f64)
            .unwrap_or(f64::NAN)
    }

    /// A parameter's value as text.
    pub fn param_text(&self, name: &str) -> String {
        self.params
            .get(name)
            .map(ToString::to_string)
            .unwrap_or_default()
    }

    pub fn set_series(&mut self, name: &str, values: Vec<f64>) {
        self.series.insert(name.to_string(), values);
    }

    pub fn set_summary(&mut self, key: &str, value: impl Into<Summary>) {
        self.summary.insert(key.to_string(), value.into());
    }

    /// The JSON of `run --format json` (a CLI contract):
    /// `{"lab","seed","steps","params","series","summary"}`.
    pub fn to_json(&self) -> String {
        // serde_json writes non-finite f64 as null, which is the contract.
        serde_json::to_string(self).expect("a Report always serialises")
    }

    /// Long-format CSV: `series,index,value` rows, then `summary,key,value` rows. List
    /// summaries are written one row per element as `key.1`, `key.2`, ...
    pub fn write_csv(&self, out: impl Write) -> std::io::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(["series", "index", "value"])?;
        for (name, values) in &self.series {
            for (i, v) in values.iter().enumerate() {
                w.write_record([name.as_str(), &i.to_string(), &csv_num(*v)])?;
            }
        }
        for (key, value) in &self.summary {
            match value {
                Summary::Num(x) => w.write_record(["summary", key, &csv_num(*x)])?,
                Summary::Text(s) => w.write_record(["summary", key, s])?,
                Summary::List(v) => {
                    for (i, x) in v.iter().enumerate() {
                        let k = format!("{key}.{}", i + 1);
                        w.write_record(["summary", &k, &csv_num(*x)])?;
                    }
                }
            }
        }
        w.flush()
    }

    /// A human-readable table: parameters, summary, and each series as length/first/last/
    /// min/max.
    pub fn to_table(&self) -> String {
        let mut s = format!(
            "lab {}  seed {}  steps {}\n\nparameters\n",
            self.lab, self.seed, self.steps
        );
        for (k, v) in &self.params {
            s += &format!("  {k:<24} {v}\n");
        }
        s += "\nsummary\n";
        for (k, v) in &self.summary {
            let shown = match v {
                Summary::Num(x) => fmt_num(*x),
                Summary::Text(t) => t.clone(),
                Summary::List(l) => {
                    let items: Vec<_> = l.iter().map(|x| fmt_num(*x)).collect();
                    format!("[{}]", items.join(", "))
                }
            };
            s += &format!("  {k:<24} {shown}\n");
        }
        s += &format!(
            "\nseries{:<19} {:>6} {:>11} {:>11} {:>11} {:>11}\n",
            "", "length", "first", "last", "min", "max"
        );
        for (k, v) in &self.series {
            let finite = v.iter().copied().filter(|x| x.is_finite());
            let min = finite.clone().fold(f64::INFINITY, f64::min);
            let max = finite.fold(f64::NEG_INFINITY, f64::max);
            let first = v.first().copied().unwrap_or(f64::NAN);
            let last = v.last().copied().unwrap_or(f64::NAN);
            s += &format!(
                "  {k:<24} {:>6} {:>11} {:>11} {:>11} {:>11}\n",
                v.len(),
                fmt_num(first),
                fmt_num(last),
                fmt_num(min),
                fmt_num(max)
            );
        }
        s
    }
}

/// Records rows of per-step values for a fixed set of series, keeping at most `cap` rows:
/// when full it drops every other row and records half as often. So a one-hour run keeps
/// the shape of its curves in bounded memory. A `step` series gives each row's step.
#[derive(Clone, Debug)]
pub struct Recorder {
    cap: usize,
    stride: u64,
    names: Vec<String>,
    steps: Vec<u64>,
    columns: Vec<Vec<f64>>,
    latest: Option<(u64, Vec<f64>)>,
}

impl Recorder {
    pub fn new(names: &[&str], cap: usize) -> Self {
        Self {
            cap: cap.max(4),
            stride: 1,
            names: names.iter().map(|s| s.to_string()).collect(),
            steps: Vec::new(),
            columns: vec![Vec::new(); names.len()],
            latest: None,
        }
    }

    /// Record the values (in the order of `names`) at `step`.
    pub fn record(&mut self, step: u64, values: &[f64]) {
        debug_assert_eq!(values.len(), self.names.len());
        self.latest = Some((step, values.to_vec()));
        if !step.is_multiple_of(self.stride) {
            return;
        }
        self.steps.push(step);
        for (column, v) in self.columns.iter_mut().zip(values) {
            column.push(*v);
        }
        if self.steps.len() > self.cap {
            self.stride *= 2;
            let keep: Vec<bool> = self
                .steps
                .iter()
                .map(|s| s.is_multiple_of(self.stride))
                .collect();
            let mut it = keep.iter();
            self.steps.retain(|_| *it.next().unwrap_or(&false));
            for column in &mut self.columns {
                let mut it = keep.iter();
                column.retain(|_| *it.next().unwrap_or(&false));
            }
        }
    }

    /// Write every series, and `step`, into a report; the latest row is always included.
    pub fn write_into(&self, report: &mut Report) {
        let mut steps: Vec<f64> = self.steps.iter().map(|&s| s as f64).collect();
        let mut columns = self.columns.clone();
        if let Some((step, values)) = &self.latest
            && self.steps.last() != Some(step)
        {
            steps.push(*step as f64);
            for (column, v) in columns.iter_mut().zip(values) {
                column.push(*v);
            }
        }
        report.set_series("step", steps);
        for (name, column) in self.names.iter().zip(columns) {
            report.set_series(name, column);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorder_stays_bounded_and_keeps_the_latest_row() {
        let mut r = Recorder::new(&["loss"], 100);
        for step in 0..10_000u64 {
            r.record(step, &[step as f64]);
        }
        assert!(r.steps.len() <= 100);
        let mut rep = Report::new(LabId::Rnn, 0, 0, BTreeMap::new());
        r.write_into(&mut rep);
        let steps = rep.series("step");
        assert_eq!(steps.first(), Some(&0.0));
        assert_eq!(steps.last(), Some(&9999.0));
        assert_eq!(rep.series("loss"), steps);
        // Rows are evenly spaced apart from the appended latest one.
        let gaps: Vec<f64> = steps.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps[..gaps.len() - 1].iter().all(|g| *g == gaps[0]));
    }

    #[test]
    fn non_finite_values_survive_json_and_csv() {
        let mut rep = Report::new(LabId::Rnn, 1, 2, BTreeMap::new());
        rep.set_series("a", vec![1.0, f64::NAN, f64::INFINITY]);
        rep.set_summary("b", f64::NEG_INFINITY);
        let json = rep.to_json();
        assert!(json.contains(r#""a":[1.0,null,null]"#), "{json}");
        assert!(json.contains(r#""b":null"#));
        let mut csv = Vec::new();
        rep.write_csv(&mut csv).unwrap();
        let csv = String::from_utf8(csv).unwrap();
        assert_eq!(
            csv,
            "series,index,value\na,0,1\na,1,nan\na,2,inf\nsummary,b,-inf\n"
        );
    }
}
