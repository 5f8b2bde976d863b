//! The charts of issue 23: data drawn over reference lines, at least two labelled y ticks on
//! every chart, a time axis fixed to the run's length while it runs, the zoomed chart's x
//! zoom, and one figure layout drawn by both the terminal and the SVG export.

#![allow(clippy::unwrap_used)]

use crate::common;

use gradscope::testing::labs::LabId;
use gradscope::testing::run::RunSpec;
use gradscope::testing::tui::app::App;
use gradscope::testing::tui::fixture::finished_app;
use gradscope::testing::tui::inline::InlineTui;
use gradscope::testing::tui::keymap::{self, parse_key};
use gradscope::testing::tui::panes::{self, PaneCtx};
use gradscope::testing::tui::svg::chart_svg;
use gradscope::testing::tui::theme::Theme;
use gradscope::testing::tui::theme::ThemeName;
use gradscope::testing::tui::update::update;
use gradscope::testing::tui::view;
use gradscope::testing::tui::widgets::Figure;
use gradscope::testing::tui::widgets::chart::{Axis, Chart, Series};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::symbols::Marker;
use ratatui::widgets::Widget;

/// The screen of `app` at `w`×`h`, one string per row.
fn rows(app: &App, w: u16, h: u16) -> Vec<String> {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| view::render(app, f.area(), f.buffer_mut()))
        .unwrap();
    let buf = term.backend().buffer();
    (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect())
        .collect()
}

fn press(app: &mut App, key: &str) {
    let ev = parse_key(key).unwrap();
    if let Some(action) = keymap::map(app.mode(), &ev) {
        update(app, action);
    }
}

/// A lab's finished run as the snapshots take it: resnet cut to 12 steps and mf to 150 (their
/// numbers past that depend on the CPU's SIMD level).
fn finished(lab: LabId, pairs: &[(&str, &str)]) -> App {
    let mut spec = common::spec(lab, pairs, 0);
    match lab {
        LabId::Resnet => spec.steps = Some(12),
        LabId::Mf => spec.steps = Some(150),
        _ => {}
    }
    finished_app(spec, ThemeName::Default, 120, 36)
}

/// The y tick labels of the rows, top to bottom: the text before each `┤`.
fn y_labels(rows: &[String]) -> Vec<String> {
    rows.iter()
        .filter_map(|row| {
            let chars: Vec<char> = row.chars().collect();
            let at = chars.iter().position(|&c| c == '┤')?;
            let start = chars[..at]
                .iter()
                .rposition(|&c| c == ' ' || c == '│')
                .map_or(0, |p| p + 1);
            Some(chars[start..at].iter().collect())
        })
        .collect()
}

/// Whether each figure of the open lab's pane (in its view) is a chart.
fn chart_figures(app: &App) -> Vec<bool> {
    let theme = Theme::new(ThemeName::Default);
    let lab = app.lab();
    let ctx = PaneCtx {
        report: lab.report().unwrap(),
        pinned: None,
        zoom: None,
        theme: &theme,
        seeds: None,
        view: lab.view(),
        total: 0,
        x_zoom: 0,
    };
    panes::figures(lab.id(), &ctx)
        .iter()
        .map(|f| matches!(f, Figure::Chart(_)))
        .collect()
}

fn is_braille(c: char) -> bool {
    ('\u{2801}'..='\u{28ff}').contains(&c)
}

