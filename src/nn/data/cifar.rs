//! The CIFAR-10 binary format (<https://www.cs.toronto.edu/~kriz/cifar.html>, the
//! "binary version" `cifar-10-binary.tar.gz`): files of 3073-byte records, each one label
//! byte (0–9) then 3072 pixel bytes — the 1024 red values of the 32×32 image row by row,
//! then the green, then the blue. `data_batch_1.bin` … `data_batch_5.bin` are the training
//! split (10,000 records each), `test_batch.bin` the test split.
//!
//! Any whole number of records up to the official 10,000 is accepted (tests write small
//! files in the real format); a missing file, a larger one, a size that is not a whole
//! number of records (a truncated download), an empty file or a label above 9 is a
//! [`UsageError`] naming the file and what is wrong. Files are checked by size before
//! reading and then streamed record by record, so memory holds only the images themselves
//! (at most 6 × 30 MB).

use super::{CLASSES, PIXELS};
use crate::error::UsageError;
use std::path::{Path, PathBuf};

/// Bytes of one record: the label and the pixels.
pub const RECORD: usize = 1 + PIXELS;
/// Records in each file of the official release.
pub const RECORDS_PER_FILE: usize = 10_000;
/// The training files, in order.
pub const TRAIN_FILES: [&str; 5] = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
];
/// The test file (the validation split).
pub const TEST_FILE: &str = "test_batch.bin";
/// The largest file read: the official size (10,000 records, 30,730,000 bytes).
pub const MAX_FILE_BYTES: u64 = (RECORDS_PER_FILE * RECORD) as u64;

fn fail(path: &Path, why: impl std::fmt::Display) -> UsageError {
    UsageError(format!("CIFAR-10 file '{}': {why}", path.display()))
}

/// What is wrong with a file of `size` bytes, if anything (checked before reading).
fn check_size(path: &Path, size: u64) -> Result<usize, UsageError> {
    if size == 0 {
        return Err(fail(path, "it is empty"));
    }
    if size > MAX_FILE_BYTES {
        return Err(fail(
            path,
            format!(
                "{size} bytes is larger than a CIFAR-10 batch file ({MAX_FILE_BYTES} bytes, \
                 {RECORDS_PER_FILE} records)"
            ),
        ));
    }
    if !size.is_multiple_of(RECORD as u64) {
        return Err(fail(
            path,
            format!(
                "{size} bytes is not a whole number of {RECORD}-byte records (1 label byte + \
                 3072 pixel bytes); truncated? The official files are {} bytes",
                RECORDS_PER_FILE * RECORD
            ),
        ));
    }
    Ok((size / RECORD as u64) as usize)
}

/// The paths of the files the reader needs in `dir`, each checked to exist with a whole
/// number of records (from its size alone, without reading it): cheap, for validation.
pub fn check_dir(dir: &Path) -> Result<Vec<PathBuf>, UsageError> {
    if !dir.is_dir() {
        return Err(UsageError(format!(
            "CIFAR-10 directory '{}' does not exist or is not a directory (it should hold \
             data_batch_1.bin … data_batch_5.bin and test_batch.bin from cifar-10-binary.tar.gz)",
            dir.display()
        )));
    }
    let mut paths = Vec::new();
    for name in TRAIN_FILES.iter().chain([&TEST_FILE]) {
        let path = dir.join(name);
        let meta = std::fs::metadata(&path).map_err(|e| fail(&path, e))?;
        if !meta.is_file() {
            return Err(fail(&path, "it is not a regular file"));
        }
        check_size(&path, meta.len())?;
        paths.push(path);
    }
    Ok(paths)
}

/// Labels and pixels of one file, appended to `pixels` and `labels`.
pub fn read_file(
    path: &Path,
    pixels: &mut Vec<u8>,
    labels: &mut Vec<u8>,
) -> Result<usize, UsageError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| fail(path, e))?;
    let meta = file.metadata().map_err(|e| fail(path, e))?;
    if !meta.is_file() {
        return Err(fail(path, "it is not a regular file"));
    }
    let records = check_size(path, meta.len())?;
    pixels.reserve(records * PIXELS);
    labels.reserve(records);
    // Never more than the size checked: a file that grows meanwhile is read no further.
    let mut reader = std::io::BufReader::new(file.take(meta.len()));
    let mut rec = [0u8; RECORD];
    for k in 0..records {
        reader.read_exact(&mut rec).map_err(|e| {
            fail(
                path,
                format!("record {k} could not be read ({e}): did the file shrink?"),
            )
        })?;
        let label = rec[0];
        if usize::from(label) >= CLASSES {
            return Err(fail(
                path,
                format!("record {k} has label {label}; CIFAR-10 labels are 0–9"),
            ));
        }
        labels.push(label);
        pixels.extend_from_slice(&rec[1..]);
    }
    Ok(records)
}

/// The training split: the five data batches, in order.
pub fn read_train(dir: &Path) -> Result<(Vec<u8>, Vec<u8>), UsageError> {
    check_dir(dir)?;
    let (mut pixels, mut labels) = (Vec::new(), Vec::new());
    for name in TRAIN_FILES {
        read_file(&dir.join(name), &mut pixels, &mut labels)?;
    }
    Ok((pixels, labels))
}

/// The test split.
pub fn read_test(dir: &Path) -> Result<(Vec<u8>, Vec<u8>), UsageError> {
    let (mut pixels, mut labels) = (Vec::new(), Vec::new());
    read_file(&dir.join(TEST_FILE), &mut pixels, &mut labels)?;
    Ok((pixels, labels))
}
