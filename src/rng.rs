//! The random generator of every lab and of the nn engine's initialisation, and the seeding
//! of independent streams. A leaf module: it uses nothing of the app.

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

/// A portable, reproducible generator: a fixed algorithm (unlike `StdRng`), so the same seed
/// gives the same run on every platform and rand version.
pub type LabRng = Xoshiro256PlusPlus;

/// A generator seeded from the run's seed and a stream number, so separate random draws of
/// one run (init, data, probes) do not shift when one of them changes size.
pub fn rng(seed: u64, stream: u64) -> LabRng {
    LabRng::seed_from_u64(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}