#[test]
fn a_series_equal_to_its_reference_line_is_drawn_over_it() {
    // rnn with the sigmoid: ρ(W)^k is 1 (to 1e-13) at every lag, on the grey line at 1
    // at the top of the range (fitted to the other curves, which start at 1).
    let mut app = finished(LabId::Rnn, &[("activation", "sigmoid")]);
    press(&mut app, "z");
    let rows = rows(&app, 120, 36);
    let top = rows
        .iter()
        .position(|r| r.contains("ρ(W)^k"))
        .map(|i| &rows[i + 1])
        .unwrap();
    let plot: String = top.chars().skip_while(|&c| !is_braille(c)).collect();
    let plot = plot.trim_end_matches(['│', ' ']);
    assert!(
        plot.chars().count() > 80 && plot.chars().all(is_braille),
        "the series at 1 is drawn across the reference line's row: {top:?}\n{}",
        rows.join("\n")
    );

    // The widget alone: a series at 1 + 1e-13, the reference at 1 on the range's edge.
    let theme = Theme::new(ThemeName::Mono);
    let fitted: Vec<f64> = (0..40).map(|k| 0.5f64.powi(k)).collect();
    let ones: Vec<f64> = (0..40).map(|k| 1.0 + 1e-13 * f64::from(k)).collect();
    let chart = Chart::new("t", &theme)
        .series(vec![
            Series::new("one", &ones, theme.series[0], Marker::Custom('+')),
            Series::new("decay", &fitted, theme.series[1], Marker::Custom('o')),
        ])
        .x(Axis::new("k"))
        .y(Axis::new("y").log(true))
        .fit(vec![1])
        .refs(vec![1.0], "one");
    let mut buf = Buffer::empty(Rect::new(0, 0, 60, 16));
    chart.render(buf.area, &mut buf);
    let text: Vec<String> = (0..16)
        .map(|y| (0..60).map(|x| buf[(x, y)].symbol()).collect())
        .collect();
    let ref_row = text
        .iter()
        .position(|r| r.contains("┤╌") || r.matches('+').count() > 20);
    let row = &text[ref_row.unwrap()];
    assert!(row.matches('+').count() > 30, "{}", text.join("\n"));
}

#[test]
fn every_chart_of_every_pane_has_two_distinct_y_tick_labels() {
    let mut cases: Vec<(LabId, usize)> = LabId::all().iter().map(|&l| (l, 0)).collect();
    cases.push((LabId::Clip, 1));
    for (lab, view) in cases {
        let mut app = finished(lab, &[]);
        if view > 0 {
            press(&mut app, "v");
        }
        let charts = chart_figures(&app);
        for (i, chart) in charts.iter().enumerate() {
            press(&mut app, "z");
            assert_eq!(app.zoom(), Some(i));
            if !chart {
                continue;
            }
            let rows = rows(&app, 120, 36);
            let mut labels = y_labels(&rows);
            labels.sort();
            labels.dedup();
            assert!(
                labels.len() >= 2,
                "{} view {view} figure {i}: y ticks {labels:?}\n{}",
                lab.name(),
                rows.join("\n")
            );
        }
    }
}

/// The row of x tick labels of the lowest chart with `axis` on its x axis.
fn x_row(rows: &[String], axis: &str) -> String {
    rows.iter()
        .rfind(|r| r.contains(&format!(" {axis} ")) && r.contains('│'))
        .cloned()
        .unwrap_or_default()
}

#[test]
fn the_step_axis_spans_the_whole_run_from_the_first_frame() {
    let spec = RunSpec::new(LabId::Bn);
    let total = spec.total_steps();
    let mut tui = InlineTui::new(spec, ThemeName::Default, TestBackend::new(120, 36)).unwrap();
    let mut seen = Vec::new();
    for secs in [1.0, 2.0] {
        tui.advance(secs).unwrap();
        let step = tui.app().progress().unwrap().step;
        assert!(step > 0 && step < total, "mid-run: step {step}/{total}");
        let buf = tui.terminal().backend().buffer().clone();
        let rows: Vec<String> = (0..36)
            .map(|y| (0..120).map(|x| buf[(x, y)].symbol()).collect())
            .collect();
        let xs = x_row(&rows, "step");
        assert!(
            xs.trim_end_matches(['│', ' '])
                .ends_with(&total.to_string()),
            "the axis ends at the run's {total} steps at step {step}: {xs:?}"
        );
        seen.push(xs);
    }
    assert_eq!(seen[0], seen[1], "the x axis does not move");
}

