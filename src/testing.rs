//! The surface the integration tests (`tests/it/`) drive; not a stable API.
//!
//! Every module of the crate is private to it, so rustc reports what nothing uses. The tests
//! reach the internals they check through this one facade, which mirrors the crate's module
//! tree (`testing::nn::Conv2d` is `crate::nn::Conv2d`) and re-exports exactly the items
//! the tests name: an item that only a test uses is reached here and nowhere else.

/// `crate::demo`, as far as the tests use it.
pub mod demo {
    /// `crate::demo::script`, as far as the tests use it.
    pub mod script {
        pub use crate::demo::script::Script;
    }
}

/// `crate::error`, as far as the tests use it.
pub mod error {
    pub use crate::error::UsageError;
}

/// `crate::labs`, as far as the tests use it.
pub mod labs {
    pub use crate::labs::{Lab, LabId, MapPreset};
    /// `crate::labs::bn`, as far as the tests use it.
    pub mod bn {
        pub use crate::labs::bn::angular_update_theory;
        /// `crate::labs::bn::data`, as far as the tests use it.
        pub mod data {
            pub use crate::labs::bn::data::{Batches, mixture};
        }
        /// `crate::labs::bn::metrics`, as far as the tests use it.
        pub mod metrics {
            pub use crate::labs::bn::metrics::{orthogonality, row_norms, scale_check};
        }
        /// `crate::labs::bn::model`, as far as the tests use it.
        pub mod model {
            pub use crate::labs::bn::model::Net;
        }
        /// `crate::labs::bn::optim`, as far as the tests use it.
        pub mod optim {
            pub use crate::labs::bn::optim::{MomentumSgd, SgdConfig};
        }
    }
    /// `crate::labs::clip`, as far as the tests use it.
    pub mod clip {
        pub use crate::labs::clip::VARIANTS;
        /// `crate::labs::clip::cliff`, as far as the tests use it.
        pub mod cliff {
            pub use crate::labs::clip::cliff::{START, loss, loss_and_grad};
        }
    }
    /// `crate::labs::lstm`, as far as the tests use it.
    pub mod lstm {
        pub use crate::labs::lstm::{DEFAULT_STEPS, FINAL, SOLVED, VARIANTS};
        /// `crate::labs::lstm::memory`, as far as the tests use it.
        pub mod memory {
            pub use crate::labs::lstm::memory::{MemoryLearner, OptimizerKind, batch, model};
        }
    }
    /// `crate::labs::mf`, as far as the tests use it.
    pub mod mf {
        pub use crate::labs::mf::{Config, MfLab, balance, gd_step, loss, synthetic_x};
        /// `crate::labs::mf::input`, as far as the tests use it.
        pub mod input {
            pub use crate::labs::mf::input::{parse_csv, parse_npy};
        }
        /// `crate::labs::mf::plan`, as far as the tests use it.
        pub mod plan {
            pub use crate::labs::mf::plan::budget_steps;
        }
    }
    /// `crate::labs::rnn`, as far as the tests use it.
    pub mod rnn {
        pub use crate::labs::rnn::{
            Activation, Config, Family, Init, Jordan, Operator, RnnLab, jordan_core, jordan_log10,
            propagate,
        };
    }
}

/// `crate::linalg`, as far as the tests use it.
pub mod linalg {
    pub use crate::linalg::{gaussian, singular_values, spectral_norm, svd};
}

/// `crate::nn`, as far as the tests use it.
pub mod nn {
    pub use crate::nn::{
        AdaptiveAvgPool2d, BasicBlock, BatchNorm2d, BnOrder, CellKind, Conv2d, CrossEntropy, Layer,
        Linear, MaxPool2d, Mode, Module, ModuleKind, ParamGroup, ParamRole, Real, Recurrent, Relu,
        ResNet, ResNetConfig, Sgd, Stem, Tensor,
    };
    /// `crate::nn::checkpoint`, as far as the tests use it.
    pub mod checkpoint {
        pub use crate::nn::checkpoint::{
            OwnedTensor, check_resnet_state, floats, infer_resnet_config, ints, load, load_state,
            parse, save, serialize, shape_of, state,
        };
    }
    /// `crate::nn::clip`, as far as the tests use it.
    pub mod clip {
        pub use crate::nn::clip::{
            clip_grad_norm, clip_grad_value, clip_norm, clip_value, grad_norm,
        };
    }
    /// `crate::nn::conv`, as far as the tests use it.
    pub mod conv {
        pub use crate::nn::conv::{ConvAlgo, HalfWidth, RowTiles};
    }
    /// `crate::nn::data`, as far as the tests use it.
    pub mod data {
        pub use crate::nn::data::{Augment, Data, Loader, PIXELS, SIDE};
        /// `crate::nn::data::cifar`, as far as the tests use it.
        pub mod cifar {
            pub use crate::nn::data::cifar::{RECORD, TEST_FILE, TRAIN_FILES};
        }
        /// `crate::nn::data::synthetic`, as far as the tests use it.
        pub mod synthetic {
            pub use crate::nn::data::synthetic::{CLASS_NAMES, TRAIN_LEN, VAL_LEN};
        }
    }
    /// `crate::nn::resnet`, as far as the tests use it.
    pub mod resnet {
        pub use crate::nn::resnet::Downsample;
        /// `crate::nn::resnet::footprint`, as far as the tests use it.
        pub mod footprint {
            pub use crate::nn::resnet::footprint::state_table;
        }
    }
    /// `crate::nn::sequence`, as far as the tests use it.
    pub mod sequence {
        pub use crate::nn::sequence::{SeqModel, Target};
    }
    /// `crate::nn::summary`, as far as the tests use it.
    pub mod summary {
        pub use crate::nn::summary::ModelSummary;
    }
    /// `crate::nn::train`, as far as the tests use it.
    pub mod train {
        /// `crate::nn::train::resume`, as far as the tests use it.
        pub mod resume {
            pub use crate::nn::train::resume::optim_path;
        }
    }
}

