//! Demos for lectures: a `.tape`-like script ([`script`]) played through the real
//! keymap and update, live in the terminal or headless with a virtual clock ([`player`]), and
//! recorded as asciicast v2 ([`cast`]) from exactly the bytes the app writes ([`terminal`]).

pub mod cast;
pub mod player;
pub mod script;
pub mod terminal;
