//! Files and terminals: writing output files without clobbering anything, the stdout-or-`--out`
//! plumbing of every command, the check that an output is not an input, and a progress line
//! on stderr when it is a terminal. A leaf module: it uses nothing of the app but the error
//! kinds.
//!
//! Exit codes of writes (see [`crate::error`]): what is known before writing (the directory
//! does not exist, the path is a directory, permission denied) is a [`UsageError`] (exit 2);
//! an I/O error while writing (a full disk) is a runtime failure (exit 1), on `--out` and
//! stdout alike.

use crate::error::UsageError;
use anyhow::{Context, Result, anyhow};
use std::fs::{self, Metadata, OpenOptions, Permissions};
use std::io::{ErrorKind, IsTerminal, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Paths that name this process's stdout: written through fd 1 as a shell does, so an
/// append (`>>`) or a pipe behind them keeps working.
const STDOUT_ALIASES: [&str; 3] = ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"];

/// Symlink hops followed before giving up (Linux's own limit).
const MAX_SYMLINKS: usize = 40;

/// How an output path is written, decided before writing.
enum Destination {
    Stdout,
    /// A regular file, reached through any symlinks: replaced atomically (temporary file in
    /// its directory + rename), keeping the old file's mode; `None` when it is new.
    Replace(PathBuf, Option<Metadata>),
    /// Anything else (character device, FIFO, socket, a `/proc` fd link): written in place,
    /// since replacing it would destroy it and its reader would never see the data.
    Direct(PathBuf, bool),
}

fn cannot(path: &Path, why: impl std::fmt::Display) -> anyhow::Error {
    UsageError(format!("cannot write '{}': {why}", path.display())).into()
}

fn failed(path: &Path, e: std::io::Error) -> anyhow::Error {
    anyhow!("writing '{}' failed: {e}", path.display())
}

/// Follow `path` through symlinks to what it finally names (which may not exist yet);
/// also says whether the chain went through `/proc` (fd links, not real paths).
fn resolve(path: &Path) -> std::io::Result<(PathBuf, bool)> {
    let (mut p, mut via_proc) = (path.to_path_buf(), false);
    for _ in 0..MAX_SYMLINKS {
        via_proc |= p.starts_with("/proc");
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = fs::read_link(&p)?;
                p = p.parent().unwrap_or(Path::new("")).join(link);
            }
            Ok(_) => return Ok((p, via_proc)),
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok((p, via_proc)),
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

fn target(path: &Path) -> Result<Destination> {
    if STDOUT_ALIASES.iter().any(|a| path == Path::new(a)) {
        return Ok(Destination::Stdout);
    }
    match fs::metadata(path) {
        Ok(m) if m.is_dir() => Err(cannot(path, "it is a directory")),
        Ok(m) if m.is_file() => {
            let (real, via_proc) = resolve(path).map_err(|e| cannot(path, e))?;
            // Probe (no truncation) that we may write it, as a shell's `>` would require.
            OpenOptions::new()
                .write(true)
                .open(&real)
                .map_err(|e| cannot(path, e))?;
            Ok(if via_proc {
                Destination::Direct(path.to_path_buf(), true)
            } else {
                Destination::Replace(real, Some(m))
            })
        }
        Ok(_) => Ok(Destination::Direct(path.to_path_buf(), false)),
        // New (or a dangling symlink: create what it points to, as a shell does).
        Err(e) if e.kind() == ErrorKind::NotFound => {
            let (real, _) = resolve(path).map_err(|e| cannot(path, e))?;
            Ok(Destination::Replace(real, None))
        }
        Err(e) => Err(cannot(path, e)),
    }
}

/// Write `bytes` to `path` without losing anything the user had: a regular file (also through
/// symlinks, whose target is replaced) is replaced atomically, so a reader never sees half a
/// file and a failure leaves the old one intact; a new file gets the mode a shell redirect
/// gives (0666 & !umask), a replaced one keeps its own. Devices and FIFOs are written in
/// place; `/dev/stdout` goes to stdout.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    match target(path)? {
        Destination::Stdout => write_stdout(bytes),
        Destination::Direct(p, truncate) => {
            let mut f = OpenOptions::new()
                .write(true)
                .truncate(truncate)
                .open(&p)
                .map_err(|e| cannot(path, e))?;
            match f.write_all(bytes).and_then(|()| f.flush()) {
                // A FIFO whose reader left early is no failure, as with `| head`.
                Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
                other => other.map_err(|e| failed(path, e)),
            }
        }
        Destination::Replace(real, old) => replace(path, &real, old.as_ref(), bytes),
    }
}

