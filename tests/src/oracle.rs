//! A naive reference decoder, written straight from the WHATWG HTML text
//! ("Parsing an event stream" and "Interpreting an event stream") plus this
//! project's documented limit rules.
//!
//! It is deliberately simple and non-incremental: it sees the whole input at
//! once, first splits it into lines, then interprets the lines one by one.
//! It exists so that the real decoder can be compared against something that
//! is obviously correct; speed does not matter here.
//!
//! The rules it implements:
//!
//! * One byte order mark (EF BB BF) at the very start is dropped; any other is content.
//! * A line ends at CRLF, at a lone CR, or at a lone LF. A last piece without
//!   a terminator is not a line: it is discarded at end of stream (unless it
//!   is too long, see below).
//! * An empty line dispatches; a line starting with `:` is a comment; otherwise
//!   the field name is everything before the first `:` and the value
//!   everything after it, minus exactly one leading U+0020 if present; a line
//!   without `:` is a field with the whole line as name and an empty value.
//! * `data`, `event`, `id` (ignored when the value contains NUL) and `retry`
//!   (only one or more ASCII digits that fit in a `u64`; anything else,
//!   including overflow, is ignored) are the only known, case-sensitive names.
//! * Every string is `String::from_utf8_lossy` of the raw bytes.
//!
//! Limits (this project's own rules):
//!
//! * A line (without its terminator) longer than `max_line_length` yields
//!   [`Output::LineTooLong`], is not interpreted, and abandons the current block.
//!   This holds for every such line, also while abandoning, and also for an
//!   unterminated last piece, unless the whole stream is a strict prefix of
//!   the BOM (`EF` or `EF BB`): those bytes may still become a BOM, so no
//!   decoder can judge them before the stream ends, and at its end an
//!   unterminated piece is discarded anyway.
//! * A `data` line that would make the data (values joined with LF) longer
//!   than `max_event_size` yields [`Output::EventTooLarge`] and abandons the block.
//! * Abandoning clears the data and event type buffers, reverts the last event
//!   ID buffer to the last event ID string, and ignores every following line
//!   (except for reporting too-long lines) up to and including the next empty
//!   line, which dispatches nothing.

use crate::{Options, Output};

/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Decodes a whole event stream, given at once, and returns everything a
/// decoder must report, in stream order.
pub fn decode(input: &[u8], opts: &Options) -> Vec<Output> {
    if input.len() < BOM.len() && BOM.starts_with(input) {
        return Vec::new();
    }
    let input = input.strip_prefix(BOM).unwrap_or(input);
    let mut state = State::default();
    for line in split_lines(input) {
        if line.bytes.len() > opts.max_line_length {
            state.out.push(Output::LineTooLong);
            state.abandon_block();
            continue;
        }
        if !line.terminated {
            // End of stream in the middle of a line: it is discarded.
            continue;
        }
        if state.abandoning {
            if line.bytes.is_empty() {
                state.abandoning = false;
            }
            continue;
        }
        state.process_line(line.bytes, opts);
    }
    // Whatever is left in the buffers (an event without its closing blank
    // line) is discarded.
    state.out
}

/// One line of the stream: its bytes without the terminator, and whether a
/// terminator (CRLF, CR or LF) ended it.
struct Line<'a> {
    bytes: &'a [u8],
    terminated: bool,
}

/// Splits the stream at CRLF, lone CR and lone LF. The last piece, if the
/// input does not end with a terminator, is returned as an unterminated line.
fn split_lines(input: &[u8]) -> Vec<Line<'_>> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'\n' => {
                lines.push(Line {
                    bytes: &input[start..i],
                    terminated: true,
                });
                i += 1;
                start = i;
            }
            b'\r' => {
                lines.push(Line {
                    bytes: &input[start..i],
                    terminated: true,
                });
                // CRLF is one line break; a lone CR is one too.
                if input.get(i + 1) == Some(&b'\n') {
                    i += 2;
                } else {
                    i += 1;
                }
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < input.len() {
        lines.push(Line {
            bytes: &input[start..],
            terminated: false,
        });
    }
    lines
}

