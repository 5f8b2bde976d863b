//! Checkpoints of a training run. `FILE` holds the model's whole state under torchvision's
//! names — what PyTorch's `load_state_dict(strict=True)` accepts — with the run's facts in
//! its header metadata (step, architecture, seed, batch, data), which PyTorch never sees.
//! Beside it, [`optim_path`] (`ckpt.safetensors` → `ckpt.optim.safetensors`) holds SGD's
//! momentum buffers as `momentum_buffer.<param>`, the same step, and a hash of the model
//! state it belongs with. `--resume` reads both and refuses a pair that does not belong
//! together, so a resumed run continues exactly (the data stream is a function of the seed
//! and the step).
//!
//! Two files cannot be renamed at once, so a save goes in three steps, each one atomic, and
//! a resumable pair exists after every one of them: (1) the new optimiser file is written
//! beside the old one as [`pending_path`]; (2) the new model replaces the old; (3) the
//! pending file replaces the old optimiser file. Killed after (1), the old pair stands;
//! after (2), [`load`] pairs the new model with the pending file.

use super::Trainer;
use crate::error::UsageError;
use crate::nn::checkpoint::{self, OwnedTensor};
use crate::nn::data::DataSpec;
use crate::nn::{BnOrder, Module, ResNet, ResNetConfig};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The metadata key that marks a gradscope training checkpoint.
const MARK: &str = "gradscope";
const MARK_VALUE: &str = "resnet train checkpoint";
/// The prefix of the optimiser file's tensors.
const BUFFER: &str = "momentum_buffer.";

/// The optimiser file that goes with checkpoint `path`: its extension replaced by
/// `optim.safetensors` (or that appended when it has none).
pub fn optim_path(path: &Path) -> PathBuf {
    let name = path.file_name().map_or_else(
        || "checkpoint".to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let stem = match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem.to_string(),
        _ => name,
    };
    path.with_file_name(format!("{stem}.optim.safetensors"))
}

/// Where a save puts the new optimiser file until its model is in place:
/// `ckpt.optim.safetensors.pending`.
pub fn pending_path(path: &Path) -> PathBuf {
    let mut name = optim_path(path).into_os_string();
    name.push(".pending");
    PathBuf::from(name)
}

/// For the tests of interrupted saves: `GRADSCOPE_TEST_KILL_SAVE=1` (or `2`) ends the process
/// abruptly, as SIGKILL would, after step 1 (or 2) of a save.
fn test_kill_after(step: u8) {
    if std::env::var("GRADSCOPE_TEST_KILL_SAVE").is_ok_and(|v| v == step.to_string()) {
        std::process::abort();
    }
}

/// The facts of a run a checkpoint records.
#[derive(Clone, Debug, PartialEq)]
pub struct RunFacts {
    pub step: u64,
    pub model: ResNetConfig,
    pub seed: u64,
    pub batch: usize,
    pub augment: bool,
    /// The data spec as written (`synthetic`, `cifar10:DIR`).
    pub data: String,
}

