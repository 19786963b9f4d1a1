//! Writing events and comments in the `text/event-stream` format.
//!
//! The encoder writes into a buffer the caller owns: a `&mut [u8]`
//! ([`EventRef::encode_to_slice`]), or, with the `alloc` feature, a `Vec<u8>`
//! or a `String` (`encode_to_vec`, `encode_to_string`), or, with the `bytes`
//! feature, any `bytes::BufMut` (`encode_to_buf`). It never allocates
//! except to grow a `Vec` or `String` it was handed (once per call), never
//! panics, and is all or nothing: when it returns an error, it has written
//! nothing at all. [`EventRef::encoded_len`] tells the exact size beforehand.
//!
//! # Wire format
//!
//! An event is written as these lines, in this order, each ended by a single
//! LF (`"\n"`; the encoder never writes CR):
//!
//! 1. `event: <event type>` if [`EventRef::event_type`] is `Some`;
//! 2. `id: <id>` if [`EventRef::id`] is `Some`. `Some("")` writes `id:`,
//!    which resets the receiver's last event ID to the empty string;
//! 3. `retry: <milliseconds>` if [`EventRef::retry`] is `Some`;
//! 4. one `data: <line>` line per line of [`EventRef::data`] if it is `Some`;
//! 5. one empty line, which makes the receiver dispatch the event.
//!
//! Every field is written `name: value` with exactly one space after the
//! colon. The receiver removes exactly one space, so a value that itself
//! starts with a space arrives intact (`data:  x` is received as ` x`). An
//! empty value is written `name:` without a trailing space.
//!
//! The data is split at every line break the receiver recognises: CRLF, a
//! lone CR and a lone LF (and nothing else: U+2028, U+0085 and NUL are not
//! line breaks in an event stream and are written as they are). Each piece
//! becomes one `data:` line, so a line break in the data can never end a
//! line early and smuggle in a field of its own ("field injection"). The
//! receiver joins the lines with LF, so every line break arrives as LF:
//!
//! | `data`        | written                      | received     |
//! |---------------|------------------------------|--------------|
//! | `None`        | (no `data` line)             | no event     |
//! | `Some("")`    | `data:`                      | `""`         |
//! | `Some("a")`   | `data: a`                    | `"a"`        |
//! | `Some("a\nb")`| `data: a` / `data: b`        | `"a\nb"`     |
//! | `Some("a\r\nb")` | `data: a` / `data: b`     | `"a\nb"`     |
//! | `Some("a\n")` | `data: a` / `data:`          | `"a\n"`      |
//!
//! An event without data is dispatched by no receiver, but its `id` and
//! `retry` still take effect: `EventRef::empty().with_id("7")` is the way to
//! set the last event ID without sending an event, and
//! `EventRef::empty().with_retry(5000)` sets the reconnection time.
//!
//! The event type and the ID cannot contain CR or LF (the receiver would end
//! the line there), and an ID containing U+0000 NULL would be ignored by
//! every receiver: such events are refused with an [`EncodeError`], never
//! written. Data is never refused.
//!
//! Comments (see [`encode_comment_to_slice`]) are written as one `:<text>`
//! line per line of text. Receivers ignore them; servers send them as a
//! keep-alive ([`KEEP_ALIVE`]).
//!
//! # Example
//!
//! ```
//! use sse_codec_core::encoder::EventRef;
//!
//! let event = EventRef::new("first line\nsecond line")
//!     .with_event_type("update")
//!     .with_id("42");
//! let mut buf = [0u8; 128];
//! let n = event.encode_to_slice(&mut buf)?;
//! assert_eq!(
//!     &buf[..n],
//!     b"event: update\nid: 42\ndata: first line\ndata: second line\n\n"
//! );
//! # Ok::<(), sse_codec_core::encoder::EncodeError>(())
//! ```

use core::fmt;

/// A comment line with no text, for keeping an idle stream open.
///
/// Receivers ignore comments, but proxies and load balancers see traffic and
/// keep the connection open. Send it every 15 to 30 seconds of silence. It
/// does not end or dispatch an event, so it may be sent at any point between
/// two complete lines.
///
/// # Example
///
/// ```
/// use sse_codec_core::encoder::KEEP_ALIVE;
///
/// assert_eq!(KEEP_ALIVE, ":\n");
/// let bytes: &[u8] = KEEP_ALIVE.as_bytes();
/// assert_eq!(bytes, b":\n");
/// ```
pub const KEEP_ALIVE: &str = ":\n";

/// An event to write, borrowing its fields.
///
/// Every field is optional. A receiver dispatches an event only if it has
/// `data` (`Some("")` is enough); an event without data still sets the last
/// event ID (`id`) and the reconnection time (`retry`). See the
/// [module documentation](self) for the exact bytes written.
///
/// Build one with [`EventRef::new`] or [`EventRef::empty`] and the `with_*`
/// methods (all `const`), or with a struct literal.
///
/// # Example
///
/// ```
/// use sse_codec_core::encoder::EventRef;
///
/// const PING: EventRef<'static> = EventRef::new("{}").with_event_type("ping");
///
/// let mut buf = [0u8; 32];
/// let n = PING.encode_to_slice(&mut buf)?;
/// assert_eq!(&buf[..n], b"event: ping\ndata: {}\n\n");
///
/// let literal = EventRef { event_type: Some("ping"), data: Some("{}"), ..EventRef::empty() };
/// assert_eq!(literal, PING);
/// # Ok::<(), sse_codec_core::encoder::EncodeError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct EventRef<'a> {
    /// The event type, written as `event: <type>`. `None` and `Some("")`
    /// both reach the receiver as the default type, `message`. Must not
    /// contain CR or LF.
    pub event_type: Option<&'a str>,
    /// The data, written as one `data: <line>` line per line. `None` writes
    /// no data line, and the receiver then dispatches nothing. CR, LF and
    /// CRLF all arrive as LF.
    pub data: Option<&'a str>,
    /// The event ID, written as `id: <id>`; the receiver keeps it as its
    /// last event ID (sent back as `Last-Event-ID` on reconnection) until
    /// another `id` changes it. `Some("")` resets it. Must not contain CR,
    /// LF or NUL.
    pub id: Option<&'a str>,
    /// The reconnection time in milliseconds, written as `retry: <ms>`.
    pub retry: Option<u64>,
}

impl<'a> EventRef<'a> {
    /// An event with the given data and no other field.
    ///
    /// # Example
    ///
    /// ```
    /// use sse_codec_core::encoder::EventRef;
    ///
    /// let event = EventRef::new("hello");
    /// assert_eq!(event.data, Some("hello"));
    /// assert_eq!(event.event_type, None);
    /// assert_eq!(event.encoded_len(), Ok("data: hello\n\n".len()));
    /// ```
    #[must_use]
    pub const fn new(data: &'a str) -> Self {
        Self {
            event_type: None,
            data: Some(data),
            id: None,
            retry: None,
        }
    }

    /// An event with no field at all; written alone, it is just the empty
    /// line. Add fields with the `with_*` methods.
    ///
    /// # Example
    ///
    /// ```
    /// use sse_codec_core::encoder::EventRef;
    ///
    /// let mut buf = [0u8; 8];
    /// assert_eq!(EventRef::empty().encode_to_slice(&mut buf), Ok(1));
    /// assert_eq!(&buf[..1], b"\n");
    ///
    /// // Set the last event ID at the receiver without dispatching an event.
    /// let n = EventRef::empty().with_id("7").encode_to_slice(&mut buf)?;
    /// assert_eq!(&buf[..n], b"id: 7\n\n");
    /// # Ok::<(), sse_codec_core::encoder::EncodeError>(())
    /// ```
    #[must_use]
    pub const fn empty() -> Self {
        Self {
            event_type: None,
            data: None,
            id: None,
            retry: None,
        }
    }

    /// This event with its event type set to `event_type`.
    ///
    /// # Example
    ///
    /// ```
    /// use sse_codec_core::encoder::EventRef;
    ///
    /// let event = EventRef::new("42").with_event_type("progress");
    /// assert_eq!(event.event_type, Some("progress"));
    /// ```
    #[must_use]
    pub const fn with_event_type(self, event_type: &'a str) -> Self {
        Self {
            event_type: Some(event_type),
            ..self
        }
    }

    /// This event with its ID set to `id`.
    ///
    /// # Example
    ///
    /// ```
    /// use sse_codec_core::encoder::EventRef;
    ///
    /// let event = EventRef::new("x").with_id("1001");
    /// assert_eq!(event.id, Some("1001"));
    /// ```
    #[must_use]
    pub const fn with_id(self, id: &'a str) -> Self {
        Self {
            id: Some(id),
            ..self
        }
    }

    /// This event with its reconnection time set to `ms` milliseconds.
    ///
    /// # Example
    ///
    /// ```
    /// use sse_codec_core::encoder::EventRef;
    ///
    /// let mut buf = [0u8; 16];
    /// let n = EventRef::empty().with_retry(5000).encode_to_slice(&mut buf)?;
    /// assert_eq!(&buf[..n], b"retry: 5000\n\n");
    /// # Ok::<(), sse_codec_core::encoder::EncodeError>(())
    /// ```
    #[must_use]
    pub const fn with_retry(self, ms: u64) -> Self {
        Self {
            retry: Some(ms),
            ..self
        }
    }

    /// This event with its data set to `data`.
    ///
    /// # Example
    ///
    /// ```
    /// use sse_codec_core::encoder::EventRef;
    ///
    /// let event = EventRef::empty().with_id("1").with_data("payload");
    /// assert_eq!(event, EventRef::new("payload").with_id("1"));
    /// ```
    #[must_use]
    pub const fn with_data(self, data: &'a str) -> Self {
        Self {
            data: Some(data),
            ..self
        }
    }