fn replace(path: &Path, real: &Path, old: Option<&Metadata>, bytes: &[u8]) -> Result<()> {
    let dir = match real.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    sweep_stale_temps(dir);
    // 0666 at creation, so the process umask applies exactly as for `cmd > file`. The
    // temporary name carries our pid, so a file left by a killed process can be found and
    // removed (by the next write into the directory). Errors name the user's path, never
    // the temporary one.
    let tmp = tempfile::Builder::new()
        .prefix(&temp_prefix())
        .permissions(Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(|e| cannot(path, std::io::Error::from(e.kind())))?;
    if let Some(m) = old {
        // Keep owner (best effort: only root may give a file away) and mode.
        let _ = std::os::unix::fs::fchown(tmp.as_file(), Some(m.uid()), Some(m.gid()));
        tmp.as_file()
            .set_permissions(m.permissions())
            .map_err(|e| failed(path, e))?;
    }
    let mut file = tmp.as_file();
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| failed(path, e))?;
    tmp.persist(real).map_err(|e| failed(path, e.error))?;
    Ok(())
}

/// The start of every temporary file's name: `.gradscope-<pid>-`.
fn temp_prefix() -> String {
    format!("{TEMP_PREFIX}{}-", std::process::id())
}

const TEMP_PREFIX: &str = ".gradscope-";

/// Remove the temporary files that processes no longer alive left in `dir` (a write killed
/// between creating its temporary file and renaming it). Only files named by
/// `temp_prefix` whose pid has no `/proc` entry are touched.
pub fn sweep_stale_temps(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let own = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(TEMP_PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let alive = Path::new(&format!("/proc/{pid}")).exists();
        if pid != own && !alive && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Check, before any work, that `path` can be written as output `flag`: its directory exists
/// and is writable (probed by creating and removing a temporary file there), and it is not a
/// directory. Devices and FIFOs pass (they are written in place) unless `regular_only`.
pub fn check_output(flag: &str, path: &Path, regular_only: bool) -> Result<()> {
    let bad = |why: String| -> anyhow::Error {
        UsageError(format!(
            "{flag} '{}': {why}",
            crate::fmt::clip_text(&path.display().to_string(), 80)
        ))
        .into()
    };
    if STDOUT_ALIASES.iter().any(|a| path == Path::new(a)) {
        return if regular_only {
            Err(bad("is standard output, not a file".into()))
        } else {
            Ok(())
        };
    }
    match fs::metadata(path) {
        Ok(m) if m.is_dir() => return Err(bad("is a directory".into())),
        Ok(m) if !m.is_file() => {
            return if regular_only {
                Err(bad(format!("is {}, not a regular file", kind_of(&m))))
            } else {
                Ok(())
            };
        }
        // An existing file must be writable, as a shell's `>` requires (probed, not truncated).
        Ok(_) => {
            OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| bad(std::io::Error::from(e.kind()).to_string()))?;
        }
        Err(_) => {}
    }
    let (real, _) = resolve(path).map_err(|e| bad(e.to_string()))?;
    let dir = match real.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(bad(format!(
            "the directory '{}' does not exist",
            crate::fmt::clip_text(&dir.display().to_string(), 80)
        )));
    }
    tempfile::Builder::new()
        .prefix(&temp_prefix())
        .tempfile_in(&dir)
        .map(drop)
        .map_err(|e| {
            bad(format!(
                "cannot write in '{}': {}",
                crate::fmt::clip_text(&dir.display().to_string(), 80),
                std::io::Error::from(e.kind())
            ))
        })
}

/// What kind of file a non-regular path is, for messages.
pub fn kind_of(m: &Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = m.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "a regular file"
    }
}

