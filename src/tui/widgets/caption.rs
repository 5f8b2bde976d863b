//! The caption bar: one line of lecture text across the screen (set by demo scripts, shown
//! until the next caption).

use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::widgets::{Paragraph, Widget, Wrap};

pub struct Caption<'a> {
    pub text: &'a str,
    pub theme: &'a Theme,
}

impl Caption<'_> {
    /// Rows the caption needs at this width (1 or more when it wraps).
    pub fn height(text: &str, width: u16) -> u16 {
        let w = usize::from(width.max(1));
        (text.chars().count().div_ceil(w)).clamp(1, 3) as u16
    }
}

impl Widget for Caption<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        buf.set_style(area, self.theme.caption);
        Paragraph::new(self.text)
            .style(self.theme.caption)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true })
            .render(area, buf);
    }
}
