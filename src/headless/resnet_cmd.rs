//! `gradscope resnet summary`: the ResNet-18 parameter table (DESIGN §5).

use crate::cli::{ListFormat, ResnetArgs, ResnetCommand, ResnetSummaryArgs, StemArg};
use crate::io::emit;
use crate::nn::summary::Summary;
use crate::nn::{ResNetConfig, Stem};
use anyhow::Result;

pub fn resnet(args: ResnetArgs) -> Result<()> {
    match args.command {
        ResnetCommand::Summary(a) => summary(a),
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
    let s = Summary::of(config);
    let text = match args.format {
        ListFormat::Json => s.to_json() + "\n",
        ListFormat::Table => s.to_table(),
    };
    emit(None, text.as_bytes())
}
