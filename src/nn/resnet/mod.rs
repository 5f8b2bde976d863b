//! ResNet-18 (torchvision's `resnet18`, BasicBlock ×[2, 2, 2, 2]) from a [`ResNetConfig`]:
//! the ImageNet or CIFAR stem, any base width, any class count, batch norm before or after
//! the ReLU, with or without skip connections. Parameter and buffer names are
//! torchvision's state-dict keys; initialisation is torchvision's.
//!
//! `bn_order = conv-relu-bn` swaps BN and ReLU in every conv–BN–ReLU unit. torchvision's
//! second unit of a block is conv2 → bn2 → (+ shortcut) → ReLU; swapped it becomes
//! conv2 → ReLU → bn2 → (+ shortcut), so every convolution keeps exactly one ReLU and the
//! block output is the plain sum. `skip = false` removes the shortcut and with it the
//! downsample branch (a plain 18-layer network: its parameters are absent).

mod block;
mod config;
pub mod footprint;

pub use block::{BasicBlock, Downsample};
pub use config::{BnOrder, ResNetConfig, Stem};

use super::loss::{CrossEntropy, LossOutput};
use super::pool::{AdaptiveAvgPool2d, MaxPool2d};
use super::profile::{self, Phase};
use super::{BatchNorm2d, Conv2d, Linear, Relu};
use super::{BufferRef, Layer, Mode, Module, ParamRef, Real, Tensor};
use super::{cnhw_to_nchw, join, nchw_to_cnhw};
use ndarray::{Array2, ArrayView4};

/// The stem's output (the first block's input), from the stem's layers.
fn stem_output<'a, T: Real>(
    maxpool: &'a Option<MaxPool2d<T>>,
    relu: &'a Relu<T>,
    bn1: &'a BatchNorm2d<T>,
    order: BnOrder,
) -> &'a Tensor<T> {
    match (maxpool, order) {
        (Some(p), _) => p.output(),
        (None, BnOrder::ConvBnRelu) => relu.output(),
        (None, BnOrder::ConvReluBn) => bn1.output(),
    }
}

/// The random stream of weight initialisation (see [`crate::rng::rng`]).
const INIT_STREAM: u64 = 0x1417;

/// ResNet-18 with its activations, loss and gradients. Input and logits use PyTorch's
/// `[N, C, H, W]` / `[N, classes]` layout at the boundary.
#[derive(Clone, Debug)]
pub struct ResNet<T> {
    config: ResNetConfig,
    pub conv1: Conv2d<T>,
    pub bn1: BatchNorm2d<T>,
    relu: Relu<T>,
    maxpool: Option<MaxPool2d<T>>,
    /// `layer1.0`, `layer1.1`, …, `layer4.1`.
    pub blocks: Vec<BasicBlock<T>>,
    avgpool: AdaptiveAvgPool2d<T>,
    pub fc: Linear<T>,
    input: Tensor<T>,
    loss: CrossEntropy<T>,
}

impl<T: Real> ResNet<T> {
    /// Every parameter zero except batch-norm weights (1); running stats at their initial
    /// values. Cheap: for tables and for loading a checkpoint into.
    pub fn zeros(config: ResNetConfig) -> Self {
        assert!(
            config.width > 0 && config.classes > 0,
            "width and classes must be positive"
        );
        let w = config.width;
        let (conv1, maxpool) = match config.stem {
            Stem::Cifar => (Conv2d::new(3, w, 3, 1, 1), None),
            Stem::Imagenet => (Conv2d::new(3, w, 7, 2, 3), Some(MaxPool2d::new(3, 2, 1))),
        };
        let mut conv1 = conv1;
        conv1.input_grad = false; // nothing upstream of the first layer
        let mut blocks = Vec::with_capacity(8);
        let mut c_in = w;
        for stage in 0..4 {
            let c_out = w << stage;
            let stride = if stage == 0 { 1 } else { 2 };
            blocks.push(BasicBlock::new(
                c_in,
                c_out,
                stride,
                config.bn_order,
                config.skip,
            ));
            blocks.push(BasicBlock::new(
                c_out,
                c_out,
                1,
                config.bn_order,
                config.skip,
            ));
            c_in = c_out;
        }
        Self {
            config,
            conv1,
            bn1: BatchNorm2d::new(w),
            relu: Relu::new(),
            maxpool,
            blocks,
            avgpool: AdaptiveAvgPool2d::new(1, 1),
            fc: Linear::new(8 * w, config.classes),
            input: Tensor::zeros([0, 0, 0, 0]),
            loss: CrossEntropy::new(),
        }
    }

