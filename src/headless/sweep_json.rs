//! The JSON of a sweep, and `sweep merge`: the shards of one sweep joined into exactly the
//! document the unsharded sweep writes. Both build the document with `finish` from the same
//! description of the sweep (its `meta`) and its points, so they cannot write it differently.

use crate::error::UsageError;
use crate::sweep::{Shard, SweepPlan, SweepPoint};
use anyhow::Result;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::Path;

/// The largest shard file `sweep merge` reads (a 100,000-point sweep is about 10 MB).
const MAX_SHARD_BYTES: u64 = 256 << 20;

/// What identifies a sweep: everything but its points (and the shard it is).
fn meta(plan: &SweepPlan) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("lab".into(), json!(plan.lab().name()));
    m.insert("param".into(), json!(plan.param));
    m.insert("metric".into(), json!(plan.metric));
    m.insert("params".into(), json!(plan.base.params.to_map()));
    m.insert("axis".into(), json!(plan.axis()));
    m.insert("seed".into(), json!(plan.base.seed));
    m.insert("steps".into(), json!(plan.base.steps));
    if plan.seeds > 1 {
        let seeds: Vec<u64> = (0..plan.seeds as u64).map(|i| plan.base.seed + i).collect();
        m.insert("seeds".into(), json!(seeds));
    }
    if let Some((param2, _)) = &plan.second {
        m.insert("param2".into(), json!(param2));
        m.insert("axis2".into(), json!(plan.axis2()));
    }
    m
}

fn point_json(plan: &SweepPlan, p: &SweepPoint) -> Value {
    let mut o = json!({"index": p.index, "value": p.value, "metric": p.metric});
    if plan.second.is_some() {
        o["value2"] = json!(plan.axis2()[plan.coords(p.index).1]);
    }
    if let Some((q10, q90)) = p.spread {
        o["median"] = json!(p.metric);
        o["q10"] = json!(q10);
        o["q90"] = json!(q90);
    }
    o
}

/// The sweep's document: `meta`, its points in index order and, for a map, the `grid` of
/// metric values (rows of param2 by columns of param, `null` where a point is missing or
/// not finite) and the count of `skipped` points.
fn finish(mut doc: Map<String, Value>, points: Vec<Value>) -> Value {
    let len = |k: &str| doc.get(k).and_then(Value::as_array).map_or(0, Vec::len);
    let (cols, rows) = (len("axis"), len("axis2"));
    if doc.contains_key("param2") {
        let mut grid = vec![vec![Value::Null; cols]; rows];
        for p in &points {
            let index = p["index"].as_u64().unwrap_or(u64::MAX) as usize;
            if let Some(cell) = grid
                .get_mut(index / cols.max(1))
                .and_then(|r| r.get_mut(index % cols.max(1)))
            {
                *cell = p["metric"].clone();
            }
        }
        doc.insert("grid".into(), json!(grid));
        doc.insert(
            "skipped".into(),
            json!((cols * rows).saturating_sub(points.len())),
        );
    }
    doc.insert("points".into(), Value::Array(points));
    Value::Object(doc)
}

/// The JSON a sweep (or one shard of it) writes.
pub fn document(plan: &SweepPlan, points: &[SweepPoint], shard: Shard) -> Vec<u8> {
    let pts = points.iter().map(|p| point_json(plan, p)).collect();
    let mut doc = finish(meta(plan), pts);
    if shard != Shard::ALL {
        doc["shard"] = json!({"index": shard.index, "count": shard.count});
        // A shard's own skipped points, not the other shards' (the merge counts them all).
        if plan.second.is_some() {
            doc["skipped"] = json!(shard.len(plan.total()) - points.len());
        }
    }
    (doc.to_string() + "\n").into_bytes()
}

/// One shard file, read and split into its identity, its shard and its points.
struct ShardDoc {
    meta: Map<String, Value>,
    index: u64,
    count: u64,
    points: Vec<Value>,
}

fn read_shard(path: &Path) -> Result<ShardDoc> {
    let shown = path.display();
    let bad = |why: &str| UsageError::new(format!("sweep merge: {shown}: {why}"));
    let size = std::fs::metadata(path)
        .map_err(|e| bad(&format!("cannot read it ({e})")))?
        .len();
    if size > MAX_SHARD_BYTES {
        return Err(bad("larger than a sweep's JSON can be (256 MiB)").into());
    }
    let text = std::fs::read_to_string(path).map_err(|e| bad(&format!("cannot read it ({e})")))?;
    let Ok(Value::Object(mut meta)) = serde_json::from_str::<Value>(&text) else {
        return Err(bad("not the JSON of a sweep").into());
    };
    let Some(Value::Array(points)) = meta.remove("points") else {
        return Err(bad("not the JSON of a sweep (no points)").into());
    };
    let shard = meta.remove("shard");
    let (index, count) = match shard
        .as_ref()
        .map(|s| (s["index"].as_u64(), s["count"].as_u64()))
    {
        Some((Some(i), Some(n))) if i < n => (i, n),
        _ => return Err(bad("not a shard (written without --shard I/N)").into()),
    };
    meta.remove("grid");
    meta.remove("skipped");
    if !meta.contains_key("lab") || !meta.contains_key("axis") {
        return Err(bad("not the JSON of a sweep").into());
    }
    Ok(ShardDoc {
        meta,
        index,
        count,
        points,
    })
}

/// The merged document of the shards at `paths`: refused (one line) when they are not all
/// the shards of one sweep, each once.
pub fn merge(paths: &[std::path::PathBuf]) -> Result<Vec<u8>> {
    let docs = paths
        .iter()
        .map(|p| read_shard(p))
        .collect::<Result<Vec<_>>>()?;
    let first = &docs[0];
    for (doc, path) in docs.iter().zip(paths).skip(1) {
        if doc.meta != first.meta || doc.count != first.count {
            let key = [
                "lab", "param", "param2", "metric", "axis", "axis2", "params", "steps", "seed",
                "seeds",
            ]
            .into_iter()
            .find(|k| doc.meta.get(*k) != first.meta.get(*k))
            .unwrap_or("shard count");
            return Err(UsageError::new(format!(
                "sweep merge: {} is not a shard of the same sweep as {} (its {key} differs)",
                path.display(),
                paths[0].display()
            ))
            .into());
        }
    }
    let mut seen: BTreeMap<u64, &Path> = BTreeMap::new();
    for (doc, path) in docs.iter().zip(paths) {
        if let Some(other) = seen.insert(doc.index, path) {
            return Err(UsageError::new(format!(
                "sweep merge: shard {}/{} is given twice ({} and {})",
                doc.index,
                doc.count,
                other.display(),
                path.display()
            ))
            .into());
        }
    }
    if let Some(missing) = (0..first.count).find(|i| !seen.contains_key(i)) {
        return Err(UsageError::new(format!(
            "sweep merge: shard {missing}/{} is missing ({} of {} given)",
            first.count,
            seen.len(),
            first.count
        ))
        .into());
    }
    let mut points: Vec<Value> = docs.iter().flat_map(|d| d.points.iter().cloned()).collect();
    points.sort_by_key(|p| p["index"].as_u64().unwrap_or(u64::MAX));
    let doc = finish(first.meta.clone(), points);
    Ok((doc.to_string() + "\n").into_bytes())
}
