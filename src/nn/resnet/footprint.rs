//! What a ResNet-18 of a given [`ResNetConfig`] holds and needs, computed from the config
//! alone, without allocating the network: its state-dict table (every name and shape, to
//! validate a file before building the model from it), the input sizes it accepts, and an
//! estimate of the memory one training step takes. A hostile file can claim any width; the
//! model is only built once the file is known to hold it and the estimate fits a budget.

use super::{ResNetConfig, Stem};
use crate::nn::Mode;

/// The memory a run of `grad` may need (estimated parameters, optimiser state, activations
/// and gradients, and the copies of input and output): 2 GiB.
pub const MEMORY_BUDGET: u64 = 2 << 30;

/// What a state-dict entry holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A learnable parameter (float).
    Param,
    /// `running_mean` / `running_var` (float).
    Buffer,
    /// `num_batches_tracked` (int64 scalar).
    Count,
}

/// One entry of the state dict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateEntry {
    pub name: String,
    pub shape: Vec<usize>,
    pub kind: EntryKind,
}

fn push(t: &mut Vec<StateEntry>, name: String, shape: Vec<usize>, kind: EntryKind) {
    t.push(StateEntry { name, shape, kind });
}

fn conv(t: &mut Vec<StateEntry>, name: &str, c_out: usize, c_in: usize, k: usize) {
    let shape = vec![c_out, c_in, k, k];
    push(t, format!("{name}.weight"), shape, EntryKind::Param);
}

fn bn(t: &mut Vec<StateEntry>, name: &str, c: usize) {
    push(t, format!("{name}.weight"), vec![c], EntryKind::Param);
    push(t, format!("{name}.bias"), vec![c], EntryKind::Param);
    push(
        t,
        format!("{name}.running_mean"),
        vec![c],
        EntryKind::Buffer,
    );
    push(t, format!("{name}.running_var"), vec![c], EntryKind::Buffer);
    push(
        t,
        format!("{name}.num_batches_tracked"),
        vec![],
        EntryKind::Count,
    );
}

/// Every tensor of the state dict, parameters and buffers (in module order, each batch
/// norm's buffers after its parameters; the tests check it against the built network).
pub fn state_table(config: &ResNetConfig) -> Vec<StateEntry> {
    let (w, mut t) = (config.width, Vec::new());
    let k = match config.stem {
        Stem::Cifar => 3,
        Stem::Imagenet => 7,
    };
    conv(&mut t, "conv1", w, 3, k);
    bn(&mut t, "bn1", w);
    let mut c_in = w;
    for stage in 0..4 {
        let c_out = w << stage;
        for i in 0..2 {
            let name = format!("layer{}.{i}", stage + 1);
            let stride = if stage > 0 && i == 0 { 2 } else { 1 };
            conv(&mut t, &format!("{name}.conv1"), c_out, c_in, 3);
            bn(&mut t, &format!("{name}.bn1"), c_out);
            conv(&mut t, &format!("{name}.conv2"), c_out, c_out, 3);
            bn(&mut t, &format!("{name}.bn2"), c_out);
            if config.skip && (stride != 1 || c_in != c_out) {
                conv(&mut t, &format!("{name}.downsample.0"), c_out, c_in, 1);
                bn(&mut t, &format!("{name}.downsample.1"), c_out);
            }
            c_in = c_out;
        }
    }
    let fc = vec![config.classes, 8 * w];
    push(&mut t, "fc.weight".into(), fc, EntryKind::Param);
    push(
        &mut t,
        "fc.bias".into(),
        vec![config.classes],
        EntryKind::Param,
    );
    t
}

/// Output length of a convolution or pooling window over `len`, if it fits.
fn window(len: usize, kernel: usize, stride: usize, padding: usize) -> Option<usize> {
    let padded = len.checked_add(2 * padding)?;
    (padded >= kernel).then(|| (padded - kernel) / stride + 1)
}

/// The spatial size after the stem and after each of the four stages.
fn sizes(config: &ResNetConfig, h: usize, w: usize) -> Option<[(usize, usize); 5]> {
    let both = |(h, w), k, s, p| Some((window(h, k, s, p)?, window(w, k, s, p)?));
    let mut hw = match config.stem {
        Stem::Cifar => both((h, w), 3, 1, 1)?,
        Stem::Imagenet => both(both((h, w), 7, 2, 3)?, 3, 2, 1)?,
    };
    let mut out = [hw; 5];
    for (stage, slot) in out.iter_mut().enumerate().skip(1) {
        if stage > 1 {
            hw = both(hw, 3, 2, 1)?;
        }
        *slot = hw;
    }
    Some(out)
}

/// Whether an input of `[n, channels, h, w]` can go through the network in `mode`: three
/// channels, every layer's window fits, and in training every batch norm sees more than
/// one value per channel (PyTorch refuses otherwise).
pub fn check_input(config: &ResNetConfig, shape: [usize; 4], mode: Mode) -> Result<(), String> {
    let [n, c, h, w] = shape;
    if c != 3 {
        return Err(format!("input has {c} channels, the network takes 3"));
    }
    if n == 0 {
        return Err("input batch is empty".into());
    }
    let s = sizes(config, h, w)
        .ok_or_else(|| format!("input {h}×{w} is too small for the {} stem", config.stem))?;
    let (h4, w4) = s[4];
    if mode == Mode::Train && n.saturating_mul(h4).saturating_mul(w4) < 2 {
        return Err(format!(
            "batch {n} of {h}×{w} images leaves one value per channel in layer4; \
             batch norm cannot train on that (PyTorch refuses too)"
        ));
    }
    Ok(())
}

