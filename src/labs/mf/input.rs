//! Reading the user's matrix for the mf lab: one 2-D numeric matrix from a `.npy` file
//! (float64, float32, int64 or int32) or a `.csv` file. Every failure names the file and the
//! problem.
//!
//! Inputs are bounded by memory and work, not by a number of rows: at most [`MAX_VALUES`]
//! values (m·n); the lab bounds the work of a step (m·n·r). Hostile files cannot make it
//! allocate beyond that: only regular files are opened (a directory, FIFO, device or symlink
//! loop is named as such, and a FIFO is never opened, so it cannot block), a `.npy` header's
//! shape claim is checked against the bytes the file holds and the value cap before the
//! matrix is allocated, and the `.csv` reader streams, counting values, and stops at the cap.

mod csv;

pub use csv::{parse_csv, read_csv};

use ndarray::{Array2, ArrayD, Ix2};
use ndarray_npy::ReadNpyExt;
use ndarray_npy::npy::header::Header;
use std::io::{ErrorKind, Read};
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

/// Most values (m·n) of X: 32 MB as float64. scikit-learn's digits (1797×64) holds 115,008.
pub const MAX_VALUES: usize = 4_000_000;
/// Largest accepted |x|: sums of squares of MAX_VALUES such values stay far from overflow
/// (the SVD fails to converge from ~1e150 on).
pub const MAX_ABS: f64 = 1e100;
/// Largest `.csv` read: every value written at full precision with room to spare.
pub const MAX_CSV_BYTES: u64 = 256 << 20;
/// Largest `.npy` read: MAX_VALUES float64 values and a generous header.
pub const MAX_NPY_BYTES: u64 = (MAX_VALUES * 8) as u64 + (1 << 20);
/// Deepest bracket nesting accepted in a `.npy` header (a plain one has 2): bounds the
/// header parser's recursion.
const MAX_HEADER_DEPTH: usize = 4;

fn cap() -> String {
    format!(
        "the mf lab accepts at most {} values (rows·columns)",
        crate::fmt::thousands(MAX_VALUES)
    )
}

/// Read a finite 2-D matrix with at least one row and column, within the caps above.
pub fn read_matrix(path: &str) -> Result<Array2<f64>, String> {
    let fail = |why: String| format!("input '{path}': {why}");
    let (p, kind) = checked(path).map_err(fail)?;
    let m = match kind {
        FileKind::Npy => parse_npy(&read_capped(p, MAX_NPY_BYTES).map_err(fail)?).map_err(fail)?,
        FileKind::Csv => {
            let file = open(p, MAX_CSV_BYTES).map_err(fail)?;
            let too_large = format!("file is larger than {MAX_CSV_BYTES} bytes; {}", cap());
            let mut limited = file.take(MAX_CSV_BYTES + 1);
            let m = read_csv(&mut limited, MAX_VALUES).map_err(fail)?;
            if limited.limit() == 0 {
                return Err(fail(too_large));
            }
            m
        }
    };
    if m.nrows() == 0 || m.ncols() == 0 {
        return Err(fail(format!(
            "the matrix is empty ({}×{})",
            m.nrows(),
            m.ncols()
        )));
    }
    if let Some(((i, j), x)) = m.indexed_iter().find(|(_, x)| !x.is_finite()) {
        return Err(fail(format!(
            "non-finite value {x} at row {}, column {}",
            i + 1,
            j + 1
        )));
    }
    if let Some(((i, j), x)) = m.indexed_iter().find(|(_, x)| x.abs() > MAX_ABS) {
        return Err(fail(format!(
            "value {x:e} at row {}, column {} is too large; accepted: magnitudes up to {MAX_ABS:e}",
            i + 1,
            j + 1
        )));
    }
    Ok(m)
}

/// The file types read.
#[derive(Clone, Copy)]
enum FileKind {
    Npy,
    Csv,
}

/// The path is a regular file (after symlinks) with a type we read; otherwise what it is.
/// Only `stat`s: never opens, so a FIFO cannot block it.
fn checked(path: &str) -> Result<(&Path, FileKind), String> {
    let p = Path::new(path);
    let accepted = "accepted: a regular .npy or .csv file";
    match std::fs::metadata(p) {
        Ok(m) if m.is_file() => {}
        Ok(m) => {
            let t = m.file_type();
            let what = if t.is_dir() {
                "is a directory"
            } else if t.is_fifo() {
                "is a FIFO (named pipe)"
            } else if t.is_char_device() || t.is_block_device() {
                "is a device"
            } else if t.is_socket() {
                "is a socket"
            } else {
                "is not a regular file"
            };
            return Err(format!("{what}; {accepted}"));
        }
        Err(e) => return Err(missing(p, &e)),
    }
    match p
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("npy") => Ok((p, FileKind::Npy)),
        Some("csv") => Ok((p, FileKind::Csv)),
        _ => Err("unsupported file type; accepted: .npy, .csv".into()),
    }
}

/// Why `stat` failed, in words.
fn missing(p: &Path, e: &std::io::Error) -> String {
    /// ELOOP on Linux: too many levels of symbolic links.
    const ELOOP: i32 = 40;
    match e.kind() {
        ErrorKind::NotFound if p.symlink_metadata().is_ok() => {
            "is a dangling symlink (its target does not exist)".into()
        }
        ErrorKind::NotFound => "no such file".into(),
        ErrorKind::NotADirectory => "no such file (a part of the path is not a directory)".into(),
        ErrorKind::PermissionDenied => "permission denied".into(),
        _ if e.raw_os_error() == Some(ELOOP) => {
            "is a symlink loop (too many levels of symbolic links)".into()
        }
        _ => format!("cannot read ({e})"),
    }
}

