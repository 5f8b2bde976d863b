//! The streaming `.csv` reader of the mf lab. It reads the file in chunks and counts values
//! as it goes: memory is the values kept (at most the value cap) plus one field (at most
//! [`MAX_FIELD`] bytes), whatever the file's size or shape — a one-line file of a billion
//! values is refused after the cap's worth of values, without being read to its end.
//!
//! The separator is the most frequent of `,` `;` and tab on the first line that is not blank
//! or a `#` comment, within the first [`SNIFF`] bytes (comma on a tie); lines starting with
//! `#` are comments; a quote opens a quoted field only as a field's first byte (`""` inside
//! is a quote); fields are trimmed; a first row with no number in it is a header; a row of
//! empty fields is skipped; any other field that is not a number is an error naming its
//! line and column.

use ndarray::Array2;
use std::io::{ErrorKind, Read};

/// The longest field accepted, in bytes (a float64 at full precision takes about 25).
pub const MAX_FIELD: usize = 1024;
/// The bytes looked at to choose the separator.
pub const SNIFF: usize = 64 << 10;

/// Parse a whole `.csv` file held in memory (see [`read_csv`]), with the lab's value cap.
pub fn parse_csv(bytes: &[u8]) -> Result<Array2<f64>, String> {
    read_csv(bytes, super::MAX_VALUES)
}

/// Read a `.csv` matrix from `reader`, refusing more than `max_values` numbers as soon as
/// one more arrives (nothing after it is read).
pub fn read_csv(mut reader: impl Read, max_values: usize) -> Result<Array2<f64>, String> {
    let mut head = Vec::new();
    (&mut reader)
        .take(SNIFF as u64)
        .read_to_end(&mut head)
        .map_err(|e| format!("cannot read ({e})"))?;
    // A UTF-8 byte-order mark, as spreadsheets write it, is not part of the first field.
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
    let mut p = Parser::new(separator(body), max_values);
    p.feed(body)?;
    let mut buf = vec![0u8; SNIFF];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => p.feed(&buf[..n])?,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("cannot read ({e})")),
        }
    }
    p.finish()
}

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

#[derive(Clone, Copy, PartialEq)]
enum State {
    /// Before the first byte of a line's record.
    RecordStart,
    /// In a `#` line.
    Comment,
    /// Before the first byte of a field.
    FieldStart,
    Unquoted,
    Quoted,
    /// A quote inside a quoted field: a closing one, or the first of `""`.
    QuoteInQuoted,
}

struct Parser {
    sep: u8,
    max_values: usize,
    state: State,
    /// The line being read (1-based), where the record started, where a quote opened.
    line: usize,
    record_line: usize,
    quote_line: usize,
    field: Vec<u8>,
    /// Fields so far in this record, and whether one of them is not empty.
    col: usize,
    nonempty: bool,
    numbers: usize,
    /// The first field of this record that is not a number: (column, text, the first `;`
    /// or tab in it).
    bad: Option<(usize, String, Option<u8>)>,
    /// Whether no record with content has been read yet (it may be a header).
    first: bool,
    values: Vec<f64>,
    nrows: usize,
    ncols: usize,
}

impl Parser {
    fn new(sep: u8, max_values: usize) -> Self {
        Parser {
            sep,
            max_values,
            state: State::RecordStart,
            line: 1,
            record_line: 1,
            quote_line: 1,
            field: Vec::new(),
            col: 0,
            nonempty: false,
            numbers: 0,
            bad: None,
            first: true,
            values: Vec::new(),
            nrows: 0,
            ncols: 0,
        }
    }

    fn feed(&mut self, bytes: &[u8]) -> Result<(), String> {
        bytes.iter().try_for_each(|&b| self.byte(b))
    }

