//! Reliability of the command line as a process (issue 8): `--out` never destroys what is at
//! its path (devices, symlinks, FIFOs, the inputs), files get a shell redirect's mode,
//! hostile files are refused quickly without big allocations, write failures exit 1, and
//! NaN propagates as in PyTorch.

#![allow(clippy::unwrap_used)]

use crate::common::{BIN, fixture, gradscope};
use gradscope::testing::nn::checkpoint::{self, OwnedTensor};
use safetensors::Dtype;
use std::collections::BTreeMap;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

/// Run `gradscope ARGS` through `sh -c` after `setup` (e.g. `umask 022`).
fn via_sh(setup: &str, args: &[&str]) -> Output {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{setup}; exec \"$0\" \"$@\""))
        .arg(BIN)
        .args(args)
        .output()
        .unwrap()
}

/// Exit code 2, nothing on stdout, one stderr line holding every needle.
fn usage_error(out: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(out.stdout.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    for n in needles {
        assert!(err.contains(n), "{err:?} lacks {n:?}");
    }
}

/// A hostile file's run: under a 1 GiB address-space limit (a big allocation would abort,
/// exit 134), quickly, exit 2 with one line.
fn refused_quickly(args: &[&str], needles: &[&str]) {
    let start = Instant::now();
    let out = via_sh("ulimit -v 1048576", args);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{args:?} was slow"
    );
    usage_error(&out, needles);
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

const RUN: [&str; 4] = ["run", "rnn", "--steps", "1"];

fn run_out(out: &Path) -> Output {
    gradscope()
        .args(RUN)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

#[test]
fn dev_null_stays_a_character_device() {
    let before = std::fs::metadata("/dev/null").unwrap();
    assert!(before.file_type().is_char_device());
    let out = run_out(Path::new("/dev/null"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = std::fs::metadata("/dev/null").unwrap();
    assert!(after.file_type().is_char_device());
    assert_eq!((before.rdev(), before.ino()), (after.rdev(), after.ino()));
}

#[test]
fn symlink_target_is_updated_and_the_link_kept() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.json");
    let link = dir.path().join("link.json");
    std::fs::write(&real, "old").unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::symlink("real.json", &link).unwrap();
    assert!(run_out(&link).status.success());
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    let j: serde_json::Value = serde_json::from_slice(&std::fs::read(&real).unwrap()).unwrap();
    assert_eq!(j["steps"], 1);
    assert_eq!(mode(&real), 0o600);
}

#[test]
fn fifo_reader_receives_the_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.unwrap().success());
    let (tx, rx) = std::sync::mpsc::channel();
    let reader_path = fifo.clone();
    std::thread::spawn(move || tx.send(std::fs::read(reader_path)));
    assert!(run_out(&fifo).status.success());
    let bytes = rx.recv_timeout(Duration::from_secs(20)).unwrap().unwrap();
    let j: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(j["lab"], "rnn");
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

#[test]
fn new_files_get_a_shell_redirects_mode_and_replaced_ones_keep_theirs() {
    let dir = tempfile::tempdir().unwrap();
    for (umask, want) in [("022", 0o644), ("027", 0o640)] {
        let path = dir.path().join(format!("new-{umask}.json"));
        let mut args = RUN.to_vec();
        args.extend(["--out", s(&path)]);
        assert!(via_sh(&format!("umask {umask}"), &args).status.success());
        assert_eq!(mode(&path), want, "umask {umask}");
    }
    let kept = dir.path().join("kept.json");
    std::fs::write(&kept, "old").unwrap();
    std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut args = RUN.to_vec();
    args.extend(["--out", s(&kept)]);
    assert!(via_sh("umask 022", &args).status.success());
    assert_eq!(mode(&kept), 0o600);
    assert!(std::fs::read_to_string(&kept).unwrap().starts_with('{'));
    // Sweep output and checkpoints go through the same writer.
    let sweep = dir.path().join("sweep.json");
    let args = [
        "sweep",
        "rnn",
        "--param",
        "hidden",
        "--from",
        "4",
        "--to",
        "8",
        "--points",
        "2",
        "--metric",
        "final_ratio",
        "--out",
        s(&sweep),
    ];
    assert!(via_sh("umask 022", &args).status.success());
    assert_eq!(mode(&sweep), 0o644);
}

#[test]
fn write_failures_exit_1_and_known_problems_exit_2() {
    let out = run_out(Path::new("/dev/full"));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("'/dev/full'") && err.contains("No space left"),
        "{err}"
    );
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = std::process::Command::new(BIN)
        .args(RUN)
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stdout"));
    let dir = tempfile::tempdir().unwrap();
    usage_error(&run_out(dir.path()), &["is a directory"]);
    let missing = dir.path().join("no/such/dir/r.json");
    usage_error(
        &run_out(&missing),
        &["--out", s(&missing), "does not exist"],
    );
}

#[test]
fn out_equal_to_an_input_is_refused_and_the_input_kept() {
    let dir = tempfile::tempdir().unwrap();
    let x = dir.path().join("x.csv");
    std::fs::write(&x, "1,2\n3,4\n").unwrap();
    let sym = dir.path().join("sym.csv");
    std::os::unix::fs::symlink(&x, &sym).unwrap();
    let hard = dir.path().join("hard.csv");
    std::fs::hard_link(&x, &hard).unwrap();
    let input = format!("input={}", s(&x));
    for out in [&x, &sym, &hard] {
        let o = gradscope()
            .args(["run", "mf", "--set", &input, "--set", "rank=1", "--out"])
            .arg(out)
            .output()
            .unwrap();
        usage_error(&o, &["is the input file"]);
        let o = gradscope()
            .args([
                "sweep", "mf", "--set", &input, "--set", "rank=1", "--param", "lr",
            ])
            .args([
                "--from", "0.001", "--to", "0.01", "--points", "2", "--metric", "gap",
            ])
            .arg("--out")
            .arg(out)
            .output()
            .unwrap();
        usage_error(&o, &["is the input file"]);
    }
    assert_eq!(std::fs::read_to_string(&x).unwrap(), "1,2\n3,4\n");

    let w = dir.path().join("w.safetensors");
    std::fs::copy(fixture("resnet18_weights.safetensors"), &w).unwrap();
    let i = dir.path().join("i.safetensors");
    std::fs::copy(fixture("resnet18_input.safetensors"), &i).unwrap();
    let wlink = dir.path().join("wlink.safetensors");
    std::os::unix::fs::symlink(&w, &wlink).unwrap();
    for out in [&w, &i, &wlink] {
        let o = gradscope()
            .args([
                "grad",
                "resnet18",
                "--weights",
                s(&w),
                "--input",
                s(&i),
                "--out",
                s(out),
            ])
            .output()
            .unwrap();
        usage_error(&o, &["is the input file"]);
    }
    let same = |a: &Path, b: &str| std::fs::read(a).unwrap() == std::fs::read(fixture(b)).unwrap();
    assert!(same(&w, "resnet18_weights.safetensors"));
    assert!(same(&i, "resnet18_input.safetensors"));
}

/// A `.npy` v1 file with this header dict and `data` after it.
fn npy(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut h = format!("{dict}{}", " ".repeat(64));
    h.truncate(((10 + dict.len()) / 64 + 1) * 64 - 11);
    h.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((h.len() as u16).to_le_bytes());
    out.extend(h.as_bytes());
    out.extend(data);
    out
}

/// A safetensors file whose header claims `shape` for `name` over `data` bytes.
fn claiming_safetensors(name: &str, shape: &str, data: usize) -> Vec<u8> {
    let header = format!(
        "{{\"{name}\":{{\"dtype\":\"F32\",\"shape\":{shape},\"data_offsets\":[0,{data}]}}}}"
    );
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend(header.as_bytes());
    out.extend(vec![0u8; data]);
    out
}

#[test]
fn oversized_shape_claims_are_refused_without_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let huge = dir.path().join("huge.npy");
    let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000, 1000000000), }";
    std::fs::write(&huge, npy(dict, &[0; 64])).unwrap();
    assert_eq!(std::fs::metadata(&huge).unwrap().len(), 192);
    let set = format!("input={}", s(&huge));
    refused_quickly(
        &["run", "mf", "--set", &set],
        &["header claims shape", "64 bytes"],
    );
    // mf bounds its input by values (m·n), not rows: honest bytes, one value too many.
    let tall = dir.path().join("tall.npy");
    let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2001, 2000), }";
    std::fs::write(&tall, npy(dict, &vec![0; 2001 * 2000 * 4])).unwrap();
    let set = format!("input={}", s(&tall));
    refused_quickly(
        &["run", "mf", "--set", &set],
        &["2001×2000 = 4,002,000 values", "at most 4,000,000 values"],
    );

    // Weights holding only the two tensors the config is inferred from (width 20000).
    let mut state = BTreeMap::new();
    state.insert(
        "conv1.weight".to_string(),
        OwnedTensor::f32(&[20000, 3, 3, 3], vec![0.0; 540_000]),
    );
    state.insert(
        "fc.weight".to_string(),
        OwnedTensor::f32(&[1, 160_000], vec![0.0; 160_000]),
    );
    let wide = dir.path().join("wide.safetensors");
    std::fs::write(&wide, checkpoint::serialize(&state).unwrap()).unwrap();
    let (w, i) = (
        fixture("resnet18_weights.safetensors"),
        fixture("resnet18_input.safetensors"),
    );
    let o = dir.path().join("o.safetensors");
    let grad = |w: &Path, i: &Path| {
        [
            "grad",
            "resnet18",
            "--weights",
            s(w),
            "--input",
            s(i),
            "--out",
            s(&o),
        ]
        .map(String::from)
    };
    let refused = |args: [String; 8], needles: &[&str]| {
        refused_quickly(
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
            needles,
        )
    };
    refused(
        grad(&wide, &i),
        &["wide.safetensors", "has no tensor 'bn1.weight'"],
    );
    let claim = dir.path().join("claim.safetensors");
    let bytes = claiming_safetensors("conv1.weight", "[1000000000,1000000000,3,3]", 16);
    std::fs::write(&claim, bytes).unwrap();
    refused(
        grad(&claim, &i),
        &["claim.safetensors", "not a valid safetensors file"],
    );
    let bytes = claiming_safetensors("input", "[1000000000,3,1000000,1000000]", 16);
    std::fs::write(&claim, bytes).unwrap();
    refused(
        grad(&w, &claim),
        &["claim.safetensors", "not a valid safetensors file"],
    );
    // An honest input too big for the memory budget.
    let big = dir.path().join("big.safetensors");
    let mut batch = BTreeMap::new();
    batch.insert(
        "input".to_string(),
        OwnedTensor::f32(&[1, 3, 1024, 1024], vec![0.5; 3 << 20]),
    );
    batch.insert("target".to_string(), OwnedTensor::i64(&[1], [0]));
    std::fs::write(&big, checkpoint::serialize(&batch).unwrap()).unwrap();
    refused(
        grad(&w, &big),
        &["big.safetensors", "memory budget of 2 GiB"],
    );
    assert!(!o.exists());
}

