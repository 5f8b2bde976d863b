//! `gradscope grad resnet18` against PyTorch's float64 reference (tests/fixtures, copied
//! from ../shared/reference; settings in its meta.json: cifar stem, width 8, 10 classes,
//! batch 4, 2 SGD steps, lr 0.1, momentum 0.9, weight decay 5e-4).
//!
//! Every key of the expected file must be in the output with the same dtype and shape,
//! within 1e-4 relative: max|ours − torch| / max|torch| per tensor (robust to entries
//! near zero); int64 counters exactly. The worst error per key family is printed
//! (`--nocapture`).

#![allow(clippy::unwrap_used)]

use crate::common::{BIN, fixture};
use gradscope::testing::nn::checkpoint;
use gradscope::testing::nn::{Mode, ResNet};
use safetensors::tensor::{Dtype, SafeTensors};
use std::collections::BTreeMap;

const TOL: f64 = 1e-4;

fn family(key: &str) -> &'static str {
    match key {
        "loss" => "loss",
        "logits" => "logits",
        "eval_logits" => "eval_logits",
        k if k.starts_with("grad.") => "grad.*",
        k if k.contains("running_") => "running stats after steps",
        k if k.ends_with("num_batches_tracked") => "num_batches_tracked",
        _ => "params after steps",
    }
}

fn values(st: &SafeTensors<'_>, key: &str) -> Vec<f64> {
    checkpoint::floats(st, key, "test").unwrap()
}

fn relative_error(ours: &[f64], torch: &[f64]) -> f64 {
    let scale = torch.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-30);
    ours.iter()
        .zip(torch)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()))
        / scale
}

#[test]
fn grad_resnet18_matches_pytorch_float64() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.safetensors");
    let status = std::process::Command::new(BIN)
        .args([
            "grad",
            "resnet18",
            "--steps",
            "2",
            "--lr",
            "0.1",
            "--momentum",
            "0.9",
        ])
        .args(["--wd", "5e-4", "--weights"])
        .arg(fixture("resnet18_weights.safetensors"))
        .arg("--input")
        .arg(fixture("resnet18_input.safetensors"))
        .arg("--out")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let ours_bytes = std::fs::read(&out).unwrap();
    let torch_bytes = std::fs::read(fixture("resnet18_expected.safetensors")).unwrap();
    let ours = SafeTensors::deserialize(&ours_bytes).unwrap();
    let torch = SafeTensors::deserialize(&torch_bytes).unwrap();

    let mut ours_keys = ours.names();
    let mut torch_keys = torch.names();
    ours_keys.sort();
    torch_keys.sort();
    assert_eq!(ours_keys, torch_keys, "same keys as PyTorch's file");
    assert_eq!(torch_keys.len(), 187);

    let mut worst: BTreeMap<&str, (f64, String)> = BTreeMap::new();
    for key in torch_keys {
        let (a, b) = (ours.tensor(key).unwrap(), torch.tensor(key).unwrap());
        assert_eq!(a.dtype(), b.dtype(), "{key}: dtype");
        assert_eq!(a.shape(), b.shape(), "{key}: shape");
        let err = if b.dtype() == Dtype::I64 {
            let (x, y) = (
                checkpoint::ints(&ours, key, "o"),
                checkpoint::ints(&torch, key, "t"),
            );
            assert_eq!(x.unwrap(), y.unwrap(), "{key}: counter");
            0.0
        } else {
            relative_error(&values(&ours, key), &values(&torch, key))
        };
        assert!(err <= TOL, "{key}: relative error {err:e} > {TOL:e}");
        let slot = worst.entry(family(key)).or_insert((0.0, String::new()));
        if err >= slot.0 {
            *slot = (err, key.to_string());
        }
    }
    assert_eq!(worst.len(), 7);
    println!("largest relative error per key family (tolerance {TOL:e}):");
    for (fam, (err, key)) in &worst {
        println!("  {fam:<28} {err:.2e}  ({key})");
    }
}

#[test]
fn library_forward_reproduces_the_first_loss() {
    // The same path without the CLI: load the state, one train-mode forward and backward.
    let mut net = {
        let bytes = std::fs::read(fixture("resnet18_weights.safetensors")).unwrap();
        let st = checkpoint::parse(&bytes, "weights").unwrap();
        let config = checkpoint::infer_resnet_config(&st, "weights").unwrap();
        assert_eq!((config.width, config.classes), (8, 10));
        let mut net = ResNet::<f32>::zeros(config);
        checkpoint::load_state(&mut net, &st, "weights").unwrap();
        net
    };
    let bytes = std::fs::read(fixture("resnet18_input.safetensors")).unwrap();
    let input = SafeTensors::deserialize(&bytes).unwrap();
    let x: Vec<f32> = values(&input, "input").iter().map(|&v| v as f32).collect();
    let x = ndarray::Array4::from_shape_vec((4, 3, 32, 32), x).unwrap();
    let targets: Vec<usize> = checkpoint::ints(&input, "target", "input")
        .unwrap()
        .into_iter()
        .map(|t| t as usize)
        .collect();
    net.check_input([4, 3, 32, 32], Mode::Train).unwrap();
    let out = net.forward_backward(x.view(), &targets);
    let bytes = std::fs::read(fixture("resnet18_expected.safetensors")).unwrap();
    let torch = SafeTensors::deserialize(&bytes).unwrap();
    let loss = values(&torch, "loss")[0];
    assert!(
        (out.loss - loss).abs() / loss < TOL,
        "loss {} vs {loss}",
        out.loss
    );
    let logits: Vec<f64> = net.logits().iter().map(|&v| f64::from(v)).collect();
    assert!(relative_error(&logits, &values(&torch, "logits")) < TOL);
}
