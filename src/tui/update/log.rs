//! Messages: the status bar's line, and the log that keeps the last [`LOG_LEN`] of them in
//! full with their time (the `M` overlay), including the config file's problems at startup.

use crate::tui::app::{App, LOG_LEN, LogEntry, Message, Overlay};

/// Show a message in the status bar, and keep it in the log.
fn tell(app: &mut App, text: String, error: bool) {
    if app.log.len() >= LOG_LEN {
        app.log.pop_front();
    }
    app.log.push_back(LogEntry {
        at: app.now,
        text: text.clone(),
        error,
    });
    app.message = Some(Message { text, error });
}

pub(in crate::tui) fn say(app: &mut App, text: impl Into<String>) {
    tell(app, text.into(), false);
}

pub(in crate::tui) fn complain(app: &mut App, text: impl Into<String>) {
    tell(app, text.into(), true);
}

/// The event loop's clock: seconds since the TUI started (messages are logged with it).
pub fn set_time(app: &mut App, secs: f64) {
    app.now = secs;
}

/// The config file could not be used: every problem goes in the log, which opens over the
/// first frame, and the status bar says so until something else is said.
pub fn config_problems(app: &mut App, file: &str, problems: &[String]) {
    if problems.is_empty() {
        return;
    }
    let count = match problems.len() {
        1 => "1 problem".to_string(),
        n => format!("{n} problems"),
    };
    let mut text = format!("config '{file}' was not used (the built-in defaults are): {count}");
    for p in problems {
        text.push_str("\n  • ");
        text.push_str(p);
    }
    complain(app, text);
    app.message = Some(Message {
        text: format!("config '{file}': {count}, built-in defaults used · M lists them"),
        error: true,
    });
    app.scroll = 0;
    app.overlay = Some(Overlay::Log);
}
