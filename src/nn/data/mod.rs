//! Labelled 3×32×32 colour images for the ResNet trainer (DESIGN §5): the seeded procedural
//! 10-class set ([`synthetic`], the default; nothing to download) and the CIFAR-10 binary
//! format ([`cifar`]). Each comes as a train and a validation split ([`Data`]), normalised
//! per channel with the training split's statistics, and is read in batches by a
//! [`Loader`]: a seeded shuffle per epoch and optional augmentation (random crop with 4
//! pixels of black padding, horizontal flip), both functions of the step, so a resumed run
//! sees exactly the batches the uninterrupted one would have.

pub mod cifar;
pub mod synthetic;

use crate::error::UsageError;
use crate::rng::rng;
use ndarray::Array4;
use rand::RngExt;
use rand::seq::SliceRandom;
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
/// Padding of the random crop (torchvision's `RandomCrop(32, padding=4)`).
pub const CROP_PAD: i32 = 4;

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

    pub fn is_empty(&self) -> bool {
        self.len == 0
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

/// The augmentation of one image: shift the 32×32 window by (dx, dy) within the image
/// padded by [`CROP_PAD`] black pixels, then mirror it horizontally if `flip`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Augment {
    pub dx: i32,
    pub dy: i32,
    pub flip: bool,
}

impl Augment {
    pub const NONE: Augment = Augment {
        dx: 0,
        dy: 0,
        flip: false,
    };

    /// Uniform crop offsets in [−pad, pad] and a fair coin for the flip.
    pub fn random(rng: &mut impl rand::Rng) -> Self {
        Self {
            dx: rng.random_range(-CROP_PAD..=CROP_PAD),
            dy: rng.random_range(-CROP_PAD..=CROP_PAD),
            flip: rng.random_bool(0.5),
        }
    }

    /// `out[c][y][x] = raw[c][y+dy][x'+dx]` with x' = 31 − x when flipped, black outside.
    pub fn apply(self, raw: &[f32], out: &mut [f32]) {
        let s = SIDE as i32;
        for c in 0..3 {
            let (src, dst) = (
                &raw[c * SIDE * SIDE..(c + 1) * SIDE * SIDE],
                &mut out[c * SIDE * SIDE..(c + 1) * SIDE * SIDE],
            );
            for y in 0..s {
                let sy = y + self.dy;
                for x in 0..s {
                    let xc = if self.flip { s - 1 - x } else { x };
                    let sx = xc + self.dx;
                    dst[(y * s + x) as usize] = if (0..s).contains(&sy) && (0..s).contains(&sx) {
                        src[(sy * s + sx) as usize]
                    } else {
                        0.0
                    };
                }
            }
        }
    }
}

/// A data set's two splits, normalised with the training split's channel statistics.
#[derive(Clone, Debug)]
pub struct Data {
    pub spec: DataSpec,
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
        Self {
            spec: DataSpec::Synthetic,
            train,
            val,
        }
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
        Ok(Self {
            spec: DataSpec::Cifar10(dir.to_path_buf()),
            train,
            val,
        })
    }

    /// The data a spec names (`seed` shapes the synthetic set).
    pub fn load(spec: &DataSpec, seed: u64) -> Result<Self, UsageError> {
        match spec {
            DataSpec::Synthetic => Ok(Self::synthetic(seed)),
            DataSpec::Cifar10(dir) => Self::cifar10(dir),
        }
    }
}

/// The random streams of the loader (see [`crate::rng::rng`]).
const SHUFFLE_STREAM: u64 = 0x5_0000_0000;
const AUGMENT_STREAM: u64 = 0x6_0000_0000;

/// Training batches: the epochs' seeded shuffles laid end to end, batch `s` taking positions
/// `s·B … s·B + B − 1` of that stream (so batches run across epoch ends), and each batch's
/// augmentation drawn from a stream of its own. Everything is a function of (seed, step).
#[derive(Clone, Debug)]
pub struct Loader {
    seed: u64,
    batch: usize,
    augment: bool,
    epoch: Option<(u64, Vec<u32>)>,
    indices: Vec<usize>,
    augs: Vec<Augment>,
}

