//! SGD with momentum and weight decay over parameter groups formed by module type,
//! and Adam ([`Adam`]), with PyTorch's semantics (`torch.optim.SGD`, no dampening, no Nesterov):
//! `d = g + λ·p`; `buf = α·buf + d` (`buf = d` on the first step); `p ← p − η·buf`.
//!
//! Groups come from [`ParamGroup::of`] (module kind and role), never from names: grouping by
//! a name substring misfiles `downsample.1.*` and drops conv weights (see `nn::summary`'s note).

use super::{Module, ParamGroup, Real};

/// Hyperparameters of one group.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GroupSettings {
    pub lr: f64,
    pub momentum: f64,
    pub weight_decay: f64,
}

/// The optimiser and its momentum buffers.
#[derive(Clone, Debug)]
pub struct Sgd<T> {
    /// Indexed by [`ParamGroup::index`].
    pub groups: [GroupSettings; 3],
    /// Momentum buffer per parameter, in visit order, with the parameter's name so a
    /// different model never inherits buffers.
    bufs: Vec<(String, Vec<T>)>,
    steps: u64,
}

impl<T: Real> Sgd<T> {
    /// Every group gets `lr` and `momentum`; weight decay `wd` goes to conv and linear
    /// weights only, or to every group with `wd_on_bn_bias`.
    pub fn new(lr: f64, momentum: f64, wd: f64, wd_on_bn_bias: bool) -> Self {
        let groups = ParamGroup::ALL.map(|g| GroupSettings {
            lr,
            momentum,
            weight_decay: if g.decays(wd_on_bn_bias) { wd } else { 0.0 },
        });
        Self {
            groups,
            bufs: Vec::new(),
            steps: 0,
        }
    }

    /// One update of every parameter from its current gradient.
    pub fn step(&mut self, model: &mut dyn Module<T>) {
        let mut i = 0;
        let (groups, bufs) = (&self.groups, &mut self.bufs);
        model.visit_params("", &mut |p| {
            let s = groups[p.group().index()];
            if bufs
                .get(i)
                .is_none_or(|(name, b)| name != p.name || b.len() != p.param.len())
            {
                bufs.truncate(i);
                bufs.push((p.name.to_string(), Vec::new()));
            }
            let buf = &mut bufs[i].1;
            let first = buf.is_empty();
            if first {
                buf.resize(p.param.len(), T::zero());
            }
            let (value, grad) = p.param.value_and_grad_mut();
            for ((v, g), b) in value.iter_mut().zip(grad).zip(buf.iter_mut()) {
                let d = g.to_f64() + s.weight_decay * v.to_f64();
                let nb = if first {
                    d
                } else {
                    s.momentum * b.to_f64() + d
                };
                *b = T::from_f64(nb);
                *v = T::from_f64(v.to_f64() - s.lr * nb);
            }
            i += 1;
        });
        self.steps += 1;
    }
}

/// The momentum buffers, saved and restored so a resumed run continues exactly.
impl<T: Real> Sgd<T> {
    /// Each parameter's momentum buffer by name, in visit order (none before the first step).
    pub fn momentum_buffers(&self) -> &[(String, Vec<T>)] {
        &self.bufs
    }

    /// Replace the momentum buffers and the step count (a resumed run). Buffers must be in
    /// the model's visit order; one whose name or length does not match its parameter is
    /// started afresh by the next [`Sgd::step`], as for a different model.
    pub fn restore(&mut self, bufs: Vec<(String, Vec<T>)>, steps: u64) {
        self.bufs = bufs;
        self.steps = steps;
    }
}

/// Adam with PyTorch's semantics (`torch.optim.Adam`, no AMSGrad, L2 weight decay added to
/// the gradient): `g ← g + λp`; `m ← β₁m + (1−β₁)g`; `v ← β₂v + (1−β₂)g²`;
/// `p ← p − (η/(1−β₁ᵗ))·m/(√v/√(1−β₂ᵗ) + ε)`. Moments start at zero; state is kept per
/// parameter name, so a different model never inherits moments.
#[derive(Clone, Debug)]
pub struct Adam<T> {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
    /// (name, first moment, second moment) per parameter, in visit order.
    moments: Vec<(String, Vec<T>, Vec<T>)>,
    steps: u64,
}

impl<T: Real> Adam<T> {
    /// PyTorch's defaults besides `lr`: β = (0.9, 0.999), ε = 1e-8, no weight decay.
    pub fn new(lr: f64) -> Self {
        Self {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            moments: Vec::new(),
            steps: 0,
        }
    }

