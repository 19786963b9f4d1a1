//! Tokio adapters for [`sse_codec_core`]: everything a tokio server or client
//! needs around the core decoder and encoder.
//!
//! - [`SseCodec`]: a `tokio_util::codec` `Decoder` and `Encoder`, for
//!   `FramedRead`/`FramedWrite` over any `AsyncRead`/`AsyncWrite`.
//! - [`EventStream`]: events from any `Stream` of byte chunks (reqwest's
//!   `bytes_stream()`, hyper and `http-body` frames, axum bodies).
//! - Servers: [`SseStream`] turns a `Stream` of events into encoded `Bytes`
//!   (for `axum::body::Body::from_stream`, hyper, or any sink), with an
//!   optional keep-alive comment after an idle interval; [`KeepAlive`] does
//!   the keep-alive alone; [`RESPONSE_HEADERS`] are the headers to send.
//! - Clients: [`reconnect`] yields events across reconnections, waiting the
//!   server's `retry` time and sending the last event ID each time,
//!   independent of the HTTP library.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

#[cfg(feature = "axum")]
mod axum;
mod client;
mod codec;
mod server;
mod stream;

pub use client::{reconnect, Backoff, Connection, Reconnect, ReconnectError};
pub use codec::SseCodec;
pub use server::{IntoMessage, KeepAlive, Message, SseStream};
/// The core crate, for anything not re-exported below (its `Error` is
/// re-exported as [`LimitError`] to keep it apart from this crate's [`Error`]).
pub use sse_codec_core;
/// A decoding limit was exceeded (the core's [`sse_codec_core::Error`]).
pub use sse_codec_core::Error as LimitError;
pub use sse_codec_core::{
    encode_comment_to_buf, encode_comment_to_string, encode_comment_to_vec, Builder, BytesDecoder,
    BytesFeed, Decoder, EncodeError, Event, EventRef, Feed, Frame, Item, OwnedItem, RawEvent,
    StreamEncoder, CONTENT_TYPE, KEEP_ALIVE, RESPONSE_HEADERS,
};
pub use stream::{EventStream, EventStreamError};

use std::fmt;
use std::io;

/// An error writing an event with [`SseCodec`]'s `Encoder`.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The event cannot be represented (see [`sse_codec_core::EncodeError`]).
    Encode(sse_codec_core::EncodeError),
    /// Writing failed.
    Io(io::Error),
}

impl From<io::Error> for Error {
    fn from(error: io::Error) -> Self {
        Error::Io(error)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Encode(error) => error.fmt(f),
            Error::Io(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Encode(error) => Some(error),
            Error::Io(error) => Some(error),
        }
    }
}
