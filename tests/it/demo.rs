//! Demos and figures as a lecturer uses them: every shipped demo plays headless to its end
//! and records a valid asciicast v2 file, and its opening the same bytes twice; a bad script names its line;
//! `run --plot` writes an SVG figure for every lab.

#![allow(clippy::unwrap_used)]

use crate::common::gradscope;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn demos() -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir("assets/demos")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tape"))
        .collect();
    all.sort();
    all
}

fn record(demo: &Path, out: &Path) {
    record_all(demo, &[out]);
}

/// One headless play recorded to every file of `outs` (a .cast, a .gif).
fn record_all(demo: &Path, outs: &[&Path]) {
    let mut cmd = gradscope();
    cmd.args(["demo", "--headless"]);
    for out in outs {
        cmd.arg("--record").arg(out);
    }
    let o = cmd
        .arg(demo)
        .env("SOURCE_DATE_EPOCH", "1795000000")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}: {}",
        demo.display(),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The cast is asciicast v2: a header, then events with non-decreasing times.
fn check_cast(text: &str) -> (f64, usize) {
    let mut lines = text.lines();
    let header: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(header["version"], 2);
    assert!(header["width"].as_u64().unwrap() >= 80);
    assert!(header["height"].as_u64().unwrap() >= 24);
    assert_eq!(header["timestamp"], 1795000000);
    assert!(header["title"].as_str().unwrap().starts_with("gradscope"));
    let (mut last, mut marks, mut escapes) = (0.0, 0, 0);
    for line in lines {
        let e: Value = serde_json::from_str(line).unwrap();
        let t = e[0].as_f64().unwrap();
        assert!(t >= last, "times go back: {t} after {last}");
        last = t;
        match e[1].as_str().unwrap() {
            "o" => escapes += usize::from(e[2].as_str().unwrap().contains('\u{1b}')),
            "m" => marks += 1,
            other => panic!("unknown event kind {other}"),
        }
    }
    assert!(
        escapes > 10,
        "output events hold the terminal's escape sequences"
    );
    (last, marks)
}

/// The script up to and including the `wait` that reaches `secs` of waiting.
fn opening(script: &str, secs: f64) -> String {
    let mut waited = 0.0;
    let mut out = String::new();
    for line in script.lines() {
        out += line;
        out += "\n";
        if let Some(arg) = line.trim().strip_prefix("wait ") {
            let arg = arg.split('#').next().unwrap().trim();
            waited += match (arg.strip_suffix("ms"), arg.strip_suffix('s')) {
                (Some(ms), _) => ms.parse::<f64>().unwrap() / 1e3,
                (None, Some(s)) => s.parse::<f64>().unwrap(),
                (None, None) => arg.parse::<f64>().unwrap(),
            };
            if waited >= secs {
                break;
            }
        }
    }
    out
}

/// The shipped demos, one test each (so the resnet demo, which trains two networks, runs
/// beside the others instead of after them).
const SHIPPED: [&str; 6] = ["bn", "clip", "lstm", "mf", "resnet", "rnn"];

#[test]
fn every_shipped_demo_has_its_test() {
    let names: Vec<String> = demos()
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, SHIPPED);
}

/// The README's row for a demo's GIF: its frames and size in MB.
fn readme_gif_row(name: &str) -> (f64, f64) {
    let readme = crate::common::readme();
    let row = readme
        .lines()
        .find(|l| l.starts_with(&format!("| {name} | ")) && l.contains(" MB |"))
        .unwrap_or_else(|| panic!("the README has no GIF row for {name}"));
    let cells: Vec<&str> = row.split('|').map(str::trim).collect();
    let frames = cells[3].parse().unwrap();
    let mb = cells[4].trim_end_matches(" MB").parse().unwrap();
    (frames, mb)
}

