//! Labelled 3×32×32 colour images for the ResNet trainer: the seeded procedural
//! 10-class set ([`synthetic`], the default; nothing to download) and the CIFAR-10 binary
//! format ([`cifar`]). Each comes as a train and a validation split ([`Data`]), normalised
//! per channel with the training split's statistics, and is read in batches by a
//! [`Loader`]: a seeded shuffle per epoch and optional augmentation (random crop with 4
//! pixels of black padding, horizontal flip), both functions of the step, so a resumed run
//! sees exactly the batches the uninterrupted one would have.

pub mod cifar;
mod loader;
pub mod synthetic;

pub use loader::{Augment, Loader};

use crate::error::UsageError;
use ndarray::Array4;
use rayon::prelude::*;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// Image side in pixels.
pub const SIDE: usize = 32;
/// Values per image: 3 channels of 32×32, channel-major (R plane, G plane, B plane).
pub const PIXELS: usize = 3 * SIDE * SIDE;
/// Classes of both data sets.
pub const CLASSES: usize = 10;

/// Which images: `synthetic` or `cifar10:DIR`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataSpec {
    Synthetic,
    Cifar10(PathBuf),
}

impl FromStr for DataSpec {
    type Err = UsageError;
    fn from_str(s: &str) -> Result<Self, UsageError> {
        match s.split_once(':') {
            None if s == "synthetic" => Ok(Self::Synthetic),
            Some(("cifar10", dir)) if !dir.is_empty() => Ok(Self::Cifar10(PathBuf::from(dir))),
            _ => Err(UsageError(format!(
                "unknown data '{s}'; accepted: synthetic, cifar10:DIR (DIR holding \
                 data_batch_1.bin … data_batch_5.bin and test_batch.bin)"
            ))),
        }
    }
}

impl DataSpec {
    /// The same data with a CIFAR-10 directory made absolute (symlinks resolved), so a
    /// checkpoint's record of it resumes from any working directory; as given when it cannot
    /// be resolved.
    pub fn canonical(&self) -> DataSpec {
        match self {
            Self::Synthetic => Self::Synthetic,
            Self::Cifar10(dir) => {
                Self::Cifar10(std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone()))
            }
        }
    }

    /// Whether two specs name the same data (the same directory, however written).
    pub fn same_as(&self, other: &DataSpec) -> bool {
        self.canonical() == other.canonical()
    }

    /// The files this data is read from (none for the built-in images).
    pub fn files(&self) -> Vec<PathBuf> {
        match self {
            Self::Synthetic => Vec::new(),
            Self::Cifar10(dir) => cifar::TRAIN_FILES
                .iter()
                .chain([&cifar::TEST_FILE])
                .map(|f| dir.join(f))
                .collect(),
        }
    }
}

impl fmt::Display for DataSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Synthetic => f.write_str("synthetic"),
            Self::Cifar10(dir) => write!(f, "cifar10:{}", dir.display()),
        }
    }
}

/// Where a split's images come from.
#[derive(Clone, Debug)]
enum Source {
    /// Generated on demand from the seed: image `i` of a split is a function of (seed, i).
    Synthetic(synthetic::Generator),
    /// Bytes as CIFAR-10 stores them: `PIXELS` per image, channel-major, 0–255.
    Stored { pixels: Vec<u8>, labels: Vec<u8> },
}

/// One split: labelled images, served normalised per channel.
#[derive(Clone, Debug)]
pub struct ImageSet {
    source: Source,
    len: usize,
    mean: [f32; 3],
    std: [f32; 3],
}

impl ImageSet {
    fn synthetic(generator: synthetic::Generator, len: usize) -> Self {
        Self {
            source: Source::Synthetic(generator),
            len,
            mean: [0.0; 3],
            std: [1.0; 3],
        }
    }

