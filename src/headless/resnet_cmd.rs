//! `gradscope resnet summary`: the ResNet-18 parameter table; `resnet train`
//! lives in [`super::resnet_train`].

use crate::cli::{ListFormat, ResnetArgs, ResnetCommand, ResnetSummaryArgs, StemArg};
use crate::io::emit;
use crate::nn::summary::ModelSummary;
use crate::nn::{ResNetConfig, Stem};
use anyhow::Result;

/// Run a `resnet` subcommand; the exit code on success (130 for an interrupted training).
pub fn resnet(args: ResnetArgs) -> Result<u8> {
    match args.command {
        ResnetCommand::Summary(a) => summary(a).map(|()| 0),
        ResnetCommand::Train(a) => super::resnet_train::train(a),
    }
}

fn summary(args: ResnetSummaryArgs) -> Result<()> {
    let stem = match args.stem {
        StemArg::Cifar => Stem::Cifar,
        StemArg::Imagenet => Stem::Imagenet,
    };
    // clap bounds width and classes, so these fit in usize.
    let config = ResNetConfig {
        stem,
        width: args.width as usize,
        classes: args.classes as usize,
        ..ResNetConfig::default()
    };
    let s = ModelSummary::of(config);
    let text = match args.format {
        ListFormat::Json => s.to_json() + "\n",
        ListFormat::Table => s.to_table(),
    };
    emit(None, text.as_bytes())
}
