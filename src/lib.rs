//! gradscope: a terminal laboratory for the gradient dynamics of deep networks.
//!
//! The crate is organised as DESIGN.md §1 lays out:
//! - [`labs`]: pure numeric simulations behind one [`labs::Lab`] trait, each producing a
//!   [`report::Report`];
//! - [`params`]: parameter specs and validation shared by the CLI, the TUI and sweeps;
//! - [`headless`] and [`sweep`]: the command line without a terminal;
//! - [`tui`]: the interactive terminal UI (keymap → action → update → render, with the lab
//!   on a worker thread);
//! - [`linalg`]: spectral norms, SVD and random orthogonal matrices over faer;
//! - [`nn`]: the f32 layer engine, ResNet-18, SGD and safetensors checkpoints (PyTorch parity).

pub mod cli;
pub mod error;
pub mod fmt;
pub mod headless;
pub mod io;
pub mod labs;
pub mod linalg;
pub mod nn;
pub mod params;
pub mod report;
pub mod rng;
pub mod sweep;
pub mod tui;
