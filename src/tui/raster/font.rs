//! The embedded font: X11's misc-fixed 9x18 (public domain), cut to the blocks the TUI
//! draws (assets/fonts/fixed-9x18.hex, made by assets/fonts/subset.py). Each glyph is a
//! whole 9×18 cell, so box-drawing lines, blocks and braille dots meet their neighbours
//! exactly as in a terminal.

use std::collections::HashMap;
use std::sync::OnceLock;

/// A cell's width and height in pixels.
pub const CELL_W: usize = 9;
pub const CELL_H: usize = 18;

/// One glyph: a row of bits per pixel row, the leftmost pixel in the top bit.
pub type Glyph = [u16; CELL_H];

const HEX: &str = include_str!("../../../assets/fonts/fixed-9x18.hex");

fn table() -> &'static HashMap<char, Glyph> {
    static TABLE: OnceLock<HashMap<char, Glyph>> = OnceLock::new();
    TABLE.get_or_init(|| HEX.lines().filter_map(parse_line).collect())
}

/// `XXXX:` then 18 rows of four hex digits.
fn parse_line(line: &str) -> Option<(char, Glyph)> {
    let (code, rows) = line.split_once(':')?;
    let c = char::from_u32(u32::from_str_radix(code, 16).ok()?)?;
    let mut glyph = [0u16; CELL_H];
    for (i, row) in glyph.iter_mut().enumerate() {
        *row = u16::from_str_radix(rows.get(4 * i..4 * i + 4)?, 16).ok()?;
    }
    Some((c, glyph))
}

/// Letters the font lacks, drawn as the nearest it has.
fn stand_in(c: char) -> Option<char> {
    Some(match c {
        'ᵀ' => 'T',
        'ᵗ' => 't',
        'ⱼ' => 'j',
        '\u{2009}' | '\u{200A}' | '\u{202F}' => ' ',
        _ => return None,
    })
}

/// The glyph of a character: the font's, a stand-in's, or a hollow box for one it cannot draw.
pub fn glyph(c: char) -> Glyph {
    let t = table();
    if let Some(g) = t.get(&c).or_else(|| stand_in(c).and_then(|s| t.get(&s))) {
        return *g;
    }
    let mut boxed = [0u16; CELL_H];
    boxed[3] = 0x7E00;
    boxed[14] = 0x7E00;
    for row in &mut boxed[4..14] {
        *row = 0x4200;
    }
    boxed
}

/// The glyph of a cell's symbol: its first character, with any combining marks after it
/// drawn over it (x̂ is `x` and U+0302).
pub fn symbol_glyph(symbol: &str) -> Glyph {
    let mut chars = symbol.chars();
    let mut g = chars.next().map_or([0; CELL_H], glyph);
    for mark in chars {
        let m = glyph(mark);
        for (row, bits) in g.iter_mut().zip(m) {
            *row |= bits;
        }
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_font_has_every_glyph_family_the_tui_draws() {
        // Text, Greek, box drawing, blocks and braille all come from the font itself.
        for c in [
            'A', 'g', 'η', '‖', '─', '│', '┼', '╭', '█', '▄', '⣿', '◆', '▲', '≥',
        ] {
            assert!(table().contains_key(&c), "{c} is missing");
        }
        // A horizontal line crosses the whole cell, so neighbours join.
        assert!(glyph('─').contains(&0xFF80));
        assert_eq!(glyph('█'), [0xFF80; CELL_H]);
        // Full braille: 8 dots of 2×2 pixels.
        let dots: u32 = glyph('⣿').iter().map(|r| r.count_ones()).sum();
        assert_eq!(dots, 32);
    }

    #[test]
    fn missing_characters_get_a_stand_in_or_a_box() {
        assert_eq!(glyph('ᵀ'), glyph('T'));
        assert_ne!(glyph('\u{4E00}'), [0; CELL_H]);
        let hat = symbol_glyph("x\u{302}");
        assert_ne!(hat, glyph('x'));
    }
}
