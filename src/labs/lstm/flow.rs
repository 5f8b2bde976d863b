//! Gradient flow backwards in time through an LSTM and a vanilla tanh RNN of the same size
//! on the same inputs: the loss `l = Σ_n gᵀ h_T` (g a random unit vector) is backpropagated
//! from step T, and the norms of the total gradients with respect to the states at lag k,
//! normalised by their value at k = 0 (as in the rnn lab), are compared.
//!
//! Along the LSTM's direct cell path ∂c_t/∂c_{t−1} = diag(f_t), so the product of the
//! forget gates along the path, `forget_product[k]` = mean over units of ∏_{s>T−k} f_s,
//! says how far credit can reach.

use crate::nn::Recurrent;
use ndarray::{Array2, Array3};

/// The four curves, indexed by lag k = 0..=T.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Flow {
    pub grad_c_lstm: Vec<f64>,
    pub grad_h_lstm: Vec<f64>,
    pub grad_h_rnn: Vec<f64>,
    pub forget_product: Vec<f64>,
}

/// `norms[T−k] / norms[T]` for k = 0..=T.
fn by_lag(norms: &[f64]) -> Vec<f64> {
    let last = norms.last().copied().unwrap_or(f64::NAN);
    norms.iter().rev().map(|v| v / last).collect()
}

/// Backpropagate `l = Σ_n gᵀ h_T` through both cells (copies: the originals keep their
/// caches) on `x` `[T, N, D]` from zero states.
pub fn flow(lstm: &Recurrent<f64>, rnn: &Recurrent<f64>, x: &Array3<f64>, g: &[f64]) -> Flow {
    let (steps, n, _) = x.dim();
    let h = lstm.hidden_size;
    let zeros = Array2::zeros((n, h));
    let d_out = Array3::zeros((steps, n, h));
    let d_hn = Array2::from_shape_fn((n, h), |(_, u)| g[u]);
    let mut out = Flow::default();
    let mut cell = lstm.clone();
    cell.forward(x.view(), zeros.view(), Some(zeros.view()));
    cell.backward(x.view(), d_out.view(), Some(d_hn.view()), None);
    out.grad_c_lstm = by_lag(cell.c_grad_norms());
    out.grad_h_lstm = by_lag(cell.h_grad_norms());
    // ∏ f along the path, from lag 0 (the empty product) back to lag T.
    let mut prod = vec![1.0; n * h];
    out.forget_product.push(1.0);
    for t in (1..=steps).rev() {
        for (p, f) in prod.iter_mut().zip(cell.forget_gate(t)) {
            *p *= f;
        }
        out.forget_product
            .push(prod.iter().sum::<f64>() / prod.len().max(1) as f64);
    }
    let mut cell = rnn.clone();
    cell.forward(x.view(), zeros.view(), None);
    cell.backward(x.view(), d_out.view(), Some(d_hn.view()), None);
    out.grad_h_rnn = by_lag(cell.h_grad_norms());
    out
}
