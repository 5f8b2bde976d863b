//! SGD with momentum and coupled weight decay, exactly as `torch.optim.SGD` (no dampening,
//! no Nesterov): d = g + λw; buf = α·buf + d (buf = d on the first step); w ← w − η·buf.

use super::model::{Grads, Net};

/// The hyperparameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SgdConfig {
    pub lr: f64,
    pub momentum: f64,
    pub weight_decay: f64,
}

/// Momentum buffers for every parameter of a [`Net`]; empty until the first step.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MomentumSgd {
    bufs: Option<Grads>,
}

/// One tensor's update; `first` makes buf = d.
fn update(w: &mut [f64], g: &[f64], buf: &mut [f64], first: bool, c: SgdConfig) {
    for ((w, g), b) in w.iter_mut().zip(g).zip(buf.iter_mut()) {
        let d = g + c.weight_decay * *w;
        *b = if first { d } else { c.momentum * *b + d };
        *w -= c.lr * *b;
    }
}

impl MomentumSgd {
    /// One step of every parameter (W, V and b all get the same λ: `torch.optim.SGD(
    /// model.parameters(), weight_decay=λ)`, PyTorch's default of one parameter group).
    pub fn step(&mut self, net: &mut Net, g: &Grads, c: SgdConfig) {
        let first = self.bufs.is_none();
        let bufs = self.bufs.get_or_insert_with(|| Grads::zeros_like(net));
        let pairs = [
            (net.w.as_slice_mut(), g.w.as_slice(), bufs.w.as_slice_mut()),
            (net.v.as_slice_mut(), g.v.as_slice(), bufs.v.as_slice_mut()),
            (net.b.as_slice_mut(), g.b.as_slice(), bufs.b.as_slice_mut()),
        ];
        for (w, g, b) in pairs {
            if let (Some(w), Some(g), Some(b)) = (w, g, b) {
                update(w, g, b, first, c);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pytorch_semantics_on_one_weight() {
        // Two steps by hand: w0 = 1, g = 0.5 both times, η = 0.1, α = 0.9, λ = 0.01.
        let c = SgdConfig {
            lr: 0.1,
            momentum: 0.9,
            weight_decay: 0.01,
        };
        let (mut w, mut b) = ([1.0], [0.0]);
        update(&mut w, &[0.5], &mut b, true, c);
        let d1 = 0.5 + 0.01 * 1.0;
        assert_eq!(b[0], d1);
        let w1 = 1.0 - 0.1 * d1;
        assert_eq!(w[0], w1);
        update(&mut w, &[0.5], &mut b, false, c);
        let b2 = 0.9 * d1 + (0.5 + 0.01 * w1);
        assert_eq!((b[0], w[0]), (b2, w1 - 0.1 * b2));
    }
}
