#![allow(clippy::unwrap_used)]
//! The TUI's sweep view through the inline driver and `update`: `m` plots another metric of
//! the same runs (nothing runs again, only metrics that vary), a second `s` on another
//! parameter maps the two (filling in, with an ETA), the cost prompt offers 11/21/41 points or
//! a typed range, and `w` asks for the sweep's SVG and CSV.

use gradscope::testing::labs::LabId;
use gradscope::testing::run::RunSpec;
use gradscope::testing::sweep::Estimate;
use gradscope::testing::tui::app::{App, Effect};
use gradscope::testing::tui::fixture::finished_app;
use gradscope::testing::tui::inline::InlineTui;
use gradscope::testing::tui::keymap::{self, InputMode, parse_key};
use gradscope::testing::tui::theme::ThemeName;
use gradscope::testing::tui::update::{on_worker, update};
use gradscope::testing::tui::view;
use gradscope::testing::tui::worker::{Command, WorkerEvent};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::atomic::AtomicBool;

fn press(app: &mut App, key: &str) -> Vec<Command> {
    let ev = parse_key(key).expect("a known key name");
    match keymap::map(app.mode(), &ev) {
        Some(action) => update(app, action),
        None => vec![],
    }
}

fn text_of(buf: &ratatui::buffer::Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn screen(app: &App, width: u16, height: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(width, height)).unwrap();
    term.draw(|f| view::render(app, f.area(), f.buffer_mut()))
        .unwrap();
    text_of(term.backend().buffer())
}

fn inline_text(tui: &InlineTui<TestBackend>) -> String {
    text_of(tui.terminal().backend().buffer())
}

/// The rnn lab with its spectral norm selected and a sweep of it started: the app and the
/// sweep's (id, plan).
fn rnn_sweep() -> (App, u64, gradscope::testing::sweep::SweepPlan) {
    let mut app = finished_app(RunSpec::new(LabId::Rnn), ThemeName::Default, 120, 40);
    press(&mut app, "Down");
    press(&mut app, "Down");
    let cmds = press(&mut app, "s");
    let Some(Command::Sweep { id, plan, ask_over }) = cmds.into_iter().next() else {
        panic!("s starts a sweep");
    };
    assert_eq!(plan.param, "spectral_norm");
    assert!(
        plan.keep_summary,
        "the TUI keeps every point's summary for m"
    );
    assert!(ask_over.is_some(), "a keyboard sweep asks when it is dear");
    (app, id, plan)
}

#[test]
fn m_plots_only_metrics_that_vary_from_the_points_kept_and_runs_nothing() {
    let (mut app, id, plan) = rnn_sweep();
    let cancel = AtomicBool::new(false);
    for i in (0..plan.grid.points).step_by(5) {
        let point = plan.run_point(i, &cancel).unwrap();
        assert!(point.summary.len() > 3, "every numeric key kept");
        on_worker(&mut app, WorkerEvent::SweepPoint { id, point });
    }
    on_worker(&mut app, WorkerEvent::SweepDone { id, error: None });
    let first = app.sweep().unwrap().metric().to_string();
    let mut seen = vec![first.clone()];
    loop {
        assert!(
            press(&mut app, "m").is_empty(),
            "m sends the worker nothing"
        );
        let sweep = app.sweep().unwrap();
        assert_eq!(sweep.id, id, "the same sweep, not a new one");
        let metric = sweep.metric().to_string();
        if metric == first {
            break;
        }
        assert!(!seen.contains(&metric), "{metric} twice in one cycle");
        let ys: Vec<f64> = sweep.points.iter().map(|p| p.metric).collect();
        for p in &sweep.points {
            assert!(
                p.metric == p.get(&metric) || (p.metric.is_nan() && p.get(&metric).is_nan()),
                "the points show {metric}"
            );
        }
        let finite: Vec<f64> = ys.iter().copied().filter(|y| y.is_finite()).collect();
        let varies = finite.len() < ys.len()
            || finite
                .iter()
                .any(|y| (y - finite[0]).abs() > 1e-12 * finite[0].abs());
        assert!(varies, "{metric} is constant over the sweep: {ys:?}");
        let echo = sweep.points.iter().all(|p| p.metric == p.value);
        assert!(!echo, "{metric} only echoes the swept parameter");
        assert!(
            screen(&app, 120, 40).contains(&format!("sweep: {metric} vs spectral_norm")),
            "the title names {metric}"
        );
        seen.push(metric);
        assert!(seen.len() < 40, "m cycles: {seen:?}");
    }
    assert!(seen.len() >= 3, "several metrics vary with ‖W‖₂: {seen:?}");
    // The constant summary keys of this lab are not offered.
    let all = plan.run_point(0, &cancel).unwrap().summary;
    assert!(seen.len() < all.len(), "{seen:?} of {all:?}");
}