/// Whether two paths name the same file: the same path after symlinks, or (both existing)
/// the same device and inode.
pub fn same_file(a: &Path, b: &Path) -> bool {
    if let (Ok(x), Ok(y)) = (fs::metadata(a), fs::metadata(b))
        && (x.dev(), x.ino()) == (y.dev(), y.ino())
    {
        return true;
    }
    let canon = |p: &Path| -> Option<PathBuf> {
        let (real, _) = resolve(p).ok()?;
        let dir = real.parent().filter(|d| !d.as_os_str().is_empty())?;
        Some(fs::canonicalize(dir).ok()?.join(real.file_name()?))
    };
    match (canon(a), canon(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// Check a command's outputs before any work: each writable ([`check_output`]), none one of
/// the command's `inputs`, no two the same file. `outputs` pairs each path with its flag,
/// which the error names.
pub fn check_outputs(outputs: &[(&str, &Path, bool)], inputs: &[&Path]) -> Result<()> {
    for (i, (flag, out, regular_only)) in outputs.iter().enumerate() {
        check_output(flag, out, *regular_only)?;
        let is_stream = STDOUT_ALIASES.iter().any(|a| *out == Path::new(a))
            || fs::metadata(out).is_ok_and(|m| !m.is_file());
        if is_stream {
            continue;
        }
        for input in inputs {
            if same_file(out, input) {
                crate::error::usage_bail!(
                    "{flag} '{}' is the input file '{}'; writing it would destroy the input, \
                     choose another output path",
                    crate::fmt::clip_text(&out.display().to_string(), 80),
                    crate::fmt::clip_text(&input.display().to_string(), 80)
                );
            }
        }
        for (other_flag, other, _) in &outputs[..i] {
            if same_file(out, other) {
                crate::error::usage_bail!(
                    "{flag} and {other_flag} are the same file '{}'; one would overwrite the \
                     other",
                    crate::fmt::clip_text(&out.display().to_string(), 80)
                );
            }
        }
    }
    Ok(())
}

fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        // A closed pipe (`| head`) is not an error.
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing to stdout failed"),
    }
}

/// Send output to `--out` (see [`write_atomic`]) or to stdout.
pub fn emit(out: Option<&Path>, bytes: &[u8]) -> Result<()> {
    match out {
        Some(path) => write_atomic(path, bytes),
        None => write_stdout(bytes),
    }
}

/// A progress line on stderr, only when stderr is a terminal; throttled to ~5 updates/s.
pub struct ProgressLine {
    enabled: bool,
    label: String,
    last: std::time::Instant,
    shown: bool,
}

impl ProgressLine {
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

/// A progress bar with the rate and an ETA on stderr, only when stderr is a terminal;
/// throttled to ~5 updates/s: `train [████████····] 123/400 31% 10.5 steps/s ETA 26s …`.
pub struct ProgressBar {
    enabled: bool,
    label: String,
    start: std::time::Instant,
    /// The count at the start (a resumed run's first step), for the rate.
    first: u64,
    last: Option<std::time::Instant>,
}

impl ProgressBar {
    /// A bar counting from `first`.
    pub fn new(label: &str, first: u64) -> Self {
        Self {
            enabled: std::io::stderr().is_terminal(),
            label: label.to_string(),
            start: std::time::Instant::now(),
            first,
            last: None,
        }
    }

    /// `done` of `total`, with `extra` (a loss, say) after the ETA.
    pub fn update(&mut self, done: u64, total: u64, extra: &str) {
        if !self.enabled || self.last.is_some_and(|t| t.elapsed().as_millis() < 200) {
            return;
        }
        self.last = Some(std::time::Instant::now());
        eprint!("\r{}\x1b[K", self.line(done, total, extra));
    }

    fn line(&self, done: u64, total: u64, extra: &str) -> String {
        const W: usize = 20;
        let frac = if total == 0 {
            1.0
        } else {
            (done as f64 / total as f64).clamp(0.0, 1.0)
        };
        let filled = (frac * W as f64).round() as usize;
        let secs = self.start.elapsed().as_secs_f64();
        let rate = done.saturating_sub(self.first) as f64 / secs.max(1e-9);
        let eta = if rate > 0.0 && secs > 0.5 {
            crate::fmt::eta(total.saturating_sub(done) as f64 / rate)
        } else {
            "---".into()
        };
        format!(
            "{} [{}{}] {done}/{total} {:.0}% {rate:.1} steps/s ETA {eta} {extra}",
            self.label,
            "█".repeat(filled),
            "·".repeat(W - filled),
            100.0 * frac,
        )
    }

    pub fn finish(&mut self) {
        if self.enabled && self.last.is_some() {
            eprint!("\r\x1b[K");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn symlink_target_is_replaced_keeping_its_mode_and_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        let link = dir.path().join("link.json");
        fs::write(&real, "old").unwrap();
        fs::set_permissions(&real, Permissions::from_mode(0o600)).unwrap();
        std::os::unix::fs::symlink("real.json", &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&real).unwrap(), b"new");
        assert_eq!(mode(&real), 0o600);
        // Only the two names are left: no temporary file.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn dangling_symlink_creates_its_target() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(dir.path().join("new.json"), &link).unwrap();
        write_atomic(&link, b"x").unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(dir.path().join("new.json")).unwrap(), b"x");
    }

    #[test]
    fn known_problems_are_usage_errors_and_write_failures_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let code = |r: Result<()>| crate::error::exit_code(&r.unwrap_err());
        assert_eq!(code(write_atomic(dir.path(), b"x")), 2);
        assert_eq!(code(write_atomic(&dir.path().join("no/x"), b"x")), 2);
        assert_eq!(code(write_atomic(Path::new("/dev/full"), b"x")), 1);
    }

    #[test]
    fn output_equal_to_an_input_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("x.csv");
        fs::write(&input, "1,2\n").unwrap();
        let hard = dir.path().join("hard.csv");
        fs::hard_link(&input, &hard).unwrap();
        let sym = dir.path().join("sym.csv");
        std::os::unix::fs::symlink(&input, &sym).unwrap();
        let check =
            |out: &Path| check_outputs(&[("--out", out, false)], &[Path::new("other"), &input]);
        for out in [&input, &hard, &sym] {
            let err = check(out).unwrap_err();
            assert_eq!(crate::error::exit_code(&err), 2);
            assert!(err.to_string().contains("is the input file"), "{err}");
        }
        check(&dir.path().join("new.json")).unwrap();
        let other = dir.path().join("other.json");
        fs::write(&other, "").unwrap();
        check(&other).unwrap();
    }

    #[test]
    fn outputs_are_checked_before_the_work() {
        let dir = tempfile::tempdir().unwrap();
        let code = |r: Result<()>| crate::error::exit_code(&r.unwrap_err());
        let missing = dir.path().join("no/such/dir/x.json");
        let err = check_output("--out", &missing, false).unwrap_err();
        assert!(err.to_string().starts_with("--out '"), "{err}");
        assert!(err.to_string().contains("does not exist"), "{err}");
        assert_eq!(code(check_output("--plot", dir.path(), false)), 2);
        // Two outputs naming one file.
        let a = dir.path().join("a.json");
        let err = check_outputs(&[("--out", &a, false), ("--plot", &a, false)], &[]).unwrap_err();
        assert!(
            err.to_string()
                .contains("--plot and --out are the same file"),
            "{err}"
        );
        // A device passes as an output unless a regular file is needed (a checkpoint).
        check_output("--out", Path::new("/dev/null"), false).unwrap();
        let err = check_output("--save", Path::new("/dev/null"), true).unwrap_err();
        assert!(err.to_string().contains("a device"), "{err}");
        // A read-only directory (root may write anywhere: then nothing to check).
        let ro = dir.path().join("ro");
        fs::create_dir(&ro).unwrap();
        fs::set_permissions(&ro, Permissions::from_mode(0o555)).unwrap();
        if fs::write(ro.join("probe"), b"").is_err() {
            assert_eq!(code(check_output("--out", &ro.join("x"), false)), 2);
        }
    }

    #[test]
    fn temporary_files_of_dead_processes_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        // pid 4194305 is above Linux's pid_max: never alive.
        let stale = dir.path().join(".gradscope-4194305-abc123");
        let mine = dir
            .path()
            .join(format!(".gradscope-{}-abc123", std::process::id()));
        let other = dir.path().join(".gradscope-notapid");
        for p in [&stale, &mine, &other] {
            fs::write(p, b"x").unwrap();
        }
        write_atomic(&dir.path().join("out.json"), b"{}").unwrap();
        assert!(
            !stale.exists(),
            "a dead process's temporary file is removed"
        );
        assert!(mine.exists() && other.exists(), "others are left alone");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 3, "no temporary file is left: {names:?}");
    }
}
