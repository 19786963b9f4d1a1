//! Owned events (with `alloc`).

use alloc::borrow::Cow;
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
/// use sse_codec::Event;
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
        event_type: bytes::Bytes,
        data: bytes::Bytes,
        id: bytes::Bytes,
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
    pub(crate) fn from_shared(
        event_type: bytes::Bytes,
        data: bytes::Bytes,
        id: bytes::Bytes,
    ) -> Self {
        Event {
            repr: Repr::Shared {
                event_type: utf8_bytes(event_type),
                data: utf8_bytes(data),
                id: utf8_bytes(id),
            },
        }
    }

    /// The event type, `message` unless the stream set another.
    pub fn event_type(&self) -> &str {
        match self.raw_event_type() {
            "" => "message",
            event_type => event_type,
        }
    }

    /// The data: the values of the event's `data` lines joined with LF.
    pub fn data(&self) -> &str {
        match &self.repr {
            Repr::Packed { text, data_len, .. } => &text[..*data_len],
            #[cfg(feature = "bytes")]
            Repr::Shared { data, .. } => checked_str(data),
        }
    }

    /// The last event ID string at dispatch (empty when there is none).
    pub fn id(&self) -> &str {
        match &self.repr {
            Repr::Packed {
                text,
                data_len,
                event_type_len,
            } => &text[data_len + event_type_len..],
            #[cfg(feature = "bytes")]
            Repr::Shared { id, .. } => checked_str(id),
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
            Repr::Shared { data, .. } => String::from(checked_str(&data)),
        }
    }

    /// The data as `Bytes`: a slice of the input, without copying, when the
    /// event came from a [`BytesDecoder`](crate::BytesDecoder).
    #[cfg(feature = "bytes")]
    pub fn data_bytes(&self) -> bytes::Bytes {
        match &self.repr {
            Repr::Shared { data, .. } => data.clone(),
            Repr::Packed { .. } => bytes::Bytes::copy_from_slice(self.data().as_bytes()),
        }
    }

    fn raw_event_type(&self) -> &str {
        match &self.repr {
            Repr::Packed {
                text,
                data_len,
                event_type_len,
            } => &text[*data_len..data_len + event_type_len],
            #[cfg(feature = "bytes")]
            Repr::Shared { event_type, .. } => checked_str(event_type),
        }
    }
}

/// Appends `bytes`, replacing invalid UTF-8 as `String::from_utf8_lossy` does.
fn push_lossy(text: &mut String, bytes: &[u8]) {
    match String::from_utf8_lossy(bytes) {
        Cow::Borrowed(valid) => text.push_str(valid),
        Cow::Owned(replaced) => text.push_str(&replaced),
    }
}

/// `bytes` itself when it is UTF-8, else a lossy copy.
#[cfg(feature = "bytes")]
fn utf8_bytes(bytes: bytes::Bytes) -> bytes::Bytes {
    match String::from_utf8_lossy(&bytes) {
        Cow::Borrowed(_) => bytes,
        Cow::Owned(replaced) => bytes::Bytes::from(replaced),
    }
}

/// A view of bytes already checked by [`utf8_bytes`].
#[cfg(feature = "bytes")]
fn checked_str(bytes: &bytes::Bytes) -> &str {
    // Checked at construction; never fails. Without unsafe code we check
    // again, which SIMD makes cheap; an impossible failure gives "".
    core::str::from_utf8(bytes).unwrap_or_default()
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
    pub fn to_owned_item(&self) -> OwnedItem {
        match *self {
            Item::Event(event) => OwnedItem::Event(event.to_event()),
            Item::Retry(ms) => OwnedItem::Retry(ms),
            Item::Comment(text) => OwnedItem::Comment(String::from_utf8_lossy(text).into_owned()),
        }
    }
}