/// The tensors of a safetensors file, to edit and write back.
fn load_all(path: &Path) -> BTreeMap<String, OwnedTensor> {
    let bytes = std::fs::read(path).unwrap();
    let st = checkpoint::parse(&bytes, "f").unwrap();
    st.tensors()
        .into_iter()
        .map(|(name, t)| {
            let owned = OwnedTensor {
                dtype: t.dtype(),
                shape: t.shape().to_vec(),
                data: t.data().to_vec(),
            };
            (name, owned)
        })
        .collect()
}

/// Set element `index` (row-major) of an F32 tensor to NaN.
fn poison(t: &mut OwnedTensor, index: &[usize]) {
    let flat = index
        .iter()
        .zip(&t.shape)
        .fold(0, |acc, (&i, &d)| acc * d + i);
    t.data[4 * flat..4 * flat + 4].copy_from_slice(&f32::NAN.to_le_bytes());
}

fn nan_mask(t: &safetensors::tensor::TensorView<'_>) -> Vec<u8> {
    let d = t.data();
    match t.dtype() {
        Dtype::F32 => d
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()).is_nan() as u8)
            .collect(),
        Dtype::F64 => d
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().unwrap()).is_nan() as u8)
            .collect(),
        _ => vec![0; d.len() / t.dtype().bitsize().div_ceil(8).max(1)],
    }
}