    /// Checks that the event can be written.
    ///
    /// The encoding functions make the same check; call this one to reject
    /// an event early.
    ///
    /// # Errors
    ///
    /// In this order of precedence:
    /// - [`EncodeError::LineBreakInEventType`] if the event type contains CR
    ///   or LF;
    /// - [`EncodeError::LineBreakInId`] if the ID contains CR or LF;
    /// - [`EncodeError::NulInId`] if the ID contains U+0000 NULL.
    ///
    /// # Example
    ///
    /// ```
    /// use sse_codec_core::encoder::{EncodeError, EventRef};
    ///
    /// assert_eq!(EventRef::new("any\r\ndata\0is fine").validate(), Ok(()));
    /// assert_eq!(
    ///     EventRef::new("x").with_event_type("a\nb").validate(),
    ///     Err(EncodeError::LineBreakInEventType)
    /// );
    /// assert_eq!(EventRef::new("x").with_id("1\r").validate(), Err(EncodeError::LineBreakInId));
    /// assert_eq!(EventRef::new("x").with_id("1\0").validate(), Err(EncodeError::NulInId));
    /// ```
    pub fn validate(&self) -> Result<(), EncodeError> {
        if let Some(event_type) = self.event_type {
            if has_line_break(event_type.as_bytes()) {
                return Err(EncodeError::LineBreakInEventType);
            }
        }
        if let Some(id) = self.id {
            let id = id.as_bytes();
            if let Some(i) = memchr::memchr3(b'\n', b'\r', 0, id) {
                // A NUL first: a line break after it still takes precedence.
                let rest = id.get(i..).unwrap_or_default();
                return Err(if has_line_break(rest) {
                    EncodeError::LineBreakInId
                } else {
                    EncodeError::NulInId
                });
            }
        }
        Ok(())
    }

    /// Validates the event, finds the first line break in its data and
    /// counts its encoded length: everything the writers need to know first.
    fn plan(&self) -> Result<Plan, EncodeError> {
        self.validate()?;
        self.plan_valid()
    }

    /// [`plan`](Self::plan) for an event already validated.
    fn plan_valid(&self) -> Result<Plan, EncodeError> {
        let data_break = self.data.and_then(find_line_break);
        let mut counter = Counter::default();
        write_event(self, data_break, &mut counter);
        let len = counter.total().ok_or(TOO_LARGE)?;
        Ok(Plan { len, data_break })
    }

    /// At least the encoded length, computed without looking at the data:
    /// each of its line breaks (one or two bytes) becomes at most an LF and
    /// `data: ` (seven bytes), so the data lines take at most seven bytes per
    /// byte of data plus `data: ` and LF. `None` if it overflows `usize`.
    #[cfg(feature = "bytes")]
    fn len_bound(&self) -> Option<usize> {
        // `event: ` + LF, `id: ` + LF, `retry: ` + 20 digits + LF, and the
        // empty line.
        let event_type = self
            .event_type
            .map_or(Some(0), |t| t.len().checked_add(8))?;
        let id = self.id.map_or(Some(0), |id| id.len().checked_add(5))?;
        let retry = if self.retry.is_some() { 28 } else { 0 };
        let data = self.data.map_or(Some(0), |data| {
            data.len().checked_mul(7).and_then(|n| n.checked_add(7))
        })?;
        event_type
            .checked_add(id)?
            .checked_add(retry)?
            .checked_add(data)?
            .checked_add(1)
    }

    /// The exact number of bytes the encoding functions write for this event.
    ///
    /// # Errors
    ///
    /// The errors of [`EventRef::validate`]; and
    /// [`EncodeError::BufferTooSmall`] with `needed: usize::MAX` if the
    /// encoded length does not fit in a `usize` (possible only on 16- and
    /// 32-bit targets, for data of many lines adding up to gigabytes): no
    /// buffer could hold it.
    ///
    /// # Example
    ///
    /// ```
    /// use sse_codec_core::encoder::EventRef;
    ///
    /// let event = EventRef::new("a\nb").with_id("1");
    /// assert_eq!(event.encoded_len(), Ok("id: 1\ndata: a\ndata: b\n\n".len()));
    ///
    /// let mut buf = vec![0u8; event.encoded_len()?];
    /// assert_eq!(event.encode_to_slice(&mut buf), Ok(buf.len()));
    /// # Ok::<(), sse_codec_core::encoder::EncodeError>(())
    /// ```
    pub fn encoded_len(&self) -> Result<usize, EncodeError> {
        self.plan().map(|plan| plan.len)
    }

    /// Writes the event at the start of `out` and returns the number of
    /// bytes written.
    ///
    /// # Errors
    ///
    /// The errors of [`EventRef::encoded_len`], and
    /// [`EncodeError::BufferTooSmall`] if `out` is shorter than the encoded
    /// event; `needed` is then [`EventRef::encoded_len`]. On any error,
    /// `out` is left untouched.
    ///
    /// # Example
    ///
    /// ```
    /// use sse_codec_core::encoder::{EncodeError, EventRef};
    ///
    /// let event = EventRef::new("token").with_event_type("delta");
    /// let mut buf = [0u8; 64];
    /// let n = event.encode_to_slice(&mut buf)?;
    /// assert_eq!(&buf[..n], b"event: delta\ndata: token\n\n");
    ///
    /// let mut small = [0u8; 8];
    /// assert_eq!(
    ///     event.encode_to_slice(&mut small),
    ///     Err(EncodeError::BufferTooSmall { needed: n })
    /// );
    /// assert_eq!(small, [0u8; 8]);
    /// # Ok::<(), EncodeError>(())
    /// ```
    pub fn encode_to_slice(&self, out: &mut [u8]) -> Result<usize, EncodeError> {
        let Plan {
            len: needed,
            data_break,
        } = self.plan()?;
        let dst = out
            .get_mut(..needed)
            .ok_or(EncodeError::BufferTooSmall { needed })?;
        let mut sink = SliceSink { buf: dst };
        write_event(self, data_break, &mut sink);
        debug_assert!(sink.buf.is_empty(), "encoded_len disagrees with the writer");
        Ok(needed)
    }

    /// Appends the event to `out`, growing it at most once.
    ///
    /// # Errors
    ///
    /// The errors of [`EventRef::encoded_len`], and
    /// [`EncodeError::BufferTooSmall`] (with `needed` the encoded length) if
    /// `out` cannot grow by that much. On any error, `out` is left untouched.
    ///
    /// # Example
    ///
    /// ```
    /// use sse_codec_core::encoder::EventRef;
    ///
    /// let mut out = Vec::new();
    /// EventRef::new("one").encode_to_vec(&mut out)?;
    /// EventRef::new("two").with_id("2").encode_to_vec(&mut out)?;
    /// assert_eq!(out, b"data: one\n\nid: 2\ndata: two\n\n");
    /// # Ok::<(), sse_codec_core::encoder::EncodeError>(())
    /// ```
    #[cfg(feature = "alloc")]
    pub fn encode_to_vec(&self, out: &mut alloc::vec::Vec<u8>) -> Result<(), EncodeError> {
        self.validate()?;
        // Into the room `out` already has (a reused buffer): one pass, the
        // data's line breaks found as it is copied. If the room runs out,
        // undo and count first.
        let start = out.len();
        if write_event_in_room(self, out).is_some() {
            return Ok(());
        }
        out.truncate(start);
        let Plan {
            len: needed,
            data_break,
        } = self.plan_valid()?;
        out.try_reserve(needed)
            .map_err(|_| EncodeError::BufferTooSmall { needed })?;
        write_event(self, data_break, &mut VecSink(out));
        Ok(())
    }

    /// Appends the event to `out`, growing it at most once.
    ///
    /// The encoded event is always valid UTF-8: the encoder splits the
    /// data only at CR and LF, and adds only ASCII.
    ///
    /// # Errors
    ///
    /// As [`EventRef::encode_to_vec`]. On any error, `out` is left untouched.
    ///
    /// # Example
    ///
    /// ```
    /// use sse_codec_core::encoder::EventRef;
    ///
    /// let mut out = String::from(": stream start\n");
    /// EventRef::new("héllo").encode_to_string(&mut out)?;
    /// assert_eq!(out, ": stream start\ndata: héllo\n\n");
    /// # Ok::<(), sse_codec_core::encoder::EncodeError>(())
    /// ```
    #[cfg(feature = "alloc")]
    pub fn encode_to_string(&self, out: &mut alloc::string::String) -> Result<(), EncodeError> {
        let Plan {
            len: needed,
            data_break,
        } = self.plan()?;
        out.try_reserve(needed)
            .map_err(|_| EncodeError::BufferTooSmall { needed })?;
        write_event(self, data_break, &mut StringSink(out));
        Ok(())
    }

