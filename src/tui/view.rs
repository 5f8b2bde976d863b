//! The whole frame, drawn from the App alone: lab tabs, the parameter panel, the lab's pane
//! (with the sweep view under it), the caption bar, the status bar (a playing demo's HUD,
//! state, step/total, speed, a progress gauge with ETA on long runs, the message — cut with
//! a pointer to the log when it does not fit), the hint bar of the current mode, the help
//! (headed by a demo's chapters), explain, share and message-log overlays, and the question
//! `q` asks during long work. Below the minimum size it draws only what size is needed.

use super::app::{App, DemoHud, Overlay, RunState, SweepView};
use super::keymap::{self, InputMode};
use super::model::clock_text;
use super::panes::{self, PaneCtx};
use super::share;
use super::theme::Theme;
use super::widgets::caption::Caption;
use super::widgets::param_panel::ParamPanel;
use super::widgets::popup::Popup;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

pub use super::model::{MIN_HEIGHT, MIN_WIDTH};

/// Draw the frame for `app` into `buf` over `area`.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = Theme::new(app.theme);
    if let Some(bg) = theme.background {
        // The theme's own paper: its colours then read the same on light and dark terminals.
        buf.set_style(area, ratatui::style::Style::new().bg(bg));
    }
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
    let body = match app.caption() {
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
    let inactive = (lab.id().descriptor().fns.inactive)(lab.params());
    ParamPanel {
        params: lab.params(),
        selected: lab.selected(),
        input: app.input_box(),
        inactive: &inactive,
        preset: lab.preset_name(),
        theme: &theme,
    }
    .render(left, buf);
    render_pane(app, &theme, right, buf);
    render_status(app, &theme, status, buf);
    render_hints(app, &theme, hints, buf);
    if let Some(overlay) = app.overlay() {
        let (title, footer) = match overlay {
            Overlay::Help => ("help", "Esc closes · q quits"),
            Overlay::Explain => (app.lab().id().title(), "e or Esc closes"),
            Overlay::Share => (
                "reproduce this",
                "copied to the clipboard (OSC 52) · Esc closes",
            ),
            Overlay::Log => ("messages, newest first", "M or Esc closes"),
        };
        Popup {
            title,
            lines: overlay_lines(app, &theme),
            footer,
            scroll: app.scroll(),
            theme: &theme,
        }
        .render(area, buf);
    }
    if let Some(sweep) = app
        .sweep()
        .filter(|s| s.asking || app.range_box().is_some())
    {
        sweep_prompt(app, sweep, &theme, area, buf);
    }
    if let Some(lost) = app.confirm_quit() {
        let mut lines = vec![Line::styled("quitting now throws away", theme.text)];
        lines.extend(
            lost.iter()
                .map(|l| Line::styled(format!("  • {l}"), theme.accent)),
        );
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            "q or y quits · any other key stays",
            theme.text,
        ));
        Popup {
            title: "quit?",
            lines,
            footer: "q y quit",
            scroll: 0,
            theme: &theme,
        }
        .render(area, buf);
    }
}

/// The log's lines: each message with its time, newest first, continuation lines indented.
fn log_lines(app: &App, theme: &Theme) -> Vec<Line<'static>> {
    if app.log().is_empty() {
        return vec![Line::styled("no messages yet", theme.dim)];
    }
    let mut lines = Vec::new();
    for entry in app.log().iter().rev() {
        let style = if entry.error { theme.error } else { theme.text };
        let time = format!("{:>7}  ", entry.time());
        for (i, text) in entry.text.lines().enumerate() {
            let head = if i == 0 {
                Span::styled(time.clone(), theme.dim)
            } else {
                Span::raw(" ".repeat(time.chars().count()))
            };
            lines.push(Line::from(vec![
                head,
                Span::styled(text.to_string(), style),
            ]));
        }
    }
    lines
}

/// The lines of the open overlay, unwrapped.
fn overlay_lines(app: &App, theme: &Theme) -> Vec<Line<'static>> {
    match app.overlay() {
        Some(Overlay::Help) => help_lines(app, theme),
        Some(Overlay::Log) => log_lines(app, theme),
        Some(Overlay::Explain) => app
            .lab()
            .id()
            .descriptor()
            .explain
            .lines()
            .map(|l| Line::styled(l, theme.text))
            .collect(),
        Some(Overlay::Share) => {
            let [tui, run] = share::commands(app.lab().spec());
            vec![
                Line::styled("the TUI at this state:", theme.dim),
                Line::styled(tui, theme.accent),
                Line::raw(""),
                Line::styled(
                    "the same run without a terminal (JSON on stdout):",
                    theme.dim,
                ),
                Line::styled(run, theme.accent),
            ]
        }
        None => Vec::new(),
    }
}

