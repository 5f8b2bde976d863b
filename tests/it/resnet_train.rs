//! Training a ResNet-18: a short run lowers the loss; weight decay reaches exactly the
//! conv and linear weights (or every group with `wd_on_bn_bias`); `resnet train --save`
//! writes a checkpoint that reloads bit for bit, `--resume` continues exactly as if never
//! stopped, and Ctrl-C still saves (no temporary file left). Small networks (width 2–8)
//! keep this quick.

#![allow(clippy::unwrap_used)]

use crate::common;

use crate::common::{BIN, gradscope};
use gradscope::testing::labs::LabId;
use gradscope::testing::nn::checkpoint::{self, parse};
use gradscope::testing::nn::train::resume::optim_path;
use gradscope::testing::nn::{Module, ParamGroup, ResNet, ResNetConfig, Sgd};
use gradscope::testing::run::RunSpec;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

#[test]
fn a_short_run_at_width_8_lowers_the_loss() {
    let spec = common::spec(LabId::Resnet, &[("width", "8")], 0);
    let mut spec = spec;
    spec.steps = Some(60);
    let r = common::run(spec);
    let loss = r.series("train_loss");
    assert_eq!(loss.len(), 60);
    let first = loss[..5].iter().sum::<f64>() / 5.0;
    let last = r.num("train_loss_final");
    assert!(last < first - 0.2, "loss {first} → {last}");
    assert!(r.num("val_acc_final") > 0.15, "{}", r.num("val_acc_final"));
    assert_eq!(r.series("val_step"), [0.0, 50.0]);
    assert_eq!(r.num("diverged"), 0.0);
    // The strip holds rows × columns values, one row per conv and fc weight.
    let rows = r.num("grad_strip_rows") as usize;
    assert_eq!(rows, 21);
    assert_eq!(
        r.series("grad_strip_log10").len(),
        rows * r.num("grad_strip_cols") as usize
    );
    assert_eq!(r.text("layer_names").split(' ').count(), rows);
}

/// Every parameter's value by name.
fn values(net: &mut ResNet<f32>) -> BTreeMap<String, (ParamGroup, Vec<f32>)> {
    let mut out = BTreeMap::new();
    net.visit_params("", &mut |p| {
        out.insert(p.name.to_string(), (p.group(), p.param.value().to_vec()));
    });
    out
}

#[test]
fn weight_decay_reaches_exactly_the_conv_and_linear_weights() {
    for decay_all in [false, true] {
        let mut net = ResNet::<f32>::new(
            ResNetConfig {
                width: 2,
                ..Default::default()
            },
            1,
        );
        // Give BN β and the biases nonzero values, and every gradient zero: then only
        // the decay term moves anything, p ← p − η·λ·p.
        net.visit_params("", &mut |p| {
            p.param.value_mut().iter_mut().for_each(|v| *v += 0.5);
            p.param.grad_mut().fill(0.0);
        });
        let before = values(&mut net);
        let (lr, wd) = (0.5, 0.1);
        Sgd::<f32>::new(lr, 0.9, wd, decay_all).step(&mut net);
        let after = values(&mut net);
        let mut decayed = BTreeMap::<&str, usize>::new();
        for (name, (group, old)) in &before {
            let new = &after[name].1;
            let decays = *group == ParamGroup::Rest || decay_all;
            for (o, n) in old.iter().zip(new) {
                // The optimiser's arithmetic: in f64, rounded to f32 once.
                let o64 = f64::from(*o);
                let want = if decays {
                    (o64 - lr * (wd * o64)) as f32
                } else {
                    *o
                };
                assert_eq!(*n, want, "{name}");
            }
            if decays {
                *decayed.entry(group.name()).or_default() += 1;
            }
        }
        // Decay reaches the 21 conv and fc weights; with decay on everything also the 40 BN
        // tensors and fc.bias.
        let want: BTreeMap<&str, usize> = if decay_all {
            [("bn_affine", 40), ("biases", 1), ("rest", 21)].into()
        } else {
            [("rest", 21)].into()
        };
        assert_eq!(decayed, want);
    }
}

