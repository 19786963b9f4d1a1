//! What the browser tests and the benchmark share (wasm32 only, empty
//! elsewhere; the tests are in `tests/`, the server in `src/bin/`).
//!
//! `readable_stream_chunks` is how to follow a `fetch` body with
//! `EventStream` without reqwest: the `Uint8Array` chunks of a
//! `web_sys::ReadableStream`, read through its reader, as `Bytes`.
#![cfg(target_arch = "wasm32")]

use bytes::Bytes;
use futures_util::Stream;
use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStream, ReadableStreamDefaultReader, ReadableStreamReadResult};

/// The chunks of a `ReadableStream` of `Uint8Array`s (a `fetch` body) as a
/// `Stream` of `Bytes` for `EventStream` (each chunk is copied into wasm
/// memory once). A failed read is an `Err` item, and the stream ends after
/// it; the stream also ends when the body does.
pub fn readable_stream_chunks(
    stream: ReadableStream,
) -> impl Stream<Item = Result<Bytes, JsValue>> + Unpin {
    let reader: Option<ReadableStreamDefaultReader> = Some(stream.get_reader().unchecked_into());
    Box::pin(futures_util::stream::unfold(reader, |reader| async move {
        let reader = reader?;
        let result: ReadableStreamReadResult = match JsFuture::from(reader.read()).await {
            Ok(result) => result.unchecked_into(),
            Err(error) => return Some((Err(error), None)),
        };
        if result.get_done() == Some(true) {
            return None;
        }
        let chunk: Uint8Array = result.get_value().unchecked_into();
        Some((Ok(Bytes::from(chunk.to_vec())), Some(reader)))
    }))
}
