//! The terminal as pixels, for slides: a frame's cells painted with the embedded font
//! ([`font`]) in the xterm 256-colour palette the themes use, so every pixel is one of the
//! palette's indices. GIF recordings ([`gif`]) and PNG screenshots ([`png`]) are both made
//! from it, so they show exactly what the terminal shows.

pub mod font;
pub mod gif;
pub mod png;

use super::theme::xterm_rgb;
use font::{CELL_H, CELL_W, Glyph};
use ratatui::buffer::{Buffer, Cell};
use ratatui::style::{Color, Modifier};

/// The paper and ink of a theme that keeps the terminal's own colours: a dark terminal's.
pub const PAPER: u8 = 234;
pub const INK: u8 = 252;
/// Index 0 is black, as 16 is; it is never painted, so a GIF frame can use it for "unchanged".
pub const UNCHANGED: u8 = 0;

/// The palette as RGB triples, index by index.
pub fn palette() -> Vec<u8> {
    (0..=255u8)
        .flat_map(|i| {
            let (r, g, b) = xterm_rgb(i);
            [r, g, b]
        })
        .collect()
}

/// The palette index nearest an RGB colour (never [`UNCHANGED`]).
fn nearest(rgb: (u8, u8, u8)) -> u8 {
    let dist = |i: u8| {
        let (r, g, b) = xterm_rgb(i);
        let d = |a: u8, b: u8| (i32::from(a) - i32::from(b)).pow(2);
        d(r, rgb.0) + d(g, rgb.1) + d(b, rgb.2)
    };
    (1..=255u8).min_by_key(|&i| dist(i)).unwrap_or(INK)
}

/// A style's colour as a palette index; `Reset` is `default`.
fn index(c: Color, default: u8) -> u8 {
    match c {
        Color::Reset => default,
        Color::Black | Color::Indexed(0) => 16,
        Color::Red => 1,
        Color::Green => 2,
        Color::Yellow => 3,
        Color::Blue => 4,
        Color::Magenta => 5,
        Color::Cyan => 6,
        Color::Gray => 7,
        Color::DarkGray => 8,
        Color::LightRed => 9,
        Color::LightGreen => 10,
        Color::LightYellow => 11,
        Color::LightBlue => 12,
        Color::LightMagenta => 13,
        Color::LightCyan => 14,
        Color::White => 15,
        Color::Indexed(i) => i,
        Color::Rgb(r, g, b) => nearest((r, g, b)),
    }
}

/// Half way between two palette colours (a dim foreground), as the nearest index.
fn halfway(a: u8, b: u8) -> u8 {
    let (x, y) = (xterm_rgb(a), xterm_rgb(b));
    let mid = |p: u8, q: u8| ((u16::from(p) + u16::from(q)) / 2) as u8;
    nearest((mid(x.0, y.0), mid(x.1, y.1), mid(x.2, y.2)))
}

/// A rectangle of pixels, `[x0, x1) × [y0, y1)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PixelRect {
    pub x0: usize,
    pub y0: usize,
    pub x1: usize,
    pub y1: usize,
}

impl PixelRect {
    pub fn union(self, other: PixelRect) -> PixelRect {
        PixelRect {
            x0: self.x0.min(other.x0),
            y0: self.y0.min(other.y0),
            x1: self.x1.max(other.x1),
            y1: self.y1.max(other.y1),
        }
    }
}

/// The screen's pixels, kept up to date frame by frame: only cells that changed since the
/// last frame are painted again.
pub struct Painter {
    cols: u16,
    rows: u16,
    /// Palette indices, row by row.
    pub pixels: Vec<u8>,
    last: Option<Buffer>,
}

impl Painter {
    /// A `cols`×`rows` terminal, blank.
    pub fn new(cols: u16, rows: u16) -> Painter {
        Painter {
            cols,
            rows,
            pixels: vec![PAPER; usize::from(cols) * CELL_W * usize::from(rows) * CELL_H],
            last: None,
        }
    }

    pub fn width(&self) -> usize {
        usize::from(self.cols) * CELL_W
    }

    pub fn height(&self) -> usize {
        usize::from(self.rows) * CELL_H
    }