    /// torchvision's initialisation from `seed`: convolutions Kaiming normal (fan_out,
    /// ReLU), batch norm γ = 1 and β = 0, the classifier PyTorch's `Linear` default.
    pub fn new(config: ResNetConfig, seed: u64) -> Self {
        let mut net = Self::zeros(config);
        let mut rng = crate::rng::rng(seed, INIT_STREAM);
        net.conv1.init_kaiming_fan_out(&mut rng);
        net.bn1.init();
        net.blocks.iter_mut().for_each(|b| b.init(&mut rng));
        net.fc.init_default(&mut rng);
        net
    }

    pub fn config(&self) -> &ResNetConfig {
        &self.config
    }

    /// The name of block `i` (0..8): `layer1.0` … `layer4.1`.
    pub fn block_name(i: usize) -> String {
        format!("layer{}.{}", i / 2 + 1, i % 2)
    }

    /// Whether an input of `[n, channels, h, w]` can go through the network in `mode`
    /// (see [`footprint::check_input`]).
    pub fn check_input(&self, shape: [usize; 4], mode: Mode) -> Result<(), String> {
        footprint::check_input(&self.config, shape, mode)
    }

    /// Forward an `[N, 3, H, W]` batch; returns the logits `[classes, N, 1, 1]`
    /// (channel-major; [`Self::logits`] gives `[N, classes]`). Panics on an input that
    /// [`Self::check_input`] rejects.
    pub fn forward(&mut self, x: ArrayView4<'_, T>, mode: Mode) -> &Tensor<T> {
        let t = profile::scope("input layout", Phase::Forward);
        nchw_to_cnhw(x, &mut self.input);
        drop(t);
        let a = self.conv1.forward(&self.input, mode);
        let s = match self.config.bn_order {
            BnOrder::ConvBnRelu => {
                self.bn1.forward_relu(a, mode, &mut self.relu);
                self.relu.output()
            }
            BnOrder::ConvReluBn => self.bn1.forward(self.relu.forward(a, mode), mode),
        };
        let mut h = match &mut self.maxpool {
            Some(p) => p.forward(s, mode),
            None => s,
        };
        for b in self.blocks.iter_mut() {
            h = b.forward(h, mode);
        }
        let pooled = self.avgpool.forward(h, mode);
        let t = profile::scope("linear", Phase::Forward);
        self.fc.forward(pooled, mode);
        drop(t);
        self.fc.output()
    }

    /// The logits of the last forward as `[N, classes]`.
    pub fn logits(&self) -> Array2<T> {
        let l = cnhw_to_nchw(self.fc.output());
        let (n, k) = (l.shape()[0], l.shape()[1]);
        l.into_shape_with_order((n, k))
            .expect("logits are [N, K, 1, 1]")
    }

    /// Backpropagate `dL/dlogits` (`[classes, N, 1, 1]`) through the last forward, setting
    /// every parameter gradient.
    pub fn backward(&mut self, dlogits: &Tensor<T>) {
        let last = self.blocks.last().expect("eight blocks").output();
        let t = profile::scope("linear", Phase::Backward);
        self.fc.backward(self.avgpool.output(), dlogits);
        drop(t);
        self.avgpool.backward(last, self.fc.input_grad());
        for i in (0..self.blocks.len()).rev() {
            let (before, rest) = self.blocks.split_at_mut(i);
            let (block, after) = rest.split_first_mut().expect("block i exists");
            let dy = match after.first() {
                Some(next) => next.input_grad(),
                None => self.avgpool.input_grad(),
            };
            let x = match before.last() {
                Some(prev) => prev.output(),
                None => stem_output(&self.maxpool, &self.relu, &self.bn1, self.config.bn_order),
            };
            block.backward(x, dy);
        }
        let dstem = self.blocks[0].input_grad();
        let ds = match &mut self.maxpool {
            Some(p) => {
                let pool_in = match self.config.bn_order {
                    BnOrder::ConvBnRelu => self.relu.output(),
                    BnOrder::ConvReluBn => self.bn1.output(),
                };
                p.backward(pool_in, dstem)
            }
            None => dstem,
        };
        let da = match self.config.bn_order {
            BnOrder::ConvBnRelu => {
                // Batch norm and ReLU ran fused: the ReLU's input was not stored.
                let db = self.relu.backward_from_output(ds);
                self.bn1.backward(self.conv1.output(), db)
            }
            BnOrder::ConvReluBn => {
                let dr = self.bn1.backward(self.relu.output(), ds);
                self.relu.backward(self.conv1.output(), dr)
            }
        };
        self.conv1.backward(&self.input, da);
    }

