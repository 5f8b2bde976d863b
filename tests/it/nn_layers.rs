//! Every layer's backward against central finite differences, in f64 at tiny shapes.
//!
//! The scalar checked is `L = Σ y ⊙ R` for a fixed random `R` (so `dL/dy = R`), or the
//! cross-entropy itself. Central differences with step 1e-5 in f64 have truncation and
//! rounding errors near 1e-10 relative, so the tolerance is 1e-6 of the largest gradient
//! entry of each tensor: tight enough that any wrong term (a missing 1/N, a dropped
//! branch, a transposed index) fails by orders of magnitude.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{check_gradient, check_gradient_floor, rel_err, spread};
use gradscope::testing::nn::resnet::Downsample;
use gradscope::testing::nn::{
    AdaptiveAvgPool2d, BasicBlock, BatchNorm2d, BnOrder, Conv2d, CrossEntropy, Layer, Linear,
    MaxPool2d, Mode, Module, Relu, ResNet, ResNetConfig, Stem, Tensor,
};
use ndarray::Array4;
use rand::RngExt;
use rand_distr::StandardNormal;

const EPS: f64 = 1e-5;
const TOL: f64 = 1e-6;

fn randn(shape: [usize; 4], seed: u64) -> Tensor<f64> {
    let mut rng = gradscope::testing::rng::rng(seed, 99);
    Array4::from_shape_simple_fn(shape, || rng.sample(StandardNormal))
}

/// Fill every parameter with N(0, scale²) plus `offset` (γ near 1 for batch norm).
fn randomise<M: Module<f64>>(m: &mut M, seed: u64) {
    let mut rng = gradscope::testing::rng::rng(seed, 7);
    m.visit_params("", &mut |p| {
        let bn_weight = p.kind == gradscope::testing::nn::ModuleKind::BatchNorm2d
            && p.role == gradscope::testing::nn::ParamRole::Weight;
        let offset = if bn_weight { 1.0 } else { 0.0 };
        for v in p.param.value_mut() {
            *v = offset + 0.5 * rng.sample::<f64, _>(StandardNormal);
        }
    });
}

fn projected<L: Layer<f64>>(layer: &mut L, x: &Tensor<f64>, r: &Tensor<f64>, mode: Mode) -> f64 {
    let y = layer.forward(x, mode);
    assert_eq!(y.shape(), r.shape());
    y.iter().zip(r.iter()).map(|(a, b)| a * b).sum()
}

fn nudge<M: Module<f64>>(m: &mut M, which: usize, entry: usize, delta: f64) {
    let mut k = 0;
    m.visit_params("", &mut |p| {
        if k == which {
            p.param.value_mut()[entry] += delta;
        }
        k += 1;
    });
}

/// Check dL/dx (unless `skip_input`) and every parameter's gradient; at most `max_entries`
/// entries per tensor, evenly spread. Returns the worst relative error seen.
fn check_layer<L: Layer<f64>>(
    layer: &mut L,
    x: &Tensor<f64>,
    mode: Mode,
    skip_input: bool,
    max_entries: usize,
) -> f64 {
    let out_shape = {
        let (c, n, h, w) = layer.forward(x, mode).dim();
        [c, n, h, w]
    };
    let r = randn(out_shape, 4242);
    layer.forward(x, mode);
    let dx = layer.backward(x, &r).clone();
    let mut grads: Vec<(String, Vec<f64>)> = Vec::new();
    layer.visit_params("", &mut |p| {
        grads.push((p.name.to_string(), p.param.grad().to_vec()))
    });

    let mut worst = 0.0f64;
    if !skip_input {
        let mut xp = x.clone();
        let ana = dx.as_slice().unwrap().to_vec();
        let e = check_gradient(
            "dL/dx",
            &ana,
            &spread(x.len(), max_entries),
            EPS,
            TOL,
            |i, d| {
                let orig = xp.as_slice().unwrap()[i];
                xp.as_slice_mut().unwrap()[i] = orig + d;
                let l = projected(layer, &xp, &r, mode);
                xp.as_slice_mut().unwrap()[i] = orig;
                l
            },
        );
        worst = worst.max(e);
    }
    for (pi, (name, g)) in grads.iter().enumerate() {
        let e = check_gradient(
            &format!("d/d{name}"),
            g,
            &spread(g.len(), max_entries),
            EPS,
            TOL,
            |i, d| {
                nudge(layer, pi, i, d);
                let l = projected(layer, x, &r, mode);
                nudge(layer, pi, i, -d);
                l
            },
        );
        worst = worst.max(e);
    }
    worst
}

