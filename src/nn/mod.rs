//! The nn engine: layers with forward and backward passes, a ResNet-18 with torchvision's
//! names and initialisation, recurrent cells (RNN, LSTM) with backpropagation through time,
//! SGD with parameter groups and Adam, and safetensors checkpoints under PyTorch's names.
//! Results cross over to PyTorch and back (ARCHITECTURE.md, "Invariants": parity to 1e-4).
//!
//! Conventions every layer follows:
//! - Activations are channel-major 4-D arrays `[C, N, H, W]` ([`Tensor`]), standard layout.
//!   A convolution lowered to GEMM then writes its output directly (`W · col` is
//!   `[C_out, N·H·W]`), and batch-norm statistics are contiguous rows. Models convert from
//!   and to PyTorch's `[N, C, H, W]` at their boundary only.
//! - Layers are generic over the scalar ([`Real`]: `f32` for training, `f64` for the
//!   finite-difference tests) and own their output and input-gradient buffers, reused
//!   from call to call; `backward` receives the input of the last `forward` instead of
//!   keeping a copy of it.
//! - `backward` overwrites (does not accumulate) every parameter gradient.
//! - Parameters are reached through [`Module::visit_params`], which yields the torchvision
//!   name together with the module kind, so optimiser groups are formed by module type.

pub mod activation;
pub mod batchnorm;
pub mod bench;
pub mod checkpoint;
pub mod clip;
pub mod conv;
pub mod data;
pub mod gemm;
pub mod linear;
pub mod loss;
pub mod microkernel;
pub mod optim;
pub mod pool;
pub mod profile;
pub mod recurrent;
pub mod resnet;
pub mod sequence;
pub mod simd;
pub mod summary;
pub mod train;

pub use activation::Relu;
pub use batchnorm::BatchNorm2d;
pub use conv::Conv2d;
pub use linear::Linear;
pub use loss::{CrossEntropy, LossOutput};
pub use optim::{Adam, Sgd};
pub use recurrent::{CellKind, Recurrent};

pub use pool::{AdaptiveAvgPool2d, MaxPool2d};
pub use resnet::{BasicBlock, BnOrder, ResNet, ResNetConfig, Stem};

use ndarray::{Array4, ArrayView4, ArrayViewD, ArrayViewMutD, IxDyn, LinalgScalar};
use std::cell::RefCell;
use std::fmt::Debug;
use std::ops::{AddAssign, MulAssign, SubAssign};

/// Activations: `[C, N, H, W]`, standard layout (see the module docs).
pub type Tensor<T> = Array4<T>;

thread_local! {
    // Per-thread scratch for im2col matrices: one allocation per worker thread for the
    // whole process instead of one per convolution call.
    static SCRATCH_F32: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    static SCRATCH_F64: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

/// The scalar of the engine: `f32` (training, checkpoints) or `f64` (reference checks).
pub trait Real:
    LinalgScalar
    + Send
    + Sync
    + Debug
    + PartialOrd
    + AddAssign
    + SubAssign
    + MulAssign
    + Default
    + microkernel::Lanes
{
    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
    /// Run `f` on this thread's scratch buffer of at least `len` elements. Its contents
    /// are unspecified: callers overwrite what they read. `f` must not re-enter.
    fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [Self]) -> R) -> R;
}

impl Real for f32 {
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [Self]) -> R) -> R {
        SCRATCH_F32.with_borrow_mut(|buf| {
            if buf.len() < len {
                buf.resize(len, 0.0);
            }
            f(&mut buf[..len])
        })
    }
}

impl Real for f64 {
    fn from_f64(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [Self]) -> R) -> R {
        SCRATCH_F64.with_borrow_mut(|buf| {
            if buf.len() < len {
                buf.resize(len, 0.0);
            }
            f(&mut buf[..len])
        })
    }
}

/// Training or evaluation behaviour (batch norm statistics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Train,
    Eval,
}

