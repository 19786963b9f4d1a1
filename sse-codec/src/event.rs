//! Owned events (with `alloc`).

use alloc::string::String;
use core::fmt;

use crate::decoder::Item;
use crate::utf8::utf8;

/// A dispatched event, owned: its event type, data and last event ID, all
/// valid UTF-8 (invalid bytes in the stream were replaced by U+FFFD).
///
/// Decoding costs at most one allocation per event: the three strings share
/// one buffer. From a [`BytesDecoder`](crate::BytesDecoder) the strings are
/// slices of the input instead, with no allocation for single-line data.
///
/// ```
/// use sse_codec_core::Event;
/// let event = Event::new("hello").with_event_type("greeting").with_id("7");
/// assert_eq!(event.data(), "hello");
/// assert_eq!(event.event_type(), "greeting");
/// assert_eq!(event.id(), "7");
/// assert_eq!(Event::new("x").event_type(), "message");
/// ```
#[derive(Clone)]
pub struct Event {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    /// `data`, then the event type, then the ID, in one string.
    Packed {
        text: String,
        data_len: usize,
        event_type_len: usize,
    },
    /// The data a UTF-8-checked slice of shared input; the event type and
    /// ID too, or, when short, held in place.
    #[cfg(feature = "bytes")]
    Shared {
        event_type: Meta,
        data: Utf8Bytes,
        id: Meta,
    },
}

impl Event {
    /// An event of type `message` with this data and no ID.
    pub fn new(data: impl Into<String>) -> Self {
        let text = data.into();
        Event {
            repr: Repr::Packed {
                data_len: text.len(),
                event_type_len: 0,
                text,
            },
        }
    }

    /// The same event with this event type (`""` means `message`).
    pub fn with_event_type(self, event_type: &str) -> Self {
        Event::from_parts(event_type, self.data(), self.id())
    }

    /// The same event with this ID.
    pub fn with_id(self, id: &str) -> Self {
        Event::from_parts(self.raw_event_type(), self.data(), id)
    }

    /// The same event with this data.
    pub fn with_data(self, data: &str) -> Self {
        Event::from_parts(self.raw_event_type(), data, self.id())
    }

