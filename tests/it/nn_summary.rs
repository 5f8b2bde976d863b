//! The ResNet-18 parameter table against PyTorch's (`resnet18_params.json`): every layer,
//! shape and count, the totals, and the three groups, both through the library and
//! through `gradscope resnet summary`.

#![allow(clippy::unwrap_used)]

use gradscope::testing::nn::summary::ModelSummary;
use gradscope::testing::nn::{ResNetConfig, Stem};
use serde_json::Value;
use std::path::Path;

fn fixture_entries() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/resnet18_params.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v.as_array().unwrap().clone()
}

fn entry(stem: &str, width: u64, classes: u64) -> Value {
    fixture_entries()
        .into_iter()
        .find(|e| e["stem"] == stem && e["width"] == width && e["classes"] == classes)
        .unwrap()
}

/// `actual` has every key of `expected` with an equal value (recursively); extra keys in
/// `actual` objects are allowed (the summary adds `weight_decay` to each group).
fn assert_covers(expected: &Value, actual: &Value, path: &str) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let av = a.get(k).unwrap_or_else(|| panic!("{path}.{k} missing"));
                assert_covers(ev, av, &format!("{path}.{k}"));
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            assert_eq!(e.len(), a.len(), "{path}: length");
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                assert_covers(ev, av, &format!("{path}[{i}]"));
            }
        }
        _ => assert_eq!(expected, actual, "{path}"),
    }
}

fn summary(stem: Stem, width: usize, classes: usize) -> ModelSummary {
    ModelSummary::of(ResNetConfig {
        stem,
        width,
        classes,
        ..ResNetConfig::default()
    })
}

#[test]
fn cifar_64_10_matches_pytorch_table() {
    let s = summary(Stem::Cifar, 64, 10);
    assert_eq!(s.total, 11_173_962);
    let json: Value = serde_json::from_str(&s.to_json()).unwrap();
    assert_covers(&entry("cifar", 64, 10), &json, "");
    // The key sets of the shared entries are exactly the fixture's.
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 6);
}

#[test]
fn imagenet_64_1000_matches_pytorch_table() {
    let s = summary(Stem::Imagenet, 64, 1000);
    assert_eq!(s.total, 11_689_512);
    let json: Value = serde_json::from_str(&s.to_json()).unwrap();
    assert_covers(&entry("imagenet", 64, 1000), &json, "");
}

#[test]
fn every_layer_count_and_the_groups() {
    for (stem, classes, name) in [
        (Stem::Cifar, 10, "cifar"),
        (Stem::Imagenet, 1000, "imagenet"),
    ] {
        let s = summary(stem, 64, classes);
        let fixture = entry(name, 64, classes as u64);
        let layers = fixture["layers"].as_array().unwrap();
        assert_eq!(s.layers.len(), layers.len());
        for (ours, theirs) in s.layers.iter().zip(layers) {
            assert_eq!(ours.layer, theirs["layer"].as_str().unwrap());
            assert_eq!(ours.kind, theirs["type"].as_str().unwrap());
            assert_eq!(
                ours.count as u64,
                theirs["count"].as_u64().unwrap(),
                "{}",
                ours.layer
            );
        }
        let g = s.groups;
        assert_eq!(
            (g.bn_affine.tensors, g.biases.tensors, g.rest.tensors),
            (40, 1, 21)
        );
        assert_eq!((g.bn_affine.count, g.biases.count), (9_600, classes));
        assert_eq!(g.bn_affine.count + g.biases.count + g.rest.count, s.total);
        assert!(!g.bn_affine.weight_decay && !g.biases.weight_decay && g.rest.weight_decay);
        // What name-substring grouping gets wrong.
        assert_eq!(s.by_name.bn_by_name, 34);
        assert_eq!(s.by_name.misfiled.len(), 6);
        assert!(
            s.by_name
                .misfiled
                .iter()
                .all(|n| n.contains("downsample.1."))
        );
        assert_eq!(s.by_name.dropped_weights, 21);
    }
}

#[test]
fn cli_json_equals_fixture_entries() {
    for (stem, classes) in [("cifar", "10"), ("imagenet", "1000")] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_gradscope"))
            .args([
                "resnet",
                "summary",
                "--stem",
                stem,
                "--width",
                "64",
                "--classes",
                classes,
            ])
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert!(out.status.success());
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_covers(&entry(stem, 64, classes.parse().unwrap()), &json, stem);
    }
}

#[test]
fn cli_table_has_rows_totals_groups_and_the_note() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gradscope"))
        .args(["resnet", "summary"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let row = |prefix: &str| {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap()
            .to_string()
    };
    assert!(row("layer2.0.downsample.1 ").contains("BatchNorm2d"));
    assert!(row("layer2.0.downsample.1 ").trim_end().ends_with("256"));
    assert!(row("fc ").trim_end().ends_with("5,130"));
    assert!(row("total").trim_end().ends_with("11,173,962"));
    let bn = row("bn_affine");
    assert!(bn.contains(" 40 ") && bn.contains("9,600") && bn.trim_end().ends_with("no"));
    let rest = row("rest");
    assert!(rest.contains(" 21 ") && rest.trim_end().ends_with("yes"));
    assert!(row("biases").trim_end().ends_with("no"));
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("'bn' in name"));
    assert!(flat.contains("layer2.0.downsample.1, layer3.0.downsample.1, layer4.0.downsample.1"));
    assert!(flat.contains("21 conv and fc weights"));
}
