//! `gradscope grad MODEL`: gradients and SGD steps of a model on one batch, written as
//! safetensors so they can be compared with PyTorch. `lstm` and `rnn` are in
//! [`super::grad_recurrent`].
//!
//! For `resnet18`: train-mode forward, cross-entropy, backward, `--steps` SGD steps
//! (weight decay on conv/linear weights only), then an eval-mode forward. Output keys:
//! `loss` \[steps\] F64, `logits` and `grad.<param>` of the first step, every parameter and
//! buffer after the steps, `eval_logits`.
//!
//! Everything about the files is checked before anything big is allocated: `--out` is not
//! an input, every tensor of the weights matches the table the inferred config implies,
//! the input fits the network, and the estimated memory fits [`MEMORY_BUDGET`].

use crate::cli::GradArgs;
use crate::error::UsageError;
use crate::error::usage_bail;
use crate::nn::checkpoint::{self, OwnedTensor};
use crate::nn::resnet::footprint::{self, MEMORY_BUDGET};
use crate::nn::{CellKind, Mode, Module, ResNet, Sgd};
use anyhow::Result;
use ndarray::{Array2, Array4};
use std::collections::{BTreeMap, HashMap};

/// Models `grad` knows.
const MODELS: [&str; 3] = ["resnet18", "lstm", "rnn"];

pub fn grad(args: GradArgs) -> Result<()> {
    match args.model.as_str() {
        "resnet18" => resnet18(&args),
        "lstm" => super::grad_recurrent::grad(&args, CellKind::Lstm),
        "rnn" => super::grad_recurrent::grad(&args, CellKind::Rnn),
        other => usage_bail!("unknown model '{other}'; accepted: {}", MODELS.join(", ")),
    }
}

fn check_hyper(args: &GradArgs) -> Result<()> {
    if args.steps == 0 {
        usage_bail!("--steps must be at least 1");
    }
    for (name, v) in [
        ("--lr", args.lr),
        ("--momentum", args.momentum),
        ("--wd", args.wd),
    ] {
        if !v.is_finite() || v < 0.0 {
            usage_bail!("{name} must be a finite non-negative number, got {v}");
        }
    }
    Ok(())
}

fn logits_tensor(l: &Array2<f32>) -> OwnedTensor {
    OwnedTensor::f32(l.shape(), l.iter().copied())
}

fn resnet18(args: &GradArgs) -> Result<()> {
    check_hyper(args)?;
    crate::io::check_outputs(
        &[("--out", &args.out, false)],
        &[&args.weights, &args.input],
    )?;
    let wfile = args.weights.display().to_string();
    let wbytes = checkpoint::read_file(&args.weights)?;
    let weights = checkpoint::parse(&wbytes, &wfile)?;
    let config = checkpoint::infer_resnet_config(&weights, &wfile)?;
    checkpoint::check_resnet_state(&weights, &config, &wfile)?;

    let ifile = args.input.display().to_string();
    let ibytes = checkpoint::read_file(&args.input)?;
    let input = checkpoint::parse(&ibytes, &ifile)?;
    let shape = checkpoint::shape_of(&input, "input", &ifile)?;
    let [n, c, h, w] = shape[..] else {
        usage_bail!("'{ifile}': input has shape {shape:?}, expected [N, 3, H, W]");
    };
    footprint::check_input(&config, [n, c, h, w], Mode::Train)
        .map_err(|e| UsageError(format!("'{ifile}': {e}")))?;
    let tshape = checkpoint::shape_of(&input, "target", &ifile)?;
    if tshape != [n] {
        usage_bail!("'{ifile}': target has shape {tshape:?}, expected [{n}] (one per image)");
    }
    let need = footprint::train_bytes(&config, [n, c, h, w]);
    if need > u128::from(MEMORY_BUDGET) {
        usage_bail!(
            "'{ifile}': input {shape:?} on the width-{} network of '{wfile}' needs about {} GiB, \
             over grad's memory budget of {} GiB; use fewer or smaller images",
            config.width,
            need.div_ceil(1 << 30),
            MEMORY_BUDGET >> 30
        );
    }
    let mut net = ResNet::<f32>::zeros(config);
    checkpoint::load_state(&mut net, &weights, &wfile)?;
    drop(weights);
    drop(wbytes);
    let values = checkpoint::floats(&input, "input", &ifile)?;
    let x = Array4::from_shape_vec((n, c, h, w), values.iter().map(|&v| v as f32).collect())?;
    drop(values);
    let targets = checkpoint::ints(&input, "target", &ifile)?
        .into_iter()
        .map(|t| {
            usize::try_from(t)
                .ok()
                .filter(|&t| t < config.classes)
                .ok_or(t)
        })
        .collect::<Result<Vec<usize>, i64>>()
        .map_err(|t| {
            UsageError(format!(
                "'{ifile}': target {t} is not a class of 0..{}",
                config.classes
            ))
        })?;

    let mut out = BTreeMap::new();
    let mut sgd = Sgd::new(args.lr, args.momentum, args.wd, false);
    let mut losses = Vec::new();
    for step in 0..args.steps {
        losses.push(net.forward_backward(x.view(), &targets).loss);
        if step == 0 {
            out.insert("logits".to_string(), logits_tensor(&net.logits()));
            net.visit_params("", &mut |p| {
                let g = OwnedTensor::f32(p.param.shape(), p.param.grad().iter().copied());
                out.insert(format!("grad.{}", p.name), g);
            });
        }
        sgd.step(&mut net);
    }
    out.extend(checkpoint::state(&mut net));
    net.forward(x.view(), Mode::Eval);
    out.insert("eval_logits".to_string(), logits_tensor(&net.logits()));
    out.insert(
        "loss".to_string(),
        OwnedTensor::f64(&[losses.len()], losses.clone()),
    );

    let meta: HashMap<String, String> = [
        ("model", "resnet18".to_string()),
        ("stem", config.stem.to_string()),
        ("width", config.width.to_string()),
        ("classes", config.classes.to_string()),
        ("steps", args.steps.to_string()),
        ("lr", args.lr.to_string()),
        ("momentum", args.momentum.to_string()),
        ("wd", args.wd.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let bytes = safetensors::serialize(out.iter(), Some(meta))?;
    crate::io::write_atomic(&args.out, &bytes)?;
    let shown: Vec<String> = losses.iter().map(|l| format!("{l:.6}")).collect();
    eprintln!(
        "wrote {} ({} tensors); loss by step: {}",
        args.out.display(),
        out.len(),
        shown.join(", ")
    );
    Ok(())
}
