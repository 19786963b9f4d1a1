//! Owned events (with `alloc`).

use alloc::string::String;
use core::fmt;

use crate::decoder::Item;

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
    /// Each value a UTF-8-checked slice of shared input.
    #[cfg(feature = "bytes")]
    Shared {
        event_type: Utf8Bytes,
        data: Utf8Bytes,
        id: Utf8Bytes,
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
    pub(crate) fn from_shared(
        event_type: bytes::Bytes,
        data: bytes::Bytes,
        id: bytes::Bytes,
    ) -> Self {
        // All three checked first, then each moved once into place: making
        // the `Utf8Bytes` one after the other moved them through the stack
        // several times, in loads that had to wait for the stores before.
        if utf8(&data).is_some() && utf8(&event_type).is_some() && utf8(&id).is_some() {
            return Event {
                repr: Repr::Shared {
                    event_type: Utf8Bytes(event_type),
                    data: Utf8Bytes(data),
                    id: Utf8Bytes(id),
                },
            };
        }
        Event::from_shared_lossy(event_type, data, id)
    }

    /// [`from_shared`](Self::from_shared) when a value is not UTF-8.
    #[cfg(feature = "bytes")]
    #[cold]
    #[inline(never)]
    fn from_shared_lossy(event_type: bytes::Bytes, data: bytes::Bytes, id: bytes::Bytes) -> Self {
        Event {
            repr: Repr::Shared {
                event_type: Utf8Bytes::new(event_type),
                data: Utf8Bytes::new(data),
                id: Utf8Bytes::new(id),
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

/// `bytes` as `&str` if it is valid UTF-8: the check that runs on every
/// value. Short ASCII values (most field values of real streams) are
/// recognised eight bytes at a time, inline; other values go to a validator:
/// `core`'s for short ones, SIMD (32 or 64 bytes at a time) for long ones.
#[inline(always)]
#[allow(unsafe_code)]
pub(crate) fn utf8(bytes: &[u8]) -> Option<&str> {
    if is_short_ascii(bytes) {
        // SAFETY: every byte is below 0x80 (checked just above), and ASCII
        // is valid UTF-8. Handing ASCII to `core::str::from_utf8` instead
        // made decoding W1 in 4 KiB chunks into owned events about 25%
        // slower, relative to sse-core in the same run (BENCHMARKS.md,
        // "unsafe").
        return Some(unsafe { core::str::from_utf8_unchecked(bytes) });
    }
    validate(bytes)
}

/// [`utf8`] for values that are long or not ASCII.
#[inline(never)]
fn validate(bytes: &[u8]) -> Option<&str> {
    if bytes.len() < 128 {
        core::str::from_utf8(bytes).ok()
    } else {
        simdutf8::basic::from_utf8(bytes).ok()
    }
}

/// Whether `bytes` is at most 256 bytes long and all ASCII: the high bits of
/// all its bytes, OR-ed together eight at a time, are clear.
#[inline(always)]
fn is_short_ascii(bytes: &[u8]) -> bool {
    if bytes.len() > 256 {
        return false;
    }
    let mut any = 0u64;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        any |= u64::from_ne_bytes(w);
    }
    for &byte in words.remainder() {
        any |= u64::from(byte);
    }
    any & 0x8080_8080_8080_8080 == 0
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
    #[allow(unsafe_code)]
    fn as_str(&self) -> &str {
        debug_assert!(core::str::from_utf8(&self.0).is_ok());
        // SAFETY: a `Utf8Bytes` is made in two places only (`new`, and
        // `Event::from_shared` after `utf8` accepted the bytes), both of
        // which store only bytes that are valid UTF-8 (checked by `utf8`, or
        // a `String`'s), and `Bytes` is immutable. Checking again on every
        // access cost as much as the rest of decoding a small event (see
        // BENCHMARKS.md, "unsafe").
        unsafe { core::str::from_utf8_unchecked(&self.0) }
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
    use super::{Event, Utf8Bytes};
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

    #[test]
    fn shared_events_read_their_values() {
        let event = Event::from_shared(
            Bytes::from_static(b"t\xff"),
            Bytes::from_static("d é".as_bytes()),
            Bytes::from_static(b"7"),
        );
        assert_eq!(
            (event.event_type(), event.data(), event.id()),
            ("t\u{fffd}", "d é", "7")
        );
        assert_eq!(event.clone().into_data(), "d é");
        assert_eq!(event, Event::from_parts("t\u{fffd}", "d é", "7"));
    }
}

#[cfg(test)]
mod utf8_tests {
    use super::utf8;

    const ALL_BYTES: [u8; 256] = {
        let mut all = [0; 256];
        let mut i = 0;
        while i < 256 {
            all[i] = i as u8;
            i += 1;
        }
        all
    };

    /// The ASCII shortcut never accepts a non-ASCII byte: every byte value at
    /// every position of values around the word and length boundaries gets
    /// the same verdict as `core`'s validator.
    #[test]
    fn utf8_agrees_with_core_for_every_byte_at_every_position() {
        for len in [1, 7, 8, 9, 16, 31, 63, 64, 65, 127, 128, 255, 256, 257, 300] {
            let mut value = alloc::vec![b'a'; len];
            for at in [0, len / 2, len - 1] {
                // Miri runs a sample: every value would take it minutes.
                let bytes: &[u8] = if cfg!(miri) {
                    &[0x00, 0x7F, 0x80, 0xBF, 0xC3, 0xFF]
                } else {
                    &ALL_BYTES
                };
                for &byte in bytes {
                    value[at] = byte;
                    assert_eq!(
                        utf8(&value),
                        core::str::from_utf8(&value).ok(),
                        "len {len}, byte {byte:#x} at {at}"
                    );
                }
                value[at] = b'a';
            }
        }
        let text = "é😀\u{2028}".repeat(20);
        assert_eq!(utf8(text.as_bytes()), Some(text.as_str()));
        assert_eq!(utf8(&text.as_bytes()[..5]), None, "a cut character");
    }
}