    /// An event from its three values (`event_type` `""` means `message`).
    #[allow(
        clippy::arithmetic_side_effects,
        reason = "the sum of three lengths of values in memory at once"
    )]
    pub fn from_parts(event_type: &str, data: &str, id: &str) -> Self {
        let mut text = String::with_capacity(data.len() + event_type.len() + id.len());
        text.push_str(data);
        text.push_str(event_type);
        text.push_str(id);
        Event {
            repr: Repr::Packed {
                text,
                data_len: data.len(),
                event_type_len: event_type.len(),
            },
        }
    }

    /// From raw bytes: one allocation, lossy UTF-8.
    #[inline]
    #[allow(
        clippy::arithmetic_side_effects,
        reason = "the sum of three lengths of values in memory at once; `text` holds the data when `data_len` is taken"
    )]
    pub(crate) fn from_raw_parts(event_type: &[u8], data: &[u8], id: &[u8]) -> Self {
        let mut text = String::with_capacity(data.len() + event_type.len() + id.len());
        push_lossy(&mut text, data);
        let data_len = text.len();
        push_lossy(&mut text, event_type);
        let event_type_len = text.len() - data_len;
        push_lossy(&mut text, id);
        Event {
            repr: Repr::Packed {
                text,
                data_len,
                event_type_len,
            },
        }
    }

    #[cfg(feature = "bytes")]
    #[inline]
    pub(crate) fn from_shared(event_type: RawMeta, data: bytes::Bytes, id: RawMeta) -> Self {
        // All three checked first, then each moved once into place: making
        // the `Utf8Bytes` one after the other moved them through the stack
        // several times, in loads that had to wait for the stores before.
        if utf8(&data).is_some()
            && utf8(event_type.as_bytes()).is_some()
            && utf8(id.as_bytes()).is_some()
        {
            return Event {
                repr: Repr::Shared {
                    event_type: Meta(event_type),
                    data: Utf8Bytes(data),
                    id: Meta(id),
                },
            };
        }
        Event::from_shared_lossy(event_type, data, id)
    }

    /// [`from_shared`](Self::from_shared) when a value is not UTF-8.
    #[cfg(feature = "bytes")]
    #[cold]
    #[inline(never)]
    fn from_shared_lossy(event_type: RawMeta, data: bytes::Bytes, id: RawMeta) -> Self {
        Event {
            repr: Repr::Shared {
                event_type: Meta::new(event_type),
                data: Utf8Bytes::new(data),
                id: Meta::new(id),
            },
        }
    }

    /// The event type, `message` unless the stream set another.
    #[inline]
    pub fn event_type(&self) -> &str {
        match self.raw_event_type() {
            "" => "message",
            event_type => event_type,
        }
    }

    /// The data: the values of the event's `data` lines joined with LF.
    #[inline]
    pub fn data(&self) -> &str {
        match &self.repr {
            Repr::Packed { text, data_len, .. } => &text[..*data_len],
            #[cfg(feature = "bytes")]
            Repr::Shared { data, .. } => data.as_str(),
        }
    }

    /// The last event ID string at dispatch (empty when there is none).
    #[inline]
    #[allow(
        clippy::arithmetic_side_effects,
        reason = "`data_len + event_type_len <= text.len()`, recorded when `text` was built"
    )]
    pub fn id(&self) -> &str {
        match &self.repr {
            Repr::Packed {
                text,
                data_len,
                event_type_len,
            } => &text[data_len + event_type_len..],
            #[cfg(feature = "bytes")]
            Repr::Shared { id, .. } => id.as_str(),
        }
    }

    /// The data as a `String`, without copying when the event owns it.
    pub fn into_data(self) -> String {
        match self.repr {
            Repr::Packed {
                mut text, data_len, ..
            } => {
                text.truncate(data_len);
                text
            }
            #[cfg(feature = "bytes")]
            Repr::Shared { data, .. } => String::from(data.as_str()),
        }
    }

    /// The data as `Bytes`: a slice of the input, without copying, when the
    /// event came from a [`BytesDecoder`](crate::BytesDecoder).
    #[cfg(feature = "bytes")]
    #[inline]
    pub fn data_bytes(&self) -> bytes::Bytes {
        match &self.repr {
            Repr::Shared { data, .. } => data.0.clone(),
            Repr::Packed { .. } => bytes::Bytes::copy_from_slice(self.data().as_bytes()),
        }
    }

    #[inline]
    #[allow(
        clippy::arithmetic_side_effects,
        reason = "`data_len + event_type_len <= text.len()`, recorded when `text` was built"
    )]
    fn raw_event_type(&self) -> &str {
        match &self.repr {
            Repr::Packed {
                text,
                data_len,
                event_type_len,
            } => &text[*data_len..data_len + event_type_len],
            #[cfg(feature = "bytes")]
            Repr::Shared { event_type, .. } => event_type.as_str(),
        }
    }
}

/// Appends `bytes`, replacing invalid UTF-8 as `String::from_utf8_lossy` does.
#[inline(always)]
fn push_lossy(text: &mut String, bytes: &[u8]) {
    match utf8(bytes) {
        Some(valid) => text.push_str(valid),
        None => push_replaced(text, bytes),
    }
}

#[cold]
#[inline(never)]
fn push_replaced(text: &mut String, bytes: &[u8]) {
    text.push_str(&String::from_utf8_lossy(bytes));
}

/// An event type or ID as a [`BytesDecoder`](crate::BytesDecoder) hands it
/// to an event, not yet checked for UTF-8: a short value copied in place, a
/// longer one shared.
///
/// Most event types and IDs are short: copying one into the event costs
/// less than sharing it, which takes an atomic reference-count increment
/// now and a decrement when the event is dropped, or an allocation
/// (`decode/w3/event` in `benches/benches/decode.rs`, where every event has
/// both: 20% less time per event with them in place).
#[cfg(feature = "bytes")]
#[derive(Clone)]
pub(crate) enum RawMeta {
    Inline(Inline),
    Shared(bytes::Bytes),
}

#[cfg(feature = "bytes")]
impl RawMeta {
    /// The value of `buffer`: held in place when short, otherwise taken
    /// from the buffer (an event type, which the dispatch clears anyway) or,
    /// with `keep`, shared with it (the last event ID, which it keeps).
    #[inline(always)]
    pub(crate) fn from_buffer(buffer: &mut crate::buffer::SharedBuffer, keep: bool) -> RawMeta {
        let value = crate::Buffer::as_bytes(buffer);
        if value.is_empty() {
            return RawMeta::Shared(bytes::Bytes::new());
        }
        match Inline::new(value) {
            Some(inline) => RawMeta::Inline(inline),
            None if keep => RawMeta::Shared(buffer.share()),
            None => RawMeta::Shared(buffer.take()),
        }
    }

