//! What a server needs around the encoder: response headers, a stream
//! encoder that writes each ID only when it changes, frames encoded once and
//! shared by many subscribers, and events from JSON.

/// The media type of an event stream, for the `Content-Type` header.
pub const CONTENT_TYPE: &str = "text/event-stream";

/// The response headers a server should send with an event stream, as
/// lowercase `(name, value)` pairs: the content type, `Cache-Control:
/// no-cache, no-transform` so that no cache holds the stream back and no
/// proxy compresses it (a compressor buffers events until its block fills),
/// and `X-Accel-Buffering: no` so that nginx passes each event on at once.
///
/// ```
/// let mut response = Vec::new();
/// response.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
/// for (name, value) in sse_codec_core::RESPONSE_HEADERS {
///     response.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
/// }
/// assert!(response.starts_with(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"));
/// assert!(response.ends_with(b"cache-control: no-cache, no-transform\r\nx-accel-buffering: no\r\n"));
/// ```
pub const RESPONSE_HEADERS: [(&str, &str); 3] = [
    ("content-type", CONTENT_TYPE),
    ("cache-control", "no-cache, no-transform"),
    ("x-accel-buffering", "no"),
];

#[cfg(feature = "alloc")]
pub use self::owned::StreamEncoder;

#[cfg(feature = "alloc")]
mod owned {
    use crate::encoder::{encode_comment_to_vec, EncodeError, EventRef};
    use crate::event::Event;
    use alloc::string::String;
    use alloc::vec::Vec;

    impl Event {
        /// The event for the encoder: `event` only when the type is not
        /// `message`, `id` only when the ID is not empty.
        ///
        /// ```
        /// use sse_codec_core::Event;
        /// let mut out = Vec::new();
        /// Event::new("hi").with_id("1").as_event_ref().encode_to_vec(&mut out)?;
        /// assert_eq!(out, b"id: 1\ndata: hi\n\n");
        /// # Ok::<(), sse_codec_core::EncodeError>(())
        /// ```
        pub fn as_event_ref(&self) -> EventRef<'_> {
            EventRef {
                event_type: Some(self.event_type()).filter(|t| *t != "message"),
                data: Some(self.data()),
                id: Some(self.id()).filter(|id| !id.is_empty()),
                retry: None,
            }
        }

        /// An event whose data is `value` as JSON (with the `serde` feature).
        /// Pretty-printed or not, JSON text is safe as data: the encoder
        /// writes one `data:` line per line.
        ///
        /// ```
        /// let event = sse_codec_core::Event::json(&[1, 2, 3])?;
        /// assert_eq!(event.data(), "[1,2,3]");
        /// # Ok::<(), serde_json::Error>(())
        /// ```
        ///
        /// # Errors
        /// When `value` cannot be serialized (see `serde_json::to_string`).
        #[cfg(feature = "serde")]
        pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> Result<Event, serde_json::Error> {
            Ok(Event::new(serde_json::to_string(value)?))
        }

