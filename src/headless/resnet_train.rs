//! `gradscope resnet train`: train a ResNet-18 on the built-in images or CIFAR-10 without a
//! terminal. A progress bar with the ETA goes to stderr when it is a terminal,
//! the summary to stdout at the end. Ctrl-C (or SIGTERM) stops after the current step,
//! saves with `--save`, evaluates and prints the summary, and exits 130; a second one quits
//! at once. `--resume` continues a saved run exactly (see [`crate::nn::train::resume`]).

use crate::cli::{BnOrderArg, ListFormat, ResnetTrainArgs};
use crate::error::usage_bail;
use crate::io::{ProgressBar, emit};
use crate::nn::data::{Data, DataSpec};
use crate::nn::resnet::footprint::{MEMORY_BUDGET, train_bytes};
use crate::nn::train::metrics::group_stats;
use crate::nn::train::resume::{self, Resumed, RunFacts};
use crate::nn::train::{Evaluation, Settings, Trainer};
use crate::nn::{BnOrder, Mode, ParamGroup, ResNetConfig};
use anyhow::Result;
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Steps when neither `--steps` nor `--epochs` is given: the lab's run.
pub const DEFAULT_STEPS: u64 = 400;
/// Batches whose losses make `train_loss_final` (the last ones, or all if fewer).
const FINAL_WINDOW: usize = 50;
/// The exit code of a run stopped by a signal (128 + SIGINT).
const INTERRUPTED: u8 = 130;

/// A value given on the command line must agree with the checkpoint's, when resuming.
fn agree<T: PartialEq + std::fmt::Display>(
    flag: &str,
    given: Option<T>,
    saved: T,
    file: &Path,
) -> Result<T> {
    match given {
        Some(g) if g != saved => usage_bail!(
            "{flag} {g} differs from the checkpoint '{}', which was trained with {flag} {saved} \
             (leave it out to continue with the checkpoint's)",
            file.display()
        ),
        _ => Ok(saved),
    }
}

fn non_negative(flag: &str, x: f64) -> Result<f64> {
    if !(x.is_finite() && x >= 0.0) {
        usage_bail!("{flag} {x} must be a finite non-negative number");
    }
    Ok(x)
}

/// The run's settings, data spec and (when resuming) the saved run, from the arguments.
fn configure(args: &ResnetTrainArgs) -> Result<(Settings, DataSpec, Option<Resumed>)> {
    let data: Option<DataSpec> = args.data.as_deref().map(str::parse).transpose()?;
    let bn_order = args.bn_order.map(|o| match o {
        BnOrderArg::ConvBnRelu => BnOrder::ConvBnRelu,
        BnOrderArg::ConvReluBn => BnOrder::ConvReluBn,
    });
    let width = args.width.map(|w| w as usize);
    let batch = args.batch.map(|b| b as usize);
    let resumed = args.resume.as_deref().map(resume::load).transpose()?;
    let (model, seed, batch, augment, data) = match &resumed {
        Some(r) => {
            let f: &RunFacts = &r.facts;
            let file = args.resume.as_deref().unwrap_or(Path::new(""));
            let width = agree("--width", width, f.model.width, file)?;
            let bn_order = agree("--bn-order", bn_order, f.model.bn_order, file)?;
            if args.no_skip && f.model.skip {
                usage_bail!(
                    "--no-skip differs from the checkpoint '{}', which has skip connections",
                    file.display()
                );
            }
            let seed = agree("--seed", args.seed, f.seed, file)?;
            let batch = agree("--batch", batch, f.batch, file)?;
            if args.augment && !f.augment {
                usage_bail!(
                    "--augment differs from the checkpoint '{}', trained without augmentation",
                    file.display()
                );
            }
            let saved: DataSpec = f.data.parse()?;
            // The same directory written another way (relative, through a link) agrees.
            let data = match data {
                Some(given) if given.same_as(&saved) => given,
                given => agree("--data", given, saved, file)?,
            };
            let model = ResNetConfig {
                width,
                bn_order,
                ..f.model
            };
            (model, seed, batch, f.augment, data)
        }
        None => {
            let model = ResNetConfig {
                width: width.unwrap_or(16),
                bn_order: bn_order.unwrap_or(BnOrder::ConvBnRelu),
                skip: !args.no_skip,
                ..ResNetConfig::default()
            };
            let data = data.unwrap_or(DataSpec::Synthetic);
            (
                model,
                args.seed.unwrap_or(0),
                batch.unwrap_or(32),
                args.augment,
                data,
            )
        }
    };
    let settings = Settings {
        model,
        batch,
        lr: non_negative("--lr", args.lr)?,
        momentum: non_negative("--momentum", args.momentum)?,
        wd: non_negative("--wd", args.wd)?,
        wd_on_bn_bias: args.wd_on_bn_bias,
        augment,
        seed,
    };
    let need = train_bytes(&model, [batch, 3, 32, 32]);
    if need > u128::from(MEMORY_BUDGET) {
        usage_bail!(
            "training width {} at batch {batch} needs about {:.1} GiB, more than the {} GiB \
             budget; lower --width or --batch",
            model.width,
            need as f64 / f64::from(1u32 << 30),
            MEMORY_BUDGET >> 30
        );
    }
    Ok((settings, data, resumed))
}

