//! A `resnet train --save` checkpoint in PyTorch: it loads into torchvision's ResNet-18
//! (cifar stem) with `load_state_dict(strict=True)`, and PyTorch's eval-mode logits on a
//! batch match gradscope's to 1e-4. Runs where a Python with torch and safetensors is found
//! (`GRADSCOPE_TORCH_PYTHON`, the venv `../shared/bench/compare-resnet` installs under
//! `$TMPDIR/gradscope-torch`, or `python3`; the README says how to install one); elsewhere it
//! prints `SKIPPED: …` and passes.

#![allow(clippy::unwrap_used)]

use crate::common::gradscope;
use gradscope::testing::nn::checkpoint::{self, OwnedTensor};
use gradscope::testing::nn::{Mode, ResNet, ResNetConfig};
use ndarray::Array4;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A Python that imports torch and safetensors, if there is one.
fn torch_python() -> Option<PathBuf> {
    let tmp = std::env::var_os("TMPDIR").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
    let candidates = [
        std::env::var_os("GRADSCOPE_TORCH_PYTHON").map(PathBuf::from),
        Some(tmp.join("gradscope-torch/bin/python")),
        Some(PathBuf::from("python3")),
    ];
    candidates.into_iter().flatten().find(|py| {
        std::process::Command::new(py)
            .args(["-c", "import torch, safetensors.torch"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[test]
fn a_saved_checkpoint_loads_strictly_into_pytorch_and_gives_the_same_logits() {
    let Some(python) = torch_python() else {
        eprintln!(
            "SKIPPED: resnet_torch: no Python with torch and safetensors \
             (set GRADSCOPE_TORCH_PYTHON; the README says how to install one)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("model.safetensors");
    let width = 4;
    gradscope()
        .args([
            "resnet", "train", "--width", "4", "--batch", "8", "--steps", "5",
        ])
        .args(["--format", "json", "--save", ckpt.to_str().unwrap()])
        .assert()
        .success();

    // A fixed batch of four images, written for PyTorch and fed to gradscope.
    let x = Array4::from_shape_fn((4, 3, 32, 32), |(n, c, y, x)| {
        ((n * 7 + c * 3 + y * 5 + x * 11) % 17) as f32 / 8.0 - 1.0
    });
    let input = dir.path().join("input.safetensors");
    let mut tensors = BTreeMap::new();
    tensors.insert(
        "input".to_string(),
        OwnedTensor::f32(&[4, 3, 32, 32], x.iter().copied()),
    );
    std::fs::write(&input, checkpoint::serialize(&tensors).unwrap()).unwrap();

    let out = dir.path().join("logits.safetensors");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/torch/load_strict.py");
    let run = std::process::Command::new(&python)
        .arg(script)
        .arg(&ckpt)
        .arg(width.to_string())
        .arg(&input)
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "PyTorch refused the checkpoint: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let bytes = std::fs::read(&out).unwrap();
    let st = checkpoint::parse(&bytes, "logits").unwrap();
    let torch = checkpoint::floats(&st, "logits", "logits").unwrap();

    let mut net = ResNet::<f32>::zeros(ResNetConfig {
        width,
        ..Default::default()
    });
    checkpoint::load(&mut net, &ckpt).unwrap();
    net.forward(x.view(), Mode::Eval);
    let ours: Vec<f64> = net.logits().iter().map(|&v| f64::from(v)).collect();
    assert_eq!(ours.len(), torch.len());
    let scale = torch.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (a, b) in ours.iter().zip(&torch) {
        assert!(
            (a - b).abs() <= 1e-4 * scale.max(1.0),
            "gradscope {a} vs PyTorch {b}"
        );
    }
}
