//! What the queue tools print: bodies and records one line each, with nothing in them that could steer the
//! operator's terminal, and a closed pipe (`… | head`) ends the command quietly.

use crate::CliError;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{ErrorKind, Write};

/// Standard output, written a line at a time.
pub struct Lines(std::io::StdoutLock<'static>);

impl Lines {
    /// Standard output, locked for the command.
    pub fn stdout() -> Lines {
        Lines(std::io::stdout().lock())
    }

    /// Writes `text` as one [`terminal_safe`] line and flushes it: once this returns, the line has left the
    /// process (into the terminal, the file or the pipe's buffer). A reader that is gone is
    /// [`CliError::Closed`].
    pub fn line(&mut self, text: &str) -> Result<(), CliError> {
        writeln!(self.0, "{}", terminal_safe(text))
            .and_then(|()| self.0.flush())
            .map_err(|e| match e.kind() {
                ErrorKind::BrokenPipe => CliError::Closed,
                _ => CliError::io("writing to stdout")(e),
            })
    }
}

/// Tells the operator `text` on standard error, [`terminal_safe`]. When standard error is gone there is no one to
/// tell, and the command carries on.
pub fn note(text: &str) {
    let _ = writeln!(std::io::stderr(), "{}", terminal_safe(text));
}

/// `text` with each character that could steer a terminal, hide text or break the line written as a `\uXXXX`
/// escape: the C0 controls but tab, DEL, the C1 controls, the line and paragraph separators and the
/// bidirectional controls. Inside a JSON string the escape has the same value, and a JSON text holds such
/// characters nowhere else (a raw line break between tokens aside, which is written escaped too: one body, one
/// line).
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unsafe_for_terminal) {
        return Cow::Borrowed(text);
    }
    let mut safe = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_for_terminal(c) {
            // Writing to a String cannot fail.
            let _ = write!(safe, "\\u{:04x}", u32::from(c));
        } else {
            safe.push(c);
        }
    }
    Cow::Owned(safe)
}

fn unsafe_for_terminal(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_keep_json_values_and_steer_no_terminal() {
        // Raw C1, DEL, bidi and separator characters are valid inside a JSON string.
        let body = "{\"name\":\"red\u{9b}2J\u{7f}\u{202e}\u{2028}b\"}";
        let safe = terminal_safe(body);
        assert_eq!(safe, r#"{"name":"red\u009b2J\u007f\u202e\u2028b"}"#);
        let value = |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap();
        assert_eq!(value(&safe), value(body), "the same value");
        assert_eq!(
            terminal_safe("2026\u{1b}[2J\r\nfake\tok"),
            "2026\\u001b[2J\\u000d\\u000afake\tok"
        );
        assert!(matches!(terminal_safe("plain é"), Cow::Borrowed(_)));
    }
}
