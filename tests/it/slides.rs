//! Slides: a demo recorded headless as a GIF (the same bytes twice, decodable, moving), and
//! `W`'s PNG screenshot of the whole screen.

#![allow(clippy::unwrap_used)]

use crate::common::gradscope;
use gradscope::testing::labs::LabId;
use gradscope::testing::run::RunSpec;
use gradscope::testing::tui::app::Effect;
use gradscope::testing::tui::inline::InlineTui;
use gradscope::testing::tui::raster::png::of_app;
use gradscope::testing::tui::theme::{ThemeName, xterm_rgb};
use ratatui::backend::TestBackend;
use std::path::Path;

/// A short lesson: an rnn run, a parameter changed, a caption.
const TAPE: &str = "size 80x24\nlab rnn\nwait 1.5s\nkey Down\nkey Down\nkey Right\ncaption \
                    The norm is 1.1 now\nwait 2s\n";

fn record_gif(tape: &Path, out: &Path) -> Vec<u8> {
    let o = gradscope()
        .args(["demo", "--headless", "--record"])
        .arg(out)
        .arg(tape)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(said.contains("GIF frames"), "{said}");
    std::fs::read(out).unwrap()
}

/// Every frame of a GIF composed onto its canvas, as palette indices, with its delay.
fn composed(bytes: &[u8]) -> (u16, u16, Vec<(Vec<u8>, u16)>) {
    let mut opts = gif::DecodeOptions::new();
    opts.set_color_output(gif::ColorOutput::Indexed);
    let mut dec = opts.read_info(bytes).unwrap();
    let (w, h) = (dec.width(), dec.height());
    let mut canvas = vec![0u8; usize::from(w) * usize::from(h)];
    let mut frames = Vec::new();
    while let Some(f) = dec.read_next_frame().unwrap() {
        for y in 0..usize::from(f.height) {
            for x in 0..usize::from(f.width) {
                let p = f.buffer[y * usize::from(f.width) + x];
                if Some(p) != f.transparent {
                    canvas[(usize::from(f.top) + y) * usize::from(w) + usize::from(f.left) + x] = p;
                }
            }
        }
        frames.push((canvas.clone(), f.delay));
    }
    (w, h, frames)
}

#[test]
fn a_headless_gif_is_the_same_bytes_twice_decodes_and_moves() {
    let dir = tempfile::tempdir().unwrap();
    let tape = dir.path().join("lesson.tape");
    std::fs::write(&tape, TAPE).unwrap();
    let a = record_gif(&tape, &dir.path().join("a.gif"));
    let b = record_gif(&tape, &dir.path().join("b.gif"));
    assert!(a == b, "two recordings of one demo differ");
    assert_eq!(&a[..6], b"GIF89a");
    let (w, h, frames) = composed(&a);
    // 80×24 cells of 9×18 pixels.
    assert_eq!((w, h), (720, 432));
    // 3.5 s at most ten frames a second, a frame only when the screen changed.
    assert!((3..=36).contains(&frames.len()), "{} frames", frames.len());
    let (first, last) = (&frames[0].0, &frames[frames.len() - 1].0);
    assert_ne!(first, last, "the run and the caption change the screen");
    // The frames' delays add up to the demo's length (the last held for at least 2 s).
    let total: u32 = frames.iter().map(|f| u32::from(f.1)).sum();
    assert!((350..=560).contains(&total), "{total} cs");
    assert!(
        frames.iter().all(|f| f.1 >= 10),
        "at most ten frames a second"
    );
}

#[test]
fn a_demo_records_a_cast_and_a_gif_in_one_play_but_not_two_gifs() {
    let dir = tempfile::tempdir().unwrap();
    let tape = dir.path().join("lesson.tape");
    std::fs::write(&tape, TAPE).unwrap();
    let (cast, gif) = (dir.path().join("l.cast"), dir.path().join("l.gif"));
    gradscope()
        .args(["demo", "--headless", "--record"])
        .arg(&cast)
        .arg("--record")
        .arg(&gif)
        .arg(&tape)
        .assert()
        .success();
    assert!(std::fs::read_to_string(&cast).unwrap().starts_with('{'));
    assert_eq!(&std::fs::read(&gif).unwrap()[..6], b"GIF89a");
    let o = gradscope()
        .args([
            "demo",
            "--headless",
            "--record",
            "x.gif",
            "--record",
            "y.gif",
        ])
        .arg(&tape)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("at most one .gif"), "{err}");
}

#[test]
fn w_writes_the_whole_screen_as_a_png_of_its_cells() {
    let backend = TestBackend::new(100, 30);
    let mut tui = InlineTui::new(RunSpec::new(LabId::Mf), ThemeName::Default, backend).unwrap();
    tui.advance(0.5).unwrap();
    tui.take_effects();
    assert!(tui.press("W"));
    assert_eq!(tui.take_effects(), vec![Effect::Screenshot]);
    let png = of_app(tui.app(), (100, 30)).unwrap();
    let dec = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = dec.read_info().unwrap();
    let info = reader.info();
    assert_eq!((info.width, info.height), (900, 540));
    let palette = info.palette.as_ref().unwrap().to_vec();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    reader.next_frame(&mut pixels).unwrap();
    // The cells are the terminal's: find the status bar's state badge (its background is the
    // theme's `running` or `paused`/`done` colour) at the row the TestBackend shows it on.
    let buf = tui.terminal().backend().buffer().clone();
    let row_text =
        |y: u16| -> Vec<String> { (0..100).map(|x| buf[(x, y)].symbol().to_string()).collect() };
    let (row, col) = (0..30)
        .find_map(|y| {
            let cells = row_text(y);
            let joined = cells.concat();
            ["RUNNING", "DONE"].iter().find_map(|badge| {
                joined.contains(badge).then(|| {
                    let first = badge.chars().next().unwrap().to_string();
                    let x = (0..cells.len())
                        .find(|&x| cells[x..].concat().starts_with(badge))
                        .unwrap();
                    assert_eq!(cells[x], first);
                    (usize::from(y), x)
                })
            })
        })
        .unwrap();
    let cell = &buf[(col as u16, row as u16)];
    let ratatui::style::Color::Indexed(bg) = cell.bg else {
        panic!("the badge has an indexed background: {:?}", cell.bg)
    };
    // The cell's top-left pixel is paper (the glyph's ink starts lower).
    let index = pixels[row * 18 * 900 + col * 9];
    let rgb = &palette[3 * usize::from(index)..3 * usize::from(index) + 3];
    let (r, g, b) = xterm_rgb(bg);
    assert_eq!(rgb, [r, g, b]);
}
