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
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

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

/// One figure of a pane: a chart, a heatmap or a titled table of text. Drawn on screen as a
/// widget, exported as SVG by `tui::svg`.
pub enum Figure<'a> {
    Chart(Chart<'a>),
    Heatmap(Heatmap<'a>),
    Table(TextTable<'a>),
}

/// A titled box of preformatted lines (resnet's layer table): columns are aligned by the
/// pane, so the lines are drawn as they are, in a monospace font in the SVG too.
pub struct TextTable<'a> {
    pub title: String,
    pub lines: Vec<Line<'a>>,
    pub theme: &'a Theme,
}

impl Widget for TextTable<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let inner = framed(&self.title, self.theme, area, buf);
        Paragraph::new(self.lines).render(inner, buf);
    }
}

impl Widget for Figure<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        match self {
            Figure::Chart(c) => c.render(area, buf),
            Figure::Heatmap(h) => h.render(area, buf),
            Figure::Table(t) => t.render(area, buf),
        }
    }
}