/// Refuse, before training for minutes, a `--save` that cannot be written or would destroy
/// an input: the checkpoint and its two companions (the optimiser file and the pending one
/// a save passes through) must be regular files that can be written, none of them a data
/// file, nor a file of the pair being resumed — unless `--save` names that same pair.
fn check_save_path(save: &Path, resume: Option<&Path>, data: &DataSpec) -> Result<()> {
    let twin = resume::optim_path(save);
    let pending = resume::pending_path(save);
    let outputs = [
        ("--save", save, true),
        ("--save's optimiser file", twin.as_path(), true),
        ("--save's pending optimiser file", pending.as_path(), true),
    ];
    let mut inputs = data.files();
    if let Some(r) = resume.filter(|r| !crate::io::same_file(r, save)) {
        inputs.extend([
            r.to_path_buf(),
            resume::optim_path(r),
            resume::pending_path(r),
        ]);
    }
    let inputs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    crate::io::check_outputs(&outputs, &inputs)
}

/// The total steps: `--steps`, or `--epochs` passes over `train_len` images, or the default.
fn total_steps(args: &ResnetTrainArgs, batch: usize, train_len: usize) -> Result<u64> {
    Ok(match (args.steps, args.epochs) {
        (Some(s), _) => s,
        (None, Some(e)) => {
            if !(e.is_finite() && e > 0.0 && e <= 1e4) {
                usage_bail!("--epochs {e} must be a positive number of passes (at most 10000)");
            }
            (e * train_len as f64 / batch as f64).ceil() as u64
        }
        (None, None) => DEFAULT_STEPS,
    })
}

/// Ctrl-C and SIGTERM set the flag; a second one exits at once (130).
fn stop_flag() -> Result<Arc<AtomicBool>> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use signal_hook::flag;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [SIGINT, SIGTERM] {
        // Registered first: with the flag already set, the second signal exits.
        flag::register_conditional_shutdown(sig, i32::from(INTERRUPTED), stop.clone())?;
        flag::register(sig, stop.clone())?;
    }
    Ok(stop)
}

fn eval_json(step: u64, e: &Evaluation) -> Value {
    json!({"step": step, "val_loss": e.loss, "val_acc": e.acc})
}