/// NaN in an input pixel or a weight gives exactly PyTorch's NaN pattern in every tensor
/// `grad` writes (loss, logits, gradients, state after the step, eval logits). The masks
/// come from PyTorch (tests/fixtures/gen_nan_fixture.py): torch.relu(NaN) = NaN,
/// max_pool2d lets NaN win, batch statistics of a channel holding NaN are NaN.
#[test]
fn nan_propagates_as_in_pytorch() {
    let dir = tempfile::tempdir().unwrap();
    let expected_bytes = std::fs::read(fixture("nan_expected.safetensors")).unwrap();
    let expected = checkpoint::parse(&expected_bytes, "expected").unwrap();
    let weights = load_all(&fixture("nan_weights.safetensors"));
    let input = load_all(&fixture("nan_input.safetensors"));
    let mut pixel = input.clone();
    poison(pixel.get_mut("input").unwrap(), &[1, 2, 5, 6]);
    let mut bad_weights = weights.clone();
    poison(
        bad_weights.get_mut("layer3.0.conv1.weight").unwrap(),
        &[1, 0, 1, 1],
    );
    for (case, w, i) in [
        ("pixel", &weights, &pixel),
        ("weight", &bad_weights, &input),
    ] {
        let (wp, ip) = (dir.path().join("w.st"), dir.path().join("i.st"));
        std::fs::write(&wp, checkpoint::serialize(w).unwrap()).unwrap();
        std::fs::write(&ip, checkpoint::serialize(i).unwrap()).unwrap();
        let op = dir.path().join(format!("{case}.st"));
        gradscope()
            .args([
                "grad",
                "resnet18",
                "--steps",
                "1",
                "--weights",
                s(&wp),
                "--input",
                s(&ip),
            ])
            .arg("--out")
            .arg(&op)
            .assert()
            .success();
        let ours_bytes = std::fs::read(&op).unwrap();
        let ours = checkpoint::parse(&ours_bytes, "ours").unwrap();
        let prefix = format!("{case}.");
        let mut keys = 0;
        for (name, want) in expected.tensors() {
            let Some(key) = name.strip_prefix(&prefix) else {
                continue;
            };
            keys += 1;
            let got = ours
                .tensor(key)
                .unwrap_or_else(|_| panic!("{case}: no {key}"));
            assert_eq!(got.shape(), want.shape(), "{case}: {key}");
            assert_eq!(nan_mask(&got), want.data(), "{case}: NaN pattern of {key}");
        }
        assert_eq!(keys, ours.len(), "{case}: every output tensor is compared");
        let loss = checkpoint::floats(&ours, "loss", "ours").unwrap();
        assert!(loss[0].is_nan(), "{case}: loss {loss:?}");
    }
}

