//! `gradscope labs`: every lab with its parameters (name, default, range, scale, help).

use crate::cli::ListFormat;
use crate::fmt::fmt_num;
use crate::labs::LabId;
use crate::params::{Kind, ParamSpec};
use anyhow::Result;
use serde_json::{Value as Json, json};

fn spec_json(spec: &ParamSpec) -> Json {
    let mut j = json!({ "name": spec.name, "default": spec.default_value(), "help": spec.help });
    let obj = j.as_object_mut().expect("json! built an object");
    match spec.kind {
        Kind::Int {
            min, max, scale, ..
        } => {
            obj.insert("kind".into(), json!("int"));
            obj.insert("range".into(), json!([min, max]));
            obj.insert("scale".into(), json!(scale));
        }
        Kind::Float {
            min, max, scale, ..
        } => {
            obj.insert("kind".into(), json!("float"));
            obj.insert("range".into(), json!([min, max]));
            obj.insert("scale".into(), json!(scale));
        }
        Kind::Choice { choices, .. } => {
            obj.insert("kind".into(), json!("choice"));
            obj.insert("choices".into(), json!(choices));
        }
        Kind::Bool { .. } => {
            obj.insert("kind".into(), json!("bool"));
        }
        Kind::Path => {
            obj.insert("kind".into(), json!("path"));
        }
    }
    j
}

fn range_text(spec: &ParamSpec) -> String {
    match spec.kind {
        Kind::Int {
            min, max, scale, ..
        } => format!("[{min}, {max}] {scale:?}").to_lowercase(),
        Kind::Float {
            min, max, scale, ..
        } => {
            format!(
                "[{}, {}] {}",
                fmt_num(min),
                fmt_num(max),
                format!("{scale:?}").to_lowercase()
            )
        }
        Kind::Choice { choices, .. } => choices.join("|"),
        Kind::Bool { .. } => "true|false".into(),
        Kind::Path => "path".into(),
    }
}

/// The listing as JSON: `[{"lab","title","params":[{name,kind,default,range|choices,scale,help}]}]`.
pub fn labs_json() -> Json {
    Json::Array(
        LabId::all()
            .into_iter()
            .map(|id| {
                json!({
                    "lab": id.name(),
                    "title": id.title(),
                    "params": id.specs().iter().map(spec_json).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

/// The listing as an aligned table.
pub fn labs_table() -> String {
    let mut s = String::new();
    for id in LabId::all() {
        s += &format!("{} — {}\n", id.name(), id.title());
        s += &format!(
            "  {:<16} {:<12} {:<24} {}\n",
            "param", "default", "range", "help"
        );
        for spec in id.specs() {
            s += &format!(
                "  {:<16} {:<12} {:<24} {}\n",
                spec.name,
                spec.default_value().to_string(),
                range_text(spec),
                spec.help
            );
        }
        s += "\n";
    }
    s
}

pub fn labs(format: ListFormat) -> Result<()> {
    let text = match format {
        ListFormat::Json => labs_json().to_string() + "\n",
        ListFormat::Table => labs_table(),
    };
    crate::io::emit(None, text.as_bytes())
}
