//! The whole frame, drawn from the App alone: lab tabs, the parameter panel, the lab's pane
//! (with the sweep view under it), the caption bar, the status bar, the hint bar, and the
//! help and explain overlays. Below the minimum size it draws only what size is needed.

use super::app::{App, Overlay};
use super::keymap::{self, Mode};
use super::panes::{self, PaneCtx};
use super::theme::Theme;
use super::widgets::caption::Caption;
use super::widgets::param_panel::ParamPanel;
use super::widgets::popup::Popup;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// The smallest terminal the layout works in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Draw the frame for `app` into `buf` over `area`.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = Theme::new(app.theme);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(area, buf, &theme);
        return;
    }
    let [tabs, body, status, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    render_tabs(app, &theme, tabs, buf);
    let body = match &app.caption {
        Some(text) => {
            let h = Caption::height(text, body.width);
            let [rest, cap] =
                Layout::vertical([Constraint::Min(0), Constraint::Length(h)]).areas(body);
            Caption {
                text,
                theme: &theme,
            }
            .render(cap, buf);
            rest
        }
        None => body,
    };
    let panel_w = (area.width / 5).clamp(26, 34);
    let [left, right] =
        Layout::horizontal([Constraint::Length(panel_w), Constraint::Min(0)]).areas(body);
    let lab = app.lab();
    ParamPanel {
        params: &lab.params,
        selected: lab.selected,
        input: app.input.as_deref(),
        theme: &theme,
    }
    .render(left, buf);
    render_pane(app, &theme, right, buf);
    render_status(app, &theme, status, buf);
    render_hints(&theme, hints, buf);
    match app.overlay {
        Some(Overlay::Help) => help(&theme, area, buf),
        Some(Overlay::Explain) => explain(app, &theme, area, buf),
        None => {}
    }
}

fn too_small(area: Rect, buf: &mut Buffer, theme: &Theme) {
    let lines = vec![
        Line::styled(
            format!(
                "need {MIN_WIDTH}×{MIN_HEIGHT}, have {}×{}",
                area.width, area.height
            ),
            theme.error,
        ),
        Line::styled("enlarge the terminal · q quits", theme.dim),
    ];
    let y = area.y + area.height.saturating_sub(2) / 2;
    let r = Rect {
        y,
        height: area.height.min(2),
        ..area
    };
    Paragraph::new(lines)
        .alignment(ratatui::layout::Alignment::Center)
        .render(r, buf);
}

fn render_tabs(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let mut spans = vec![Span::styled(" gradscope ", theme.title), Span::raw(" ")];
    for (i, lab) in app.labs.iter().enumerate() {
        let style = if i == app.current {
            theme.tab_active
        } else {
            theme.dim
        };
        spans.push(Span::styled(
            format!(" {} {} ", i + 1, lab.id.name()),
            style,
        ));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::styled(
        format!("— {}", app.lab().id.title()),
        theme.text,
    ));
    Paragraph::new(Line::from(spans)).render(area, buf);
    let right = format!("theme {} ", theme.label());
    let w = right.len() as u16;
    if area.width > w + 40 {
        buf.set_string(area.right() - w, area.y, right, theme.dim);
    }
}

fn render_pane(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let lab = app.lab();
    // With a sweep open the pane gives up 40% of its height; on short screens it keeps only
    // its first chart so both stay readable.
    let mut zoom = app.zoom;
    let (pane_area, sweep_area) = match &app.sweep {
        Some(_) if app.zoom.is_none() => {
            let [a, b] = Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)])
                .areas(area);
            if area.height < 36 {
                zoom = Some(0);
                let [a, b] =
                    Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)])
                        .areas(area);
                (a, Some(b))
            } else {
                (a, Some(b))
            }
        }
        _ => (area, None),
    };
    match &lab.report {
        Some(report) => panes::render(
            lab.id,
            &PaneCtx {
                report,
                pinned: lab.pinned.as_ref(),
                zoom,
                theme,
            },
            pane_area,
            buf,
        ),
        None => {
            Paragraph::new(Line::styled(
                format!("starting {}…", lab.id.name()),
                theme.dim,
            ))
            .render(pane_area, buf);
        }
    }
    if let (Some(sweep), Some(r)) = (&app.sweep, sweep_area) {
        let current = lab.params.get(&sweep.param).as_f64().unwrap_or(f64::NAN);
        panes::sweep::render(sweep, current, theme, r, buf);
    }
}

fn render_status(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let style = match app.run {
        super::app::RunState::Running => theme.running,
        super::app::RunState::Paused => theme.paused,
        super::app::RunState::Done => theme.done,
    };
    let lab = app.lab();
    let step = lab.report.as_ref().map_or(0, |r| r.steps);
    let mut spans = vec![
        Span::styled(format!(" {} ", app.run.label()), style),
        Span::styled(format!("  step {step}  seed {}  ", lab.seed), theme.text),
    ];
    if lab.pinned.is_some() {
        spans.push(Span::styled("pinned  ", theme.dim));
    }
    if let Some(m) = &app.message {
        spans.push(Span::styled(
            m.text.clone(),
            if m.error { theme.error } else { theme.accent },
        ));
    }
    Paragraph::new(Line::from(spans)).render(area, buf);
}

/// The hint bar: help and quit always show at the right; the other hints fill from the left
/// as far as they fit.
fn render_hints(theme: &Theme, area: Rect, buf: &mut Buffer) {
    let items = keymap::hint_items();
    let (pinned, rest): (Vec<_>, Vec<_>) = items
        .into_iter()
        .partition(|(_, word)| matches!(*word, "help" | "quit"));
    let spans_of = |items: &[(&'static str, &'static str)]| -> Vec<Span<'static>> {
        items
            .iter()
            .flat_map(|(key, word)| {
                [
                    Span::styled(format!(" {key}"), theme.accent),
                    Span::styled(format!(" {word} "), theme.dim),
                ]
            })
            .collect()
    };
    let right = Line::from(spans_of(&pinned));
    let room = usize::from(area.width).saturating_sub(right.width());
    let mut left = Vec::new();
    let mut used = 0usize;
    for item in rest {
        let w = item.0.chars().count() + item.1.len() + 3;
        if used + w > room {
            break;
        }
        used += w;
        left.push(item);
    }
    Paragraph::new(Line::from(spans_of(&left))).render(area, buf);
    let rw = right.width() as u16;
    if rw <= area.width {
        buf.set_line(area.right() - rw, area.y, &right, rw);
    }
}

fn help(theme: &Theme, area: Rect, buf: &mut Buffer) {
    let mut lines = Vec::new();
    let section = |title: &'static str, mode: Mode, lines: &mut Vec<Line>| {
        lines.push(Line::styled(title, theme.title));
        for (keys, what) in keymap::help_rows(mode) {
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<12}"), theme.accent),
                Span::styled(what, theme.text),
            ]));
        }
    };
    section("keys", Mode::Normal, &mut lines);
    lines.push(Line::raw(""));
    section("while typing a value", Mode::Input, &mut lines);
    Popup {
        title: "help",
        lines,
        footer: "Esc closes",
        theme,
    }
    .render(area, buf);
}

fn explain(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let lines: Vec<Line> = app
        .lab()
        .id
        .explain()
        .lines()
        .map(|l| Line::styled(l, theme.text))
        .collect();
    Popup {
        title: app.lab().id.title(),
        lines,
        footer: "e or Esc closes",
        theme,
    }
    .render(area, buf);
}
