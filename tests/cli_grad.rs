//! `gradscope grad`: exit codes and one-line messages for bad models, files and values.

#![allow(clippy::unwrap_used)]

use assert_cmd::Command;
use gradscope::nn::checkpoint::{self, OwnedTensor};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// An edit of a state dict that makes it inconsistent.
type Edit = Box<dyn Fn(&mut BTreeMap<String, OwnedTensor>)>;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn gradscope() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gradscope"))
}

/// `grad resnet18` with these files; returns the command ready to run.
fn grad(weights: &Path, input: &Path, out: &Path) -> Command {
    let mut cmd = gradscope();
    cmd.args(["grad", "resnet18", "--weights"]).arg(weights);
    cmd.arg("--input").arg(input).arg("--out").arg(out);
    cmd
}

fn one_line_error(cmd: &mut Command, needle: &str) {
    let out = cmd.assert().code(2).stdout("").get_output().stderr.clone();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains(needle), "{text:?} lacks {needle:?}");
}

#[test]
fn unknown_model_lists_the_accepted_ones() {
    let mut cmd = gradscope();
    cmd.args([
        "grad",
        "lstm",
        "--weights",
        "w",
        "--input",
        "i",
        "--out",
        "o",
    ]);
    one_line_error(&mut cmd, "unknown model 'lstm'; accepted: resnet18");
}

#[test]
fn default_run_writes_the_reference_keys() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.safetensors");
    let (w, i) = (
        fixture("resnet18_weights.safetensors"),
        fixture("resnet18_input.safetensors"),
    );
    grad(&w, &i, &out).assert().success().stdout("");
    let bytes = std::fs::read(&out).unwrap();
    let st = checkpoint::parse(&bytes, "o").unwrap();
    // Defaults are the fixture's settings: two steps.
    assert_eq!(checkpoint::shape_of(&st, "loss", "o").unwrap(), [2]);
    assert_eq!(st.len(), 187);
    let mut cmd = grad(&w, &i, &out);
    cmd.args(["--steps", "3"]).assert().success();
    let bytes = std::fs::read(&out).unwrap();
    let st = checkpoint::parse(&bytes, "o").unwrap();
    assert_eq!(
        checkpoint::ints(&st, "bn1.num_batches_tracked", "o").unwrap(),
        [3]
    );
}

#[test]
fn truncated_weights_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.safetensors");
    let bytes = std::fs::read(fixture("resnet18_weights.safetensors")).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() - 1000]).unwrap();
    let out = dir.path().join("o.safetensors");
    one_line_error(
        &mut grad(&cut, &fixture("resnet18_input.safetensors"), &out),
        "cut.safetensors",
    );
    assert!(!out.exists());
}

#[test]
fn inconsistent_weights_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(fixture("resnet18_weights.safetensors")).unwrap();
    let st = checkpoint::parse(&bytes, "w").unwrap();
    let mut net =
        gradscope::nn::ResNet::<f32>::zeros(checkpoint::infer_resnet_config(&st, "w").unwrap());
    checkpoint::load_state(&mut net, &st, "w").unwrap();
    let input = fixture("resnet18_input.safetensors");
    let out = dir.path().join("o.safetensors");
    let cases: [(&str, Edit, &str); 4] = [
        (
            "shape",
            Box::new(|s| {
                s.insert("layer2.1.bn2.bias".into(), OwnedTensor::f32(&[8], [0.0; 8]));
            }),
            "'layer2.1.bn2.bias' has shape [8], expected [16]",
        ),
        (
            "missing",
            Box::new(|s| {
                s.remove("layer4.0.downsample.0.weight");
            }),
            "no tensor 'layer4.0.downsample.0.weight'",
        ),
        (
            "stem",
            Box::new(|s| {
                s.insert(
                    "conv1.weight".into(),
                    OwnedTensor::f32(&[8, 3, 5, 5], [0.0; 600]),
                );
            }),
            "conv1.weight has shape [8, 3, 5, 5]",
        ),
        (
            "fc",
            Box::new(|s| {
                s.insert("fc.weight".into(), OwnedTensor::f32(&[10, 32], [0.0; 320]));
            }),
            "fc.weight has shape [10, 32], expected [classes, 64]",
        ),
    ];
    for (name, edit, needle) in cases {
        let mut state = checkpoint::state(&mut net);
        edit(&mut state);
        let path = dir.path().join(format!("{name}.safetensors"));
        std::fs::write(&path, checkpoint::serialize(&state).unwrap()).unwrap();
        one_line_error(&mut grad(&path, &input, &out), needle);
        one_line_error(
            &mut grad(&path, &input, &out),
            &format!("{name}.safetensors"),
        );
    }
}

#[test]
fn bad_inputs_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let w = fixture("resnet18_weights.safetensors");
    let out = dir.path().join("o.safetensors");
    let write = |name: &str, tensors: Vec<(&str, OwnedTensor)>| {
        let map = tensors
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let path = dir.path().join(name);
        std::fs::write(&path, checkpoint::serialize(&map).unwrap()).unwrap();
        path
    };
    let img = |n: usize, hw: usize| OwnedTensor::f32(&[n, 3, hw, hw], vec![0.5; n * 3 * hw * hw]);
    let p = write(
        "t.safetensors",
        vec![
            ("input", img(2, 8)),
            ("target", OwnedTensor::i64(&[2], [1, 10])),
        ],
    );
    one_line_error(&mut grad(&w, &p, &out), "target 10 is not a class of 0..10");
    let p = write(
        "n.safetensors",
        vec![
            ("input", img(2, 8)),
            ("target", OwnedTensor::i64(&[3], [1, 2, 3])),
        ],
    );
    one_line_error(
        &mut grad(&w, &p, &out),
        "target has shape [3], expected [2]",
    );
    let p = write(
        "one.safetensors",
        vec![
            ("input", img(1, 8)),
            ("target", OwnedTensor::i64(&[1], [1])),
        ],
    );
    one_line_error(&mut grad(&w, &p, &out), "batch norm cannot train");
    let p = write(
        "x.safetensors",
        vec![("target", OwnedTensor::i64(&[1], [1]))],
    );
    one_line_error(&mut grad(&w, &p, &out), "has no tensor 'input'");
    let p = write(
        "c.safetensors",
        vec![
            ("input", OwnedTensor::f32(&[2, 1, 8, 8], vec![0.0; 128])),
            ("target", OwnedTensor::i64(&[2], [1, 2])),
        ],
    );
    one_line_error(&mut grad(&w, &p, &out), "input has 1 channels");
    let i = fixture("resnet18_input.safetensors");
    one_line_error(
        grad(&w, &i, &out).args(["--steps", "0"]),
        "--steps must be at least 1",
    );
    one_line_error(grad(&w, &i, &out).args(["--lr", "nan"]), "--lr must be");
    one_line_error(
        &mut grad(&dir.path().join("absent.safetensors"), &i, &out),
        "cannot read",
    );
    assert!(!out.exists());
}

#[test]
fn summary_rejects_out_of_range_width() {
    let mut cmd = gradscope();
    cmd.args(["resnet", "summary", "--width", "0"]);
    one_line_error(&mut cmd, "--width");
    let mut cmd = gradscope();
    cmd.args(["resnet", "summary", "--stem", "tiny"]);
    one_line_error(&mut cmd, "--stem");
}