#[test]
fn conv2d_3x3_same_padding() {
    let mut conv = Conv2d::new(2, 3, 3, 1, 1);
    randomise(&mut conv, 1);
    check_layer(&mut conv, &randn([2, 2, 5, 4], 2), Mode::Train, false, 1000);
}

#[test]
fn conv2d_strided_with_bias_over_several_batch_parts() {
    // Five 6×6 images with stride 2 split into two parts: partial weight gradients summed.
    let mut conv = Conv2d::new(3, 4, 3, 2, 1).with_bias();
    randomise(&mut conv, 3);
    check_layer(&mut conv, &randn([3, 5, 6, 6], 4), Mode::Train, false, 1000);
}

#[test]
fn conv2d_patch_chunks_split_images() {
    // 16 input channels make im2col process 256 columns at a time: 12 of an image's 20
    // output rows, then 8, so chunks start mid-image and their col2im regions overlap.
    let mut conv = Conv2d::new(16, 3, 3, 1, 1);
    conv.force = Some(gradscope::testing::nn::conv::ConvAlgo::Im2col);
    randomise(&mut conv, 35);
    check_layer(
        &mut conv,
        &randn([16, 2, 20, 20], 36),
        Mode::Train,
        false,
        300,
    );
    let mut conv = Conv2d::new(16, 2, 3, 2, 1).with_bias();
    randomise(&mut conv, 37);
    check_layer(
        &mut conv,
        &randn([16, 1, 40, 40], 38),
        Mode::Train,
        false,
        300,
    );
}

#[test]
fn conv2d_winograd_odd_shapes() {
    // 3×3 stride 1 takes the Winograd path (the default): padding 0 and 3, odd output
    // sizes (half tiles at the edges), batch 1, a 1×1 input, channel counts that are not a
    // multiple of a SIMD width.
    for (c_in, c_out, pad, shape, seed) in [
        (5, 3, 0, [5, 1, 7, 6], 60),
        (3, 7, 3, [3, 2, 3, 5], 62),
        (1, 1, 1, [1, 1, 1, 1], 64),
    ] {
        let mut conv = Conv2d::new(c_in, c_out, 3, 1, pad).with_bias();
        assert_eq!(
            conv.algo(shape),
            gradscope::testing::nn::conv::ConvAlgo::Winograd
        );
        randomise(&mut conv, seed);
        check_layer(&mut conv, &randn(shape, seed + 1), Mode::Train, false, 1000);
    }
}

#[test]
fn conv2d_winograd_chunks_split_images() {
    // 16 + 16 channels make a chunk 256 tiles: 12 of an image's 20 tile rows, then 8, so
    // chunks start mid-image and their input-gradient patches overlap across chunks.
    let mut conv = Conv2d::new(16, 16, 3, 1, 1);
    randomise(&mut conv, 66);
    check_layer(
        &mut conv,
        &randn([16, 2, 40, 40], 67),
        Mode::Train,
        false,
        300,
    );
}

#[test]
fn conv2d_rectangular_kernel_stride_and_padding() {
    let mut conv = Conv2d::rect(2, 3, [3, 2], [2, 1], [1, 0]).with_bias();
    randomise(&mut conv, 5);
    check_layer(&mut conv, &randn([2, 3, 7, 5], 6), Mode::Train, false, 1000);
}

#[test]
fn conv2d_pointwise_and_strided_pointwise() {
    let mut conv = Conv2d::new(3, 2, 1, 1, 0);
    randomise(&mut conv, 7);
    check_layer(&mut conv, &randn([3, 3, 4, 4], 8), Mode::Train, false, 1000);
    let mut down = Conv2d::new(3, 5, 1, 2, 0);
    randomise(&mut down, 9);
    check_layer(
        &mut down,
        &randn([3, 2, 5, 5], 10),
        Mode::Train,
        false,
        1000,
    );
}

