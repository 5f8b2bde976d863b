//! Named styles. `default` for a laptop terminal; `projector` with high contrast and thick
//! chart lines for lecture halls; `mono` without colour (NO_COLOR), where series are told
//! apart by their markers and heatmaps by glyph density.
//!
//! Colours are from the xterm 256-colour palette rather than 24-bit RGB, so they render the
//! same over SSH and in terminals without truecolor.

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;

/// The named themes (`--theme`, the `t` key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ThemeName {
    Default,
    Projector,
    Mono,
}

/// How many series styles and markers a theme has.
pub const SERIES: usize = 6;

#[derive(Clone, Debug)]
pub struct Theme {
    pub name: ThemeName,
    pub text: Style,
    pub dim: Style,
    pub title: Style,
    pub accent: Style,
    pub selected: Style,
    pub error: Style,
    pub tab_active: Style,
    pub running: Style,
    pub paused: Style,
    pub done: Style,
    pub caption: Style,
    pub border: Style,
    /// Styles of chart series, in order.
    pub series: [Style; SERIES],
    /// Markers of chart series, in order (all distinct in mono; the last is the pinned
    /// ghost's).
    pub markers: [Marker; SERIES],
    /// The pinned ghost trace.
    pub ghost: Style,
    /// Whether heatmaps use colour (else glyph density).
    pub color: bool,
    /// The theme's own background, painted under everything (projector: black, so its
    /// bright text reads on a light terminal too); `None` keeps the terminal's.
    pub background: Option<Color>,
}

/// The xterm 256-colour palette.
pub fn xterm_rgb(i: u8) -> (u8, u8, u8) {
    const BASE: [(u8, u8, u8); 16] = [
        (0, 0, 0),
        (205, 0, 0),
        (0, 205, 0),
        (205, 205, 0),
        (0, 0, 238),
        (205, 0, 205),
        (0, 205, 205),
        (229, 229, 229),
        (127, 127, 127),
        (255, 0, 0),
        (0, 255, 0),
        (255, 255, 0),
        (92, 92, 255),
        (255, 0, 255),
        (0, 255, 255),
        (255, 255, 255),
    ];
    match i {
        0..=15 => BASE[usize::from(i)],
        16..=231 => {
            let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
            let j = i - 16;
            (level(j / 36), level((j / 6) % 6), level(j % 6))
        }
        _ => {
            let g = 8 + 10 * (i - 232);
            (g, g, g)
        }
    }
}

const fn fg(c: u8) -> Style {
    Style::new().fg(Color::Indexed(c))
}

impl Theme {
    /// The style and marker of the i-th series of a chart (cycling past the last).
    pub fn series_look(&self, i: usize) -> (Style, Marker) {
        (
            self.series[i % (SERIES - 1)],
            self.markers[i % (SERIES - 1)],
        )
    }

    /// The style and marker of the pinned ghost trace (never a series' own).
    pub fn ghost_look(&self) -> (Style, Marker) {
        (self.ghost, self.markers[SERIES - 1])
    }

    pub fn new(name: ThemeName) -> Theme {
        match name {
            ThemeName::Default => Theme {
                name,
                text: Style::new(),
                dim: fg(244),
                title: Style::new().add_modifier(Modifier::BOLD),
                accent: fg(75),
                selected: Style::new().fg(Color::Indexed(16)).bg(Color::Indexed(75)),
                error: fg(203).add_modifier(Modifier::BOLD),
                tab_active: Style::new()
                    .fg(Color::Indexed(75))
                    .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
                running: Style::new().fg(Color::Indexed(16)).bg(Color::Indexed(114)),
                paused: Style::new().fg(Color::Indexed(16)).bg(Color::Indexed(221)),
                done: Style::new().fg(Color::Indexed(16)).bg(Color::Indexed(110)),
                caption: Style::new()
                    .fg(Color::Indexed(231))
                    .bg(Color::Indexed(60))
                    .add_modifier(Modifier::BOLD),
                border: fg(240),
                series: [fg(75), fg(209), fg(114), fg(177), fg(221), fg(44)],
                markers: [Marker::Braille; SERIES],
                ghost: fg(242),
                color: true,
                background: None,
            },
            ThemeName::Projector => Theme {
                name,
                text: Style::new()
                    .fg(Color::Indexed(231))
                    .add_modifier(Modifier::BOLD),
                dim: fg(250),
                title: Style::new()
                    .fg(Color::Indexed(231))
                    .add_modifier(Modifier::BOLD),
                accent: fg(226).add_modifier(Modifier::BOLD),
                selected: Style::new()
                    .fg(Color::Indexed(16))
                    .bg(Color::Indexed(226))
                    .add_modifier(Modifier::BOLD),
                error: Style::new()
                    .fg(Color::Indexed(231))
                    .bg(Color::Indexed(160))
                    .add_modifier(Modifier::BOLD),
                tab_active: Style::new()
                    .fg(Color::Indexed(16))
                    .bg(Color::Indexed(226))
                    .add_modifier(Modifier::BOLD),
                running: Style::new()
                    .fg(Color::Indexed(16))
                    .bg(Color::Indexed(46))
                    .add_modifier(Modifier::BOLD),
                paused: Style::new()
                    .fg(Color::Indexed(16))
                    .bg(Color::Indexed(226))
                    .add_modifier(Modifier::BOLD),
                done: Style::new()
                    .fg(Color::Indexed(16))
                    .bg(Color::Indexed(51))
                    .add_modifier(Modifier::BOLD),
                caption: Style::new()
                    .fg(Color::Indexed(16))
                    .bg(Color::Indexed(231))
                    .add_modifier(Modifier::BOLD),
                border: fg(231),
                series: [fg(51), fg(226), fg(46), fg(201), fg(208), fg(231)],
                markers: [Marker::HalfBlock; SERIES],
                ghost: fg(248),
                color: true,
                background: Some(Color::Indexed(16)),
            },
            ThemeName::Mono => Theme {
                name,
                text: Style::new(),
                dim: Style::new().add_modifier(Modifier::DIM),
                title: Style::new().add_modifier(Modifier::BOLD),
                accent: Style::new().add_modifier(Modifier::BOLD),
                selected: Style::new().add_modifier(Modifier::REVERSED),
                error: Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED),
                tab_active: Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
                running: Style::new().add_modifier(Modifier::REVERSED),
                paused: Style::new().add_modifier(Modifier::REVERSED),
                done: Style::new().add_modifier(Modifier::REVERSED),
                caption: Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
                border: Style::new(),
                series: [Style::new(); SERIES],
                markers: [
                    Marker::Braille,
                    Marker::Dot,
                    Marker::Custom('+'),
                    Marker::Custom('x'),
                    Marker::Custom('o'),
                    Marker::Custom('#'),
                ],
                ghost: Style::new().add_modifier(Modifier::DIM),
                color: false,
                background: None,
            },
        }
    }

    /// The next theme for the `t` key.
    pub fn cycle(name: ThemeName) -> ThemeName {
        match name {
            ThemeName::Default => ThemeName::Projector,
            ThemeName::Projector => ThemeName::Mono,
            ThemeName::Mono => ThemeName::Default,
        }
    }

    /// The theme to start with: the one asked for, else mono when NO_COLOR is set
    /// (<https://no-color.org>: present and not empty), else default.
    pub fn initial(asked: Option<ThemeName>, no_color: Option<&str>) -> ThemeName {
        match (asked, no_color) {
            (Some(t), _) => t,
            (None, Some(v)) if !v.is_empty() => ThemeName::Mono,
            _ => ThemeName::Default,
        }
    }

    pub fn label(&self) -> &'static str {
        match self.name {
            ThemeName::Default => "default",
            ThemeName::Projector => "projector",
            ThemeName::Mono => "mono",
        }
    }
}

