//! Everything the command line does without a terminal: `labs`, `run`, `sweep`, `resnet`,
//! `grad` and `bench`. Data goes to stdout; diagnostics and progress to stderr.

pub mod bench;
pub mod grad_cmd;
pub mod labs_cmd;
pub mod resnet_cmd;
pub mod run;
pub mod sweep_cmd;

pub use bench::{LabSpeed, RenderTiming, labs_bench, render_bench};
