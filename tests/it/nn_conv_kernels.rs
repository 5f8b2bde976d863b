//! The fast convolution kernels against the reference path (im2col + GEMM) on odd shapes:
//! forward output, input gradient, weight and bias gradients; in f64 to rounding, and the
//! f32 error of the fast path against an f64 reference on ResNet-like shapes, which must
//! stay well inside the 1e-4 of the PyTorch fixture tests. Finite differences of the same
//! kernels are in `nn_layers.rs` (the Winograd path is the default for 3×3 stride 1).

#![allow(clippy::unwrap_used)]

use crate::common;
use common::check_gradient;
use gradscope::testing::nn::conv::ConvAlgo;
use gradscope::testing::nn::{Conv2d, Layer, Mode, Real, Tensor};
use ndarray::Array4;
use rand::RngExt;
use rand_distr::StandardNormal;

fn randn<T: Real>(shape: [usize; 4], seed: u64) -> Tensor<T> {
    let mut rng = gradscope::testing::rng::rng(seed, 31);
    Array4::from_shape_simple_fn(shape, || T::from_f64(rng.sample(StandardNormal)))
}

/// A convolution with seeded random weights (and bias), on the fast or reference path.
fn conv<T: Real>(shape: Shape, fast: bool) -> Conv2d<T> {
    let mut c = Conv2d::<T>::new(shape.c_in, shape.c_out, shape.k, shape.s, shape.p).with_bias();
    if !fast {
        c.force = Some(ConvAlgo::Im2col);
    }
    let mut rng = gradscope::testing::rng::rng(shape.c_in as u64 * 1000 + shape.c_out as u64, 5);
    for v in c.weight.value_mut() {
        *v = T::from_f64(rng.sample::<f64, _>(StandardNormal) * 0.3);
    }
    for v in c.bias.as_mut().unwrap().value_mut() {
        *v = T::from_f64(rng.sample::<f64, _>(StandardNormal));
    }
    c
}

#[derive(Clone, Copy, Debug)]
struct Shape {
    c_in: usize,
    c_out: usize,
    k: usize,
    s: usize,
    p: usize,
    n: usize,
    h: usize,
    w: usize,
}

const fn sh(c_in: usize, c_out: usize, p: usize, n: usize, h: usize, w: usize) -> Shape {
    Shape {
        c_in,
        c_out,
        k: 3,
        s: 1,
        p,
        n,
        h,
        w,
    }
}

/// Everything a pass produces: output, dL/dx, dL/dW, dL/db for `dL/dy = r`.
fn run<T: Real>(c: &mut Conv2d<T>, x: &Tensor<T>, r_seed: u64) -> [Vec<f64>; 4] {
    let y = c.forward(x, Mode::Train).clone();
    let r = randn::<T>(
        {
            let (a, b, cc, d) = y.dim();
            [a, b, cc, d]
        },
        r_seed,
    );
    let dx = c.backward(x, &r).clone();
    let f = |v: &[T]| v.iter().map(|x| x.to_f64()).collect::<Vec<f64>>();
    [
        f(y.as_slice().unwrap()),
        f(dx.as_slice().unwrap()),
        f(c.weight.grad()),
        f(c.bias.as_ref().unwrap().grad()),
    ]
}

/// max |a − b| over max |b|.
fn rel(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-300);
    a.iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
        / scale
}

/// Odd shapes: padding 0, 1 and 3; channel counts not a multiple of any SIMD width; batch
/// 1; outputs of odd size (a half tile at the edge), a 1×1 input, a 2×3 one; and sizes that
/// split into several batch parts and several chunks per part (chunk ends mid-image).
/// The "same" convolutions of a ResNet (padding 1, even sizes, 1, 2, 4, 8 or 16 tiles per
/// tile row) take the fixed-row transforms: every one of those row lengths is here, square
/// and not, with chunks that end mid-image (12 × 32: six tile rows an image).
const SHAPES: [Shape; 16] = [
    sh(1, 1, 1, 1, 1, 1),
    sh(3, 5, 1, 1, 5, 7),
    sh(2, 3, 0, 2, 5, 4),
    sh(2, 3, 0, 1, 3, 3),
    sh(5, 7, 3, 1, 2, 3),
    sh(17, 3, 1, 3, 9, 6),
    sh(3, 19, 1, 2, 8, 8),
    sh(16, 16, 1, 1, 4, 4),
    sh(7, 9, 2, 2, 6, 11),
    sh(3, 3, 1, 3, 40, 40),
    sh(33, 17, 1, 5, 12, 10),
    sh(5, 3, 1, 2, 2, 2),
    sh(9, 10, 1, 3, 6, 16),
    sh(4, 6, 1, 3, 12, 32),
    sh(3, 4, 1, 2, 10, 4),
    sh(20, 18, 1, 1, 4, 2),
];

#[test]
fn winograd_matches_im2col_in_f64() {
    for (i, s) in SHAPES.into_iter().enumerate() {
        let x = randn::<f64>([s.c_in, s.n, s.h, s.w], 100 + i as u64);
        let fast = run(&mut conv::<f64>(s, true), &x, 7);
        let refr = run(&mut conv::<f64>(s, false), &x, 7);
        for (what, (a, b)) in ["y", "dx", "dW", "db"].iter().zip(fast.iter().zip(&refr)) {
            let e = rel(a, b);
            assert!(e < 1e-12, "{s:?} {what}: relative error {e:e}");
        }
    }
}