/// The state of the stream while its lines are interpreted.
#[derive(Default)]
struct State {
    /// Everything reported so far.
    out: Vec<Output>,
    /// The data buffer: every data value followed by one LF.
    data: Vec<u8>,
    /// The event type buffer.
    event_type: Vec<u8>,
    /// The last event ID buffer (set by `id` lines).
    last_event_id_buffer: Vec<u8>,
    /// The last event ID string (set from the buffer at each empty line).
    last_event_id: Vec<u8>,
    /// True after a limit was hit, until the next empty line.
    abandoning: bool,
}

impl State {
    /// Interprets one complete line that is within the line length limit,
    /// while not abandoning.
    fn process_line(&mut self, line: &[u8], opts: &Options) {
        if line.is_empty() {
            self.dispatch();
            return;
        }
        if let Some(comment) = line.strip_prefix(b":") {
            if opts.comments {
                self.out.push(Output::Comment(lossy(comment)));
            }
            return;
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                let value = value.strip_prefix(b" ").unwrap_or(value);
                (&line[..colon], value)
            }
            None => (line, &b""[..]),
        };
        self.process_field(name, value, opts);
    }

    /// The spec's "process the field", plus the event size limit.
    fn process_field(&mut self, name: &[u8], value: &[u8], opts: &Options) {
        match name {
            b"data" => {
                // Size of the data once this value is added: all values
                // joined with LF, without a trailing LF.
                let size_so_far = if self.data.is_empty() {
                    0
                } else {
                    self.data.len() - 1
                };
                let separator = if self.data.is_empty() { 0 } else { 1 };
                let new_size = size_so_far + separator + value.len();
                if new_size > opts.max_event_size {
                    self.out.push(Output::EventTooLarge);
                    self.abandon_block();
                    return;
                }
                self.data.extend_from_slice(value);
                self.data.push(b'\n');
            }
            b"event" => self.event_type = value.to_vec(),
            // `id`: a value containing NUL makes the whole field ignored (it
            // falls through to the catch-all below).
            b"id" if !value.contains(&0) => self.last_event_id_buffer = value.to_vec(),
            // `retry`: only one or more ASCII digits; anything else falls
            // through to the catch-all below and is ignored.
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                // All ASCII digits, so this is valid UTF-8; parsing then only
                // fails on overflow, and an overflowing value is ignored.
                let digits = core::str::from_utf8(value).unwrap_or("");
                if let Ok(ms) = digits.parse::<u64>() {
                    self.out.push(Output::Retry(ms));
                }
            }
            // Unknown names (and the ignored `id` and `retry` values above).
            _ => {}
        }
    }

    /// The spec's "dispatch the event", on an empty line.
    fn dispatch(&mut self) {
        self.last_event_id = self.last_event_id_buffer.clone();
        if self.data.is_empty() {
            self.event_type.clear();
            return;
        }
        if self.data.last() == Some(&b'\n') {
            self.data.pop();
        }
        let ty = if self.event_type.is_empty() {
            "message".to_owned()
        } else {
            lossy(&self.event_type)
        };
        self.out.push(Output::Event {
            ty,
            data: lossy(&self.data),
            id: lossy(&self.last_event_id),
        });
        self.data.clear();
        self.event_type.clear();
    }

    /// Drops the current block after a limit was hit: its data, its event
    /// type and any id it set; the following lines up to and including the
    /// next empty line are ignored.
    fn abandon_block(&mut self) {
        self.data.clear();
        self.event_type.clear();
        self.last_event_id_buffer = self.last_event_id.clone();
        self.abandoning = true;
    }
}

/// The bytes as a string, invalid UTF-8 replaced with U+FFFD.
fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
