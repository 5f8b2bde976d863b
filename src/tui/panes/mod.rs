//! One view per lab, rendering only from a [`Report`] (and view state): panes format, they
//! never compute physics. A pane is its readouts, its figures (charts and heatmaps, in the
//! order `z` cycles through them and `--plot` exports them) and their layout; [`render`] puts
//! them on screen the same way for every lab.

pub mod bn;
pub mod clip;
pub mod lstm;
pub mod mf;
pub mod resnet;
pub mod rnn;
pub mod sweep;
#[cfg(test)]
pub mod toy;

use crate::labs::LabId;
use crate::report::Report;
use crate::tui::theme::Theme;
use crate::tui::widgets::Figure;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// What a pane draws from.
pub struct PaneCtx<'a> {
    pub report: &'a Report,
    /// The pinned run, drawn as a ghost trace.
    pub pinned: Option<&'a Report>,
    /// The chart shown alone, if zoomed.
    pub zoom: Option<usize>,
    pub theme: &'a Theme,
}

/// What the shell needs of a lab's pane.
pub struct PaneDescriptor {
    /// The readouts above the figures.
    pub readouts: fn(&PaneCtx) -> Readouts,
    /// Every figure, in `z` order (mf's landscape adds one for the 1×1 problem).
    pub figures: for<'a> fn(&'a PaneCtx<'a>) -> Vec<Figure<'a>>,
    /// Where `count` figures go in `area` when none is zoomed.
    pub layout: fn(count: usize, area: Rect) -> Vec<Rect>,
}

/// Draw the pane of `lab`: readouts, then the zoomed figure or every figure in its layout.
pub fn render(lab: LabId, ctx: &PaneCtx, area: Rect, buf: &mut Buffer) {
    let d = descriptor(lab);
    let body = (d.readouts)(ctx).render_above(area, buf);
    let figures = (d.figures)(ctx);
    match ctx.zoom {
        Some(i) if i < figures.len() => {
            if let Some(f) = figures.into_iter().nth(i) {
                f.render(body, buf);
            }
        }
        _ => {
            let areas = (d.layout)(figures.len(), body);
            for (f, a) in figures.into_iter().zip(areas) {
                f.render(a, buf);
            }
        }
    }
}

/// How many figures `z` cycles through for this report.
pub fn figure_count(lab: LabId, report: &Report, theme: &Theme) -> usize {
    let ctx = PaneCtx {
        report,
        pinned: None,
        zoom: None,
        theme,
    };
    (descriptor(lab).figures)(&ctx).len()
}

/// Rows of `area` (heights in percent) holding `cols[i]` figures side by side each.
pub fn grid(area: Rect, rows: &[(u16, usize)]) -> Vec<Rect> {
    let heights: Vec<Constraint> = rows
        .iter()
        .map(|(p, _)| Constraint::Percentage(*p))
        .collect();
    let bands = Layout::vertical(heights).split(area);
    bands
        .iter()
        .zip(rows)
        .flat_map(|(band, (_, n))| {
            let n = (*n).max(1) as u32;
            Layout::horizontal(vec![Constraint::Ratio(1, n); n as usize])
                .split(*band)
                .to_vec()
        })
        .collect()
}

/// The one place that maps a lab to its pane.
pub fn descriptor(lab: LabId) -> &'static PaneDescriptor {
    match lab {
        LabId::Rnn => &rnn::PANE,
        LabId::Clip => &clip::PANE,
        LabId::Lstm => &lstm::PANE,
        LabId::Bn => &bn::PANE,
        LabId::Mf => &mf::PANE,
        LabId::Resnet => &resnet::PANE,
        #[cfg(test)]
        LabId::Toy => &toy::PANE,
    }
}

/// Readouts: `label value` items above a pane's charts. Items are never split across lines:
/// they are laid out whole, on up to three lines, and any that still do not fit are counted
/// (`+N more`) rather than dropped silently.
#[derive(Default)]
pub struct Readouts {
    items: Vec<Vec<Span<'static>>>,
}

/// The most lines readouts take.
const READOUT_LINES: usize = 3;
/// Space between two items.
const ITEM_GAP: usize = 3;

impl Readouts {
    pub fn item(&mut self, theme: &Theme, label: &str, value: String) {
        self.items.push(vec![
            Span::styled(format!("{label} "), theme.dim),
            Span::styled(value, theme.accent),
        ]);
    }

    pub fn push(&mut self, span: Span<'static>) {
        self.items.push(vec![span]);
    }

    /// Lay the items out in lines of `width`.
    fn lines(self, width: usize) -> Vec<Line<'static>> {
        let w = |item: &[Span]| item.iter().map(Span::width).sum::<usize>();
        let mut lines: Vec<Vec<Span<'static>>> = vec![Vec::new()];
        let mut used = 0;
        let total = self.items.len();
        for (placed, item) in self.items.into_iter().enumerate() {
            let iw = w(&item);
            if used > 0 && used + ITEM_GAP + iw > width {
                if lines.len() == READOUT_LINES {
                    let more = format!("   +{} more", total - placed);
                    if let Some(last) = lines.last_mut() {
                        last.push(Span::raw(more));
                    }
                    break;
                }
                lines.push(Vec::new());
                used = 0;
            }
            if let Some(line) = lines.last_mut() {
                if used > 0 {
                    line.push(Span::raw(" ".repeat(ITEM_GAP)));
                    used += ITEM_GAP;
                }
                line.extend(item);
            }
            used += iw;
        }
        lines.into_iter().map(Line::from).collect()
    }

    /// Draw the readouts over the top rows of `area`; returns the area below them.
    pub fn render_above(self, area: Rect, buf: &mut Buffer) -> Rect {
        let lines = self.lines(usize::from(area.width));
        let h = (lines.len() as u16).min(area.height);
        let [top, body] = Layout::vertical([Constraint::Length(h), Constraint::Min(0)]).areas(area);
        Paragraph::new(lines).render(top, buf);
        body
    }
}
