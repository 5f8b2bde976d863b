//! `gradscope grad`: exit codes and one-line messages for bad models, files and values.

#![allow(clippy::unwrap_used)]

use crate::common::{fixture, gradscope};
use assert_cmd::Command;
use gradscope::testing::nn::checkpoint::{self, OwnedTensor};
use std::collections::BTreeMap;
use std::path::Path;

/// An edit of a state dict that makes it inconsistent.
type Edit = Box<dyn Fn(&mut BTreeMap<String, OwnedTensor>)>;

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
        "vgg",
        "--weights",
        "w",
        "--input",
        "i",
        "--out",
        "o",
    ]);
    one_line_error(
        &mut cmd,
        "unknown model 'vgg'; accepted: resnet18, lstm, rnn",
    );
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
    let mut net = gradscope::testing::nn::ResNet::<f32>::zeros(
        checkpoint::infer_resnet_config(&st, "w").unwrap(),
    );
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

/// `grad lstm|rnn` with these files.
fn grad_recurrent(model: &str, weights: &Path, input: &Path, out: &Path) -> Command {
    let mut cmd = gradscope();
    cmd.args(["grad", model, "--weights"]).arg(weights);
    cmd.arg("--input").arg(input).arg("--out").arg(out);
    cmd
}

/// A fixture's tensors as owned values, to edit.
fn tensors(name: &str) -> BTreeMap<String, OwnedTensor> {
    let bytes = std::fs::read(fixture(name)).unwrap();
    let st = checkpoint::parse(&bytes, name).unwrap();
    st.names()
        .into_iter()
        .map(|n| {
            let t = st.tensor(n).unwrap();
            let v = OwnedTensor {
                dtype: t.dtype(),
                shape: t.shape().to_vec(),
                data: t.data().to_vec(),
            };
            (n.to_string(), v)
        })
        .collect()
}