    /// One update of every parameter from its current gradient.
    pub fn step(&mut self, model: &mut dyn Module<T>) {
        self.steps += 1;
        let t = self.steps as i32;
        let (b1, b2, eps, wd) = (self.beta1, self.beta2, self.eps, self.weight_decay);
        let step_size = self.lr / (1.0 - b1.powi(t));
        let bc2_sqrt = (1.0 - b2.powi(t)).sqrt();
        let mut i = 0;
        let moments = &mut self.moments;
        model.visit_params("", &mut |p| {
            let n = p.param.len();
            if moments
                .get(i)
                .is_none_or(|(name, m, _)| name != p.name || m.len() != n)
            {
                moments.truncate(i);
                moments.push((p.name.to_string(), vec![T::zero(); n], vec![T::zero(); n]));
            }
            let (_, m, v) = &mut moments[i];
            let (value, grad) = p.param.value_and_grad_mut();
            for (((p, g), m), v) in value
                .iter_mut()
                .zip(grad)
                .zip(m.iter_mut())
                .zip(v.iter_mut())
            {
                let g = g.to_f64() + wd * p.to_f64();
                let nm = b1 * m.to_f64() + (1.0 - b1) * g;
                let nv = b2 * v.to_f64() + (1.0 - b2) * g * g;
                *m = T::from_f64(nm);
                *v = T::from_f64(nv);
                let denom = nv.sqrt() / bc2_sqrt + eps;
                *p = T::from_f64(p.to_f64() - step_size * nm / denom);
            }
            i += 1;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{BatchNorm2d, Linear, ParamRef};

    /// A linear layer (weight → rest, bias → biases) and a batch norm (bn_affine).
    struct Toy {
        fc: Linear<f64>,
        bn: BatchNorm2d<f64>,
    }

    impl Module<f64> for Toy {
        fn visit_params(&mut self, _prefix: &str, f: &mut dyn FnMut(ParamRef<'_, f64>)) {
            self.fc.visit_params("fc", f);
            self.bn.visit_params("bn", f);
        }
    }

    fn toy() -> Toy {
        let mut t = Toy {
            fc: Linear::new(1, 1),
            bn: BatchNorm2d::new(1),
        };
        t.visit_params("", &mut |p| {
            p.param.value_mut()[0] = 2.0;
            p.param.grad_mut()[0] = 0.5;
        });
        t
    }

    fn values(t: &mut Toy) -> Vec<f64> {
        let mut v = Vec::new();
        t.visit_params("", &mut |p| v.push(p.param.value()[0]));
        v
    }

    #[test]
    fn pytorch_momentum_and_decay_on_weights_only() {
        let (lr, mom, wd) = (0.1, 0.9, 0.01);
        let mut t = toy();
        let mut sgd = Sgd::new(lr, mom, wd, false);
        sgd.step(&mut t);
        // fc.weight decays: d = 0.5 + 0.01·2; buf = d; p = 2 − 0.1·d.
        let d_w = 0.5 + wd * 2.0;
        let v = values(&mut t);
        assert!((v[0] - (2.0 - lr * d_w)).abs() < 1e-15);
        // Bias and BN parameters do not: d = 0.5.
        assert!(v[1..].iter().all(|&x| (x - (2.0 - lr * 0.5)).abs() < 1e-15));
        // Second step, same gradient: buf = 0.9·buf + d.
        sgd.step(&mut t);
        let p1 = 2.0 - lr * d_w;
        let d2 = 0.5 + wd * p1;
        let expect = p1 - lr * (mom * d_w + d2);
        assert!((values(&mut t)[0] - expect).abs() < 1e-15);
        assert_eq!(sgd.steps, 2);
    }

    #[test]
    fn wd_on_bn_bias_decays_every_group() {
        let mut t = toy();
        Sgd::new(0.1, 0.9, 0.01, true).step(&mut t);
        let expect = 2.0 - 0.1 * (0.5 + 0.01 * 2.0);
        assert!(values(&mut t).iter().all(|&x| (x - expect).abs() < 1e-15));
    }

    #[test]
    fn adam_matches_pytorch_closed_form() {
        // One scalar parameter, gradients 0.5, −1.0, 2.0: PyTorch's update written out.
        let (lr, b1, b2, eps) = (0.01, 0.9, 0.999, 1e-8);
        let mut fc = Linear::<f64>::new(1, 1);
        fc.bias = None;
        fc.weight.value_mut()[0] = 1.0;
        let mut adam = Adam::new(lr);
        let (mut p, mut m, mut v) = (1.0f64, 0.0, 0.0);
        for (t, g) in [0.5, -1.0, 2.0].into_iter().enumerate() {
            fc.weight.grad_mut()[0] = g;
            adam.step(&mut fc);
            let t = t as i32 + 1;
            m = b1 * m + (1.0 - b1) * g;
            v = b2 * v + (1.0 - b2) * g * g;
            let mhat = m / (1.0 - b1.powi(t));
            let vhat = v / (1.0 - b2.powi(t));
            p -= lr * mhat / (vhat.sqrt() + eps);
            assert!((fc.weight.value()[0] - p).abs() < 1e-12, "step {t}");
        }
        // The first step moves by lr·g/(|g| + ε') whatever the scale of g: Adam's sign step.
        let mut fc = Linear::<f64>::new(1, 1);
        fc.bias = None;
        fc.weight.grad_mut()[0] = 1e-6;
        Adam::new(0.1).step(&mut fc);
        assert!((fc.weight.value()[0] + 0.1 * 1e-6 / (1e-6 + 1e-8)).abs() < 1e-12);
        assert_eq!(adam.steps, 3);
    }
}