        /// The event's data read as JSON into a `T` (with the `serde`
        /// feature): the reading side of [`Event::json`].
        ///
        /// ```
        /// #[derive(serde::Deserialize, Debug, PartialEq)]
        /// struct Delta {
        ///     text: String,
        /// }
        ///
        /// let mut decoder = sse_codec_core::Decoder::new();
        /// let items: Vec<_> = decoder.feed(b"data: {\"text\":\"Hel\"}\n\n").collect();
        /// let Ok(sse_codec_core::OwnedItem::Event(event)) = &items[0] else { panic!() };
        /// assert_eq!(event.parse_json::<Delta>()?, Delta { text: "Hel".into() });
        /// assert!(event.parse_json::<u32>().is_err());
        /// # Ok::<(), serde_json::Error>(())
        /// ```
        ///
        /// # Errors
        /// When the data is not JSON, or not of the shape of `T` (see
        /// `serde_json::from_str`).
        #[cfg(feature = "serde")]
        pub fn parse_json<'de, T: serde::Deserialize<'de>>(
            &'de self,
        ) -> Result<T, serde_json::Error> {
            serde_json::from_str(self.data())
        }
    }

    /// Encodes a sequence of events as one stream, writing each event's ID
    /// only when it differs from the receiver's last event ID (an empty ID
    /// after a non-empty one is written as `id:`, which resets it). Decoding
    /// the output therefore gives back exactly the events given, IDs
    /// included.
    ///
    /// ```
    /// use sse_codec_core::{Decoder, Event, OwnedItem, StreamEncoder};
    ///
    /// let events = [Event::new("a").with_id("1"), Event::new("b").with_id("1"), Event::new("c")];
    /// let mut encoder = StreamEncoder::new();
    /// let mut out = Vec::new();
    /// for event in &events {
    ///     encoder.encode_event(event, &mut out)?;
    /// }
    /// assert_eq!(out, b"id: 1\ndata: a\n\ndata: b\n\nid:\ndata: c\n\n");
    /// let decoded: Vec<_> = Decoder::new().feed(&out).map(Result::unwrap).collect();
    /// assert_eq!(decoded, events.map(OwnedItem::Event));
    /// # Ok::<(), sse_codec_core::EncodeError>(())
    /// ```
    #[derive(Clone, Debug, Default)]
    pub struct StreamEncoder {
        last_event_id: String,
    }

    impl StreamEncoder {
        /// An encoder for a new stream (the receiver's last event ID is empty).
        pub fn new() -> Self {
            StreamEncoder::default()
        }

        /// An encoder for a stream whose receiver already has this last event
        /// ID (it sent it as `Last-Event-ID`).
        pub fn resuming(last_event_id: &str) -> Self {
            StreamEncoder {
                last_event_id: last_event_id.into(),
            }
        }

        /// Appends `event` to `out`.
        ///
        /// # Errors
        /// The event type or ID cannot be represented ([`EncodeError`]);
        /// nothing is written.
        pub fn encode_event(
            &mut self,
            event: &Event,
            out: &mut Vec<u8>,
        ) -> Result<(), EncodeError> {
            self.next_event_ref(event).encode_to_vec(out)?;
            self.wrote(event);
            Ok(())
        }

        /// Appends `event` to any `BufMut` (with the `bytes` feature); see
        /// [`encode_event`](Self::encode_event).
        ///
        /// # Errors
        /// As [`encode_event`](Self::encode_event).
        #[cfg(feature = "bytes")]
        pub fn encode_event_to_buf<B: bytes::BufMut + ?Sized>(
            &mut self,
            event: &Event,
            out: &mut B,
        ) -> Result<(), EncodeError> {
            self.next_event_ref(event).encode_to_buf(out)?;
            self.wrote(event);
            Ok(())
        }

        /// What to write for `event`: its ID only if it changes the receiver's.
        fn next_event_ref<'e>(&self, event: &'e Event) -> EventRef<'e> {
            EventRef {
                id: Some(event.id()).filter(|id| *id != self.last_event_id),
                ..event.as_event_ref()
            }
        }

        fn wrote(&mut self, event: &Event) {
            if event.id() != self.last_event_id {
                self.last_event_id.clear();
                self.last_event_id.push_str(event.id());
            }
        }

        /// Appends a `retry` line (and an empty line) setting the receiver's
        /// reconnection time.
        ///
        /// # Errors
        /// Only if `out` cannot grow; nothing is written then.
        pub fn encode_retry(&mut self, ms: u64, out: &mut Vec<u8>) -> Result<(), EncodeError> {
            EventRef::empty().with_retry(ms).encode_to_vec(out)
        }

        /// Appends a comment, one `:` line per line of `text`.
        ///
        /// # Errors
        /// Only if `out` cannot grow; nothing is written then.
        pub fn encode_comment(&mut self, text: &str, out: &mut Vec<u8>) -> Result<(), EncodeError> {
            encode_comment_to_vec(text, out)
        }

        /// The receiver's last event ID after what was encoded so far.
        pub fn last_event_id(&self) -> &str {
            &self.last_event_id
        }
    }
}

