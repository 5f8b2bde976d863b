//! Parameters as optimisers and checkpoints see them: the [`Module`] visitor with
//! torchvision's names, the module kinds and roles optimiser groups are formed from, and
//! the f64-accumulated norm of a parameter tensor.

use super::{Param, Real};

/// The kind of module a parameter belongs to: what optimiser groups are formed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ModuleKind {
    Conv2d,
    BatchNorm2d,
    Linear,
    /// `nn.RNN` (tanh).
    Rnn,
    /// `nn.LSTM`.
    Lstm,
}

impl ModuleKind {
    /// PyTorch's class name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Conv2d => "Conv2d",
            Self::BatchNorm2d => "BatchNorm2d",
            Self::Linear => "Linear",
            Self::Rnn => "RNN",
            Self::Lstm => "LSTM",
        }
    }
}

/// Which tensor of its module a parameter is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParamRole {
    Weight,
    Bias,
}

/// Optimiser parameter groups, by module type, never by name: a name rule misfiles the
/// `downsample.1` batch norms and never trains the conv weights (see [`super::summary`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParamGroup {
    /// Batch-norm scale and shift.
    BnAffine,
    /// Biases of convolutions and linear layers.
    Biases,
    /// Convolution and linear weights: the only group with weight decay by default.
    Rest,
}

impl ParamGroup {
    pub const ALL: [ParamGroup; 3] = [Self::BnAffine, Self::Biases, Self::Rest];

    pub fn of(kind: ModuleKind, role: ParamRole) -> Self {
        match (kind, role) {
            (ModuleKind::BatchNorm2d, _) => Self::BnAffine,
            (_, ParamRole::Bias) => Self::Biases,
            (_, ParamRole::Weight) => Self::Rest,
        }
    }

    /// The key used in JSON and reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::BnAffine => "bn_affine",
            Self::Biases => "biases",
            Self::Rest => "rest",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// Whether weight decay applies to this group.
    pub fn decays(self, wd_on_bn_bias: bool) -> bool {
        self == Self::Rest || wd_on_bn_bias
    }
}

/// One parameter as the visitor sees it.
pub struct ParamRef<'a, T> {
    /// Full torchvision name, e.g. `layer2.0.downsample.1.weight`.
    pub name: &'a str,
    pub kind: ModuleKind,
    pub role: ParamRole,
    pub param: &'a mut Param<T>,
}

impl<T> ParamRef<'_, T> {
    pub fn group(&self) -> ParamGroup {
        ParamGroup::of(self.kind, self.role)
    }
    /// The module's name: the parameter name without its last component.
    pub fn module(&self) -> &str {
        self.name.rsplit_once('.').map_or("", |(m, _)| m)
    }
}

/// A non-learnable state tensor (batch-norm running statistics and counter).
pub enum BufferRef<'a, T> {
    /// `running_mean`, `running_var`: float vectors.
    Float(&'a mut [T]),
    /// `num_batches_tracked`: an int64 scalar.
    Count(&'a mut i64),
}

/// Something with named parameters and buffers, in torchvision's state-dict naming.
pub trait Module<T: Real>: Send {
    /// Visit every parameter, in state-dict order, with its full name (`prefix` + own name).
    fn visit_params(&mut self, prefix: &str, f: &mut dyn FnMut(ParamRef<'_, T>));
    /// Visit every buffer with its full name; none by default.
    fn visit_buffers(&mut self, _prefix: &str, _f: &mut dyn FnMut(&str, BufferRef<'_, T>)) {}
}

/// Visit a module's `weight` and optional `bias` under `prefix`: the parameters of Conv2d,
/// Linear and BatchNorm2d alike.
pub fn visit_weight_and_bias<T>(
    prefix: &str,
    kind: ModuleKind,
    weight: &mut Param<T>,
    bias: Option<&mut Param<T>>,
    f: &mut dyn FnMut(ParamRef<'_, T>),
) {
    let name = join(prefix, "weight");
    f(ParamRef {
        name: &name,
        kind,
        role: ParamRole::Weight,
        param: weight,
    });
    if let Some(param) = bias {
        let name = join(prefix, "bias");
        f(ParamRef {
            name: &name,
            kind,
            role: ParamRole::Bias,
            param,
        });
    }
}

/// `prefix.name`, or `name` at the top level.
pub fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Euclidean norm of a slice, accumulated in f64.
pub fn norm<T: Real>(v: &[T]) -> f64 {
    v.iter().map(|x| x.to_f64().powi(2)).sum::<f64>().sqrt()
}
