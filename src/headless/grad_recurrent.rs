//! `gradscope grad lstm|rnn`: one forward and backward pass of a single-layer `nn.LSTM` or
//! `nn.RNN` (tanh) on a seq-first batch, written as safetensors to compare with PyTorch.
//!
//! Weights: `weight_ih_l0` `[G·H, D]`, `weight_hh_l0` `[G·H, H]`, `bias_ih_l0`, `bias_hh_l0`
//! `[G·H]` (G = 4 for the LSTM, 1 for the RNN); D and H are read from their shapes. Input:
//! `input` `[T, N, D]`, `grad_output` `[T, N, H]`, and `h0` (and `c0`) `[1, N, H]` (zeros
//! when absent, as in PyTorch). The loss is `Σ output ⊙ grad_output`; the output file holds
//! `loss` (F64 `[1]`), `output`, `h_n`, `c_n` (LSTM) and `grad.<name>` for every weight and
//! for `input`, `h0`, `c0`, as F32. Computed in f64.
//!
//! Every tensor's presence, dtype and shape is checked, and the memory the run needs is
//! estimated against [`MEMORY_BUDGET`], before anything is allocated.

use crate::cli::GradArgs;
use crate::error::UsageError;
use crate::error::usage_bail;
use crate::nn::checkpoint::{self, OwnedTensor};
use crate::nn::resnet::footprint::MEMORY_BUDGET;
use crate::nn::{CellKind, Module, Recurrent};
use anyhow::Result;
use ndarray::{Array2, Array3};
use safetensors::tensor::{Dtype, SafeTensors};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The weight names of a single-layer `nn.RNN` / `nn.LSTM`.
const WEIGHTS: [&str; 4] = ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"];

/// The model's sizes as its weights give them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sizes {
    pub input: usize,
    pub hidden: usize,
}

fn model_name(kind: CellKind) -> &'static str {
    match kind {
        CellKind::Lstm => "lstm",
        CellKind::Rnn => "rnn",
    }
}

fn float_tensor(st: &SafeTensors<'_>, name: &str, file: &str) -> Result<Vec<usize>, UsageError> {
    let t = st
        .tensor(name)
        .map_err(|_| UsageError(format!("'{file}' has no tensor '{name}'")))?;
    if !matches!(t.dtype(), Dtype::F32 | Dtype::F64) {
        return Err(UsageError(format!(
            "'{file}': '{name}' is {:?}, expected F32 or F64",
            t.dtype()
        )));
    }
    Ok(t.shape().to_vec())
}

/// D and H from `weight_ih_l0` `[G·H, D]` and `weight_hh_l0` `[G·H, H]`, then every weight
/// checked (presence, dtype, shape) and nothing extra: without allocating anything.
pub fn check_weights(
    st: &SafeTensors<'_>,
    kind: CellKind,
    file: &str,
) -> Result<Sizes, UsageError> {
    let g = kind.gates();
    let model = model_name(kind);
    let hh = float_tensor(st, "weight_hh_l0", file)?;
    let hidden = match hh.as_slice() {
        [rows, h] if *h > 0 && Some(*rows) == h.checked_mul(g) => *h,
        _ => {
            return Err(UsageError(format!(
                "'{file}': weight_hh_l0 has shape {hh:?}; {model} needs [{g}·H, H] with H ≥ 1"
            )));
        }
    };
    let ih = float_tensor(st, "weight_ih_l0", file)?;
    let input = match ih.as_slice() {
        [rows, d] if *rows == g * hidden && *d > 0 => *d,
        _ => {
            return Err(UsageError(format!(
                "'{file}': weight_ih_l0 has shape {ih:?}, expected [{}, D] with D ≥ 1 \
                 (H = {hidden} from weight_hh_l0)",
                g * hidden
            )));
        }
    };
    for name in ["bias_ih_l0", "bias_hh_l0"] {
        let shape = float_tensor(st, name, file)?;
        if shape != [g * hidden] {
            return Err(UsageError(format!(
                "'{file}': tensor '{name}' has shape {shape:?}, expected [{}]",
                g * hidden
            )));
        }
    }
    let known: BTreeSet<&str> = WEIGHTS.into_iter().collect();
    if let Some(extra) = st.names().into_iter().filter(|n| !known.contains(n)).min() {
        return Err(UsageError(format!(
            "'{file}': unexpected tensor '{extra}' (not a weight of a single-layer {model})"
        )));
    }
    Ok(Sizes { input, hidden })
}

