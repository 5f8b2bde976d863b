//! The built-in data set: ten classes of procedural 32×32 colour images, generated from the
//! seed — five shapes (disk, square, triangle, ring, cross) at a random position, size and
//! rotation, and five textures (horizontal, vertical and diagonal stripes, a checkerboard,
//! polka dots) at a random period and phase. Foreground and background colours are random
//! (so colour says nothing about the class), edges are anti-aliased, and every image gets
//! Gaussian pixel noise of a random strength.
//!
//! Image `i` of a split is a function of (seed, split, i) alone, so the set needs no storage
//! and any image can be produced in any order; its class is `i mod 10`, so every run of ten
//! consecutive indices holds each class once (the splits are exactly balanced).

use super::{PIXELS, SIDE};
use crate::rng::{LabRng, rng};
use rand::RngExt;
use rand_distr::StandardNormal;
use std::f32::consts::{PI, TAU};

/// Images in the training split (CIFAR-10's count).
pub const TRAIN_LEN: usize = 50_000;
/// Images in the validation split.
pub const VAL_LEN: usize = 2_000;

/// The class names, by label.
pub const CLASS_NAMES: [&str; 10] = [
    "disk",
    "square",
    "triangle",
    "ring",
    "cross",
    "h-stripes",
    "v-stripes",
    "diagonal",
    "checker",
    "dots",
];

/// The two splits draw from disjoint random streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    Train,
    Val,
}

impl Split {
    fn stream(self) -> u64 {
        match self {
            Split::Train => 0x1_0000_0000,
            Split::Val => 0x2_0000_0000,
        }
    }
}

/// Draws the images of one split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Generator {
    seed: u64,
    split: Split,
}

/// The strongest pixel noise (standard deviation, on values in [0, 1]).
const MAX_NOISE: f32 = 0.08;
/// The least RGB distance between foreground and background colours.
const MIN_CONTRAST: f32 = 0.5;

/// What one image shows, in pixel units (pixel centres at `x + 0.5`).
#[derive(Clone, Copy, Debug)]
enum Pattern {
    Disk {
        cx: f32,
        cy: f32,
        r: f32,
    },
    /// A square of half-side `h`, rotated by the angle with this cosine and sine.
    Square {
        cx: f32,
        cy: f32,
        h: f32,
        c: f32,
        s: f32,
    },
    /// An equilateral triangle of circumradius `r`, rotated.
    Triangle {
        cx: f32,
        cy: f32,
        r: f32,
        c: f32,
        s: f32,
    },
    Ring {
        cx: f32,
        cy: f32,
        r: f32,
        half_t: f32,
    },
    /// A plus sign of arm length `l` and half-thickness `t`, rotated.
    Cross {
        cx: f32,
        cy: f32,
        l: f32,
        t: f32,
        c: f32,
        s: f32,
    },
    /// Square-wave stripes along the unit direction (dx, dy), period `p`, phase `phi`.
    Stripes {
        dx: f32,
        dy: f32,
        p: f32,
        phi: f32,
    },
    Checker {
        cell: f32,
        px: f32,
        py: f32,
    },
    Dots {
        spacing: f32,
        r: f32,
        ox: f32,
        oy: f32,
    },
}

/// Coverage of a pixel by a shape whose signed distance (negative inside) is `d`: a one-pixel
/// linear ramp, so edges are anti-aliased.
fn cover(d: f32) -> f32 {
    (0.5 - d).clamp(0.0, 1.0)
}

/// A square wave from a sine, with edges about a pixel wide for period `p`.
fn wave(sine: f32, p: f32) -> f32 {
    (0.5 + sine * p / 3.0).clamp(0.0, 1.0)
}

