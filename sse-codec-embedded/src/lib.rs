//! Server-Sent Events read from [`embedded_io::Read`] and
//! [`embedded_io_async::Read`](https://docs.rs/embedded-io-async) sources
//! (what Embassy's TCP sockets implement), with no allocator.
//!
//! [`SseReader`] (blocking) and [`AsyncSseReader`] (feature `async`) read
//! from the source into an input buffer you provide and decode it with
//! [`sse_codec_core`]'s [`RawDecoder`](sse_codec_core::RawDecoder), whose
//! data, event type and ID buffers you provide too: the memory they use is
//! exactly what you hand them, and every item is borrowed from it. The
//! decoding is the core's, exact to the WHATWG spec whatever the read sizes.
//!
//! # Example
//!
//! ```
//! use sse_codec_embedded::{Item, Memory, SseReader};
//!
//! // Any `embedded_io::Read`: a TCP socket, a UART, here a byte slice.
//! let socket: &[u8] = b"retry: 2000\nevent: temp\nid: 1\ndata: 21.5\n\ndata: bye\n\n";
//!
//! // 256 bytes of input, 1 KiB of event data, 32 bytes per event type and ID.
//! let mut memory = Memory::<256, 1024, 32>::new();
//! let mut reader = SseReader::new(socket, &mut memory);
//!
//! let mut seen = 0;
//! while let Some(item) = reader.next()? {
//!     match item {
//!         Item::Event(event) => {
//!             seen += 1;
//!             if event.event_type() == b"temp" {
//!                 assert_eq!(event.data(), b"21.5");
//!                 assert_eq!(event.id(), b"1");
//!             }
//!         }
//!         Item::Retry(ms) => assert_eq!(ms, 2000),
//!         Item::Comment(_) => {} // reported only when asked for with the builder
//!     }
//! }
//! // `None`: the source ended (read returned 0 bytes).
//! assert_eq!(seen, 2);
//! assert_eq!(reader.last_event_id(), b"1");
//! # Ok::<(), sse_codec_embedded::Error<core::convert::Infallible>>(())
//! ```
//!
//! With Embassy (feature `async`), the same over a TCP socket: see
//! [`AsyncSseReader`].
//!
//! # Memory
//!
//! A reader needs its input buffer, the data buffer (the largest event's
//! data), and three small buffers for the event type, the pending ID and
//! the last event ID ([`Memory`] holds all five), plus a few words of state.
//! The input buffer bounds the line length: a line longer than the input
//! buffer's capacity minus one byte is reported as
//! [`Error::Decode`]`(`[`LineTooLong`](sse_codec_core::Error::LineTooLong)`)`,
//! and its event dropped; event data larger than the data buffer is reported
//! as [`BufferFull`](sse_codec_core::Error::BufferFull). Decoding goes on
//! after either. No input makes a reader panic or use more memory.
//!
//! # Crate features
//!
//! - `async`: [`AsyncSseReader`], over [`embedded_io_async::Read`](https://docs.rs/embedded-io-async).
//!
//! Without it the crate depends on `embedded-io` and the core only.
// No input may panic: every index, length sum, unwrap and expect in the
// library is either fallible or allowed where it stands, with the reason.
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]
#![no_std]
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(all(doctest, feature = "async"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(feature = "async")]
mod asynch;
mod blocking;
mod state;

#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use asynch::AsyncSseReader;
pub use blocking::SseReader;
pub use sse_codec_core::{Buffer, Buffers, Builder, Item, RawEvent, SliceBuffer};

use core::fmt;

/// Why a reader returned no item.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error<E> {
    /// The source failed. The reader is unchanged: calling `next` again
    /// reads again.
    Read(E),
    /// A limit was exceeded: a line longer than the input buffer (or the
    /// builder's maximum line length), or a value larger than its buffer.
    /// The event being assembled is dropped, input is skipped up to the
    /// next empty line, and the next call goes on with the rest of the
    /// stream.
    Decode(sse_codec_core::Error),
    /// The input buffer is too small to hold what must be kept of the
    /// input: possible only with fewer than 3 bytes of input buffer (the
    /// start of a byte order mark fills it). Nothing can be read: every
    /// later call returns this error too.
    InputFull {
        /// The input buffer's capacity in bytes.
        capacity: usize,
    },
}

impl<E: fmt::Debug> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Read(error) => write!(f, "read error: {error:?}"),
            Error::Decode(error) => fmt::Display::fmt(error, f),
            Error::InputFull { capacity } => {
                write!(f, "the input buffer of {capacity} bytes is too small")
            }
        }
    }
}

impl<E: fmt::Debug> core::error::Error for Error<E> {}

impl<E: embedded_io::Error> embedded_io::Error for Error<E> {
    fn kind(&self) -> embedded_io::ErrorKind {
        match self {
            Error::Read(error) => error.kind(),
            Error::Decode(_) => embedded_io::ErrorKind::InvalidData,
            Error::InputFull { .. } => embedded_io::ErrorKind::OutOfMemory,
        }
    }
}

/// The memory a reader needs, in one value that can live on the stack or in
/// a `static`: `INPUT` bytes of input buffer (which bounds the line length),
/// `DATA` bytes of data buffer (which bounds an event's data), and `FIELD`
/// bytes for each of the event type, the pending ID and the last event ID.
/// In all, `INPUT + DATA + 3 * FIELD` bytes.
///
/// ```
/// use sse_codec_embedded::Memory;
///
/// assert_eq!(size_of::<Memory<512, 2048, 64>>(), 512 + 2048 + 3 * 64);
/// // In a static, with no allocator (`static_cell` hands out the `&mut`).
/// static MEMORY: std::sync::Mutex<Memory<512, 2048, 64>> = std::sync::Mutex::new(Memory::new());
/// ```
#[derive(Debug)]
pub struct Memory<const INPUT: usize, const DATA: usize, const FIELD: usize> {
    input: [u8; INPUT],
    data: [u8; DATA],
    event_type: [u8; FIELD],
    id_buffer: [u8; FIELD],
    last_event_id: [u8; FIELD],
}

impl<const INPUT: usize, const DATA: usize, const FIELD: usize> Default
    for Memory<INPUT, DATA, FIELD>
{
    fn default() -> Self {
        Memory::new()
    }
}

impl<const INPUT: usize, const DATA: usize, const FIELD: usize> Memory<INPUT, DATA, FIELD> {
    /// Zeroed memory (a `const fn`, so that it can initialise a `static`).
    pub const fn new() -> Self {
        Memory {
            input: [0; INPUT],
            data: [0; DATA],
            event_type: [0; FIELD],
            id_buffer: [0; FIELD],
            last_event_id: [0; FIELD],
        }
    }

    /// The input buffer and the decoder's buffers, for
    /// [`SseReader::from_parts`] and [`AsyncSseReader::from_parts`].
    pub fn split(&mut self) -> (&mut [u8], Buffers<SliceBuffer<'_>>) {
        (
            &mut self.input,
            Buffers {
                data: SliceBuffer::new(&mut self.data),
                event_type: SliceBuffer::new(&mut self.event_type),
                id_buffer: SliceBuffer::new(&mut self.id_buffer),
                last_event_id: SliceBuffer::new(&mut self.last_event_id),
            },
        )
    }
}