#[test]
fn a_dear_sweep_waits_for_a_choice_of_points_or_a_typed_range() {
    let (mut app, id, _) = rnn_sweep();
    let estimate = Estimate {
        per_run: 6.0,
        total: 41.0 * 6.0 / 2.0,
        jobs: 2,
    };
    on_worker(
        &mut app,
        WorkerEvent::SweepEstimate {
            id,
            estimate,
            waiting: true,
        },
    );
    assert_eq!(app.mode(), InputMode::Ask);
    let text = screen(&app, 120, 40);
    for want in [
        "41 runs, about 2m03s on 2 threads",
        "1  11 points: 11 runs, ~36s",
        "2  21 points: 21 runs, ~1m06s",
        "4  41 points: 41 runs, ~2m06s",
    ] {
        assert!(text.contains(want), "{want} in\n{text}");
    }
    // 2: 21 points, run without asking again.
    let cmds = press(&mut app, "2");
    let Some(Command::Sweep { plan, ask_over, .. }) = cmds.first() else {
        panic!("a choice starts the sweep: {cmds:?}");
    };
    assert_eq!((plan.grid.points, *ask_over), (21, None));
    assert_eq!(app.mode(), InputMode::Sweep);
    // A typed range: FROM TO POINTS.
    let id = app.sweep().unwrap().id;
    on_worker(
        &mut app,
        WorkerEvent::SweepEstimate {
            id,
            estimate,
            waiting: true,
        },
    );
    assert!(press(&mut app, "/").is_empty());
    assert_eq!(app.mode(), InputMode::Input);
    assert!(screen(&app, 120, 40).contains("spectral_norm from, to [, points]"));
    for c in "0.5 1.5 11".chars() {
        press(&mut app, &c.to_string());
    }
    let cmds = press(&mut app, "Enter");
    let Some(Command::Sweep { plan, .. }) = cmds.first() else {
        panic!("Enter starts the typed range: {:?}", app.message());
    };
    assert_eq!(
        (plan.grid.from, plan.grid.to, plan.grid.points),
        (0.5, 1.5, 11)
    );
    // Out of the parameter's range: a one-line error, the box stays open.
    press(&mut app, "/");
    for c in "0.5 9 11".chars() {
        press(&mut app, &c.to_string());
    }
    assert!(press(&mut app, "Enter").is_empty());
    assert!(app.message().unwrap().error);
    assert_eq!(app.mode(), InputMode::Input);
    press(&mut app, "Esc");
    // Esc at the prompt cancels the sweep.
    let id = app.sweep().unwrap().id;
    on_worker(
        &mut app,
        WorkerEvent::SweepEstimate {
            id,
            estimate,
            waiting: true,
        },
    );
    press(&mut app, "Esc");
    assert!(app.sweep().is_none());
}

#[test]
fn w_on_a_sweep_asks_for_its_svg_and_csv() {
    let (mut app, id, plan) = rnn_sweep();
    press(&mut app, "w");
    assert!(
        app.message().unwrap().text.contains("no point"),
        "nothing to write before a point"
    );
    let point = plan.run_point(0, &AtomicBool::new(false)).unwrap();
    on_worker(&mut app, WorkerEvent::SweepPoint { id, point });
    press(&mut app, "w");
    assert!(
        gradscope::testing::tui::update::take_effects(&mut app).contains(&Effect::SweepFigure),
        "w writes the sweep"
    );
    // What it writes: the CSV's columns are named after the parameter and the metric.
    let sweep = app.sweep().unwrap();
    let csv = gradscope::testing::sweep::csv(&sweep.plan, &sweep.points).unwrap();
    let header = String::from_utf8(csv).unwrap();
    assert!(
        header.starts_with("index,spectral_norm,log10_final_ratio\n"),
        "{header}"
    );
}