    /// Writes the event to `out` if it has room for all of it.
    ///
    /// Whether there is room is judged by `remaining_mut()`. A growable
    /// buffer such as `BytesMut` reports nearly `usize::MAX` and grows as it
    /// is written, possibly several times: call its `reserve` with
    /// [`EventRef::encoded_len`] first to grow it once.
    ///
    /// # Errors
    ///
    /// The errors of [`EventRef::encoded_len`], and
    /// [`EncodeError::BufferTooSmall`] if `out.remaining_mut()` is less than
    /// the encoded length. On any error, nothing is written.
    ///
    /// # Example
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use sse_codec_core::encoder::EventRef;
    ///
    /// let event = EventRef::new("shared frame").with_event_type("tick");
    /// let mut buf = BytesMut::with_capacity(event.encoded_len()?);
    /// event.encode_to_buf(&mut buf)?;
    /// // One encoded frame, cheap to clone for every subscriber.
    /// let frame = buf.freeze();
    /// assert_eq!(&frame[..], b"event: tick\ndata: shared frame\n\n");
    /// # Ok::<(), sse_codec_core::encoder::EncodeError>(())
    /// ```
    #[cfg(feature = "bytes")]
    pub fn encode_to_buf<B: bytes::BufMut + ?Sized>(&self, out: &mut B) -> Result<(), EncodeError> {
        self.validate()?;
        // A growable buffer (`BytesMut`, `Vec`) has room for any bound: write
        // in one pass, without counting first.
        if self
            .len_bound()
            .is_some_and(|bound| out.remaining_mut() >= bound)
        {
            let data_break = self.data.and_then(find_line_break);
            write_event(self, data_break, &mut BufSink(out));
            return Ok(());
        }
        let Plan {
            len: needed,
            data_break,
        } = self.plan_valid()?;
        if out.remaining_mut() < needed {
            return Err(EncodeError::BufferTooSmall { needed });
        }
        write_event(self, data_break, &mut BufSink(out));
        Ok(())
    }
}

/// The exact number of bytes the comment functions write for `text`.
///
/// That is one byte for `:` and one for the LF per line of `text`, plus the
/// text less its line breaks. The result saturates at `usize::MAX` if the
/// length does not fit in a `usize` (possible only on 16- and 32-bit
/// targets); encoding such a comment fails with
/// [`EncodeError::BufferTooSmall`].
///
/// # Example
///
/// ```
/// use sse_codec_core::encoder::encoded_comment_len;
///
/// assert_eq!(encoded_comment_len(""), 2); // ":\n"
/// assert_eq!(encoded_comment_len("hi"), 4); // ":hi\n"
/// assert_eq!(encoded_comment_len("a\r\nb"), 6); // ":a\n:b\n"
/// ```
#[must_use]
pub fn encoded_comment_len(text: &str) -> usize {
    comment_plan(text).map_or(usize::MAX, |plan| plan.len)
}

/// Writes `text` as comment lines at the start of `out` and returns the
/// number of bytes written.
///
/// Each line of `text` (split at CRLF, lone CR and lone LF) is written as
/// `:` followed by the line and LF; an empty text gives `:\n`
/// ([`KEEP_ALIVE`]). Receivers ignore comments. Any text can be written.
///
/// # Errors
///
/// [`EncodeError::BufferTooSmall`] if `out` is shorter than
/// [`encoded_comment_len`]; `out` is then left untouched.
///
/// # Example
///
/// ```
/// use sse_codec_core::encoder::{encode_comment_to_slice, EncodeError};
///
/// let mut buf = [0u8; 32];
/// let n = encode_comment_to_slice("hello\nworld", &mut buf)?;
/// assert_eq!(&buf[..n], b":hello\n:world\n");
///
/// assert_eq!(
///     encode_comment_to_slice("hello", &mut buf[..3]),
///     Err(EncodeError::BufferTooSmall { needed: 7 })
/// );
/// # Ok::<(), EncodeError>(())
/// ```
pub fn encode_comment_to_slice(text: &str, out: &mut [u8]) -> Result<usize, EncodeError> {
    let Plan {
        len: needed,
        data_break,
    } = comment_plan(text)?;
    let dst = out
        .get_mut(..needed)
        .ok_or(EncodeError::BufferTooSmall { needed })?;
    let mut sink = SliceSink { buf: dst };
    write_comment(text, data_break, &mut sink);
    debug_assert!(
        sink.buf.is_empty(),
        "comment_plan disagrees with the writer"
    );
    Ok(needed)
}

/// Appends `text` as comment lines to `out`, growing it at most once.
///
/// The lines are written as by [`encode_comment_to_slice`].
///
/// # Errors
///
/// [`EncodeError::BufferTooSmall`] (with `needed` the encoded length) if
/// `out` cannot grow by that much; `out` is then left untouched.
///
/// # Example
///
/// ```
/// use sse_codec_core::encoder::encode_comment_to_vec;
///
/// let mut out = Vec::new();
/// encode_comment_to_vec("", &mut out)?;
/// encode_comment_to_vec("a\rb", &mut out)?;
/// assert_eq!(out, b":\n:a\n:b\n");
/// # Ok::<(), sse_codec_core::encoder::EncodeError>(())
/// ```
#[cfg(feature = "alloc")]
pub fn encode_comment_to_vec(text: &str, out: &mut alloc::vec::Vec<u8>) -> Result<(), EncodeError> {
    let Plan {
        len: needed,
        data_break,
    } = comment_plan(text)?;
    out.try_reserve(needed)
        .map_err(|_| EncodeError::BufferTooSmall { needed })?;
    write_comment(text, data_break, &mut VecSink(out));
    Ok(())
}

/// Appends `text` as comment lines to `out`, growing it at most once.
///
/// The lines are written as by [`encode_comment_to_slice`].
///
/// # Errors
///
/// As [`encode_comment_to_vec`]; `out` is then left untouched.
///
/// # Example
///
/// ```
/// use sse_codec_core::encoder::encode_comment_to_string;
///
/// let mut out = String::new();
/// encode_comment_to_string("server v1.2", &mut out)?;
/// assert_eq!(out, ":server v1.2\n");
/// # Ok::<(), sse_codec_core::encoder::EncodeError>(())
/// ```
#[cfg(feature = "alloc")]
pub fn encode_comment_to_string(
    text: &str,
    out: &mut alloc::string::String,
) -> Result<(), EncodeError> {
    let Plan {
        len: needed,
        data_break,
    } = comment_plan(text)?;
    out.try_reserve(needed)
        .map_err(|_| EncodeError::BufferTooSmall { needed })?;
    write_comment(text, data_break, &mut StringSink(out));
    Ok(())
}

/// Writes `text` as comment lines to `out` if it has room for all of them.
///
/// The lines are written as by [`encode_comment_to_slice`]; room is judged
/// as by [`EventRef::encode_to_buf`].
///
/// # Errors
///
/// [`EncodeError::BufferTooSmall`] if `out.remaining_mut()` is less than
/// [`encoded_comment_len`]; nothing is then written.
///
/// # Example
///
/// ```
/// use bytes::BytesMut;
/// use sse_codec_core::encoder::encode_comment_to_buf;
///
/// let mut buf = BytesMut::new();
/// encode_comment_to_buf("ping", &mut buf)?;
/// assert_eq!(&buf[..], b":ping\n");
/// # Ok::<(), sse_codec_core::encoder::EncodeError>(())
/// ```
#[cfg(feature = "bytes")]
pub fn encode_comment_to_buf<B: bytes::BufMut + ?Sized>(
    text: &str,
    out: &mut B,
) -> Result<(), EncodeError> {
    let Plan {
        len: needed,
        data_break,
    } = comment_plan(text)?;
    if out.remaining_mut() < needed {
        return Err(EncodeError::BufferTooSmall { needed });
    }
    write_comment(text, data_break, &mut BufSink(out));
    Ok(())
}

/// Why an event or a comment was not written.
///
/// Every encoding function is all or nothing: with any of these errors,
/// nothing was written.
///
/// # Example
///
/// ```
/// use sse_codec_core::encoder::{EncodeError, EventRef};
///
/// let err = EventRef::new("x").with_id("a\nb").validate().unwrap_err();
/// assert_eq!(err, EncodeError::LineBreakInId);
/// assert_eq!(
///     err.to_string(),
///     "the event ID contains a line break (CR or LF), which cannot be written in an `id` field"
/// );
/// let boxed: Box<dyn std::error::Error> = Box::new(err);
/// assert!(boxed.to_string().contains("event ID"));
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// The event type contains CR or LF, which would end the `event` line
    /// early at the receiver.
    LineBreakInEventType,
    /// The ID contains CR or LF, which would end the `id` line early at the
    /// receiver.
    LineBreakInId,
    /// The ID contains U+0000 NULL; every receiver ignores such an `id`
    /// field.
    NulInId,
    /// The output buffer cannot hold the encoded event or comment.
    BufferTooSmall {
        /// The exact encoded length in bytes (`usize::MAX` if it does not
        /// fit in a `usize`).
        needed: usize,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LineBreakInEventType => f.write_str(
                "the event type contains a line break (CR or LF), \
                 which cannot be written in an `event` field",
            ),
            Self::LineBreakInId => f.write_str(
                "the event ID contains a line break (CR or LF), \
                 which cannot be written in an `id` field",
            ),
            Self::NulInId => f.write_str(
                "the event ID contains U+0000 NULL, \
                 which makes every receiver ignore the `id` field",
            ),
            Self::BufferTooSmall { needed } => write!(
                f,
                "the output buffer is too small: the encoded output needs {needed} bytes"
            ),
        }
    }
}

impl core::error::Error for EncodeError {}

// ---------------------------------------------------------------------------
// Internals: one writer, generic over where its pieces go, so that the length
// count and every sink see exactly the same pieces.

/// The error for an encoded length that overflows `usize`.
const TOO_LARGE: EncodeError = EncodeError::BufferTooSmall { needed: usize::MAX };

/// Where the writer puts its pieces. Pieces are `&str` so that a `String`
/// can be a sink without re-validating UTF-8.
trait Sink {
    fn put(&mut self, piece: &str);
}

/// Counts the bytes instead of writing them.
#[derive(Default)]
struct Counter {
    len: usize,
    overflow: bool,
}

impl Counter {
    const fn total(&self) -> Option<usize> {
        if self.overflow {
            None
        } else {
            Some(self.len)
        }
    }
}