/// `crate::parallel`, as far as the tests use it.
pub mod parallel {
    pub use crate::parallel::run_indexed;
}

/// `crate::params`, as far as the tests use it.
pub mod params {
    pub use crate::params::{FromParams, Value};
}

/// `crate::report`, as far as the tests use it.
pub mod report {
    pub use crate::report::Report;
}

/// `crate::rng`, as far as the tests use it.
pub mod rng {
    pub use crate::rng::rng;
}

/// `crate::run`, as far as the tests use it.
pub mod run {
    pub use crate::run::{Quiet, RunSpec, Runner};
}

/// `crate::sweep`, as far as the tests use it.
pub mod sweep {
    pub use crate::sweep::{Estimate, Grid, Shard, SweepPlan, SweepPoint, csv};
}

/// `crate::tui`, as far as the tests use it.
pub mod tui {
    pub use crate::tui::UiEvent;
    /// `crate::tui::action`, as far as the tests use it.
    pub mod action {
        pub use crate::tui::action::Action;
    }
    /// `crate::tui::app`, as far as the tests use it.
    pub mod app {
        pub use crate::tui::app::{App, Effect, Overlay, RunState};
    }
    /// `crate::tui::config`, as far as the tests use it.
    pub mod config {
        pub use crate::tui::config::load;
    }
    /// `crate::tui::fixture`, as far as the tests use it.
    pub mod fixture {
        pub use crate::tui::fixture::finished_app;
    }
    /// `crate::tui::inline`, as far as the tests use it.
    pub mod inline {
        pub use crate::tui::inline::InlineTui;
    }
    /// `crate::tui::keymap`, as far as the tests use it.
    pub mod keymap {
        pub use crate::tui::keymap::{InputMode, map, parse_key};
    }
    /// `crate::tui::panes`, as far as the tests use it.
    pub mod panes {
        pub use crate::tui::panes::{PaneCtx, figure_count, figures};
    }
    /// `crate::tui::playback`, as far as the tests use it.
    pub mod playback {
        pub use crate::tui::playback::{Playback, Tape, quiet};
    }
    /// `crate::tui::raster`, as far as the tests use it.
    pub mod raster {
        /// `crate::tui::raster::png`, as far as the tests use it.
        pub mod png {
            pub use crate::tui::raster::png::of_app;
        }
    }
    /// `crate::tui::share`, as far as the tests use it.
    pub mod share {
        pub use crate::tui::share::commands;
    }
    /// `crate::tui::speed`, as far as the tests use it.
    pub mod speed {
        pub use crate::tui::speed::Speed;
    }
    /// `crate::tui::svg`, as far as the tests use it.
    pub mod svg {
        pub use crate::tui::svg::{Shown, chart_svg, pane_svg_with_seeds};
    }
    /// `crate::tui::theme`, as far as the tests use it.
    pub mod theme {
        pub use crate::tui::theme::{Theme, ThemeName, xterm_rgb};
    }
    /// `crate::tui::update`, as far as the tests use it.
    pub mod update {
        pub use crate::tui::update::{config_problems, on_worker, recording, take_effects, update};
    }
    /// `crate::tui::view`, as far as the tests use it.
    pub mod view {
        pub use crate::tui::view::render;
    }
    /// `crate::tui::widgets`, as far as the tests use it.
    pub mod widgets {
        pub use crate::tui::widgets::Figure;
        /// `crate::tui::widgets::chart`, as far as the tests use it.
        pub mod chart {
            pub use crate::tui::widgets::chart::{Axis, Chart, Series};
        }
    }
    /// `crate::tui::worker`, as far as the tests use it.
    pub mod worker {
        pub use crate::tui::worker::{Command, Progress, WorkerCore, WorkerEvent};
    }
}
