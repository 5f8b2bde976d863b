//! A heatmap of a column-major grid with a colour-scale legend. In colour themes cells are
//! coloured blocks; in mono they are density glyphs (` .:-=+*#%@`), so the picture and its
//! legend stay legible without colour. NaN cells show `×`. A column can be marked (the
//! current parameter value).

use crate::fmt::short_num;
use crate::tui::theme::{Theme, density, diverging, sequential};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Widget;

/// How values map to colours.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ColorScale {
    /// Symmetric around 0 over `[-limit, limit]`: blue below, white at 0, red above.
    Diverging { limit: f64 },
    /// Dark to bright over `[lo, hi]`.
    Sequential { lo: f64, hi: f64 },
}

impl ColorScale {
    /// Position of `v` on the scale, in [0, 1].
    pub fn unit(self, v: f64) -> f64 {
        match self {
            ColorScale::Diverging { limit } => 0.5 + 0.5 * v / limit.max(f64::MIN_POSITIVE),
            ColorScale::Sequential { lo, hi } => {
                if hi > lo {
                    (v - lo) / (hi - lo)
                } else {
                    0.5
                }
            }
        }
        .clamp(0.0, 1.0)
    }

    fn ends(self) -> (f64, f64) {
        match self {
            ColorScale::Diverging { limit } => (-limit, limit),
            ColorScale::Sequential { lo, hi } => (lo, hi),
        }
    }

    /// A diverging scale covering the finite values of `data`.
    pub fn diverging_for(data: &[f64]) -> ColorScale {
        let m = data
            .iter()
            .filter(|v| v.is_finite())
            .fold(0.0f64, |m, v| m.max(v.abs()));
        ColorScale::Diverging {
            limit: if m > 0.0 { m } else { 1.0 },
        }
    }

    /// A sequential scale covering the finite values of `data`.
    pub fn sequential_for(data: &[f64]) -> ColorScale {
        let finite = data.iter().copied().filter(|v| v.is_finite());
        let lo = finite.clone().fold(f64::INFINITY, f64::min);
        let hi = finite.fold(f64::NEG_INFINITY, f64::max);
        if lo.is_finite() {
            ColorScale::Sequential { lo, hi }
        } else {
            ColorScale::Sequential { lo: 0.0, hi: 1.0 }
        }
    }
}

/// A glyph over the map at (x, y) in [0, 1]² of the map's extent (y up).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mark {
    pub x: f64,
    pub y: f64,
    pub ch: char,
    pub style: Style,
}

/// The heatmap widget. `data` holds `cols` columns of `rows` values each; row 0 is drawn
/// at the bottom.
#[derive(Clone, Debug)]
pub struct Heatmap<'a> {
    pub title: String,
    /// The title when the full one does not fit.
    pub short: String,
    pub data: &'a [f64],
    pub cols: usize,
    pub rows: usize,
    /// Labels of the x axis: left end, right end, and the axis name.
    pub x_labels: (String, String, String),
    /// Labels of the y axis: bottom, top.
    pub y_labels: (String, String),
    pub scale: ColorScale,
    pub legend: String,
    /// Mark this column with `▼` above the map.
    pub marked_col: Option<usize>,
    /// Glyphs drawn over the map (a path, a curve), later ones on top.
    pub overlay: Vec<Mark>,
    /// Cells still to come (a map filling in), in `data`'s layout: drawn blank, not as NaN.
    /// Empty when every cell is there.
    pub pending: &'a [bool],
    pub theme: &'a Theme,
}

impl Heatmap<'_> {
    fn cell(&self, v: f64, buf: &mut Buffer, x: u16, y: u16) {
        let cell = &mut buf[(x, y)];
        if v.is_nan() {
            cell.set_char('×').set_style(self.theme.error);
            return;
        }
        if self.theme.color {
            cell.set_char('█')
                .set_style(Style::new().fg(self.scale_color(v)));
        } else {
            cell.set_char(density(self.scale.unit(v)))
                .set_style(self.theme.text);
        }
    }

    /// The colour of a value on this heatmap's scale.
    pub fn scale_color(&self, v: f64) -> ratatui::style::Color {
        let t = self.scale.unit(v);
        match self.scale {
            ColorScale::Diverging { .. } => diverging(t),
            ColorScale::Sequential { .. } => sequential(t),
        }
    }
}

