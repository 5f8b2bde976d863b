//! The integration tests, as one test binary (one link instead of one per file): each module
//! is a former `tests/<name>.rs`, driving the library through its public API or the built
//! `gradscope` binary. Shared helpers live in `tests/common`. Snapshots of the TUI are in
//! `tests/it/snapshots` (`it__tui__<name>.snap`).

#[path = "../common/mod.rs"]
mod common;

mod bn_theory;
mod charts;
mod cli;
mod cli_grad;
mod cli_reliability;
mod clip_lab;
mod corpus;
mod demo;
mod lab_maps;
mod lstm_lab;
mod mf_theory;
mod module_cycles;
mod nn_batchnorm_stats;
mod nn_checkpoint;
mod nn_conv_algos;
mod nn_conv_kernels;
mod nn_layers;
mod nn_recurrent;
mod nn_resnet_fixture;
mod nn_summary;
mod reader_props;
mod resnet_data;
mod resnet_torch;
mod resnet_train;
mod rnn_theory;
mod slides;
mod sweep_map;
mod tui;
mod tui_sweep;
