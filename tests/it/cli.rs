//! The command line as a process: exit codes, one-line errors that name the accepted values,
//! and the JSON / CSV shapes scripts rely on.

#![allow(clippy::unwrap_used)]

use crate::common::gradscope;
use predicates::prelude::*;
use serde_json::Value;

/// Run, expect exit 2 and a single stderr line containing every `needle`.
fn fails_with(args: &[&str], needles: &[&str]) {
    let out = gradscope().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "one line for {args:?}: {err}");
    assert!(err.starts_with("error: "), "{err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: '{err}' lacks '{n}'");
    }
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_input_exits_2_with_one_line_naming_the_accepted_values() {
    fails_with(&["run", "nope"], &["unknown lab 'nope'", "accepted: rnn"]);
    fails_with(
        &["run", "rnn", "--set", "bogus=1"],
        &[
            "unknown parameter 'bogus'",
            "accepted: hidden, horizon, spectral_norm",
        ],
    );
    fails_with(
        &["run", "rnn", "--set", "spectral_norm=abc"],
        &[
            "spectral_norm=abc is not a number",
            "accepted: a number in [0.05, 3]",
        ],
    );
    fails_with(
        &["run", "rnn", "--set", "spectral_norm=nan"],
        &["spectral_norm=nan", "accepted: a number in [0.05, 3]"],
    );
    fails_with(
        &["run", "rnn", "--set", "spectral_norm=inf"],
        &["accepted: a number in [0.05, 3]"],
    );
    fails_with(
        &["run", "rnn", "--set", "hidden=10000"],
        &[
            "hidden=10000 is out of range",
            "accepted: an integer in [2, 256]",
        ],
    );
    fails_with(
        &["run", "rnn", "--set", "hidden=2.5"],
        &["not an integer", "[2, 256]"],
    );
    fails_with(
        &["run", "rnn", "--set", "init=haar"],
        &["init=haar", "orthogonal|gaussian|nonnormal"],
    );
    fails_with(&["run", "rnn", "--set", "hidden"], &["--set expects K=V"]);
    fails_with(
        &["run", "rnn", "--format", "xml"],
        &["xml", "json, csv, table"],
    );
    fails_with(&["frobnicate"], &["frobnicate"]);
    fails_with(&["tui", "--lab", "nope"], &["unknown lab 'nope'"]);
    fails_with(
        &["run", "rnn", "--out", "/nonexistent-dir/x.json"],
        &["--out '/nonexistent-dir/x.json'", "does not exist"],
    );
}

#[test]
fn sweep_errors_exit_2() {
    let base = [
        "sweep", "rnn", "--from", "0.5", "--to", "1.5", "--points", "3",
    ];
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        base.iter().copied().chain(extra.iter().copied()).collect()
    };
    fails_with(
        &with(&["--param", "spectral_norm", "--metric", "nope"]),
        &["unknown metric 'nope'", "final_ratio"],
    );
    fails_with(
        &with(&["--param", "init", "--metric", "final_ratio"]),
        &["cannot sweep 'init'", "not numeric"],
    );
    fails_with(
        &with(&["--param", "wat", "--metric", "final_ratio"]),
        &["unknown parameter 'wat'"],
    );
    fails_with(
        &with(&[
            "--param",
            "spectral_norm",
            "--metric",
            "final_ratio",
            "--shard",
            "3/2",
        ]),
        &["--shard expects I/N"],
    );
    fails_with(
        &with(&[
            "--param",
            "spectral_norm",
            "--metric",
            "final_ratio",
            "--jobs",
            "0",
        ]),
        &["--jobs must be between 1 and 1024"],
    );
    fails_with(
        &[
            "sweep",
            "rnn",
            "--param",
            "spectral_norm",
            "--from",
            "0.5",
            "--to",
            "9",
            "--points",
            "3",
            "--metric",
            "final_ratio",
        ],
        &["sweep value", "out of range", "[0.05, 3]"],
    );
}