/// Open a regular file of at most `limit` bytes.
fn open(p: &Path, limit: u64) -> Result<std::fs::File, String> {
    let file = std::fs::File::open(p).map_err(|e| format!("cannot read ({e})"))?;
    match file.metadata() {
        Ok(m) if !m.is_file() => Err("is not a regular file".into()),
        Ok(m) if m.len() > limit => Err(format!("file is larger than {limit} bytes; {}", cap())),
        _ => Ok(file),
    }
}

/// The whole file, refusing more than `limit` bytes.
fn read_capped(p: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let file = open(p, limit)?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read ({e})"))?;
    if bytes.len() as u64 > limit {
        return Err(format!("file is larger than {limit} bytes; {}", cap()));
    }
    Ok(bytes)
}

fn to_2d(a: ArrayD<f64>) -> Result<Array2<f64>, String> {
    let ndim = a.ndim();
    let shape = a.shape().to_vec();
    a.into_dimensionality::<Ix2>()
        .map_err(|_| format!("expected a 2-D matrix, found {ndim}-D with shape {shape:?}"))
}

/// The header's length field and where the header text starts, checked against the file.
fn header_end(bytes: &[u8]) -> Result<usize, String> {
    const MAGIC: &[u8] = b"\x93NUMPY";
    if !bytes.starts_with(MAGIC) || bytes.len() < 10 {
        return Err("not a readable .npy matrix (no .npy magic string)".into());
    }
    let (len, start): (usize, usize) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => {
            let len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
            (len as usize, 12)
        }
        v => return Err(format!("not a readable .npy matrix (version {v})")),
    };
    let end = start
        .checked_add(len)
        .filter(|&e| e <= bytes.len())
        .ok_or("not a readable .npy matrix (header longer than the file)")?;
    let mut depth = 0usize;
    for &b in &bytes[start..end] {
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > MAX_HEADER_DEPTH {
            return Err("not a readable .npy matrix (header nested too deeply)".into());
        }
    }
    Ok(end)
}

/// Parse a `.npy` file's bytes into a matrix. The shape claim is checked against the data
/// the file holds and the caps before anything is allocated for it, so the result never
/// has more elements than `bytes.len() / element size`.
pub fn parse_npy(bytes: &[u8]) -> Result<Array2<f64>, String> {
    let end = header_end(bytes)?;
    let header = Header::from_reader(&mut &bytes[..end])
        .map_err(|e| format!("not a readable .npy matrix ({e})"))?;
    let Some(descr) = header.type_descriptor.as_string().cloned() else {
        let other = &header.type_descriptor;
        return Err(format!("unsupported .npy element type {other}; {ACCEPTED}"));
    };
    let size = match descr.trim_start_matches(['<', '>', '=', '|']) {
        "f8" | "i8" => 8,
        "f4" | "i4" => 4,
        _ => {
            return Err(format!(
                "unsupported .npy element type '{descr}'; {ACCEPTED}"
            ));
        }
    };
    let shape = &header.shape;
    if shape.len() != 2 {
        let n = shape.len();
        return Err(format!(
            "expected a 2-D matrix, found {n}-D with shape {shape:?}"
        ));
    }
    if shape[0] == 0 || shape[1] == 0 {
        // Checked first: ndarray-npy panics on an empty shape whose other side overflows.
        return Err(format!("the matrix is empty: shape {shape:?}"));
    }
    let data = bytes.len() - end;
    let claimed = shape[0]
        .checked_mul(shape[1])
        .and_then(|n| n.checked_mul(size));
    if claimed != Some(data) {
        let what = claimed.map_or("more than 2^64".to_string(), |c| c.to_string());
        return Err(format!(
            "header claims shape {shape:?} of '{descr}' ({what} bytes of data) but the file \
             holds {data} bytes"
        ));
    }
    if shape[0] * shape[1] > MAX_VALUES {
        return Err(format!(
            "matrix is {}×{} = {} values; {}",
            shape[0],
            shape[1],
            crate::fmt::thousands(shape[0] * shape[1]),
            cap()
        ));
    }
    let read = |e: ndarray_npy::ReadNpyError| format!("not a readable .npy matrix ({e})");
    let a = match descr.trim_start_matches(['<', '>', '=', '|']) {
        "f8" => ArrayD::<f64>::read_npy(bytes).map_err(read)?,
        "f4" => ArrayD::<f32>::read_npy(bytes)
            .map_err(read)?
            .mapv(f64::from),
        "i8" => ArrayD::<i64>::read_npy(bytes)
            .map_err(read)?
            .mapv(|x| x as f64),
        _ => ArrayD::<i32>::read_npy(bytes)
            .map_err(read)?
            .mapv(f64::from),
    };
    to_2d(a)
}

const ACCEPTED: &str = "accepted: float64, float32, int64, int32";

/// The cheap part of [`read_matrix`]'s checks (no file is opened): the path is a regular
/// file with a type we read.
pub fn check_path(path: &str) -> Result<(), String> {
    checked(path)
        .map(|_| ())
        .map_err(|e| format!("input '{path}': {e}"))
}

#[cfg(test)]
mod tests;
