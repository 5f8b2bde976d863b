//! The real terminal: raw mode and the alternate screen in and out, a full redraw after a
//! suspend, and the writer every frame goes through — stdout, teed into a recording when one
//! is on (what a .cast holds is exactly what the terminal was sent; a GIF takes each frame's
//! cells).

use anyhow::Result;
use crossterm::{cursor, execute, terminal};
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::buffer::Buffer;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// A recording of the terminal (the asciicast writer, `demo::cast`, takes the bytes; the GIF
/// writer, `raster::gif`, the frames). Defined here so the TUI records without depending on
/// the demo module.
pub trait Recording: Send {
    /// Bytes written `seconds` after the recording started.
    fn output(&mut self, _seconds: f64, _bytes: &[u8]) {}
    /// A frame drawn `seconds` after the recording started.
    fn frame(&mut self, _seconds: f64, _screen: &Buffer) {}
    /// A marker (a GIF has none).
    fn mark(&mut self, _seconds: f64, _label: &str) {}
    /// Write the file; returns where.
    fn save(&mut self) -> Result<String, String>;
}

/// Several recordings of one session (the `R` key's .cast and .gif).
pub struct Recordings(pub Vec<Box<dyn Recording>>);

impl Recording for Recordings {
    fn output(&mut self, seconds: f64, bytes: &[u8]) {
        for r in &mut self.0 {
            r.output(seconds, bytes);
        }
    }

    fn frame(&mut self, seconds: f64, screen: &Buffer) {
        for r in &mut self.0 {
            r.frame(seconds, screen);
        }
    }

    fn mark(&mut self, seconds: f64, label: &str) {
        for r in &mut self.0 {
            r.mark(seconds, label);
        }
    }

    /// Every one is saved, whatever fails; the paths joined by "and", or the first error.
    fn save(&mut self) -> Result<String, String> {
        let saved: Vec<Result<String, String>> = self.0.iter_mut().map(|r| r.save()).collect();
        let paths = saved.into_iter().collect::<Result<Vec<String>, String>>()?;
        Ok(paths.join(" and "))
    }
}

/// Makes a recording of a `width`×`height` terminal (the `R` key's new .cast file).
pub type NewRecording = Box<dyn Fn(u16, u16) -> Result<Box<dyn Recording>, String>>;

/// A recording and when it started.
type Started = (Box<dyn Recording>, Instant);

/// The recording in progress, shared by the writer and the event loop.
#[derive(Clone, Default)]
pub struct ScreenRecorder(Arc<Mutex<Option<Started>>>);

impl ScreenRecorder {
    /// Start recording into `rec`.
    pub fn start(&self, rec: Box<dyn Recording>) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some((rec, Instant::now()));
        }
    }

    /// Stop and save; `None` when nothing was being recorded.
    pub fn stop(&self) -> Option<Result<String, String>> {
        let taken = self.0.lock().ok()?.take();
        taken.map(|(mut rec, _)| rec.save())
    }

    pub fn is_on(&self) -> bool {
        self.0.lock().is_ok_and(|slot| slot.is_some())
    }

    /// A marker now.
    pub fn mark(&self, label: &str) {
        if let Ok(mut slot) = self.0.lock()
            && let Some((rec, start)) = slot.as_mut()
        {
            rec.mark(start.elapsed().as_secs_f64(), label);
        }
    }

    /// A frame as drawn now.
    pub fn frame(&self, screen: &Buffer) {
        if let Ok(mut slot) = self.0.lock()
            && let Some((rec, start)) = slot.as_mut()
        {
            rec.frame(start.elapsed().as_secs_f64(), screen);
        }
    }

    fn output(&self, bytes: &[u8]) {
        if let Ok(mut slot) = self.0.lock()
            && let Some((rec, start)) = slot.as_mut()
        {
            rec.output(start.elapsed().as_secs_f64(), bytes);
        }
    }
}

/// Stdout, teed into the recording: a write's bytes are recorded when they are flushed (a
/// frame ends with a flush), so one event is one frame.
pub struct TeeOut {
    recorder: ScreenRecorder,
    chunk: Vec<u8>,
}

impl TeeOut {
    pub fn new(recorder: ScreenRecorder) -> TeeOut {
        TeeOut {
            recorder,
            chunk: Vec::new(),
        }
    }
}

impl Write for TeeOut {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let n = std::io::stdout().write(bytes)?;
        self.chunk.extend_from_slice(&bytes[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stdout().flush()?;
        if !self.chunk.is_empty() {
            self.recorder.output(&self.chunk);
            self.chunk.clear();
        }
        Ok(())
    }
}

pub fn restore() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
}

pub fn enter() -> std::io::Result<()> {
    terminal::enable_raw_mode()?;
    execute!(
        std::io::stdout(),
        terminal::EnterAlternateScreen,
        cursor::Hide
    )
}

/// Restores the terminal when dropped: on return and on error.
pub struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Restore the terminal, stop the process as SIGTSTP would, and take the terminal back when
/// the shell continues it. Returns the terminal's size then (it may have changed).
pub fn suspend<B: Backend>(term: &mut Terminal<B>) -> Result<(u16, u16)>
where
    B::Error: Send + Sync + 'static,
{
    restore();
    signal_hook::low_level::emulate_default_handler(signal_hook::consts::SIGTSTP)?;
    enter()?;
    full_redraw(term)
}

/// Clear the screen and make the next draw repaint every cell. (`Terminal::clear` would ask
/// the terminal for the cursor position, and the input thread would take the answer.)
pub fn full_redraw<B: Backend>(term: &mut Terminal<B>) -> Result<(u16, u16)>
where
    B::Error: Send + Sync + 'static,
{
    let size = term.size()?;
    term.resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))?;
    Ok((size.width, size.height))
}
