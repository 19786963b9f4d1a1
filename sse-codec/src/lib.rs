//! An exact, incremental, zero-copy decoder and an injection-proof encoder
//! for Server-Sent Events (`text/event-stream`), that work without an
//! allocator.
//!
//! The decoder follows the WHATWG HTML Living Standard, "Server-sent events",
//! sections "Parsing an event stream" and "Interpreting an event stream", to
//! the letter: one byte order mark dropped at the start, CRLF, CR and LF line
//! ends (also when a CR and its LF arrive in different chunks), `data`,
//! `event`, `id` and `retry` fields, comments, the last event ID, and the
//! dispatch rules. The same bytes split into chunks in any way decode to the
//! same items, in time linear in their length.
//!
//! # Decoding
//!
//! ```
//! use sse_codec_core::{Builder, OwnedItem};
//!
//! let mut decoder = Builder::new().comments(true).build();
//! let stream: &[&[u8]] = &[
//!     b"\xEF\xBB\xBF: welcome\r\nretry: 3000\r\n",
//!     b"event: token\r\nid: 41\r\ndata: {\"text\":",
//!     b"\"Hel\"}\r\n\r\ndata: line 1\ndata: line 2\n\n",
//! ];
//! let mut seen = Vec::new();
//! for chunk in stream {
//!     for item in decoder.feed(chunk) {
//!         seen.push(item.expect("no limit is exceeded here"));
//!     }
//! }
//! assert_eq!(seen, [
//!     OwnedItem::Comment(" welcome".into()),
//!     OwnedItem::Retry(3000),
//!     OwnedItem::Event(sse_codec_core::Event::new(r#"{"text":"Hel"}"#).with_event_type("token").with_id("41")),
//!     OwnedItem::Event(sse_codec_core::Event::new("line 1\nline 2").with_id("41")),
//! ]);
//! assert_eq!(decoder.last_event_id(), "41");
//! assert_eq!(decoder.reconnection_time(), Some(3000));
//! ```
//!
//! # Encoding
//!
//! ```
//! use sse_codec_core::{EventRef, EncodeError, KEEP_ALIVE};
//!
//! let mut out = Vec::new();
//! EventRef::new("line 1\r\nline 2").with_event_type("update").with_id("42").encode_to_vec(&mut out)?;
//! out.extend_from_slice(KEEP_ALIVE.as_bytes());
//! assert_eq!(out, b"event: update\nid: 42\ndata: line 1\ndata: line 2\n\n:\n");
//!
//! // What cannot be represented is refused, never written.
//! let evil = EventRef::new("x").with_event_type("a\ndata: injected");
//! assert_eq!(evil.encode_to_vec(&mut out), Err(EncodeError::LineBreakInEventType));
//!
//! // Without an allocator: size first, then write into any slice.
//! let event = EventRef::new("hi");
//! let mut buf = [0u8; 16];
//! let n = event.encode_to_slice(&mut buf)?;
//! assert_eq!(n, event.encoded_len()?);
//! assert_eq!(&buf[..n], b"data: hi\n\n");
//! # Ok::<(), EncodeError>(())
//! ```
//!
//! Every event the encoder accepts decodes to exactly that event, whatever
//! the chunking: data is split into one `data:` line per line (at CRLF, CR
//! and LF alike), so no value can inject a field. [`StreamEncoder`] writes an
//! ID only when it changes; [`Frame`] holds an event encoded once for many
//! subscribers; [`RESPONSE_HEADERS`] are the headers to send.
//!
//! # Layers
//!
//! - [`LineParser`]: bytes to [`Line`]s (fields, comments, empty lines). No
//!   allocation, no buffer: the caller keeps the unconsumed input.
//! - [`RawDecoder`]: lines to [`Item`]s (events, reconnection times,
//!   comments), applying the interpretation rules. Its data, event type and
//!   ID buffers are any [`Buffer`]: caller memory ([`SliceBuffer`]) without an
//!   allocator, `Vec<u8>` with one.
//! - [`Decoder`] (`alloc`): fed chunks, keeps partial lines itself, yields
//!   owned [`Event`]s (one allocation per event) or borrowed items
//!   ([`Feed::next_item`], no allocation).
//! - [`BytesDecoder`] (`bytes`): the same over `bytes::Bytes`, with event
//!   values sliced from the input instead of copied; chunks can also be
//!   [pushed](BytesDecoder::push) and items [pulled](BytesDecoder::next_item)
//!   one at a time, as a `Stream` adapter does.
//!
//! # Limits
//!
//! Every buffer is bounded: lines by [`Builder::max_line_length`] and event
//! data by [`Builder::max_event_size`] (16 MiB each by default). Exceeding
//! one gives an [`Error`] naming the limit; the offending event is dropped,
//! input is skipped up to the next empty line, and decoding goes on. No input
//! makes the decoder panic.
//!
//! # Crate features
//!
//! - `std` (default): implies `alloc`; runtime CPU feature detection in
//!   `memchr`.
//! - `alloc`: [`Decoder`], [`Event`], [`OwnedItem`], [`StreamEncoder`],
//!   encoding into `Vec<u8>` and `String`.
//! - `bytes`: [`BytesDecoder`], zero-copy events over `bytes::Bytes`;
//!   [`EventRef::encode_to_buf`] into any `BufMut`; [`Frame`], an event
//!   encoded once and shared.
//! - `serde`: `Event::json`, event data from any `serde::Serialize` value,
//!   and `Event::parse_json`, data read into any `serde::Deserialize` type.
//! - `arbitrary`: `arbitrary::Arbitrary` for [`EventRef`] and [`Event`], for
//!   fuzzing (implies `std`).
//!
//! Without any feature the crate is `no_std` and needs no allocator.
#![no_std]
#![deny(missing_docs)]
#![deny(unsafe_code)]
#![warn(clippy::std_instead_of_core, clippy::alloc_instead_of_core)]
// No input may panic: every index, length sum, unwrap and expect in the
// library is either fallible or allowed where it stands, with the reason
// the input cannot reach a panic.
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
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod buffer;
mod decoder;
pub mod encoder;
mod error;
#[cfg(feature = "alloc")]
mod event;
#[cfg(feature = "alloc")]
mod feed;
mod parser;
mod server;
mod utf8;

pub use buffer::{Buffer, BufferFull, SliceBuffer};
pub use decoder::{Buffers, Builder, Item, RawDecoder, RawEvent};
#[cfg(feature = "bytes")]
pub use encoder::encode_comment_to_buf;
pub use encoder::{
    encode_comment_to_slice, encoded_comment_len, EncodeError, EventRef, KEEP_ALIVE,
};
#[cfg(feature = "alloc")]
pub use encoder::{encode_comment_to_string, encode_comment_to_vec};
pub use error::Error;
#[cfg(feature = "alloc")]
pub use event::{Event, OwnedItem};
#[cfg(feature = "bytes")]
pub use feed::{BytesDecoder, BytesFeed};
#[cfg(feature = "alloc")]
pub use feed::{Decoder, Feed};
pub use parser::{Line, LineParser, Parsed};
#[cfg(feature = "bytes")]
pub use server::Frame;
#[cfg(feature = "alloc")]
pub use server::StreamEncoder;
pub use server::{CONTENT_TYPE, RESPONSE_HEADERS};
