//! The bn lab's data: a seeded Gaussian mixture (one unit-norm centre per class, isotropic
//! noise around it) split into a training and a validation set, and the minibatch order
//! (reshuffled every epoch, the last incomplete batch dropped, as PyTorch's
//! `DataLoader(shuffle=True, drop_last=True)` does).

use crate::rng::LabRng;
use ndarray::{Array2, ArrayView2, Axis, Slice};
use rand::RngExt;
use rand::seq::SliceRandom;
use rand_distr::StandardNormal;

/// Examples in the training set.
pub const N_TRAIN: usize = 1024;
/// Examples in the validation set.
pub const N_VAL: usize = 512;

/// Inputs (one example per row) and their class labels.
#[derive(Clone, Debug)]
pub struct Examples {
    pub x: Array2<f64>,
    pub y: Vec<usize>,
}

impl Examples {
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// Copy the examples `idx` into `x` (rows) and `y`.
    pub fn gather(&self, idx: &[usize], x: &mut Array2<f64>, y: &mut Vec<usize>) {
        y.clear();
        for (r, &i) in idx.iter().enumerate() {
            x.row_mut(r).assign(&self.x.row(i));
            y.push(self.y[i]);
        }
    }

    /// The first `n` examples (a fixed probe batch).
    pub fn head(&self, n: usize) -> (ArrayView2<'_, f64>, &[usize]) {
        let n = n.min(self.len());
        (self.x.slice_axis(Axis(0), Slice::from(..n)), &self.y[..n])
    }
}

/// The train and validation sets of one seed: `classes` centres drawn uniformly on the unit
/// sphere of R^dim; an example of class c is centre_c + noise·N(0, I). Classes take turns,
/// so every class has the same number of examples (±1).
pub fn mixture(dim: usize, classes: usize, noise: f64, rng: &mut LabRng) -> (Examples, Examples) {
    let centres: Vec<Vec<f64>> = (0..classes)
        .map(|_| {
            let v: Vec<f64> = (0..dim).map(|_| rng.sample(StandardNormal)).collect();
            let n = v
                .iter()
                .map(|a| a * a)
                .sum::<f64>()
                .sqrt()
                .max(f64::MIN_POSITIVE);
            v.into_iter().map(|a| a / n).collect()
        })
        .collect();
    let mut draw = |n: usize| {
        let y: Vec<usize> = (0..n).map(|i| i % classes).collect();
        let x = Array2::from_shape_fn((n, dim), |(i, j)| {
            centres[y[i]][j] + noise * rng.sample::<f64, _>(StandardNormal)
        });
        Examples { x, y }
    };
    let train = draw(N_TRAIN);
    let val = draw(N_VAL);
    (train, val)
}

/// Minibatch indices: a fresh permutation of the training set every epoch, taken `batch`
/// at a time; the tail shorter than a batch is dropped.
#[derive(Clone, Debug)]
pub struct Batches {
    order: Vec<usize>,
    next: usize,
    batch: usize,
    rng: LabRng,
}

impl Batches {
    pub fn new(n: usize, batch: usize, rng: LabRng) -> Self {
        Self {
            order: (0..n).collect(),
            // Shuffle on the first call.
            next: n,
            batch: batch.min(n),
            rng,
        }
    }

    /// The indices of the next minibatch.
    pub fn next_batch(&mut self) -> &[usize] {
        if self.next + self.batch > self.order.len() {
            self.order.shuffle(&mut self.rng);
            self.next = 0;
        }
        let at = self.next;
        self.next += self.batch;
        &self.order[at..at + self.batch]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::rng;

    #[test]
    fn the_mixture_is_balanced_and_seeded() {
        let (train, val) = mixture(5, 3, 0.5, &mut rng(1, 0));
        assert_eq!((train.len(), val.len()), (N_TRAIN, N_VAL));
        let count = |c| train.y.iter().filter(|y| **y == c).count();
        assert!((count(0) as i64 - count(2) as i64).abs() <= 1);
        let (again, _) = mixture(5, 3, 0.5, &mut rng(1, 0));
        assert_eq!(train.x, again.x);
    }

    #[test]
    fn epochs_visit_every_example_once_and_drop_the_tail() {
        let mut b = Batches::new(10, 3, rng(0, 2));
        let mut seen: Vec<usize> = (0..3).flat_map(|_| b.next_batch().to_vec()).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 9, "three batches of an epoch are distinct");
        assert_eq!(b.next_batch().len(), 3, "the tail of one is dropped");
    }
}
