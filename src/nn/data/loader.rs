//! Training batches from an [`ImageSet`]: each epoch a seeded shuffle, batches taken from the
//! epochs laid end to end, and optional augmentation (random crop with 4 pixels of black
//! padding, horizontal flip) — all functions of (seed, step), so a resumed run sees exactly
//! the batches the uninterrupted one would have.

use super::{ImageSet, SIDE};
use crate::rng::rng;
use ndarray::Array4;
use rand::RngExt;
use rand::seq::SliceRandom;

/// Padding of the random crop (torchvision's `RandomCrop(32, padding=4)`).
pub const CROP_PAD: i32 = 4;

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

    /// The order of epoch `e` over `len` images.
    fn permutation(&self, e: u64, len: usize) -> Vec<u32> {
        let mut p: Vec<u32> = (0..len as u32).collect();
        p.shuffle(&mut rng(self.seed, SHUFFLE_STREAM + e));
        p
    }

    /// The dataset indices of batch `step` over a set of `len` images.
    pub fn indices(&mut self, step: u64, len: usize) -> &[usize] {
        self.indices.clear();
        if len == 0 {
            return &self.indices;
        }
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
    use crate::nn::data::PIXELS;

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