/// Steps and batch from the input file, every tensor checked against the weights' sizes.
pub fn check_input(
    st: &SafeTensors<'_>,
    kind: CellKind,
    sizes: Sizes,
    file: &str,
) -> Result<(usize, usize), UsageError> {
    let Sizes {
        input: d,
        hidden: h,
    } = sizes;
    let shape = float_tensor(st, "input", file)?;
    let (t, n) = match shape.as_slice() {
        [t, n, dd] if *dd == d && *t > 0 && *n > 0 => (*t, *n),
        _ => {
            return Err(UsageError(format!(
                "'{file}': input has shape {shape:?}, expected [T, N, {d}] (seq-first, T, N ≥ 1; \
                 D = {d} from the weights)"
            )));
        }
    };
    let go = float_tensor(st, "grad_output", file)?;
    if go != [t, n, h] {
        return Err(UsageError(format!(
            "'{file}': grad_output has shape {go:?}, expected [{t}, {n}, {h}] (the output's shape)"
        )));
    }
    let mut states = vec!["h0"];
    if kind == CellKind::Lstm {
        states.push("c0");
    }
    for name in &states {
        if st.names().contains(name) {
            let s = float_tensor(st, name, file)?;
            if s != [1, n, h] {
                return Err(UsageError(format!(
                    "'{file}': {name} has shape {s:?}, expected [1, {n}, {h}]"
                )));
            }
        }
    }
    let mut known: BTreeSet<&str> = ["input", "grad_output"].into_iter().collect();
    known.extend(states);
    if let Some(extra) = st.names().into_iter().filter(|n| !known.contains(n)).min() {
        return Err(UsageError(format!(
            "'{file}': unexpected tensor '{extra}' (expected input, grad_output, h0{})",
            if kind == CellKind::Lstm { ", c0" } else { "" }
        )));
    }
    Ok((t, n))
}

/// Bytes a run needs, roughly: the f64 caches of the forward and backward pass (states,
/// gates, pre-activation gradients), the input and its gradient, and the F32 output
/// tensors with their serialised copy. Saturates: shapes read from a file can be absurd, and
/// a product of four `usize`s does not fit in a `u128`.
pub fn footprint(kind: CellKind, sizes: Sizes, steps: usize, batch: usize) -> u128 {
    let prod = |xs: &[u128]| xs.iter().fold(1u128, |p, &x| p.saturating_mul(x));
    let sum = |xs: &[u128]| xs.iter().fold(0u128, |s, &x| s.saturating_add(x));
    let (t, n) = (steps as u128, batch as u128);
    let (d, h, g) = (
        sizes.input as u128,
        sizes.hidden as u128,
        kind.gates() as u128,
    );
    let states = if kind == CellKind::Lstm { 2 } else { 1 };
    let f64s = sum(&[
        prod(&[3, t, n, d]),
        prod(&[2, t, n, h]),
        prod(&[states, t.saturating_add(1), n, h]),
        prod(&[3, t, n, g, h]),
        prod(&[4, g, h, sum(&[d, h, 2])]),
    ]);
    let f32s = prod(&[2, sum(&[prod(&[t, n, h]), prod(&[t, n, d])])]);
    sum(&[prod(&[8, f64s]), prod(&[4, f32s])])
}

fn array3(v: Vec<f64>, shape: (usize, usize, usize)) -> Result<Array3<f64>> {
    Ok(Array3::from_shape_vec(shape, v)?)
}

/// The `[1, N, H]` state `name`, or zeros when the file has none.
fn state(st: &SafeTensors<'_>, name: &str, n: usize, h: usize, file: &str) -> Result<Array2<f64>> {
    if st.names().contains(&name) {
        Ok(Array2::from_shape_vec(
            (n, h),
            checkpoint::floats(st, name, file)?,
        )?)
    } else {
        Ok(Array2::zeros((n, h)))
    }
}

fn f32_tensor<'a>(shape: &[usize], values: impl IntoIterator<Item = &'a f64>) -> OwnedTensor {
    OwnedTensor::f32(shape, values.into_iter().map(|&v| v as f32))
}