#[test]
fn winograd_gradients_pass_finite_differences() {
    // One general-transform shape and one fixed-row shape (padding 1, 4 × 8).
    for (i, s) in [sh(3, 4, 2, 2, 5, 7), sh(3, 4, 1, 2, 4, 8)]
        .into_iter()
        .enumerate()
    {
        let x = randn::<f64>([s.c_in, s.n, s.h, s.w], 20 + i as u64);
        let mut c = conv::<f64>(s, true);
        let [y, dx, dw, _] = run(&mut c, &x, 21);
        let r = randn::<f64>([s.c_out, s.n, y.len() / (s.c_out * s.n), 1], 21);
        let r = r.as_slice().unwrap().to_vec();
        // L = Σ r ⊙ y, so dL/dy = r (the same r `run` used).
        let loss = |c: &mut Conv2d<f64>, x: &Tensor<f64>| -> f64 {
            let y = c.forward(x, Mode::Train);
            y.iter().zip(&r).map(|(a, b)| a * b).sum()
        };
        let idx_w: Vec<usize> = (0..dw.len()).step_by(7).collect();
        check_gradient(&format!("{s:?} dW"), &dw, &idx_w, 1e-6, 1e-7, |k, d| {
            c.weight.value_mut()[k] += d;
            let l = loss(&mut c, &x);
            c.weight.value_mut()[k] -= d;
            l
        });
        let idx_x: Vec<usize> = (0..dx.len()).step_by(5).collect();
        let mut xp = x.clone();
        check_gradient(&format!("{s:?} dx"), &dx, &idx_x, 1e-6, 1e-7, |k, d| {
            xp.as_slice_mut().unwrap()[k] += d;
            let l = loss(&mut c, &xp);
            xp.as_slice_mut().unwrap()[k] -= d;
            l
        });
    }
}

#[test]
fn winograd_without_input_gradient_gives_the_same_weight_gradient() {
    let s = sh(5, 6, 1, 3, 7, 9);
    let x = randn::<f64>([s.c_in, s.n, s.h, s.w], 3);
    let mut a = conv::<f64>(s, true);
    a.input_grad = false;
    let fast = run(&mut a, &x, 9);
    let refr = run(&mut conv::<f64>(s, false), &x, 9);
    assert!(rel(&fast[2], &refr[2]) < 1e-12);
    assert!(rel(&fast[0], &refr[0]) < 1e-12);
}

#[test]
fn other_kernels_agree_with_the_reference() {
    // 1×1, 7×7, stride 2, padding 0 and 3: not Winograd shapes; the general im2col path
    // is the same algorithm, a pointwise one differs only in the order of its sums.
    let shapes = [
        Shape {
            k: 1,
            s: 1,
            p: 0,
            ..sh(5, 3, 0, 2, 5, 5)
        },
        Shape {
            k: 1,
            s: 2,
            p: 0,
            ..sh(5, 3, 0, 1, 7, 6)
        },
        Shape {
            k: 7,
            s: 2,
            p: 3,
            ..sh(3, 5, 3, 2, 11, 9)
        },
        Shape {
            k: 3,
            s: 2,
            p: 1,
            ..sh(17, 5, 1, 1, 9, 8)
        },
    ];
    for s in shapes {
        let x = randn::<f64>([s.c_in, s.n, s.h, s.w], 11);
        let mut fast = conv::<f64>(s, true);
        assert!(!fast.algo([s.c_in, s.n, s.h, s.w]).is_winograd(), "{s:?}");
        let a = run(&mut fast, &x, 12);
        let b = run(&mut conv::<f64>(s, false), &x, 12);
        for (a, b) in a.iter().zip(&b) {
            assert!(rel(a, b) < 1e-14, "{s:?}");
        }
    }
}

#[test]
fn winograd_f32_error_stays_well_inside_fixture_tolerance() {
    // ResNet-18 shapes (cifar, width 16 and a 64-channel one) in f32 against the f64
    // reference path: the fixture tests allow 1e-4 relative; ask for 2e-6.
    for (i, s) in [
        sh(16, 16, 1, 2, 32, 32),
        sh(64, 64, 1, 2, 8, 8),
        sh(128, 128, 1, 2, 4, 4),
    ]
    .into_iter()
    .enumerate()
    {
        let x64 = randn::<f64>([s.c_in, s.n, s.h, s.w], 50 + i as u64);
        let x32 = x64.mapv(|v| v as f32);
        let fast = run(&mut conv::<f32>(s, true), &x32, 8);
        let refr = run(&mut conv::<f64>(s, false), &x64, 8);
        for (what, (a, b)) in ["y", "dx", "dW", "db"].iter().zip(fast.iter().zip(&refr)) {
            let e = rel(a, b);
            assert!(e < 2e-6, "{s:?} {what}: f32 relative error {e:e}");
        }
    }
}

#[test]
fn winograd_sees_every_change_of_the_weights() {
    // The transformed weights are kept while the weights' stamp is unchanged: a pass after
    // any write to the weights must match a fresh layer bit for bit.
    let s = sh(6, 5, 1, 2, 8, 8);
    let x = randn::<f64>([s.c_in, s.n, s.h, s.w], 4);
    let mut kept = conv::<f64>(s, true);
    run(&mut kept, &x, 5);
    for write in 0..3 {
        match write {
            0 => kept.weight.value_mut()[7] += 0.25,
            1 => kept.weight.value_and_grad_mut().0[3] -= 0.5,
            _ => kept.weight.view_mut()[[1, 2, 0, 1]] *= 2.0,
        }
        let mut fresh = conv::<f64>(s, true);
        fresh
            .weight
            .value_mut()
            .copy_from_slice(kept.weight.value());
        assert_eq!(run(&mut kept, &x, 5), run(&mut fresh, &x, 5));
        // And a second pass on unchanged weights gives the same again.
        assert_eq!(run(&mut kept, &x, 5), run(&mut fresh, &x, 5));
    }
}
