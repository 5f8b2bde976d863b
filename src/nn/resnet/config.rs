//! What ResNet-18 to build: stem, width, classes, batch-norm order, skip connections.

use std::fmt;
use std::str::FromStr;

/// The first layers: `imagenet` is 7×7/2 conv + 3×3/2 max-pool; `cifar` is a 3×3/1 conv.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stem {
    Cifar,
    Imagenet,
}

/// Where batch norm sits relative to the ReLU (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BnOrder {
    /// PyTorch's and the original ResNet's order.
    ConvBnRelu,
    ConvReluBn,
}

impl Stem {
    pub const NAMES: [&'static str; 2] = ["cifar", "imagenet"];
    pub fn name(self) -> &'static str {
        match self {
            Self::Cifar => "cifar",
            Self::Imagenet => "imagenet",
        }
    }
}

impl BnOrder {
    pub const NAMES: [&'static str; 2] = ["conv-bn-relu", "conv-relu-bn"];
    pub fn name(self) -> &'static str {
        match self {
            Self::ConvBnRelu => "conv-bn-relu",
            Self::ConvReluBn => "conv-relu-bn",
        }
    }
}

impl fmt::Display for Stem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for BnOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Stem {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "cifar" => Ok(Self::Cifar),
            "imagenet" => Ok(Self::Imagenet),
            _ => Err(format!(
                "unknown stem '{s}'; accepted: {}",
                Self::NAMES.join(", ")
            )),
        }
    }
}

impl FromStr for BnOrder {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "conv-bn-relu" => Ok(Self::ConvBnRelu),
            "conv-relu-bn" => Ok(Self::ConvReluBn),
            _ => Err(format!(
                "unknown bn order '{s}'; accepted: {}",
                Self::NAMES.join(", ")
            )),
        }
    }
}

/// What to build. `width` is the stem's channel count; the stages have width, 2·width,
/// 4·width and 8·width channels (torchvision's resnet18 is width 64).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ResNetConfig {
    pub stem: Stem,
    pub width: usize,
    pub classes: usize,
    pub bn_order: BnOrder,
    pub skip: bool,
}

impl Default for ResNetConfig {
    /// The trainer's default: CIFAR stem, width 16, 10 classes, PyTorch's order, skips.
    fn default() -> Self {
        Self {
            stem: Stem::Cifar,
            width: 16,
            classes: 10,
            bn_order: BnOrder::ConvBnRelu,
            skip: true,
        }
    }
}