#[cfg(feature = "bytes")]
pub use self::frame::Frame;

#[cfg(feature = "bytes")]
mod frame {
    use crate::encoder::{
        encode_comment_to_buf, encoded_comment_len, EncodeError, EventRef, KEEP_ALIVE,
    };
    use bytes::{Bytes, BytesMut};

    /// An event, comment or keep-alive already encoded, as shared `Bytes`:
    /// encode once, then clone (a reference count, no copy) for every
    /// subscriber.
    ///
    /// ```
    /// use sse_codec_core::{EventRef, Frame};
    /// let frame = Frame::event(&EventRef::new("tick").with_event_type("clock"))?;
    /// let for_each_subscriber = [frame.clone(), frame.clone()];
    /// assert_eq!(for_each_subscriber[1].as_bytes().as_ref(), b"event: clock\ndata: tick\n\n");
    /// assert_eq!(Frame::keep_alive().as_bytes().as_ref(), b":\n");
    /// # Ok::<(), sse_codec_core::EncodeError>(())
    /// ```
    #[derive(Clone, Debug, PartialEq, Eq, Hash)]
    pub struct Frame(Bytes);

    impl Frame {
        /// An encoded event; one allocation of exactly its size.
        ///
        /// # Errors
        /// The event cannot be represented ([`EncodeError`]).
        pub fn event(event: &EventRef<'_>) -> Result<Frame, EncodeError> {
            // `encode_to_vec` into a new `Vec` sizes it exactly, searching
            // the data once; `encoded_len` and then `encode_to_buf` searched
            // it twice (instructions per W1 event: 574 against 801).
            let mut buf = alloc::vec::Vec::new();
            event.encode_to_vec(&mut buf)?;
            Ok(Frame(Bytes::from(buf)))
        }

        /// An encoded comment, one `:` line per line of `text`.
        pub fn comment(text: &str) -> Frame {
            let mut buf = BytesMut::with_capacity(encoded_comment_len(text));
            // The buffer has room for exactly the comment, so this cannot fail.
            let _ = encode_comment_to_buf(text, &mut buf);
            Frame(buf.freeze())
        }

        /// The keep-alive comment ([`KEEP_ALIVE`]); no allocation.
        pub fn keep_alive() -> Frame {
            Frame(Bytes::from_static(KEEP_ALIVE.as_bytes()))
        }

        /// The encoded bytes.
        pub fn as_bytes(&self) -> &Bytes {
            &self.0
        }

        /// The encoded bytes, owned.
        pub fn into_bytes(self) -> Bytes {
            self.0
        }
    }

    impl From<Frame> for Bytes {
        fn from(frame: Frame) -> Bytes {
            frame.0
        }
    }

    impl AsRef<[u8]> for Frame {
        fn as_ref(&self) -> &[u8] {
            &self.0
        }
    }
}

#[cfg(all(test, feature = "bytes"))]
mod tests {
    use crate::encoder::EventRef;
    use crate::Frame;

    /// `Frame::event` turns a new `Vec` into `Bytes`, which costs no second
    /// allocation only when the `Vec` is full: `encode_to_vec` must size a
    /// new `Vec` exactly, for every shape of event.
    #[test]
    fn a_new_vec_is_sized_exactly() {
        let long = alloc::string::String::from("x").repeat(5000);
        let events = [
            EventRef::new("one"),
            EventRef::new("a\nb\r\nc\rd")
                .with_event_type("t")
                .with_id("7"),
            EventRef::new(&long).with_retry(10),
            EventRef::new("é😀"),
        ];
        for event in events {
            let mut buf = alloc::vec::Vec::new();
            event.encode_to_vec(&mut buf).unwrap();
            assert_eq!(buf.capacity(), buf.len(), "{event:?}");
            let frame = Frame::event(&event).unwrap();
            assert_eq!(frame.as_bytes().as_ref(), &buf[..]);
        }
    }
}
