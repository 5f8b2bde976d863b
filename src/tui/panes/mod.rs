//! One view per lab, rendering only from a [`Report`] (and view state): panes format, they
//! never compute physics.

pub mod clip;
pub mod lstm;
pub mod mf;
pub mod rnn;
pub mod sweep;
#[cfg(test)]
pub mod toy;

use crate::labs::LabId;
use crate::report::Report;
use crate::tui::theme::Theme;
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
    /// Draw the pane from its context.
    pub render: fn(&PaneCtx, Rect, &mut Buffer),
    /// How many charts `z` cycles through for this report (mf's landscape adds one).
    pub charts: fn(&Report) -> usize,
}

/// The one place that maps a lab to its pane.
pub fn descriptor(lab: LabId) -> &'static PaneDescriptor {
    match lab {
        LabId::Rnn => &rnn::PANE,
        LabId::Clip => &clip::PANE,
        LabId::Lstm => &lstm::PANE,
        LabId::Mf => &mf::PANE,
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
