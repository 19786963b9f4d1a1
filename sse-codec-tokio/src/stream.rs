//! [`EventStream`]: events from a `Stream` of byte chunks.

use std::borrow::Cow;
use std::fmt;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Buf;
use futures_core::Stream;
use sse_codec_core::{Builder, BytesDecoder, OwnedItem};

/// An error from an [`EventStream`]. Neither ends the stream: after a limit
/// error the next event decodes; after a source error the stream goes on
/// with whatever the source yields next (usually its end).
#[derive(Debug)]
pub enum EventStreamError<E> {
    /// A limit was exceeded; that event was skipped.
    Limit(sse_codec_core::Error),
    /// The byte stream failed.
    Source(E),
}

impl<E: fmt::Display> fmt::Display for EventStreamError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventStreamError::Limit(error) => error.fmt(f),
            EventStreamError::Source(error) => write!(f, "event stream source failed: {error}"),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for EventStreamError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EventStreamError::Limit(error) => Some(error),
            EventStreamError::Source(error) => Some(error),
        }
    }
}

/// A `Stream` of decoded items over any `Stream` of byte chunks
/// (`Result<impl Buf, E>`): reqwest's `bytes_stream()`, an `http-body`
/// frame stream, an axum body's data stream.
///
/// Chunks that are `Bytes` are not copied: event values are slices of them.
/// Time is linear in the input however it is chunked. When the source ends,
/// an unfinished event is discarded, as the spec says, and the stream ends.
///
/// The source must be `Unpin`; wrap it in `Box::pin` if it is not. Its
/// chunks must own their bytes (`'static`: `Bytes`, `BytesMut`,
/// `&'static [u8]`, `Cursor<Vec<u8>>`), so that a `Bytes` chunk is
/// recognised and taken as it is.
///
/// ```
/// use bytes::Bytes;
/// use sse_codec_core::OwnedItem;
/// use sse_codec_tokio::EventStream;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let chunks = [Ok::<_, std::io::Error>(Bytes::from("id: 7\ndata: hel")), Ok(Bytes::from("lo\n\n"))];
/// let mut events = EventStream::new(tokio_stream_iter(chunks));
/// let item = std::future::poll_fn(|cx| std::pin::Pin::new(&mut events).poll_next(cx)).await;
/// let Some(Ok(OwnedItem::Event(event))) = item else { panic!() };
/// assert_eq!(event.data(), "hello");
/// assert_eq!(events.last_event_id(), "7");
/// # }
/// # use futures_core::Stream;
/// # fn tokio_stream_iter<I: IntoIterator>(items: I) -> impl Stream<Item = I::Item> + Unpin
/// # where I::IntoIter: Unpin {
/// #     struct Iter<T>(T);
/// #     impl<T: Iterator + Unpin> Stream for Iter<T> {
/// #         type Item = T::Item;
/// #         fn poll_next(mut self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<Option<T::Item>> {
/// #             std::task::Poll::Ready(self.0.next())
/// #         }
/// #     }
/// #     Iter(items.into_iter())
/// # }
/// ```
#[derive(Debug)]
pub struct EventStream<S> {
    source: S,
    decoder: BytesDecoder,
    ended: bool,
}

impl<S> EventStream<S> {
    /// Decodes `source` with the default limits.
    pub fn new(source: S) -> Self {
        EventStream::with_decoder(source, BytesDecoder::new())
    }

    /// Decodes `source` with the limits and settings of `builder`.
    pub fn with_builder(source: S, builder: Builder) -> Self {
        EventStream::with_decoder(source, builder.build_bytes())
    }

    /// Decodes `source` with `decoder`, which may carry state (last event
    /// ID, reconnection time) from an earlier stream.
    pub fn with_decoder(source: S, decoder: BytesDecoder) -> Self {
        EventStream {
            source,
            decoder,
            ended: false,
        }
    }

    /// The last event ID string: what to send as `Last-Event-ID`.
    pub fn last_event_id(&self) -> Cow<'_, str> {
        self.decoder.last_event_id()
    }

    /// The reconnection time from the last valid `retry` field, in milliseconds.
    pub fn reconnection_time(&self) -> Option<u64> {
        self.decoder.reconnection_time()
    }

    /// The decoder, e.g. to carry its state to the next connection.
    pub fn decoder(&self) -> &BytesDecoder {
        &self.decoder
    }

    /// The source and the decoder.
    pub fn into_parts(self) -> (S, BytesDecoder) {
        (self.source, self.decoder)
    }
}

impl<S, B, E> Stream for EventStream<S>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: Buf + 'static,
{
    type Item = Result<OwnedItem, EventStreamError<E>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            // The items of the last chunk, one per poll, straight from the
            // decoder.
            if let Some(item) = this.decoder.next_item() {
                return Poll::Ready(Some(item.map_err(EventStreamError::Limit)));
            }
            if this.ended {
                return Poll::Ready(None);
            }
            match ready!(Pin::new(&mut this.source).poll_next(cx)) {
                Some(Ok(chunk)) => this.decoder.push(into_bytes(chunk)),
                Some(Err(error)) => return Poll::Ready(Some(Err(EventStreamError::Source(error)))),
                None => {
                    this.decoder.end_of_stream();
                    this.ended = true;
                }
            }
        }
    }
}

/// A chunk as `Bytes`, without a copy when it is one. `Bytes` (what HTTP
/// clients hand out) is taken as it is, in place: through
/// `Buf::copy_to_bytes`, the same move measured 44% slower on W1 and W3 in
/// 7-byte chunks and 23-34% one chunk per event, in an interleaved A/B of
/// `decode/*/sse-codec-tokio stream` (`benches/benches/decode.rs`): the
/// chunk went out to a call and back through memory, next to the atomic
/// reference count of its clone. Other `Buf`s are copied into `Bytes`.
#[inline(always)]
fn into_bytes<B: Buf + 'static>(mut chunk: B) -> bytes::Bytes {
    match (&mut chunk as &mut dyn std::any::Any).downcast_mut::<bytes::Bytes>() {
        Some(bytes) => std::mem::take(bytes),
        None => {
            let len = chunk.remaining();
            chunk.copy_to_bytes(len)
        }
    }
}