#[test]
fn conv2d_imagenet_stem_geometry() {
    let mut conv = Conv2d::new(3, 2, 7, 2, 3);
    randomise(&mut conv, 11);
    check_layer(&mut conv, &randn([3, 2, 9, 9], 12), Mode::Train, false, 200);
}

#[test]
fn batchnorm_train_mode() {
    let mut bn = BatchNorm2d::new(3);
    randomise(&mut bn, 13);
    // A large mean against a small spread: the case a one-pass variance gets wrong.
    let x = randn([3, 4, 3, 2], 14).mapv(|v| 3.0 + 0.2 * v);
    check_layer(&mut bn, &x, Mode::Train, false, 1000);
}

#[test]
fn batchnorm_eval_mode() {
    let mut bn = BatchNorm2d::new(3);
    randomise(&mut bn, 15);
    bn.running_mean = vec![0.3, -0.2, 1.0];
    bn.running_var = vec![0.5, 2.0, 1.5];
    check_layer(&mut bn, &randn([3, 2, 3, 3], 16), Mode::Eval, false, 1000);
}

#[test]
fn relu() {
    let mut relu = Relu::new();
    check_layer(
        &mut relu,
        &randn([2, 3, 4, 5], 17),
        Mode::Train,
        false,
        1000,
    );
}

#[test]
fn max_pool_padded_and_plain() {
    let mut pool = MaxPool2d::new(3, 2, 1);
    check_layer(
        &mut pool,
        &randn([2, 2, 7, 6], 18),
        Mode::Train,
        false,
        1000,
    );
    let mut pool = MaxPool2d::new(2, 2, 0);
    check_layer(
        &mut pool,
        &randn([2, 2, 4, 6], 19),
        Mode::Train,
        false,
        1000,
    );
}

#[test]
fn adaptive_avg_pool_global_and_overlapping() {
    let mut pool = AdaptiveAvgPool2d::new(1, 1);
    check_layer(
        &mut pool,
        &randn([3, 2, 4, 4], 20),
        Mode::Train,
        false,
        1000,
    );
    // 5×7 → 2×3: windows overlap (rows 0..3 and 2..5), each input feeds several outputs.
    let mut pool = AdaptiveAvgPool2d::new(2, 3);
    check_layer(
        &mut pool,
        &randn([2, 2, 5, 7], 21),
        Mode::Train,
        false,
        1000,
    );
}

#[test]
fn linear() {
    let mut fc = Linear::new(5, 3);
    randomise(&mut fc, 22);
    check_layer(&mut fc, &randn([5, 4, 1, 1], 23), Mode::Train, false, 1000);
}

#[test]
fn softmax_cross_entropy() {
    let logits = randn([4, 3, 1, 1], 24).mapv(|v| 3.0 * v);
    let targets = [2, 0, 3];
    let mut ce = CrossEntropy::new();
    let out = ce.forward(&logits, &targets);
    let ana = ce.grad().clone();
    let mut num = Vec::new();
    for i in 0..logits.len() {
        let mut lp = logits.clone();
        lp.as_slice_mut().unwrap()[i] += EPS;
        let mut lm = logits.clone();
        lm.as_slice_mut().unwrap()[i] -= EPS;
        num.push((ce.forward(&lp, &targets).loss - ce.forward(&lm, &targets).loss) / (2.0 * EPS));
    }
    let e = rel_err(&num, ana.as_slice().unwrap());
    assert!(e < TOL, "cross-entropy gradient: relative error {e:e}");
    // And the value itself: mean of logsumexp − logit[target].
    let expect: f64 = targets
        .iter()
        .enumerate()
        .map(|(n, &t)| {
            let z: Vec<f64> = (0..4).map(|c| logits[[c, n, 0, 0]]).collect();
            z.iter().map(|v| v.exp()).sum::<f64>().ln() - z[t]
        })
        .sum::<f64>()
        / 3.0;
    assert!((out.loss - expect).abs() < 1e-12);
}

#[test]
fn basic_block_with_downsample() {
    let mut block = BasicBlock::new(2, 4, 2, BnOrder::ConvBnRelu, true);
    assert!(block.downsample.is_some());
    randomise(&mut block, 25);
    check_layer(&mut block, &randn([2, 3, 6, 6], 26), Mode::Train, false, 60);
}

