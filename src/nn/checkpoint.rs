//! safetensors load/save of a model's whole state (parameters and buffers) under
//! torchvision's names: float tensors as F32, `num_batches_tracked` as an I64 scalar, so
//! `load_state_dict(safetensors.torch.load_file(path), strict=True)` accepts it.
//!
//! Loading is strict like PyTorch's: every tensor present with its shape, nothing extra.
//! It validates everything before writing anything, so a bad file leaves the model as it
//! was. Every problem is a [`UsageError`] naming the file (exit code 2). A ResNet's file is
//! checked against the table its config implies ([`check_resnet_state`]) before the model
//! is allocated, so a file claiming a huge width is refused, not allocated.

use super::resnet::footprint::{EntryKind, MEMORY_BUDGET, state_table};
use super::{BufferRef, Module, Real, ResNetConfig, Stem};
use crate::error::UsageError;
use safetensors::tensor::{Dtype, SafeTensors, View};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A tensor to be written: dtype, shape and little-endian bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct OwnedTensor {
    pub dtype: Dtype,
    pub shape: Vec<usize>,
    pub data: Vec<u8>,
}

impl OwnedTensor {
    pub fn f32(shape: &[usize], values: impl IntoIterator<Item = f32>) -> Self {
        let data = values.into_iter().flat_map(f32::to_le_bytes).collect();
        Self {
            dtype: Dtype::F32,
            shape: shape.to_vec(),
            data,
        }
    }
    pub fn f64(shape: &[usize], values: impl IntoIterator<Item = f64>) -> Self {
        let data = values.into_iter().flat_map(f64::to_le_bytes).collect();
        Self {
            dtype: Dtype::F64,
            shape: shape.to_vec(),
            data,
        }
    }
    pub fn i64(shape: &[usize], values: impl IntoIterator<Item = i64>) -> Self {
        let data = values.into_iter().flat_map(i64::to_le_bytes).collect();
        Self {
            dtype: Dtype::I64,
            shape: shape.to_vec(),
            data,
        }
    }
}

impl View for &OwnedTensor {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.data)
    }
    fn data_len(&self) -> usize {
        self.data.len()
    }
}

/// A safetensors file's bytes from named tensors (stored sorted, as the format requires).
pub fn serialize(tensors: &BTreeMap<String, OwnedTensor>) -> anyhow::Result<Vec<u8>> {
    Ok(safetensors::serialize(tensors.iter(), None)?)
}

/// The full state of `model`: every parameter and buffer under its name.
pub fn state<T: Real>(model: &mut dyn Module<T>) -> BTreeMap<String, OwnedTensor> {
    let mut out = BTreeMap::new();
    model.visit_params("", &mut |p| {
        let v = p.param.value().iter().map(|v| v.to_f64() as f32);
        out.insert(p.name.to_string(), OwnedTensor::f32(p.param.shape(), v));
    });
    model.visit_buffers("", &mut |name, b| {
        let t = match b {
            BufferRef::Float(v) => {
                OwnedTensor::f32(&[v.len()], v.iter().map(|v| v.to_f64() as f32))
            }
            BufferRef::Count(c) => OwnedTensor::i64(&[], [*c]),
        };
        out.insert(name.to_string(), t);
    });
    out
}

/// Write the full state of `model` to `path` atomically (temporary file + rename).
pub fn save<T: Real>(model: &mut dyn Module<T>, path: &Path) -> anyhow::Result<()> {
    crate::io::write_atomic(path, &serialize(&state(model))?)
}

/// The largest file read: the memory budget (a larger one could not be used anyway).
pub const MAX_FILE_BYTES: u64 = MEMORY_BUDGET;