/// `resnet train` with tiny settings and `extra` arguments; the JSON summary.
fn train(extra: &[&str]) -> Value {
    let out = gradscope()
        .args([
            "resnet", "train", "--width", "2", "--batch", "4", "--seed", "3",
        ])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The tensors of a safetensors file: name → (dtype, shape, bytes).
fn tensors(path: &Path) -> BTreeMap<String, (String, Vec<usize>, Vec<u8>)> {
    let bytes = std::fs::read(path).unwrap();
    let st = parse(&bytes, "t").unwrap();
    st.tensors()
        .into_iter()
        .map(|(name, t)| {
            (
                name,
                (
                    format!("{:?}", t.dtype()),
                    t.shape().to_vec(),
                    t.data().to_vec(),
                ),
            )
        })
        .collect()
}

#[test]
fn a_saved_checkpoint_reloads_bit_for_bit_and_resumes_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (straight, half, resumed) = (
        dir.path().join("straight.safetensors"),
        dir.path().join("half.safetensors"),
        dir.path().join("resumed.safetensors"),
    );
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let j = train(&["--steps", "6", "--save", &s(&straight)]);
    for key in [
        "val_acc_final",
        "val_loss_final",
        "train_loss_final",
        "images_per_s",
    ] {
        assert!(j["summary"][key].as_f64().is_some(), "{key}: {j}");
    }
    assert_eq!(j["steps"], 6);
    assert_eq!(j["interrupted"], false);
    assert_eq!(j["config"]["skip"], true);
    let plain = train(&["--steps", "1", "--no-skip", "--bn-order", "conv-relu-bn"]);
    assert_eq!(plain["config"]["skip"], false);
    assert_eq!(plain["config"]["bn_order"], "conv-relu-bn");
    // Without skips the three downsample branches (1×1 convs and their BNs) are gone.
    let w = 2;
    let downsample = 42 * w * w + 2 * 14 * w;
    assert_eq!(
        j["config"]["params"].as_u64().unwrap() - plain["config"]["params"].as_u64().unwrap(),
        downsample
    );

    // The file holds the whole state, as PyTorch names it, and loads back bit for bit.
    let saved = tensors(&straight);
    let config = ResNetConfig {
        width: 2,
        ..Default::default()
    };
    let mut net = ResNet::<f32>::zeros(config);
    checkpoint::load(&mut net, &straight).unwrap();
    let mut again = BTreeMap::new();
    for (name, t) in checkpoint::state(&mut net) {
        again.insert(name, (format!("{:?}", t.dtype), t.shape, t.data));
    }
    assert_eq!(again, saved);
    assert_eq!(saved["bn1.num_batches_tracked"].0, "I64");
    assert_eq!(saved["bn1.num_batches_tracked"].2, 6i64.to_le_bytes());
    assert!(optim_path(&straight).exists());

    // Three steps, then three more from the checkpoint: the same model and buffers.
    train(&["--steps", "3", "--save", &s(&half)]);
    let j = train(&[
        "--steps",
        "6",
        "--resume",
        &s(&half),
        "--save",
        &s(&resumed),
    ]);
    assert_eq!(
        (j["steps"].as_u64(), j["steps_this_run"].as_u64()),
        (Some(6), Some(3))
    );
    // The training means cover the resumed run's own batches, and say so.
    assert_eq!(j["summary"]["train_final_steps"], serde_json::json!([4, 6]));
    assert_eq!(tensors(&resumed), saved);
    assert_eq!(
        tensors(&optim_path(&resumed)),
        tensors(&optim_path(&straight))
    );
    let names: Vec<String> = tensors(&optim_path(&straight)).into_keys().collect();
    assert!(names.contains(&"momentum_buffer.layer2.0.downsample.1.weight".to_string()));
}

/// Exit 2, one line, containing every needle.
fn fails(args: &[&str], needles: &[&str]) {
    let out = gradscope().args(args).output().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    for n in needles {
        assert!(err.contains(n), "'{err}' lacks '{n}'");
    }
}

