//! Every convolution algorithm against the definition: for each [`ConvAlgo`], seeded random
//! geometries it supports (channels, batch, sizes, and the kernel, stride and padding the
//! algorithm serves; any of them for the general ones) run forced through that algorithm,
//! forward, input gradient, weight and bias gradients, against a direct seven-loop
//! convolution summed in f64. The engine runs in f64 here, so the algorithms may differ
//! from the definition only in the order of their sums.

#![allow(clippy::unwrap_used)]

use gradscope::testing::nn::conv::{ConvAlgo, HalfWidth, RowTiles};
use gradscope::testing::nn::{Conv2d, Layer, Mode, Tensor};
use ndarray::Array4;
use rand::RngExt;
use rand_distr::StandardNormal;

/// Geometries drawn per algorithm.
const CASES: usize = 6;

#[derive(Clone, Copy, Debug)]
struct Geometry {
    c_in: usize,
    c_out: usize,
    n: usize,
    h: usize,
    w: usize,
    kernel: [usize; 2],
    stride: [usize; 2],
    pad: [usize; 2],
}

/// A geometry `algo` supports. Odd cases have 32 to 40 input channels, so the weight
/// gradient's wide product (transposed patches) runs too.
fn draw(algo: ConvAlgo, case: usize, rng: &mut impl rand::Rng) -> Geometry {
    let c_in = if case % 2 == 1 {
        rng.random_range(32..=40)
    } else {
        rng.random_range(1..=8)
    };
    let mut g = Geometry {
        c_in,
        c_out: rng.random_range(1..=7),
        n: rng.random_range(1..=3),
        h: 0,
        w: 0,
        kernel: [3, 3],
        stride: [1, 1],
        pad: [1, 1],
    };
    let even = |rng: &mut dyn FnMut() -> usize| 2 * rng();
    let mut small = || rng.random_range(1..=5);
    match algo {
        ConvAlgo::WinogradRows(t) => {
            (g.h, g.w) = (even(&mut small), 2 * t.get());
        }
        ConvAlgo::Winograd => {
            let p = small() % 3;
            g.pad = [p, p];
            // At least one output row and column: h + 2p ≥ 3.
            (g.h, g.w) = (
                (3 - 2 * p.min(1)).max(small() + small()),
                small() + small() + 1,
            );
        }
        ConvAlgo::Pointwise => {
            (g.kernel, g.pad) = ([1, 1], [0, 0]);
            (g.h, g.w) = (small() + small(), small() + small());
        }
        ConvAlgo::HalvingTaps(w) => {
            g.stride = [2, 2];
            (g.h, g.w) = (even(&mut small), 2 * w.get());
        }
        ConvAlgo::HalvingPick(w) => {
            (g.kernel, g.stride, g.pad) = ([1, 1], [2, 2], [0, 0]);
            (g.h, g.w) = (even(&mut small), 2 * w.get());
        }
        ConvAlgo::Im2col => {
            g.kernel = [small(), small()];
            g.stride = [small().min(3), small().min(3)];
            g.pad = [small() % 3, small() % 3];
            g.h = (g.kernel[0].saturating_sub(2 * g.pad[0])).max(1) + small();
            g.w = (g.kernel[1].saturating_sub(2 * g.pad[1])).max(1) + small();
            if case % 2 == 1 {
                // Wide patches need fewer input channels: keep the loops cheap.
                g.c_in = 32usize.div_ceil(g.kernel[0] * g.kernel[1]).max(2);
            }
        }
    }
    g
}

fn randn(shape: [usize; 4], rng: &mut impl rand::Rng) -> Tensor<f64> {
    Array4::from_shape_simple_fn(shape, || rng.sample(StandardNormal))
}