    /// Paint `buf` (cells outside the painter's size are cut off); returns the pixels that
    /// may have changed, `None` when no cell did.
    pub fn paint(&mut self, buf: &Buffer) -> Option<PixelRect> {
        let area = buf.area;
        let same_area = self.last.as_ref().is_some_and(|l| l.area == area);
        if !same_area {
            // A new size (or the first frame): everything is repainted on blank paper.
            self.pixels.fill(PAPER);
        }
        let mut dirty: Option<PixelRect> = (!same_area).then_some(PixelRect {
            x0: 0,
            y0: 0,
            x1: self.width(),
            y1: self.height(),
        });
        let cols = area.width.min(self.cols);
        let rows = area.height.min(self.rows);
        for y in 0..rows {
            for x in 0..cols {
                let pos = (area.x + x, area.y + y);
                let cell = &buf[pos];
                let unchanged = same_area && self.last.as_ref().is_some_and(|l| &l[pos] == cell);
                if unchanged {
                    continue;
                }
                self.paint_cell(x, y, cell);
                let r = PixelRect {
                    x0: usize::from(x) * CELL_W,
                    y0: usize::from(y) * CELL_H,
                    x1: usize::from(x + 1) * CELL_W,
                    y1: usize::from(y + 1) * CELL_H,
                };
                dirty = Some(dirty.map_or(r, |d| d.union(r)));
            }
        }
        self.last = Some(buf.clone());
        dirty
    }

    fn paint_cell(&mut self, x: u16, y: u16, cell: &Cell) {
        let m = cell.modifier;
        let (mut fg, mut bg) = (index(cell.fg, INK), index(cell.bg, PAPER));
        if m.contains(Modifier::REVERSED) {
            std::mem::swap(&mut fg, &mut bg);
        }
        if m.contains(Modifier::DIM) {
            fg = halfway(fg, bg);
        }
        let symbol = cell.symbol();
        let mut g: Glyph = if m.contains(Modifier::HIDDEN) {
            [0; CELL_H]
        } else {
            font::symbol_glyph(symbol)
        };
        if m.contains(Modifier::BOLD) && !is_drawing(symbol) {
            // Emboldened as terminals do without a bold face: each pixel doubled to the right.
            for row in &mut g {
                *row = (*row | (*row >> 1)) & 0xFF80;
            }
        }
        if m.contains(Modifier::UNDERLINED) {
            g[CELL_H - 2] = 0xFF80;
        }
        if m.contains(Modifier::CROSSED_OUT) {
            g[CELL_H / 2] = 0xFF80;
        }
        let width = self.width();
        let (px, py) = (usize::from(x) * CELL_W, usize::from(y) * CELL_H);
        for (r, bits) in g.iter().enumerate() {
            let row = &mut self.pixels[(py + r) * width + px..][..CELL_W];
            for (i, p) in row.iter_mut().enumerate() {
                *p = if bits >> (15 - i) & 1 == 1 { fg } else { bg };
            }
        }
    }
}

/// Box drawing, blocks and braille: drawn as they are, never emboldened (their lines must
/// meet the neighbours').
fn is_drawing(symbol: &str) -> bool {
    symbol.chars().next().is_some_and(|c| {
        ('\u{2500}'..='\u{259F}').contains(&c) || ('\u{2800}'..='\u{28FF}').contains(&c)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn cells_are_painted_in_their_colours_and_only_changes_are_repainted() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 3, 2));
        buf.set_string(0, 0, "█", Style::new().fg(Color::Indexed(196)));
        buf.set_string(1, 1, " ", Style::new().bg(Color::Indexed(21)));
        let mut p = Painter::new(3, 2);
        let all = p.paint(&buf).expect("the first frame is painted");
        assert_eq!((all.x1, all.y1), (27, 36));
        let at = |p: &Painter, x: usize, y: usize| p.pixels[y * p.width() + x];
        assert_eq!(at(&p, 4, 9), 196);
        assert_eq!(at(&p, 13, 27), 21);
        assert_eq!(at(&p, 22, 3), PAPER);
        assert!(p.paint(&buf).is_none(), "nothing changed");
        buf.set_string(2, 0, "x", Style::new());
        let r = p.paint(&buf).expect("one cell changed");
        assert_eq!((r.x0, r.y0, r.x1, r.y1), (18, 0, 27, 18));
        assert!(p.pixels.iter().all(|&i| i != UNCHANGED));
    }

    #[test]
    fn named_and_rgb_colours_map_into_the_palette() {
        assert_eq!(index(Color::Black, INK), 16);
        assert_eq!(index(Color::Reset, INK), INK);
        assert_eq!(index(Color::Rgb(255, 0, 0), INK), 9);
        assert_eq!(palette().len(), 768);
    }
}