#[test]
fn basic_block_identity_shortcut() {
    let mut block = BasicBlock::new(3, 3, 1, BnOrder::ConvBnRelu, true);
    assert!(block.downsample.is_none());
    randomise(&mut block, 27);
    check_layer(&mut block, &randn([3, 2, 4, 4], 28), Mode::Train, false, 60);
}

#[test]
fn basic_block_conv_relu_bn_order_and_no_skip() {
    let mut block = BasicBlock::new(2, 4, 2, BnOrder::ConvReluBn, true);
    randomise(&mut block, 29);
    check_layer(&mut block, &randn([2, 3, 6, 6], 30), Mode::Train, false, 60);
    let mut plain = BasicBlock::new(2, 4, 2, BnOrder::ConvBnRelu, false);
    assert!(plain.downsample.is_none());
    randomise(&mut plain, 31);
    check_layer(&mut plain, &randn([2, 3, 6, 6], 32), Mode::Train, false, 60);
}

#[test]
fn basic_block_eval_mode() {
    let mut block = BasicBlock::new(2, 4, 2, BnOrder::ConvBnRelu, true);
    randomise(&mut block, 33);
    let Downsample { bn, .. } = block.downsample.as_mut().unwrap();
    bn.running_var = vec![0.5, 1.5, 2.0, 0.8];
    check_layer(&mut block, &randn([2, 2, 6, 6], 34), Mode::Eval, false, 60);
}

/// Train-mode cross-entropy of the whole network, for finite differences.
fn net_loss(net: &mut ResNet<f64>, x: &Array4<f64>, targets: &[usize]) -> f64 {
    let logits = net.forward(x.view(), Mode::Train).clone();
    CrossEntropy::new().forward(&logits, targets).loss
}

fn check_resnet(config: ResNetConfig, input: [usize; 4], seed: u64) {
    // A smaller step than the layers' 1e-5: a nudge of an early parameter moves thousands
    // of ReLU inputs, and at 1e-5 one of them crosses zero (a kink) for these seeds; at
    // 1e-6 rounding still stays near 1e-10 against gradients of ~1e-4.
    const EPS: f64 = 1e-6;
    let mut net = ResNet::<f64>::new(config, seed);
    randomise(&mut net, seed + 1);
    let x = randn(input, seed + 2);
    let targets: Vec<usize> = (0..input[0])
        .map(|i| (i * 7 + 3) % config.classes)
        .collect();
    net.forward_backward(x.view(), &targets);
    let mut grads: Vec<(String, Vec<f64>)> = Vec::new();
    net.visit_params("", &mut |p| {
        grads.push((p.name.to_string(), p.param.grad().to_vec()))
    });
    assert_eq!(grads.len(), 62);
    for (pi, (name, g)) in grads.iter().enumerate() {
        // Entries of a whole network's gradient span decades; compare against the
        // largest of the tensor's checked entries, as above. When those are all zero up to
        // rounding (a 3×3 tap on a 2×2 map that only meets dead ReLUs), the central
        // difference is rounding noise of the loss, ~ε·|L|/δ ≈ 4e-10 here: so the scale is
        // at least 1e-4, where 1e-5 of it (1e-9) is above that noise.
        check_gradient_floor(name, g, &spread(g.len(), 4), EPS, 1e-5, 1e-4, |i, d| {
            nudge(&mut net, pi, i, d);
            let l = net_loss(&mut net, &x, &targets);
            nudge(&mut net, pi, i, -d);
            l
        });
    }
}

#[test]
fn whole_resnet_cifar_stem() {
    let config = ResNetConfig {
        stem: Stem::Cifar,
        width: 2,
        classes: 3,
        ..Default::default()
    };
    check_resnet(config, [3, 3, 16, 16], 40);
}

#[test]
fn whole_resnet_imagenet_stem_conv_relu_bn() {
    let config = ResNetConfig {
        stem: Stem::Imagenet,
        width: 2,
        classes: 4,
        bn_order: BnOrder::ConvReluBn,
        skip: true,
    };
    check_resnet(config, [2, 3, 64, 64], 50);
}
