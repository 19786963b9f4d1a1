//! What the browser tests and the benchmark share (wasm32 only, empty
//! elsewhere; the tests are in `tests/`, the server in `src/bin/`).
//!
//! `readable_stream_chunks` (on wasm32) is how to follow a `fetch` body with
//! `EventStream` without reqwest: the `Uint8Array` chunks of a
//! `web_sys::ReadableStream`, read through its reader, as `Bytes`.
#![cfg(target_arch = "wasm32")]

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use futures_util::Stream;
use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStream, ReadableStreamDefaultReader, ReadableStreamReadResult};

/// The chunks of a `ReadableStream` of `Uint8Array`s (a `fetch` body) as a
/// `Stream` of `Bytes` for `EventStream` (each chunk is copied into wasm
/// memory once).
///
/// A failed read, a stream that is already locked to another reader, and a
/// chunk that is not a `Uint8Array` are each an `Err` item, and the stream
/// ends after it; it also ends when the body does. Dropping it before the
/// end cancels the body (`reader.cancel()`), which aborts the `fetch`: the
/// browser closes the connection.
pub fn readable_stream_chunks(stream: ReadableStream) -> ReadableStreamChunks {
    match ReadableStreamDefaultReader::new(&stream) {
        Ok(reader) => ReadableStreamChunks {
            reader: Some(reader),
            read: None,
            error: None,
        },
        Err(error) => ReadableStreamChunks {
            reader: None,
            read: None,
            error: Some(error),
        },
    }
}

/// The stream of [`readable_stream_chunks`]. Dropped before its end, it
/// cancels the body and releases its reader's lock.
pub struct ReadableStreamChunks {
    /// The reader while the body may still have chunks.
    reader: Option<ReadableStreamDefaultReader>,
    /// The pending `reader.read()`.
    read: Option<JsFuture>,
    /// An error to report before the end (a locked stream).
    error: Option<JsValue>,
}

impl ReadableStreamChunks {
    /// Stops reading: the body is cancelled (a no-op when it has ended or
    /// failed) and the lock released.
    fn cancel(&mut self) {
        self.read = None;
        if let Some(reader) = self.reader.take() {
            // The promise settles when the body is cancelled; awaited (and
            // its outcome dropped) so that a rejection is not unhandled.
            let cancelled = JsFuture::from(reader.cancel());
            wasm_bindgen_futures::spawn_local(async move {
                let _ = cancelled.await;
            });
            // After `cancel` the stream is closed and no read is pending,
            // so releasing the lock cannot throw.
            reader.release_lock();
        }
    }

    /// The `{ done, value }` of a read: `Ok(None)` at the end.
    fn chunk(result: JsValue) -> Result<Option<Bytes>, JsValue> {
        // `read()` resolves with a plain object (a dictionary: no class to
        // check with `dyn_into`), read with the dictionary's getters.
        let result: ReadableStreamReadResult = result.unchecked_into();
        if result.get_done() == Some(true) {
            return Ok(None);
        }
        let chunk: Uint8Array = result
            .get_value()
            .dyn_into()
            .map_err(|_| js_sys::TypeError::new("a body chunk that is not a Uint8Array"))?;
        Ok(Some(Bytes::from(chunk.to_vec())))
    }
}

impl Stream for ReadableStreamChunks {
    type Item = Result<Bytes, JsValue>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if let Some(error) = this.error.take() {
            return Poll::Ready(Some(Err(error)));
        }
        let Some(reader) = &this.reader else {
            return Poll::Ready(None);
        };
        let read = this
            .read
            .get_or_insert_with(|| JsFuture::from(reader.read()));
        let result = ready!(Pin::new(read).poll(cx));
        this.read = None;
        match result.and_then(Self::chunk) {
            Ok(Some(chunk)) => Poll::Ready(Some(Ok(chunk))),
            Ok(None) => {
                // The end: nothing to cancel, the lock is released.
                if let Some(reader) = this.reader.take() {
                    reader.release_lock();
                }
                Poll::Ready(None)
            }
            Err(error) => {
                // A failed read (the body is errored already) or a chunk
                // that is not bytes (the body is cancelled).
                this.cancel();
                Poll::Ready(Some(Err(error)))
            }
        }
    }
}

impl Drop for ReadableStreamChunks {
    fn drop(&mut self) {
        self.cancel();
    }
}
