//! The asciicast v2 writer: a header line `{"version":2,"width","height","timestamp","title"}`
//! then one JSON array per event, `[seconds, "o", text]` for output and `[seconds, "m",
//! label]` for markers. Output events hold exactly the bytes written to the terminal; a UTF-8
//! sequence cut by a write boundary is held back until it is whole, so no event splits one.

use crate::tui::raster::gif::GifFile;
use crate::tui::terminal::{NewRecording, Recording, Recordings};
use serde_json::json;

/// A recording in progress.
#[derive(Clone, Debug)]
pub struct Cast {
    width: u16,
    height: u16,
    timestamp: u64,
    title: String,
    events: Vec<String>,
    /// Bytes of an incomplete UTF-8 sequence from the last write.
    pending: Vec<u8>,
    last_time: f64,
}

impl Cast {
    pub fn new(width: u16, height: u16, timestamp: u64, title: &str) -> Cast {
        Cast {
            width,
            height,
            timestamp,
            title: title.to_string(),
            events: Vec::new(),
            pending: Vec::new(),
            last_time: 0.0,
        }
    }

    /// Times are kept non-decreasing and rounded to microseconds (the format's precision).
    fn time(&mut self, t: f64) -> f64 {
        let t = (t.max(self.last_time) * 1e6).round() / 1e6;
        self.last_time = t;
        t
    }

    /// Bytes the app wrote at `t` seconds.
    pub fn output(&mut self, t: f64, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        let valid = match std::str::from_utf8(&self.pending) {
            Ok(s) => s.len(),
            // An error with no length is an incomplete sequence at the end: keep it for later.
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            // Invalid bytes cannot come from the app; pass them on, replaced.
            Err(_) => self.pending.len(),
        };
        if valid == 0 {
            return;
        }
        let rest = self.pending.split_off(valid);
        let text = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending = rest;
        let t = self.time(t);
        self.events.push(json!([t, "o", text]).to_string());
    }

    /// A marker at `t` seconds.
    pub fn mark(&mut self, t: f64, label: &str) {
        let t = self.time(t);
        self.events.push(json!([t, "m", label]).to_string());
    }

    /// The whole file.
    pub fn to_text(&self) -> String {
        let header = json!({
            "version": 2,
            "width": self.width,
            "height": self.height,
            "timestamp": self.timestamp,
            "title": self.title,
            "env": {"TERM": "xterm-256color"},
        });
        let mut out = header.to_string();
        out.push('\n');
        for e in &self.events {
            out.push_str(e);
            out.push('\n');
        }
        out
    }
}

/// A cast bound for a file: the live TUI's recordings (`R`, `demo --record`).
pub struct CastFile {
    cast: Cast,
    path: std::path::PathBuf,
}

impl CastFile {
    pub fn new(path: std::path::PathBuf, width: u16, height: u16, title: &str) -> CastFile {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        CastFile {
            cast: Cast::new(width, height, now, title),
            path,
        }
    }
}

impl Recording for CastFile {
    fn output(&mut self, seconds: f64, bytes: &[u8]) {
        self.cast.output(seconds, bytes);
    }

    fn mark(&mut self, seconds: f64, label: &str) {
        self.cast.mark(seconds, label);
    }

    fn save(&mut self) -> Result<String, String> {
        crate::io::write_atomic(&self.path, self.cast.to_text().as_bytes())
            .map_err(|e| crate::error::one_line(&e))?;
        Ok(self.path.display().to_string())
    }
}

/// The `R` key's recordings: `gradscope-YYYYMMDD-HHMMSS.cast` (for asciinema) and `.gif`
/// (for slides) in the current directory.
pub fn timestamped() -> NewRecording {
    Box::new(|width, height| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let stem = format!("gradscope-{}", crate::fmt::utc_stamp(now));
        let (cast, gif) = (format!("{stem}.cast"), format!("{stem}.gif"));
        // Checked now, not when saving: a recording that cannot be saved is not started.
        for name in [&cast, &gif] {
            crate::io::check_output("the recording", std::path::Path::new(name), false)
                .map_err(|e| crate::error::one_line(&e))?;
        }
        let gif = GifFile::new(gif.into(), width, height)?;
        let cast = CastFile::new(cast.into(), width, height, "gradscope");
        Ok(Box::new(Recordings(vec![Box::new(cast), Box::new(gif)])) as Box<dyn Recording>)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_sequences_are_never_split_and_times_never_go_back() {
        let mut c = Cast::new(80, 24, 0, "t");
        let bytes = "a‖b".as_bytes();
        c.output(0.5, &bytes[..2]); // "a" and the first byte of ‖
        c.output(0.25, &bytes[2..]);
        c.mark(1.0, "end");
        let text = c.to_text();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with(r#"{"env":{"TERM":"xterm-256color"},"height":24,"timestamp":0,"title":"t","version":2,"width":80}"#), "{}", lines[0]);
        assert_eq!(lines[1], r#"[0.5,"o","a"]"#);
        assert_eq!(lines[2], r#"[0.5,"o","‖b"]"#);
        assert_eq!(lines[3], r#"[1.0,"m","end"]"#);
    }
}
