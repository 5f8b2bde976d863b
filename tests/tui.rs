//! The TUI without a terminal: rendered frames as insta snapshots (TestBackend-style
//! off-screen buffers), and keys → actions → App state and worker commands.

use gradscope::headless::finished_app;
use gradscope::labs::LabId;
use gradscope::params::Value;
use gradscope::sweep::SweepPlan;
use gradscope::tui::app::{App, Overlay, RunState, SweepView};
use gradscope::tui::keymap::{self, Mode, parse_key};
use gradscope::tui::theme::ThemeName;
use gradscope::tui::update::{on_worker, update};
use gradscope::tui::view;
use gradscope::tui::worker::{Command, WorkerEvent};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::atomic::AtomicBool;

/// Render the App through ratatui's TestBackend, as the real loop does, and return the
/// screen as text.
fn screen(app: &App, width: u16, height: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(width, height)).unwrap();
    term.draw(|f| view::render(app, f.area(), f.buffer_mut()))
        .unwrap();
    let buf = term.backend().buffer();
    (0..height)
        .map(|y| {
            let row: String = (0..width).map(|x| buf[(x, y)].symbol()).collect();
            row.trim_end().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Press a key (named as in demo scripts) and return the worker commands it caused.
fn press(app: &mut App, key: &str) -> Vec<Command> {
    let ev = parse_key(key).expect("a known key name");
    match keymap::map(app.mode(), &ev) {
        Some(action) => update(app, action),
        None => vec![],
    }
}

#[test]
fn rnn_pane_80x24() {
    insta::assert_snapshot!(screen(&finished_app(LabId::Rnn, 0), 80, 24));
}

#[test]
fn rnn_pane_160x48() {
    insta::assert_snapshot!(screen(&finished_app(LabId::Rnn, 0), 160, 48));
}

#[test]
fn rnn_pane_nonnormal_mono_160x48() {
    let mut app = finished_app(LabId::Rnn, 0);
    app.theme = ThemeName::Mono;
    let sets = [
        ("init", "nonnormal"),
        ("spectral_norm", "1.3"),
        ("activation", "tanh"),
    ];
    let sets: Vec<(String, String)> = sets
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut lab = gradscope::labs::build(LabId::Rnn, &sets, 0).unwrap();
    gradscope::labs::run_to_end(lab.as_mut(), None);
    for (k, v) in &sets {
        let value = app.lab().params.spec(k).unwrap().parse(v).unwrap();
        app.lab_mut().params.set(k, value).unwrap();
    }
    app.lab_mut().report = Some(lab.report());
    insta::assert_snapshot!(screen(&app, 160, 48));
}

#[test]
fn sweep_view_and_help_overlay() {
    let mut app = finished_app(LabId::Rnn, 0);
    press(&mut app, "Down");
    press(&mut app, "Down");
    let cmds = press(&mut app, "s");
    let Some(Command::Sweep { id, plan }) = cmds.into_iter().next() else {
        panic!("s starts a sweep");
    };
    let plan = SweepPlan {
        steps: Some(0),
        ..plan
    };
    let points = plan
        .run(
            &(0..plan.values.len()).collect::<Vec<_>>(),
            2,
            &AtomicBool::new(false),
            |_| {},
        )
        .unwrap();
    for point in points {
        on_worker(&mut app, WorkerEvent::SweepPoint { id, point });
    }
    on_worker(&mut app, WorkerEvent::SweepDone { id, error: None });
    insta::assert_snapshot!("sweep_120x40", screen(&app, 120, 40));
    press(&mut app, "?");
    insta::assert_snapshot!("help_100x44", screen(&app, 100, 44));
}

#[test]
fn mf_pane_160x48() {
    insta::assert_snapshot!(screen(&finished_app(LabId::Mf, 0), 160, 48));
}

#[test]
fn mf_landscape_mono_120x40() {
    let sets: Vec<(String, String)> = [
        ("rows", "1"),
        ("cols", "1"),
        ("rank", "1"),
        ("true_rank", "1"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut app = App::new(LabId::Mf, ThemeName::Mono, 0);
    for (k, v) in &sets {
        let value = app.lab().params.spec(k).unwrap().parse(v).unwrap();
        app.lab_mut().params.set(k, value).unwrap();
    }
    let mut lab = gradscope::labs::build(LabId::Mf, &sets, 0).unwrap();
    gradscope::labs::run_to_end(lab.as_mut(), None);
    app.lab_mut().report = Some(lab.report());
    app.run = RunState::Done;
    assert_eq!(
        gradscope::tui::panes::chart_count(LabId::Mf, app.lab().report.as_ref()),
        5
    );
    insta::assert_snapshot!(screen(&app, 120, 40));
    // z cycles through all five charts; the fifth is the landscape alone.
    for _ in 0..5 {
        press(&mut app, "z");
    }
    assert_eq!(app.zoom, Some(4));
    let zoomed = screen(&app, 120, 40);
    assert!(zoomed.contains("path • and minima ab = x ·"), "{zoomed}");
    assert!(zoomed.contains('◉'));
}

#[test]
fn the_lab_key_sends_the_lab_action() {
    let mut app = finished_app(LabId::Mf, 0);
    assert!(matches!(&press(&mut app, "g")[..], [Command::LabAction]));
    on_worker(
        &mut app,
        WorkerEvent::Info("applied a random invertible R".into()),
    );
    assert!(screen(&app, 160, 48).contains("applied a random invertible R"));
}

#[test]
fn too_small_says_what_it_needs_and_q_still_quits() {
    let mut app = finished_app(LabId::Rnn, 0);
    let text = screen(&app, 60, 20);
    assert!(text.contains("need 80×24, have 60×20"), "{text}");
    press(&mut app, "q");
    assert!(app.quit);
}

#[test]
fn adjusting_a_parameter_sets_it_and_restarts_the_run() {
    let mut app = App::new(LabId::Rnn, ThemeName::Default, 0);
    app.run = RunState::Done;
    press(&mut app, "Down");
    press(&mut app, "j");
    assert_eq!(app.lab().selected, 2, "spectral_norm");
    let cmds = press(&mut app, "Right");
    assert!(matches!(
        &cmds[..],
        [Command::Set { name, value: Value::Float(v) }] if name == "spectral_norm" && *v == 1.01
    ));
    assert_eq!(app.run, RunState::Running);
    press(&mut app, "Shift-Right");
    assert_eq!(app.lab().params.get("spectral_norm"), &Value::Float(1.11));
    press(&mut app, "H");
    press(&mut app, "h");
    assert_eq!(app.lab().params.get("spectral_norm"), &Value::Float(1.0));
    // Choices cycle.
    press(&mut app, "Down");
    press(&mut app, "Down");
    press(&mut app, "Right");
    assert_eq!(
        app.lab().params.get("init"),
        &Value::Text("gaussian".into())
    );
    // Selection wraps.
    press(&mut app, "Up");
    press(&mut app, "Up");
    press(&mut app, "Up");
    press(&mut app, "Up");
    press(&mut app, "Up");
    assert_eq!(app.lab().selected, 6);
}

#[test]
fn typing_a_value_validates_it() {
    let mut app = App::new(LabId::Rnn, ThemeName::Default, 0);
    press(&mut app, "Enter");
    assert_eq!(app.mode(), Mode::Input);
    for k in ["6", "x", "Backspace", "4"] {
        press(&mut app, k);
    }
    let cmds = press(&mut app, "Enter");
    assert!(
        matches!(&cmds[..], [Command::Set { name, value: Value::Int(64) }] if name == "hidden")
    );
    assert_eq!(app.mode(), Mode::Normal);
    press(&mut app, "Enter");
    for k in ["9", "9", "9"] {
        press(&mut app, k);
    }
    assert!(press(&mut app, "Enter").is_empty());
    assert_eq!(app.mode(), Mode::Input, "a bad value keeps the input open");
    assert!(app.message.as_ref().unwrap().error);
    assert!(app.message.as_ref().unwrap().text.contains("[2, 256]"));
    press(&mut app, "Esc");
    assert_eq!(app.mode(), Mode::Normal);
    assert_eq!(app.lab().params.get("hidden"), &Value::Int(64));
}

#[test]
fn pause_step_reset_and_seed() {
    let mut app = App::new(LabId::Rnn, ThemeName::Default, 5);
    assert!(matches!(
        &press(&mut app, "Space")[..],
        [Command::Run(false)]
    ));
    assert_eq!(app.run, RunState::Paused);
    assert!(matches!(
        &press(&mut app, "Space")[..],
        [Command::Run(true)]
    ));
    assert_eq!(app.run, RunState::Running);
    assert!(matches!(&press(&mut app, ".")[..], [Command::Step]));
    assert_eq!(app.run, RunState::Paused);
    assert!(matches!(
        &press(&mut app, "r")[..],
        [Command::Reset { seed: 5 }]
    ));
    assert!(matches!(
        &press(&mut app, "n")[..],
        [Command::Reset { seed: 6 }]
    ));
    assert_eq!(app.lab().seed, 6);
    app.run = RunState::Done;
    assert!(press(&mut app, "Space").is_empty());
}

#[test]
fn help_and_explain_open_and_close() {
    let mut app = App::new(LabId::Rnn, ThemeName::Default, 0);
    press(&mut app, "?");
    assert_eq!(app.overlay, Some(Overlay::Help));
    assert!(
        press(&mut app, "Right").is_empty(),
        "keys below an overlay are inert"
    );
    assert_eq!(app.lab().selected, 0);
    press(&mut app, "e");
    assert_eq!(app.overlay, Some(Overlay::Explain));
    press(&mut app, "Esc");
    assert_eq!(app.overlay, None);
    press(&mut app, "e");
    let text = screen(&app, 100, 40);
    assert!(text.contains("necessary, not sufficient"), "{text}");
    press(&mut app, "e");
    assert_eq!(app.overlay, None);
}

#[test]
fn switching_labs_loads_them_and_rejects_missing_ones() {
    let mut app = App::new(LabId::Rnn, ThemeName::Default, 0);
    let n = LabId::all().len();
    let cmds = press(&mut app, "Tab");
    if n == 1 {
        assert!(cmds.is_empty());
    } else {
        assert!(matches!(&cmds[..], [Command::Load { lab, .. }] if *lab == LabId::all()[1]));
        assert_eq!(app.current, 1);
        press(&mut app, "1");
        assert_eq!(app.current, 0);
    }
    assert!(press(&mut app, "6").is_empty() || n == 6);
    if n < 6 {
        assert!(app.message.as_ref().unwrap().text.contains("no lab 6"));
    }
}

#[test]
fn zoom_sweep_theme_pin_and_rejections() {
    let mut app = finished_app(LabId::Rnn, 0);
    press(&mut app, "z");
    assert_eq!(app.zoom, Some(0));
    press(&mut app, "z");
    assert_eq!(app.zoom, Some(1));
    press(&mut app, "z");
    assert_eq!(app.zoom, None);
    press(&mut app, "t");
    assert_eq!(app.theme, ThemeName::Projector);
    press(&mut app, "p");
    assert!(app.lab().pinned.is_some());
    press(&mut app, "P");
    assert!(app.lab().pinned.is_none());
    // Sweeping a choice parameter is refused with a reason.
    for _ in 0..4 {
        press(&mut app, "Down");
    }
    assert!(press(&mut app, "s").is_empty());
    assert!(app.message.as_ref().unwrap().text.contains("not numeric"));
    // A sweep of a numeric parameter spans its range.
    press(&mut app, "Up");
    press(&mut app, "Up");
    let cmds = press(&mut app, "s");
    let sweep: &SweepView = app.sweep.as_ref().unwrap();
    assert_eq!(sweep.values.len(), 41);
    assert_eq!(sweep.values[0], 0.05);
    assert_eq!(*sweep.values.last().unwrap(), 3.0);
    assert!(matches!(&cmds[..], [Command::Sweep { .. }]));
    assert!(matches!(
        &press(&mut app, "Esc")[..],
        [Command::CancelSweep]
    ));
    assert!(app.sweep.is_none());
    // The worker undoing a rejected value puts the old one back in the panel.
    app.lab_mut().params.set("hidden", Value::Int(64)).unwrap();
    on_worker(
        &mut app,
        WorkerEvent::Rejected {
            lab: LabId::Rnn,
            name: "hidden".into(),
            previous: Value::Int(32),
            message: "no".into(),
        },
    );
    assert_eq!(app.lab().params.get("hidden"), &Value::Int(32));
}

#[test]
fn every_pane_renders_at_every_size_zoom_and_theme_without_panicking() {
    for lab in LabId::all() {
        let mut app = finished_app(lab, 1);
        let charts = gradscope::tui::panes::chart_count(lab, app.lab().report.as_ref());
        for theme in [ThemeName::Default, ThemeName::Projector, ThemeName::Mono] {
            app.theme = theme;
            for zoom in std::iter::once(None).chain((0..charts).map(Some)) {
                app.zoom = zoom;
                for (w, h) in [
                    (80, 24),
                    (81, 25),
                    (97, 31),
                    (120, 40),
                    (160, 48),
                    (233, 67),
                    (79, 30),
                    (20, 5),
                    (1, 1),
                ] {
                    let _ = screen(&app, w, h);
                }
            }
        }
        // With a sweep view (points still arriving, one of them diverged) and overlays.
        app.zoom = None;
        press(&mut app, "s");
        let values = app
            .sweep
            .as_ref()
            .map(|s| s.values.clone())
            .unwrap_or_default();
        if let Some(sweep) = app.sweep.as_mut() {
            for (i, v) in values.iter().enumerate().take(5) {
                sweep.points.push(gradscope::sweep::SweepPoint {
                    index: i,
                    value: *v,
                    metric: if i == 2 { f64::NAN } else { i as f64 },
                });
            }
        }
        for (w, h) in [(80, 24), (120, 40), (160, 48)] {
            let _ = screen(&app, w, h);
        }
        for key in ["?", "e"] {
            press(&mut app, key);
            for (w, h) in [(80, 24), (160, 48)] {
                let _ = screen(&app, w, h);
            }
            press(&mut app, "Esc");
        }
    }
}