    fn stored(pixels: Vec<u8>, labels: Vec<u8>) -> Self {
        debug_assert_eq!(pixels.len(), labels.len() * PIXELS);
        Self {
            len: labels.len(),
            source: Source::Stored { pixels, labels },
            mean: [0.0; 3],
            std: [1.0; 3],
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// The class of image `i`.
    pub fn label(&self, i: usize) -> usize {
        match &self.source {
            Source::Synthetic(g) => g.label(i),
            Source::Stored { labels, .. } => usize::from(labels[i]),
        }
    }

    /// Image `i` before normalisation, values in [0, 1], channel-major.
    pub fn raw_into(&self, i: usize, out: &mut [f32]) {
        match &self.source {
            Source::Synthetic(g) => g.image_into(i, out),
            Source::Stored { pixels, .. } => {
                let src = &pixels[i * PIXELS..(i + 1) * PIXELS];
                out.iter_mut()
                    .zip(src)
                    .for_each(|(o, &p)| *o = f32::from(p) / 255.0);
            }
        }
    }

    /// Per-channel mean and standard deviation of the raw values the set normalises with.
    pub fn normalisation(&self) -> ([f32; 3], [f32; 3]) {
        (self.mean, self.std)
    }

    fn set_normalisation(&mut self, (mean, std): ([f32; 3], [f32; 3])) {
        self.mean = mean;
        self.std = std;
    }

    /// Per-channel mean and standard deviation over the first `max` images (in f64).
    fn channel_stats(&self, max: usize) -> ([f32; 3], [f32; 3]) {
        let n = self.len.min(max);
        let mut sum = [0.0f64; 3];
        let mut sq = [0.0f64; 3];
        let mut img = vec![0.0f32; PIXELS];
        for i in 0..n {
            self.raw_into(i, &mut img);
            for (c, plane) in img.chunks_exact(SIDE * SIDE).enumerate() {
                for &v in plane {
                    sum[c] += f64::from(v);
                    sq[c] += f64::from(v) * f64::from(v);
                }
            }
        }
        let count = (n * SIDE * SIDE).max(1) as f64;
        let mean = sum.map(|s| s / count);
        let std: Vec<f64> = (0..3)
            .map(|c| (sq[c] / count - mean[c] * mean[c]).max(1e-12).sqrt())
            .collect();
        (
            mean.map(|m| m as f32),
            [std[0] as f32, std[1] as f32, std[2] as f32],
        )
    }

    /// Image `i`, augmented by `aug` (crop offset and flip), normalised, into `out`.
    pub fn image_into(&self, i: usize, aug: Augment, out: &mut [f32]) {
        if aug == Augment::NONE {
            self.raw_into(i, out);
        } else {
            let mut raw = [0.0f32; PIXELS];
            self.raw_into(i, &mut raw);
            aug.apply(&raw, out);
        }
        for (c, plane) in out.chunks_exact_mut(SIDE * SIDE).enumerate() {
            let (m, inv) = (self.mean[c], 1.0 / self.std[c]);
            plane.iter_mut().for_each(|v| *v = (*v - m) * inv);
        }
    }

    /// Images `indices` (augmented by `augs`, when given) into `x` `[N, 3, 32, 32]` and their
    /// classes into `labels`, generating in parallel.
    pub fn batch_into(
        &self,
        indices: &[usize],
        augs: Option<&[Augment]>,
        x: &mut Array4<f32>,
        labels: &mut Vec<usize>,
    ) {
        let n = indices.len();
        if x.dim() != (n, 3, SIDE, SIDE) {
            *x = Array4::zeros((n, 3, SIDE, SIDE));
        }
        let flat = x.as_slice_mut().expect("a fresh or standard-layout batch");
        flat.par_chunks_mut(PIXELS)
            .zip(indices.par_iter())
            .enumerate()
            .for_each(|(k, (out, &i))| {
                let aug = augs.map_or(Augment::NONE, |a| a[k]);
                self.image_into(i, aug, out);
            });
        labels.clear();
        labels.extend(indices.iter().map(|&i| self.label(i)));
    }
}

/// A data set's two splits, normalised with the training split's channel statistics.
#[derive(Clone, Debug)]
pub struct Data {
    pub train: ImageSet,
    pub val: ImageSet,
}

/// Images the synthetic set's normalisation is estimated from.
const SYNTHETIC_STATS_IMAGES: usize = 1000;

impl Data {
    /// The seeded procedural set: [`synthetic::TRAIN_LEN`] training and
    /// [`synthetic::VAL_LEN`] validation images, generated on demand.
    pub fn synthetic(seed: u64) -> Self {
        let mut train = ImageSet::synthetic(
            synthetic::Generator::new(seed, synthetic::Split::Train),
            synthetic::TRAIN_LEN,
        );
        let mut val = ImageSet::synthetic(
            synthetic::Generator::new(seed, synthetic::Split::Val),
            synthetic::VAL_LEN,
        );
        let stats = train.channel_stats(SYNTHETIC_STATS_IMAGES);
        train.set_normalisation(stats);
        val.set_normalisation(stats);
        Self { train, val }
    }

    /// CIFAR-10 from its binary files in `dir` (see [`cifar`]); the test batch is the
    /// validation split.
    pub fn cifar10(dir: &std::path::Path) -> Result<Self, UsageError> {
        let (train_px, train_labels) = cifar::read_train(dir)?;
        let (val_px, val_labels) = cifar::read_test(dir)?;
        let mut train = ImageSet::stored(train_px, train_labels);
        let mut val = ImageSet::stored(val_px, val_labels);
        let stats = train.channel_stats(usize::MAX);
        train.set_normalisation(stats);
        val.set_normalisation(stats);
        Ok(Self { train, val })
    }

    /// The data a spec names (`seed` shapes the synthetic set).
    pub fn load(spec: &DataSpec, seed: u64) -> Result<Self, UsageError> {
        match spec {
            DataSpec::Synthetic => Ok(Self::synthetic(seed)),
            DataSpec::Cifar10(dir) => Self::cifar10(dir),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_specs_parse_and_print() {
        assert_eq!(
            "synthetic".parse::<DataSpec>().unwrap(),
            DataSpec::Synthetic
        );
        let c: DataSpec = "cifar10:/d/x".parse().unwrap();
        assert_eq!(c, DataSpec::Cifar10("/d/x".into()));
        assert_eq!(c.to_string(), "cifar10:/d/x");
        for bad in ["", "cifar10", "cifar10:", "mnist:/x", "synthetic:x"] {
            let e = bad.parse::<DataSpec>().unwrap_err();
            assert!(e.0.contains("accepted: synthetic, cifar10:DIR"), "{e}");
        }
    }
}