#[test]
fn a_second_s_on_another_parameter_maps_both_filling_in_with_an_eta() {
    let mut tui = InlineTui::new(
        RunSpec::new(LabId::Rnn),
        ThemeName::Mono,
        TestBackend::new(120, 40),
    )
    .unwrap();
    tui.settle(30.0).unwrap();
    tui.press("Down");
    tui.press("Down");
    tui.press("s");
    tui.advance(0.2).unwrap();
    assert!(inline_text(&tui).contains("sweep: log10_final_ratio vs spectral_norm"));
    tui.press("Down");
    tui.press("s");
    let sweep = tui.app().sweep().unwrap();
    assert_eq!(sweep.param2(), Some("spectral_radius"));
    assert_eq!(sweep.total(), 21 * 21);
    let id = sweep.id;
    tui.advance(1.0).unwrap();
    let sweep = tui.app().sweep().unwrap();
    let partial = sweep.points.len();
    assert!(partial > 0 && partial < 441, "{partial}");
    let text = inline_text(&tui);
    assert!(
        text.contains("map: log10_final_ratio over spectral_norm × spectral_radius"),
        "{text}"
    );
    assert!(
        text.contains(&format!("{partial}/441 runs, ~")),
        "an ETA: {text}"
    );
    // Cells still to come are blank; the map fills in as runs finish.
    let map_rows = |text: &str| -> usize {
        text.lines()
            .map(|l| l.chars().filter(|c| ".:-=+*#%@×".contains(*c)).count())
            .sum()
    };
    let filled = map_rows(&text);
    tui.advance(1.0).unwrap();
    assert!(tui.app().sweep().unwrap().points.len() > partial);
    assert!(map_rows(&inline_text(&tui)) > filled, "the map fills in");
    tui.settle(120.0).unwrap();
    let sweep = tui.app().sweep().unwrap();
    assert!(!sweep.running);
    assert_eq!(sweep.points.len(), 441);
    // The current point is marked, and m plots another metric of the same runs.
    assert!(inline_text(&tui).contains('◆'));
    let runs = tui.runs_started();
    tui.press("m");
    tui.advance(0.1).unwrap();
    let sweep = tui.app().sweep().unwrap();
    assert_eq!((sweep.id, sweep.points.len()), (id, 441));
    assert_ne!(sweep.metric(), "log10_final_ratio");
    assert_eq!(tui.runs_started(), runs);
    assert!(inline_text(&tui).contains(&format!("map: {}", sweep.metric())));
}

#[test]
fn the_worker_measures_a_sweep_first_and_a_dear_one_waits() {
    use gradscope::testing::tui::worker::WorkerCore;
    use std::sync::{Arc, Mutex};
    let (_, id, plan) = rnn_sweep();
    for (limit, waits) in [(0.0, true), (3600.0, false)] {
        let events: Arc<Mutex<Vec<WorkerEvent>>> = Arc::default();
        let sink = events.clone();
        let mut core = WorkerCore::new(Arc::new(move |e| sink.lock().unwrap().push(e)), true);
        core.handle(vec![Command::Sweep {
            id,
            plan: plan.clone(),
            ask_over: Some(limit),
        }]);
        // The sweep runs on its own thread: wait for its estimate (and, if it runs, its end).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let finished = |events: &[WorkerEvent]| {
            let estimated = events
                .iter()
                .any(|e| matches!(e, WorkerEvent::SweepEstimate { .. }));
            let done = events
                .iter()
                .any(|e| matches!(e, WorkerEvent::SweepDone { .. }));
            estimated && (waits || done)
        };
        while !finished(&events.lock().unwrap()) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        let events = events.lock().unwrap();
        let estimate = events.iter().find_map(|e| match e {
            WorkerEvent::SweepEstimate {
                estimate, waiting, ..
            } => Some((*estimate, *waiting)),
            _ => None,
        });
        let (estimate, waiting) = estimate.expect("an estimate first");
        assert_eq!(waiting, waits);
        assert!(estimate.per_run > 0.0 && estimate.total >= estimate.per_run);
        let points = events
            .iter()
            .filter(|e| matches!(e, WorkerEvent::SweepPoint { .. }))
            .count();
        assert_eq!(points, if waits { 0 } else { plan.grid.points });
    }
}

#[test]
fn a_resnet_sweep_is_estimated_over_a_minute_and_an_rnn_sweep_under() {
    // Margins of two orders of magnitude: a resnet run trains for minutes, an rnn run is
    // one pass over a horizon.
    let mut app = App::new(RunSpec::new(LabId::Resnet), ThemeName::Default);
    let cmds = press(&mut app, "s");
    let Some(Command::Sweep { plan, .. }) = cmds.first() else {
        panic!("s sweeps resnet's first parameter: {:?}", app.message());
    };
    let dear = plan.estimate(2, 0.25).unwrap();
    assert!(dear.total > 60.0, "{dear:?}");
    let (_, _, plan) = rnn_sweep();
    let cheap = plan.estimate(2, 0.25).unwrap();
    assert!(cheap.total < 60.0, "{cheap:?}");
    assert_eq!(cheap.jobs, 2);
}

#[test]
fn a_maps_the_labs_named_maps_in_turn() {
    let mut app = App::new(RunSpec::new(LabId::Rnn), ThemeName::Default);
    let cmds = press(&mut app, "a");
    let Some(Command::Sweep { plan, .. }) = cmds.first() else {
        panic!("a starts the map: {:?}", app.message());
    };
    let map = &LabId::Rnn.descriptor().maps[0];
    assert_eq!(plan.param, map.x.param);
    assert_eq!(
        plan.second.as_ref().map(|(p, _)| p.as_str()),
        Some(map.y.param)
    );
    assert_eq!(
        plan.base.params.text("init"),
        "nonnormal",
        "its own settings"
    );
    assert!(app.message().unwrap().text.contains(map.teaches));
    // A lab without maps says why.
    let mut app = App::new(RunSpec::new(LabId::Resnet), ThemeName::Default);
    assert!(press(&mut app, "a").is_empty());
    assert!(app.message().unwrap().text.contains("names no map"));
}
