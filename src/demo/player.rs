//! Playing a demo. Headless: the whole TUI on one thread with a virtual clock (the inline
//! driver, through `tui::playback`), drawn into a memory terminal, every frame's bytes
//! recorded at its virtual time — so the same script gives the same recording, byte for
//! byte, on any machine; the demo's HUD only with `--hud`. Live: the script's cues are
//! handed to the real TUI's event loop (see `tui::run_demo`).

use super::cast::Cast;
use super::script::Script;
use super::terminal::{MemoryTerminal, SharedBytes};
use crate::labs::LabId;
use crate::run::RunSpec;
use crate::tui::app::App;
use crate::tui::playback::{Moment, Playback, Tape};
use crate::tui::raster::gif::{Finished, GifFile, GifRecorder};
use crate::tui::theme::ThemeName;
use std::io::Write;

/// The terminal size when neither the command line nor the script gives one.
pub const DEFAULT_SIZE: (u16, u16) = (120, 36);
/// What a session writes first and last: the alternate screen and the hidden cursor.
pub const ENTER: &[u8] = b"\x1b[?1049h\x1b[?25l";
pub const LEAVE: &[u8] = b"\x1b[?25h\x1b[?1049l";

/// How to play.
#[derive(Clone, Debug)]
pub struct Options {
    /// Waits are divided by this.
    pub speed: f64,
    /// Overrides the script's `size`.
    pub size: Option<(u16, u16)>,
    /// The recording's title.
    pub title: String,
    /// The recording's Unix timestamp (fixed for reproducible recordings).
    pub timestamp: u64,
    /// Also paint every frame into a GIF.
    pub gif: bool,
    /// Show the demo's HUD (position, chapter) in the status bar of the frames.
    pub hud: bool,
}

/// What a headless play gives.
pub struct Played {
    /// Virtual seconds the demo took.
    pub seconds: f64,
    pub frames: u64,
    pub cast: Cast,
    /// The GIF, when asked for.
    pub gif: Option<Finished>,
}

/// Play `script` headless and record it.
pub fn play_headless(script: &Script, opts: &Options) -> Result<Played, String> {
    let (w, h) = opts.size.or(script.size).unwrap_or(DEFAULT_SIZE);
    let mut out = SharedBytes::default();
    let io = |e: std::io::Error| format!("the memory terminal failed: {e}");
    out.write_all(ENTER).map_err(io)?;
    let backend = MemoryTerminal::new(w, h, out.clone());
    // The labs run on this thread: their wall-clock readouts (resnet's img/s) would make
    // two recordings differ.
    crate::clock::withhold_on_this_thread(true);
    let app = App::new(RunSpec::new(LabId::all()[0]), ThemeName::Default);
    let tape = Tape::new(script.cues.clone(), opts.speed);
    let mut play = Playback::new(tape, app, backend, opts.hud)?;
    let mut cast = Cast::new(w, h, opts.timestamp, &opts.title);
    let mut frames = 0u64;
    let mut gif = opts.gif.then(|| GifRecorder::new(w, h)).transpose()?;
    // No frame before the first cue: the cues up to the first `wait` (its `theme`, `lab`,
    // first caption) are due at time 0 and apply before anything is drawn, as in the live
    // loop, so the first frame is already in the script's theme and lab.
    play.play_to_end(&mut |t, moment| {
        match moment {
            Moment::Frame(screen) => {
                if let Some(gif) = gif.as_mut() {
                    gif.frame(t, screen)?;
                }
                frames += 1;
                cast.output(t, &out.take());
            }
            Moment::Mark(label) => cast.mark(t, label),
        }
        Ok(())
    })?;
    let seconds = play.tui().clock();
    cast.output(seconds, LEAVE);
    Ok(Played {
        seconds,
        frames,
        cast,
        gif: gif.map(GifRecorder::finish).transpose()?,
    })
}

/// Whether a recording's file is a GIF (by its extension); anything else is asciicast.
fn is_gif(path: &std::path::Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gif"))
}