impl Pattern {
    fn draw(class: usize, r: &mut LabRng) -> Pattern {
        let side = SIDE as f32;
        // A centre that keeps a shape of extent `e` inside the image.
        let centre = |r: &mut LabRng, e: f32| {
            let lo = (e + 1.0).min(side / 2.0);
            (
                r.random_range(lo..=side - lo),
                r.random_range(lo..=side - lo),
            )
        };
        let angle = |r: &mut LabRng| {
            let a: f32 = r.random_range(0.0..TAU);
            (a.cos(), a.sin())
        };
        match class {
            0 => {
                let rad = r.random_range(6.5..12.0);
                let (cx, cy) = centre(r, rad);
                Pattern::Disk { cx, cy, r: rad }
            }
            1 => {
                let h = r.random_range(5.5..9.5);
                let (cx, cy) = centre(r, h * std::f32::consts::SQRT_2);
                let (c, s) = angle(r);
                Pattern::Square { cx, cy, h, c, s }
            }
            2 => {
                let rad = r.random_range(8.5..14.0);
                let (cx, cy) = centre(r, rad);
                let (c, s) = angle(r);
                Pattern::Triangle {
                    cx,
                    cy,
                    r: rad,
                    c,
                    s,
                }
            }
            3 => {
                let rad = r.random_range(6.0..11.0);
                let half_t = r.random_range(1.0..2.0);
                let (cx, cy) = centre(r, rad + half_t);
                Pattern::Ring {
                    cx,
                    cy,
                    r: rad,
                    half_t,
                }
            }
            4 => {
                let l = r.random_range(6.0..11.0);
                let t = r.random_range(1.3..2.5);
                let (cx, cy) = centre(r, l);
                let (c, s) = angle(r);
                Pattern::Cross { cx, cy, l, t, c, s }
            }
            5..=7 => {
                // Horizontal stripes vary along y, vertical along x, diagonal along x ± y.
                let (dx, dy) = match class {
                    5 => (0.0, 1.0),
                    6 => (1.0, 0.0),
                    _ => {
                        let sign = if r.random_bool(0.5) { 1.0 } else { -1.0 };
                        (
                            std::f32::consts::FRAC_1_SQRT_2,
                            sign * std::f32::consts::FRAC_1_SQRT_2,
                        )
                    }
                };
                Pattern::Stripes {
                    dx,
                    dy,
                    p: r.random_range(4.0..10.0),
                    phi: r.random_range(0.0..TAU),
                }
            }
            8 => Pattern::Checker {
                cell: r.random_range(3.0..7.0),
                px: r.random_range(0.0..TAU),
                py: r.random_range(0.0..TAU),
            },
            _ => {
                let spacing = r.random_range(6.0..10.0);
                Pattern::Dots {
                    spacing,
                    r: r.random_range(1.3..0.3 * spacing),
                    ox: r.random_range(0.0..spacing),
                    oy: r.random_range(0.0..spacing),
                }
            }
        }
    }

    /// How much of the pixel centred at (u, v) the foreground covers, in [0, 1].
    fn coverage(&self, u: f32, v: f32) -> f32 {
        // Coordinates relative to a centre, rotated by −angle.
        let local = |cx: f32, cy: f32, c: f32, s: f32| {
            let (x, y) = (u - cx, v - cy);
            (c * x + s * y, -s * x + c * y)
        };
        match *self {
            Pattern::Disk { cx, cy, r } => cover((u - cx).hypot(v - cy) - r),
            Pattern::Square { cx, cy, h, c, s } => {
                let (x, y) = local(cx, cy, c, s);
                cover(x.abs().max(y.abs()) - h)
            }
            Pattern::Triangle { cx, cy, r, c, s } => {
                let (x, y) = local(cx, cy, c, s);
                // Edges at distance r/2 (the inradius) with outward normals 120° apart.
                let d = (0..3)
                    .map(|k| {
                        let a = PI / 2.0 + TAU * k as f32 / 3.0;
                        x * a.cos() + y * a.sin()
                    })
                    .fold(f32::NEG_INFINITY, f32::max);
                cover(d - r / 2.0)
            }
            Pattern::Ring { cx, cy, r, half_t } => {
                cover(((u - cx).hypot(v - cy) - r).abs() - half_t)
            }
            Pattern::Cross { cx, cy, l, t, c, s } => {
                let (x, y) = local(cx, cy, c, s);
                let bar = |a: f32, b: f32| (a.abs() - t).max(b.abs() - l);
                cover(bar(x, y).min(bar(y, x)))
            }
            Pattern::Stripes { dx, dy, p, phi } => {
                wave((TAU * (u * dx + v * dy) / p + phi).sin(), p)
            }
            Pattern::Checker { cell, px, py } => {
                // Two square waves combined by exclusive or: squares of side `cell`.
                let a = wave((PI * u / cell + px).sin(), 2.0 * cell);
                let b = wave((PI * v / cell + py).sin(), 2.0 * cell);
                a * (1.0 - b) + (1.0 - a) * b
            }
            Pattern::Dots { spacing, r, ox, oy } => {
                let near = |w: f32, o: f32| {
                    let f = (w - o).rem_euclid(spacing);
                    f.min(spacing - f)
                };
                cover(near(u, ox).hypot(near(v, oy)) - r)
            }
        }
    }
}

