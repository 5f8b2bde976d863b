//! safetensors checkpoints: a saved state reloads bit-identically; truncated, mismatched,
//! incomplete or over-full files are refused with a message naming the file (exit code 2
//! through the CLI) and leave the model untouched.

#![allow(clippy::unwrap_used)]

use crate::common::fixture;
use gradscope::testing::error::UsageError;
use gradscope::testing::nn::checkpoint::{self, OwnedTensor};
use gradscope::testing::nn::{Module, ResNet, ResNetConfig, Sgd, Stem};
use ndarray::Array4;
use std::collections::BTreeMap;

fn config() -> ResNetConfig {
    ResNetConfig {
        stem: Stem::Cifar,
        width: 4,
        classes: 5,
        ..ResNetConfig::default()
    }
}

/// A model with non-trivial parameters, running statistics and counters.
fn trained() -> ResNet<f32> {
    let mut net = ResNet::<f32>::new(config(), 3);
    let x = Array4::from_shape_fn((4, 3, 16, 16), |(n, c, h, w)| {
        ((n * 7 + c * 5 + h * 3 + w) as f32 * 0.37).sin()
    });
    let mut sgd = Sgd::new(0.1, 0.9, 5e-4, false);
    for _ in 0..2 {
        net.forward_backward(x.view(), &[0, 1, 2, 4]);
        sgd.step(&mut net);
    }
    net
}

#[test]
fn saved_state_reloads_bit_identically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("net.safetensors");
    let mut net = trained();
    checkpoint::save(&mut net, &path).unwrap();
    let mut fresh = ResNet::<f32>::zeros(config());
    checkpoint::load(&mut fresh, &path).unwrap();
    let (a, b) = (checkpoint::state(&mut net), checkpoint::state(&mut fresh));
    assert_eq!(a.len(), 62 + 3 * 20);
    assert_eq!(a, b, "every tensor's bytes equal after a round trip");
    assert_eq!(fresh.bn1.num_batches_tracked, 2);
    // Saving the reloaded model gives the same file.
    let again = dir.path().join("again.safetensors");
    checkpoint::save(&mut fresh, &again).unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        std::fs::read(&again).unwrap()
    );
}

#[test]
fn pytorch_state_dict_round_trips() {
    let bytes = std::fs::read(fixture("resnet18_weights.safetensors")).unwrap();
    let st = checkpoint::parse(&bytes, "w").unwrap();
    let mut net = ResNet::<f32>::zeros(checkpoint::infer_resnet_config(&st, "w").unwrap());
    checkpoint::load_state(&mut net, &st, "w").unwrap();
    let ours = checkpoint::state(&mut net);
    assert_eq!(ours.len(), st.len());
    for (name, t) in &ours {
        let theirs = st.tensor(name).unwrap();
        assert_eq!(
            (t.dtype, t.shape.as_slice()),
            (theirs.dtype(), theirs.shape()),
            "{name}"
        );
        assert_eq!(t.data, theirs.data(), "{name}: bytes");
    }
}

/// Load `state` (after `edit`) into a trained model: the error, and proof the model is
/// unchanged.
fn refused(edit: impl FnOnce(&mut BTreeMap<String, OwnedTensor>)) -> String {
    let mut net = trained();
    let before = checkpoint::state(&mut net);
    let mut state = before.clone();
    edit(&mut state);
    let bytes = checkpoint::serialize(&state).unwrap();
    let st = checkpoint::parse(&bytes, "bad.safetensors").unwrap();
    let err: UsageError = checkpoint::load_state(&mut net, &st, "bad.safetensors").unwrap_err();
    assert_eq!(
        checkpoint::state(&mut net),
        before,
        "a refused load changes nothing"
    );
    assert!(err.0.contains("'bad.safetensors'"), "{}", err.0);
    err.0
}

#[test]
fn mismatched_missing_and_extra_tensors_are_refused() {
    let e = refused(|s| {
        s.insert(
            "layer1.0.conv1.weight".into(),
            OwnedTensor::f32(&[4, 4, 1, 1], [0.0; 16]),
        );
    });
    assert!(e.contains("'layer1.0.conv1.weight' has shape [4, 4, 1, 1], expected [4, 4, 3, 3]"));
    let e = refused(|s| {
        s.remove("layer3.0.downsample.1.running_var");
    });
    assert!(
        e.contains("no tensor 'layer3.0.downsample.1.running_var'"),
        "{e}"
    );
    let e = refused(|s| {
        s.insert("fc.extra".into(), OwnedTensor::f32(&[1], [0.0]));
    });
    assert!(e.contains("unexpected tensor 'fc.extra'"), "{e}");
    let e = refused(|s| {
        s.insert(
            "bn1.num_batches_tracked".into(),
            OwnedTensor::f32(&[], [1.0]),
        );
    });
    assert!(
        e.contains("'bn1.num_batches_tracked' is F32, expected I64"),
        "{e}"
    );
}

#[test]
fn truncated_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.safetensors");
    let mut net = trained();
    checkpoint::save(&mut net, &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = checkpoint::load(&mut ResNet::<f32>::zeros(config()), &path).unwrap_err();
    assert!(err.0.contains("cut.safetensors") && err.0.contains("not a valid safetensors"));
    let missing = dir.path().join("nope.safetensors");
    let err = checkpoint::load(&mut ResNet::<f32>::zeros(config()), &missing).unwrap_err();
    assert!(err.0.contains("cannot read") && err.0.contains("nope.safetensors"));
}

#[test]
fn failed_save_leaves_no_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-dir").join("net.safetensors");
    assert!(checkpoint::save(&mut trained(), &path).is_err());
    assert!(!path.exists());
}

#[test]
fn parameter_visitor_names_match_the_state_dict() {
    let mut net = trained();
    let mut names = Vec::new();
    net.visit_params("", &mut |p| names.push(p.name.to_string()));
    assert_eq!(names.first().map(String::as_str), Some("conv1.weight"));
    assert!(names.contains(&"layer2.0.downsample.0.weight".to_string()));
    assert!(names.contains(&"layer4.0.downsample.1.bias".to_string()));
    assert_eq!(names.last().map(String::as_str), Some("fc.bias"));
}