impl Widget for Heatmap<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let title = if self.title.chars().count() + 4 > usize::from(area.width) {
            &self.short
        } else {
            &self.title
        };
        let inner = super::framed(title, self.theme, area, buf);
        let ylw = self.y_labels.0.len().max(self.y_labels.1.len()) as u16 + 1;
        let legend_w = 11u16;
        if inner.width < ylw + legend_w + 6 || inner.height < 4 {
            return;
        }
        let map = Rect {
            x: inner.x + ylw,
            y: inner.y + 1,
            width: inner.width - ylw - legend_w,
            height: inner.height - 2,
        };
        let available = self.cols.min(self.data.len() / self.rows.max(1));
        if available > 0 && self.rows > 0 {
            for cy in 0..map.height {
                // Bottom row is data row 0.
                let frac = f64::from(map.height - 1 - cy) / f64::from((map.height - 1).max(1));
                let r = (frac * (self.rows - 1) as f64).round() as usize;
                for cx in 0..map.width {
                    let c = (usize::from(cx) * self.cols) / usize::from(map.width);
                    if c >= available {
                        continue;
                    }
                    let i = c * self.rows + r;
                    // Blank, so a cell still to come is not read as a value (or a NaN).
                    if self.pending.get(i).copied().unwrap_or(false) {
                        continue;
                    }
                    self.cell(self.data[i], buf, map.x + cx, map.y + cy);
                }
            }
        }
        for m in &self.overlay {
            if !(0.0..=1.0).contains(&m.x) || !(0.0..=1.0).contains(&m.y) {
                continue;
            }
            let cx = map.x + (m.x * f64::from(map.width - 1)).round() as u16;
            let cy = map.bottom() - 1 - (m.y * f64::from(map.height - 1)).round() as u16;
            buf[(cx, cy)].set_char(m.ch).set_style(m.style);
        }
        // Axes.
        buf.set_string(inner.x, map.y, &self.y_labels.1, self.theme.dim);
        buf.set_string(inner.x, map.bottom() - 1, &self.y_labels.0, self.theme.dim);
        let xrow = map.bottom();
        buf.set_string(map.x, xrow, &self.x_labels.0, self.theme.dim);
        let rw = self.x_labels.1.chars().count() as u16;
        buf.set_string(
            map.right().saturating_sub(rw),
            xrow,
            &self.x_labels.1,
            self.theme.dim,
        );
        let name = &self.x_labels.2;
        let nw = name.chars().count() as u16;
        if nw + 2 < map.width.saturating_sub(rw + self.x_labels.0.len() as u16) {
            buf.set_string(map.x + map.width / 2 - nw / 2, xrow, name, self.theme.dim);
        }
        if let Some(c) = self.marked_col.filter(|c| *c < self.cols) {
            // The middle display column of data column c.
            let first = (c * usize::from(map.width)).div_ceil(self.cols);
            let last = ((c + 1) * usize::from(map.width))
                .div_ceil(self.cols)
                .max(first + 1)
                - 1;
            let x = map.x + ((first + last) / 2) as u16;
            buf.set_string(x, inner.y, "▼", self.theme.accent);
        }
        // Legend: a vertical scale from the top (high) to the bottom (low).
        let lx = map.right() + 2;
        let (lo, hi) = self.scale.ends();
        // The legend's room: to the frame's edge, never over it.
        let legend_room = usize::from(inner.right().saturating_sub(lx));
        buf.set_stringn(lx, inner.y, &self.legend, legend_room, self.theme.dim);
        // An odd number of swatches, so the middle one is exactly the midpoint (0 when
        // diverging).
        let lh = if map.height.is_multiple_of(2) {
            map.height - 1
        } else {
            map.height
        };
        for i in 0..lh {
            let frac = 1.0 - f64::from(i) / f64::from((lh - 1).max(1));
            let v = lo + (hi - lo) * frac;
            self.cell(v, buf, lx, map.y + i);
            self.cell(v, buf, lx + 1, map.y + i);
        }
        // The labels' room: to the frame's edge, never over it.
        let room = usize::from(inner.right().saturating_sub(lx + 3));
        let label = |v: f64| fit_label(v, room);
        buf.set_string(lx + 3, map.y, label(hi), self.theme.dim);
        buf.set_string(lx + 3, map.y + lh - 1, label(lo), self.theme.dim);
        if lh >= 5 {
            // Label the middle row with the value its swatch shows.
            let i = lh / 2;
            let frac = 1.0 - f64::from(i) / f64::from(lh - 1);
            let v = lo + (hi - lo) * frac;
            buf.set_string(lx + 3, map.y + i, label(v), self.theme.dim);
        }
    }
}

/// `v` in at most `room` characters: three significant digits, else two, else one, else
/// cut (`-0.0527` → `-0.053` in six).
fn fit_label(v: f64, room: usize) -> String {
    let full = short_num(v);
    if full.chars().count() <= room || !v.is_finite() || v == 0.0 {
        return full.chars().take(room).collect();
    }
    let mag = v.abs().log10().floor() as i32;
    for digits in [1, 0] {
        let p = 10f64.powi(digits - mag);
        let s = crate::fmt::fmt_num((v * p).round() / p);
        if s.chars().count() <= room {
            return s;
        }
    }
    full.chars().take(room).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::theme::ThemeName;

    #[test]
    fn legend_labels_fit_their_room() {
        assert_eq!(fit_label(-0.0527, 6), "-0.053");
        assert_eq!(fit_label(-0.0527, 5), "-0.05");
        assert_eq!(fit_label(0.576, 6), "0.576");
        assert!(fit_label(-123456.0, 6).chars().count() <= 6);
    }

    #[test]
    fn mono_heatmap_shows_density_and_legend() {
        let theme = Theme::new(ThemeName::Mono);
        // Two columns: all low, all high.
        let data = [-1.0, -1.0, -1.0, 1.0, 1.0, f64::NAN];
        let h = Heatmap {
            short: String::new(),
            title: "h".into(),
            data: &data,
            cols: 2,
            rows: 3,
            x_labels: ("0".into(), "1".into(), "x".into()),
            y_labels: ("0".into(), "2".into()),
            scale: ColorScale::Diverging { limit: 1.0 },
            legend: "v".into(),
            marked_col: Some(1),
            overlay: vec![Mark {
                x: 0.0,
                y: 1.0,
                ch: 'o',
                style: Style::new(),
            }],
            pending: &[],
            theme: &theme,
        };
        let area = Rect::new(0, 0, 40, 10);
        let mut buf = Buffer::empty(area);
        h.render(area, &mut buf);
        let t: String = buf.content().iter().map(|c| c.symbol()).collect();
        assert!(t.contains('@') && t.contains('×') && t.contains('▼') && t.contains('o'));
        assert_eq!(
            ColorScale::diverging_for(&[-3.0, 2.0, f64::NAN]).unit(-3.0),
            0.0
        );
    }
}
