//! Reusable pure widgets: they draw what they are given and compute no physics.

pub mod caption;
pub mod chart;
pub mod heatmap;
pub mod param_panel;
pub mod popup;

use crate::tui::theme::Theme;
use chart::Chart;
use heatmap::Heatmap;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Widget};

/// Draw a bordered box titled `title` and return its inside.
pub fn framed(title: &str, theme: &Theme, area: Rect, buf: &mut Buffer) -> Rect {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(format!(" {title} "), theme.title));
    let inner = block.inner(area);
    block.render(area, buf);
    inner
}

/// One figure of a pane: a chart or a heatmap. Drawn on screen as a widget, exported as SVG
/// by `tui::svg`.
pub enum Figure<'a> {
    Chart(Chart<'a>),
    Heatmap(Heatmap<'a>),
}

impl Widget for Figure<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        match self {
            Figure::Chart(c) => c.render(area, buf),
            Figure::Heatmap(h) => h.render(area, buf),
        }
    }
}
