//! A centred overlay box (help, explain) drawn over whatever is below it.

use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

pub struct Popup<'a> {
    pub title: &'a str,
    pub lines: Vec<Line<'a>>,
    pub footer: &'a str,
    pub theme: &'a Theme,
}

impl Popup<'_> {
    /// The box for content of this many lines and columns, centred and clipped to `area`.
    pub fn area(area: Rect, content_w: u16, content_h: u16) -> Rect {
        let w = (content_w + 4).min(area.width);
        let h = (content_h + 2).min(area.height);
        Rect {
            x: area.x + (area.width - w) / 2,
            y: area.y + (area.height - h) / 2,
            width: w,
            height: h,
        }
    }
}

impl Widget for Popup<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let content_w = self.lines.iter().map(Line::width).max().unwrap_or(0) as u16;
        let content_h = self.lines.len() as u16 + 1;
        let r = Popup::area(area, content_w.max(self.footer.len() as u16), content_h);
        Clear.render(r, buf);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(self.theme.accent)
            .title(Span::styled(format!(" {} ", self.title), self.theme.title))
            .title_bottom(Span::styled(format!(" {} ", self.footer), self.theme.dim));
        let inner = block.inner(r);
        block.render(r, buf);
        Paragraph::new(self.lines)
            .style(self.theme.text)
            .wrap(Wrap { trim: false })
            .render(
                Rect {
                    x: inner.x + 1,
                    width: inner.width.saturating_sub(1),
                    ..inner
                },
                buf,
            );
    }
}