    #[inline(always)]
    fn as_bytes(&self) -> &[u8] {
        match self {
            RawMeta::Inline(inline) => inline.as_bytes(),
            RawMeta::Shared(bytes) => bytes,
        }
    }
}

/// Up to [`Inline::CAPACITY`] bytes held in place.
#[cfg(feature = "bytes")]
#[derive(Clone, Copy)]
pub(crate) struct Inline {
    len: u8,
    bytes: [u8; Inline::CAPACITY],
}

#[cfg(feature = "bytes")]
impl Inline {
    /// The longest value held in place: with its length, as large as a
    /// `Bytes`, which the event would hold otherwise.
    pub(crate) const CAPACITY: usize = 23;

    /// `value` in place, if it is short enough. Copied in at most three
    /// fixed-size moves (a `copy_from_slice` of a variable length is a call
    /// to `memcpy`, even for none: W1's events have neither value).
    #[inline(always)]
    #[allow(
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        reason = "each range is within `value` (of `len` bytes, checked per arm) and within `bytes` (`len <= CAPACITY`)"
    )]
    pub(crate) fn new(value: &[u8]) -> Option<Inline> {
        let len = value.len();
        let mut bytes = [0; Self::CAPACITY];
        match len {
            0 => {}
            1..=3 => {
                bytes[0] = value[0];
                bytes[len / 2] = value[len / 2];
                bytes[len - 1] = value[len - 1];
            }
            4..=7 => {
                bytes[..4].copy_from_slice(&value[..4]);
                bytes[len - 4..len].copy_from_slice(&value[len - 4..]);
            }
            8..=15 => {
                bytes[..8].copy_from_slice(&value[..8]);
                bytes[len - 8..len].copy_from_slice(&value[len - 8..]);
            }
            16..=Self::CAPACITY => {
                bytes[..16].copy_from_slice(&value[..16]);
                bytes[len - 8..len].copy_from_slice(&value[len - 8..]);
            }
            _ => return None,
        }
        Some(Inline {
            len: u8::try_from(len).ok()?,
            bytes,
        })
    }

    #[inline(always)]
    fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }
}

/// An event type or ID in an event: a [`RawMeta`] whose bytes are valid
/// UTF-8. Made only by [`Meta::new`] and by [`Event::from_shared`] right
/// after `utf8` accepted the bytes.
#[cfg(feature = "bytes")]
#[derive(Clone)]
struct Meta(RawMeta);

#[cfg(feature = "bytes")]
impl Meta {
    /// `value` itself when it is UTF-8, else a lossy copy.
    #[inline(always)]
    fn new(value: RawMeta) -> Self {
        if utf8(value.as_bytes()).is_some() {
            Meta(value)
        } else {
            Meta(RawMeta::Shared(Utf8Bytes::replaced(value.as_bytes()).0))
        }
    }

    #[inline]
    fn as_str(&self) -> &str {
        match &self.0 {
            RawMeta::Shared(bytes) => Utf8Bytes::as_checked_str(bytes),
            // A few bytes, checked again rather than trusted: no `unsafe`
            // for values this short.
            RawMeta::Inline(inline) => core::str::from_utf8(inline.as_bytes()).unwrap_or_default(),
        }
    }
}

/// `Bytes` that hold valid UTF-8: checked once, when made. Made only by
/// [`Utf8Bytes::new`] and by [`Event::from_shared`] right after `utf8`
/// accepted the bytes.
#[cfg(feature = "bytes")]
#[derive(Clone)]
struct Utf8Bytes(bytes::Bytes);

#[cfg(feature = "bytes")]
impl Utf8Bytes {
    /// `bytes` itself when it is UTF-8, else a lossy copy.
    #[inline(always)]
    fn new(bytes: bytes::Bytes) -> Self {
        if utf8(&bytes).is_some() {
            Utf8Bytes(bytes)
        } else {
            Utf8Bytes::replaced(&bytes)
        }
    }

    #[cold]
    #[inline(never)]
    fn replaced(bytes: &[u8]) -> Self {
        Utf8Bytes(bytes::Bytes::from(
            String::from_utf8_lossy(bytes).into_owned(),
        ))
    }

    #[inline]
    fn as_str(&self) -> &str {
        Utf8Bytes::as_checked_str(&self.0)
    }