/// The demo records a valid 2–4 minute cast, and in the same play a GIF of the frames and
/// size the README gives (within 15%: the labs' last bits may differ between machines); its
/// first 20 seconds record the same bytes twice (a whole second recording would double the
/// suite's longest test: resnet's demo trains two networks).
fn records_a_valid_cast_and_the_same_one_twice(name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let demo = PathBuf::from(format!("assets/demos/{name}.tape"));
    let whole = dir.path().join("whole.cast");
    let gif = dir.path().join("whole.gif");
    record_all(&demo, &[&whole, &gif]);
    let bytes = std::fs::read(&gif).unwrap();
    let mut opts = gif::DecodeOptions::new();
    opts.set_color_output(gif::ColorOutput::Indexed);
    let mut dec = opts.read_info(bytes.as_slice()).unwrap();
    let mut frames = 0.0;
    while dec.read_next_frame().unwrap().is_some() {
        frames += 1.0;
    }
    let (want_frames, want_mb) = readme_gif_row(name);
    let mb = bytes.len() as f64 / 1e6;
    assert!(
        (frames / want_frames - 1.0).abs() <= 0.15 && (mb / want_mb - 1.0).abs() <= 0.15,
        "{name}: {frames} GIF frames, {mb:.2} MB; the README says {want_frames}, {want_mb} MB"
    );
    let text = std::fs::read_to_string(&whole).unwrap();
    let (seconds, marks) = check_cast(&text);
    assert!(
        (120.0..=240.0).contains(&seconds),
        "{}: {seconds} s, not a 2–4 minute lesson",
        demo.display()
    );
    assert!(marks >= 2, "{}", demo.display());

    let start = dir.path().join(demo.file_name().unwrap());
    let script = std::fs::read_to_string(&demo).unwrap();
    std::fs::write(&start, opening(&script, 20.0)).unwrap();
    let (a, b) = (dir.path().join("a.cast"), dir.path().join("b.cast"));
    record(&start, &a);
    record(&start, &b);
    let text = std::fs::read_to_string(&a).unwrap();
    assert!(
        text == std::fs::read_to_string(&b).unwrap(),
        "{}: recordings differ",
        demo.display()
    );
    assert!(check_cast(&text).0 >= 20.0, "{}", demo.display());
}

/// `demo::records_a_valid_cast::<name>`, one test per shipped demo.
mod records_a_valid_cast {
    macro_rules! demo_tests {
        ($($name:ident),*) => {$(
            #[test]
            fn $name() {
                super::records_a_valid_cast_and_the_same_one_twice(stringify!($name));
            }
        )*};
    }

    demo_tests!(bn, clip, lstm, mf, resnet, rnn);
}

#[test]
fn the_first_frame_is_in_the_scripts_theme() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("themed.tape");
    std::fs::write(&demo, "size 80x24\ntheme projector\nlab mf\nwait 0.2s\n").unwrap();
    let cast = dir.path().join("themed.cast");
    record(&demo, &cast);
    let text = std::fs::read_to_string(&cast).unwrap();
    let outputs: Vec<String> = text
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e[1] == "o")
        .map(|e| e[2].as_str().unwrap().to_string())
        .collect();
    // The projector theme paints its black background (colour 16: SGR 48;5;16, after the
    // foreground in one sequence) under every cell; the default theme paints none.
    let background = "48;5;16m";
    assert!(
        outputs[0].contains(background) && outputs[0].contains("theme projector"),
        "the first frame: {:?}",
        outputs[0]
    );
    assert!(outputs.iter().all(|o| !o.contains("theme default")));
}