/// Bytes held per parameter: value, gradient and momentum (f32), the two batch parts'
/// weight-gradient partials, the f64 copy made while loading, the weights file, and the
/// output's gradient and state copies (f32) with their serialised form.
const BYTES_PER_PARAM: u128 = 4 * 5 + 8 + 4 + 4 * 2 * 2;
/// Bytes per element of each convolution's output: the output and gradient of the
/// convolution, its batch norm and its ReLU, and the block's sum (f32), in either BN order.
const BYTES_PER_CONV_OUTPUT: u128 = 4 * 8;
/// Bytes per input element: the file's bytes (F64 at most), its f64 values, and the f32
/// batch twice (PyTorch's layout and the network's channel-major copy).
const BYTES_PER_INPUT: u128 = 8 + 8 + 4 * 2;

/// The process itself: code, thread stacks, im2col scratch, allocator slack.
const BASE_BYTES: u128 = 64 << 20;

/// An estimate (on the high side: 15–25% over the peak resident size measured at widths 8
/// and 64, batch 2–8, 32² to 512² images) of the bytes `grad` needs to train the network on an
/// input of `shape` (which [`check_input`] accepts): parameters with everything kept per
/// parameter, and every layer's activations and gradients. u128: a file may claim sizes
/// whose product overflows u64.
pub fn train_bytes(config: &ResNetConfig, shape: [usize; 4]) -> u128 {
    let params: u128 = state_table(config)
        .iter()
        .map(|e| e.shape.iter().map(|&d| d as u128).product::<u128>())
        .sum();
    let [n, c, h, w] = shape.map(|d| d as u128);
    let Some(s) = sizes(config, shape[2], shape[3]) else {
        return u128::MAX;
    };
    let area = |(h, w): (usize, usize)| h as u128 * w as u128;
    let width = config.width as u128;
    // The stem's convolution (before any max-pool: the pool input is the stem conv output).
    let stem = match config.stem {
        Stem::Cifar => area(s[0]),
        Stem::Imagenet => area((
            window(shape[2], 7, 2, 3).unwrap_or(0),
            window(shape[3], 7, 2, 3).unwrap_or(0),
        )),
    };
    let mut outputs = width * stem;
    for stage in 1..=4u32 {
        let convs = if stage > 1 && config.skip { 5 } else { 4 };
        outputs += convs * (width << (stage - 1)) * area(s[stage as usize]);
    }
    BASE_BYTES
        + params * BYTES_PER_PARAM
        + n * outputs * BYTES_PER_CONV_OUTPUT
        + n * c * h * w * BYTES_PER_INPUT
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{BufferRef, Module, ResNet};

    fn built_table(config: ResNetConfig) -> Vec<StateEntry> {
        let mut net = ResNet::<f32>::zeros(config);
        let mut t = Vec::new();
        net.visit_params("", &mut |p| {
            let shape = p.param.shape().to_vec();
            push(&mut t, p.name.to_string(), shape, EntryKind::Param);
        });
        net.visit_buffers("", &mut |name, b| match b {
            BufferRef::Float(v) => push(&mut t, name.into(), vec![v.len()], EntryKind::Buffer),
            BufferRef::Count(_) => push(&mut t, name.into(), vec![], EntryKind::Count),
        });
        t.sort_by(|a, b| a.name.cmp(&b.name));
        t
    }

    #[test]
    fn table_matches_the_built_network() {
        for (stem, width, classes, skip) in [
            (Stem::Cifar, 2, 10, true),
            (Stem::Imagenet, 3, 7, true),
            (Stem::Cifar, 1, 1, false),
            (Stem::Imagenet, 4, 2, false),
        ] {
            let config = ResNetConfig {
                stem,
                width,
                classes,
                skip,
                ..ResNetConfig::default()
            };
            let mut table = state_table(&config);
            table.sort_by(|a, b| a.name.cmp(&b.name));
            assert_eq!(table, built_table(config), "{config:?}");
        }
    }

    #[test]
    fn input_check_matches_the_layers() {
        let cifar = ResNetConfig::default();
        // torchvision's resnet18(num_classes=10).
        let imagenet = ResNetConfig {
            stem: Stem::Imagenet,
            width: 64,
            classes: 10,
            ..ResNetConfig::default()
        };
        assert!(check_input(&cifar, [2, 3, 1, 1], Mode::Train).is_ok());
        assert!(check_input(&cifar, [1, 3, 1, 1], Mode::Train).is_err());
        assert!(check_input(&cifar, [1, 3, 1, 1], Mode::Eval).is_ok());
        assert!(check_input(&imagenet, [1, 3, 32, 32], Mode::Train).is_err());
        assert!(check_input(&imagenet, [2, 3, 32, 32], Mode::Train).is_ok());
        assert!(check_input(&cifar, [2, 1, 8, 8], Mode::Train).is_err());
        assert!(check_input(&cifar, [2, 3, usize::MAX, 8], Mode::Train).is_err());
    }

    #[test]
    fn estimate_grows_with_input_and_width() {
        let small = ResNetConfig::default();
        let a = train_bytes(&small, [8, 3, 32, 32]);
        assert!(a < u128::from(MEMORY_BUDGET));
        assert!(train_bytes(&small, [1, 3, 2048, 2048]) > u128::from(MEMORY_BUDGET));
        let wide = ResNetConfig {
            width: 20_000,
            ..small
        };
        assert!(train_bytes(&wide, [2, 3, 8, 8]) > u128::from(MEMORY_BUDGET));
        assert!(train_bytes(&small, [16, 3, 32, 32]) > a);
    }
}