    /// The text of bytes held by a `Utf8Bytes` or a `Meta` (whose shared
    /// bytes are checked the same way).
    #[inline]
    #[allow(unsafe_code)]
    fn as_checked_str(bytes: &bytes::Bytes) -> &str {
        debug_assert!(core::str::from_utf8(bytes).is_ok());
        // SAFETY: only the bytes of a `Utf8Bytes` or of a `Meta`'s shared
        // value come here. Each is made in two places only (`new`, and
        // `Event::from_shared` after `utf8` accepted the bytes), both of
        // which store only bytes that are valid UTF-8 (checked by `utf8`, or
        // a `String`'s), and `Bytes` is immutable. Checking again on every
        // access cost as much as the rest of decoding a small event (see
        // BENCHMARKS.md, "unsafe").
        unsafe { core::str::from_utf8_unchecked(bytes) }
    }
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.event_type() == other.event_type()
            && self.data() == other.data()
            && self.id() == other.id()
    }
}

impl Eq for Event {}

impl core::hash::Hash for Event {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.event_type().hash(state);
        self.data().hash(state);
        self.id().hash(state);
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("event_type", &self.event_type())
            .field("data", &self.data())
            .field("id", &self.id())
            .finish()
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Event {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let (event_type, data, id): (&str, &str, &str) = u.arbitrary()?;
        Ok(Event::from_parts(event_type, data, id))
    }
}

/// One thing observed in an event stream, in stream order, owned.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum OwnedItem {
    /// An event was dispatched.
    Event(Event),
    /// A valid `retry` line set the reconnection time, in milliseconds.
    Retry(u64),
    /// A comment (text after the `:`, invalid UTF-8 replaced), when asked for.
    Comment(String),
}

impl Item<'_> {
    /// The item as an [`OwnedItem`].
    #[inline]
    pub fn to_owned_item(&self) -> OwnedItem {
        match *self {
            Item::Event(event) => OwnedItem::Event(event.to_event()),
            Item::Retry(ms) => OwnedItem::Retry(ms),
            Item::Comment(text) => OwnedItem::Comment(String::from_utf8_lossy(text).into_owned()),
        }
    }
}

#[cfg(all(test, feature = "bytes"))]
mod tests {
    use super::{Event, Inline, RawMeta, Utf8Bytes};
    use bytes::Bytes;

    #[test]
    fn utf8_bytes_keep_valid_input_and_replace_invalid_input() {
        for text in [
            "",
            "ascii",
            "é😀\u{2028}",
            &"long ascii value ".repeat(20),
            &"é".repeat(100),
        ] {
            let bytes = Bytes::copy_from_slice(text.as_bytes());
            let checked = Utf8Bytes::new(bytes.clone());
            assert_eq!(checked.as_str(), text);
            assert_eq!(
                checked.0.as_ptr(),
                bytes.as_ptr(),
                "valid input is not copied"
            );
        }
        for (raw, lossy) in [
            (&b"\xff"[..], "\u{fffd}"),
            (b"a\xc3", "a\u{fffd}"),
            (b"\xed\xa0\x80x", "\u{fffd}\u{fffd}\u{fffd}x"),
        ] {
            assert_eq!(Utf8Bytes::new(Bytes::copy_from_slice(raw)).as_str(), lossy);
            let mut long = alloc::vec![b'a'; 200];
            long.extend_from_slice(raw);
            let expected = "a".repeat(200) + lossy;
            assert_eq!(Utf8Bytes::new(Bytes::from(long)).as_str(), expected);
        }
    }

    /// Every length up to the capacity is copied exactly (the copy is
    /// made of overlapping fixed-size moves); longer values are not held.
    #[test]
    fn inline_values_hold_every_length_up_to_the_capacity() {
        let source: alloc::vec::Vec<u8> = (1..=40).collect();
        for len in 0..=Inline::CAPACITY {
            let inline = Inline::new(&source[..len]).expect("short enough");
            assert_eq!(inline.as_bytes(), &source[..len], "{len} bytes");
        }
        assert!(Inline::new(&source[..=Inline::CAPACITY]).is_none());
    }

    #[test]
    fn shared_events_read_their_values() {
        let event = Event::from_shared(
            RawMeta::Shared(Bytes::from_static(b"t\xff")),
            Bytes::from_static("d é".as_bytes()),
            RawMeta::Inline(Inline::new(b"7").unwrap()),
        );
        assert_eq!(
            (event.event_type(), event.data(), event.id()),
            ("t\u{fffd}", "d é", "7")
        );
        assert_eq!(event.clone().into_data(), "d é");
        assert_eq!(event, Event::from_parts("t\u{fffd}", "d é", "7"));
    }
}