pub fn grad(args: &GradArgs, kind: CellKind) -> Result<()> {
    crate::io::check_outputs(
        &[("--out", &args.out, false)],
        &[&args.weights, &args.input],
    )?;
    let model = model_name(kind);
    let wfile = args.weights.display().to_string();
    let wbytes = checkpoint::read_file(&args.weights)?;
    let weights = checkpoint::parse(&wbytes, &wfile)?;
    let sizes = check_weights(&weights, kind, &wfile)?;
    let ifile = args.input.display().to_string();
    let ibytes = checkpoint::read_file(&args.input)?;
    let input = checkpoint::parse(&ibytes, &ifile)?;
    let (t, n) = check_input(&input, kind, sizes, &ifile)?;
    let need = footprint(kind, sizes, t, n);
    if need > u128::from(MEMORY_BUDGET) {
        usage_bail!(
            "'{ifile}': {t} steps × batch {n} on the {model} of '{wfile}' (D = {}, H = {}) \
             needs about {} GiB, over grad's memory budget of {} GiB; use shorter or fewer sequences",
            sizes.input,
            sizes.hidden,
            need.div_ceil(1 << 30),
            MEMORY_BUDGET >> 30
        );
    }
    let (d, h) = (sizes.input, sizes.hidden);
    let mut cell = Recurrent::<f64>::new(kind, d, h);
    let mut load_err = None;
    cell.visit_params(
        "",
        &mut |p| match checkpoint::floats(&weights, p.name, &wfile) {
            Ok(v) => p.param.value_mut().copy_from_slice(&v),
            Err(e) => load_err = Some(e),
        },
    );
    if let Some(e) = load_err {
        return Err(e.into());
    }
    drop(weights);
    drop(wbytes);
    let x = array3(checkpoint::floats(&input, "input", &ifile)?, (t, n, d))?;
    let go = array3(
        checkpoint::floats(&input, "grad_output", &ifile)?,
        (t, n, h),
    )?;
    let h0 = state(&input, "h0", n, h, &ifile)?;
    let c0 = state(&input, "c0", n, h, &ifile)?;
    drop(input);
    drop(ibytes);

    let lstm = kind == CellKind::Lstm;
    cell.forward(x.view(), h0.view(), lstm.then(|| c0.view()));
    let loss: f64 = cell
        .output()
        .iter()
        .zip(go.iter())
        .map(|(a, b)| a * b)
        .sum();
    cell.backward(x.view(), go.view(), None, None);

    let mut out = BTreeMap::new();
    out.insert("loss".to_string(), OwnedTensor::f64(&[1], [loss]));
    out.insert(
        "output".to_string(),
        f32_tensor(&[t, n, h], cell.output().iter()),
    );
    out.insert("h_n".to_string(), f32_tensor(&[1, n, h], cell.h(t).iter()));
    out.insert(
        "grad.input".to_string(),
        f32_tensor(&[t, n, d], cell.input_grad().iter()),
    );
    out.insert(
        "grad.h0".to_string(),
        f32_tensor(&[1, n, h], cell.h0_grad().iter()),
    );
    if lstm {
        out.insert("c_n".to_string(), f32_tensor(&[1, n, h], cell.c(t).iter()));
        out.insert(
            "grad.c0".to_string(),
            f32_tensor(&[1, n, h], cell.c0_grad().iter()),
        );
    }
    cell.visit_params("", &mut |p| {
        let g = f32_tensor(p.param.shape(), p.param.grad().iter());
        out.insert(format!("grad.{}", p.name), g);
    });
    let meta: HashMap<String, String> = [
        ("model", model.to_string()),
        ("input_size", d.to_string()),
        ("hidden_size", h.to_string()),
        ("steps", t.to_string()),
        ("batch", n.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let bytes = safetensors::serialize(out.iter(), Some(meta))?;
    crate::io::write_atomic(&args.out, &bytes)?;
    eprintln!(
        "wrote {} ({} tensors); {model} D={d} H={h}, T={t} N={n}; loss {loss:.6}",
        args.out.display(),
        out.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_footprint_refuses_absurd_sizes_and_admits_the_fixtures() {
        let sizes = Sizes {
            input: 3,
            hidden: 5,
        };
        assert!(footprint(CellKind::Lstm, sizes, 7, 2) < 100_000);
        // A million steps of a batch of 1000: far over budget, and no overflow.
        let big = footprint(CellKind::Lstm, sizes, 1_000_000, 1000);
        assert!(big > u128::from(MEMORY_BUDGET));
        let huge = footprint(
            CellKind::Rnn,
            Sizes {
                input: usize::MAX,
                hidden: usize::MAX,
            },
            usize::MAX,
            usize::MAX,
        );
        assert!(huge > u128::from(MEMORY_BUDGET));
    }
}
