//! The TUI without a terminal: rendered frames as insta snapshots (ratatui's TestBackend),
//! keys → actions → App state and worker commands, and whole sessions through the inline
//! driver with its virtual clock.

#![allow(clippy::unwrap_used)]

use crate::common;

use gradscope::testing::labs::LabId;
use gradscope::testing::params::Value;
use gradscope::testing::run::{Quiet, RunSpec, Runner};
use gradscope::testing::sweep::SweepPoint;
use gradscope::testing::tui::action::Action;
use gradscope::testing::tui::app::{App, Overlay, RunState};
use gradscope::testing::tui::fixture::finished_app;
use gradscope::testing::tui::inline::InlineTui;
use gradscope::testing::tui::keymap::{self, InputMode, parse_key};
use gradscope::testing::tui::theme::ThemeName;
use gradscope::testing::tui::update::{on_worker, update};
use gradscope::testing::tui::view;
use gradscope::testing::tui::worker::{Command, Progress, WorkerEvent};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, OnceLock};

/// Render the App through ratatui's TestBackend, as the real loop does, and return the
/// screen as text.
fn screen(app: &App, width: u16, height: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(width, height)).unwrap();
    term.draw(|f| view::render(app, f.area(), f.buffer_mut()))
        .unwrap();
    text_of(term.backend())
}