impl RunFacts {
    fn to_map(&self) -> BTreeMap<String, String> {
        let m = &self.model;
        [
            (MARK, MARK_VALUE.to_string()),
            ("step", self.step.to_string()),
            ("stem", m.stem.name().to_string()),
            ("width", m.width.to_string()),
            ("classes", m.classes.to_string()),
            ("bn_order", m.bn_order.name().to_string()),
            ("skip", m.skip.to_string()),
            ("seed", self.seed.to_string()),
            ("batch", self.batch.to_string()),
            ("augment", self.augment.to_string()),
            ("data", self.data.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// The facts in a checkpoint's metadata, the architecture checked against its shapes
    /// by the caller.
    fn from_map(map: &BTreeMap<String, String>, file: &str) -> Result<Self, UsageError> {
        if map.get(MARK).map(String::as_str) != Some(MARK_VALUE) {
            return Err(UsageError(format!(
                "'{file}' holds no training state (step, architecture, data): it was not \
                 written by `gradscope resnet train --save`"
            )));
        }
        let get = |k: &str| {
            map.get(k).ok_or_else(|| {
                UsageError(format!("'{file}': the checkpoint's metadata lacks '{k}'"))
            })
        };
        fn parse<T: std::str::FromStr>(v: &str, k: &str, file: &str) -> Result<T, UsageError> {
            v.parse().map_err(|_| {
                UsageError(format!(
                    "'{file}': the checkpoint's metadata has {k}='{v}', which is not valid"
                ))
            })
        }
        let model = ResNetConfig {
            stem: get("stem")?.parse().map_err(UsageError)?,
            width: parse(get("width")?, "width", file)?,
            classes: parse(get("classes")?, "classes", file)?,
            bn_order: get("bn_order")?.parse::<BnOrder>().map_err(UsageError)?,
            skip: parse(get("skip")?, "skip", file)?,
        };
        Ok(Self {
            step: parse(get("step")?, "step", file)?,
            model,
            seed: parse(get("seed")?, "seed", file)?,
            batch: parse(get("batch")?, "batch", file)?,
            augment: parse(get("augment")?, "augment", file)?,
            data: get("data")?.clone(),
        })
    }
}

/// FNV-1a over the names and bytes of a state: ties the optimiser file to its model file.
fn state_hash(state: &BTreeMap<String, OwnedTensor>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (name, t) in state {
        for b in name.bytes().chain(t.data.iter().copied()) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// Save the trainer's run to `path` and its optimiser file (see the module docs).
pub fn save(trainer: &mut Trainer, data: &DataSpec, path: &Path) -> anyhow::Result<()> {
    let s = *trainer.settings();
    let facts = RunFacts {
        step: trainer.steps(),
        model: s.model,
        seed: s.seed,
        batch: s.batch,
        augment: s.augment,
        data: data.canonical().to_string(),
    };
    let state = checkpoint::state(&mut trainer.net);
    let mut meta = facts.to_map();
    let mut optim_meta = meta.clone();
    optim_meta.insert("model_state".into(), state_hash(&state));
    let buffers: BTreeMap<String, OwnedTensor> = {
        let mut shapes = BTreeMap::new();
        trainer.net.visit_params("", &mut |p| {
            shapes.insert(p.name.to_string(), p.param.shape().to_vec());
        });
        trainer
            .sgd
            .momentum_buffers()
            .iter()
            .filter_map(|(name, b)| {
                let shape = shapes.get(name)?;
                Some((
                    format!("{BUFFER}{name}"),
                    OwnedTensor::f32(shape, b.iter().copied()),
                ))
            })
            .collect()
    };
    let optim = checkpoint::serialize_with_metadata(&buffers, &optim_meta)?;
    meta.insert("format".into(), "pt".into());
    let bytes = checkpoint::serialize_with_metadata(&state, &meta)?;
    let pending = pending_path(path);
    crate::io::write_atomic(&pending, &optim)?;
    test_kill_after(1);
    crate::io::write_atomic(path, &bytes)?;
    test_kill_after(2);
    std::fs::rename(&pending, optim_path(path)).map_err(|e| {
        anyhow::anyhow!(
            "saving '{}': the optimiser file stays as '{}' ({e})",
            path.display(),
            pending.display()
        )
    })?;
    Ok(())
}

/// A run read back from a checkpoint and its optimiser file.
pub struct Resumed {
    pub facts: RunFacts,
    pub net: ResNet<f32>,
    /// Momentum buffers in the model's visit order (empty at step 0).
    pub buffers: Vec<(String, Vec<f32>)>,
}

/// Read the run saved at `path` (see the module docs). Every problem is a [`UsageError`]
/// naming the file.
pub fn load(path: &Path) -> Result<Resumed, UsageError> {
    let file = path.display().to_string();
    let bytes = checkpoint::read_file(path)?;
    let st = checkpoint::parse(&bytes, &file)?;
    let facts = RunFacts::from_map(&checkpoint::read_metadata(&bytes, &file)?, &file)?;
    if facts.model.width == 0 || facts.model.classes == 0 || facts.batch == 0 {
        return Err(UsageError(format!(
            "'{file}': the checkpoint's metadata has a zero width, class count or batch"
        )));
    }
    checkpoint::check_resnet_state(&st, &facts.model, &file)?;
    let mut net = ResNet::<f32>::zeros(facts.model);
    checkpoint::load_state(&mut net, &st, &file)?;

    let opath = optim_path(path);
    let ofile = opath.display().to_string();
    let hash = state_hash(&checkpoint::state(&mut net));
    // A save interrupted after its model was written left the matching optimiser file
    // pending: use it.
    let pending = pending_path(path);
    if pending.is_file()
        && let Ok(found) = optim_file(&pending, &hash, facts.step)
    {
        return with_buffers(facts, net, found);
    }
    if !opath.exists() {
        return Err(UsageError(format!(
            "'{ofile}', the optimiser state saved with '{file}', is missing (both are \
             needed to resume)"
        )));
    }
    let found = optim_file(&opath, &hash, facts.step).map_err(|e| match e {
        OptimError::Usage(e) => e,
        OptimError::Foreign(step) => UsageError(format!(
            "'{ofile}' (step {step}) does not belong with '{file}' (step {}): they were not \
             saved together",
            facts.step
        )),
    })?;
    with_buffers(facts, net, found)
}

/// Why an optimiser file cannot be used.
enum OptimError {
    Usage(UsageError),
    /// It belongs with another model (the step it was saved at).
    Foreign(u64),
}

/// An optimiser file read and checked against the model's state hash and step.
struct OptimFile {
    bytes: Vec<u8>,
    file: String,
}

fn optim_file(path: &Path, hash: &str, step: u64) -> Result<OptimFile, OptimError> {
    let file = path.display().to_string();
    let bytes = checkpoint::read_file(path).map_err(OptimError::Usage)?;
    checkpoint::parse(&bytes, &file).map_err(OptimError::Usage)?;
    let meta = checkpoint::read_metadata(&bytes, &file).map_err(OptimError::Usage)?;
    let facts = RunFacts::from_map(&meta, &file).map_err(OptimError::Usage)?;
    if facts.step != step || meta.get("model_state").map(String::as_str) != Some(hash) {
        return Err(OptimError::Foreign(facts.step));
    }
    Ok(OptimFile { bytes, file })
}

/// The momentum buffers of `found`, one per parameter of `net` (none at step 0).
fn with_buffers(
    facts: RunFacts,
    mut net: ResNet<f32>,
    found: OptimFile,
) -> Result<Resumed, UsageError> {
    let ofile = found.file;
    let ost = checkpoint::parse(&found.bytes, &ofile)?;
    let mut buffers = Vec::new();
    let mut missing = None;
    if !ost.names().is_empty() {
        net.visit_params("", &mut |p| {
            let key = format!("{BUFFER}{}", p.name);
            match checkpoint::floats(&ost, &key, &ofile) {
                Ok(v) if v.len() == p.param.len() => {
                    buffers.push((p.name.to_string(), v.iter().map(|&x| x as f32).collect()))
                }
                _ => {
                    missing.get_or_insert(key);
                }
            }
        });
    }
    if let Some(key) = missing {
        return Err(UsageError(format!(
            "'{ofile}' has no tensor '{key}' of the parameter's shape"
        )));
    }
    Ok(Resumed {
        facts,
        net,
        buffers,
    })
}