#[test]
fn the_zoomed_charts_x_range_halves_doubles_and_resets() {
    let mut app = finished(LabId::Rnn, &[]);
    press(&mut app, "z");
    let end = |app: &App| {
        let row = x_row(&rows(app, 120, 36), "lag k");
        row.trim_end_matches(['│', ' '])
            .rsplit(' ')
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(end(&app), "100");
    press(&mut app, "]");
    assert_eq!(end(&app), "50");
    press(&mut app, "]");
    assert_eq!(end(&app), "25");
    assert!(app.message().unwrap().text.contains("1/4"));
    press(&mut app, "[");
    assert_eq!(end(&app), "50");
    press(&mut app, "0");
    assert_eq!(end(&app), "100");
    press(&mut app, "[");
    assert!(app.message().unwrap().text.contains("whole x range"));
    // A new zoom starts from the whole range.
    press(&mut app, "]");
    press(&mut app, "z");
    press(&mut app, "z");
    press(&mut app, "z");
    assert_eq!(app.zoom(), Some(0));
    assert_eq!(end(&app), "100");
}

/// The y tick labels of an SVG, bottom to top (plotters right-aligns them at the y axis).
fn svg_y_labels(svg: &str) -> Vec<String> {
    let mut labels: Vec<(f64, String)> = svg
        .split("<text ")
        .skip(1)
        .filter(|t| t.contains("text-anchor=\"end\"") && t.contains("dy=\"0.5ex\""))
        .filter_map(|t| {
            let y: f64 = t.split("y=\"").nth(1)?.split('"').next()?.parse().ok()?;
            let label = t.split('>').nth(1)?.split('<').next()?.trim().to_string();
            Some((y, label))
        })
        .collect();
    labels.sort_by(|a, b| b.0.total_cmp(&a.0));
    labels.into_iter().map(|(_, l)| l).collect()
}

#[test]
fn the_svg_and_the_terminal_draw_the_same_y_range_and_ticks() {
    let theme = Theme::new(ThemeName::Default);
    // mf's balancedness: within a decade on a log axis, barely moving.
    let balance: Vec<f64> = (0..200)
        .map(|k| 3.3e-5 - 1e-6 * (-f64::from(k) / 20.0).exp())
        .collect();
    let flat = [4.2; 50];
    let decades: Vec<f64> = (0..60).map(|k| 10f64.powf(-f64::from(k) / 6.0)).collect();
    let near: Vec<f64> = (0..30).map(|k| 3.3e-5 + 1e-8 * f64::from(k)).collect();
    let cases = [
        (&balance[..], true),
        (&flat[..], false),
        (&decades[..], true),
        (&near[..], false),
    ];
    for (ys, log) in cases {
        let chart = || {
            Chart::new("t", &theme)
                .series(vec![Series::new(
                    "s",
                    ys,
                    theme.series[0],
                    theme.markers[0],
                )])
                .x(Axis::new("k"))
                .y(Axis::new("y").log(log))
                .refs(vec![1.0], "one")
        };
        let layout = chart().layout();
        let mut buf = Buffer::empty(Rect::new(0, 0, 100, 40));
        chart().render(buf.area, &mut buf);
        let rows: Vec<String> = (0..40)
            .map(|y| (0..100).map(|x| buf[(x, y)].symbol()).collect())
            .collect();
        let mut terminal = y_labels(&rows);
        terminal.reverse();
        let svg = svg_y_labels(&chart_svg(chart()).unwrap());
        assert_eq!(terminal, layout.y.labels, "log={log}\n{}", rows.join("\n"));
        assert_eq!(svg, layout.y.labels, "log={log}");
        let mut distinct = terminal.clone();
        distinct.dedup();
        assert!(distinct.len() >= 2, "{terminal:?}");
    }
}

/// The text labels of an SVG.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| t.split_once('>').map(|(_, rest)| rest))
        .filter_map(|t| t.split_once("</text>").map(|(l, _)| l.trim().to_string()))
        .collect()
}

#[test]
fn w_on_a_zoomed_chart_writes_its_x_zoom_and_the_runs_length() {
    use gradscope::testing::tui::svg::{Shown, pane_svg_with_seeds};
    let app = finished(LabId::Bn, &[]);
    let report = app.lab().report().unwrap();
    let total = report.steps;
    let largest_x = |x_zoom: u32| -> f64 {
        let shown = Shown {
            only: Some(0),
            x_zoom,
            total,
            ..Shown::default()
        };
        let svg = pane_svg_with_seeds(LabId::Bn, report, None, ThemeName::Default, shown).unwrap();
        svg_texts(&svg)
            .iter()
            .filter_map(|l| l.parse::<f64>().ok())
            .fold(f64::NEG_INFINITY, f64::max)
    };
    let whole = largest_x(0);
    let half = largest_x(1);
    assert!(whole >= total as f64 * 0.9, "{whole} of {total}");
    assert!(
        half <= total as f64 * 0.55 && half >= total as f64 * 0.4,
        "{half} of {total}"
    );
}