fn text_of(backend: &TestBackend) -> String {
    let buf = backend.buffer();
    (0..buf.area.height)
        .map(|y| {
            let row: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
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

fn done_app(lab: LabId, seed: u64) -> App {
    let spec = RunSpec {
        seed,
        ..RunSpec::new(lab)
    };
    finished_app(spec, ThemeName::Default, 160, 48)
}

fn spec_with(lab: LabId, pairs: &[(&str, &str)]) -> RunSpec {
    common::spec(lab, pairs, 0)
}

/// The App after a finished run of `spec`, in `theme`, at `w`×`h`.
fn app_of(spec: RunSpec, theme: ThemeName, w: u16, h: u16) -> App {
    finished_app(spec, theme, w, h)
}

/// The App after a finished default run of `lab` (seed 0, default theme, 80×24), computed
/// once per test process. resnet's run is cut to its first 12 steps: it computes in f32 with
/// kernels chosen at run time by the CPU's SIMD level (AVX2 or AVX-512, FMA or not), and 400
/// steps of SGD grow last-bit differences into different readouts on another machine; 12
/// steps stay inside the readouts' rounding and draw every part of the pane.
/// A lab's default run, cut where its numbers do not depend on the CPU's SIMD level:
/// resnet's f32 training (matrixmultiply and our kernels dispatch at run time) after 12
/// steps; mf after 150 steps, when every singular value is learned but the gap (8e-4) is
/// still far above the 1e-12 where the run stops and the rounding of faer's SVD, which
/// differs between AVX2 and AVX-512.
fn snapshot_spec(lab: LabId) -> RunSpec {
    let mut spec = RunSpec::new(lab);
    match lab {
        LabId::Resnet => spec.steps = Some(12),
        LabId::Mf => spec.steps = Some(150),
        _ => {}
    }
    spec
}

fn finished_default(lab: LabId) -> App {
    static CACHE: OnceLock<Mutex<HashMap<LabId, App>>> = OnceLock::new();
    let mut cache = CACHE.get_or_init(Default::default).lock().unwrap();
    let spec = snapshot_spec(lab);
    cache
        .entry(lab)
        .or_insert_with(|| app_of(spec, ThemeName::Default, 80, 24))
        .clone()
}

/// A report event of the App's current generation.
fn report_event(
    app: &App,
    report: gradscope::testing::report::Report,
    state: RunState,
) -> WorkerEvent {
    WorkerEvent::Report {
        generation: app.generation(),
        progress: Progress {
            step: report.steps,
            total: report.steps,
            eta: None,
            rate: None,
        },
        report: Box::new(report),
        state,
    }
}

fn the_spec(cmds: &[Command]) -> Option<&RunSpec> {
    cmds.iter().find_map(|c| match c {
        Command::Load { spec, .. } => Some(spec),
        _ => None,
    })
}

/// The screen with wall-clock measurements masked: resnet's `img/s  352` (a fixed-width
/// field) differs from run to run, everything else is a function of the seed.
fn mask_measured(screen: &str) -> String {
    let mut out = String::with_capacity(screen.len());
    let mut rest = screen;
    while let Some(at) = rest.find("img/s ") {
        let (head, tail) = rest.split_at(at + "img/s ".len());
        out.push_str(head);
        // The field is four wide, right-aligned; more digits only past 9999 img/s.
        let field = tail
            .char_indices()
            .take_while(|&(i, c)| c.is_ascii_digit() || (i < 4 && " .–".contains(c)))
            .last()
            .map_or(0, |(i, c)| i + c.len_utf8());
        out.push_str(&"#".repeat(tail[..field].chars().count()));
        rest = &tail[field..];
    }
    out.push_str(rest);
    mask_gauge(&out)
}

/// mf's gauge check (f at a random gauge transform of (A, B) minus f, relative) is
/// rounding by design, 1e-15 or so; its digits follow the SIMD level faer runs at.
fn mask_gauge(screen: &str) -> String {
    let mut out = String::with_capacity(screen.len());
    let mut rest = screen;
    while let Some(at) = rest.find("gauge ") {
        let (head, tail) = rest.split_at(at + "gauge ".len());
        out.push_str(head);
        let len = if tail.starts_with(|c: char| c.is_ascii_digit()) {
            tail.find(char::is_whitespace).unwrap_or(tail.len())
        } else {
            0
        };
        out.push_str(&"#".repeat(len));
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

#[test]
fn every_pane_at_80x24_and_160x48() {
    for &lab in LabId::all() {
        let mut app = finished_default(lab);
        for (w, h) in [(80, 24), (160, 48)] {
            update(&mut app, Action::Resize(w, h));
            let name = format!("{}_pane_{w}x{h}", lab.name());
            insta::assert_snapshot!(name, mask_measured(&screen(&app, w, h)));
        }
    }
}

#[test]
fn rnn_pane_nonnormal_mono_160x48() {
    let spec = spec_with(
        LabId::Rnn,
        &[
            ("init", "nonnormal"),
            ("spectral_norm", "1.3"),
            ("activation", "tanh"),
        ],
    );
    let app = app_of(spec, ThemeName::Mono, 160, 48);
    insta::assert_snapshot!(screen(&app, 160, 48));
}

#[test]
fn sweep_view_and_help_overlay() {
    let mut app = app_of(RunSpec::new(LabId::Rnn), ThemeName::Default, 120, 40);
    press(&mut app, "Down");
    press(&mut app, "Down");
    let cmds = press(&mut app, "s");
    let Some(Command::Sweep { id, plan, .. }) = cmds.into_iter().next() else {
        panic!("s starts a sweep");
    };
    let points = plan
        .run(
            gradscope::testing::sweep::Shard::ALL,
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
    update(&mut app, Action::Resize(100, 44));
    insta::assert_snapshot!("help_100x44", screen(&app, 100, 44));
}

#[test]
fn mf_landscape_mono_120x40() {
    let spec = spec_with(
        LabId::Mf,
        &[
            ("rows", "1"),
            ("cols", "1"),
            ("rank", "1"),
            ("true_rank", "1"),
        ],
    );
    let mut app = app_of(spec, ThemeName::Mono, 120, 40);
    let theme = gradscope::testing::tui::theme::Theme::new(ThemeName::Mono);
    let charts = gradscope::testing::tui::panes::figure_count(
        LabId::Mf,
        app.lab().report().unwrap(),
        &theme,
        0,
    );
    assert_eq!(charts, 5);
    insta::assert_snapshot!(screen(&app, 120, 40));
    // z cycles through all five charts; the fifth is the landscape alone.
    for _ in 0..5 {
        press(&mut app, "z");
    }
    assert_eq!(app.zoom(), Some(4));
    let zoomed = screen(&app, 120, 40);
    assert!(zoomed.contains("path • and minima ab = x ·"), "{zoomed}");
    assert!(zoomed.contains('◉'));
}

#[test]
fn the_lab_key_sends_the_lab_action() {
    let mut app = done_app(LabId::Mf, 0);
    assert!(matches!(&press(&mut app, "g")[..], [Command::Act("gauge")]));
    let generation = app.generation();
    on_worker(
        &mut app,
        WorkerEvent::Info {
            generation,
            text: "applied a random invertible R".into(),
        },
    );
    assert!(screen(&app, 160, 48).contains("applied a random invertible R"));
    // g means nothing in rnn, and says so.
    let mut rnn = done_app(LabId::Rnn, 0);
    assert!(press(&mut rnn, "g").is_empty());
    assert!(
        rnn.message()
            .unwrap()
            .text
            .contains("g does nothing in rnn")
    );
}

#[test]
fn too_small_says_what_it_needs_and_only_q_acts() {
    let mut app = done_app(LabId::Rnn, 0);
    update(&mut app, Action::Resize(60, 20));
    let text = screen(&app, 60, 20);
    assert!(text.contains("need 80×24, have 60×20"), "{text}");
    press(&mut app, "j");
    assert_eq!(
        app.lab().selected(),
        0,
        "j does nothing on the too-small screen"
    );
    press(&mut app, "q");
    assert!(app.quit_requested());
}

#[test]
fn adjusting_a_parameter_sets_it_and_restarts_the_run() {
    let mut app = done_app(LabId::Rnn, 0);
    assert_eq!(app.run_state(), RunState::Done);
    press(&mut app, "Down");
    press(&mut app, "j");
    assert_eq!(app.lab().selected(), 2, "spectral_norm");
    let cmds = press(&mut app, "Right");
    let spec = the_spec(&cmds).expect("a new run");
    assert_eq!(spec.params.get("spectral_norm"), &Value::Float(1.01));
    assert_eq!(app.run_state(), RunState::Running);
    press(&mut app, "Shift-Right");
    assert_eq!(app.lab().params().get("spectral_norm"), &Value::Float(1.11));
    press(&mut app, "H");
    press(&mut app, "h");
    assert_eq!(app.lab().params().get("spectral_norm"), &Value::Float(1.0));
    // Choices cycle.
    for _ in 0..3 {
        press(&mut app, "Down");
    }
    press(&mut app, "Right");
    assert_eq!(
        app.lab().params().get("init"),
        &Value::Text("gaussian".into())
    );
    // Selection wraps.
    for _ in 0..6 {
        press(&mut app, "Up");
    }
    assert_eq!(app.lab().selected(), 7);
}

#[test]
fn typing_a_value_validates_it() {
    let mut app = App::new(RunSpec::new(LabId::Rnn), ThemeName::Default);
    press(&mut app, "Enter");
    assert_eq!(app.mode(), InputMode::Input);
    for k in ["6", "x", "Backspace", "4"] {
        press(&mut app, k);
    }
    let cmds = press(&mut app, "Enter");
    assert_eq!(
        the_spec(&cmds).unwrap().params.get("hidden"),
        &Value::Int(64)
    );
    assert_eq!(app.mode(), InputMode::Normal);
    press(&mut app, "Enter");
    for k in ["9", "9", "9"] {
        press(&mut app, k);
    }
    assert!(press(&mut app, "Enter").is_empty());
    assert_eq!(
        app.mode(),
        InputMode::Input,
        "a bad value keeps the input open"
    );
    assert!(app.message().unwrap().error);
    assert!(app.message().unwrap().text.contains("[2, 256]"));
    press(&mut app, "Esc");
    assert_eq!(app.mode(), InputMode::Normal);
    assert!(app.message().is_none(), "the error clears with the input");
    assert_eq!(app.lab().params().get("hidden"), &Value::Int(64));
}

#[test]
fn pause_step_reset_and_seed() {
    let mut app = App::new(
        RunSpec {
            seed: 5,
            ..RunSpec::new(LabId::Rnn)
        },
        ThemeName::Default,
    );
    update(&mut app, Action::Start);
    assert!(matches!(
        &press(&mut app, "Space")[..],
        [Command::Run(false)]
    ));
    assert_eq!(app.run_state(), RunState::Paused);
    assert!(matches!(
        &press(&mut app, "Space")[..],
        [Command::Run(true)]
    ));
    assert_eq!(app.run_state(), RunState::Running);
    assert!(matches!(&press(&mut app, ".")[..], [Command::Step]));
    assert_eq!(app.run_state(), RunState::Paused);
    assert_eq!(the_spec(&press(&mut app, "r")).unwrap().seed, 5);
    assert_eq!(the_spec(&press(&mut app, "n")).unwrap().seed, 6);
    assert_eq!(app.lab().seed(), 6);
    let report = Runner::new(app.lab().spec().clone()).unwrap().report();
    let event = report_event(&app, report, RunState::Done);
    on_worker(&mut app, event);
    assert!(press(&mut app, "Space").is_empty());
}

#[test]
fn help_and_explain_open_close_and_q_quits_from_them() {
    let mut app = App::new(RunSpec::new(LabId::Rnn), ThemeName::Default);
    press(&mut app, "?");
    assert_eq!(app.overlay(), Some(Overlay::Help));
    assert!(
        press(&mut app, "Right").is_empty(),
        "keys below an overlay are inert"
    );
    assert_eq!(app.lab().selected(), 0);
    press(&mut app, "e");
    assert_eq!(app.overlay(), Some(Overlay::Explain));
    press(&mut app, "Esc");
    assert_eq!(app.overlay(), None);
    press(&mut app, "e");
    let text = screen(&app, 100, 40);
    assert!(text.contains("necessary, not sufficient"), "{text}");
    press(&mut app, "e");
    assert_eq!(app.overlay(), None);
    press(&mut app, "?");
    press(&mut app, "q");
    assert!(app.quit_requested(), "q quits from an overlay");
}

#[test]
fn switching_labs_loads_them_and_rejects_missing_ones() {
    let mut app = App::new(RunSpec::new(LabId::Rnn), ThemeName::Default);
    let n = LabId::all().len();
    let cmds = press(&mut app, "Tab");
    if n == 1 {
        assert!(cmds.is_empty());
    } else {
        assert_eq!(the_spec(&cmds).unwrap().lab, LabId::all()[1]);
        assert_eq!(app.current(), 1);
        press(&mut app, "1");
        assert_eq!(app.current(), 0);
    }
    assert!(press(&mut app, "6").is_empty() || n == 6);
    if n < 6 {
        assert!(app.message().unwrap().text.contains("no lab 6"));
    }
}

#[test]
fn zoom_sweep_theme_pin_and_rejections() {
    let mut app = done_app(LabId::Rnn, 0);
    press(&mut app, "z");
    assert_eq!(app.zoom(), Some(0));
    press(&mut app, "z");
    assert_eq!(app.zoom(), Some(1));
    press(&mut app, "z");
    assert_eq!(app.zoom(), None);
    press(&mut app, "t");
    assert_eq!(app.theme(), ThemeName::Projector);
    press(&mut app, "p");
    assert!(app.lab().pinned().is_some());
    press(&mut app, "P");
    assert!(app.lab().pinned().is_none());
    press(&mut app, "P");
    assert!(app.message().unwrap().text.contains("no pinned run"));
    // Sweeping a choice parameter is refused with a reason.
    for _ in 0..5 {
        press(&mut app, "Down");
    }
    assert!(press(&mut app, "s").is_empty());
    assert!(app.message().unwrap().text.contains("not numeric"));
    // A sweep of a numeric parameter spans its range.
    for _ in 0..3 {
        press(&mut app, "Up");
    }
    let cmds = press(&mut app, "s");
    let sweep = app.sweep().unwrap();
    assert_eq!(sweep.total(), 41);
    assert_eq!(sweep.plan.grid.from, 0.05);
    assert_eq!(sweep.plan.grid.to, 3.0);
    assert!(matches!(&cmds[..], [Command::Sweep { .. }]));
    assert!(matches!(
        &press(&mut app, "Esc")[..],
        [Command::CancelSweep]
    ));
    assert!(app.sweep().is_none());
    // A start that fails puts the last good parameters back in the panel.
    let mut app = done_app(LabId::Mf, 0);
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "1,2\n3\n").unwrap();
    for _ in 0..7 {
        press(&mut app, "Down");
    }
    press(&mut app, "Enter");
    for c in bad.to_str().unwrap().chars() {
        update(&mut app, Action::InputChar(c));
    }
    let cmds = press(&mut app, "Enter");
    let spec = the_spec(&cmds).unwrap().clone();
    assert_eq!(app.lab().params().text("input"), bad.to_str().unwrap());
    let message = Runner::new(spec).err().unwrap().0;
    let generation = app.generation();
    on_worker(
        &mut app,
        WorkerEvent::Failed {
            generation,
            message,
        },
    );
    assert_eq!(app.lab().params().text("input"), "");
    assert_eq!(
        app.input(),
        Some(bad.to_str().unwrap()),
        "the path stays for editing"
    );
    assert!(app.message().unwrap().error);
}

#[test]
fn every_pane_renders_at_every_size_zoom_and_theme_without_panicking() {
    for &lab in LabId::all() {
        let mut app = finished_default(lab);
        update(&mut app, Action::Resize(160, 48));
        let theme = gradscope::testing::tui::theme::Theme::new(ThemeName::Default);
        let charts = gradscope::testing::tui::panes::figure_count(
            lab,
            app.lab().report().unwrap(),
            &theme,
            0,
        );
        for theme in [ThemeName::Default, ThemeName::Projector, ThemeName::Mono] {
            while app.theme() != theme {
                press(&mut app, "t");
            }
            for zoom in 0..=charts {
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
                let _ = zoom;
                press(&mut app, "z");
            }
            assert_eq!(app.zoom(), None);
        }
        // With a sweep view (points still arriving, one of them diverged) and overlays.
        press(&mut app, "Down");
        let cmds = press(&mut app, "s");
        if let Some(Command::Sweep { id, plan, .. }) = cmds.first() {
            for i in 0..5.min(plan.grid.points) {
                let point = SweepPoint {
                    index: i,
                    value: plan.grid.value(i),
                    metric: if i == 2 { f64::NAN } else { i as f64 },
                    spread: None,
                    summary: Vec::new(),
                };
                on_worker(&mut app, WorkerEvent::SweepPoint { id: *id, point });
            }
        }
        for (w, h) in [(80, 24), (120, 40), (160, 48)] {
            let _ = screen(&app, w, h);
        }
        for key in ["?", "e", "y"] {
            press(&mut app, key);
            for (w, h) in [(80, 24), (160, 48)] {
                let _ = screen(&app, w, h);
            }
            press(&mut app, "Esc");
        }
    }
}

#[test]
fn ten_queued_changes_restart_the_run_once() {
    let mut tui = InlineTui::new(
        RunSpec::new(LabId::Rnn),
        ThemeName::Default,
        TestBackend::new(120, 40),
    )
    .unwrap();
    tui.frame().unwrap();
    let before = tui.runs_started();
    tui.press("Down");
    tui.press("Down");
    for _ in 0..10 {
        tui.press("Right");
    }
    tui.frame().unwrap();
    assert_eq!(tui.runs_started(), before + 1, "ten Sets, one reset");
    let report = tui.app().lab().report().unwrap();
    assert_eq!(report.params["spectral_norm"], Value::Float(1.1));
}

#[test]
fn reports_of_an_older_generation_are_dropped() {
    let mut app = App::new(RunSpec::new(LabId::Mf), ThemeName::Default);
    update(&mut app, Action::Start);
    let old = Runner::new(RunSpec::new(LabId::Mf)).unwrap().report();
    press(&mut app, "r");
    let stale = WorkerEvent::Report {
        generation: app.generation() - 1,
        report: Box::new(old.clone()),
        state: RunState::Done,
        progress: Progress {
            step: 0,
            total: 500,
            eta: None,
            rate: None,
        },
    };
    on_worker(&mut app, stale);
    assert!(app.lab().report().is_none(), "the stale report was dropped");
    let event = report_event(&app, old, RunState::Running);
    on_worker(&mut app, event);
    assert!(app.lab().report().is_some());
}

/// Play the same keys twice through the inline driver and compare every frame.
#[test]
fn the_inline_driver_gives_the_same_frames_twice() {
    let play = || {
        let mut tui = InlineTui::new(
            RunSpec::new(LabId::Mf),
            ThemeName::Default,
            TestBackend::new(100, 30),
        )
        .unwrap();
        let mut frames = Vec::new();
        for (i, key) in [
            "", "Down", "+", "", "Right", "Space", ".", "Space", "z", "Esc",
        ]
        .iter()
        .enumerate()
        {
            if !key.is_empty() {
                tui.press(key);
            }
            for _ in 0..(3 + i) {
                tui.frame().unwrap();
                frames.push(tui.terminal().backend().buffer().clone());
            }
        }
        frames
    };
    let (a, b) = (play(), play());
    assert_eq!(a.len(), b.len());
    assert!(a.iter().zip(&b).all(|(x, y)| x == y), "the frames differ");
}

#[test]
fn quitting_does_not_wait_behind_queued_restarts() {
    let mut spec = RunSpec::new(LabId::Mf);
    spec.set_str("rows", "400").unwrap();
    spec.set_str("cols", "400").unwrap();
    let mut tui = InlineTui::new(spec, ThemeName::Default, TestBackend::new(100, 30)).unwrap();
    tui.frame().unwrap();
    let before = tui.runs_started();
    for _ in 0..5 {
        tui.press("r");
    }
    tui.press("q");
    assert!(tui.app().quit_requested());
    let start = std::time::Instant::now();
    tui.frame().unwrap();
    // q's commands were merged with the restarts: none of them ran.
    assert_eq!(tui.runs_started(), before);
    assert!(start.elapsed().as_secs_f64() < 1.0);
}

#[test]
fn a_finished_run_fed_through_the_worker_event_matches_a_direct_run() {
    let spec = RunSpec::new(LabId::Rnn);
    let mut runner = Runner::new(spec.clone()).unwrap();
    runner.run_to_end(None, &mut Quiet);
    let app = done_app(LabId::Rnn, 0);
    assert_eq!(app.lab().report(), Some(&runner.report()));
    assert_eq!(app.run_state(), RunState::Done);
}

#[test]
fn help_scrolls_at_80x24_and_share_shows_the_commands() {
    let mut app = app_of(snapshot_spec(LabId::Mf), ThemeName::Default, 80, 24);
    press(&mut app, "?");
    insta::assert_snapshot!("help_80x24_top", screen(&app, 80, 24));
    press(&mut app, "PgDn");
    press(&mut app, "PgDn");
    assert!(app.scroll() > 0);
    insta::assert_snapshot!("help_80x24_scrolled", screen(&app, 80, 24));
    press(&mut app, "Esc");
    press(&mut app, "e");
    for _ in 0..5 {
        press(&mut app, "PgDn");
    }
    let explain = screen(&app, 80, 24);
    assert!(
        explain.contains("The gap to"),
        "the last bullet is reachable: {explain}"
    );
    press(&mut app, "Esc");
    press(&mut app, "Down");
    press(&mut app, "Down");
    press(&mut app, "Right");
    press(&mut app, "y");
    assert_eq!(app.overlay(), Some(Overlay::Share));
    insta::assert_snapshot!("share_80x24", mask_gauge(&screen(&app, 80, 24)));
}

fn inline(spec: RunSpec) -> InlineTui<TestBackend> {
    InlineTui::new(spec, ThemeName::Default, TestBackend::new(120, 40)).unwrap()
}

fn status_line(tui: &InlineTui<TestBackend>) -> String {
    let text = text_of(tui.terminal().backend());
    text.lines().nth(38).unwrap_or_default().to_string()
}

#[test]
fn every_lab_unfolds_over_seconds_with_step_and_total_shown() {
    for &lab in LabId::all() {
        let mut tui = inline(RunSpec::new(lab));
        tui.advance(1.0).unwrap();
        let status = status_line(&tui);
        let total = RunSpec::new(lab).total_steps();
        assert!(status.contains("RUNNING"), "{}: {status}", lab.name());
        let step = tui.app().progress().unwrap().step;
        assert!(
            step > 0 && step < total,
            "{}: step {step}/{total} after 1 s",
            lab.name()
        );
        assert!(status.contains(&format!("step {step}/{total}")), "{status}");
        tui.advance(0.5).unwrap();
        assert!(tui.app().progress().unwrap().step > step, "it advances");
        tui.settle(120.0).unwrap();
        assert_eq!(tui.app().run_state(), RunState::Done, "{}", lab.name());
        let secs = tui.clock();
        assert!(
            (2.0..60.0).contains(&secs),
            "{}: the default run took {secs} s",
            lab.name()
        );
    }
}

/// An mf run of 5000 steps that does not end early: at lr 1e-4 it is far from the relative
/// gap of 1e-12 where mf runs stop.
fn long_mf() -> RunSpec {
    let mut spec = RunSpec {
        steps: Some(5000),
        ..RunSpec::new(LabId::Mf)
    };
    spec.set("lr", Value::Float(1e-4)).unwrap();
    spec
}

#[test]
fn speed_keys_change_the_pace_shown_and_space_freezes_the_steps() {
    let mut tui = inline(long_mf());
    tui.advance(1.0).unwrap();
    let slow = tui.app().progress().unwrap().step;
    assert!(status_line(&tui).contains("speed ×1"));
    tui.press("+");
    tui.press("+");
    tui.advance(1.0).unwrap();
    assert!(
        status_line(&tui).contains("speed ×4"),
        "{}",
        status_line(&tui)
    );
    let fast = tui.app().progress().unwrap().step - slow;
    assert!(
        fast > 3 * slow,
        "×4 runs faster: {fast} vs {slow} steps a second"
    );
    tui.press("-");
    tui.advance(0.1).unwrap();
    assert!(status_line(&tui).contains("speed ×2"));
    tui.press("Space");
    tui.advance(0.2).unwrap();
    let frozen = tui.app().progress().unwrap().step;
    tui.advance(1.0).unwrap();
    assert_eq!(tui.app().progress().unwrap().step, frozen, "paused");
    assert!(status_line(&tui).contains("PAUSED"));
    // A long run gets a gauge with an ETA once the rate is known.
    let mut tui = inline(long_mf());
    tui.frame().unwrap();
    assert!(
        status_line(&tui).contains("ETA ---"),
        "{}",
        status_line(&tui)
    );
    tui.advance(1.0).unwrap();
    let status = status_line(&tui);
    assert!(
        status.contains("ETA ") && !status.contains("ETA ---"),
        "{status}"
    );
}

#[test]
fn a_change_after_done_restarts_and_the_charts_follow() {
    let mut tui = inline(RunSpec::new(LabId::Mf));
    tui.settle(60.0).unwrap();
    assert_eq!(tui.app().run_state(), RunState::Done);
    let before = tui.app().lab().report().unwrap().num("final_loss");
    for _ in 0..6 {
        tui.press("Down");
    }
    // lr 0.01 → 0.1 (Shift: ten nudges of a tenth of a decade): it diverges, and the
    // charts must say so, not keep showing the converged run.
    tui.press("L");
    assert_eq!(tui.app().lab().params().f64("lr"), 0.1);
    tui.settle(60.0).unwrap();
    let report = tui.app().lab().report().unwrap();
    assert_eq!(report.params["lr"], Value::Float(0.1));
    assert_eq!(report.num("diverged"), 1.0);
    assert_ne!(report.num("final_loss"), before);
    // While paused a change restarts paused.
    tui.press("r");
    tui.advance(0.3).unwrap();
    tui.press("Space");
    tui.advance(0.1).unwrap();
    tui.press("Up");
    tui.press("Left");
    tui.advance(0.5).unwrap();
    assert_eq!(tui.app().run_state(), RunState::Paused);
    assert_eq!(tui.app().progress().unwrap().step, 0);
    // The lab action when done changes the charts, not only the message and the readouts.
    let mut tui = inline(RunSpec::new(LabId::Mf));
    tui.settle(60.0).unwrap();
    let series =
        |tui: &InlineTui<TestBackend>| tui.app().lab().report().unwrap().series("balance").to_vec();
    let (balance, chart) = (series(&tui), balance_chart(&tui));
    tui.press("g");
    tui.frame().unwrap();
    let report = tui.app().lab().report().unwrap();
    let after = series(&tui);
    assert_ne!(
        balance.last(),
        after.last(),
        "the balancedness series follows g"
    );
    assert_eq!(after.last(), Some(&report.num("balance_final")));
    assert_eq!(
        after.len(),
        balance.len() + 1,
        "one point, at the same step"
    );
    assert_ne!(balance_chart(&tui), chart, "and the chart shows it");
    assert!(
        tui.app()
            .message()
            .unwrap()
            .text
            .contains("random invertible R")
    );
}

/// The rows of mf's balancedness chart (the pane's lower left chart) at 120×40.
fn balance_chart(tui: &InlineTui<TestBackend>) -> Vec<String> {
    let pane = pane_of(tui);
    let top = pane
        .iter()
        .position(|l| l.contains("balancedness"))
        .unwrap();
    pane[top + 1..]
        .iter()
        .map(|l| l.split("││").next().unwrap().to_string())
        .collect()
}

#[test]
fn every_lab_action_on_a_finished_run_moves_a_series_without_a_step() {
    let mut acted = 0;
    for &lab in LabId::all() {
        for action in lab.descriptor().actions {
            let mut tui = inline(RunSpec {
                steps: Some(50),
                ..RunSpec::new(lab)
            });
            tui.settle(60.0).unwrap();
            assert_eq!(tui.app().run_state(), RunState::Done, "{}", lab.name());
            let before = tui.app().lab().report().unwrap().clone();
            assert!(tui.press(&action.key.to_string()));
            tui.frame().unwrap();
            let after = tui.app().lab().report().unwrap();
            assert_eq!(after.steps, before.steps, "{}: no step taken", lab.name());
            let moved: Vec<&String> = after
                .series
                .iter()
                .filter(|(name, s)| {
                    let last = |s: &[f64]| s.last().map(|v| v.to_bits());
                    last(before.series(name)) != last(s)
                })
                .map(|(name, _)| name)
                .collect();
            assert!(
                !moved.is_empty(),
                "{} {}: no series shows the action",
                lab.name(),
                action.name
            );
            acted += 1;
        }
    }
    assert!(acted >= 3, "mf's g, bn's x and X");
}

#[test]
fn presets_cycle_with_their_names_and_d_restores_the_defaults() {
    let mut app = done_app(LabId::Rnn, 0);
    let presets = LabId::Rnn.descriptor().presets;
    for p in presets {
        let cmds = press(&mut app, "c");
        let spec = the_spec(&cmds).unwrap();
        let mut want = RunSpec::new(LabId::Rnn);
        want.apply_preset(p.name).unwrap();
        assert_eq!(spec.params, want.params);
        assert!(app.message().unwrap().text.contains(p.name));
        assert_eq!(app.lab().preset_name(), Some(p.name));
        assert!(screen(&app, 120, 40).contains(&format!("preset {}", p.name)));
    }
    press(&mut app, "c");
    assert_eq!(app.lab().preset_name(), Some(presets[0].name), "it cycles");
    let cmds = press(&mut app, "d");
    assert_eq!(
        the_spec(&cmds).unwrap().params,
        RunSpec::new(LabId::Rnn).params
    );
}

#[test]
fn the_share_text_round_trips_into_the_same_spec() {
    let mut app = done_app(LabId::Mf, 4);
    for _ in 0..2 {
        press(&mut app, "Down");
    }
    press(&mut app, "Right");
    press(&mut app, "c");
    press(&mut app, "y");
    let [tui_cmd, run_cmd] = gradscope::testing::tui::share::commands(app.lab().spec());
    let words: Vec<String> = tui_cmd.split_whitespace().map(str::to_string).collect();
    let sets: Vec<String> = words
        .iter()
        .zip(words.iter().skip(1))
        .filter(|(a, _)| *a == "--set")
        .map(|(_, v)| v.clone())
        .collect();
    let seed: u64 = words[words.iter().position(|w| w == "--seed").unwrap() + 1]
        .parse()
        .unwrap();
    let back = RunSpec::from_args(LabId::Mf, None, &sets, seed, None).unwrap();
    assert_eq!(&back, app.lab().spec());
    assert!(run_cmd.starts_with("gradscope run mf --seed 4"));
    assert!(screen(&app, 120, 40).contains(&tui_cmd));
}

#[test]
fn keys_that_do_nothing_say_so_and_messages_clear() {
    let mut app = done_app(LabId::Mf, 0);
    for _ in 0..7 {
        press(&mut app, "Down");
    }
    press(&mut app, "Right");
    assert!(app.message().unwrap().text.contains("is a path"));
    // A bad path stays in the input box.
    press(&mut app, "Enter");
    for c in "/no/such/file.npy".chars() {
        update(&mut app, Action::InputChar(c));
    }
    press(&mut app, "Enter");
    assert_eq!(app.input(), Some("/no/such/file.npy"));
    assert!(app.message().unwrap().text.contains("no such file"));
    press(&mut app, "Esc");
    assert!(app.message().is_none());
    // "the run is done" clears with r; "sweeping" with Esc.
    press(&mut app, "Space");
    assert!(app.message().unwrap().text.contains("the run is done"));
    press(&mut app, "r");
    assert!(app.message().is_none());
    press(&mut app, "Up");
    press(&mut app, "s");
    assert!(app.message().unwrap().text.contains("sweeping"));
    press(&mut app, "Esc");
    assert!(app.message().is_none());
    // n shows its seed once (in the status bar), not also as a message.
    press(&mut app, "n");
    assert!(app.message().is_none());
    assert_eq!(screen(&app, 120, 40).matches("seed 1").count(), 1);
}

#[test]
fn sweeps_use_the_valid_range_and_can_change_metric_and_narrow() {
    let mut app = done_app(LabId::Mf, 0);
    // rows with true_rank 5 and rank 3: only rows ≥ 5 are valid.
    let cmds = press(&mut app, "s");
    assert!(
        matches!(&cmds[..], [Command::Sweep { .. }]),
        "{:?}",
        app.message()
    );
    let sweep = app.sweep().unwrap();
    assert_eq!((sweep.plan.grid.from, sweep.plan.grid.to), (5.0, 1000.0));
    let metric = sweep.metric().to_string();
    // Before any point, m cycles the lab's numeric keys, and runs nothing.
    assert!(press(&mut app, "m").is_empty());
    assert_ne!(app.sweep().unwrap().metric(), metric);
    let grid = |app: &App| app.sweep().unwrap().plan.grid;
    let width = grid(&app).to - grid(&app).from;
    press(&mut app, "]");
    let g = grid(&app);
    let narrowed = g.to - g.from;
    assert!(narrowed < 0.6 * width, "{narrowed} vs {width}");
    assert!(g.from <= 30.0 && g.to >= 30.0);
}

#[test]
fn inactive_parameters_are_marked() {
    let app = app_of(RunSpec::new(LabId::Rnn), ThemeName::Default, 120, 40);
    let inactive = (LabId::Rnn.descriptor().fns.inactive)(app.lab().params());
    assert_eq!(inactive, vec!["spectral_radius", "block"]);
    let spec = spec_with(LabId::Rnn, &[("init", "nonnormal")]);
    assert!((LabId::Rnn.descriptor().fns.inactive)(&spec.params).is_empty());
}

#[test]
fn figure_record_and_share_keys_ask_the_event_loop_for_effects() {
    use gradscope::testing::tui::app::Effect;
    use gradscope::testing::tui::update::take_effects;
    let mut app = done_app(LabId::Mf, 0);
    press(&mut app, "z");
    press(&mut app, "w");
    press(&mut app, "R");
    press(&mut app, "y");
    let effects = take_effects(&mut app);
    assert_eq!(effects[0], Effect::Figure { only: Some(0) });
    assert_eq!(effects[1], Effect::ToggleRecording);
    assert!(matches!(&effects[2], Effect::Clipboard(t) if t.starts_with("gradscope tui --lab mf")));
    assert!(take_effects(&mut app).is_empty());
    gradscope::testing::tui::update::recording(&mut app, Some("x.cast".into()));
    press(&mut app, "Esc");
    assert!(screen(&app, 120, 40).contains("● REC"));
}

#[test]
fn the_projector_theme_paints_its_own_background() {
    let app = app_of(RunSpec::new(LabId::Rnn), ThemeName::Projector, 100, 30);
    let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
    term.draw(|f| view::render(&app, f.area(), f.buffer_mut()))
        .unwrap();
    let buf = term.backend().buffer();
    let bg = gradscope::testing::tui::theme::Theme::new(ThemeName::Projector)
        .background
        .unwrap();
    let painted = buf.content().iter().filter(|c| c.bg == bg).count();

    assert!(
        painted * 10 >= buf.content().len() * 9,
        "{painted} of {} cells",
        buf.content().len()
    );
}

#[test]
fn bn_rescale_key_mid_run_keeps_the_loss_and_shows_the_effective_step_change() {
    let mut tui = inline(RunSpec::new(LabId::Bn));
    tui.advance(2.0).unwrap();
    assert_eq!(tui.app().run_state(), RunState::Running);
    tui.press("x");
    tui.advance(0.2).unwrap();
    let text = text_of(tui.terminal().backend());
    // The worker's line says what the rescale did to the probe loss and to η/‖w‖²; the
    // readout keeps it: the loss change at rounding, the effective step quartered.
    let message = tui.app().message().unwrap().text.clone();
    assert!(message.starts_with("W×2 at step "), "{message}");
    assert!(text.contains("Δloss"), "{text}");
    assert!(text.contains("η/‖w‖² ×0.25"), "{text}");
    let report = tui.app().lab().report().unwrap();
    assert!(report.num("rescale_loss_change") < 1e-12);
    tui.press("X");
    tui.advance(0.2).unwrap();
    let report = tui.app().lab().report().unwrap();
    assert_eq!(report.num("rescale_factor"), 0.5);
    assert!((report.num("rescale_eff_lr_ratio") - 4.0).abs() < 1e-12);
}

#[test]
fn bn_sweep_of_wd_from_the_keyboard_follows_the_theory_line() {
    let mut app = done_app(LabId::Bn, 0);
    press(&mut app, "Down");
    let cmds = press(&mut app, "s");
    let Some(Command::Sweep { id, mut plan, .. }) = cmds.into_iter().next() else {
        panic!("s starts a sweep");
    };
    assert_eq!(plan.param, "wd");
    assert_eq!(plan.metric, "angular_update_ratio");
    let sweep = app.sweep().unwrap();
    let g = sweep.plan.grid;
    assert_eq!((g.from, g.to, sweep.total()), (1e-5, 0.1, 41));
    // Every fourth point, at lr 0.2 and 3000 steps instead of 20000 (CI time): from λ = 1e-3
    // on, (1−α)/(ηλ) ≤ 500 steps, so each settles, and the ratio to √(2ηλ/(1+α)) is ~1.
    plan.base.set_str("lr", "0.2").unwrap();
    plan.base.steps = Some(3000);
    let cancel = AtomicBool::new(false);
    for i in (0..41).step_by(4) {
        let point = plan.run_point(i, &cancel).unwrap();
        if point.value >= 1e-3 {
            assert!(
                (point.metric - 1.0).abs() < 0.15,
                "λ {}: ratio {}",
                point.value,
                point.metric
            );
        }
        on_worker(&mut app, WorkerEvent::SweepPoint { id, point });
    }
    on_worker(&mut app, WorkerEvent::SweepDone { id, error: None });
    let text = screen(&app, 120, 40);
    assert!(text.contains("sweep: angular_update_ratio vs wd"), "{text}");
}

#[test]
fn clip_views_switch_with_v_and_survive_restarts() {
    let mut tui = InlineTui::new(
        RunSpec::new(LabId::Clip),
        ThemeName::Mono,
        TestBackend::new(160, 48),
    )
    .unwrap();
    tui.settle(60.0).unwrap();
    assert!(text_of(tui.terminal().backend()).contains("cliff (v: RNN)"));
    let runs = tui.runs_started();
    tui.press("v");
    tui.frame().unwrap();
    assert_eq!(tui.app().lab().view(), 1);
    assert_eq!(tui.runs_started(), runs, "a view switch restarts nothing");
    let screen = text_of(tui.terminal().backend());
    assert!(screen.contains("RNN (v: cliff)"), "{screen}");
    // Not a snapshot: the learners' 2000 steps amplify the last bits of the init's spectral
    // norm (faer blocks its sums by the CPU's cache sizes, so an Intel and an AMD part differ
    // there), and the clipped losses' digits and dots move with them. What the view must
    // show does not.
    for want in [
        "‖W‖₂ at init 1.8",
        "loss none nan",
        "none DIVERGED at 211",
        "RNN loss on the adding problem (log)",
        "‖g‖ before clipping (log)",
        "weight norm ‖θ‖ (log)",
        "cosine of the update with −g",
        "1/6 mean · 1/12 one value",
        "×1788 NaN",
        "above",
    ] {
        assert!(screen.contains(want), "{want} in\n{screen}");
    }
    assert!(
        screen.contains("clipped norm ") && screen.contains('▲'),
        "{screen}"
    );
    // A preset restarts the run; the view the user chose stays, and the diverged variant
    // is tagged while the others carry on.
    tui.press("c");
    tui.settle(60.0).unwrap();
    let report = tui.app().lab().report().unwrap();
    assert_eq!(report.param_text("init_scale"), "3");
    assert_eq!(tui.app().lab().view(), 1);
    assert_eq!(report.num("diverged.none"), 1.0);
    let screen = text_of(tui.terminal().backend());
    assert!(screen.contains("none DIVERGED at"), "{screen}");
    assert!(screen.contains("non-finite"), "{screen}");
    // Another lab and back: the view stays (the worker never knew it).
    tui.press("Tab");
    tui.press("Shift-Tab");
    tui.frame().unwrap();
    assert_eq!(tui.app().lab().view(), 1);
    tui.press("v");
    tui.frame().unwrap();
    assert_eq!(tui.app().lab().view(), 0);
    assert!(text_of(tui.terminal().backend()).contains("cliff (v: RNN)"));
}

#[test]
fn seeds_key_draws_bands_and_lesson_counts_then_hides_them() {
    let mut spec = RunSpec::new(LabId::Mf);
    spec.steps = Some(60);
    let mut tui = inline(spec);
    tui.settle(60.0).unwrap();
    assert!(tui.press("S"));
    // One seed per frame on the inline driver.
    tui.settle(60.0).unwrap();
    let stats = tui.app().lab().seeds().expect("the seeds finished");
    assert_eq!(stats.seeds, (0..20).collect::<Vec<u64>>());
    assert_eq!(stats.lessons[0].of, 20);
    let text = text_of(tui.terminal().backend());
    assert!(text.contains("20 seeds (S hides)"), "{text}");
    assert!(text.contains("reached f* (gap < 1e-6)"), "{text}");
    assert!(text.contains('░'), "a band is drawn: {text}");
    assert!(text.contains("10–90% of 20 seeds"), "{text}");
    // A new parameter value makes them stale: gone.
    tui.press("Right");
    tui.frame().unwrap();
    assert!(tui.app().lab().seeds().is_none());
    assert!(!text_of(tui.terminal().backend()).contains("20 seeds"));
    // S again starts over; S while running stops.
    tui.press("S");
    tui.advance(0.1).unwrap();
    assert!(tui.press("S"));
    tui.settle(30.0).unwrap();
    assert!(tui.app().lab().seeds().is_none());
}

// ---- State you can rely on ----

/// The screen right of the parameter panel, above the status bar (the pane).
fn pane_of(tui: &InlineTui<TestBackend>) -> Vec<String> {
    let text = text_of(tui.terminal().backend());
    // 120 columns: the panel is 26 wide; the status and hint bars are the last two rows.
    text.lines()
        .skip(1)
        .take(37)
        .map(|l| l.chars().skip(26).collect())
        .collect()
}

/// Every character of the screen but spaces and box borders, in reading order: a wrapped
/// text is found whole in it.
fn compact(screen: &str) -> String {
    screen
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '│')
        .collect()
}

/// Select the parameter `name` of the open lab (from the first row).
fn select(tui: &mut InlineTui<TestBackend>, name: &str) {
    let at = tui
        .app()
        .lab()
        .params()
        .iter()
        .position(|(s, _)| s.name == name)
        .unwrap();
    for _ in 0..at {
        tui.press("Down");
    }
    assert_eq!(tui.app().lab().selected(), at);
}

fn type_text(tui: &mut InlineTui<TestBackend>, text: &str) {
    for c in text.chars() {
        tui.handle(gradscope::testing::tui::UiEvent::Key(
            crossterm::event::KeyEvent::new(
                crossterm::event::KeyCode::Char(c),
                crossterm::event::KeyModifiers::NONE,
            ),
        ));
    }
}

#[test]
fn a_failed_start_keeps_done_and_the_last_runs_charts() {
    let mut tui = inline(RunSpec::new(LabId::Mf));
    tui.settle(60.0).unwrap();
    assert_eq!(tui.app().run_state(), RunState::Done);
    let report = tui.app().lab().report().unwrap().clone();
    let step = tui.app().progress().unwrap().step;
    let pane = pane_of(&tui);
    let runs = tui.runs_started();
    // A malformed input file: rows of different lengths.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "1,2,3\n4,5\n").unwrap();
    select(&mut tui, "input");
    tui.press("Enter");
    type_text(&mut tui, bad.to_str().unwrap());
    tui.press("Enter");
    tui.settle(5.0).unwrap();
    assert_eq!(tui.runs_started(), runs + 1, "one attempt, nothing re-run");
    // DONE at the same step, the same report and the same charts; the reason in red, the
    // typed path back for editing, and the panel on the parameters of the run shown.
    let status = status_line(&tui);
    assert!(status.contains(" DONE "), "{status}");
    assert!(status.contains(&format!("step {step}/")), "{status}");
    assert_eq!(tui.app().lab().report(), Some(&report));
    assert_eq!(pane_of(&tui), pane);
    assert!(tui.app().message().unwrap().error);
    assert_eq!(tui.app().input(), bad.to_str());
    assert_eq!(tui.app().lab().params().text("input"), "");
    // Esc, then another lab and back: still the last good run, still done.
    tui.press("Esc");
    tui.press("1");
    tui.frame().unwrap();
    tui.press("5");
    tui.frame().unwrap();
    assert!(
        status_line(&tui).contains(" DONE "),
        "{}",
        status_line(&tui)
    );
    assert_eq!(tui.app().lab().report(), Some(&report));
}

#[test]
fn a_failed_first_start_says_so_instead_of_running_for_ever() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "1,2,3\n4,5\n").unwrap();
    let spec = spec_with(LabId::Mf, &[("input", bad.to_str().unwrap())]);
    let mut tui = inline(spec);
    tui.settle(5.0).unwrap();
    let status = status_line(&tui);
    assert!(!status.contains("RUNNING"), "{status}");
    assert!(tui.app().message().unwrap().error, "{status}");
}

#[test]
fn an_error_clears_when_a_valid_value_is_applied() {
    let mut tui = inline(RunSpec::new(LabId::Rnn));
    tui.frame().unwrap();
    // hidden: 999 is out of range; the error stays while the input is open.
    tui.press("Enter");
    type_text(&mut tui, "999");
    tui.press("Enter");
    tui.frame().unwrap();
    assert!(
        status_line(&tui).contains("[2, 256]"),
        "{}",
        status_line(&tui)
    );
    // The current value, typed again: the error is answered.
    for _ in 0..3 {
        tui.press("Backspace");
    }
    type_text(&mut tui, "32");
    tui.press("Enter");
    tui.frame().unwrap();
    let status = status_line(&tui);
    assert!(!status.contains("[2, 256]"), "{status}");
    assert!(!tui.app().message().unwrap().error);
    assert!(status.contains("hidden = 32 (unchanged)"), "{status}");
    // A new valid value after an error clears it too.
    tui.press("Enter");
    type_text(&mut tui, "0");
    tui.press("Enter");
    assert!(tui.app().message().unwrap().error);
    tui.press("Backspace");
    type_text(&mut tui, "16");
    tui.press("Enter");
    tui.frame().unwrap();
    assert!(!tui.app().message().unwrap().error);
    assert!(!status_line(&tui).contains("[2, 256]"));
    assert_eq!(tui.app().lab().params().get("hidden"), &Value::Int(16));
}

#[test]
fn config_problems_show_on_the_first_frame_all_of_them() {
    use gradscope::testing::tui::config;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        "theme = \"neon\"\ncolour = 1\n[labs.rnn]\nhidden = 1\n",
    )
    .unwrap();
    let (cfg, _) = config::load(&path);
    assert_eq!(cfg.problems.len(), 3, "{:?}", cfg.problems);
    let mut app = App::configured(
        RunSpec::new(LabId::Rnn),
        ThemeName::Default,
        gradscope::testing::tui::speed::Speed::NATURAL,
        &cfg.labs,
    );
    let file = path.display().to_string();
    gradscope::testing::tui::update::config_problems(&mut app, &file, &cfg.problems);
    let mut tui = InlineTui::with_app(app, TestBackend::new(120, 40)).unwrap();
    tui.frame().unwrap();
    let screen = text_of(tui.terminal().backend());
    for want in [
        "key 'theme' = 'neon' is not one of default, projector, mono",
        "unknown key 'colour'",
        "key 'labs.rnn.hidden'",
    ] {
        assert!(
            compact(&screen).contains(&compact(want)),
            "{want}:\n{screen}"
        );
    }
    assert!(
        status_line(&tui).contains("3 problems"),
        "{}",
        status_line(&tui)
    );
    // The run started behind it; Esc closes the list, M opens it again.
    tui.press("Esc");
    tui.frame().unwrap();
    assert!(!text_of(tui.terminal().backend()).contains("unknown key 'colour'"));
    tui.press("M");
    tui.frame().unwrap();
    assert!(text_of(tui.terminal().backend()).contains("unknown key 'colour'"));
    assert!(tui.app().lab().report().is_some());
}

#[test]
fn a_lab_keeps_its_run_while_another_is_shown() {
    let mut tui = inline(long_mf());
    tui.advance(1.0).unwrap();
    let left_at = tui.app().progress().unwrap().step;
    assert!(left_at > 50, "{left_at}");
    let runs = tui.runs_started();
    // rnn for two seconds: mf's run is kept, and does not step while hidden.
    tui.press("1");
    tui.advance(2.0).unwrap();
    assert_eq!(tui.app().lab().id(), LabId::Rnn);
    assert_eq!(tui.runs_kept(), 2);
    tui.press("5");
    tui.frame().unwrap();
    assert_eq!(
        tui.runs_started(),
        runs + 1,
        "rnn started; mf was not restarted"
    );
    let back = tui.app().progress().unwrap().step;
    assert!(
        (left_at..left_at + 10).contains(&back),
        "mf left at step {left_at}, back at {back}"
    );
    let status = status_line(&tui);
    assert!(status.contains("RUNNING"), "{status}");
    assert!(status.contains(&format!("step {back}/5000")), "{status}");
    // A paused run stays paused at its step, and resumes from there.
    tui.press("Space");
    tui.frame().unwrap();
    let paused_at = tui.app().progress().unwrap().step;
    tui.press("Tab");
    tui.advance(1.0).unwrap();
    tui.press("Shift-Tab");
    tui.advance(0.5).unwrap();
    let status = status_line(&tui);
    assert!(status.contains("PAUSED"), "{status}");
    assert!(
        status.contains(&format!("step {paused_at}/5000")),
        "{status}"
    );
    tui.press("Space");
    tui.advance(0.5).unwrap();
    let resumed = tui.app().progress().unwrap().step;
    assert!(
        resumed > paused_at && resumed < paused_at + 100,
        "resumed from {paused_at}: {resumed}"
    );
    // rnn's run, visited before, is where it was left too: no new run.
    let runs = tui.runs_started();
    tui.press("1");
    tui.frame().unwrap();
    assert_eq!(tui.runs_started(), runs);
    assert!(tui.app().lab().report().is_some());
}

#[test]
fn the_log_overlay_shows_a_long_message_in_full() {
    let mut tui = inline(RunSpec::new(LabId::Mf));
    tui.advance(2.0).unwrap();
    tui.press("c");
    tui.frame().unwrap();
    let message = tui.app().message().unwrap().text.clone();
    assert!(message.chars().count() > 120, "{message}");
    // Cut in the status bar, with a pointer to the log.
    let status = status_line(&tui);
    assert!(status.ends_with("… (M)"), "{status}");
    tui.press("M");
    tui.frame().unwrap();
    let screen = text_of(tui.terminal().backend());
    assert!(screen.contains("messages, newest first"), "{screen}");
    assert!(compact(&screen).contains(&compact(&message)), "{screen}");
    // With its time, wrapped over more than one row.
    let first = screen.lines().position(|l| l.contains("0:02")).unwrap();
    assert!(
        screen
            .lines()
            .nth(first)
            .unwrap()
            .contains("preset in-order")
    );
    assert!(screen.lines().nth(first + 1).unwrap().contains("│"));
    // It keeps the last 100.
    for _ in 0..150 {
        tui.press("M");
        tui.press("t");
        tui.press("M");
    }
    assert_eq!(tui.app().log().len(), 100);
}

#[test]
fn the_input_box_opens_with_the_value_and_a_movable_cursor() {
    let mut tui = inline(RunSpec::new(LabId::Mf));
    tui.frame().unwrap();
    select(&mut tui, "lr");
    tui.press("Enter");
    tui.frame().unwrap();
    assert_eq!(tui.app().input(), Some("0.01"));
    assert!(text_of(tui.terminal().backend()).contains("lr = 0.01"));
    // ← → Home End move the cursor; characters go in at it, Backspace and Delete act at it.
    tui.press("Home");
    tui.press("Right");
    tui.press("Right");
    type_text(&mut tui, "0");
    assert_eq!(tui.app().input(), Some("0.001"));
    tui.press("End");
    tui.press("Backspace");
    type_text(&mut tui, "5");
    assert_eq!(tui.app().input(), Some("0.005"));
    tui.press("Left");
    tui.press("Left");
    tui.press("Delete");
    assert_eq!(tui.app().input(), Some("0.05"));
    assert_eq!(tui.app().input_box().unwrap().cursor(), 3);
    tui.frame().unwrap();
    assert!(text_of(tui.terminal().backend()).contains("lr = 0.05"));
    tui.press("Enter");
    assert_eq!(tui.app().lab().params().f64("lr"), 0.05);
    // Typing straight away replaces the value shown.
    tui.press("Enter");
    type_text(&mut tui, "0.02");
    tui.press("Enter");
    assert_eq!(tui.app().lab().params().f64("lr"), 0.02);
}

#[test]
fn q_asks_again_during_a_long_run_or_a_sweep_and_not_after() {
    // A long run in progress: q asks; any other key stays; a second q quits.
    let mut tui = inline(long_mf());
    tui.advance(1.0).unwrap();
    tui.press("q");
    tui.frame().unwrap();
    assert!(!tui.app().quit_requested());
    let text = text_of(tui.terminal().backend());
    assert!(text.contains("quit?"), "{text}");
    assert!(text.contains("mf's run at step"), "{text}");
    tui.press("n");
    assert!(!tui.app().quit_requested());
    assert_eq!(tui.app().mode(), InputMode::Normal);
    assert_eq!(tui.app().lab().selected(), 0, "the key only answered");
    tui.press("q");
    tui.press("q");
    assert!(tui.app().quit_requested());
    // y quits too.
    let mut tui = inline(long_mf());
    tui.advance(1.0).unwrap();
    tui.press("q");
    tui.press("y");
    assert!(tui.app().quit_requested());
    // A finished run: q quits at once.
    let mut tui = inline(RunSpec::new(LabId::Mf));
    tui.settle(60.0).unwrap();
    tui.press("q");
    assert!(tui.app().quit_requested());
    // A sweep in progress asks; Esc stays.
    let mut app = done_app(LabId::Mf, 0);
    press(&mut app, "s");
    press(&mut app, "q");
    assert!(!app.quit_requested());
    assert!(screen(&app, 120, 40).contains("the sweep of rows (0/41 points)"));
    press(&mut app, "Esc");
    assert_eq!(app.mode(), InputMode::Sweep);
    // Ctrl-C never asks.
    press(&mut app, "Ctrl-c");
    assert!(app.quit_requested());
}

#[test]
fn a_preset_may_set_its_own_pace_and_landscape_unfolds_over_seconds() {
    let mut spec = RunSpec::new(LabId::Mf);
    spec.apply_preset("landscape").unwrap();
    let mut tui = inline(spec);
    tui.advance(1.0).unwrap();
    assert_eq!(tui.app().run_state(), RunState::Running);
    tui.settle(60.0).unwrap();
    assert_eq!(tui.app().run_state(), RunState::Done);
    assert!(
        tui.clock() >= 3.0,
        "landscape took {} s at its pace",
        tui.clock()
    );
    // Picked with c, it gets the same pace; mf's other presets keep mf's.
    let mut tui = inline(RunSpec::new(LabId::Mf));
    tui.frame().unwrap();
    tui.press("c");
    tui.press("c");
    assert_eq!(tui.app().lab().preset_name(), Some("landscape"));
    assert_eq!(tui.app().lab().pace(), 30.0);
    tui.press("c");
    assert_eq!(
        tui.app().lab().pace(),
        LabId::Mf.descriptor().steps_per_second
    );
}