#[test]
fn bad_arguments_and_mismatched_checkpoints_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("c.safetensors");
    let ck_s = ck.to_str().unwrap();
    train(&["--steps", "1", "--save", ck_s]);
    let base = ["resnet", "train", "--steps", "2"];
    let with = |extra: &[&'static str]| -> Vec<String> {
        base.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let run = |args: Vec<String>, needles: &[&str]| {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        fails(&a, needles);
    };
    run(
        with(&["--data", "mnist"]),
        &["unknown data 'mnist'", "cifar10:DIR"],
    );
    run(
        with(&["--lr=-1"]),
        &["--lr -1 must be a finite non-negative number"],
    );
    fails(
        &["resnet", "train", "--epochs", "0"],
        &["--epochs 0 must be a positive number"],
    );
    fails(
        &["resnet", "train", "--epochs", "1", "--steps", "1"],
        &[
            "cannot be used with",
            "--steps <STEPS>",
            "--epochs <EPOCHS>",
        ],
    );
    run(
        with(&["--save", "/no/such/dir/x.safetensors"]),
        &["does not exist"],
    );
    run(
        with(&["--width", "256", "--batch", "4096"]),
        &["GiB", "lower --width or --batch"],
    );
    let mut args = with(&["--width", "4", "--resume"]);
    args.push(ck_s.into());
    run(args, &["--width 4 differs", "trained with --width 2"]);
    let mut args = with(&["--no-skip", "--resume"]);
    args.push(ck_s.into());
    run(args, &["--no-skip differs"]);
    std::fs::remove_file(optim_path(&ck)).unwrap();
    let mut args = with(&["--resume"]);
    args.push(ck_s.into());
    run(args, &["c.optim.safetensors", "is missing"]);
    // A state file from elsewhere (no training metadata) is not a run to resume.
    let plain = dir.path().join("plain.safetensors");
    let mut net = ResNet::<f32>::new(ResNetConfig::default(), 0);
    checkpoint::save(&mut net, &plain).unwrap();
    let mut args = with(&["--resume"]);
    args.push(plain.to_str().unwrap().into());
    run(args, &["not written by `gradscope resnet train --save`"]);
}

#[test]
fn ctrl_c_stops_cleanly_and_still_saves() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("run.safetensors");
    let child = std::process::Command::new(BIN)
        .args([
            "resnet",
            "train",
            "--width",
            "2",
            "--batch",
            "4",
            "--steps",
            "100000000",
        ])
        .args(["--save", ck.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Let it start training, then send what Ctrl-C sends.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["interrupted"], true);
    let steps = j["steps"].as_u64().unwrap();
    assert!(steps > 0 && steps < 100_000_000, "{steps}");
    // The checkpoint is complete and loadable; nothing temporary is left beside it.
    let mut net = ResNet::<f32>::zeros(ResNetConfig {
        width: 2,
        ..Default::default()
    });
    checkpoint::load(&mut net, &ck).unwrap();
    assert_eq!(net.bn1.num_batches_tracked, steps as i64);
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["run.optim.safetensors", "run.safetensors"]);
}

/// `resnet train` with tiny settings, killed (as SIGKILL would) after step `at` of its save.
fn train_killed_in_save(at: &str, extra: &[&str]) -> std::process::Output {
    gradscope()
        .args([
            "resnet", "train", "--width", "2", "--batch", "4", "--seed", "3",
        ])
        .args(extra)
        .env("GRADSCOPE_TEST_KILL_SAVE", at)
        .output()
        .unwrap()
}

#[test]
fn a_save_killed_between_its_writes_leaves_a_resumable_pair() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("run.safetensors");
    let s = ck.to_str().unwrap();
    train(&["--steps", "2", "--save", s]);
    // Killed after the pending optimiser file: the old pair (step 2) stands.
    let out = train_killed_in_save("1", &["--steps", "4", "--resume", s, "--save", s]);
    assert!(!out.status.success());
    let j = train(&["--steps", "3", "--resume", s]);
    assert_eq!(
        (j["steps"].as_u64(), j["steps_this_run"].as_u64()),
        (Some(3), Some(1))
    );
    // Killed after the new model: it pairs with the pending file (step 4).
    let out = train_killed_in_save("2", &["--steps", "4", "--resume", s, "--save", s]);
    assert!(!out.status.success());
    assert!(dir.path().join("run.optim.safetensors.pending").exists());
    let j = train(&["--steps", "5", "--resume", s, "--save", s]);
    assert_eq!(
        (j["steps"].as_u64(), j["steps_this_run"].as_u64()),
        (Some(5), Some(1))
    );
    // The next save completed the pair; the killed writes left nothing temporary behind.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["run.optim.safetensors", "run.safetensors"]);
    // Resumed and straight runs agree bit for bit.
    let straight = dir.path().join("straight.safetensors");
    train(&["--steps", "5", "--save", straight.to_str().unwrap()]);
    assert_eq!(tensors(&ck), tensors(&straight));
}

