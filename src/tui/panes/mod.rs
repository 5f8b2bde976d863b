//! One view per lab, rendering only from a [`Report`] (and view state): panes format, they
//! never compute physics.

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
use ratatui::widgets::{Paragraph, Widget, Wrap};

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
        LabId::Mf => &mf::PANE,
        #[cfg(test)]
        LabId::Toy => &toy::PANE,
    }
}

/// Readouts: `label value` pairs in one line that may wrap to two.
#[derive(Default)]
pub struct Readouts {
    spans: Vec<Span<'static>>,
}

impl Readouts {
    pub fn item(&mut self, theme: &Theme, label: &str, value: String) {
        self.spans
            .push(Span::styled(format!("{label} "), theme.dim));
        self.spans
            .push(Span::styled(format!("{value}   "), theme.accent));
    }

    pub fn push(&mut self, span: Span<'static>) {
        self.spans.push(span);
    }

    /// Draw the readouts over the top two rows of `area`; returns the area below them.
    pub fn render_above(self, area: Rect, buf: &mut Buffer) -> Rect {
        let [top, body] = Layout::vertical([Constraint::Length(2), Constraint::Min(0)]).areas(area);
        Paragraph::new(Line::from(self.spans))
            .wrap(Wrap { trim: true })
            .render(top, buf);
        body
    }
}
