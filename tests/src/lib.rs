//! Shared helpers for the cross-crate tests: the observable output of a decode
//! ([`Output`]), a naive decoder written straight from the WHATWG text
//! ([`oracle`]), and adapters that drive every public decoding API of
//! `sse-codec` over a given chunking ([`adapter`]).

pub mod adapter;
pub mod fuzz_checks;
pub mod oracle;

/// One observable thing a decoder produces, in stream order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Output {
    /// A dispatched event: its type (`message` when the event type buffer was
    /// empty), its data, and the last event ID string at dispatch.
    Event {
        /// The event type.
        ty: String,
        /// The data, lines joined with LF, one trailing LF removed.
        data: String,
        /// The last event ID string at the moment of dispatch.
        id: String,
    },
    /// A valid `retry` line was read: the new reconnection time in milliseconds.
    Retry(u64),
    /// A comment line (text after the colon, nothing stripped); only when comments are asked for.
    Comment(String),
    /// A line longer than `Options::max_line_length`.
    LineTooLong,
    /// A data buffer that would grow beyond `Options::max_event_size`.
    EventTooLarge,
}

/// What the decoder under test is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Report comments as [`Output::Comment`].
    pub comments: bool,
    /// Maximum line length in bytes, excluding the line terminator.
    pub max_line_length: usize,
    /// Maximum data size in bytes (lines joined with LF, trailing LF removed).
    pub max_event_size: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            comments: false,
            max_line_length: usize::MAX,
            max_event_size: usize::MAX,
        }
    }
}

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