#[test]
fn csv_rows_separators_quotes_and_magnitudes() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        let set = format!("input={}", s(&p));
        gradscope()
            .args([
                "run", "mf", "--steps", "1", "--set", "rank=1", "--set", &set,
            ])
            .output()
            .unwrap()
    };
    usage_error(
        &run("hex.csv", "0x10,2\n3,4\n"),
        &["'0x10' at line 1, column 1 is not a number"],
    );
    usage_error(
        &run("quote.csv", "1,2\n\"3,4\n"),
        &["unterminated quote opened on line 2"],
    );
    usage_error(
        &run("big.csv", "1,2\n3,1e150\n"),
        &["row 2, column 2", "magnitudes up to 1e100"],
    );
    for (name, text) in [
        ("header.csv", "a,b\n1,2\n3,4\n"),
        ("semi.csv", "1;2\n3;4\n"),
        ("tab.csv", "# tab-separated\n1\t2\n3\t4\n"),
    ] {
        let out = run(name, text);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(j["params"]["input"], s(&dir.path().join(name)), "{name}");
    }
}

#[test]
fn negative_values_of_unsigned_options_say_so() {
    let sweep = [
        "sweep", "rnn", "--param", "hidden", "--from", "4", "--to", "8",
    ];
    let cases: Vec<Vec<&str>> = vec![
        vec!["run", "rnn", "--seed", "-1"],
        vec!["run", "rnn", "--steps", "-1"],
        vec!["run", "rnn", "--seed=-1"],
        [&sweep[..], &["--points", "-1", "--metric", "final_ratio"]].concat(),
        [
            &sweep[..],
            &[
                "--points",
                "2",
                "--metric",
                "final_ratio",
                "--shard",
                "-1/4",
            ],
        ]
        .concat(),
    ];
    for args in cases {
        let out = gradscope().args(&args).output().unwrap();
        usage_error(&out, &["must be non-negative"]);
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("-- -1"),
            "{args:?}"
        );
    }
    let w = fixture("resnet18_weights.safetensors");
    let i = fixture("resnet18_input.safetensors");
    for flag in ["--lr", "--momentum", "--wd"] {
        let out = gradscope()
            .args([
                "grad",
                "resnet18",
                "--weights",
                s(&w),
                "--input",
                s(&i),
                "--out",
                "x",
            ])
            .args([flag, "-1"])
            .output()
            .unwrap();
        usage_error(
            &out,
            &[flag, "must be a finite non-negative number, got -1"],
        );
    }
}