/// How many lines the open overlay has (for scrolling).
pub fn overlay_len(app: &App) -> usize {
    overlay_lines(app, &Theme::new(app.theme())).len()
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
    for (i, lab) in app.labs().iter().enumerate() {
        let style = if i == app.current() {
            theme.tab_active
        } else {
            theme.dim
        };
        spans.push(Span::styled(
            format!(" {} {} ", i + 1, lab.id().name()),
            style,
        ));
        spans.push(Span::raw(" "));
    }
    // The lab's title, then the theme's name, each only where it fits whole.
    let used = Line::from(spans.clone()).width();
    let title = format!("— {}", app.lab().id().title());
    let right = format!("theme {} ", theme.label());
    let room = usize::from(area.width).saturating_sub(used);
    let title_w = title.chars().count();
    let right_w = right.chars().count() + 1;
    if title_w <= room {
        spans.push(Span::styled(title, theme.text));
    }
    Paragraph::new(Line::from(spans)).render(area, buf);
    let free = if title_w <= room {
        room - title_w
    } else {
        room
    };
    if right_w <= free {
        let w = right_w as u16 - 1;
        buf.set_string(area.right() - w, area.y, right, theme.dim);
    }
}

fn render_pane(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let lab = app.lab();
    // With a sweep open the pane gives up 40% of its height; on short screens it keeps only
    // its first chart so both stay readable.
    let mut zoom = app.zoom();
    let (pane_area, sweep_area) = match app.sweep() {
        Some(_) if app.zoom().is_none() => {
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
    match lab.report() {
        Some(report) => panes::render(
            lab.id(),
            &PaneCtx {
                report,
                pinned: lab.pinned(),
                zoom,
                theme,
                seeds: lab.seeds(),
                view: lab.view(),
                total: run_length(app),
                x_zoom: app.x_zoom(),
            },
            pane_area,
            buf,
        ),
        None => {
            Paragraph::new(Line::styled(
                format!("starting {}…", lab.id().name()),
                theme.dim,
            ))
            .render(pane_area, buf);
        }
    }
    if let (Some(sweep), Some(r)) = (app.sweep(), sweep_area) {
        let current = (
            lab.params().f64(sweep.param()),
            sweep.param2().map_or(f64::NAN, |p| lab.params().f64(p)),
        );
        panes::sweep::render(sweep, current, theme, r, buf);
    }
}

/// The steps the open lab's run takes: its progress' total while it runs, the steps it took
/// once done (a run may end early).
/// The run's length for step axes: the steps taken once done, else the planned total.
pub(super) fn run_length(app: &App) -> u64 {
    let lab = app.lab();
    match (app.run_state(), lab.report(), app.progress()) {
        (RunState::Done, Some(r), _) => r.steps,
        (_, _, Some(p)) => p.total,
        _ => lab.spec().total_steps(),
    }
}

fn render_status(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let state = app.run_state();
    let style = match state {
        RunState::Running => theme.running,
        RunState::Paused => theme.paused,
        RunState::Done => theme.done,
    };
    let lab = app.lab();
    let (step, total) = match (app.progress(), lab.report()) {
        (Some(p), _) => (p.step, p.total),
        (None, Some(r)) => (r.steps, lab.spec().total_steps()),
        (None, None) => (0, lab.spec().total_steps()),
    };
    let rate = lab.pace();
    let mut spans = vec![];
    if app.recording().is_some() {
        spans.push(Span::styled(" ● REC ", theme.error));
    }
    if let Some(hud) = app.demo() {
        spans.extend(demo_spans(hud, theme));
    }
    spans.extend([
        Span::styled(format!(" {} ", state.label()), style),
        Span::styled(format!("  step {step}/{total}  "), theme.text),
        Span::styled(format!("speed {}  ", app.speed().label()), theme.dim),
        Span::styled(format!("seed {}  ", lab.seed()), theme.text),
    ]);
    // A gauge with an ETA on runs that take more than a few seconds at this pace.
    let long = app
        .speed()
        .steps_per_second(rate)
        .is_none_or(|pace| total as f64 / pace > LONG_RUN_SECS);
    if long && state != RunState::Done {
        let eta = app.progress().and_then(|p| p.eta);
        spans.push(Span::styled(gauge(step, total, 12), theme.accent));
        spans.push(Span::styled(
            format!(" ETA {}  ", eta.map_or("---".to_string(), crate::fmt::eta)),
            theme.dim,
        ));
    }
    if lab.pinned().is_some() {
        spans.push(Span::styled("pinned  ", theme.dim));
    }
    if let Some(m) = app.message() {
        let room = usize::from(area.width).saturating_sub(Line::from(spans.clone()).width());
        spans.push(Span::styled(
            fit_message(&m.text, room),
            if m.error { theme.error } else { theme.accent },
        ));
    }
    Paragraph::new(Line::from(spans)).render(area, buf);
}

/// A demo's HUD: `DEMO`, its position and length, its chapter, and whether it is paused
/// or over.
fn demo_spans(hud: &DemoHud, theme: &Theme) -> Vec<Span<'static>> {
    let mut spans = vec![
        Span::styled(" DEMO ", theme.title),
        Span::styled(format!(" {} ", hud.clock()), theme.text),
    ];
    if let Some(label) = hud.chapter_label() {
        spans.push(Span::styled(
            format!("{} ", crate::fmt::clip_text(label, CHAPTER_WIDTH)),
            theme.accent,
        ));
    }
    if hud.paused {
        spans.push(Span::styled("demo paused ", theme.paused));
    } else if hud.finished {
        spans.push(Span::styled("demo over ", theme.done));
    }
    spans.push(Span::raw(" "));
    spans
}

/// The most characters of a chapter's name the status bar shows.
const CHAPTER_WIDTH: usize = 24;

/// A message cut to `room` columns, saying where the rest is: the log (`M`) has it in full.
fn fit_message(text: &str, room: usize) -> String {
    const MORE: &str = "… (M)";
    let first = text.lines().next().unwrap_or_default();
    let width = |s: &str| Line::raw(s.to_string()).width();
    if width(first) <= room && first.len() == text.len() {
        return first.to_string();
    }
    let keep = room.saturating_sub(width(MORE));
    let mut cut = String::new();
    for c in first.chars() {
        let mut next = cut.clone();
        next.push(c);
        if width(&next) > keep {
            break;
        }
        cut = next;
    }
    format!("{}{MORE}", cut.trim_end())
}

/// Runs longer than this (seconds at the current pace) get a progress gauge.
const LONG_RUN_SECS: f64 = 5.0;

/// `[█████·······]` for step/total in `width` cells.
fn gauge(step: u64, total: u64, width: usize) -> String {
    let filled = if total == 0 {
        width
    } else {
        ((step as f64 / total as f64) * width as f64).round() as usize
    }
    .min(width);
    format!("[{}{}]", "█".repeat(filled), "·".repeat(width - filled))
}

/// The hint bar of the current mode (with the open lab's own actions in Normal mode): help
/// and quit always show at the right; the other hints fill from the left as far as they fit.
fn render_hints(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let mode = app.mode();
    let hints = if app.demo().is_some() {
        keymap::hint_items_playing(mode)
    } else {
        keymap::hint_items(mode)
    };
    let mut items: Vec<(String, &'static str)> =
        hints.into_iter().map(|(k, w)| (k.to_string(), w)).collect();
    if mode == InputMode::Normal {
        // The lab's own keys right after the parameter keys: they are what is new here (in
        // a demo, after its own keys too).
        let at = items.len().min(if app.demo().is_some() { 5 } else { 3 });
        for (i, a) in panes::keys(app.lab().id()).enumerate() {
            items.insert(at + i, (a.key.to_string(), a.label));
        }
    }
    let (pinned, rest): (Vec<_>, Vec<_>) = items
        .into_iter()
        .partition(|(_, word)| matches!(*word, "help" | "quit"));
    let spans_of = |items: &[(String, &'static str)]| -> Vec<Span<'static>> {
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
        let w = item.0.chars().count() + item.1.chars().count() + 3;
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

fn help_lines(app: &App, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let row = |keys: String, what: &str| {
        Line::from(vec![
            Span::styled(format!("  {keys:<12}"), theme.accent),
            Span::styled(what.to_string(), theme.text),
        ])
    };
    let labs = app.labs().len();
    let section = |title: &'static str, mode: InputMode, lines: &mut Vec<Line<'static>>| {
        lines.push(Line::styled(title, theme.title));
        for (keys, what) in keymap::help_rows(mode) {
            // The lab numbers that exist.
            let keys = if keys == "1–N" {
                if labs > 1 {
                    format!("1–{labs}")
                } else {
                    "1".into()
                }
            } else {
                keys.to_string()
            };
            lines.push(row(keys, what));
        }
        lines.push(Line::raw(""));
    };
    if let Some(hud) = app.demo() {
        demo_help(hud, theme, &mut lines);
        section("keys while the demo plays", InputMode::Demo, &mut lines);
    }
    section("keys", InputMode::Normal, &mut lines);
    let lab = app.lab().id();
    if panes::keys(lab).next().is_some() {
        lines.push(Line::styled(
            format!("keys of the {} lab", lab.name()),
            theme.title,
        ));
        for a in panes::keys(lab) {
            lines.push(row(a.key.to_string(), a.help));
        }
        lines.push(Line::raw(""));
    }
    section("with one chart zoomed", InputMode::Zoom, &mut lines);
    section("with the sweep view open", InputMode::Sweep, &mut lines);
    section("while typing a value", InputMode::Input, &mut lines);
    section("in an overlay (this one)", InputMode::Overlay, &mut lines);
    section(
        "when q asks (during a long run, a sweep or seeds)",
        InputMode::Confirm,
        &mut lines,
    );
    lines.pop();
    lines
}

/// The demo's chapters, with their times, the current one marked.
fn demo_help(hud: &DemoHud, theme: &Theme, lines: &mut Vec<Line<'static>>) {
    lines.push(Line::styled(
        format!("the demo's chapters ({} in all)", clock_text(hud.length)),
        theme.title,
    ));
    if hud.chapters.is_empty() {
        lines.push(Line::styled(
            "  none: the script has no mark lines",
            theme.dim,
        ));
    }
    for (i, c) in hud.chapters.iter().enumerate() {
        let here = hud.chapter == Some(i);
        lines.push(Line::from(vec![
            Span::styled(if here { "▸ " } else { "  " }, theme.accent),
            Span::styled(format!("{:>5}  ", clock_text(c.at)), theme.dim),
            Span::styled(
                c.label.clone(),
                if here { theme.accent } else { theme.text },
            ),
        ]));
    }
    lines.push(Line::raw(""));
}

/// The sweep's cost prompt (each choice with its measured cost) or its range being typed.
fn sweep_prompt(app: &App, sweep: &SweepView, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let g = sweep.plan.grid;
    let what = match sweep.param2() {
        Some(p2) => format!("the map of {} × {p2}", sweep.param()),
        None => format!("the sweep of {}", sweep.param()),
    };
    let mut lines = Vec::new();
    if let Some(e) = sweep.estimate.filter(|_| sweep.asking) {
        lines.push(Line::styled(
            format!(
                "{what}: {} runs, about {} on {} threads ({} a run)",
                sweep.total(),
                crate::fmt::eta(e.total),
                e.jobs,
                crate::fmt::eta(e.per_run)
            ),
            theme.text,
        ));
        lines.push(Line::raw(""));
        let keys = ['1', '2', '4'];
        for ((n, runs, secs), key) in sweep.choices().iter().zip(keys) {
            let grid = if sweep.param2().is_some() {
                format!("{n}×{n}")
            } else {
                n.to_string()
            };
            lines.push(Line::styled(
                format!(
                    "  {key}  {grid} points: {runs} runs, ~{}",
                    crate::fmt::eta(*secs)
                ),
                theme.accent,
            ));
        }
        lines.push(Line::styled(
            "  Enter  as planned · / type a range · Esc cancel".to_string(),
            theme.text,
        ));
    }
    if let Some(b) = app.range_box() {
        lines.push(Line::styled(
            format!(
                "{} from, to [, points] (now {} {} {}):",
                sweep.param(),
                crate::fmt::fmt_num(g.from),
                crate::fmt::fmt_num(g.to),
                g.points
            ),
            theme.text,
        ));
        lines.push(Line::styled(format!("  > {}▏", b.text()), theme.accent));
        lines.push(Line::styled("  Enter runs it · Esc cancels", theme.dim));
    }
    Popup {
        title: "sweep",
        lines,
        footer: "Esc cancel",
        scroll: 0,
        theme,
    }
    .render(area, buf);
}
