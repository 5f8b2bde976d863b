//! `gradscope labs`: every lab with its parameters (name, default, range, scale, help).

use crate::cli::ListFormat;
use crate::fmt::fmt_num;
use crate::labs::LabId;
use crate::params::{Kind, ParamSpec};
use anyhow::Result;
use serde_json::{Value as Json, json};

fn spec_json(spec: &ParamSpec) -> Json {
    let mut j = json!({
        "name": spec.name,
        "default": spec.default_value(),
        "help": spec.help,
        "live": spec.live,
    });
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

/// The listing as JSON: `[{"lab","title","params":[{name,kind,default,range|choices,scale,
/// help,live}],"presets":[{name,help,values}]}]`.
pub fn labs_json() -> Json {
    Json::Array(
        LabId::all()
            .iter()
            .map(|id| {
                let d = id.descriptor();
                let presets: Vec<Json> = d
                    .presets
                    .iter()
                    .map(|p| {
                        let values: serde_json::Map<String, Json> = p
                            .sets
                            .iter()
                            .map(|(k, v)| (k.to_string(), json!(v)))
                            .collect();
                        json!({"name": p.name, "help": p.help, "values": values})
                    })
                    .collect();
                json!({
                    "lab": d.name,
                    "title": d.title,
                    "params": d.specs.iter().map(spec_json).collect::<Vec<_>>(),
                    "presets": presets,
                    "maps": d.maps.iter().map(map_json).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

fn map_json(m: &crate::labs::MapPreset) -> Json {
    let axis = |a: &crate::labs::MapAxis| json!({"param": a.param, "from": a.from, "to": a.to, "log": a.log});
    let values: serde_json::Map<String, Json> = m
        .sets
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    json!({
        "name": m.name,
        "teaches": m.teaches,
        "x": axis(&m.x),
        "y": axis(&m.y),
        "metric": m.metric,
        "points": m.points,
        "steps": m.steps,
        "values": values,
    })
}

/// A map in one line: `x × y → metric` and what it teaches.
fn map_line(m: &crate::labs::MapPreset) -> String {
    let sets: Vec<String> = m.sets.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let at = if sets.is_empty() {
        String::new()
    } else {
        format!(" at {}", sets.join(" "))
    };
    format!(
        "{} × {} → {} ({n}×{n}{at}): {}",
        m.x.param,
        m.y.param,
        m.metric,
        m.teaches,
        n = m.points
    )
}

/// The listing as a table, its columns as wide as their widest entry in each lab.
pub fn labs_table() -> String {
    let mut s = String::new();
    for id in LabId::all() {
        let d = id.descriptor();
        s += &format!("{} — {}\n", d.name, d.title);
        let rows: Vec<[String; 4]> =
            std::iter::once(["param", "default", "range", "help"].map(String::from))
                .chain(d.specs.iter().map(|spec| {
                    [
                        spec.name.to_string(),
                        spec.default_value().to_string(),
                        range_text(spec),
                        spec.help.to_string(),
                    ]
                }))
                .collect();
        let width = |c: usize| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0);
        let (w0, w1, w2) = (width(0), width(1), width(2));
        for r in &rows {
            s += &format!("  {:<w0$}  {:<w1$}  {:<w2$}  {}\n", r[0], r[1], r[2], r[3]);
        }
        if !d.presets.is_empty() {
            s += "  presets:\n";
            let wp = d.presets.iter().map(|p| p.name.len()).max().unwrap_or(0);
            for p in d.presets {
                s += &format!("    {:<wp$}  {}\n", p.name, p.help);
            }
        }
        if !d.maps.is_empty() {
            s += "  maps (sweep --map NAME; a in the TUI):\n";
            let wm = d.maps.iter().map(|m| m.name.len()).max().unwrap_or(0);
            for m in d.maps {
                s += &format!("    {:<wm$}  {}\n", m.name, map_line(m));
            }
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
