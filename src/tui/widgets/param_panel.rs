//! The parameter panel: every parameter with its value, the selected one highlighted, the
//! ones that have no effect with the others' values dimmed, the preset in use, the selected
//! parameter's help and accepted range below, and the typed value while editing.

use crate::params::ParamSet;
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

pub struct ParamPanel<'a> {
    pub params: &'a ParamSet,
    pub selected: usize,
    /// The text being typed, when editing.
    pub input: Option<&'a str>,
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
            info.push(Line::from(vec![
                Span::styled(format!("{} = ", spec.name), self.theme.accent),
                Span::styled(format!("{typed}▌"), self.theme.selected),
            ]));
            info.push(Line::styled("Enter apply · Esc cancel", self.theme.dim));
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
