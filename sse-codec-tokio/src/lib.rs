//! Server-Sent Events for tokio: serve them from axum or hyper, follow them
//! from reqwest or any byte stream, exact to the WHATWG spec (the decoder and
//! encoder are [`sse_codec_core`]'s, re-exported here: one dependency is
//! enough).
//!
//! # Serving events (axum, feature `axum`)
//!
//! [`SseStream`] is the whole response: the right headers, the events
//! encoded (an event that cannot be encoded is skipped, never ends the
//! stream), keep-alive comments while idle.
//!
//! ```no_run
//! # #[cfg(all(feature = "axum", feature = "serde"))] mod example {
//! use std::time::Duration;
//!
//! use axum::{response::IntoResponse, routing::get, Router};
//! use futures_util::stream::{self, StreamExt};
//! use sse_codec_tokio::{Event, SseStream};
//!
//! async fn progress() -> impl IntoResponse {
//!     let events = stream::iter(0..=100).then(|percent| async move {
//!         tokio::time::sleep(Duration::from_millis(50)).await;
//!         Event::json(&serde_json::json!({ "percent": percent }))
//!     });
//!     SseStream::new(events).keep_alive(Duration::from_secs(15))
//! }
//!
//! #[tokio::main]
//! pub async fn main() -> std::io::Result<()> {
//!     let app = Router::new().route("/progress", get(progress));
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     axum::serve(listener, app).await
//! }
//! # }
//! # fn main() {
//! #     #[cfg(all(feature = "axum", feature = "serde"))]
//! #     example::main().unwrap();
//! # }
//! ```
//!
//! # Following a stream (reqwest, feature `reqwest`)
//!
//! `EventSource` is a complete client: `Accept` and `Cache-Control` on
//! every request, `Last-Event-ID` on reconnection, an idle timeout (never
//! a total one), 204 stops, errors carry the status and body; see
//! `eventsource`.
//!
//! ```no_run
//! # #[cfg(feature = "reqwest")] mod example {
//! use futures_util::StreamExt;
//! use sse_codec_tokio::{eventsource::Update, EventSource};
//!
//! #[tokio::main]
//! pub async fn main() {
//!     let mut events = EventSource::get("http://127.0.0.1:3000/progress");
//!     while let Some(item) = events.next().await {
//!         match item {
//!             Ok(Update::Event(event)) => println!("{} {}", event.event_type(), event.data()),
//!             Ok(_) => {}                         // opened, comment, retry, ended, 204
//!             Err(error) => eprintln!("{error}"), // retried unless error.is_fatal()
//!         }
//!     }
//! }
//! # }
//! # fn main() {
//! #     #[cfg(feature = "reqwest")]
//! #     example::main();
//! # }
//! ```
//!
//! # Following a stream (any HTTP client)
//!
//! [`reconnect`] keeps a stream alive across connections with any HTTP
//! library: it calls your connect function with the last event ID to send
//! as `Last-Event-ID`, waits the server's `retry` time, and stops on
//! whatever you call a stop (HTTP 204); see its documentation.
//!
//! # In the browser (`wasm32-unknown-unknown`)
//!
//! The browser's `EventSource` sends neither a body nor headers. Follow a
//! stream from `fetch` instead, with any method, headers and body: reqwest
//! on `wasm32` is `fetch`, and [`reconnect`] runs there without a tokio
//! runtime (it waits with `setTimeout`; the `reqwest` feature's
//! `EventSource` is for native targets). The same code compiles natively.
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use reqwest::{header, StatusCode};
//! use sse_codec_tokio::{reconnect, Connection, OwnedItem};
//!
//! // In a wasm app: wasm_bindgen_futures::spawn_local(follow("Hello".into()));
//! async fn follow(prompt: String) {
//!     let client = reqwest::Client::new();
//!     let body = serde_json::json!({ "prompt": prompt }).to_string();
//!     let mut events = reconnect(move |last_event_id: Option<String>| {
//!         let mut request = client
//!             .post("https://api.example.com/chat")
//!             .header(header::AUTHORIZATION, "Bearer <token>")
//!             .header(header::CONTENT_TYPE, "application/json")
//!             .body(body.clone());
//!         if let Some(id) = last_event_id {
//!             request = request.header("last-event-id", id);
//!         }
//!         async move {
//!             match request.send().await {
//!                 // 204 (done) and other 4xx are final, as in browsers.
//!                 Ok(response) if response.status() == StatusCode::NO_CONTENT => Connection::Stop,
//!                 Ok(response) if response.status().is_client_error() => Connection::Stop,
//!                 Ok(response) => match response.error_for_status() {
//!                     Ok(response) => Connection::Stream(Box::pin(response.bytes_stream())),
//!                     Err(error) => Connection::Retry(error), // 5xx
//!                 },
//!                 Err(error) => Connection::Retry(error), // network error
//!             }
//!         }
//!     });
//!     while let Some(item) = events.next().await {
//!         match item {
//!             Ok(OwnedItem::Event(event)) => show(event.event_type(), event.data()),
//!             Ok(_) => {}       // retry, comments
//!             Err(_error) => {} // a failed connection: reconnected after the delay
//!         }
//!     }
//! }
//! # fn show(_: &str, _: &str) {}
//! ```
//!
//! Without reqwest, [`EventStream`] takes the `Uint8Array` chunks of a
//! `web_sys::ReadableStream` (a `fetch` body) read through its reader, as
//! `Bytes` (the repository's `tests-wasm/src/lib.rs` has such an adapter,
//! `readable_stream_chunks`, which cancels the body when dropped). The
//! repository's `tests-wasm` crate runs both in headless Chromium.
//!
//! The `reqwest` feature does not build for `wasm32` (a compile error says
//! so): `EventSource` is native-only; use [`reconnect`] as above. Encoding
//! with [`SseStream`] works in the browser, but not its
//! [`keep_alive`](SseStream::keep_alive) nor [`KeepAlive`]: they use tokio's
//! timer, whose `Instant::now` panics there (`wasm32-unknown-unknown` has no
//! clock in `std`).
//!
//! # What is here
//!
//! - [`SseStream`]: a `Stream` of events ([`Event`], [`Frame`], [`Message`],
//!   or `Result`s of them) turned into encoded `Bytes`, with keep-alive and
//!   `retry`; an `axum` response with the feature; [`KeepAlive`] adds
//!   keep-alives to any stream of frames; [`RESPONSE_HEADERS`] for other
//!   servers.
//! - [`EventStream`]: events from any `Stream` of byte chunks (reqwest's
//!   `bytes_stream()`, hyper and `http-body` frames, axum bodies), zero-copy.
//! - `EventSource` (feature `reqwest`): a reconnecting client on reqwest.
//! - [`reconnect`]: events across reconnections, independent of the HTTP
//!   library, with [`Backoff`].
//! - [`SseCodec`]: a `tokio_util::codec` `Decoder` and `Encoder`, for
//!   `FramedRead`/`FramedWrite` over any `AsyncRead`/`AsyncWrite`.
//!
//! # Crate features
//!
//! - `axum`: [`SseStream`] implements `axum::response::IntoResponse` (axum 0.8).
//! - `serde`: `Event::json` and `Event::parse_json` (JSON data).
//! - `reqwest`: `EventSource` and the `eventsource` module, on reqwest 0.13
//!   with no TLS of its own (plain http, or the TLS your reqwest enables).
//! - `rustls`: HTTPS for `EventSource` through reqwest's own `rustls`
//!   feature (rustls on aws-lc-rs, no native TLS).
//! - `tracing`: a `WARN` event for each event [`SseStream`] skips, and one
//!   when `EventSource` sees `reqwest::ClientBuilder::timeout` kill a
//!   stream.

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
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

// reqwest on wasm32 is the browser's fetch: no redirect policy, no `Send`
// futures, which `EventSource` needs. Say so, instead of the errors inside
// (the module is left out there, so that this is the only error).
#[cfg(all(feature = "reqwest", target_arch = "wasm32"))]
compile_error!(
    "sse-codec-tokio: the `reqwest` feature (EventSource) is for native targets only; \
     in the browser (wasm32), leave it off and use `reconnect` with reqwest's fetch \
     as the crate docs' \"In the browser\" section shows"
);

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(feature = "axum")]
mod axum;
mod client;
mod codec;
#[cfg(all(feature = "reqwest", not(target_arch = "wasm32")))]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
pub mod eventsource;
mod server;
mod stream;

pub use client::{reconnect, Backoff, Connection, Reconnect, ReconnectError};
pub use codec::SseCodec;
#[cfg(all(feature = "reqwest", not(target_arch = "wasm32")))]
pub use eventsource::{EventSource, RequestBuilderExt};
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