/// A colour for t ∈ [0, 1] on a diverging blue–white–red scale (vanishing ↔ exploding),
/// quantised to the xterm 6×6×6 colour cube.
pub fn diverging(t: f64) -> Color {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        1.0
    };
    // Anchors: deep blue, light, deep red.
    let (lo, mid, hi) = ((0.13, 0.30, 0.75), (0.95, 0.95, 0.95), (0.80, 0.10, 0.12));
    let mix = |a: (f64, f64, f64), b: (f64, f64, f64), u: f64| {
        (
            a.0 + (b.0 - a.0) * u,
            a.1 + (b.1 - a.1) * u,
            a.2 + (b.2 - a.2) * u,
        )
    };
    let c = if t < 0.5 {
        mix(lo, mid, t * 2.0)
    } else {
        mix(mid, hi, t * 2.0 - 1.0)
    };
    cube(c)
}

/// A colour for t ∈ [0, 1] on a sequential dark-to-bright scale (viridis-like).
pub fn sequential(t: f64) -> Color {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        1.0
    };
    let anchors = [
        (0.27, 0.00, 0.33),
        (0.23, 0.32, 0.55),
        (0.13, 0.57, 0.55),
        (0.37, 0.79, 0.38),
        (0.99, 0.91, 0.14),
    ];
    let x = t * (anchors.len() - 1) as f64;
    let i = (x.floor() as usize).min(anchors.len() - 2);
    let u = x - i as f64;
    let (a, b) = (anchors[i], anchors[i + 1]);
    cube((
        a.0 + (b.0 - a.0) * u,
        a.1 + (b.1 - a.1) * u,
        a.2 + (b.2 - a.2) * u,
    ))
}

fn cube((r, g, b): (f64, f64, f64)) -> Color {
    let q = |x: f64| (x.clamp(0.0, 1.0) * 5.0).round() as u8;
    Color::Indexed(16 + 36 * q(r) + 6 * q(g) + q(b))
}

/// Glyphs from light to dense, for heatmaps in mono. The lightest is a dot, not a blank, so
/// a low value never looks like missing data.
pub const DENSITY: [char; 9] = ['.', ':', '-', '=', '+', '*', '#', '%', '@'];

/// The density glyph for t ∈ [0, 1].
pub fn density(t: f64) -> char {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        1.0
    };
    DENSITY[((t * (DENSITY.len() - 1) as f64).round() as usize).min(DENSITY.len() - 1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_selects_mono_unless_a_theme_is_asked() {
        assert_eq!(Theme::initial(None, Some("1")), ThemeName::Mono);
        assert_eq!(Theme::initial(None, Some("")), ThemeName::Default);
        assert_eq!(Theme::initial(None, None), ThemeName::Default);
        assert_eq!(
            Theme::initial(Some(ThemeName::Projector), Some("1")),
            ThemeName::Projector
        );
    }

    #[test]
    fn scales_reach_their_ends() {
        assert_ne!(diverging(0.0), diverging(1.0));
        assert_eq!(density(0.0), '.');
        assert_eq!(density(1.0), '@');
        assert_eq!(density(f64::NAN), '@');
    }
}