/// Issue 21's third audit: every reader and expander bounded before it allocates, outputs
/// checked before the work, failures of a headless demo's lines named.
#[test]
fn readers_and_expanders_are_bounded_under_an_address_space_limit() {
    let dir = tempfile::tempdir().unwrap();
    // A 20 KB tape of repeats: refused at the line that passes the bound.
    let repeats = dir.path().join("repeats.tape");
    std::fs::write(&repeats, "key Right x10000\n".repeat(1200)).unwrap();
    refused_quickly(
        &["demo", s(&repeats), "--headless"],
        &["line 11", "more than 100000"],
    );
    // A tape or a config of many megabytes is not read whole.
    let huge = dir.path().join("huge.tape");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(3 << 30)
        .unwrap();
    refused_quickly(&["demo", s(&huge), "--headless"], &["larger than 1024 KiB"]);
    // Six sparse 3 GB CIFAR files: refused from their sizes.
    let cifar = dir.path().join("cifar");
    std::fs::create_dir(&cifar).unwrap();
    for name in [
        "data_batch_1.bin",
        "data_batch_2.bin",
        "data_batch_3.bin",
        "data_batch_4.bin",
        "data_batch_5.bin",
        "test_batch.bin",
    ] {
        let f = std::fs::File::create(cifar.join(name)).unwrap();
        f.set_len(3073 * 1_000_000).unwrap();
    }
    let data = format!("cifar10:{}", s(&cifar));
    refused_quickly(
        &["resnet", "train", "--data", &data, "--steps", "1"],
        &["larger than a CIFAR-10 batch file"],
    );
    refused_quickly(
        &["bench", "resnet", "--reps", "18446744073709551615"],
        &["--reps"],
    );
    refused_quickly(&["run", "mf", "--seeds", "100000000"], &["--seeds"]);
    refused_quickly(
        &["run", "mf", "--seeds", "2", "--jobs", "100000"],
        &["--jobs"],
    );
}

#[test]
fn outputs_are_refused_before_a_long_command_starts() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/out.json");
    let long_sweep = [
        "sweep",
        "bn",
        "--param",
        "lr",
        "--from",
        "0.01",
        "--to",
        "1",
        "--points",
        "41",
        "--metric",
        "angular_update_ratio",
        "--out",
    ];
    for (args, flag) in [
        (&long_sweep[..], "--out"),
        (&["run", "bn", "--plot"][..], "--plot"),
        (
            &["demo", "assets/demos/rnn.tape", "--headless", "--record"][..],
            "--record",
        ),
    ] {
        let start = Instant::now();
        let out = gradscope().args(args).arg(&missing).output().unwrap();
        assert!(start.elapsed() < Duration::from_secs(1), "{args:?}: slow");
        usage_error(&out, &[flag, "does not exist"]);
    }
    let same = dir.path().join("r.json");
    let out = gradscope()
        .args([
            "run",
            "mf",
            "--steps",
            "1",
            "--out",
            s(&same),
            "--plot",
            s(&same),
        ])
        .output()
        .unwrap();
    usage_error(&out, &["--plot and --out are the same file"]);
    let out = gradscope()
        .args([
            "grad",
            "lstm",
            "--weights",
            s(&fixture("lstm_weights.safetensors")),
        ])
        .args([
            "--input",
            s(&fixture("lstm_input.safetensors")),
            "--out",
            s(&missing),
        ])
        .output()
        .unwrap();
    usage_error(&out, &["--out", "does not exist"]);
}

#[test]
fn headless_demo_lines_that_fail_exit_2_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    for (tape, needle) in [
        (
            "lab mf\nset input /no/such.npy\nwait 0.5s\n",
            "line 2: lab mf: input",
        ),
        (
            "lab resnet\nset cifar_dir /no/such/dir\nset data cifar10\nwait 0.5s\n",
            "line 3:",
        ),
        (
            "lab mf\nsweep lr 5 9 3\nwait 0.5s\n",
            "line 2: the sweep failed",
        ),
        (
            "lab rnn\nset hidden 0\n",
            "line 2: hidden=0 is out of range",
        ),
        ("\u{feff}lab nope\n", "line 1: unknown lab 'nope'"),
    ] {
        let path = dir.path().join("t.tape");
        std::fs::write(&path, tape).unwrap();
        let out = gradscope()
            .args(["demo", s(&path), "--headless"])
            .output()
            .unwrap();
        usage_error(&out, &[needle]);
    }
}

#[test]
fn a_large_one_line_csv_is_refused_by_its_value_count() {
    // 64 MB on one line, 16 million values: the reader counts values as it streams and
    // stops at the cap (4 million), under a 1 GiB address-space limit.
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("line.csv");
    std::fs::write(&big, "1.5,".repeat(16_000_000)).unwrap();
    let set = format!("input={}", s(&big));
    refused_quickly(
        &["run", "mf", "--set", &set],
        &["more than 4,000,000 values", "at most 4,000,000 values"],
    );
}