/// A learnable tensor and the gradient of the last backward pass, row-major.
#[derive(Clone, Debug)]
pub struct Param<T> {
    shape: Vec<usize>,
    value: Vec<T>,
    grad: Vec<T>,
    /// Changes with every mutable access to the value (see [`Param::stamp`]).
    stamp: u64,
}

/// The next [`Param::stamp`]: one counter for all parameters, so a stamp names one state
/// of one parameter's value (a clone shares it, and also its value).
static NEXT_STAMP: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn next_stamp() -> u64 {
    NEXT_STAMP.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl<T: Real> Param<T> {
    /// A zero parameter of this shape (zero gradient).
    pub fn zeros(shape: &[usize]) -> Self {
        let n = shape.iter().product();
        Self {
            shape: shape.to_vec(),
            value: vec![T::zero(); n],
            grad: vec![T::zero(); n],
            stamp: next_stamp(),
        }
    }

    /// A parameter filled by `f` in row-major order.
    pub fn from_fn(shape: &[usize], mut f: impl FnMut() -> T) -> Self {
        let mut p = Self::zeros(shape);
        p.value.iter_mut().for_each(|v| *v = f());
        p
    }

    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    pub fn len(&self) -> usize {
        self.value.len()
    }
    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }
    pub fn value(&self) -> &[T] {
        &self.value
    }
    pub fn value_mut(&mut self) -> &mut [T] {
        self.stamp = next_stamp();
        &mut self.value
    }
    /// Names the value's current state: equal stamps mean an unchanged value, so a layer
    /// can keep what it derives from the value (transformed weights) until the stamp
    /// changes. Every mutable access to the value takes a new stamp.
    pub fn stamp(&self) -> u64 {
        self.stamp
    }
    pub fn grad(&self) -> &[T] {
        &self.grad
    }
    pub fn grad_mut(&mut self) -> &mut [T] {
        &mut self.grad
    }
    /// Value and gradient at once (the optimiser reads one and writes the other).
    pub fn value_and_grad_mut(&mut self) -> (&mut [T], &[T]) {
        self.stamp = next_stamp();
        (&mut self.value, &self.grad)
    }
    pub fn view(&self) -> ArrayViewD<'_, T> {
        ArrayViewD::from_shape(IxDyn(&self.shape), &self.value).expect("shape matches length")
    }
    pub fn view_mut(&mut self) -> ArrayViewMutD<'_, T> {
        self.stamp = next_stamp();
        ArrayViewMutD::from_shape(IxDyn(&self.shape), &mut self.value)
            .expect("shape matches length")
    }
    pub fn grad_view(&self) -> ArrayViewD<'_, T> {
        ArrayViewD::from_shape(IxDyn(&self.shape), &self.grad).expect("shape matches length")
    }
}

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

impl ParamRole {
    pub fn name(self) -> &'static str {
        match self {
            Self::Weight => "weight",
            Self::Bias => "bias",
        }
    }
}

/// Optimiser parameter groups, by module type, never by name: a name rule misfiles the
/// `downsample.1` batch norms and never trains the conv weights (see [`summary`]).
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

/// A layer on channel-major 4-D activations.
pub trait Layer<T: Real>: Module<T> {
    /// Compute the output into the layer's own buffer and remember what backward needs.
    fn forward(&mut self, x: &Tensor<T>, mode: Mode) -> &Tensor<T>;
    /// Given the input `x` of the last forward and dL/dy, set every parameter gradient and
    /// return dL/dx.
    fn backward(&mut self, x: &Tensor<T>, dy: &Tensor<T>) -> &Tensor<T>;
    /// The output of the last forward.
    fn output(&self) -> &Tensor<T>;
    /// dL/dx of the last backward.
    fn input_grad(&self) -> &Tensor<T>;
}

/// `prefix.name`, or `name` at the top level.
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