impl Sink for Counter {
    #[inline]
    fn put(&mut self, piece: &str) {
        match self.len.checked_add(piece.len()) {
            Some(len) => self.len = len,
            None => self.overflow = true,
        }
    }
}

/// Writes to the front of a slice already cut to the exact encoded length.
struct SliceSink<'b> {
    buf: &'b mut [u8],
}

impl Sink for SliceSink<'_> {
    #[inline]
    fn put(&mut self, piece: &str) {
        let bytes = piece.as_bytes();
        // Never fails: the slice is exactly as long as the counted pieces.
        if let Some((head, tail)) = core::mem::take(&mut self.buf).split_at_mut_checked(bytes.len())
        {
            head.copy_from_slice(bytes);
            self.buf = tail;
        }
    }
}

#[cfg(feature = "alloc")]
struct VecSink<'b>(&'b mut alloc::vec::Vec<u8>);

#[cfg(feature = "alloc")]
impl Sink for VecSink<'_> {
    #[inline]
    fn put(&mut self, piece: &str) {
        self.0.extend_from_slice(piece.as_bytes());
    }
}

#[cfg(feature = "alloc")]
struct StringSink<'b>(&'b mut alloc::string::String);

#[cfg(feature = "alloc")]
impl Sink for StringSink<'_> {
    #[inline]
    fn put(&mut self, piece: &str) {
        self.0.push_str(piece);
    }
}

#[cfg(feature = "bytes")]
struct BufSink<'b, B: bytes::BufMut + ?Sized>(&'b mut B);

#[cfg(feature = "bytes")]
impl<B: bytes::BufMut + ?Sized> Sink for BufSink<'_, B> {
    #[inline]
    fn put(&mut self, piece: &str) {
        self.0.put_slice(piece.as_bytes());
    }
}

/// What a writer needs to know before it writes: the exact length, and
/// where the first line break of the data (or comment text) is, so that the
/// writer does not scan for it again.
struct Plan {
    len: usize,
    data_break: Option<usize>,
}

/// The index of the first CR or LF in `s`.
#[inline]
fn find_line_break(s: &str) -> Option<usize> {
    memchr::memchr2(b'\n', b'\r', s.as_bytes())
}

/// Whether `s` contains CR or LF.
#[inline]
fn has_line_break(s: &[u8]) -> bool {
    memchr::memchr2(b'\n', b'\r', s).is_some()
}

/// Writes one line: `with_value` + `value` + LF, or `empty` (which ends in
/// LF) when `value` is empty. `value` contains no CR or LF.
#[inline]
fn put_line<S: Sink>(sink: &mut S, with_value: &str, empty: &str, value: &str) {
    put_line_ending(sink, with_value, empty, value, "\n");
}

/// `put_line` with the line ended by `end` (which `empty` ends with too):
/// the last data line and the empty line after it are put as one piece.
#[inline]
fn put_line_ending<S: Sink>(sink: &mut S, with_value: &str, empty: &str, value: &str, end: &str) {
    if value.is_empty() {
        sink.put(empty);
    } else {
        sink.put(with_value);
        sink.put(value);
        sink.put(end);
    }
}

/// The pieces of a field written once per line of its value: `with_value`
/// and `empty` as for `put_line`, and the same for the last line, which
/// ends with `last_end` (and `last_empty` with it).
struct Lines {
    with_value: &'static str,
    empty: &'static str,
    last_empty: &'static str,
    last_end: &'static str,
}

/// `data` lines, the last one followed by the empty line that ends the event.
const DATA_LINES: Lines = Lines {
    with_value: "data: ",
    empty: "data:\n",
    last_empty: "data:\n\n",
    last_end: "\n\n",
};

/// Comment lines.
const COMMENT_LINES: Lines = Lines {
    with_value: ":",
    empty: ":\n",
    last_empty: ":\n",
    last_end: "\n",
};

/// Writes one line per line of `text` (split at CRLF, lone CR, lone LF),
/// as `put_line` does. `first_break` is `find_line_break(text)`, found once
/// by the plan.
#[inline(always)]
fn put_lines<S: Sink>(sink: &mut S, lines: &Lines, text: &str, first_break: Option<usize>) {
    let mut rest = text;
    let mut next = first_break;
    while let Some(i) = next {
        // `i` is the index of an ASCII byte, hence a char boundary: never
        // `None`.
        let Some((line, tail)) = rest.split_at_checked(i) else {
            break;
        };
        put_line(sink, lines.with_value, lines.empty, line);
        let skip = if tail.as_bytes().starts_with(b"\r\n") {
            2
        } else {
            1
        };
        rest = tail.get(skip..).unwrap_or_default();
        next = find_line_break(rest);
    }
    put_line_ending(
        sink,
        lines.with_value,
        lines.last_empty,
        rest,
        lines.last_end,
    );
}

/// Writes the event, which has been validated; `data_break` is
/// `find_line_break` of its data.
#[inline(always)]
fn write_event<S: Sink>(event: &EventRef<'_>, data_break: Option<usize>, sink: &mut S) {
    if let Some(event_type) = event.event_type {
        put_line(sink, "event: ", "event:\n", event_type);
    }
    if let Some(id) = event.id {
        put_line(sink, "id: ", "id:\n", id);
    }
    if let Some(ms) = event.retry {
        let mut digits = [0u8; 20];
        put_line(sink, "retry: ", "retry:\n", format_u64(ms, &mut digits));
    }
    match event.data {
        Some(data) => put_lines(sink, &DATA_LINES, data, data_break),
        None => sink.put("\n"),
    }
}

/// The size of the blocks in which [`write_event_in_room`] looks for line
/// breaks in the data and copies it: small enough to be in the L1 cache still
/// when it is copied, right after it was searched.
#[cfg(feature = "alloc")]
const BLOCK: usize = 4096;

/// Appends `piece` to `out` if it fits in `out`'s spare capacity; `None`,
/// with nothing written, if it does not.
#[cfg(feature = "alloc")]
#[inline]
fn put_in_room(out: &mut alloc::vec::Vec<u8>, piece: &[u8]) -> Option<()> {
    if out.spare_capacity_mut().len() < piece.len() {
        return None;
    }
    out.extend_from_slice(piece);
    Some(())
}

/// Writes a line of a field that cannot contain line breaks, as `put_line`.
#[cfg(feature = "alloc")]
#[inline]
fn put_line_in_room(
    out: &mut alloc::vec::Vec<u8>,
    with_value: &str,
    empty: &str,
    value: &str,
) -> Option<()> {
    if value.is_empty() {
        put_in_room(out, empty.as_bytes())
    } else {
        put_in_room(out, with_value.as_bytes())?;
        put_in_room(out, value.as_bytes())?;
        put_in_room(out, b"\n")
    }
}

/// Writes the (validated) event into the spare capacity of `out`, in one
/// pass: the data is searched for line breaks a block at a time and each
/// block is copied right after it was searched. Never grows `out`: returns
/// `None`, with `out` partly written, as soon as a piece does not fit; the
/// caller truncates it. At most the spare capacity plus one block is
/// searched in vain then.
#[cfg(feature = "alloc")]
#[allow(
    clippy::arithmetic_side_effects,
    reason = "`pos + i` and `pos + block.len()` are at most `rest.len()`"
)]
fn write_event_in_room(event: &EventRef<'_>, out: &mut alloc::vec::Vec<u8>) -> Option<()> {
    if let Some(event_type) = event.event_type {
        put_line_in_room(out, "event: ", "event:\n", event_type)?;
    }
    if let Some(id) = event.id {
        put_line_in_room(out, "id: ", "id:\n", id)?;
    }
    if let Some(ms) = event.retry {
        let mut digits = [0u8; 20];
        put_line_in_room(out, "retry: ", "retry:\n", format_u64(ms, &mut digits))?;
    }
    if let Some(data) = event.data {
        // The data lines take more than the data: give up before searching
        // it when it cannot fit (a new, empty Vec).
        if out.spare_capacity_mut().len() < data.len() {
            return None;
        }
        let mut rest = data.as_bytes();
        // One `data` line per iteration: `rest` up to its first line break.
        // The last line is written with the empty line that ends the event.
        loop {
            if rest.is_empty() {
                return put_in_room(out, b"data:\n\n");
            }
            let mut block = rest.get(..BLOCK).unwrap_or(rest);
            let mut found = memchr::memchr2(b'\n', b'\r', block);
            let end = if found == Some(0) {
                put_in_room(out, b"data:\n")?;
                0
            } else {
                put_in_room(out, b"data: ")?;
                let mut pos = 0;
                loop {
                    if let Some(i) = found {
                        put_in_room(out, block.get(..i).unwrap_or_default())?;
                        put_in_room(out, b"\n")?;
                        break pos + i;
                    }
                    put_in_room(out, block)?;
                    pos += block.len();
                    let tail = rest.get(pos..).unwrap_or_default();
                    if tail.is_empty() {
                        return put_in_room(out, b"\n\n");
                    }
                    block = tail.get(..BLOCK).unwrap_or(tail);
                    found = memchr::memchr2(b'\n', b'\r', block);
                }
            };
            let tail = rest.get(end..).unwrap_or_default();
            let skip = if tail.starts_with(b"\r\n") { 2 } else { 1 };
            rest = tail.get(skip..).unwrap_or_default();
        }
    }
    put_in_room(out, b"\n")
}

/// Writes `text` as comment lines; `first_break` is `find_line_break(text)`.
fn write_comment<S: Sink>(text: &str, first_break: Option<usize>, sink: &mut S) {
    put_lines(sink, &COMMENT_LINES, text, first_break);
}

