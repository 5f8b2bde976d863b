//! GIF recordings: the screen painted frame by frame ([`Painter`]), written as an animated
//! GIF over the xterm palette (one global palette, no quantising). Small enough for a slide
//! deck: at most ten frames a second (a screen that changes faster shows its latest state at
//! the next tenth), each frame only the rectangle that changed, its unchanged pixels
//! transparent (long runs for LZW), and a frame that changes nothing only lengthens the one
//! before. Frame times come from the caller's clock — the virtual clock in a headless
//! recording, so the same demo gives the same bytes.

use super::{Painter, PixelRect, UNCHANGED, palette};
use crate::tui::terminal::Recording;
use ::gif::{DisposalMethod, Encoder, Frame, Repeat};
use ratatui::buffer::Buffer;
use std::borrow::Cow;

/// The shortest time between frames, in hundredths of a second (GIF's unit; browsers hold
/// shorter delays for 0.1 s anyway).
pub const MIN_GAP_CS: u32 = 10;
/// How long the last frame stays before the GIF loops, at least.
pub const LAST_HOLD_CS: u32 = 200;

fn centis(seconds: f64) -> u32 {
    (seconds.max(0.0) * 100.0).round() as u32
}

/// An animated GIF being made in memory.
pub struct GifRecorder {
    painter: Painter,
    /// What a viewer shows after the frames taken so far.
    shown: Vec<u8>,
    /// Pixels painted since the last frame taken.
    dirty: Option<PixelRect>,
    /// When the first change not yet taken was painted.
    pending: Option<u32>,
    /// The last frame taken and its time: written once the next one's time gives its delay.
    held: Option<(u32, Frame<'static>)>,
    last_seen: u32,
    encoder: Encoder<Vec<u8>>,
    frames: u64,
    /// Wall time spent painting and encoding (what a GIF adds to a recording).
    busy: std::time::Duration,
}

impl GifRecorder {
    /// A recording of a `cols`×`rows` terminal.
    pub fn new(cols: u16, rows: u16) -> Result<GifRecorder, String> {
        let painter = Painter::new(cols, rows);
        let (w, h) = (painter.width(), painter.height());
        let (gw, gh) = (
            u16::try_from(w).map_err(|_| "the terminal is too wide for a GIF")?,
            u16::try_from(h).map_err(|_| "the terminal is too tall for a GIF")?,
        );
        let err = |e: ::gif::EncodingError| format!("encoding the GIF: {e}");
        let mut encoder = Encoder::new(Vec::new(), gw, gh, &palette()).map_err(err)?;
        encoder.set_repeat(Repeat::Infinite).map_err(err)?;
        Ok(GifRecorder {
            shown: vec![UNCHANGED; w * h],
            painter,
            dirty: None,
            pending: None,
            held: None,
            last_seen: 0,
            encoder,
            frames: 0,
            busy: std::time::Duration::ZERO,
        })
    }

    /// The screen as it was drawn `seconds` after the recording started.
    pub fn frame(&mut self, seconds: f64, buf: &Buffer) -> Result<(), String> {
        let started = std::time::Instant::now();
        let done = self.paint(seconds, buf);
        self.busy += started.elapsed();
        done
    }

    fn paint(&mut self, seconds: f64, buf: &Buffer) -> Result<(), String> {
        let t = centis(seconds).max(self.last_seen);
        self.last_seen = t;
        // A change held back by the frame rate is taken at its turn, before this one paints.
        if let Some(p) = self.pending
            && self.due(t)
        {
            let at = p.max(self.next_slot());
            self.take(at)?;
        }
        if let Some(r) = self.painter.paint(buf) {
            self.dirty = Some(self.dirty.map_or(r, |d| d.union(r)));
            self.pending.get_or_insert(t);
        }
        if self.pending.is_some() && self.due(t) {
            self.take(t)?;
        }
        Ok(())
    }

    fn next_slot(&self) -> u32 {
        self.held.as_ref().map_or(0, |(at, _)| at + MIN_GAP_CS)
    }

    fn due(&self, t: u32) -> bool {
        t >= self.next_slot()
    }

    /// The pixels painted since the last frame, as a frame at `at`.
    fn take(&mut self, at: u32) -> Result<(), String> {
        self.pending = None;
        let Some(rect) = self.dirty.take() else {
            return Ok(());
        };
        let first = self.held.is_none() && self.frames == 0;
        let Some(frame) = self.patch(rect, first) else {
            return Ok(());
        };
        if let Some((t0, mut prev)) = self.held.take() {
            prev.delay = (at - t0).min(u32::from(u16::MAX)) as u16;
            self.write(&prev)?;
        }
        self.held = Some((at, frame));
        Ok(())
    }

