//! What a trainer plots besides the loss: the gradient norm of every weight layer, and per
//! optimiser group the weight norm and the effective learning rate.
//!
//! The effective learning rate of a tensor w is η/‖w‖²: for a scale-invariant w (every conv
//! weight here is followed by batch norm, so l(cw) = l(w) for c > 0) the gradient shrinks
//! like 1/‖w‖ and the step's effect on the direction of w like η/‖w‖². A group's figure is
//! η over the mean of ‖w_t‖² across its tensors (η·tensors/‖w_group‖², finite even when a
//! tensor is zero, as BN's β at init). It is the meaningful rate for the conv weights, and
//! shown for the other groups (not scale-invariant) for comparison only.

use crate::nn::{Module, ModuleKind, ParamGroup, ParamRole, Sgd, norm};

/// ‖∂L/∂W‖ of every conv and linear weight, by module name, in the model's order (input
/// to output): the per-layer gradient strip.
pub fn layer_grad_norms(model: &mut dyn Module<f32>) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    model.visit_params("", &mut |p| {
        if p.role == ParamRole::Weight && p.kind != ModuleKind::BatchNorm2d {
            out.push((p.module().to_string(), norm(p.param.grad())));
        }
    });
    out
}

/// Per optimiser group (indexed by [`ParamGroup::index`]): sizes, weight decay, and the
/// current weight norm and effective learning rate.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct GroupStats {
    pub tensors: [usize; 3],
    pub params: [usize; 3],
    /// The weight decay the optimiser applies to the group.
    pub weight_decay: [f64; 3],
    /// ‖w‖ over the whole group.
    pub weight_norm: [f64; 3],
    /// η over the mean of ‖w_t‖² across the group's tensors.
    pub eff_lr: [f64; 3],
}

/// The groups of `model` as `sgd` treats them.
pub fn group_stats(model: &mut dyn Module<f32>, sgd: &Sgd<f32>) -> GroupStats {
    let mut s = GroupStats::default();
    let mut sq = [0.0f64; 3];
    model.visit_params("", &mut |p| {
        let g = p.group().index();
        let n2 = norm(p.param.value()).powi(2);
        s.tensors[g] += 1;
        s.params[g] += p.param.len();
        sq[g] += n2;
    });
    for g in ParamGroup::ALL {
        let i = g.index();
        let settings = sgd.groups[i];
        s.weight_decay[i] = settings.weight_decay;
        s.weight_norm[i] = sq[i].sqrt();
        s.eff_lr[i] = if s.tensors[i] > 0 {
            settings.lr * s.tensors[i] as f64 / sq[i]
        } else {
            f64::NAN
        };
    }
    s
}
