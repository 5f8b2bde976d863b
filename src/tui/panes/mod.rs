//! One view per lab, rendering only from a [`Report`] (and view state): panes format, they
//! never compute physics.

pub mod mf;
pub mod rnn;
pub mod sweep;

use crate::labs::LabId;
use crate::report::Report;
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

/// What a pane draws from.
pub struct PaneCtx<'a> {
    pub report: &'a Report,
    /// The pinned run, drawn as a ghost trace.
    pub pinned: Option<&'a Report>,
    /// The chart shown alone, if zoomed.
    pub zoom: Option<usize>,
    pub theme: &'a Theme,
}

/// Draw the pane of `lab`.
pub fn render(lab: LabId, ctx: &PaneCtx, area: Rect, buf: &mut Buffer) {
    match lab {
        LabId::Rnn => rnn::render(ctx, area, buf),
        LabId::Mf => mf::render(ctx, area, buf),
    }
}

/// How many charts the pane of `lab` has (what `z` cycles through); some panes have more
/// for some reports (mf's landscape).
pub fn chart_count(lab: LabId, report: Option<&Report>) -> usize {
    match lab {
        LabId::Rnn => rnn::CHARTS,
        LabId::Mf => mf::chart_count(report),
    }
}