/// Read a whole file of at most [`MAX_FILE_BYTES`]; failure is the user's (missing,
/// unreadable, too large): a [`UsageError`]. Bounded also for a FIFO or device.
pub fn read_file(path: &Path) -> Result<Vec<u8>, UsageError> {
    use std::io::Read;
    let cannot =
        |e: &dyn std::fmt::Display| UsageError(format!("cannot read '{}': {e}", path.display()));
    let too_large = || {
        UsageError(format!(
            "'{}' is larger than {} GiB, the most gradscope reads (its memory budget)",
            path.display(),
            MAX_FILE_BYTES >> 30
        ))
    };
    let file = std::fs::File::open(path).map_err(|e| cannot(&e))?;
    if file.metadata().is_ok_and(|m| m.len() > MAX_FILE_BYTES) {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| cannot(&e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

/// Parse safetensors bytes; `file` names the source in errors.
pub fn parse<'a>(bytes: &'a [u8], file: &str) -> Result<SafeTensors<'a>, UsageError> {
    SafeTensors::deserialize(bytes)
        .map_err(|e| UsageError(format!("'{file}' is not a valid safetensors file: {e}")))
}

/// A float tensor's values as f64 (F32 or F64 storage).
pub fn floats(st: &SafeTensors<'_>, name: &str, file: &str) -> Result<Vec<f64>, UsageError> {
    let t = st
        .tensor(name)
        .map_err(|_| UsageError(format!("'{file}' has no tensor '{name}'")))?;
    let d = t.data();
    match t.dtype() {
        Dtype::F32 => Ok(d
            .chunks_exact(4)
            .map(|b| f64::from(f32::from_le_bytes(le(b))))
            .collect()),
        Dtype::F64 => Ok(d
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(le(b)))
            .collect()),
        other => Err(UsageError(format!(
            "'{file}': '{name}' is {other:?}, expected F32 or F64"
        ))),
    }
}

/// An integer tensor's values (I64 or I32 storage).
pub fn ints(st: &SafeTensors<'_>, name: &str, file: &str) -> Result<Vec<i64>, UsageError> {
    let t = st
        .tensor(name)
        .map_err(|_| UsageError(format!("'{file}' has no tensor '{name}'")))?;
    let d = t.data();
    match t.dtype() {
        Dtype::I64 => Ok(d
            .chunks_exact(8)
            .map(|b| i64::from_le_bytes(le(b)))
            .collect()),
        Dtype::I32 => Ok(d
            .chunks_exact(4)
            .map(|b| i64::from(i32::from_le_bytes(le(b))))
            .collect()),
        other => Err(UsageError(format!(
            "'{file}': '{name}' is {other:?}, expected I64"
        ))),
    }
}

fn le<const N: usize>(b: &[u8]) -> [u8; N] {
    b.try_into().expect("chunks_exact gives N bytes")
}

/// The shape of tensor `name`, or an error naming the file.
pub fn shape_of(st: &SafeTensors<'_>, name: &str, file: &str) -> Result<Vec<usize>, UsageError> {
    st.tensor(name)
        .map(|t| t.shape().to_vec())
        .map_err(|_| UsageError(format!("'{file}' has no tensor '{name}'")))
}

/// Load a whole state into `model`, strictly (see the module docs).
pub fn load_state<T: Real>(
    model: &mut dyn Module<T>,
    st: &SafeTensors<'_>,
    file: &str,
) -> Result<(), UsageError> {
    // Pass 1: what the model expects, checked against the file.
    let mut expected: Vec<(String, Vec<usize>, bool)> = Vec::new();
    model.visit_params("", &mut |p| {
        expected.push((p.name.into(), p.param.shape().into(), false))
    });
    model.visit_buffers("", &mut |name, b| match b {
        BufferRef::Float(v) => expected.push((name.into(), vec![v.len()], false)),
        BufferRef::Count(_) => expected.push((name.into(), vec![], true)),
    });
    let mut values: BTreeMap<String, (Vec<f64>, Vec<i64>)> = BTreeMap::new();
    for (name, shape, is_count) in &expected {
        let got = shape_of(st, name, file)?;
        if &got != shape {
            return Err(UsageError(format!(
                "'{file}': tensor '{name}' has shape {got:?}, expected {shape:?}"
            )));
        }
        let v = if *is_count {
            (Vec::new(), ints(st, name, file)?)
        } else {
            (floats(st, name, file)?, Vec::new())
        };
        values.insert(name.clone(), v);
    }
    let known: BTreeSet<&str> = expected.iter().map(|(n, _, _)| n.as_str()).collect();
    if let Some(extra) = st.names().into_iter().filter(|n| !known.contains(n)).min() {
        return Err(UsageError(format!(
            "'{file}': unexpected tensor '{extra}' (not part of this model)"
        )));
    }
    // Pass 2: write.
    model.visit_params("", &mut |p| {
        let src = &values[p.name].0;
        p.param
            .value_mut()
            .iter_mut()
            .zip(src)
            .for_each(|(d, s)| *d = T::from_f64(*s));
    });
    model.visit_buffers("", &mut |name, b| match b {
        BufferRef::Float(v) => {
            v.iter_mut()
                .zip(&values[name].0)
                .for_each(|(d, s)| *d = T::from_f64(*s));
        }
        BufferRef::Count(c) => *c = values[name].1[0],
    });
    Ok(())
}

