//! The parameter panel: every parameter with its value, the selected one highlighted, the
//! ones that have no effect with the others' values dimmed, the preset in use, the selected
//! parameter's help and accepted range below, and the typed value while editing (selected
//! while it is the current value untouched; then with its cursor).

use crate::params::ParamSet;
use crate::tui::input::InputBox;
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

pub struct ParamPanel<'a> {
    pub params: &'a ParamSet,
    pub selected: usize,
    /// The value being typed, when editing.
    pub input: Option<&'a InputBox>,
    /// Parameters without effect given the others.
    pub inactive: &'a [&'static str],
    /// The preset the parameters match, if any.
    pub preset: Option<&'a str>,
    pub theme: &'a Theme,
}

impl Widget for ParamPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let inner = super::framed("parameters", self.theme, area, buf);
        if inner.width < 8 || inner.height < 2 {
            return;
        }
        let w = usize::from(inner.width);
        let mut lines: Vec<Line> = Vec::new();
        for (i, (spec, value)) in self.params.iter().enumerate() {
            let shown = value.to_string();
            let shown = if shown.is_empty() {
                "—".to_string()
            } else {
                shown
            };
            let name_w = w.saturating_sub(shown.chars().count() + 3).max(4);
            let name: String = spec.name.chars().take(name_w).collect();
            let pad = w.saturating_sub(2 + name.chars().count() + shown.chars().count());
            let text = format!(
                "{} {name}{}{shown}",
                if i == self.selected { "›" } else { " " },
                " ".repeat(pad.max(1))
            );
            let style = if i == self.selected {
                self.theme.selected
            } else if self.inactive.contains(&spec.name) {
                self.theme.dim
            } else {
                self.theme.text
            };
            lines.push(Line::styled(text, style));
        }
        if let Some(name) = self.preset {
            lines.push(Line::styled(format!("  preset {name}"), self.theme.accent));
        }
        let list_h = (lines.len() as u16).min(inner.height);
        Paragraph::new(lines).render(
            Rect {
                height: list_h,
                ..inner
            },
            buf,
        );

        let rest = Rect {
            y: inner.y + list_h,
            height: inner.height - list_h,
            ..inner
        };
        if rest.height < 2 {
            return;
        }
        let Some((spec, _)) = self.params.iter().nth(self.selected) else {
            return;
        };
        let mut info = vec![Line::styled("─".repeat(w), self.theme.border)];
        if let Some(typed) = self.input {
            let mut line = vec![Span::styled(format!("{} = ", spec.name), self.theme.accent)];
            line.extend(input_spans(typed, self.theme));
            info.push(Line::from(line));
            let keys = if typed.selected() {
                "typing replaces it · ←→ edit · Enter apply · Esc cancel"
            } else {
                "←→ Home End move · Enter apply · Esc cancel"
            };
            info.push(Line::styled(keys, self.theme.dim));
        }
        info.push(Line::styled(spec.help, self.theme.text));
        if self.inactive.contains(&spec.name) {
            info.push(Line::styled(
                "inactive: no effect with the current values of the others",
                self.theme.dim,
            ));
        }
        info.push(Line::styled(spec.accepted(), self.theme.dim));
        Paragraph::new(info)
            .wrap(Wrap { trim: true })
            .render(rest, buf);
    }
}

/// The typed value: all of it highlighted while selected, else the character under the
/// cursor (a block past the end) in reverse video.
fn input_spans<'a>(typed: &InputBox, theme: &Theme) -> Vec<Span<'a>> {
    let cursor_style = theme.selected.add_modifier(Modifier::REVERSED);
    if typed.selected() {
        return vec![
            Span::styled(typed.text().to_string(), cursor_style),
            Span::styled("▌", theme.selected),
        ];
    }
    let chars: Vec<char> = typed.text().chars().collect();
    let at = typed.cursor().min(chars.len());
    let before: String = chars[..at].iter().collect();
    let mut spans = vec![Span::styled(before, theme.selected)];
    match chars.get(at) {
        Some(c) => {
            spans.push(Span::styled(c.to_string(), cursor_style));
            let after: String = chars[at + 1..].iter().collect();
            spans.push(Span::styled(after, theme.selected));
        }
        None => spans.push(Span::styled("▌", theme.selected)),
    }
    spans
}