/// The plan for writing `text` as comment lines.
fn comment_plan(text: &str) -> Result<Plan, EncodeError> {
    let data_break = find_line_break(text);
    let mut counter = Counter::default();
    write_comment(text, data_break, &mut counter);
    let len = counter.total().ok_or(TOO_LARGE)?;
    Ok(Plan { len, data_break })
}

/// Formats `n` in decimal at the end of `buf` (20 bytes hold `u64::MAX`).
#[allow(
    clippy::arithmetic_side_effects,
    reason = "`n % 10` is below 10, so `b'0' + digit` is an ASCII digit"
)]
fn format_u64(mut n: u64, buf: &mut [u8; 20]) -> &str {
    let mut start = buf.len();
    for (i, slot) in buf.iter_mut().enumerate().rev() {
        // `n % 10 < 10`: the cast is exact.
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
        start = i;
        if n == 0 {
            break;
        }
    }
    // ASCII digits only: always valid UTF-8.
    core::str::from_utf8(buf.get(start..).unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::string::{String, ToString};
    use std::vec;
    use std::vec::Vec;

    /// Encodes into a slice, checking the length agrees with `encoded_len`.
    fn enc(event: &EventRef<'_>) -> Result<Vec<u8>, EncodeError> {
        let needed = event.encoded_len();
        let mut buf = vec![0xAAu8; 4096];
        let result = event.encode_to_slice(&mut buf);
        match result {
            Ok(n) => {
                assert_eq!(needed, Ok(n), "encoded_len != written for {event:?}");
                assert!(buf[n..].iter().all(|&b| b == 0xAA), "wrote past the end");
                buf.truncate(n);
                Ok(buf)
            }
            Err(e) => {
                assert_eq!(needed, Err(e));
                assert!(buf.iter().all(|&b| b == 0xAA), "wrote on error");
                Err(e)
            }
        }
    }

    fn enc_str(event: &EventRef<'_>) -> String {
        String::from_utf8(enc(event).expect("valid event")).expect("utf-8")
    }

    fn comment(text: &str) -> String {
        let mut buf = vec![0u8; encoded_comment_len(text)];
        let n = encode_comment_to_slice(text, &mut buf).expect("fits");
        assert_eq!(n, buf.len());
        String::from_utf8(buf).expect("utf-8")
    }

    // ---- golden outputs ---------------------------------------------------

    #[test]
    fn golden_message_only() {
        assert_eq!(enc_str(&EventRef::new("hello")), "data: hello\n\n");
        assert_eq!(
            enc_str(&EventRef::new(r#"{"token":"Hi"}"#)),
            "data: {\"token\":\"Hi\"}\n\n"
        );
    }

    #[test]
    fn golden_all_fields_in_order() {
        let expected = "event: update\nid: 42\nretry: 3000\ndata: payload\n\n";
        let a = EventRef::new("payload")
            .with_event_type("update")
            .with_id("42")
            .with_retry(3000);
        let b = EventRef::empty()
            .with_retry(3000)
            .with_id("42")
            .with_data("payload")
            .with_event_type("update");
        assert_eq!(a, b);
        assert_eq!(enc_str(&a), expected);
        assert_eq!(enc_str(&b), expected);
    }

    #[test]
    fn golden_single_fields_without_data() {
        assert_eq!(enc_str(&EventRef::empty()), "\n");
        assert_eq!(enc_str(&EventRef::default()), "\n");
        assert_eq!(enc_str(&EventRef::empty().with_id("7")), "id: 7\n\n");
        assert_eq!(
            enc_str(&EventRef::empty().with_retry(5000)),
            "retry: 5000\n\n"
        );
        assert_eq!(
            enc_str(&EventRef::empty().with_event_type("x")),
            "event: x\n\n"
        );
    }

    #[test]
    fn golden_retry_extremes() {
        assert_eq!(enc_str(&EventRef::empty().with_retry(0)), "retry: 0\n\n");
        assert_eq!(enc_str(&EventRef::empty().with_retry(9)), "retry: 9\n\n");
        assert_eq!(enc_str(&EventRef::empty().with_retry(10)), "retry: 10\n\n");
        assert_eq!(
            enc_str(&EventRef::empty().with_retry(u64::MAX)),
            "retry: 18446744073709551615\n\n"
        );
        for ms in [1u64, 99, 100, 12345, 1 << 40, u64::MAX - 1] {
            let s = enc_str(&EventRef::empty().with_retry(ms));
            assert_eq!(s, std::format!("retry: {ms}\n\n"));
        }
    }

    #[test]
    fn golden_multiline_data() {
        let want = "data: a\ndata: b\ndata: c\n\n";
        assert_eq!(enc_str(&EventRef::new("a\nb\nc")), want);
        assert_eq!(enc_str(&EventRef::new("a\rb\rc")), want);
        assert_eq!(enc_str(&EventRef::new("a\r\nb\r\nc")), want);
        assert_eq!(enc_str(&EventRef::new("a\r\nb\rc")), want);
        assert_eq!(enc_str(&EventRef::new("a\nb\r\nc")), want);
        // Two line breaks, not one: LF CR, CR CR.
        assert_eq!(
            enc_str(&EventRef::new("a\n\rb")),
            "data: a\ndata:\ndata: b\n\n"
        );
        assert_eq!(
            enc_str(&EventRef::new("a\r\rb")),
            "data: a\ndata:\ndata: b\n\n"
        );
        assert_eq!(
            enc_str(&EventRef::new("a\r\r\nb")),
            "data: a\ndata:\ndata: b\n\n"
        );
        assert_eq!(
            enc_str(&EventRef::new("a\n\nb")),
            "data: a\ndata:\ndata: b\n\n"
        );
    }

    #[test]
    fn golden_trailing_and_leading_line_breaks() {
        let trailing = "data: a\ndata:\n\n";
        assert_eq!(enc_str(&EventRef::new("a\n")), trailing);
        assert_eq!(enc_str(&EventRef::new("a\r")), trailing);
        assert_eq!(enc_str(&EventRef::new("a\r\n")), trailing);
        let leading = "data:\ndata: a\n\n";
        assert_eq!(enc_str(&EventRef::new("\na")), leading);
        assert_eq!(enc_str(&EventRef::new("\ra")), leading);
        assert_eq!(enc_str(&EventRef::new("\r\na")), leading);
        assert_eq!(enc_str(&EventRef::new("\n")), "data:\ndata:\n\n");
        assert_eq!(enc_str(&EventRef::new("\r\n")), "data:\ndata:\n\n");
        assert_eq!(enc_str(&EventRef::new("\n\n")), "data:\ndata:\ndata:\n\n");
    }

    #[test]
    fn golden_leading_spaces_survive() {
        assert_eq!(enc_str(&EventRef::new(" a")), "data:  a\n\n");
        assert_eq!(enc_str(&EventRef::new("  a ")), "data:   a \n\n");
        assert_eq!(enc_str(&EventRef::new(" ")), "data:  \n\n");
        assert_eq!(enc_str(&EventRef::new("x\n y")), "data: x\ndata:  y\n\n");
        assert_eq!(
            enc_str(&EventRef::new("d").with_event_type(" t").with_id(" 1")),
            "event:  t\nid:  1\ndata: d\n\n"
        );
        // A tab is not stripped by the receiver, but is written the same way.
        assert_eq!(enc_str(&EventRef::new("\ta")), "data: \ta\n\n");
    }

    #[test]
    fn golden_empty_values() {
        assert_eq!(enc_str(&EventRef::new("")), "data:\n\n");
        assert_eq!(enc_str(&EventRef::new("x").with_id("")), "id:\ndata: x\n\n");
        assert_eq!(enc_str(&EventRef::empty().with_id("")), "id:\n\n");
        assert_eq!(
            enc_str(&EventRef::new("").with_event_type("")),
            "event:\ndata:\n\n"
        );
    }

    #[test]
    fn golden_unicode_and_non_breaks() {
        assert_eq!(
            enc_str(
                &EventRef::new("héllo ✓ 😀")
                    .with_event_type("ünï")
                    .with_id("идент")
            ),
            "event: ünï\nid: идент\ndata: héllo ✓ 😀\n\n"
        );
        // U+2028, U+2029, U+0085, NUL, VT, FF and a BOM are not SSE line breaks.
        let tricky = "a\u{2028}b\u{2029}c\u{85}d\0e\u{0B}f\u{0C}g\u{FEFF}h";
        assert_eq!(
            enc_str(&EventRef::new(tricky)),
            std::format!("data: {tricky}\n\n")
        );
        assert_eq!(
            enc_str(&EventRef::new("x").with_event_type("t\u{2028}\u{85}\0")),
            "event: t\u{2028}\u{85}\0\ndata: x\n\n"
        );
        assert_eq!(
            enc_str(&EventRef::new("x").with_id("i\u{2028}\u{85}")),
            "id: i\u{2028}\u{85}\ndata: x\n\n"
        );
        // Multi-byte characters right next to line breaks.
        assert_eq!(
            enc_str(&EventRef::new("é\r\n😀\rü\n")),
            "data: é\ndata: 😀\ndata: ü\ndata:\n\n"
        );
    }

    #[test]
    fn golden_field_like_data() {
        assert_eq!(
            enc_str(&EventRef::new("x\revent: evil")),
            "data: x\ndata: event: evil\n\n"
        );
        assert_eq!(
            enc_str(&EventRef::new("x\r\nid: 1")),
            "data: x\ndata: id: 1\n\n"
        );
        assert_eq!(
            enc_str(&EventRef::new("\ndata: y")),
            "data:\ndata: data: y\n\n"
        );
        assert_eq!(
            enc_str(&EventRef::new(": not a comment")),
            "data: : not a comment\n\n"
        );
    }

    #[test]
    fn const_construction() {
        const E: EventRef<'static> = EventRef::new("d")
            .with_event_type("t")
            .with_id("i")
            .with_retry(1);
        const F: EventRef<'static> = EventRef::empty().with_data("d");
        assert_eq!(enc_str(&E), "event: t\nid: i\nretry: 1\ndata: d\n\n");
        assert_eq!(F, EventRef::new("d"));
        assert_eq!(EventRef::empty(), EventRef::default());
    }

    // ---- refusals ---------------------------------------------------------

    fn refused() -> Vec<(EventRef<'static>, EncodeError)> {
        let mut cases = Vec::new();
        for bad in ["\r", "\n", "\r\n", "a\rb", "a\nb", "a\r\nb", "ab\n", "\rab"] {
            cases.push((
                EventRef::new("data").with_event_type(bad),
                EncodeError::LineBreakInEventType,
            ));
            cases.push((
                EventRef::new("data").with_id(bad),
                EncodeError::LineBreakInId,
            ));
            cases.push((
                EventRef::empty().with_id(bad).with_retry(1),
                EncodeError::LineBreakInId,
            ));
        }
        for bad in ["\0", "a\0", "\0a", "a\0b"] {
            cases.push((EventRef::new("data").with_id(bad), EncodeError::NulInId));
            cases.push((EventRef::empty().with_id(bad), EncodeError::NulInId));
        }
        // Precedence: event type first, then line breaks in the ID, then NUL.
        cases.push((
            EventRef::new("d").with_event_type("a\n").with_id("\0"),
            EncodeError::LineBreakInEventType,
        ));
        cases.push((
            EventRef::new("d").with_id("\0\n"),
            EncodeError::LineBreakInId,
        ));
        cases.push((
            EventRef::new("d").with_id("\n\0"),
            EncodeError::LineBreakInId,
        ));
        cases.push((
            EventRef::new("d").with_id("a\0b\0c\rd"),
            EncodeError::LineBreakInId,
        ));
        let long_nul = "0123456789abcdef0123456789abcdef\0";
        cases.push((EventRef::new("d").with_id(long_nul), EncodeError::NulInId));
        let long_break = "0123456789abcdef0123456789abcdef\0 0123456789abcdef\r";
        cases.push((
            EventRef::new("d").with_id(long_break),
            EncodeError::LineBreakInId,
        ));
        let long_type = "0123456789abcdef0123456789abcdef0123456789abcdef\n";
        cases.push((
            EventRef::new("d").with_event_type(long_type),
            EncodeError::LineBreakInEventType,
        ));
        cases
    }

    #[test]
    fn refusals_write_nothing_to_slices() {
        for (event, err) in refused() {
            assert_eq!(event.validate(), Err(err), "{event:?}");
            assert_eq!(event.encoded_len(), Err(err), "{event:?}");
            for len in [0usize, 1, 10, 1000] {
                let mut buf = vec![0x5Au8; len];
                assert_eq!(event.encode_to_slice(&mut buf), Err(err), "{event:?}");
                assert!(buf.iter().all(|&b| b == 0x5A), "{event:?} wrote");
            }
        }
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn refusals_write_nothing_to_vec_and_string() {
        for (event, err) in refused() {
            let mut v = b"prefix".to_vec();
            assert_eq!(event.encode_to_vec(&mut v), Err(err));
            assert_eq!(v, b"prefix");
            let mut s = String::from("prefix");
            assert_eq!(event.encode_to_string(&mut s), Err(err));
            assert_eq!(s, "prefix");
        }
    }

    #[cfg(feature = "bytes")]
    #[test]
    fn refusals_write_nothing_to_bufmut() {
        for (event, err) in refused() {
            let mut b = bytes::BytesMut::from(&b"prefix"[..]);
            assert_eq!(event.encode_to_buf(&mut b), Err(err));
            assert_eq!(&b[..], b"prefix");
            let mut arr = [0x5Au8; 64];
            let mut window: &mut [u8] = &mut arr[..];
            assert_eq!(event.encode_to_buf(&mut window), Err(err));
            assert_eq!(window.len(), 64);
            assert!(arr.iter().all(|&b| b == 0x5A));
        }
    }

    #[test]
    fn data_is_never_refused() {
        for data in ["\r", "\n", "\r\n", "\0", "\0\r\n\0", "event: x\rid: \0"] {
            assert_eq!(EventRef::new(data).validate(), Ok(()));
            assert!(enc(&EventRef::new(data)).is_ok());
        }
    }

    // ---- buffer sizes -----------------------------------------------------

    fn typical() -> Vec<EventRef<'static>> {
        vec![
            EventRef::empty(),
            EventRef::new(""),
            EventRef::new("hello"),
            EventRef::new("a\nb\r\nc\rd\n"),
            EventRef::new("\r\n\r\n"),
            EventRef::new(" lead").with_event_type(" t").with_id(" i"),
            EventRef::new("x")
                .with_event_type("update")
                .with_id("42")
                .with_retry(3000),
            EventRef::empty().with_id(""),
            EventRef::empty().with_retry(u64::MAX),
            EventRef::new("héllo\u{2028}😀\r\n✓").with_event_type("ü"),
            EventRef::new("x\revent: evil\r\nid: 1\ndata: y"),
        ]
    }

    #[test]
    fn buffer_too_small_for_every_shorter_length() {
        for event in typical() {
            let needed = event.encoded_len().expect("valid");
            let expected = enc(&event).expect("valid");
            assert_eq!(expected.len(), needed);
            for len in 0..needed {
                let mut buf = vec![0xC3u8; len];
                assert_eq!(
                    event.encode_to_slice(&mut buf),
                    Err(EncodeError::BufferTooSmall { needed }),
                    "{event:?} into {len}"
                );
                assert!(buf.iter().all(|&b| b == 0xC3), "{event:?} wrote");
            }
            let mut exact = vec![0u8; needed];
            assert_eq!(event.encode_to_slice(&mut exact), Ok(needed));
            assert_eq!(exact, expected);
            let mut longer = vec![0xC3u8; needed + 7];
            assert_eq!(event.encode_to_slice(&mut longer), Ok(needed));
            assert_eq!(&longer[..needed], &expected[..]);
            assert!(longer[needed..].iter().all(|&b| b == 0xC3));
        }
    }

    #[test]
    fn comment_buffer_too_small_for_every_shorter_length() {
        for text in ["", "hi", "a\r\nb\rc\n", "\n", "é😀"] {
            let needed = encoded_comment_len(text);
            for len in 0..needed {
                let mut buf = vec![0xC3u8; len];
                assert_eq!(
                    encode_comment_to_slice(text, &mut buf),
                    Err(EncodeError::BufferTooSmall { needed })
                );
                assert!(buf.iter().all(|&b| b == 0xC3));
            }
            let mut exact = vec![0u8; needed];
            assert_eq!(encode_comment_to_slice(text, &mut exact), Ok(needed));
        }
    }

    #[cfg(feature = "bytes")]
    #[test]
    fn bufmut_too_small_writes_nothing() {
        for event in typical() {
            let needed = event.encoded_len().expect("valid");
            for len in 0..needed {
                let mut arr = vec![0xC3u8; len];
                let mut window: &mut [u8] = &mut arr[..];
                assert_eq!(
                    event.encode_to_buf(&mut window),
                    Err(EncodeError::BufferTooSmall { needed })
                );
                assert_eq!(window.len(), len);
                assert!(arr.iter().all(|&b| b == 0xC3));
            }
            let mut arr = vec![0u8; needed];
            let mut window: &mut [u8] = &mut arr[..];
            assert_eq!(event.encode_to_buf(&mut window), Ok(()));
            assert!(window.is_empty());
            assert_eq!(arr, enc(&event).expect("valid"));
        }
        let mut arr = [0xC3u8; 3];
        let mut window: &mut [u8] = &mut arr[..];
        assert_eq!(
            encode_comment_to_buf("hello", &mut window),
            Err(EncodeError::BufferTooSmall { needed: 7 })
        );
        assert_eq!(arr, [0xC3; 3]);
    }

    // ---- sinks agree ------------------------------------------------------

    #[cfg(feature = "alloc")]
    #[test]
    fn vec_and_string_sinks_equal_slice_output() {
        for event in typical().into_iter().chain(random_events(500, 7)) {
            let Ok(expected) = enc(&event) else { continue };
            let mut v = b"pre".to_vec();
            event.encode_to_vec(&mut v).expect("valid");
            assert_eq!(&v[..3], b"pre");
            assert_eq!(&v[3..], &expected[..]);
            let mut s = String::from("pré");
            event.encode_to_string(&mut s).expect("valid");
            assert_eq!(&s.as_bytes()[.."pré".len()], "pré".as_bytes());
            assert_eq!(&s.as_bytes()["pré".len()..], &expected[..]);
        }
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn vec_reserves_once_and_enough() {
        let data = "line\r\n".repeat(100);
        let event = EventRef::new(&data).with_id("1");
        let mut v = Vec::new();
        event.encode_to_vec(&mut v).expect("valid");
        assert_eq!(v.len(), event.encoded_len().expect("valid"));
        // An exactly sized Vec does not grow when the event fits.
        let mut v = Vec::with_capacity(event.encoded_len().expect("valid"));
        let cap = v.capacity();
        event.encode_to_vec(&mut v).expect("valid");
        assert_eq!(v.capacity(), cap);
    }

    /// `encode_to_vec` into a buffer with `room` bytes of spare capacity
    /// after a prefix: the output is `expected`, and the buffer grew only if
    /// it had to, and then once.
    #[cfg(feature = "alloc")]
    fn check_vec_with_room(event: &EventRef<'_>, expected: &[u8], room: usize) {
        let mut v = Vec::with_capacity(3 + room);
        v.extend_from_slice(b"pre");
        let cap = v.capacity();
        event.encode_to_vec(&mut v).expect("valid");
        assert_eq!(&v[..3], b"pre");
        assert_eq!(&v[3..], expected, "{event:?} with room {room}");
        if cap - 3 >= expected.len() {
            assert_eq!(v.capacity(), cap, "grew with room {room}: {event:?}");
        }
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn vec_with_room_equals_slice_output_at_every_capacity() {
        // The one-pass path (the event fits in the room) and its fallback
        // (it does not, found out at every possible piece) agree with the
        // slice encoder.
        for event in typical().into_iter().chain(random_events(300, 13)) {
            let Ok(expected) = enc(&event) else { continue };
            for room in 0..=expected.len() + 1 {
                check_vec_with_room(&event, &expected, room);
            }
            check_vec_with_room(&event, &expected, 4096);
        }
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn vec_with_room_splits_long_data_at_block_edges() {
        // Line breaks, CRLF and multi-byte characters on both sides of the
        // 4 KiB blocks in which the one-pass path searches and copies.
        let unit = "abcdefghijklmnopqrstuvwxyz0123456789é€😀";
        for brk in ["\n", "\r", "\r\n"] {
            for at in [0, 1, 4093, 4094, 4095, 4096, 4097, 8191, 8192, 8193] {
                for len in [4095, 4096, 4097, 8192, 9000] {
                    let mut d: String = unit.repeat(len / unit.len() + 1);
                    while d.len() > len {
                        d.pop();
                    }
                    let at = (0..=at.min(d.len()))
                        .rev()
                        .find(|&i| d.is_char_boundary(i))
                        .expect("0 is a boundary");
                    d.insert_str(at, brk);
                    let e = EventRef::new(&d).with_id("9");
                    let expected = reference(&e).into_bytes();
                    check_vec_with_room(&e, &expected, expected.len());
                    check_vec_with_room(&e, &expected, expected.len() - 1);
                    check_vec_with_room(&e, &expected, 5000);
                    check_vec_with_room(&e, &expected, 20_000);
                }
            }
        }
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn vec_with_room_refusals_write_nothing() {
        for (event, err) in refused() {
            let mut v = Vec::with_capacity(4096);
            v.extend_from_slice(b"pre");
            assert_eq!(event.encode_to_vec(&mut v), Err(err));
            assert_eq!(v, b"pre");
        }
    }

    #[cfg(feature = "bytes")]
    #[test]
    fn bufmut_every_room_up_to_the_bound() {
        // With room for the bound the event is written in one pass, below it
        // counted first: both write exactly the slice encoder's bytes, and
        // nothing past them.
        for event in typical().into_iter().chain(random_events(300, 17)) {
            let Ok(expected) = enc(&event) else { continue };
            let bound = event.len_bound().expect("small event");
            assert!(bound >= expected.len(), "{event:?}");
            for room in [
                expected.len(),
                expected.len() + 1,
                bound - 1,
                bound,
                bound + 1,
            ] {
                let mut arr = vec![0xC3u8; room.max(expected.len())];
                let mut window: &mut [u8] = &mut arr[..];
                assert_eq!(event.encode_to_buf(&mut window), Ok(()));
                assert_eq!(&arr[..expected.len()], &expected[..], "{event:?}");
                assert!(arr[expected.len()..].iter().all(|&b| b == 0xC3));
            }
        }
    }

    #[cfg(feature = "bytes")]
    #[test]
    fn bufmut_sink_equals_slice_output() {
        for event in typical().into_iter().chain(random_events(500, 11)) {
            let Ok(expected) = enc(&event) else { continue };
            let mut b = bytes::BytesMut::from(&b"pre"[..]);
            event.encode_to_buf(&mut b).expect("valid");
            assert_eq!(&b[..3], b"pre");
            assert_eq!(&b[3..], &expected[..]);
            let mut v: Vec<u8> = Vec::new();
            event.encode_to_buf(&mut v).expect("valid");
            assert_eq!(v, expected);
            // Through a trait object too.
            let mut v2: Vec<u8> = Vec::new();
            let dynbuf: &mut dyn bytes::BufMut = &mut v2;
            event.encode_to_buf(dynbuf).expect("valid");
            assert_eq!(v2, expected);
        }
    }

    // ---- comments ---------------------------------------------------------

    #[test]
    fn comments_golden() {
        assert_eq!(comment(""), ":\n");
        assert_eq!(comment(""), KEEP_ALIVE);
        assert_eq!(comment("hi"), ":hi\n");
        assert_eq!(comment(" hi"), ": hi\n");
        assert_eq!(comment("a\nb"), ":a\n:b\n");
        assert_eq!(comment("a\rb"), ":a\n:b\n");
        assert_eq!(comment("a\r\nb"), ":a\n:b\n");
        assert_eq!(comment("a\r\nb\rc\n"), ":a\n:b\n:c\n:\n");
        assert_eq!(comment("\n"), ":\n:\n");
        assert_eq!(comment("\r\r\n"), ":\n:\n:\n");
        assert_eq!(comment("x\ndata: evil"), ":x\n:data: evil\n");
        assert_eq!(comment("é\u{2028}😀"), ":é\u{2028}😀\n");
        assert_eq!(encoded_comment_len(""), KEEP_ALIVE.len());
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn comment_sinks_agree() {
        for text in ["", "hi", "a\r\nb\rc\n", "\n\r", "é😀\r"] {
            let expected = comment(text);
            let mut v = b"p".to_vec();
            encode_comment_to_vec(text, &mut v).expect("fits");
            assert_eq!(&v[1..], expected.as_bytes());
            let mut s = String::from("p");
            encode_comment_to_string(text, &mut s).expect("fits");
            assert_eq!(&s[1..], expected);
            #[cfg(feature = "bytes")]
            {
                let mut b = bytes::BytesMut::new();
                encode_comment_to_buf(text, &mut b).expect("fits");
                assert_eq!(&b[..], expected.as_bytes());
            }
        }
    }

    // ---- errors -----------------------------------------------------------

    #[test]
    fn error_messages_name_the_field() {
        let t = EncodeError::LineBreakInEventType.to_string();
        assert!(t.contains("event type") && t.contains("line break"), "{t}");
        let i = EncodeError::LineBreakInId.to_string();
        assert!(i.contains("event ID") && i.contains("line break"), "{i}");
        let n = EncodeError::NulInId.to_string();
        assert!(n.contains("event ID") && n.contains("NULL"), "{n}");
        let b = EncodeError::BufferTooSmall { needed: 42 }.to_string();
        assert!(b.contains("42") && b.contains("buffer"), "{b}");
        let dynerr: &dyn core::error::Error = &EncodeError::NulInId;
        assert!(dynerr.source().is_none());
    }

    #[test]
    fn format_u64_matches_core() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..2000 {
            let n = rng.next() >> (rng.next() % 64);
            let mut buf = [0u8; 20];
            assert_eq!(format_u64(n, &mut buf), n.to_string());
        }
    }

    // ---- test-only decoder: lines, fields, dispatch -----------------------

    /// Splits a stream into complete lines at CRLF, lone CR and lone LF.
    fn split_lines(stream: &str) -> (Vec<&str>, &str) {
        let mut lines = Vec::new();
        let b = stream.as_bytes();
        let (mut start, mut i) = (0, 0);
        while i < b.len() {
            match b[i] {
                b'\n' => {
                    lines.push(&stream[start..i]);
                    i += 1;
                    start = i;
                }
                b'\r' => {
                    lines.push(&stream[start..i]);
                    i += if b.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
                    start = i;
                }
                _ => i += 1,
            }
        }
        (lines, &stream[start..])
    }

    /// A line as the receiver sees it.
    #[derive(Debug, PartialEq)]
    enum Field<'a> {
        Blank,
        Comment,
        Named(&'a str, &'a str),
    }

    fn parse_line(line: &str) -> Field<'_> {
        if line.is_empty() {
            Field::Blank
        } else if line.starts_with(':') {
            Field::Comment
        } else {
            match line.split_once(':') {
                Some((name, value)) => Field::Named(name, value.strip_prefix(' ').unwrap_or(value)),
                None => Field::Named(line, ""),
            }
        }
    }

    /// Asserts that every line is a blank line, a comment or a known field,
    /// and that the stream ends at a line end.
    fn assert_no_injection(stream: &str) {
        let (lines, rest) = split_lines(stream);
        assert_eq!(
            rest, "",
            "stream does not end with a line break: {stream:?}"
        );
        for line in lines {
            if let Field::Named(name, _) = parse_line(line) {
                assert!(
                    matches!(name, "data" | "event" | "id" | "retry"),
                    "field {name:?} injected by line {line:?} in {stream:?}"
                );
            }
        }
    }

    #[derive(Debug, PartialEq, Clone)]
    struct Dispatched {
        event_type: String,
        data: String,
        last_event_id: String,
    }

    #[derive(Debug, Default, PartialEq)]
    struct Receiver {
        events: Vec<Dispatched>,
        last_event_id: String,
        retry: Option<u64>,
        comments: usize,
    }

    /// The spec's "interpreting an event stream", written naively.
    fn decode(stream: &str) -> Receiver {
        let mut rx = Receiver::default();
        let (mut data, mut event_type, mut id_buf) = (String::new(), String::new(), String::new());
        let (lines, _) = split_lines(stream);
        for line in lines {
            match parse_line(line) {
                Field::Blank => {
                    rx.last_event_id = id_buf.clone();
                    if data.is_empty() {
                        event_type.clear();
                        continue;
                    }
                    if data.ends_with('\n') {
                        data.pop();
                    }
                    rx.events.push(Dispatched {
                        event_type: if event_type.is_empty() {
                            "message".into()
                        } else {
                            event_type.clone()
                        },
                        data: core::mem::take(&mut data),
                        last_event_id: rx.last_event_id.clone(),
                    });
                    event_type.clear();
                }
                Field::Comment => rx.comments += 1,
                Field::Named("data", v) => {
                    data.push_str(v);
                    data.push('\n');
                }
                Field::Named("event", v) => event_type = v.into(),
                Field::Named("id", v) if !v.contains('\0') => id_buf = v.into(),
                Field::Named("retry", v)
                    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    if let Ok(ms) = v.parse() {
                        rx.retry = Some(ms);
                    }
                }
                Field::Named(..) => {}
            }
        }
        rx
    }

    /// What the receiver should see after the given events.
    fn expected(events: &[EventRef<'_>]) -> Receiver {
        let mut rx = Receiver::default();
        for e in events {
            if let Some(id) = e.id {
                rx.last_event_id = id.into();
            }
            if let Some(ms) = e.retry {
                rx.retry = Some(ms);
            }
            if let Some(d) = e.data {
                rx.events.push(Dispatched {
                    event_type: match e.event_type {
                        None | Some("") => "message".into(),
                        Some(t) => t.into(),
                    },
                    data: d.replace("\r\n", "\n").replace('\r', "\n"),
                    last_event_id: rx.last_event_id.clone(),
                });
            }
        }
        rx
    }

    /// The wire format written naively from its description.
    fn reference(e: &EventRef<'_>) -> String {
        fn field(out: &mut String, name: &str, value: &str) {
            out.push_str(name);
            out.push(':');
            if !value.is_empty() {
                out.push(' ');
                out.push_str(value);
            }
            out.push('\n');
        }
        let mut out = String::new();
        if let Some(t) = e.event_type {
            field(&mut out, "event", t);
        }
        if let Some(id) = e.id {
            field(&mut out, "id", id);
        }
        if let Some(ms) = e.retry {
            field(&mut out, "retry", &ms.to_string());
        }
        if let Some(d) = e.data {
            let (lines, rest) = split_lines(d);
            for line in lines.into_iter().chain([rest]) {
                field(&mut out, "data", line);
            }
        }
        out.push('\n');
        out
    }

    #[test]
    fn line_breaks_at_every_position_of_long_data() {
        // Long enough for memchr's vector paths, breaks at every offset.
        let base = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/é".repeat(2);
        let chars: Vec<(usize, char)> = base.char_indices().collect();
        for brk in ["\n", "\r", "\r\n"] {
            for &(i, _) in &chars {
                for &(j, _) in chars.iter().filter(|&&(j, _)| j >= i).step_by(7) {
                    let mut d = String::new();
                    d.push_str(&base[..i]);
                    d.push_str(brk);
                    d.push_str(&base[i..j]);
                    d.push_str(brk);
                    d.push_str(&base[j..]);
                    let e = EventRef::new(&d).with_id("1");
                    let out = enc(&e).expect("valid");
                    assert_eq!(String::from_utf8(out).expect("utf-8"), reference(&e));
                    let c = comment(&d);
                    assert_eq!(c.len(), encoded_comment_len(&d));
                    assert_eq!(split_lines(&c).0.len(), 3);
                }
            }
        }
    }

    #[test]
    fn hostile_inputs_inject_no_field() {
        let hostile = [
            "x\revent: evil",
            "x\r\nid: 1",
            "\ndata: y",
            "x\rretry: 1",
            "x\n\nevent: evil",
            "x\r\rid: 2",
            "\r\n\r\n",
            "x\rfoo: bar",
            "x\n:comment",
            "\r",
            "x\n\r\nevent",
            "data\rdata",
        ];
        for h in hostile {
            for event in [
                EventRef::new(h),
                EventRef::new(h)
                    .with_event_type("t")
                    .with_id("i")
                    .with_retry(1),
                EventRef::new("d").with_event_type(h),
                EventRef::new("d").with_id(h),
            ] {
                match enc(&event) {
                    Ok(bytes) => {
                        let s = String::from_utf8(bytes).expect("utf-8");
                        assert_no_injection(&s);
                        let rx = decode(&s);
                        assert_eq!(rx, expected(&[event]), "{event:?} -> {s:?}");
                    }
                    Err(_) => assert!(event.data != Some(h), "data refused"),
                }
            }
            let c = comment(h);
            assert_no_injection(&c);
            assert_eq!(decode(&c).events, Vec::new());
        }
    }

    // ---- random events ----------------------------------------------------

    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            // xorshift64*
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    const FRAGMENTS: &[&str] = &[
        "a",
        "b",
        "x",
        " ",
        "  ",
        ":",
        ": ",
        "\r",
        "\n",
        "\r\n",
        "\n\r",
        "\0",
        "\t",
        "é",
        "😀",
        "\u{2028}",
        "\u{85}",
        "\u{FEFF}",
        "data",
        "event",
        "id",
        "retry",
        "data: x",
        "event: evil",
        "id: 1",
        "retry: 5",
        ":comment",
        "message",
    ];

    fn random_str(rng: &mut Rng) -> &'static str {
        // Leak a handful of bytes per string: tests only.
        let mut s = String::new();
        for _ in 0..rng.below(7) {
            s.push_str(FRAGMENTS[rng.below(FRAGMENTS.len())]);
        }
        std::boxed::Box::leak(s.into_boxed_str())
    }

    fn random_opt(rng: &mut Rng) -> Option<&'static str> {
        if rng.below(3) == 0 {
            None
        } else {
            Some(random_str(rng))
        }
    }

    fn random_events(n: usize, seed: u64) -> Vec<EventRef<'static>> {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        (0..n)
            .map(|_| EventRef {
                event_type: random_opt(&mut rng),
                data: random_opt(&mut rng),
                id: random_opt(&mut rng),
                retry: match rng.below(4) {
                    0 => Some(rng.next() >> rng.below(64)),
                    _ => None,
                },
            })
            .collect()
    }

    /// Refusal exactly when the spec says the value cannot be written.
    fn should_refuse(e: &EventRef<'_>) -> Option<EncodeError> {
        let breaks = |s: &str| s.contains('\r') || s.contains('\n');
        if e.event_type.is_some_and(breaks) {
            Some(EncodeError::LineBreakInEventType)
        } else if e.id.is_some_and(breaks) {
            Some(EncodeError::LineBreakInId)
        } else if e.id.is_some_and(|s| s.contains('\0')) {
            Some(EncodeError::NulInId)
        } else {
            None
        }
    }

    #[test]
    fn random_events_len_exact_no_injection_round_trip() {
        let events = random_events(5000, 1);
        let mut accepted = Vec::new();
        let mut stream = String::new();
        let (mut ok, mut refused) = (0, 0);
        for event in &events {
            match enc(event) {
                Ok(bytes) => {
                    ok += 1;
                    assert_eq!(should_refuse(event), None, "{event:?}");
                    let s = String::from_utf8(bytes).expect("utf-8");
                    assert_eq!(s, reference(event));
                    assert_no_injection(&s);
                    assert_eq!(decode(&s), expected(&[*event]), "{event:?} -> {s:?}");
                    stream.push_str(&s);
                    accepted.push(*event);
                }
                Err(err) => {
                    refused += 1;
                    assert_eq!(should_refuse(event), Some(err), "{event:?}");
                }
            }
        }
        assert!(ok > 1000 && refused > 1000, "ok {ok}, refused {refused}");
        // The whole stream, events back to back, with keep-alives between.
        assert_no_injection(&stream);
        assert_eq!(decode(&stream), expected(&accepted));
        let with_keep_alives = stream.replace("\n\n", "\n\n:\n");
        assert_eq!(decode(&with_keep_alives).events, expected(&accepted).events);
    }

    #[test]
    fn random_comments_len_exact_no_injection() {
        let mut rng = Rng(0xDEAD_BEEF);
        for _ in 0..2000 {
            let text = random_str(&mut rng);
            let c = comment(text);
            assert_eq!(c.len(), encoded_comment_len(text));
            assert_no_injection(&c);
            let (lines, _) = split_lines(&c);
            let expected_lines = split_lines(text).0.len() + 1;
            assert_eq!(lines.len(), expected_lines, "{text:?}");
            assert!(lines.iter().all(|l| l.starts_with(':')));
            assert_eq!(
                decode(&c),
                Receiver {
                    comments: expected_lines,
                    ..Receiver::default()
                }
            );
        }
    }

    #[test]
    fn large_data() {
        let big = "0123456789".repeat(10_000);
        let e = EventRef::new(&big);
        let out = enc_or_vec(&e);
        assert_eq!(out.len(), big.len() + "data: \n\n".len());
        let many = "a\r\n".repeat(5_000);
        let e = EventRef::new(&many);
        let out = enc_or_vec(&e);
        assert_eq!(out.len(), e.encoded_len().expect("valid"));
        assert_eq!(out.len(), 5_000 * "data: a\n".len() + "data:\n\n".len());
    }

    fn enc_or_vec(e: &EventRef<'_>) -> Vec<u8> {
        let mut buf = vec![0u8; e.encoded_len().expect("valid")];
        let n = e.encode_to_slice(&mut buf).expect("fits");
        assert_eq!(n, buf.len());
        buf
    }
}
