//! `tokio_util::codec` support: [`SseCodec`].

use std::borrow::Cow;
use std::io;

use bytes::BytesMut;
use memchr::memrchr2;
use sse_codec_core::{
    Builder, BytesDecoder, EncodeError, Event, EventRef, Frame, OwnedItem, StreamEncoder,
};
use tokio_util::codec::{Decoder, Encoder};

use crate::Error;

/// A `tokio_util` codec for event streams: a [`Decoder`] of
/// [`OwnedItem`]s (events, reconnection times, comments when asked) and an
/// [`Encoder`] of events ([`EventRef`], [`Event`]) and encoded [`Frame`]s.
///
/// Decoded items are `Result<OwnedItem, sse_codec_core::Error>`: a limit error is
/// an item, not a failure of the stream, so that the next event still
/// decodes (a `FramedRead` stops at the codec's own errors, which here are
/// I/O errors only). Event values are sliced out of the read buffer as
/// `Bytes`, with no copy; at end of input an event without its closing
/// empty line is discarded, as the spec says (`decode_eof` does not
/// complain about "bytes remaining").
///
/// ```
/// use futures_core::Stream;
/// use sse_codec_core::OwnedItem;
/// use sse_codec_tokio::SseCodec;
/// use tokio_util::codec::FramedRead;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let input: &[u8] = b"retry: 1000\n\nid: 1\ndata: hello\n\ndata: unterminated";
/// let mut frames = FramedRead::new(input, SseCodec::new());
/// let mut items = Vec::new();
/// while let Some(item) = std::future::poll_fn(|cx| std::pin::Pin::new(&mut frames).poll_next(cx)).await {
///     items.push(item?.expect("no limit exceeded"));
/// }
/// assert_eq!(items.len(), 2);
/// assert_eq!(items[0], OwnedItem::Retry(1000));
/// let OwnedItem::Event(event) = &items[1] else { panic!() };
/// assert_eq!((event.data(), event.id()), ("hello", "1"));
/// assert_eq!(frames.decoder().last_event_id(), "1");
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct SseCodec {
    decoder: BytesDecoder,
    max_line_length: usize,
    /// Bytes at the front of the read buffer known to hold no line end.
    scanned: usize,
    /// Bytes of the current, unterminated line already handed to the
    /// decoder (because the line went over the limit within the read
    /// buffer): the line's length is these plus the read buffer's.
    handed: usize,
    encoder: StreamEncoder,
}

impl Default for SseCodec {
    fn default() -> Self {
        SseCodec::new()
    }
}

impl SseCodec {
    /// A codec with the default limits, not reporting comments.
    pub fn new() -> Self {
        SseCodec::with_builder(Builder::new())
    }

    /// A codec with the limits and settings of `builder`.
    pub fn with_builder(builder: Builder) -> Self {
        let decoder = builder.build_bytes();
        SseCodec {
            max_line_length: decoder.max_line_length(),
            decoder,
            scanned: 0,
            handed: 0,
            encoder: StreamEncoder::new(),
        }
    }

    /// The last event ID string: what to send as `Last-Event-ID`.
    pub fn last_event_id(&self) -> Cow<'_, str> {
        self.decoder.last_event_id()
    }

    /// Sets the last event ID (to resume from a saved one).
    pub fn set_last_event_id(&mut self, id: &str) {
        self.decoder.set_last_event_id(id);
    }

    /// The reconnection time from the last valid `retry` field, in milliseconds.
    pub fn reconnection_time(&self) -> Option<u64> {
        self.decoder.reconnection_time()
    }
}

impl Decoder for SseCodec {
    type Item = Result<OwnedItem, sse_codec_core::Error>;
    type Error = io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<Self::Item>> {
        loop {
            // The items of the lines handed over last, one per call.
            if let Some(item) = self.decoder.next_item() {
                return Ok(Some(item));
            }
            // Hand the decoder complete lines only, so that every value lies
            // in one `Bytes` and is sliced, not copied; an unterminated line
            // waits in `src` (scanned once) unless it is already over the limit.
            // `scanned` is from the last call; a caller that passes another,
            // shorter buffer than `FramedRead` would gets it scanned anew.
            let scanned = if self.scanned <= src.len() {
                self.scanned
            } else {
                0
            };
            let unscanned = src.get(scanned..).unwrap_or_default();
            let end = match memrchr2(b'\n', b'\r', unscanned) {
                Some(last) => {
                    self.handed = 0;
                    // `last` indexes `unscanned`, so this is at most `src.len()`.
                    #[allow(clippy::arithmetic_side_effects, reason = "at most src.len()")]
                    let end = scanned + last + 1;
                    end
                }
                None if !src.is_empty()
                    && self.handed.saturating_add(src.len()) > self.max_line_length =>
                {
                    self.handed = self.handed.saturating_add(src.len());
                    src.len()
                }
                None => {
                    self.scanned = src.len();
                    return Ok(None);
                }
            };
            let lines = src.split_to(end).freeze();
            self.scanned = src.len();
            self.decoder.push(lines);
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> io::Result<Option<Self::Item>> {
        if let Some(item) = self.decode(src)? {
            return Ok(Some(item));
        }
        // What is left is an unterminated line: "any pending data must be
        // discarded". The decoder sees it first, to judge it against the
        // line limit as it would have had the line come in one piece.
        if !src.is_empty() {
            self.decoder.push(src.split().freeze());
        }
        if let Some(item) = self.decoder.next_item() {
            return Ok(Some(item));
        }
        self.scanned = 0;
        self.handed = 0;
        self.decoder.end_of_stream();
        Ok(None)
    }
}

impl Encoder<EventRef<'_>> for SseCodec {
    type Error = Error;

    /// Writes the event exactly as given (its `id` if `Some`).
    fn encode(&mut self, event: EventRef<'_>, dst: &mut BytesMut) -> Result<(), Error> {
        dst.reserve(event.encoded_len()?);
        event.encode_to_buf(dst)?;
        Ok(())
    }
}

impl Encoder<&Event> for SseCodec {
    type Error = Error;

    /// Writes the event as the next of this stream: its ID only when it
    /// differs from the last one written (see [`StreamEncoder`]).
    fn encode(&mut self, event: &Event, dst: &mut BytesMut) -> Result<(), Error> {
        self.encoder.encode_event_to_buf(event, dst)?;
        Ok(())
    }
}

impl Encoder<Event> for SseCodec {
    type Error = Error;

    fn encode(&mut self, event: Event, dst: &mut BytesMut) -> Result<(), Error> {
        self.encode(&event, dst)
    }
}

impl Encoder<Frame> for SseCodec {
    type Error = Error;

    /// Writes an already encoded frame as it is.
    fn encode(&mut self, frame: Frame, dst: &mut BytesMut) -> Result<(), Error> {
        dst.extend_from_slice(frame.as_bytes());
        Ok(())
    }
}

impl From<EncodeError> for Error {
    fn from(error: EncodeError) -> Self {
        Error::Encode(error)
    }
}
