//! Reading the user's matrix for the mf lab: one 2-D numeric matrix from a `.npy` file
//! (float64, float32, int64 or int32) or a `.csv` file. Every failure names the file and the
//! problem.
//!
//! Hostile files cannot make it allocate: a file is read through a size cap, a `.npy`
//! header's shape claim is checked against the bytes the file holds (and against
//! [`MAX_ROWS`] × [`MAX_COLS`]) before the matrix is allocated, and a CSV stops at the cap.
//!
//! CSV: the separator is the most frequent of `,` `;` and tab on the first line that is not
//! blank or a `#` comment (comma on a tie); a first row with no number in it is a header;
//! any other field that is not a number is an error naming its line and column.

use ndarray::{Array2, ArrayD, Ix2};
use ndarray_npy::ReadNpyExt;
use ndarray_npy::npy::header::Header;
use std::io::Read;
use std::path::Path;

/// Most rows of X (the same bound as the `rows` parameter).
pub const MAX_ROWS: usize = 1000;
/// Most columns of X (the same bound as the `cols` parameter).
pub const MAX_COLS: usize = 1000;
/// Largest accepted |x|: sums of squares of MAX_ROWS·MAX_COLS such values stay far from
/// overflow (the SVD fails to converge from ~1e150 on).
pub const MAX_ABS: f64 = 1e100;
/// Largest `.csv` read: generous for a 1000×1000 matrix written at full precision (~25 MB).
pub const MAX_CSV_BYTES: u64 = 256 << 20;
/// Largest `.npy` read: a 1000×1000 float64 matrix and a generous header.
pub const MAX_NPY_BYTES: u64 = (MAX_ROWS * MAX_COLS * 8) as u64 + (1 << 20);
/// Deepest bracket nesting accepted in a `.npy` header (a plain one has 2): bounds the
/// header parser's recursion.
const MAX_HEADER_DEPTH: usize = 4;

fn cap() -> String {
    format!("the mf lab accepts at most {MAX_ROWS} rows and {MAX_COLS} columns")
}

/// Read a finite 2-D matrix with at least one row and column, within the caps above.
pub fn read_matrix(path: &str) -> Result<Array2<f64>, String> {
    let p = Path::new(path);
    let fail = |why: String| format!("input '{path}': {why}");
    if !p.exists() {
        return Err(fail("no such file".into()));
    }
    let ext = p
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let m = match ext.as_deref() {
        Some("npy") => parse_npy(&read_capped(p, MAX_NPY_BYTES).map_err(fail)?).map_err(fail)?,
        Some("csv") => parse_csv(&read_capped(p, MAX_CSV_BYTES).map_err(fail)?).map_err(fail)?,
        _ => return Err(fail("unsupported file type; accepted: .npy, .csv".into())),
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

/// The whole file, refusing more than `limit` bytes (a FIFO or device included).
fn read_capped(p: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let too_large = || format!("file is larger than {limit} bytes; {}", cap());
    let file = std::fs::File::open(p).map_err(|e| format!("cannot read ({e})"))?;
    if file.metadata().is_ok_and(|m| m.len() > limit) {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read ({e})"))?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
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
    if shape[0] > MAX_ROWS || shape[1] > MAX_COLS {
        return Err(format!("matrix is {}×{}; {}", shape[0], shape[1], cap()));
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

/// The separator: the most frequent of `,` `;` tab on the first line that is not blank or a
/// comment; comma on a tie.
fn separator(bytes: &[u8]) -> u8 {
    let line = bytes
        .split(|&b| b == b'\n')
        .find(|l| {
            let t = l.trim_ascii();
            !t.is_empty() && !t.starts_with(b"#")
        })
        .unwrap_or_default();
    let count = |c: u8| line.iter().filter(|&&b| b == c).count();
    let mut best = b',';
    for c in [b';', b'\t'] {
        if count(c) > count(best) {
            best = c;
        }
    }
    best
}

/// The line of a quote that is never closed, if any (the csv crate would read the rest of
/// the file as one field). Comment lines are skipped as the csv reader skips them.
fn unterminated_quote(bytes: &[u8]) -> Option<usize> {
    let (mut line, mut opened, mut inside, mut at_start, mut comment) = (1, 0, false, true, false);
    for &b in bytes {
        if at_start && !inside && b == b'#' {
            comment = true;
        }
        at_start = b == b'\n';
        if b == b'\n' {
            line += 1;
            comment = false;
        } else if b == b'"' && !comment {
            inside = !inside;
            if inside {
                opened = line;
            }
        }
    }
    inside.then_some(opened)
}

/// Parse a `.csv` file's bytes into a matrix (see the module docs). Stops at the caps, so
/// memory stays within the matrix the caps allow.
pub fn parse_csv(bytes: &[u8]) -> Result<Array2<f64>, String> {
    if let Some(line) = unterminated_quote(bytes) {
        return Err(format!("unterminated quote opened on line {line}"));
    }
    let sep = separator(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sep)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(bytes);
    let mut rows: Vec<f64> = Vec::new();
    let (mut nrows, mut ncols, mut first) = (0usize, 0usize, true);
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(format!("malformed CSV ({e})")),
        }
        if record.iter().all(str::is_empty) {
            continue;
        }
        let line = record.position().map_or(0, |p| p.line());
        let is_first = std::mem::replace(&mut first, false);
        let parsed: Vec<Option<f64>> = record.iter().map(|f| f.parse::<f64>().ok()).collect();
        // A header is a first row with no number in it.
        if is_first && parsed.iter().all(Option::is_none) {
            continue;
        }
        if let Some(j) = parsed.iter().position(Option::is_none) {
            let field = &record[j];
            let hint = match [b';', b'\t']
                .into_iter()
                .find(|&c| field.contains(c as char))
            {
                Some(c) if c != sep => {
                    format!(" (the separator is '{}', from the first line)", sep as char)
                }
                _ => String::new(),
            };
            return Err(format!(
                "'{}' at line {line}, column {} is not a number{hint}",
                field.escape_debug(),
                j + 1
            ));
        }
        if nrows == 0 {
            ncols = parsed.len();
            if ncols > MAX_COLS {
                return Err(format!("line {line} has {ncols} values; {}", cap()));
            }
        } else if parsed.len() != ncols {
            return Err(format!(
                "row {} has {} values, expected {ncols} (every row must have the same length)",
                nrows + 1,
                parsed.len(),
            ));
        }
        nrows += 1;
        if nrows > MAX_ROWS {
            return Err(format!("more than {MAX_ROWS} rows; {}", cap()));
        }
        rows.extend(parsed.into_iter().flatten());
    }
    Array2::from_shape_vec((nrows, ncols), rows).map_err(|e| e.to_string())
}

/// The cheap part of [`read_matrix`]'s checks: the file exists and has a type we read.
pub fn check_path(path: &str) -> Result<(), String> {
    let p = Path::new(path);
    if !p.is_file() {
        return Err(format!("input '{path}': no such file"));
    }
    match p
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("npy" | "csv") => Ok(()),
        _ => Err(format!(
            "input '{path}': unsupported file type; accepted: .npy, .csv"
        )),
    }
}

#[cfg(test)]
mod tests;
