//! A lab plugged in through its descriptors alone (the test-only `toy` lab: one `LabId`
//! variant, its lab descriptor and its pane descriptor) shows up everywhere a lab does:
//! `labs`, `run`, `sweep`, the TUI's tabs and the render bench.

use crate::cli::Format;
use crate::headless::{bench, labs_cmd, run, sweep_cmd};
use crate::labs::LabId;
use crate::run::RunSpec;
use crate::sweep::{Grid, Shard, SweepPlan};
use crate::tui::fixture::finished_app;
use crate::tui::theme::ThemeName;
use crate::tui::view;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

#[test]
fn the_toy_lab_is_listed_with_its_params_and_presets() {
    let json = labs_cmd::labs_json();
    let toy = json
        .as_array()
        .and_then(|labs| labs.iter().find(|l| l["lab"] == "toy"))
        .expect("toy is listed");
    assert_eq!(toy["params"][0]["name"], "rate");
    assert_eq!(toy["presets"][0]["name"], "fast");
    assert!(labs_cmd::labs_table().contains("toy — Toy geometric decay"));
}

#[test]
fn the_toy_lab_runs_and_sweeps() {
    let lab = LabId::parse("toy").unwrap();
    let spec = RunSpec::from_args(lab, Some("fast"), &["start=2".into()], 0, None).unwrap();
    let report = run::execute(spec).unwrap();
    assert_eq!(report.steps, 20);
    assert!((report.num("last") - 2.0 * 0.1f64.powi(20)).abs() < 1e-30);
    let json = String::from_utf8(run::render_report(&report, Format::Json).unwrap()).unwrap();
    assert!(json.starts_with(r#"{"lab":"toy""#), "{json}");

    let plan = SweepPlan::new(
        RunSpec::new(lab),
        "rate",
        Grid::new(0.0, 1.0, 5, false).unwrap(),
        "last",
    );
    plan.validate().unwrap();
    let points = sweep_cmd::execute(&plan, Shard::ALL, 2).unwrap();
    assert_eq!(points.len(), 5);
    assert_eq!(points[4].metric, 1.0);
}

#[test]
fn the_toy_lab_has_a_tab_and_a_timed_pane() {
    let app = finished_app(RunSpec::new(LabId::Rnn), ThemeName::Default, 120, 40);
    let area = Rect::new(0, 0, 120, 40);
    let mut buf = Buffer::empty(area);
    view::render(&app, area, &mut buf);
    let top: String = (0..area.width).map(|x| buf[(x, 0)].symbol()).collect();
    // The toy is the last tab, whatever labs come before it.
    let tab = format!("{} toy", LabId::all().len());
    assert!(top.contains(&tab), "{top}");
    let timings = bench::render_bench(120, 40, 2);
    assert!(timings.iter().any(|t| t.pane == "toy"));
    let app = finished_app(RunSpec::new(LabId::Toy), ThemeName::Mono, 120, 40);
    let mut buf = Buffer::empty(area);
    view::render(&app, area, &mut buf);
    let text: String = buf.content().iter().map(|c| c.symbol()).collect();
    assert!(text.contains("x_t (log)"));
    assert!(
        text.contains("x double"),
        "the toy's action is in the hint bar"
    );
}

#[test]
fn every_lab_has_a_number_key_and_the_toys_opens_it() {
    use crate::tui::action::Action;
    use crate::tui::inline::InlineTui;
    use crate::tui::keymap::{InputMode, map, parse_key};
    // The keymap binds 1–9: up to nine labs each have their number.
    for i in 0..9 {
        let key = parse_key(&(i + 1).to_string()).expect("a digit");
        assert_eq!(map(InputMode::Normal, &key), Some(Action::SelectLab(i)));
    }
    assert!(
        LabId::all().len() <= 9,
        "a lab past the ninth has no number key"
    );
    // The toy comes after every real lab; its number opens it.
    let number = LabId::all().len().to_string();
    let backend = ratatui::backend::TestBackend::new(120, 40);
    let mut tui = InlineTui::new(RunSpec::new(LabId::Mf), ThemeName::Mono, backend).unwrap();
    tui.frame().unwrap();
    assert!(tui.press(&number));
    tui.frame().unwrap();
    assert_eq!(tui.app().lab().id(), LabId::Toy);
    assert!(tui.app().message().is_none(), "{:?}", tui.app().message());
}

/// ARCHITECTURE.md walks through adding a lab with the toy lab's code. Every `rust` block of
/// its "Adding a lab" section names a source file in its first line, and its lines (in
/// chunks between `// …` elisions, in order) are that file's: the walk-through is this
/// compiled, tested code and cannot drift from it.
#[test]
fn architecture_md_quotes_the_toy_lab_verbatim() {
    let root = env!("CARGO_MANIFEST_DIR");
    let doc = std::fs::read_to_string(format!("{root}/ARCHITECTURE.md")).unwrap();
    let section = doc
        .split("\n## ")
        .find(|s| s.starts_with("Adding a lab"))
        .expect("ARCHITECTURE.md has an \"Adding a lab\" section");
    let blocks: Vec<&str> = section
        .split("```rust\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    assert!(blocks.len() >= 6, "the walk-through quotes every step");
    for block in blocks {
        let (first, body) = block.split_once('\n').unwrap();
        let path = first
            .strip_prefix("// ")
            .expect("a block starts with `// <file>`");
        let source = std::fs::read_to_string(format!("{root}/{path}")).unwrap();
        let mut from = 0;
        for chunk in body.trim_end().split("// …\n") {
            let at = source[from..].find(chunk.trim_end_matches('\n'));
            let at = at.unwrap_or_else(|| panic!("{path} no longer has, in this order:\n{chunk}"));
            from += at + chunk.trim_end().len();
        }
    }
}