    /// The frame that turns what is shown into what is painted within `rect`: cut to the
    /// pixels that differ, the others transparent. `None` when none differ.
    fn patch(&mut self, rect: PixelRect, first: bool) -> Option<Frame<'static>> {
        let w = self.painter.width();
        let (now, shown) = (&self.painter.pixels, &mut self.shown);
        let mut tight: Option<PixelRect> = None;
        for y in rect.y0..rect.y1 {
            let row = y * w;
            let (a, b) = (
                &now[row + rect.x0..row + rect.x1],
                &shown[row + rect.x0..row + rect.x1],
            );
            let Some(lo) = a.iter().zip(b).position(|(p, q)| p != q) else {
                continue;
            };
            let hi = a.iter().zip(b).rposition(|(p, q)| p != q).unwrap_or(lo);
            let r = PixelRect {
                x0: rect.x0 + lo,
                y0: y,
                x1: rect.x0 + hi + 1,
                y1: y + 1,
            };
            tight = Some(tight.map_or(r, |t| t.union(r)));
        }
        let r = tight?;
        let mut pixels = Vec::with_capacity((r.x1 - r.x0) * (r.y1 - r.y0));
        for y in r.y0..r.y1 {
            let row = y * w;
            for x in r.x0..r.x1 {
                let p = now[row + x];
                pixels.push(if p == shown[row + x] && !first {
                    UNCHANGED
                } else {
                    p
                });
                shown[row + x] = p;
            }
        }
        Some(Frame {
            left: r.x0 as u16,
            top: r.y0 as u16,
            width: (r.x1 - r.x0) as u16,
            height: (r.y1 - r.y0) as u16,
            dispose: DisposalMethod::Keep,
            transparent: (!first).then_some(UNCHANGED),
            buffer: Cow::Owned(pixels),
            ..Frame::default()
        })
    }

    fn write(&mut self, frame: &Frame<'_>) -> Result<(), String> {
        self.encoder
            .write_frame(frame)
            .map_err(|e| format!("encoding the GIF: {e}"))?;
        self.frames += 1;
        Ok(())
    }

    /// The whole GIF: what is still held back is written, the last frame held for what is
    /// left of the recording (at least [`LAST_HOLD_CS`]).
    pub fn finish(mut self) -> Result<Finished, String> {
        let started = std::time::Instant::now();
        if let Some(p) = self.pending {
            let at = p.max(self.next_slot());
            self.take(at)?;
        }
        if let Some((t0, mut last)) = self.held.take() {
            let hold = self.last_seen.saturating_sub(t0).max(LAST_HOLD_CS);
            last.delay = hold.min(u32::from(u16::MAX)) as u16;
            self.write(&last)?;
        }
        let (frames, busy) = (self.frames, self.busy);
        let bytes = self
            .encoder
            .into_inner()
            .map_err(|e| format!("encoding the GIF: {e}"))?;
        Ok(Finished {
            bytes,
            frames,
            busy: busy + started.elapsed(),
        })
    }
}

/// A finished GIF.
pub struct Finished {
    pub bytes: Vec<u8>,
    pub frames: u64,
    /// Wall time spent painting and encoding it.
    pub busy: std::time::Duration,
}

/// A GIF recording bound for a file (`demo --record OUT.gif`, and the `R` key beside its
/// .cast).
pub struct GifFile {
    path: std::path::PathBuf,
    gif: Option<GifRecorder>,
    /// The first error while recording, reported when saving.
    failed: Option<String>,
}

impl GifFile {
    pub fn new(path: std::path::PathBuf, cols: u16, rows: u16) -> Result<GifFile, String> {
        Ok(GifFile {
            path,
            gif: Some(GifRecorder::new(cols, rows)?),
            failed: None,
        })
    }
}

impl Recording for GifFile {
    fn frame(&mut self, seconds: f64, screen: &Buffer) {
        if self.failed.is_none()
            && let Some(gif) = self.gif.as_mut()
            && let Err(e) = gif.frame(seconds, screen)
        {
            self.failed = Some(e);
        }
    }

    fn save(&mut self) -> Result<String, String> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        let gif = self.gif.take().ok_or("the GIF was saved already")?;
        let gif = gif.finish()?;
        crate::io::write_atomic(&self.path, &gif.bytes).map_err(|e| crate::error::one_line(&e))?;
        Ok(self.path.display().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::{Color, Style};

    fn screen(text: &str) -> Buffer {
        let mut b = Buffer::empty(Rect::new(0, 0, 4, 2));
        b.set_string(0, 0, text, Style::new().fg(Color::Indexed(75)));
        b
    }

    #[test]
    fn frames_are_patches_at_most_ten_a_second_and_unchanged_screens_only_lengthen_one() {
        let mut g = GifRecorder::new(4, 2).expect("a small GIF");
        g.frame(0.0, &screen("a")).expect("frame");
        g.frame(0.033, &screen("ab")).expect("frame"); // held back: too soon
        g.frame(0.066, &screen("ab")).expect("frame");
        g.frame(0.5, &screen("ab")).expect("frame"); // the held change is taken at 0.1
        g.frame(1.0, &screen("ab")).expect("frame");
        let done = g.finish().expect("finished");
        assert_eq!(done.frames, 2);
        let bytes = done.bytes;
        let mut opts = ::gif::DecodeOptions::new();
        opts.set_color_output(::gif::ColorOutput::Indexed);
        let mut dec = opts.read_info(bytes.as_slice()).expect("decodes");
        let mut frames = Vec::new();
        while let Some(f) = dec.read_next_frame().expect("a frame") {
            frames.push((f.left, f.top, f.width, f.height, f.delay, f.transparent));
        }
        assert_eq!(
            frames,
            vec![
                (0, 0, 36, 36, 10, None),
                // Only the second cell's changed pixels, shown from 0.1 s to the end.
                (
                    frames[1].0,
                    frames[1].1,
                    frames[1].2,
                    frames[1].3,
                    200,
                    Some(0)
                ),
            ]
        );
        assert!(frames[1].0 >= 9 && frames[1].0 + frames[1].2 <= 18);
    }
}
