//! The trainer's data: the built-in set is a function of the seed and exactly balanced; the
//! CIFAR-10 reader puts labels and pixels (channel order included) where the binary format
//! says, normalises with the training split's statistics, and refuses a missing, truncated
//! or mis-sized file with exit code 2, naming it.

#![allow(clippy::unwrap_used)]

use crate::common::{BIN, gradscope};
use gradscope::testing::nn::data::cifar::{RECORD, TEST_FILE, TRAIN_FILES};
use gradscope::testing::nn::data::synthetic::{CLASS_NAMES, TRAIN_LEN, VAL_LEN};
use gradscope::testing::nn::data::{Augment, Data, Loader, PIXELS, SIDE};
use ndarray::Array4;
use std::path::Path;

#[test]
fn the_synthetic_set_is_deterministic_per_seed_and_class_balanced() {
    let (a, b, c) = (Data::synthetic(3), Data::synthetic(3), Data::synthetic(4));
    assert_eq!((a.train.len(), a.val.len()), (TRAIN_LEN, VAL_LEN));
    let (mut x, mut y) = (vec![0.0; PIXELS], vec![0.0; PIXELS]);
    for i in [0, 1, 9, 12_345, TRAIN_LEN - 1] {
        a.train.image_into(i, Augment::NONE, &mut x);
        b.train.image_into(i, Augment::NONE, &mut y);
        assert_eq!(x, y, "image {i} is the same for the same seed");
        c.train.image_into(i, Augment::NONE, &mut y);
        assert_ne!(x, y, "image {i} differs for another seed");
    }
    a.val.image_into(5, Augment::NONE, &mut y);
    a.train.image_into(5, Augment::NONE, &mut x);
    assert_ne!(x, y, "the validation split is not the training split");
    assert_eq!(a.train.normalisation(), b.train.normalisation());
    assert_eq!(a.val.normalisation(), a.train.normalisation());
    // Every class equally often, in every split and in every run of ten indices.
    for set in [&a.train, &a.val] {
        let mut counts = [0usize; 10];
        (0..set.len()).for_each(|i| counts[set.label(i)] += 1);
        assert!(counts.iter().all(|&n| n == set.len() / 10), "{counts:?}");
        let mut first: Vec<usize> = (0..10).map(|i| set.label(i)).collect();
        first.sort_unstable();
        assert_eq!(first, (0..10).collect::<Vec<_>>());
    }
    assert_eq!(CLASS_NAMES.len(), 10);
    // Normalised training images have about zero mean and unit spread per channel.
    let n = 500;
    let mut sums = [(0.0f64, 0.0f64); 3];
    for i in 0..n {
        a.train.image_into(i, Augment::NONE, &mut x);
        for (c, plane) in x.chunks(SIDE * SIDE).enumerate() {
            for &v in plane {
                sums[c].0 += f64::from(v);
                sums[c].1 += f64::from(v) * f64::from(v);
            }
        }
    }
    let m = (n * SIDE * SIDE) as f64;
    for (s, sq) in sums {
        assert!((s / m).abs() < 0.05, "mean {}", s / m);
        assert!((sq / m - 1.0).abs() < 0.1, "variance {}", sq / m);
    }
}

#[test]
fn batches_are_reproducible_from_the_step_alone() {
    let data = Data::synthetic(0);
    let (mut x1, mut y1) = (Array4::zeros((0, 3, 0, 0)), Vec::new());
    let (mut x2, mut y2) = (Array4::zeros((0, 3, 0, 0)), Vec::new());
    let mut straight = Loader::new(7, 8, true);
    for step in 0..3 {
        straight.load(&data.train, step, &mut x1, &mut y1);
    }
    // A loader made afresh (a resumed run) gives step 2's batch, augmentation included.
    Loader::new(7, 8, true).load(&data.train, 2, &mut x2, &mut y2);
    assert_eq!((x1.clone(), y1.clone()), (x2, y2));
    assert_eq!(x1.dim(), (8, 3, SIDE, SIDE));
    let mut plain = Loader::new(7, 8, false);
    let (mut x3, mut y3) = (Array4::zeros((0, 3, 0, 0)), Vec::new());
    plain.load(&data.train, 2, &mut x3, &mut y3);
    assert_eq!(y3, y1, "the same images");
    assert_ne!(x3, x1, "augmented differently");
}

