//! The recurrent cells: `gradscope grad lstm|rnn` against PyTorch's float64 reference
//! (tests/fixtures, copied from ../shared/reference: `nn.LSTM(3, 5)` and `nn.RNN(3, 5)`,
//! T = 7, N = 2, loss Σ output ⊙ grad_output), and the backward pass of both cells against
//! central finite differences in f64 with the shared helper, at tiny sizes, for every
//! weight, the input, h_0 and c_0, with gradient flowing in through h_T and c_T too.

#![allow(clippy::unwrap_used)]

use crate::common;

use crate::common::{BIN, fixture};
use common::{check_gradient, spread};
use gradscope::testing::nn::checkpoint;
use gradscope::testing::nn::{CellKind, Module, Recurrent};
use ndarray::{Array2, Array3};
use rand::RngExt;
use rand_distr::StandardNormal;
use safetensors::tensor::SafeTensors;

const TOL: f64 = 1e-4;

/// max |ours − torch| / max |torch|, per tensor (robust to entries near zero).
fn relative_error(ours: &[f64], torch: &[f64]) -> f64 {
    let scale = torch.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-30);
    ours.iter()
        .zip(torch)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()))
        / scale
}

fn parity(model: &str, keys: usize) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.safetensors");
    let status = std::process::Command::new(BIN)
        .args(["grad", model, "--weights"])
        .arg(fixture(&format!("{model}_weights.safetensors")))
        .arg("--input")
        .arg(fixture(&format!("{model}_input.safetensors")))
        .arg("--out")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let ours_bytes = std::fs::read(&out).unwrap();
    let torch_bytes = std::fs::read(fixture(&format!("{model}_expected.safetensors"))).unwrap();
    let ours = SafeTensors::deserialize(&ours_bytes).unwrap();
    let torch = SafeTensors::deserialize(&torch_bytes).unwrap();
    let (mut a, mut b) = (ours.names(), torch.names());
    a.sort();
    b.sort();
    assert_eq!(a, b, "{model}: the same keys as PyTorch's file");
    assert_eq!(b.len(), keys);
    println!("grad {model}: largest relative error per key (tolerance {TOL:e}):");
    for key in b {
        let (x, y) = (ours.tensor(key).unwrap(), torch.tensor(key).unwrap());
        assert_eq!(x.dtype(), y.dtype(), "{model} {key}: dtype");
        assert_eq!(x.shape(), y.shape(), "{model} {key}: shape");
        let err = relative_error(
            &checkpoint::floats(&ours, key, "ours").unwrap(),
            &checkpoint::floats(&torch, key, "torch").unwrap(),
        );
        println!("  {key:<20} {err:.2e}");
        assert!(
            err <= TOL,
            "{model} {key}: relative error {err:e} > {TOL:e}"
        );
    }
}

#[test]
fn grad_lstm_matches_pytorch() {
    parity("lstm", 11);
}

#[test]
fn grad_rnn_matches_pytorch() {
    parity("rnn", 9);
}

/// A cell with N(0, 0.5²) weights (large enough that the gates are not all near 0.5).
fn cell(kind: CellKind, d: usize, h: usize, seed: u64) -> Recurrent<f64> {
    let mut c = Recurrent::new(kind, d, h);
    let mut rng = gradscope::testing::rng::rng(seed, 1);
    c.visit_params("", &mut |p| {
        for v in p.param.value_mut() {
            *v = 0.5 * rng.sample::<f64, _>(StandardNormal);
        }
    });
    c
}

/// Everything the loss depends on: input, initial states, and the projections that make
/// the loss Σ r ⊙ output + a·h_T + b·c_T (so gradient enters through every door).
struct Case {
    x: Array3<f64>,
    h0: Array2<f64>,
    c0: Array2<f64>,
    r: Array3<f64>,
    a: Array2<f64>,
    b: Array2<f64>,
}

fn case(d: usize, h: usize, t: usize, n: usize, seed: u64) -> Case {
    let mut rng = gradscope::testing::rng::rng(seed, 2);
    let mut g = || rng.sample::<f64, _>(StandardNormal);
    Case {
        x: Array3::from_shape_simple_fn((t, n, d), &mut g),
        h0: Array2::from_shape_simple_fn((n, h), &mut g),
        c0: Array2::from_shape_simple_fn((n, h), &mut g),
        r: Array3::from_shape_simple_fn((t, n, h), &mut g),
        a: Array2::from_shape_simple_fn((n, h), &mut g),
        b: Array2::from_shape_simple_fn((n, h), &mut g),
    }
}

fn loss(cell: &mut Recurrent<f64>, k: &Case) -> f64 {
    let lstm = cell.kind == CellKind::Lstm;
    cell.forward(k.x.view(), k.h0.view(), lstm.then(|| k.c0.view()));
    let t = k.x.dim().0;
    let mut l: f64 = cell.output().iter().zip(&k.r).map(|(o, r)| o * r).sum();
    l += cell.h(t).iter().zip(&k.a).map(|(o, r)| o * r).sum::<f64>();
    if lstm {
        l += cell.c(t).iter().zip(&k.b).map(|(o, r)| o * r).sum::<f64>();
    }
    l
}