    fn byte(&mut self, b: u8) -> Result<(), String> {
        match self.state {
            State::Comment => {
                if b == b'\n' {
                    self.line += 1;
                    self.state = State::RecordStart;
                }
                Ok(())
            }
            State::Quoted => {
                if b == b'"' {
                    self.state = State::QuoteInQuoted;
                    return Ok(());
                }
                if b == b'\n' {
                    self.line += 1;
                }
                self.push(b)
            }
            State::QuoteInQuoted if b == b'"' => {
                self.state = State::Quoted;
                self.push(b)
            }
            State::RecordStart if b == b'#' => {
                self.state = State::Comment;
                Ok(())
            }
            State::RecordStart | State::FieldStart if b == b'"' => {
                self.start_record();
                self.quote_line = self.line;
                self.state = State::Quoted;
                Ok(())
            }
            _ => {
                self.start_record();
                self.unquoted(b)
            }
        }
    }

    fn start_record(&mut self) {
        if self.state == State::RecordStart {
            self.record_line = self.line;
        }
    }

    fn unquoted(&mut self, b: u8) -> Result<(), String> {
        if b == self.sep {
            self.state = State::FieldStart;
            self.end_field()
        } else if b == b'\n' || b == b'\r' {
            self.end_field()?;
            self.end_record()?;
            if b == b'\n' {
                self.line += 1;
            }
            self.state = State::RecordStart;
            Ok(())
        } else {
            self.state = State::Unquoted;
            self.push(b)
        }
    }

    fn push(&mut self, b: u8) -> Result<(), String> {
        if self.field.len() >= MAX_FIELD {
            return Err(format!(
                "the field at line {}, column {} is longer than {MAX_FIELD} bytes",
                self.line,
                self.col + 1
            ));
        }
        self.field.push(b);
        Ok(())
    }

    fn end_field(&mut self) -> Result<(), String> {
        self.col += 1;
        let text = self.field.trim_ascii();
        let number = std::str::from_utf8(text)
            .ok()
            .and_then(|s| s.parse::<f64>().ok());
        match number {
            Some(v) => {
                self.nonempty = true;
                if self.values.len() >= self.max_values {
                    return Err(format!(
                        "more than {} values; {}",
                        crate::fmt::thousands(self.max_values),
                        super::cap()
                    ));
                }
                self.values.push(v);
                self.numbers += 1;
            }
            None => {
                self.nonempty |= !text.is_empty();
                if self.bad.is_none() {
                    let shown = String::from_utf8_lossy(text).escape_debug().to_string();
                    let other = text.iter().copied().find(|&c| c == b';' || c == b'\t');
                    self.bad = Some((self.col, shown, other));
                }
                // A field that is not a number in data: no need to read further.
                if !text.is_empty() && (!self.first || self.numbers > 0) {
                    return Err(self.not_a_number());
                }
            }
        }
        self.field.clear();
        Ok(())
    }

    fn not_a_number(&self) -> String {
        let (j, field, other) = self.bad.clone().unwrap_or_default();
        let hint = match other {
            Some(c) if c != self.sep => format!(
                " (the separator is '{}', from the first line)",
                self.sep as char
            ),
            _ => String::new(),
        };
        format!(
            "'{field}' at line {}, column {j} is not a number{hint}",
            self.record_line
        )
    }

    fn end_record(&mut self) -> Result<(), String> {
        let (cols, nonempty, numbers) = (self.col, self.nonempty, self.numbers);
        let is_first = self.first && nonempty;
        let bad = self.bad.is_some();
        let result = if !nonempty || (is_first && numbers == 0) {
            // A blank row, or the header.
            Ok(())
        } else if bad {
            Err(self.not_a_number())
        } else if self.nrows > 0 && cols != self.ncols {
            Err(format!(
                "row {} has {cols} values, expected {} (every row must have the same length)",
                self.nrows + 1,
                self.ncols
            ))
        } else {
            if self.nrows == 0 {
                self.ncols = cols;
            }
            self.nrows += 1;
            Ok(())
        };
        self.first &= !nonempty;
        self.col = 0;
        self.nonempty = false;
        self.numbers = 0;
        self.bad = None;
        result
    }

    fn finish(mut self) -> Result<Array2<f64>, String> {
        match self.state {
            State::Quoted => {
                return Err(format!(
                    "unterminated quote opened on line {}",
                    self.quote_line
                ));
            }
            State::RecordStart | State::Comment => {}
            _ => {
                self.end_field()?;
                self.end_record()?;
            }
        }
        Array2::from_shape_vec((self.nrows, self.ncols), self.values).map_err(|e| e.to_string())
    }
}