/// `gradscope demo`.
pub fn command(args: crate::cli::DemoArgs) -> anyhow::Result<u8> {
    use crate::error::UsageError;
    let file = args.file.display().to_string();
    if !(args.speed.is_finite() && (0.01..=100.0).contains(&args.speed)) {
        crate::error::usage_bail!(
            "--speed must be a number from 0.01 to 100, got {}",
            args.speed
        );
    }
    let size = args
        .size
        .as_deref()
        .map(super::script::parse_size)
        .transpose()
        .map_err(UsageError)?;
    let script = Script::read(&args.file).map_err(|e| UsageError(format!("demo '{file}': {e}")))?;
    let outputs: Vec<(&str, &std::path::Path, bool)> = args
        .record
        .iter()
        .map(|p| ("--record", p.as_path(), false))
        .collect();
    crate::io::check_outputs(&outputs, &[args.file.as_path()])?;
    if args.record.iter().filter(|p| is_gif(p)).count() > 1
        || args.record.iter().filter(|p| !is_gif(p)).count() > 1
    {
        crate::error::usage_bail!("--record takes at most one .gif and one .cast");
    }
    let as_gif = args.record.iter().any(|p| is_gif(p));
    let title = args.file.file_stem().map_or("gradscope".into(), |s| {
        format!("gradscope — {}", s.to_string_lossy())
    });
    if args.headless {
        // A fixed timestamp (SOURCE_DATE_EPOCH, else 0) keeps recordings reproducible.
        let timestamp = std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let opts = Options {
            speed: args.speed,
            size,
            title,
            timestamp,
            gif: as_gif,
            hud: args.hud,
        };
        let played =
            play_headless(&script, &opts).map_err(|e| UsageError(format!("demo '{file}': {e}")))?;
        for out in &args.record {
            match &played.gif {
                Some(gif) if is_gif(out) => {
                    crate::io::write_atomic(out, &gif.bytes)?;
                    eprintln!(
                        "recorded {} ({:.1} s, {} GIF frames, {} bytes; painting and encoding \
                         took {:.2} s)",
                        out.display(),
                        played.seconds,
                        gif.frames,
                        gif.bytes.len(),
                        gif.busy.as_secs_f64()
                    );
                }
                _ => {
                    crate::io::write_atomic(out, played.cast.to_text().as_bytes())?;
                    eprintln!(
                        "recorded {} ({:.1} s, {} frames)",
                        out.display(),
                        played.seconds,
                        played.frames
                    );
                }
            }
        }
        if args.record.is_empty() {
            eprintln!(
                "played {file} ({:.1} s, {} frames)",
                played.seconds, played.frames
            );
        }
        return Ok(0);
    }
    let (w, h) = crossterm::terminal::size().unwrap_or(DEFAULT_SIZE);
    let mut recordings: Vec<Box<dyn crate::tui::terminal::Recording>> = Vec::new();
    for path in args.record {
        if is_gif(&path) {
            recordings.push(Box::new(GifFile::new(path, w, h).map_err(UsageError)?));
        } else {
            recordings.push(Box::new(super::cast::CastFile::new(path, w, h, &title)));
        }
    }
    let record = (!recordings.is_empty()).then(|| {
        Box::new(crate::tui::terminal::Recordings(recordings))
            as Box<dyn crate::tui::terminal::Recording>
    });
    // A demo starts from the built-in defaults (not the config file's): it must play the
    // same in every room. Its `theme` lines set the theme.
    let no_color = std::env::var("NO_COLOR").ok();
    let start = crate::tui::Start {
        spec: RunSpec::new(LabId::all()[0]),
        theme: crate::tui::theme::Theme::initial(None, no_color.as_deref()),
        speed: crate::tui::speed::Speed::NATURAL,
        labs: Vec::new(),
        problems: None,
    };
    crate::tui::run_demo(
        start,
        super::cast::timestamped(),
        crate::tui::DemoPlay {
            cues: script.cues,
            speed: args.speed,
            record,
        },
    )
}