impl Loader {
    pub fn new(seed: u64, batch: usize, augment: bool) -> Self {
        assert!(batch > 0, "batches hold at least one image");
        Self {
            seed,
            batch,
            augment,
            epoch: None,
            indices: Vec::with_capacity(batch),
            augs: Vec::with_capacity(batch),
        }
    }

    pub fn batch_size(&self) -> usize {
        self.batch
    }

    /// The order of epoch `e` over `len` images.
    fn permutation(&self, e: u64, len: usize) -> Vec<u32> {
        let mut p: Vec<u32> = (0..len as u32).collect();
        p.shuffle(&mut rng(self.seed, SHUFFLE_STREAM + e));
        p
    }

    /// The dataset indices of batch `step` over a set of `len` images.
    pub fn indices(&mut self, step: u64, len: usize) -> &[usize] {
        self.indices.clear();
        let start = step * self.batch as u64;
        for pos in start..start + self.batch as u64 {
            let (e, k) = (pos / len as u64, (pos % len as u64) as usize);
            if self.epoch.as_ref().is_none_or(|(cur, _)| *cur != e) {
                self.epoch = Some((e, self.permutation(e, len)));
            }
            let perm = &self.epoch.as_ref().expect("set above").1;
            self.indices.push(perm[k] as usize);
        }
        &self.indices
    }

    /// Batch `step` of `set` into `x` and `labels`.
    pub fn load(
        &mut self,
        set: &ImageSet,
        step: u64,
        x: &mut Array4<f32>,
        labels: &mut Vec<usize>,
    ) {
        self.indices(step, set.len());
        self.augs.clear();
        if self.augment {
            let mut r = rng(self.seed, AUGMENT_STREAM + step);
            self.augs
                .extend((0..self.batch).map(|_| Augment::random(&mut r)));
        }
        let augs = self.augment.then_some(self.augs.as_slice());
        set.batch_into(&self.indices, augs, x, labels);
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

    #[test]
    fn epochs_are_permutations_and_batches_cross_their_ends() {
        let mut l = Loader::new(3, 4, false);
        let len = 10;
        // Steps 0..5 cover positions 0..20: two whole epochs.
        let seen: Vec<usize> = (0..5).flat_map(|s| l.indices(s, len).to_vec()).collect();
        for epoch in seen.chunks(len) {
            let mut e = epoch.to_vec();
            e.sort_unstable();
            assert_eq!(e, (0..len).collect::<Vec<_>>());
        }
        assert_ne!(seen[..len], seen[len..], "each epoch has its own order");
        // A fresh loader gives the same batch for the same step (resuming).
        let mut fresh = Loader::new(3, 4, false);
        assert_eq!(fresh.indices(3, len), &seen[12..16]);
    }

    #[test]
    fn crop_and_flip_move_pixels_where_torchvision_would() {
        let raw: Vec<f32> = (0..PIXELS).map(|i| i as f32).collect();
        let mut out = vec![0.0; PIXELS];
        let at = |c: usize, y: usize, x: usize| c * SIDE * SIDE + y * SIDE + x;
        Augment {
            dx: 2,
            dy: -1,
            flip: false,
        }
        .apply(&raw, &mut out);
        assert_eq!(out[at(1, 5, 7)], raw[at(1, 4, 9)]);
        assert_eq!(out[at(0, 0, 3)], 0.0, "row −1 is padding");
        assert_eq!(out[at(2, 10, 30)], 0.0, "column 32 is padding");
        Augment {
            dx: 0,
            dy: 0,
            flip: true,
        }
        .apply(&raw, &mut out);
        assert_eq!(out[at(2, 3, 0)], raw[at(2, 3, 31)]);
        assert_eq!(out[at(0, 9, 10)], raw[at(0, 9, 21)]);
    }
}
