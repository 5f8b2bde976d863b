//! gradscope: a terminal laboratory for the gradient dynamics of deep networks.
//!
//! The crate's layers, data flow and invariants are described in ARCHITECTURE.md at the
//! repository's root ("Layers"):
//! - [`labs`]: pure numeric simulations behind one [`labs::Lab`] trait, each described by a
//!   [`labs::LabDescriptor`] and producing a [`report::Report`];
//! - [`run`]: a [`run::RunSpec`] says what to run; a [`run::Runner`] owns the one step loop;
//! - [`params`]: parameter specs and validation shared by the CLI, the TUI and sweeps;
//! - [`headless`] and [`sweep`]: the command line without a terminal;
//! - [`tui`]: the interactive terminal UI (keymap → action → update → render, with the lab
//!   on a worker behind a driver seam);
//! - [`linalg`]: spectral norms, SVD and random orthogonal matrices over faer;
//! - [`nn`]: the f32 layer engine, ResNet-18, SGD and safetensors checkpoints (PyTorch parity);
//! - leaf modules every other may use: [`rng`], [`io`], [`fmt`], [`lab_id`], [`error`].

pub mod cli;
pub mod clock;
pub mod demo;
pub mod error;
pub mod fmt;
pub mod headless;
pub mod io;
pub mod lab_id;
pub mod labs;
pub mod linalg;
pub mod nn;
pub mod parallel;
pub mod params;
#[cfg(test)]
mod plugin_tests;
pub mod report;
pub mod rng;
pub mod run;
pub mod seeds;
pub mod sweep;
pub mod tui;
