//! Two-parameter sweeps (`--param2`) and `sweep merge`, as a user runs them: the map's rows
//! are the one-parameter sweeps, shards merge into exactly the unsharded output, a wrong set
//! of shards is refused, invalid points are skipped and counted, and `--plot` draws the map.

#![allow(clippy::unwrap_used)]

use crate::common::gradscope;
use serde_json::Value;
use std::path::Path;

/// A small bn map: lr (4 columns, log) × wd (3 rows, log), 200 steps a point.
const MAP: &[&str] = &[
    "sweep",
    "bn",
    "--param",
    "lr",
    "--from",
    "0.01",
    "--to",
    "1",
    "--points",
    "4",
    "--log",
    "--param2",
    "wd",
    "--from2",
    "1e-4",
    "--to2",
    "1e-2",
    "--points2",
    "3",
    "--log2",
    "--metric",
    "angular_update_ratio",
    "--steps",
    "200",
    "--jobs",
    "2",
];

fn stdout(args: &[&str]) -> Vec<u8> {
    let out = gradscope().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

#[test]
fn a_map_is_its_rows_of_one_parameter_sweeps() {
    let map = json(&stdout(MAP));
    assert_eq!(map["param"], "lr");
    assert_eq!(map["param2"], "wd");
    assert_eq!(map["skipped"], 0);
    let axis2 = map["axis2"].as_array().unwrap();
    assert_eq!(map["axis"].as_array().unwrap().len(), 4);
    assert_eq!(axis2.len(), 3);
    let grid = map["grid"].as_array().unwrap();
    for (row, wd) in grid.iter().zip(axis2) {
        let wd = format!("wd={}", wd.as_f64().unwrap());
        let line = json(&stdout(&[
            "sweep",
            "bn",
            "--param",
            "lr",
            "--from",
            "0.01",
            "--to",
            "1",
            "--points",
            "4",
            "--log",
            "--metric",
            "angular_update_ratio",
            "--steps",
            "200",
            "--set",
            &wd,
        ]));
        let metrics: Vec<&Value> = line["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| &p["metric"])
            .collect();
        let row: Vec<&Value> = row.as_array().unwrap().iter().collect();
        assert_eq!(row, metrics, "the row at {wd}: the same numbers");
    }
    // Every point carries both coordinates, and the long-form CSV names both parameters.
    let p = &map["points"][5];
    assert_eq!(p["value"], map["axis"][1]);
    assert_eq!(p["value2"], map["axis2"][1]);
    let csv = String::from_utf8(stdout(&[MAP, &["--format", "csv"]].concat())).unwrap();
    assert_eq!(csv.lines().next(), Some("index,lr,wd,angular_update_ratio"));
    assert_eq!(csv.lines().count(), 1 + 12);
}

#[test]
fn shards_merge_into_the_unsharded_output_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let whole = stdout(MAP);
    let mut shards = Vec::new();
    for i in 0..3 {
        let path = dir.path().join(format!("shard{i}.json"));
        let shard = format!("{i}/3");
        std::fs::write(&path, stdout(&[MAP, &["--shard", &shard]].concat())).unwrap();
        shards.push(path);
    }
    // Any order gives the same bytes.
    let merged = stdout(&merge_args(&[&shards[2], &shards[0], &shards[1]]));
    assert_eq!(merged, whole);
    let out = dir.path().join("merged.json");
    stdout(
        &[
            merge_args(&[&shards[0], &shards[1], &shards[2]]),
            vec!["--out", out.to_str().unwrap()],
        ]
        .concat(),
    );
    assert_eq!(std::fs::read(&out).unwrap(), whole);

    // Missing, repeated and foreign shards are refused, one line each, exit 2.
    let foreign = dir.path().join("foreign.json");
    let seed_1 = [MAP, &["--shard", "1/3", "--seed", "1"]].concat();
    std::fs::write(&foreign, stdout(&seed_1)).unwrap();
    let unsharded = dir.path().join("whole.json");
    std::fs::write(&unsharded, &whole).unwrap();
    for (set, says) in [
        (vec![&shards[0], &shards[1]], "shard 2/3 is missing"),
        (
            vec![&shards[0], &shards[0], &shards[1], &shards[2]],
            "given twice",
        ),
        (vec![&shards[0], &foreign, &shards[2]], "its seed differs"),
        (vec![&unsharded], "not a shard"),
    ] {
        let out = gradscope().args(merge_args(&set)).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{says}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(says), "{err}");
        assert!(out.stdout.is_empty());
    }
}

fn merge_args<'a>(paths: &[&'a std::path::PathBuf]) -> Vec<&'a str> {
    let mut args = vec!["sweep", "merge"];
    args.extend(paths.iter().map(|p| p.to_str().unwrap()));
    args
}

#[test]
fn points_invalid_with_the_other_value_are_skipped_and_counted() {
    // mf's rank must not exceed min(rows, cols): rank 1..6 × rows 2..6 with cols 6 has
    // 2 + 3 + 4 + 5 + 6 = 20 valid points and 10 invalid ones.
    let out = gradscope()
        .args([
            "sweep",
            "mf",
            "--param",
            "rank",
            "--from",
            "1",
            "--to",
            "6",
            "--points",
            "6",
            "--param2",
            "rows",
            "--from2",
            "2",
            "--to2",
            "6",
            "--points2",
            "5",
            "--metric",
            "final_loss",
            "--set",
            "cols=6",
            "--set",
            "true_rank=2",
            "--steps",
            "20",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let map = json(&out.stdout);
    assert_eq!(map["skipped"], 10);
    assert_eq!(map["points"].as_array().unwrap().len(), 20);
    let grid = map["grid"].as_array().unwrap();
    for (row, rows) in grid.iter().zip(2..) {
        for (cell, rank) in row.as_array().unwrap().iter().zip(1..) {
            assert_eq!(cell.is_null(), rank > rows, "rank {rank}, rows {rows}");
        }
    }
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("10 of 30 points skipped"), "{err}");
    // A map with no valid point at all is an error.
    let none = gradscope()
        .args([
            "sweep",
            "mf",
            "--param",
            "rank",
            "--from",
            "5",
            "--to",
            "6",
            "--points",
            "2",
            "--param2",
            "rows",
            "--from2",
            "2",
            "--to2",
            "3",
            "--points2",
            "2",
            "--metric",
            "final_loss",
            "--set",
            "true_rank=1",
        ])
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(2));
}

#[test]
fn the_map_plot_has_its_axes_and_a_colour_bar() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("map.svg");
    stdout(&[MAP, &["--plot", svg.to_str().unwrap()]].concat());
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg"), "an SVG");
    let labels: Vec<String> = text
        .split("<text")
        .skip(1)
        .filter_map(|t| t.split_once('>').map(|(_, rest)| rest))
        .filter_map(|t| t.split_once("</text>").map(|(l, _)| l.trim().to_string()))
        .collect();
    for want in ["lr: 0.01 … 1", "wd = 1e-4 … 0.01"] {
        assert!(labels.iter().any(|l| l == want), "{want} in {labels:?}");
    }
    // The colour bar: ticks in the metric's range, and one band per colour step besides the
    // 12 cells of the map.
    let numbers: Vec<f64> = labels.iter().filter_map(|l| l.parse().ok()).collect();
    assert!(numbers.len() >= 2, "colour bar ticks: {labels:?}");
    assert!(text.matches("<rect").count() >= 12 + 64);
    assert!(Path::new(&svg).exists());
}