#[test]
fn save_paths_are_checked_before_training() {
    let dir = tempfile::tempdir().unwrap();
    let fails = |args: &[&str], needle: &str| {
        let start = std::time::Instant::now();
        let out = gradscope()
            .args([
                "resnet", "train", "--width", "2", "--batch", "4", "--steps", "100000",
            ])
            .args(args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            start.elapsed().as_secs_f64() < 5.0,
            "refused before training"
        );
    };
    fails(&["--save", "/dev/null"], "--save '/dev/null': is a device");
    let missing = dir.path().join("no/such/run.safetensors");
    fails(&["--save", missing.to_str().unwrap()], "does not exist");
    // Saving over the optimiser file of the pair being resumed would destroy it.
    let ck = dir.path().join("a.safetensors");
    train(&["--steps", "1", "--save", ck.to_str().unwrap()]);
    let twin = dir.path().join("a.optim.safetensors");
    fails(
        &[
            "--resume",
            ck.to_str().unwrap(),
            "--save",
            twin.to_str().unwrap(),
        ],
        "is the input file",
    );
}

#[test]
fn a_diverging_run_stops_warns_and_says_so() {
    let out = gradscope()
        .args([
            "resnet", "train", "--width", "2", "--batch", "4", "--seed", "3",
        ])
        .args(["--steps", "50", "--lr", "1e308", "--val-every", "0"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning: the run diverged"), "{err}");
    assert!(err.contains("a smaller --lr converges"), "{err}");
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["summary"]["diverged"], true);
    // It stopped at the first non-finite loss instead of running out its 50 steps.
    assert!(j["steps"].as_u64().unwrap() < 50, "{}", j["steps"]);
}

/// The lab's run of `preset` at width 4, batch 8, 100 steps, for seed `seed`.
fn lab_run(preset: &str, seed: u64) -> gradscope::testing::report::Report {
    let sets = ["width=4".to_string(), "batch=8".to_string()];
    let spec = RunSpec::from_args(LabId::Resnet, Some(preset), &sets, seed, Some(100)).unwrap();
    common::run(spec)
}

fn first_last(r: &gradscope::testing::report::Report, series: &str) -> (f64, f64) {
    let s = r.series(series);
    (s[0], s[s.len() - 1])
}

/// The presets' claims about weight decay, each over seeds 0–9 (small networks: the claims
/// are about scale invariance and the decay, which do not depend on the width).
#[test]
fn the_decay_presets_claims_hold_over_ten_seeds() {
    // Thirty small runs: one thread per seed keeps both cores busy.
    let runs: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..10)
            .map(|seed| {
                s.spawn(move || {
                    let run = |p| lab_run(p, seed);
                    (
                        run("pytorch-order"),
                        run("no-decay"),
                        run("decay-everything"),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (seed, (base, none, all)) in runs.into_iter().enumerate() {
        // no-decay: the scale-invariant conv weights only grow and their effective lr falls.
        let (w0, w1) = first_last(&none, "weight_norm.rest");
        let (e0, e1) = first_last(&none, "eff_lr.rest");
        assert!(
            w1 > w0 && e1 < e0,
            "seed {seed}: ‖w‖ {w0}→{w1}, η/‖w‖² {e0}→{e1}"
        );
        // The decay holds them below the undecayed run's.
        let held = first_last(&base, "weight_norm.rest").1;
        assert!(held < w1, "seed {seed}: decayed ‖w‖ {held} vs {w1}");
        // decay-everything: BN's γ, β end smaller than where nothing decays them.
        let bn_all = first_last(&all, "weight_norm.bn_affine").1;
        let bn_base = first_last(&base, "weight_norm.bn_affine").1;
        assert!(
            bn_all < bn_base,
            "seed {seed}: ‖γ, β‖ {bn_all} vs {bn_base}"
        );
        let lr_all = first_last(&all, "eff_lr.bn_affine").1;
        let lr_base = first_last(&base, "eff_lr.bn_affine").1;
        assert!(
            lr_all > lr_base,
            "seed {seed}: η/‖γ, β‖² {lr_all} vs {lr_base}"
        );
    }
}