#[test]
fn run_json_has_the_contract_shape() {
    let out = gradscope()
        .args(["run", "rnn", "--set", "horizon=20", "--seed", "4"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let keys: Vec<&str> = j.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["lab", "params", "seed", "series", "steps", "summary"]
    );
    assert_eq!(j["lab"], "rnn");
    assert_eq!(j["seed"], 4);
    assert_eq!(j["steps"], 41);
    assert_eq!(j["params"]["horizon"], 20);
    assert_eq!(j["params"]["init"], "orthogonal");
    assert_eq!(j["series"]["grad_norm"].as_array().unwrap().len(), 21);
    assert_eq!(j["summary"]["regime"], "neutral");
    assert!(j["summary"]["spectral_norm"].is_number());
}

#[test]
fn overflow_is_null_in_json_and_inf_in_csv() {
    let args = [
        "run",
        "rnn",
        "--set",
        "spectral_norm=3",
        "--set",
        "horizon=1000",
        "--steps",
        "0",
    ];
    let out = gradscope().args(args).output().unwrap();
    assert!(out.status.success());
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let g = j["series"]["grad_norm"].as_array().unwrap();
    assert_eq!(g.len(), 1001, "non-finite values are kept, not dropped");
    // 3^1000 is beyond f64: the ratio is +inf (null in JSON), never NaN, and its log10
    // is still exact.
    assert!(g[1000].is_null());
    assert!(
        (j["summary"]["log10_final_ratio"].as_f64().unwrap() - 1000.0 * 3f64.log10()).abs() < 1e-9
    );
    assert_eq!(j["summary"]["regime"], "exploding");

    let out = gradscope()
        .args(args)
        .args(["--format", "csv"])
        .output()
        .unwrap();
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(csv.starts_with("series,index,value\n"));
    assert!(csv.contains("\ngrad_norm,1000,inf\n"));
}

#[test]
fn csv_is_long_format_series_then_summary() {
    let out = gradscope()
        .args([
            "run",
            "rnn",
            "--set",
            "horizon=5",
            "--steps",
            "2",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("series,index,value"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.iter().all(|r| r.len() == 3));
    let first_summary = rows.iter().position(|r| r[0] == "summary").unwrap();
    assert!(rows[first_summary..].iter().all(|r| r[0] == "summary"));
    assert!(
        rows[..first_summary]
            .iter()
            .any(|r| r[0] == "grad_norm" && r[1] == "5")
    );
    assert!(rows.iter().any(|r| r == &["summary", "regime", "neutral"]));
    assert!(rows.iter().any(|r| r[0] == "heatmap_log10" && r[1] == "11"));
}

#[test]
fn sweep_json_and_shards_concatenate_to_the_whole() {
    let args = [
        "sweep",
        "rnn",
        "--param",
        "spectral_norm",
        "--from",
        "0.5",
        "--to",
        "1.5",
        "--points",
        "5",
        "--metric",
        "log10_final_ratio",
        "--set",
        "horizon=10",
        "--steps",
        "0",
    ];
    let out = gradscope().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["lab"], "rnn");
    assert_eq!(j["param"], "spectral_norm");
    assert_eq!(j["metric"], "log10_final_ratio");
    assert_eq!(j["params"]["horizon"], 10);
    let pts = j["points"].as_array().unwrap();
    let values: Vec<f64> = pts.iter().map(|p| p["value"].as_f64().unwrap()).collect();
    assert_eq!(values, [0.5, 0.75, 1.0, 1.25, 1.5]);
    // Orthogonal linear: log10 ratio = T·log10(s), zero at the boundary s = 1.
    for p in pts {
        let s = p["value"].as_f64().unwrap();
        let m = p["metric"].as_f64().unwrap();
        assert!((m - 10.0 * s.log10()).abs() < 1e-9);
    }
    let mut merged = Vec::new();
    for shard in ["0/2", "1/2"] {
        let out = gradscope()
            .args(args)
            .args(["--shard", shard, "--jobs", "1"])
            .output()
            .unwrap();
        let j: Value = serde_json::from_slice(&out.stdout).unwrap();
        merged.extend(j["points"].as_array().unwrap().clone());
    }
    merged.sort_by_key(|p| p["index"].as_u64().unwrap());
    assert_eq!(&merged, pts);
}

#[test]
fn sweep_csv_and_log_spacing() {
    let out = gradscope()
        .args([
            "sweep",
            "rnn",
            "--param",
            "z0_scale",
            "--from",
            "0.01",
            "--to",
            "1",
            "--points",
            "3",
            "--log",
            "--metric",
            "final_ratio",
            "--format",
            "csv",
            "--steps",
            "0",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "index,z0_scale,final_ratio");
    assert!(lines[2].starts_with("1,0.1"), "{}", lines[2]);
}

#[test]
fn labs_lists_every_parameter() {
    let out = gradscope()
        .args(["labs", "--format", "json"])
        .output()
        .unwrap();
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rnn = &j.as_array().unwrap()[0];
    assert_eq!(rnn["lab"], "rnn");
    let names: Vec<&str> = rnn["params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "hidden",
            "horizon",
            "spectral_norm",
            "spectral_radius",
            "block",
            "init",
            "activation",
            "z0_scale"
        ]
    );
    let sn = &rnn["params"][2];
    assert_eq!(sn["default"], 1.0);
    assert_eq!(sn["range"], serde_json::json!([0.05, 3.0]));
    assert_eq!(sn["scale"], "lin");
    gradscope()
        .arg("labs")
        .assert()
        .success()
        .stdout(predicate::str::contains("spectral_norm"));
}

#[test]
fn out_writes_the_file_atomically_and_table_prints() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.json");
    gradscope()
        .args(["run", "rnn", "--steps", "1", "--out"])
        .arg(&path)
        .assert()
        .success()
        .stdout("");
    let j: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(j["steps"], 1);
    // Only the target file is left behind: no temporary files.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    gradscope()
        .args(["run", "rnn", "--format", "table", "--steps", "0"])
        .assert()
        .success()
        .stdout(predicate::str::contains("log10_final_ratio"));
}

#[test]
fn the_tui_without_a_terminal_is_a_clear_error() {
    let out = gradscope().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("the TUI needs a terminal"), "{err}");
}

