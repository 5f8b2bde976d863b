//! Files and terminals: atomic writes, the stdout-or-`--out` plumbing of every command, and
//! a progress line on stderr when it is a terminal. A leaf module: it uses nothing of the
//! app but the error kinds.

use crate::error::UsageError;
use anyhow::{Context, Result};
use std::io::{IsTerminal, Write};
use std::path::Path;

/// Write bytes to `path` atomically: a temporary file in the same directory, flushed and
/// renamed over the target, so a reader never sees half a file and a failure leaves the old
/// file intact.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let cannot =
        |e: &dyn std::fmt::Display| UsageError(format!("cannot write '{}': {e}", path.display()));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| cannot(&e))?;
    tmp.write_all(bytes).map_err(|e| cannot(&e))?;
    tmp.as_file().sync_all().map_err(|e| cannot(&e))?;
    tmp.persist(path).map_err(|e| cannot(&e.error))?;
    Ok(())
}

/// Send output to `--out` (atomically) or to stdout. A closed stdout pipe (`| head`) is not
/// an error.
pub fn emit(out: Option<&Path>, bytes: &[u8]) -> Result<()> {
    match out {
        Some(path) => write_atomic(path, bytes),
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.context("writing to stdout"),
            }
        }
    }
}

/// A progress line on stderr, only when stderr is a terminal; throttled to ~5 updates/s.
pub struct Progress {
    enabled: bool,
    label: String,
    last: std::time::Instant,
    shown: bool,
}

impl Progress {
    pub fn new(label: &str) -> Self {
        Self {
            enabled: std::io::stderr().is_terminal(),
            label: label.to_string(),
            last: std::time::Instant::now(),
            shown: false,
        }
    }

    pub fn update(&mut self, done: u64, total: u64) {
        if !self.enabled || self.last.elapsed().as_millis() < 200 {
            return;
        }
        self.last = std::time::Instant::now();
        self.shown = true;
        eprint!("\r{}: {done}/{total}\x1b[K", self.label);
    }

    pub fn finish(&mut self) {
        if self.shown {
            eprint!("\r\x1b[K");
        }
    }
}