#[test]
fn inconsistent_recurrent_files_exit_2_naming_file_and_problem() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.safetensors");
    let zeros = |shape: &[usize]| OwnedTensor::f32(shape, vec![0.0; shape.iter().product()]);
    let write = |name: &str, map: &BTreeMap<String, OwnedTensor>| {
        let path = dir.path().join(name);
        std::fs::write(&path, checkpoint::serialize(map).unwrap()).unwrap();
        path
    };
    let weight_cases: Vec<(&str, &str, Edit, &str)> = vec![
        (
            "lstm",
            "missing",
            Box::new(|s| {
                s.remove("bias_hh_l0");
            }),
            "has no tensor 'bias_hh_l0'",
        ),
        (
            "lstm",
            "hh",
            Box::new(move |s| {
                s.insert("weight_hh_l0".into(), zeros(&[5, 5]));
            }),
            "weight_hh_l0 has shape [5, 5]; lstm needs [4·H, H]",
        ),
        (
            "rnn",
            "ih",
            Box::new(move |s| {
                s.insert("weight_ih_l0".into(), zeros(&[4, 3]));
            }),
            "weight_ih_l0 has shape [4, 3], expected [5, D]",
        ),
        (
            "rnn",
            "bias",
            Box::new(move |s| {
                s.insert("bias_ih_l0".into(), zeros(&[6]));
            }),
            "'bias_ih_l0' has shape [6], expected [5]",
        ),
        (
            "rnn",
            "extra",
            Box::new(move |s| {
                s.insert("weight_ih_l1".into(), zeros(&[5, 5]));
            }),
            "unexpected tensor 'weight_ih_l1'",
        ),
        (
            "rnn",
            "int",
            Box::new(|s| {
                s.insert("bias_hh_l0".into(), OwnedTensor::i64(&[5], [0; 5]));
            }),
            "'bias_hh_l0' is I64, expected F32 or F64",
        ),
    ];
    for (model, name, edit, needle) in weight_cases {
        let mut state = tensors(&format!("{model}_weights.safetensors"));
        edit(&mut state);
        let file = format!("{model}_{name}.safetensors");
        let path = write(&file, &state);
        let input = fixture(&format!("{model}_input.safetensors"));
        one_line_error(&mut grad_recurrent(model, &path, &input, &out), needle);
        one_line_error(&mut grad_recurrent(model, &path, &input, &out), &file);
    }
    let input_cases: Vec<(&str, &str, Edit, &str)> = vec![
        (
            "lstm",
            "d",
            Box::new(move |s| {
                s.insert("input".into(), zeros(&[7, 2, 4]));
            }),
            "input has shape [7, 2, 4], expected [T, N, 3]",
        ),
        (
            "lstm",
            "go",
            Box::new(move |s| {
                s.insert("grad_output".into(), zeros(&[7, 2, 4]));
            }),
            "grad_output has shape [7, 2, 4], expected [7, 2, 5]",
        ),
        (
            "lstm",
            "c0",
            Box::new(move |s| {
                s.insert("c0".into(), zeros(&[2, 5]));
            }),
            "c0 has shape [2, 5], expected [1, 2, 5]",
        ),
        (
            "rnn",
            "c0",
            Box::new(move |s| {
                s.insert("c0".into(), zeros(&[1, 2, 5]));
            }),
            "unexpected tensor 'c0'",
        ),
        (
            "rnn",
            "empty",
            Box::new(move |s| {
                s.insert("input".into(), zeros(&[0, 2, 3]));
            }),
            "input has shape [0, 2, 3]",
        ),
        (
            "rnn",
            "noinput",
            Box::new(|s| {
                s.remove("input");
            }),
            "has no tensor 'input'",
        ),
    ];
    for (model, name, edit, needle) in input_cases {
        let mut state = tensors(&format!("{model}_input.safetensors"));
        edit(&mut state);
        let file = format!("{model}_in_{name}.safetensors");
        let path = write(&file, &state);
        let w = fixture(&format!("{model}_weights.safetensors"));
        one_line_error(&mut grad_recurrent(model, &w, &path, &out), needle);
        one_line_error(&mut grad_recurrent(model, &w, &path, &out), &file);
    }
    // Truncated, and the weights of the other cell.
    let bytes = std::fs::read(fixture("lstm_weights.safetensors")).unwrap();
    let cut = dir.path().join("cut.safetensors");
    std::fs::write(&cut, &bytes[..bytes.len() - 7]).unwrap();
    let input = fixture("lstm_input.safetensors");
    one_line_error(
        &mut grad_recurrent("lstm", &cut, &input, &out),
        "cut.safetensors' is not a valid safetensors file",
    );
    one_line_error(
        &mut grad_recurrent("rnn", &fixture("lstm_weights.safetensors"), &input, &out),
        "weight_hh_l0 has shape [20, 5]; rnn needs [1·H, H]",
    );
    assert!(!out.exists());
}

#[test]
fn h0_and_c0_default_to_zeros_as_in_pytorch() {
    let dir = tempfile::tempdir().unwrap();
    let mut input = tensors("lstm_input.safetensors");
    input.remove("h0");
    input.remove("c0");
    let path = dir.path().join("i.safetensors");
    std::fs::write(&path, checkpoint::serialize(&input).unwrap()).unwrap();
    let mut zeros = tensors("lstm_input.safetensors");
    zeros.insert("h0".into(), OwnedTensor::f32(&[1, 2, 5], [0.0; 10]));
    zeros.insert("c0".into(), OwnedTensor::f32(&[1, 2, 5], [0.0; 10]));
    let zpath = dir.path().join("z.safetensors");
    std::fs::write(&zpath, checkpoint::serialize(&zeros).unwrap()).unwrap();
    let w = fixture("lstm_weights.safetensors");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    grad_recurrent("lstm", &w, &path, &a)
        .assert()
        .success()
        .stdout("");
    grad_recurrent("lstm", &w, &zpath, &b).assert().success();
    let (a, b) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    let (a, b) = (
        checkpoint::parse(&a, "a").unwrap(),
        checkpoint::parse(&b, "b").unwrap(),
    );
    assert_eq!(a.len(), 11);
    for name in a.names() {
        assert_eq!(a.tensor(name).unwrap(), b.tensor(name).unwrap(), "{name}");
    }
}