#[test]
fn bench_render_reports_every_pane() {
    let out = gradscope()
        .args(["bench", "render", "--reps", "3", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = j["render"].as_array().unwrap();
    assert_eq!(r[0]["pane"], "rnn");
    assert!(r[0]["median_ms"].as_f64().unwrap() > 0.0);
    assert!(r[0]["p99_ms"].as_f64().unwrap() >= r[0]["median_ms"].as_f64().unwrap());
}

#[test]
fn mf_factorises_a_users_matrix_and_reports_the_gap() {
    let dir = tempfile::tempdir().unwrap();
    let x = gradscope::testing::labs::mf::synthetic_x(
        12,
        7,
        4,
        0.02,
        &mut gradscope::testing::rng::rng(1, 0),
    );
    let npy = dir.path().join("my.npy");
    ndarray_npy::write_npy(&npy, &x).unwrap();
    let out = gradscope()
        .args(["run", "mf", "--set"])
        .arg(format!("input={}", npy.display()))
        .args(["--set", "rank=3", "--steps", "2000"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["summary"]["m"], 12.0);
    assert_eq!(j["summary"]["n"], 7.0);
    assert!(j["summary"]["relative_gap"].as_f64().unwrap().abs() < 1e-8);
    assert_eq!(j["summary"]["target_sv"].as_array().unwrap().len(), 3);
    assert_eq!(j["series"]["segment"].as_array().unwrap().len(), 101);
}

#[test]
fn mf_malformed_inputs_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let vec_npy = dir.path().join("vec.npy");
    ndarray_npy::write_npy(&vec_npy, &ndarray::array![1.0, 2.0]).unwrap();
    let inf_npy = dir.path().join("inf.npy");
    ndarray_npy::write_npy(&inf_npy, &ndarray::array![[1.0, f64::INFINITY]]).unwrap();
    let cases = [
        (
            dir.path().join("missing.npy").display().to_string(),
            "no such file",
        ),
        (write("bad.csv", "1,2\n3,oops\n"), "is not a number"),
        (
            write("ragged.csv", "1,2\n3\n"),
            "every row must have the same length",
        ),
        (write("nan.csv", "1,2\nnan,4\n"), "non-finite value"),
        (write("junk.npy", "garbage"), "not a readable .npy matrix"),
        (
            vec_npy.display().to_string(),
            "expected a 2-D matrix, found 1-D",
        ),
        (inf_npy.display().to_string(), "non-finite value inf"),
        (
            write("x.json", "[[1]]"),
            "unsupported file type; accepted: .npy, .csv",
        ),
    ];
    for (path, why) in cases {
        let set = format!("input={path}");
        fails_with(&["run", "mf", "--set", &set], &[&path, why]);
    }
    let ok = write("small.csv", "1,2\n3,4\n");
    fails_with(
        &[
            "run",
            "mf",
            "--set",
            &format!("input={ok}"),
            "--set",
            "rank=3",
        ],
        &["rank=3 exceeds min(rows, cols) = 2"],
    );
}

#[test]
fn bench_resnet_and_labs_have_the_contract_shape() {
    let out = gradscope()
        .args(["bench", "resnet", "--reps", "1", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = j["resnet"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for (row, width) in rows.iter().zip([16, 64]) {
        assert_eq!(row["width"], width);
        assert_eq!(row["batch"], 32);
        assert!(row["train_images_per_s"].as_f64().unwrap() > 0.0);
        assert!(row["eval_images_per_s"].as_f64().unwrap() > 0.0);
    }
    let out = gradscope()
        .args(["bench", "labs", "--reps", "1", "--format", "json"])
        .output()
        .unwrap();
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let labs: Vec<&str> = j["labs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["lab"].as_str().unwrap())
        .collect();
    let all: Vec<&str> = gradscope::testing::labs::LabId::all()
        .iter()
        .map(|l| l.name())
        .collect();
    assert_eq!(labs, all);
}

#[test]
fn bn_run_has_every_key_of_design_and_sweeps_wd_headless() {
    let j = json_of(&["run", "bn", "--steps", "300"]);
    for v in ["wd", "nowd"] {
        for s in [
            "weight_norm",
            "eff_lr",
            "angular_update",
            "train_loss",
            "val_acc",
            "orthogonality",
        ] {
            let series = j["series"][format!("{s}.{v}")].as_array().unwrap();
            assert_eq!(series.len(), 300, "{s}.{v}");
        }
        for k in ["angular_update_tail", "weight_norm_final", "val_acc_final"] {
            assert!(j["summary"][format!("{k}.{v}")].is_number(), "{k}.{v}");
        }
    }
    let theory = (2.0f64 * 0.1 * 5e-4 / 1.9).sqrt();
    let got = j["summary"]["angular_update_theory"].as_f64().unwrap();
    assert!((got - theory).abs() < 1e-15);
    assert!(j["summary"]["scale_check"].as_f64().unwrap() < 1e-12);
    // The sweep of the issue, headless: the equilibrium angle against λ.
    let j = json_of(&[
        "sweep",
        "bn",
        "--param",
        "wd",
        "--from",
        "0.005",
        "--to",
        "0.02",
        "--points",
        "3",
        "--log",
        "--metric",
        "angular_update_tail.wd",
        "--set",
        "lr=0.2",
        "--steps",
        "1000",
    ]);
    for p in j["points"].as_array().unwrap() {
        let (wd, m) = (p["value"].as_f64().unwrap(), p["metric"].as_f64().unwrap());
        let theory = (2.0 * 0.2 * wd / 1.9).sqrt();
        assert!((m / theory - 1.0).abs() < 0.15, "λ {wd}: {m} vs {theory}");
    }
    fails_with(
        &["run", "bn", "--set", "batch=512", "--set", "width=512"],
        &["batch·width·(dim + 20)", "lower batch, width or dim"],
    );
}

fn json_of(args: &[&str]) -> Value {
    let out = gradscope().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn presets_apply_before_sets_and_unknown_ones_list_the_accepted() {
    let j = json_of(&["run", "rnn", "--preset", "transient-growth"]);
    assert_eq!(j["params"]["init"], "nonnormal");
    assert!(j["summary"]["peak_ratio"].as_f64().unwrap() > 10.0);
    let j = json_of(&[
        "run",
        "rnn",
        "--preset",
        "exact-power",
        "--set",
        "spectral_norm=1.2",
    ]);
    assert_eq!(j["params"]["spectral_norm"], 1.2);
    let j = json_of(&[
        "sweep",
        "mf",
        "--preset",
        "landscape",
        "--param",
        "lr",
        "--from",
        "0.01",
        "--to",
        "0.02",
        "--points",
        "2",
        "--metric",
        "relative_gap",
    ]);
    assert_eq!(j["params"]["rows"], 1);
    fails_with(
        &["run", "mf", "--preset", "nope"],
        &[
            "unknown preset 'nope' for lab mf",
            "accepted: in-order, landscape",
        ],
    );
    fails_with(
        &["tui", "--lab", "rnn", "--preset", "nope"],
        &["unknown preset 'nope'"],
    );
    let labs = json_of(&["labs", "--format", "json"]);
    for lab in labs.as_array().unwrap() {
        let presets = lab["presets"].as_array().unwrap();
        assert!((3..=5).contains(&presets.len()), "{}", lab["lab"]);
        assert!(
            presets
                .iter()
                .all(|p| p["values"].is_object() && p["help"].is_string())
        );
    }
}

#[test]
fn mf_defaults_converge_on_a_matrix_of_any_scale() {
    let dir = tempfile::tempdir().unwrap();
    // The lab's own kind of matrix (singular values 10, 20/3, 10/3 plus noise), at three
    // scales: the scale-free step makes every one converge with the defaults.
    let x = gradscope::testing::labs::mf::synthetic_x(
        20,
        12,
        3,
        0.01,
        &mut gradscope::testing::rng::rng(7, 0),
    );
    let rows: Vec<Vec<f64>> = x.rows().into_iter().map(|r| r.to_vec()).collect();
    for scale in [1e-3, 1.0, 1e3] {
        let path = dir.path().join(format!("x{scale}.csv"));
        let text: String = rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|v| format!("{:e}", v * scale))
                    .collect::<Vec<_>>()
                    .join(",")
                    + "\n"
            })
            .collect();
        std::fs::write(&path, text).unwrap();
        let set = format!("input={}", path.display());
        let out = gradscope()
            .args(["run", "mf", "--set", &set])
            .output()
            .unwrap();
        assert!(out.status.success());
        assert!(
            out.stderr.is_empty(),
            "no divergence warning at scale {scale}"
        );
        let j: Value = serde_json::from_slice(&out.stdout).unwrap();
        let gap = j["summary"]["relative_gap"].as_f64().unwrap();
        assert!(gap.abs() < 1e-6, "scale {scale}: relative gap {gap}");
        assert_eq!(j["summary"]["diverged"], 0.0);
    }
}

#[test]
fn a_diverged_run_warns_once_and_learned_nothing() {
    let out = gradscope()
        .args(["run", "mf", "--preset", "diverge"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("warning: the run diverged"), "{err}");
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["summary"]["diverged"], 1.0);
    assert!(
        j["summary"]["learned_at"]
            .as_array()
            .unwrap()
            .iter()
            .all(Value::is_null)
    );
}

#[test]
fn headless_runs_are_not_paced() {
    // The TUI paces rnn's 41 steps at 10 a second (4.1 s); headless runs never sleep.
    let start = std::time::Instant::now();
    gradscope().args(["run", "rnn"]).assert().success();
    gradscope().args(["run", "mf"]).assert().success();
    let secs = start.elapsed().as_secs_f64();
    assert!(
        secs < 4.0,
        "two headless runs took {secs} s, at least one paced run's length"
    );
}

#[test]
fn sweep_points_are_capped_and_log_grids_end_exactly_at_the_range() {
    fails_with(
        &[
            "sweep",
            "rnn",
            "--param",
            "spectral_norm",
            "--from",
            "0.5",
            "--to",
            "1.5",
            "--points",
            "18446744073709551615",
            "--metric",
            "final_ratio",
        ],
        &["more than the 100000 one sweep may have"],
    );
    // z0_scale's whole documented range, log-spaced: the last point is exactly 100.
    let j = json_of(&[
        "sweep",
        "rnn",
        "--param",
        "z0_scale",
        "--from",
        "0.001",
        "--to",
        "100",
        "--log",
        "--points",
        "7",
        "--metric",
        "final_ratio",
    ]);
    let values: Vec<f64> = j["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].as_f64().unwrap())
        .collect();
    assert_eq!(values.first(), Some(&0.001));
    assert_eq!(values.last(), Some(&100.0));
    assert!((values[3] - 0.3162277660168379).abs() < 1e-12, "{values:?}");
}

#[test]
fn run_over_seeds_prints_runs_quantiles_and_lessons() {
    let out = gradscope()
        .args([
            "run", "mf", "--steps", "80", "--seed", "3", "--seeds", "4", "--jobs", "2",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["lab"], "mf");
    assert_eq!(doc["seeds"], serde_json::json!([3, 4, 5, 6]));
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 4);
    // Each run is the single run of its seed.
    let single = gradscope()
        .args(["run", "mf", "--steps", "80", "--seed", "5"])
        .output()
        .unwrap();
    let single: serde_json::Value = serde_json::from_slice(&single.stdout).unwrap();
    assert_eq!(runs[2]["seed"], 5);
    assert_eq!(runs[2]["summary"], single["summary"]);
    let q = &doc["quantiles"]["final_loss"];
    for k in ["min", "q10", "q25", "median", "q75", "q90", "max", "mean"] {
        assert!(q[k].is_f64(), "{k}: {q}");
    }
    let losses: Vec<f64> = runs
        .iter()
        .map(|r| r["summary"]["final_loss"].as_f64().unwrap())
        .collect();
    let (lo, hi) = losses
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(*x), b.max(*x))
        });
    assert_eq!(
        (q["min"].as_f64().unwrap(), q["max"].as_f64().unwrap()),
        (lo, hi)
    );
    let lessons = doc["lessons"].as_array().unwrap();
    assert!(lessons.iter().all(|l| l["of"] == 4), "{lessons:?}");
    // Table: one row per numeric key; bad counts are usage errors.
    let table = gradscope()
        .args([
            "run", "mf", "--steps", "20", "--seeds", "2", "--format", "table",
        ])
        .output()
        .unwrap();
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(
        table.lines().any(|l| l.starts_with("final_loss ")),
        "{table}"
    );
    for bad in [&["--seeds", "0"][..], &["--jobs", "2"][..]] {
        let out = gradscope().args(["run", "mf"]).args(bad).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    }
}

#[test]
fn sweep_over_seeds_gives_each_point_its_median_and_spread() {
    let out = gradscope()
        .args([
            "sweep",
            "mf",
            "--param",
            "lr",
            "--from",
            "0.005",
            "--to",
            "0.02",
            "--points",
            "2",
            "--metric",
            "final_loss",
            "--steps",
            "40",
            "--seeds",
            "3",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["seeds"], serde_json::json!([0, 1, 2]));
    for p in doc["points"].as_array().unwrap() {
        let (q10, m, q90) = (
            p["q10"].as_f64().unwrap(),
            p["median"].as_f64().unwrap(),
            p["q90"].as_f64().unwrap(),
        );
        assert!(q10 <= m && m <= q90, "{p}");
        assert_eq!(p["metric"], p["median"]);
    }
    let csv = gradscope()
        .args([
            "sweep",
            "mf",
            "--param",
            "lr",
            "--from",
            "0.005",
            "--to",
            "0.02",
            "--points",
            "2",
            "--metric",
            "final_loss",
            "--steps",
            "40",
            "--seeds",
            "3",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert!(csv.starts_with("index,lr,final_loss,q10,q90\n"), "{csv}");
}

#[test]
fn a_sweep_metric_never_finite_is_an_error_and_sometimes_finite_a_warning() {
    let sweep = |from: &str, to: &str| {
        gradscope()
            .args(["sweep", "mf", "--param", "lr", "--from", from, "--to", to])
            .args(["--points", "3", "--metric", "final_loss", "--steps", "100"])
            .args(["--format", "csv"])
            .output()
            .unwrap()
    };
    // lr above 1/(2σ₁) = 0.05 diverges at every point: exit 2, one line naming the metric.
    let all = sweep("0.2", "0.3");
    assert_eq!(all.status.code(), Some(2));
    let err = String::from_utf8_lossy(&all.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("final_loss is not finite at any of the 3 points"),
        "{err}"
    );
    assert!(all.stdout.is_empty());
    // Some points diverge: the numbers are written, and a warning names the points.
    let some = sweep("0.01", "0.2");
    assert!(some.status.success());
    let err = String::from_utf8_lossy(&some.stderr);
    assert!(
        err.contains("not finite at 2 of 3 points (lr = 0.105, 0.2)"),
        "{err}"
    );
    let csv = String::from_utf8(some.stdout).unwrap();
    assert!(csv.starts_with("index,lr,final_loss\n0,0.01,"), "{csv}");
    assert!(csv.ends_with("2,0.2,nan\n"), "{csv}");
}

#[test]
fn sweep_plot_draws_the_sweep_with_its_band() {
    let dir = tempfile::tempdir().unwrap();
    let plot = dir.path().join("lr.svg");
    let out = gradscope()
        .args([
            "sweep", "mf", "--param", "lr", "--from", "0.005", "--to", "0.04",
        ])
        .args(["--points", "5", "--metric", "final_loss", "--steps", "60"])
        .args(["--seeds", "3", "--format", "csv", "--plot"])
        .arg(&plot)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(
        svg.contains("sweep: final_loss vs lr (5 points, median and 10–90% of 3 seeds)"),
        "{svg}"
    );
    // The band (a shaded polygon) and the axes named after the parameter and the metric.
    assert!(svg.contains("<polygon"), "{svg}");
    assert!(
        svg.contains(">\nlr\n<") && svg.contains(">\nfinal_loss\n<"),
        "{svg}"
    );
    // --plot is an output like --out: onto the same file it is refused before any run.
    let same = gradscope()
        .args([
            "sweep", "mf", "--param", "lr", "--from", "0.005", "--to", "0.04",
        ])
        .args(["--points", "5", "--metric", "final_loss", "--out"])
        .arg(&plot)
        .arg("--plot")
        .arg(&plot)
        .output()
        .unwrap();
    assert_eq!(same.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&same.stderr).contains("--plot"));
}
