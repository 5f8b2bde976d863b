//! A centred overlay box (help, explain, share) drawn over whatever is below it. Content
//! taller than the box scrolls; the footer then says where the view is and how to move.

use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

pub struct Popup<'a> {
    pub title: &'a str,
    pub lines: Vec<Line<'a>>,
    pub footer: &'a str,
    /// The first content row shown.
    pub scroll: u16,
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
        let footer_w = self.footer.chars().count() as u16 + 24;
        let r = Popup::area(area, content_w.max(footer_w), self.lines.len() as u16 + 1);
        let text_w = r.width.saturating_sub(3).max(1);
        // Rows after wrapping (character-wise; word wrap may take a row more, so keep one
        // spare row at the bottom).
        let rows: u16 = self
            .lines
            .iter()
            .map(|l| (l.width() as u16).div_ceil(text_w).max(1))
            .sum();
        let visible = r.height.saturating_sub(2);
        let max_scroll = (rows + 1).saturating_sub(visible);
        let scroll = self.scroll.min(max_scroll);
        let footer = if max_scroll > 0 {
            let last = (scroll + visible).min(rows);
            format!(
                " rows {}–{last} of {rows} · ↑↓ PgUp PgDn · {} ",
                scroll + 1,
                self.footer
            )
        } else {
            format!(" {} ", self.footer)
        };
        Clear.render(r, buf);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(self.theme.accent)
            .title(Span::styled(format!(" {} ", self.title), self.theme.title))
            .title_bottom(Span::styled(footer, self.theme.dim));
        let inner = block.inner(r);
        block.render(r, buf);
        Paragraph::new(self.lines)
            .style(self.theme.text)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
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