/// Load the state file at `path` into `model`.
pub fn load<T: Real>(model: &mut dyn Module<T>, path: &Path) -> Result<(), UsageError> {
    let bytes = read_file(path)?;
    let file = path.display().to_string();
    load_state(model, &parse(&bytes, &file)?, &file)
}

/// A torchvision ResNet-18's configuration from its state's shapes: the stem from
/// `conv1.weight` (`[W, 3, 3, 3]` CIFAR, `[W, 3, 7, 7]` ImageNet), the width `W`, the
/// classes from `fc.weight` (`[classes, 8·W]`). PyTorch's BN order, with skips.
pub fn infer_resnet_config(st: &SafeTensors<'_>, file: &str) -> Result<ResNetConfig, UsageError> {
    let conv = shape_of(st, "conv1.weight", file)?;
    let stem = match conv.as_slice() {
        [w, 3, 3, 3] if *w > 0 => Stem::Cifar,
        [w, 3, 7, 7] if *w > 0 => Stem::Imagenet,
        _ => {
            return Err(UsageError(format!(
                "'{file}': conv1.weight has shape {conv:?}; a ResNet-18 stem is \
                 [W, 3, 3, 3] (cifar) or [W, 3, 7, 7] (imagenet)"
            )));
        }
    };
    let width = conv[0];
    let fc = shape_of(st, "fc.weight", file)?;
    let classes = match fc.as_slice() {
        [k, f] if Some(*f) == width.checked_mul(8) && *k > 0 => *k,
        _ => {
            return Err(UsageError(format!(
                "'{file}': fc.weight has shape {fc:?}, expected [classes, {}] for width {width}",
                8 * width
            )));
        }
    };
    Ok(ResNetConfig {
        stem,
        width,
        classes,
        ..ResNetConfig::default()
    })
}

/// Check that `st` holds exactly the state of the ResNet-18 `config` describes: every tensor
/// present with its shape and a usable dtype, nothing extra. Works from the config's table,
/// without allocating the model.
pub fn check_resnet_state(
    st: &SafeTensors<'_>,
    config: &ResNetConfig,
    file: &str,
) -> Result<(), UsageError> {
    let table = state_table(config);
    for entry in &table {
        let name = entry.name.as_str();
        let t = st
            .tensor(name)
            .map_err(|_| UsageError(format!("'{file}' has no tensor '{name}'")))?;
        if t.shape() != entry.shape {
            return Err(UsageError(format!(
                "'{file}': tensor '{name}' has shape {:?}, expected {:?}",
                t.shape(),
                entry.shape
            )));
        }
        let ok = match entry.kind {
            EntryKind::Count => matches!(t.dtype(), Dtype::I64 | Dtype::I32),
            EntryKind::Param | EntryKind::Buffer => matches!(t.dtype(), Dtype::F32 | Dtype::F64),
        };
        if !ok {
            let want = if entry.kind == EntryKind::Count {
                "I64"
            } else {
                "F32 or F64"
            };
            return Err(UsageError(format!(
                "'{file}': '{name}' is {:?}, expected {want}",
                t.dtype()
            )));
        }
    }
    let known: BTreeSet<&str> = table.iter().map(|e| e.name.as_str()).collect();
    if let Some(extra) = st.names().into_iter().filter(|n| !known.contains(n)).min() {
        return Err(UsageError(format!(
            "'{file}': unexpected tensor '{extra}' (not part of this model)"
        )));
    }
    Ok(())
}

/// A safetensors file's bytes with string metadata in its header (`__metadata__`), which
/// `safetensors.torch.load_file` and `load_state_dict` never see.
pub fn serialize_with_metadata(
    tensors: &BTreeMap<String, OwnedTensor>,
    metadata: &BTreeMap<String, String>,
) -> anyhow::Result<Vec<u8>> {
    let info = metadata
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(safetensors::serialize(tensors.iter(), Some(info))?)
}

/// The header metadata of a safetensors file (empty when it has none).
pub fn read_metadata(bytes: &[u8], file: &str) -> Result<BTreeMap<String, String>, UsageError> {
    let (_, meta) = SafeTensors::read_metadata(bytes)
        .map_err(|e| UsageError(format!("'{file}' is not a valid safetensors file: {e}")))?;
    Ok(meta
        .metadata()
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect())
}