/// Set a bias gradient to the row sums of the output gradient `[C_out, ·]` (summed in f64,
/// so the result does not depend on the batch split): the shared last step of Conv2d and
/// Linear backward.
pub fn bias_grad_from_rows<T: Real>(bias: &mut Param<T>, dy: ndarray::ArrayView2<T>) {
    for (gb, row) in bias.grad_mut().iter_mut().zip(dy.outer_iter()) {
        *gb = T::from_f64(row.iter().map(|v| v.to_f64()).sum());
    }
}

pub fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Make `buf` a zero-initialised array of `shape` unless it already has that shape, in
/// which case its (stale) contents are kept: callers overwrite every element they read.
pub fn ensure_shape<T: Real>(buf: &mut Tensor<T>, shape: [usize; 4]) {
    if buf.shape() != shape {
        *buf = Tensor::zeros(shape);
    }
}

/// PyTorch's `[N, C, H, W]` into channel-major `[C, N, H, W]`, reusing `out`.
pub fn nchw_to_cnhw<T: Real>(x: ArrayView4<'_, T>, out: &mut Tensor<T>) {
    let (n, c, h, w) = x.dim();
    ensure_shape(out, [c, n, h, w]);
    out.assign(&x.permuted_axes([1, 0, 2, 3]));
}

/// Channel-major `[C, N, H, W]` back into PyTorch's `[N, C, H, W]`.
pub fn cnhw_to_nchw<T: Real>(x: &Tensor<T>) -> Tensor<T> {
    x.view()
        .permuted_axes([1, 0, 2, 3])
        .as_standard_layout()
        .into_owned()
}

/// Euclidean norm of a slice, accumulated in f64.
pub fn norm<T: Real>(v: &[T]) -> f64 {
    v.iter().map(|x| x.to_f64().powi(2)).sum::<f64>().sqrt()
}

/// ‖grad‖ of every module (the parameters sharing a name prefix), in visit order: the
/// per-layer gradient norms a trainer plots.
pub fn grad_norms_by_module<T: Real>(m: &mut dyn Module<T>) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = Vec::new();
    m.visit_params("", &mut |p| {
        let sq = norm(p.param.grad()).powi(2);
        match out.last_mut() {
            Some((name, acc)) if name == p.module() => *acc += sq,
            _ => out.push((p.module().to_string(), sq)),
        }
    });
    out.iter_mut().for_each(|(_, s)| *s = s.sqrt());
    out
}

/// ‖value‖ of each parameter group, indexed by [`ParamGroup::index`].
pub fn group_weight_norms<T: Real>(m: &mut dyn Module<T>) -> [f64; 3] {
    let mut sq = [0.0; 3];
    m.visit_params("", &mut |p| {
        sq[p.group().index()] += norm(p.param.value()).powi(2)
    });
    sq.map(f64::sqrt)
}

/// The shape of a tensor as an array.
pub fn dims<T>(t: &Tensor<T>) -> [usize; 4] {
    let (c, n, h, w) = t.dim();
    [c, n, h, w]
}

/// `out ← a + b` (same shapes), in parallel chunks for large tensors.
pub fn add_into<T: Real>(out: &mut Tensor<T>, a: &Tensor<T>, b: &Tensor<T>) {
    use rayon::prelude::*;
    const CHUNK: usize = 1 << 14;
    assert_eq!(a.shape(), b.shape(), "added tensors differ in shape");
    ensure_shape(out, dims(a));
    let o = out.as_slice_mut().expect("standard layout");
    let (a, b) = (a.as_slice().expect("layout"), b.as_slice().expect("layout"));
    let add = |(o, (a, b)): (&mut [T], (&[T], &[T]))| {
        o.iter_mut()
            .zip(a.iter().zip(b))
            .for_each(|(o, (&a, &b))| *o = a + b);
    };
    if o.len() >= 2 * CHUNK {
        o.par_chunks_mut(CHUNK)
            .zip(a.par_chunks(CHUNK).zip(b.par_chunks(CHUNK)))
            .for_each(add);
    } else {
        add((o, (a, b)));
    }
}