    /// Train-mode forward, mean cross-entropy against `targets` (each below `classes`),
    /// and backward: afterwards every parameter holds its gradient.
    pub fn forward_backward(&mut self, x: ArrayView4<'_, T>, targets: &[usize]) -> LossOutput {
        let mut loss = std::mem::take(&mut self.loss);
        self.forward(x, Mode::Train);
        let t = profile::scope("loss", Phase::Forward);
        let out = loss.forward(self.fc.output(), targets);
        drop(t);
        self.backward(loss.grad());
        self.loss = loss;
        out
    }

    /// Parameter count.
    pub fn num_params(&mut self) -> usize {
        let mut n = 0;
        self.visit_params("", &mut |p| n += p.param.len());
        n
    }
}

impl<T: Real> Module<T> for ResNet<T> {
    fn visit_params(&mut self, prefix: &str, f: &mut dyn FnMut(ParamRef<'_, T>)) {
        self.conv1.visit_params(&join(prefix, "conv1"), f);
        self.bn1.visit_params(&join(prefix, "bn1"), f);
        for (i, b) in self.blocks.iter_mut().enumerate() {
            b.visit_params(&join(prefix, &Self::block_name(i)), f);
        }
        self.fc.visit_params(&join(prefix, "fc"), f);
    }

    fn visit_buffers(&mut self, prefix: &str, f: &mut dyn FnMut(&str, BufferRef<'_, T>)) {
        self.bn1.visit_buffers(&join(prefix, "bn1"), f);
        for (i, b) in self.blocks.iter_mut().enumerate() {
            b.visit_buffers(&join(prefix, &Self::block_name(i)), f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{ModuleKind, ParamRole};

    /// Parameters of a CIFAR-stem network: convs 27w + 2724w², batch norms 150w, and
    /// the classifier 8w·k + k (w = 64, k = 10 gives torchvision's 11,173,962).
    fn count(w: usize, k: usize) -> usize {
        27 * w + 2724 * w * w + 150 * w + 8 * w * k + k
    }

    #[test]
    fn resnet_moves_to_a_worker_thread() {
        fn send<T: Send>() {}
        send::<ResNet<f32>>();
        let net = ResNet::<f32>::new(
            ResNetConfig {
                width: 2,
                ..Default::default()
            },
            1,
        );
        let mut net = std::thread::spawn(move || net).join().expect("thread");
        assert_eq!(net.num_params(), count(2, 10));
        assert_eq!(count(64, 10), 11_173_962);
    }

    #[test]
    fn plain_network_has_no_downsample() {
        let cfg = ResNetConfig {
            width: 4,
            skip: false,
            ..Default::default()
        };
        let mut net = ResNet::<f32>::zeros(cfg);
        // The three downsample branches: 1×1 convs w·2w + 2w·4w + 4w·8w and their BNs.
        let w = 4;
        assert_eq!(net.num_params(), count(w, 10) - (42 * w * w + 2 * 14 * w));
    }

    #[test]
    fn torchvision_initialisation() {
        let mut net = ResNet::<f64>::new(
            ResNetConfig {
                width: 16,
                ..Default::default()
            },
            7,
        );
        net.visit_params("", &mut |p| {
            let v = p.param.value();
            let n = v.len() as f64;
            let mean = v.iter().sum::<f64>() / n;
            let std = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
            let shape = p.param.shape();
            match (p.kind, p.role) {
                (ModuleKind::Conv2d, _) => {
                    // Kaiming normal, fan_out = c_out·kh·kw, gain √2.
                    let expect = (2.0 / (shape[0] * shape[2] * shape[3]) as f64).sqrt();
                    assert!(
                        (std / expect - 1.0).abs() < 0.2,
                        "{}: std {std} vs {expect}",
                        p.name
                    );
                    assert!(mean.abs() < 0.2 * expect, "{}", p.name);
                }
                (ModuleKind::BatchNorm2d, ParamRole::Weight) => {
                    assert!(v.iter().all(|&x| x == 1.0))
                }
                (ModuleKind::BatchNorm2d, ParamRole::Bias) => assert!(v.iter().all(|&x| x == 0.0)),
                (ModuleKind::Linear, _) => {
                    let bound = 1.0 / 128f64.sqrt(); // fan_in = 8·16
                    assert!(v.iter().all(|x| x.abs() <= bound), "{}", p.name);
                    assert!(v.iter().any(|x| x.abs() > 0.5 * bound), "{}", p.name);
                }
                (kind, _) => panic!("{}: no {kind:?} in a ResNet", p.name),
            }
        });
    }
}
