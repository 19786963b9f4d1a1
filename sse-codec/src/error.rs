//! The decoder's error type.

use core::fmt;

/// A limit was exceeded while decoding.
///
/// Every error is recoverable: the decoder drops the event being assembled,
/// skips input up to and including the next empty line, and carries on. Events
/// before and after the offending one are unaffected.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Error {
    /// A line was longer than the maximum line length (`limit` bytes,
    /// excluding its line end).
    LineTooLong {
        /// The maximum line length in force.
        limit: usize,
    },
    /// The data of an event grew beyond the maximum event size (`limit` bytes
    /// of data, lines joined with LF).
    EventTooLarge {
        /// The maximum event size in force.
        limit: usize,
    },
    /// A fixed-capacity [`Buffer`](crate::Buffer) supplied by the caller could
    /// not hold a value.
    BufferFull {
        /// Which buffer: `"data"`, `"event type"` or `"last event ID"`.
        buffer: &'static str,
    },
    /// Unread input grew past its budget (`budget` bytes: 256 KiB, or the
    /// maximum line length if larger) because the caller fed or pushed more
    /// than it read. The decoder decoded that input into its state (last
    /// event ID, reconnection time, the event being assembled) and dropped
    /// the items it completed; see `Decoder::feed`, "Unread input".
    UnreadInputDropped {
        /// The budget in force, in bytes.
        budget: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::LineTooLong { limit } => write!(
                f,
                "line longer than the maximum line length of {limit} bytes; event dropped"
            ),
            Error::EventTooLarge { limit } => write!(
                f,
                "event data larger than the maximum event size of {limit} bytes; event dropped"
            ),
            Error::BufferFull { buffer } => {
                write!(f, "the {buffer} buffer is full; event dropped")
            }
            Error::UnreadInputDropped { budget } => write!(
                f,
                "more than {budget} bytes of input were fed but not read; \
                 the events they completed were dropped"
            ),
        }
    }
}

impl core::error::Error for Error {}
