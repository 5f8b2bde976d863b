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
pub mod kernels;
mod layer;
pub mod linear;
pub mod loss;
mod module;
pub mod optim;
mod param;
pub mod pool;
pub mod profile;
mod real;
pub mod recurrent;
pub mod resnet;
pub mod sequence;
pub mod summary;
pub mod train;

pub use activation::Relu;
pub use batchnorm::BatchNorm2d;
pub use conv::Conv2d;
pub use layer::{
    Layer, Mode, Tensor, add_into, bias_grad_from_rows, cnhw_to_nchw, dims, ensure_shape,
    nchw_to_cnhw,
};
pub use linear::Linear;
pub use loss::{CrossEntropy, LossOutput};
pub use module::{
    BufferRef, Module, ModuleKind, ParamGroup, ParamRef, ParamRole, join, norm,
    visit_weight_and_bias,
};
pub use optim::{Adam, Sgd};
pub use param::Param;
pub use pool::{AdaptiveAvgPool2d, MaxPool2d};
pub use real::Real;
pub use recurrent::{CellKind, Recurrent};
pub use resnet::{BasicBlock, BnOrder, ResNet, ResNetConfig, Stem};