/// Two random colours at least [`MIN_CONTRAST`] apart (foreground, background).
fn colours(r: &mut LabRng) -> ([f32; 3], [f32; 3]) {
    let mut draw = || -> [f32; 3] { [r.random(), r.random(), r.random()] };
    let fg = draw();
    let mut bg = draw();
    for _ in 0..32 {
        let d2: f32 = fg.iter().zip(&bg).map(|(a, b)| (a - b) * (a - b)).sum();
        if d2 >= MIN_CONTRAST * MIN_CONTRAST {
            break;
        }
        bg = draw();
    }
    (fg, bg)
}

impl Generator {
    pub fn new(seed: u64, split: Split) -> Self {
        Self { seed, split }
    }

    /// The class of image `i`.
    pub fn label(&self, i: usize) -> usize {
        i % CLASS_NAMES.len()
    }

    /// Image `i`, values in [0, 1], channel-major `[3, 32, 32]`.
    pub fn image_into(&self, i: usize, out: &mut [f32]) {
        assert_eq!(out.len(), PIXELS);
        let mut r = rng(self.seed, self.split.stream() + i as u64);
        let pattern = Pattern::draw(self.label(i), &mut r);
        let (fg, bg) = colours(&mut r);
        let noise = r.random_range(0.0..MAX_NOISE);
        let plane = SIDE * SIDE;
        for y in 0..SIDE {
            for x in 0..SIDE {
                let m = pattern.coverage(x as f32 + 0.5, y as f32 + 0.5);
                for c in 0..3 {
                    let n: f32 = r.sample(StandardNormal);
                    let v = bg[c] + (fg[c] - bg[c]) * m + noise * n;
                    out[c * plane + y * SIDE + x] = v.clamp(0.0, 1.0);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_functions_of_seed_split_and_index() {
        let mut a = vec![0.0; PIXELS];
        let mut b = vec![0.0; PIXELS];
        let g = Generator::new(5, Split::Train);
        g.image_into(17, &mut a);
        Generator::new(5, Split::Train).image_into(17, &mut b);
        assert_eq!(a, b);
        Generator::new(5, Split::Val).image_into(17, &mut b);
        assert_ne!(a, b, "the splits differ");
        Generator::new(6, Split::Train).image_into(17, &mut b);
        assert_ne!(a, b, "the seeds differ");
        assert!(a.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn every_class_draws_a_foreground() {
        // Without noise the image takes both colours: the pattern covers some pixels and
        // leaves others.
        let mut r = rng(1, 2);
        for class in 0..10 {
            for _ in 0..20 {
                let p = Pattern::draw(class, &mut r);
                let cov: Vec<f32> = (0..SIDE * SIDE)
                    .map(|k| p.coverage((k % SIDE) as f32 + 0.5, (k / SIDE) as f32 + 0.5))
                    .collect();
                let inside = cov.iter().filter(|&&c| c > 0.99).count();
                let outside = cov.iter().filter(|&&c| c < 0.01).count();
                assert!(
                    inside >= 8 && outside >= 64,
                    "{class}: {p:?} {inside} {outside}"
                );
            }
        }
    }
}