/// The output, dL/dx, dL/dW and dL/db of `g` for `dL/dy = dy`, by definition: seven
/// nested loops over (output channel, image, output row, output column, input channel,
/// kernel row, kernel column), in f64.
fn direct(
    g: &Geometry,
    x: &Tensor<f64>,
    wt: &Tensor<f64>,
    bias: &[f64],
    dy: &Tensor<f64>,
) -> [Vec<f64>; 4] {
    let (_, _, ho, wo) = dy.dim();
    let mut y = Tensor::<f64>::zeros([g.c_out, g.n, ho, wo]);
    let mut dx = Tensor::<f64>::zeros([g.c_in, g.n, g.h, g.w]);
    let mut dw = Tensor::<f64>::zeros(wt.dim());
    for o in 0..g.c_out {
        for n in 0..g.n {
            for oh in 0..ho {
                for ow in 0..wo {
                    let mut acc = bias[o];
                    let d = dy[[o, n, oh, ow]];
                    for c in 0..g.c_in {
                        for ki in 0..g.kernel[0] {
                            for kj in 0..g.kernel[1] {
                                let ih = (oh * g.stride[0] + ki) as isize - g.pad[0] as isize;
                                let iw = (ow * g.stride[1] + kj) as isize - g.pad[1] as isize;
                                if (0..g.h as isize).contains(&ih)
                                    && (0..g.w as isize).contains(&iw)
                                {
                                    let at = [c, n, ih as usize, iw as usize];
                                    acc += wt[[o, c, ki, kj]] * x[at];
                                    dx[at] += wt[[o, c, ki, kj]] * d;
                                    dw[[o, c, ki, kj]] += x[at] * d;
                                }
                            }
                        }
                    }
                    y[[o, n, oh, ow]] = acc;
                }
            }
        }
    }
    let db = (0..g.c_out)
        .map(|o| dy.index_axis(ndarray::Axis(0), o).sum())
        .collect();
    [
        y.into_raw_vec_and_offset().0,
        dx.into_raw_vec_and_offset().0,
        dw.into_raw_vec_and_offset().0,
        db,
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

#[test]
fn every_algorithm_computes_the_convolution_on_random_geometries() {
    let mut cases = vec![0usize; ConvAlgo::ALL.len()];
    let mut worst = 0.0f64;
    for (i, &algo) in ConvAlgo::ALL.iter().enumerate() {
        for case in 0..CASES {
            let mut rng = gradscope::testing::rng::rng(case as u64, 0xC0A1 + i as u64);
            let g = draw(algo, case, &mut rng);
            let mut conv = Conv2d::<f64>::rect(g.c_in, g.c_out, g.kernel, g.stride, g.pad);
            conv = conv.with_bias();
            let shape = [g.c_in, g.n, g.h, g.w];
            // The specialised algorithms are what their geometries get unforced.
            if !matches!(algo, ConvAlgo::Winograd | ConvAlgo::Im2col) {
                assert_eq!(conv.algo(shape), algo, "{g:?}");
            }
            conv.force = Some(algo);
            assert_eq!(conv.algo(shape), algo);
            let w = randn([g.c_out, g.c_in, g.kernel[0], g.kernel[1]], &mut rng);
            conv.weight
                .value_mut()
                .copy_from_slice(w.as_slice().unwrap());
            let b: Vec<f64> = (0..g.c_out).map(|_| rng.sample(StandardNormal)).collect();
            conv.bias.as_mut().unwrap().value_mut().copy_from_slice(&b);
            let x = randn(shape, &mut rng);
            let (ho, wo) = conv.output_size(g.h, g.w).unwrap();
            let dy = randn([g.c_out, g.n, ho, wo], &mut rng);

            let y = conv.forward(&x, Mode::Train).clone();
            let dx = conv.backward(&x, &dy).clone();
            let got = [
                y.as_slice().unwrap().to_vec(),
                dx.as_slice().unwrap().to_vec(),
                conv.weight.grad().to_vec(),
                conv.bias.as_ref().unwrap().grad().to_vec(),
            ];
            let want = direct(&g, &x, &w, &b, &dy);
            for (what, (a, b)) in ["y", "dx", "dW", "db"].iter().zip(got.iter().zip(&want)) {
                let e = rel(a, b);
                worst = worst.max(e);
                assert!(e < 1e-12, "{algo:?} {g:?} {what}: relative error {e:e}");
            }
            cases[i] += 1;
        }
    }
    for (algo, n) in ConvAlgo::ALL.iter().zip(&cases) {
        assert!(*n == CASES, "{algo:?} ran {n} cases");
    }
    eprintln!(
        "{} cases, worst relative error {worst:e}",
        cases.iter().sum::<usize>()
    );
}

#[test]
fn every_compile_time_width_has_an_algorithm() {
    // The lists the tests enumerate hold every width the kernels are compiled for.
    for t in [
        RowTiles::T1,
        RowTiles::T2,
        RowTiles::T4,
        RowTiles::T8,
        RowTiles::T16,
    ] {
        assert!(ConvAlgo::ALL.contains(&ConvAlgo::WinogradRows(t)));
    }
    for w in [HalfWidth::W4, HalfWidth::W8, HalfWidth::W16] {
        assert!(ConvAlgo::ALL.contains(&ConvAlgo::HalvingTaps(w)));
        assert!(ConvAlgo::ALL.contains(&ConvAlgo::HalvingPick(w)));
    }
}