pub fn train(args: ResnetTrainArgs) -> Result<u8> {
    let stop = stop_flag()?;
    let (settings, data_spec, resumed) = configure(&args)?;
    if let Some(save) = &args.save {
        check_save_path(save, args.resume.as_deref(), &data_spec)?;
    }
    let data = Data::load(&data_spec, settings.seed)?;
    let total = total_steps(&args, settings.batch, data.train.len())?;
    let mut trainer = match resumed {
        Some(r) => {
            let step = r.facts.step;
            let mut t = Trainer::with_model(settings, r.net, step);
            t.sgd.restore(r.buffers, step);
            t
        }
        None => Trainer::new(settings),
    };
    let first = trainer.steps();
    let started = Instant::now();
    let mut bar = ProgressBar::new("train", first);
    let mut losses: Vec<(f64, f64)> = Vec::new();
    let mut history = Vec::new();
    let mut diverged_at = None;
    while trainer.steps() < total && !stop.load(Ordering::Relaxed) {
        let s = trainer.step(&data.train);
        losses.push((s.loss, s.acc));
        if !s.loss.is_finite() {
            // Every later step would be NaN too: stop, as the lab does, and say so.
            diverged_at = Some(trainer.steps());
            break;
        }
        let step = trainer.steps();
        if args.val_every > 0 && step.is_multiple_of(args.val_every) && step < total {
            let e = trainer.evaluate(&data.val, data.val.len(), Mode::Eval);
            history.push(eval_json(step, &e));
        }
        let extra = format!("loss {:.3}  {:.0} img/s", s.loss, trainer.images_per_s());
        bar.update(step, total, &extra);
    }
    bar.finish();
    let train_seconds = started.elapsed().as_secs_f64();
    if let Some(step) = diverged_at {
        eprintln!(
            "warning: the run diverged: its training loss became non-finite at step {step}; \
             a smaller --lr converges"
        );
    }
    if let Some(save) = &args.save {
        resume::save(&mut trainer, &data_spec, save)?;
    }
    let eval = trainer.evaluate(&data.val, data.val.len(), Mode::Eval);
    history.push(eval_json(trainer.steps(), &eval));
    // A Ctrl-C during the save or the final evaluation counts too.
    let interrupted = stop.load(Ordering::Relaxed);

    let window = &losses[losses.len().saturating_sub(FINAL_WINDOW)..];
    let mean = |f: fn(&(f64, f64)) -> f64| {
        if window.is_empty() {
            f64::NAN
        } else {
            window.iter().map(f).sum::<f64>() / window.len() as f64
        }
    };
    let groups = group_stats(&mut trainer.net, &trainer.sgd);
    let mut summary = Map::new();
    let mut put = |k: &str, v: Value| {
        summary.insert(k.to_string(), v);
    };
    put("val_acc_final", eval.acc.into());
    put("val_loss_final", eval.loss.into());
    put("train_loss_final", mean(|l| l.0).into());
    put("train_acc_final", mean(|l| l.1).into());
    // Which batches those means cover: a resumed run has only its own.
    let covered = (!window.is_empty())
        .then(|| json!([trainer.steps() + 1 - window.len() as u64, trainer.steps()]));
    put("train_final_steps", covered.unwrap_or(Value::Null));
    put("diverged", diverged_at.is_some().into());
    put("images_per_s", trainer.images_per_s().into());
    put("train_seconds", train_seconds.into());
    put("val_images", eval.images.into());
    for g in ParamGroup::ALL {
        let i = g.index();
        put(
            &format!("weight_norm.{}", g.name()),
            groups.weight_norm[i].into(),
        );
        put(&format!("eff_lr.{}", g.name()), groups.eff_lr[i].into());
        put(
            &format!("weight_decay.{}", g.name()),
            groups.weight_decay[i].into(),
        );
    }
    let params = trainer.net.num_params();
    let s = trainer.settings();
    let report = json!({
        "command": "resnet train",
        "data": data_spec.to_string(),
        "train_images": data.train.len(),
        "config": {
            "stem": s.model.stem.name(), "width": s.model.width, "classes": s.model.classes,
            "bn_order": s.model.bn_order.name(), "skip": s.model.skip,
            "batch": s.batch, "lr": s.lr, "momentum": s.momentum, "wd": s.wd,
            "wd_on_bn_bias": s.wd_on_bn_bias, "augment": s.augment, "seed": s.seed,
            "params": params,
        },
        "steps": trainer.steps(),
        "steps_this_run": trainer.steps() - first,
        "epochs": (trainer.steps() * s.batch as u64) as f64 / data.train.len() as f64,
        "interrupted": interrupted,
        "resumed_from": args.resume.as_ref().map(|p| p.display().to_string()),
        "saved": args.save.as_ref().map(|p| p.display().to_string()),
        "validation": history,
        "summary": summary,
    });
    let text = match args.format {
        ListFormat::Json => report.to_string() + "\n",
        ListFormat::Table => table(&report),
    };
    emit(None, text.as_bytes())?;
    Ok(if interrupted { INTERRUPTED } else { 0 })
}

/// The summary as `key value` lines.
fn table(report: &Value) -> String {
    let mut s = String::new();
    let line = |s: &mut String, k: &str, v: &Value| {
        let shown = match v {
            Value::Number(n) => n
                .as_f64()
                .map_or_else(|| n.to_string(), crate::fmt::fmt_num),
            Value::Null => "nan".into(),
            Value::String(t) => t.clone(),
            other => other.to_string(),
        };
        s.push_str(&format!("{k:<24} {shown}\n"));
    };
    for k in ["data", "steps", "epochs", "interrupted", "saved"] {
        line(&mut s, k, &report[k]);
    }
    if let Some(c) = report["config"].as_object() {
        for (k, v) in c {
            line(&mut s, k, v);
        }
    }
    if let Some(m) = report["summary"].as_object() {
        for (k, v) in m {
            line(&mut s, k, v);
        }
    }
    s
}
