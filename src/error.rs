//! Error kinds that decide the process exit code.
//!
//! A [`UsageError`] is the user's mistake (unknown lab, bad parameter, unreadable or malformed
//! file): exit code 2 with a one-line message. Anything else wrapped in `anyhow::Error` is a
//! runtime failure: exit code 1.

use std::fmt;

/// Bad usage or bad input: reported as one line, exit code 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl UsageError {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Return early with a [`UsageError`] built from a format string.
macro_rules! usage_bail {
    ($($arg:tt)*) => {
        return Err($crate::error::UsageError::new(format!($($arg)*)).into())
    };
}
pub(crate) use usage_bail;

/// The exit code for an error: 2 when any cause in the chain is a [`UsageError`], else 1.
pub fn exit_code(err: &anyhow::Error) -> i32 {
    if err.chain().any(|cause| cause.is::<UsageError>()) {
        2
    } else {
        1
    }
}

/// The error as one line: the causes joined with ": ", newlines folded.
pub fn one_line(err: &anyhow::Error) -> String {
    let joined = err
        .chain()
        .map(|cause| cause.to_string())
        .collect::<Vec<_>>()
        .join(": ");
    joined.split_whitespace().collect::<Vec<_>>().join(" ")
}