fn check_cell(kind: CellKind) {
    let (d, h, t, n) = (3, 4, 5, 2);
    let mut c = cell(kind, d, h, 11);
    let mut k = case(d, h, t, n, 12);
    let lstm = kind == CellKind::Lstm;
    loss(&mut c, &k);
    c.backward(
        k.x.view(),
        k.r.view(),
        Some(k.a.view()),
        lstm.then(|| k.b.view()),
    );
    let (eps, tol) = (1e-6, 1e-7);
    let mut grads: Vec<(String, Vec<f64>)> = Vec::new();
    c.visit_params("", &mut |p| {
        grads.push((p.name.to_string(), p.param.grad().to_vec()))
    });
    for (pi, (name, g)) in grads.iter().enumerate() {
        let nudge = |c: &mut Recurrent<f64>, i: usize, delta: f64| {
            let mut j = 0;
            c.visit_params("", &mut |p| {
                if j == pi {
                    p.param.value_mut()[i] += delta;
                }
                j += 1;
            });
        };
        check_gradient(name, g, &spread(g.len(), 40), eps, tol, |i, delta| {
            nudge(&mut c, i, delta);
            let l = loss(&mut c, &k);
            nudge(&mut c, i, -delta);
            l
        });
    }
    let dx = c.input_grad().to_owned();
    let dh0 = c.h0_grad().to_owned();
    let dc0 = c.c0_grad().to_owned();
    let ana = dx.iter().copied().collect::<Vec<_>>();
    check_gradient(
        "dL/dx",
        &ana,
        &spread(ana.len(), 40),
        eps,
        tol,
        |i, delta| {
            k.x.as_slice_mut().unwrap()[i] += delta;
            let l = loss(&mut cell(kind, d, h, 11), &k);
            k.x.as_slice_mut().unwrap()[i] -= delta;
            l
        },
    );
    let ana = dh0.iter().copied().collect::<Vec<_>>();
    check_gradient(
        "dL/dh0",
        &ana,
        &spread(ana.len(), 40),
        eps,
        tol,
        |i, delta| {
            k.h0.as_slice_mut().unwrap()[i] += delta;
            let l = loss(&mut cell(kind, d, h, 11), &k);
            k.h0.as_slice_mut().unwrap()[i] -= delta;
            l
        },
    );
    if lstm {
        let ana = dc0.iter().copied().collect::<Vec<_>>();
        check_gradient(
            "dL/dc0",
            &ana,
            &spread(ana.len(), 40),
            eps,
            tol,
            |i, delta| {
                k.c0.as_slice_mut().unwrap()[i] += delta;
                let l = loss(&mut cell(kind, d, h, 11), &k);
                k.c0.as_slice_mut().unwrap()[i] -= delta;
                l
            },
        );
    } else {
        assert!(dc0.is_empty());
    }
}

#[test]
fn lstm_backward_matches_finite_differences() {
    check_cell(CellKind::Lstm);
}

#[test]
fn rnn_backward_matches_finite_differences() {
    check_cell(CellKind::Rnn);
}

#[test]
fn state_gradient_norms_are_the_gradients_of_the_states() {
    // ‖∂L/∂h_0‖ and ‖∂L/∂c_0‖ recorded by the backward pass are the norms of the h0 and c0
    // gradients; the last entries are the gradients entering at T.
    let (d, h, t, n) = (2, 3, 6, 2);
    for kind in [CellKind::Lstm, CellKind::Rnn] {
        let mut c = cell(kind, d, h, 5);
        let k = case(d, h, t, n, 6);
        loss(&mut c, &k);
        let zero = Array3::zeros((t, n, h));
        c.backward(k.x.view(), zero.view(), Some(k.a.view()), None);
        let norm = |v: &Array2<f64>| v.iter().map(|x| x * x).sum::<f64>().sqrt();
        let hn = c.h_grad_norms();
        assert_eq!(hn.len(), t + 1);
        assert!((hn[0] - norm(&c.h0_grad().to_owned())).abs() < 1e-12);
        assert!((hn[t] - norm(&k.a)).abs() < 1e-12);
        if kind == CellKind::Lstm {
            let cn = c.c_grad_norms();
            assert!((cn[0] - norm(&c.c0_grad().to_owned())).abs() < 1e-12);
        }
    }
}

#[test]
fn sequence_models_backward_match_finite_differences() {
    use gradscope::testing::nn::sequence::{SeqModel, Target};
    let (d, h, t, n) = (3, 4, 5, 3);
    let k = case(d, h, t, n, 21);
    let values = [0.5, -1.0, 2.0];
    let classes = [2, 0, 1];
    for (kind, target) in [
        (CellKind::Rnn, Target::Values(&values)),
        (CellKind::Lstm, Target::Classes(&classes)),
    ] {
        let outputs = if matches!(target, Target::Values(_)) {
            1
        } else {
            3
        };
        let mut m = SeqModel::<f64>::new(kind, d, h, outputs);
        m.init_default(&mut gradscope::testing::rng::rng(3, 0));
        m.forward_backward(k.x.view(), target);
        let mut grads: Vec<(String, Vec<f64>)> = Vec::new();
        m.visit_params("", &mut |p| {
            grads.push((p.name.to_string(), p.param.grad().to_vec()))
        });
        assert_eq!(grads.len(), 6, "cell.* and head.*");
        for (pi, (name, g)) in grads.iter().enumerate() {
            check_gradient(name, g, &spread(g.len(), 30), 1e-6, 1e-7, |i, delta| {
                let nudge = |m: &mut SeqModel<f64>, delta: f64| {
                    let mut j = 0;
                    m.visit_params("", &mut |p| {
                        if j == pi {
                            p.param.value_mut()[i] += delta;
                        }
                        j += 1;
                    });
                };
                nudge(&mut m, delta);
                let l = m.evaluate(k.x.view(), target).loss;
                nudge(&mut m, -delta);
                l
            });
        }
    }
}