/// The value of pixel (channel c, row y, column x) of record k of file f in the test files.
fn pixel(f: usize, k: usize, c: usize, y: usize, x: usize) -> u8 {
    ((f * 31 + k * 7 + c * 80 + y * 3 + x) % 256) as u8
}

/// Write the six CIFAR-10 files with `records` records each (labels `(f + k) % 10`), in the
/// real layout: a label byte, then the red plane row by row, the green, the blue.
fn write_cifar(dir: &Path, records: usize) {
    let names: Vec<&str> = TRAIN_FILES.iter().copied().chain([TEST_FILE]).collect();
    for (f, name) in names.iter().enumerate() {
        let mut bytes = Vec::new();
        for k in 0..records {
            bytes.push(((f + k) % 10) as u8);
            for c in 0..3 {
                for y in 0..SIDE {
                    for x in 0..SIDE {
                        bytes.push(pixel(f, k, c, y, x));
                    }
                }
            }
        }
        assert_eq!(bytes.len(), records * RECORD);
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

#[test]
fn cifar_labels_and_pixels_land_where_the_format_puts_them() {
    let dir = tempfile::tempdir().unwrap();
    write_cifar(dir.path(), 3);
    let data = Data::cifar10(dir.path()).unwrap();
    assert_eq!((data.train.len(), data.val.len()), (15, 3));
    let mut raw = vec![0.0f32; PIXELS];
    // Training images come from data_batch_1 … 5 in order; the test batch is validation.
    for (i, (f, k)) in (0..5).flat_map(|f| (0..3).map(move |k| (f, k))).enumerate() {
        assert_eq!(data.train.label(i), (f + k) % 10);
        data.train.raw_into(i, &mut raw);
        for (c, y, x) in [(0, 0, 0), (0, 5, 17), (1, 31, 2), (2, 9, 31), (2, 31, 31)] {
            let want = f32::from(pixel(f, k, c, y, x)) / 255.0;
            assert_eq!(raw[c * SIDE * SIDE + y * SIDE + x], want, "{i} {c} {y} {x}");
        }
    }
    data.val.raw_into(2, &mut raw);
    assert_eq!(data.val.label(2), 7, "file 5 (the test batch), record 2");
    assert_eq!(
        raw[SIDE * SIDE + 4 * SIDE + 6],
        f32::from(pixel(5, 2, 1, 4, 6)) / 255.0
    );
    // Per-channel normalisation with the training split's statistics, for both splits.
    let (mean, std) = data.train.normalisation();
    assert_eq!(data.val.normalisation(), (mean, std));
    let mut norm = vec![0.0f32; PIXELS];
    data.val.image_into(2, Augment::NONE, &mut norm);
    for c in 0..3 {
        let j = c * SIDE * SIDE + 100;
        assert!((norm[j] - (raw[j] - mean[c]) / std[c]).abs() < 1e-6);
    }
    let mut total = [0.0f64; 3];
    for i in 0..data.train.len() {
        data.train.image_into(i, Augment::NONE, &mut norm);
        for (c, plane) in norm.chunks(SIDE * SIDE).enumerate() {
            total[c] += plane.iter().map(|&v| f64::from(v)).sum::<f64>();
        }
    }
    for t in total {
        assert!(t.abs() / (15.0 * 1024.0) < 1e-4, "normalised mean {t}");
    }
}

/// `resnet train --data cifar10:DIR` exits 2 with one line containing every needle.
fn train_fails(dir: &Path, needles: &[&str]) {
    let data = format!("cifar10:{}", dir.display());
    let out = gradscope()
        .args([
            "resnet", "train", "--data", &data, "--steps", "1", "--width", "2",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    for n in needles {
        assert!(err.contains(n), "'{err}' lacks '{n}'");
    }
    assert!(out.stdout.is_empty());
}

#[test]
fn missing_truncated_or_mis_sized_files_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write_cifar(dir.path(), 2);
    let batch3 = dir.path().join("data_batch_3.bin");
    let bytes = std::fs::read(&batch3).unwrap();
    std::fs::write(&batch3, &bytes[..bytes.len() - 100]).unwrap();
    train_fails(
        dir.path(),
        &[
            "data_batch_3.bin",
            "not a whole number of 3073-byte records",
            "truncated",
        ],
    );
    std::fs::write(&batch3, []).unwrap();
    train_fails(dir.path(), &["data_batch_3.bin", "empty"]);
    std::fs::write(&batch3, &bytes).unwrap();
    std::fs::remove_file(dir.path().join(TEST_FILE)).unwrap();
    train_fails(dir.path(), &["test_batch.bin", "No such file"]);
    write_cifar(dir.path(), 2);
    let mut bad = std::fs::read(dir.path().join("data_batch_1.bin")).unwrap();
    bad[RECORD] = 12;
    std::fs::write(dir.path().join("data_batch_1.bin"), bad).unwrap();
    train_fails(dir.path(), &["data_batch_1.bin", "record 1 has label 12"]);
    train_fails(
        &dir.path().join("nope"),
        &["does not exist", "data_batch_1.bin"],
    );
}

#[test]
fn resnet_train_runs_on_cifar_files() {
    let dir = tempfile::tempdir().unwrap();
    write_cifar(dir.path(), 4);
    let data = format!("cifar10:{}", dir.path().display());
    let out = gradscope()
        .args([
            "resnet", "train", "--data", &data, "--epochs", "1", "--batch", "5",
        ])
        .args(["--width", "2", "--augment"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // One epoch of 20 images at batch 5: 4 steps; the test batch's 4 images validate.
    assert_eq!(j["steps"], 4);
    assert_eq!(j["data"], data);
    assert_eq!(j["summary"]["val_images"], 4);
    assert!(j["summary"]["val_acc_final"].as_f64().is_some());
}

#[test]
fn the_lab_trains_on_cifar_files_and_checks_the_directory_cheaply() {
    use gradscope::testing::labs::LabId;
    use gradscope::testing::run::{Quiet, RunSpec, Runner};
    let dir = tempfile::tempdir().unwrap();
    write_cifar(dir.path(), 2);
    let set = |d: &Path| {
        vec![
            "data=cifar10".to_string(),
            format!("cifar_dir={}", d.display()),
            "width=2".into(),
            "batch=4".into(),
        ]
    };
    let spec = RunSpec::from_args(LabId::Resnet, None, &set(dir.path()), 0, Some(3)).unwrap();
    let mut runner = Runner::new(spec).unwrap();
    runner.run_to_end(None, &mut Quiet);
    let r = runner.report();
    assert_eq!((r.num("train_images"), r.num("val_images")), (10.0, 2.0));
    assert_eq!(r.series("train_loss").len(), 3);
    // validate() looks at the files' sizes only, and names what is wrong.
    std::fs::write(dir.path().join("data_batch_2.bin"), [1u8; 10]).unwrap();
    let err = RunSpec::from_args(LabId::Resnet, None, &set(dir.path()), 0, None).unwrap_err();
    assert!(
        err.0.contains("data_batch_2.bin") && err.0.contains("truncated"),
        "{err}"
    );
    let err =
        RunSpec::from_args(LabId::Resnet, None, &["data=cifar10".into()], 0, None).unwrap_err();
    assert!(err.0.contains("needs cifar_dir"), "{err}");
}

#[test]
fn a_checkpoint_resumes_with_its_data_directory_given_another_way() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("cifar");
    std::fs::create_dir(&data).unwrap();
    write_cifar(&data, 8);
    let ck = dir.path().join("run.safetensors");
    let bin = BIN;
    let run = |cwd: &Path, data_arg: &str, extra: &[&str]| {
        let out = std::process::Command::new(bin)
            .current_dir(cwd)
            .args([
                "resnet", "train", "--width", "2", "--batch", "4", "--data", data_arg,
            ])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    // Trained from the data's parent with a relative path…
    run(
        dir.path(),
        "cifar10:cifar",
        &["--steps", "2", "--save", ck.to_str().unwrap()],
    );
    // …resumed from elsewhere, with the directory given absolutely, or not at all.
    let abs = format!("cifar10:{}", data.display());
    let j = run(
        Path::new("/"),
        &abs,
        &["--steps", "3", "--resume", ck.to_str().unwrap()],
    );
    assert_eq!(j["steps"], 3);
    let out = std::process::Command::new(bin)
        .current_dir("/")
        .args([
            "resnet",
            "train",
            "--steps",
            "3",
            "--resume",
            ck.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