#[test]
fn a_bad_demo_line_is_named_and_the_demo_cannot_be_its_own_recording() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.tape");
    std::fs::write(&bad, "lab rnn\nwait 1s\nset nonsense 3\n").unwrap();
    let o = gradscope()
        .args(["demo", "--headless"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("line 3") && err.contains("unknown parameter 'nonsense'"),
        "{err}"
    );
    std::fs::write(&bad, "lab rnn\nfly\n").unwrap();
    let o = gradscope()
        .args(["demo", "--headless"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8(o.stderr)
            .unwrap()
            .contains("line 2: unknown command 'fly'")
    );
    let o = gradscope()
        .args(["demo", "--headless", "--record"])
        .arg(&bad)
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    for args in [["--speed", "0"], ["--size", "10x2"]] {
        let o = gradscope()
            .args(["demo", "--headless"])
            .args(args)
            .arg("assets/demos/rnn.tape")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn run_plot_writes_an_svg_figure_for_every_lab() {
    let dir = tempfile::tempdir().unwrap();
    let labs: Value = serde_json::from_slice(
        &gradscope()
            .args(["labs", "--format", "json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    for lab in labs.as_array().unwrap() {
        let name = lab["lab"].as_str().unwrap();
        let svg = dir.path().join(format!("{name}.svg"));
        let o = gradscope()
            .args(["run", name, "--steps", "3", "--out", "/dev/null", "--plot"])
            .arg(&svg)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let text = std::fs::read_to_string(&svg).unwrap();
        let doc = roxmltree::Document::parse(&text).unwrap();
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        let lines = doc
            .descendants()
            .filter(|n| n.has_tag_name("polyline"))
            .count();
        let texts: Vec<String> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text().map(|t| t.trim().to_string()))
            .collect();
        assert!(lines >= 1, "{name}: no lines");
        assert!(texts.len() > 10, "{name}: axes and labels");
    }
    // The mf pane: four charts whose titles and series names are all there.
    let svg = dir.path().join("mf.svg");
    let text = std::fs::read_to_string(&svg).unwrap();
    for needle in [
        "loss and gap",
        "singular values of AB",
        "balancedness",
        "not convex",
        "f(A,B)",
        "σ1",
        "σ3",
        "f*",
    ] {
        assert!(text.contains(needle), "mf.svg lacks {needle}");
    }
}

// The demo's HUD and its chapters, through the inline driver (the code the headless player
// and the live TUI's ←/→ run).

use gradscope::testing::demo::script::Script;
use gradscope::testing::labs::LabId;
use gradscope::testing::run::RunSpec;
use gradscope::testing::tui::app::{App, RunState};
use gradscope::testing::tui::playback::{Playback, Tape, quiet};
use gradscope::testing::tui::theme::ThemeName;
use ratatui::backend::TestBackend;

/// Three chapters over 12 s of mf: each changes what the screen shows (a caption, a
/// parameter set by a key of the script, a preset), and `+` runs the lab at full speed so
/// its run is done within the first chapter.
const CHAPTERED: &str = "lab mf
key + x12
caption Before any chapter.
wait 1s
mark first
caption The first chapter.
wait 3s
mark second
caption The second chapter: rows one more, by the script's Right key.
key Right
wait 4s
mark third
preset in-order
caption The third chapter.
wait 4s
";

fn chaptered() -> Playback<TestBackend> {
    let script = Script::parse(CHAPTERED).unwrap();
    let app = App::new(RunSpec::new(LabId::all()[0]), ThemeName::Default);
    let tape = Tape::new(script.cues, 1.0);
    Playback::new(tape, app, TestBackend::new(120, 40), true).unwrap()
}

/// A play of [`CHAPTERED`] up to the start of `chapter`, drawn there.
fn played_to(chapter: Option<usize>) -> Playback<TestBackend> {
    let mut play = chaptered();
    play.play_to(chapter, &mut quiet).unwrap();
    play.draw().unwrap();
    play
}

fn screen_of(play: &Playback<TestBackend>) -> String {
    let buf = play.tui().terminal().backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn status_of(play: &Playback<TestBackend>) -> String {
    screen_of(play).lines().nth(38).unwrap().to_string()
}

/// Same screen, cell for cell (symbols and styles).
fn assert_same_screen(a: &Playback<TestBackend>, b: &Playback<TestBackend>, what: &str) {
    let (ba, bb) = (
        a.tui().terminal().backend().buffer(),
        b.tui().terminal().backend().buffer(),
    );
    assert!(
        ba == bb,
        "{what}:\n{}\n---- versus ----\n{}",
        screen_of(a),
        screen_of(b)
    );
}

#[test]
fn the_hud_shows_the_position_chapter_and_pause_in_the_status_bar() {
    let mut play = played_to(None);
    let status = status_of(&play);
    assert!(status.contains("DEMO  0:00 / 0:12"), "{status}");
    play.play_for(2.0).unwrap();
    let status = status_of(&play);
    assert!(status.contains("0:02 / 0:12 first"), "{status}");
    assert!(play.app().run_state() == RunState::Done);
    // Space pauses the demo itself, even with the run done: the status says so (not the
    // run's "the run is done: r restarts it"), and time passes without the demo.
    play.press("Space").unwrap();
    play.play_for(3.0).unwrap();
    let status = status_of(&play);
    assert!(status.contains("0:02 / 0:12 first demo paused"), "{status}");
    assert!(!status.contains("the run is done"), "{status}");
    assert!(play.app().caption().unwrap().contains("first chapter"));
    play.press("Space").unwrap();
    play.play_for(2.5).unwrap();
    let status = status_of(&play);
    assert!(status.contains("0:04 / 0:12 second"), "{status}");
    assert!(!status.contains("paused"), "{status}");
    // The script's Right key adjusted a parameter: a script's keys never reach the
    // lecturer's layer.
    assert_eq!(play.app().lab().params().get("rows").to_string(), "31");
    // ? lists the chapters, the current one marked.
    play.press("?").unwrap();
    play.draw().unwrap();
    let screen = screen_of(&play);
    assert!(
        screen.contains("the demo's chapters (0:12 in all)"),
        "{screen}"
    );
    assert!(screen.contains("▸  0:04  second"), "{screen}");
    assert!(screen.contains("   0:08  third"), "{screen}");
    play.press("Esc").unwrap();
    play.play_for(9.0).unwrap();
    let status = status_of(&play);
    assert!(status.contains("0:12 / 0:12 third demo over"), "{status}");
    // The hint bar gives ← and → to the chapters, and the parameter to h and l.
    let hints = screen_of(&play).lines().nth(39).unwrap().to_string();
    assert!(
        hints.contains("←/→ chapter") && hints.contains("l adjust"),
        "{hints}"
    );
    assert!(!hints.contains("→ adjust"), "{hints}");
}

#[test]
fn jumping_to_a_mark_gives_the_same_buffer_as_playing_up_to_it() {
    let at: Vec<Playback<TestBackend>> = [None, Some(0), Some(1), Some(2)]
        .into_iter()
        .map(played_to)
        .collect();
    let mut play = chaptered();
    play.play_to(Some(2), &mut quiet).unwrap();
    play.play_for(3.0).unwrap();
    // Three seconds into the third chapter, ← goes back to its start; at once again, to the
    // chapter before; → forward again.
    for (key, landing, what) in [
        ("Left", 3, "← in the third chapter"),
        ("Left", 2, "← at the third's start"),
        ("Left", 1, "← at the second's start"),
        ("Right", 2, "→ from the first"),
        ("Right", 3, "→ from the second"),
        ("Left", 2, "← at the third's start"),
    ] {
        play.press(key).unwrap();
        play.draw().unwrap();
        assert_same_screen(&play, &at[landing], what);
        assert_eq!(play.position(), at[landing].position(), "{what}");
    }
    // From the first chapter ← replays to the demo's start.
    play.press("Left").unwrap();
    play.press("Left").unwrap();
    play.draw().unwrap();
    assert_same_screen(&play, &at[0], "← from the first chapter");
    // A jump lands on the very state an uninterrupted play has there: both play on alike.
    play.press("Right").unwrap();
    play.press("Right").unwrap();
    let mut uninterrupted = played_to(Some(1));
    for p in [&mut play, &mut uninterrupted] {
        p.play_for(5.0).unwrap();
        p.draw().unwrap();
    }
    assert_same_screen(&play, &uninterrupted, "five seconds after landing");
    // → in the last chapter says so and stays.
    let before = play.position();
    play.press("Right").unwrap();
    assert_eq!(play.position(), before);
    let says = play.app().message().map(|m| m.text.clone()).unwrap();
    assert!(
        says.contains("'third' is the demo's last chapter"),
        "{says}"
    );
}

#[test]
fn headless_recordings_show_the_hud_only_with_hud() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("hud.tape");
    std::fs::write(&demo, "size 80x24\nlab mf\nwait 0.5s\nmark only\nwait 1s\n").unwrap();
    let cast = dir.path().join("hud.cast");
    let hud = dir.path().join("with.cast");
    record(&demo, &cast);
    let o = gradscope()
        .args(["demo", "--headless", "--hud", "--record"])
        .arg(&hud)
        .arg(&demo)
        .env("SOURCE_DATE_EPOCH", "1795000000")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (plain, with) = (
        std::fs::read_to_string(&cast).unwrap(),
        std::fs::read_to_string(&hud).unwrap(),
    );
    // The terminal is written cell by cell, skipping cells already right: the HUD's parts
    // show up one by one.
    assert!(!plain.contains("DEMO"));
    for part in ["DEMO", "0:00", "0:01", "only"] {
        assert!(with.contains(part), "{part}");
    }
    check_cast(&with);
}
