//! Layer 2: fields to events ("Interpreting an event stream").
//!
//! [`RawDecoder`] applies the spec's interpretation rules to the lines of
//! [`LineParser`]: it keeps the data buffer, the event type buffer, the last
//! event ID buffer and string, and the reconnection time, and says when an
//! event is dispatched. Every rule of that section lives in this file.

use core::str::Utf8Error;

use crate::buffer::{Buffer, BufferFull};
use crate::error::Error;
use crate::parser::{Line, LineParser, Parsed};

/// One thing observed in an event stream, in stream order, borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item<'a> {
    /// An event was dispatched (an empty line ended a block with data).
    Event(RawEvent<'a>),
    /// A valid `retry` line set the reconnection time, in milliseconds.
    Retry(u64),
    /// A comment line: the text after the `:`. Only reported when asked for
    /// with [`Builder::comments`].
    Comment(&'a [u8]),
}

/// A dispatched event, borrowed from the decoder; raw bytes, not yet
/// checked for UTF-8.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RawEvent<'a> {
    event_type: &'a [u8],
    data: &'a [u8],
    id: &'a [u8],
}

impl<'a> RawEvent<'a> {
    /// The event type: the last `event` field's value, or `message` when there
    /// was none (or it was empty).
    #[inline]
    pub fn event_type(&self) -> &'a [u8] {
        if self.event_type.is_empty() {
            b"message"
        } else {
            self.event_type
        }
    }

    /// The data: the values of the block's `data` fields joined with LF.
    #[inline]
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The last event ID string when the event was dispatched (empty when no
    /// `id` was ever set, or it was reset).
    #[inline]
    pub fn id(&self) -> &'a [u8] {
        self.id
    }

    /// The data as `&str`.
    ///
    /// # Errors
    /// When the data is not valid UTF-8; see [`RawEvent::to_event`] for a lossy
    /// conversion.
    ///
    /// ```
    /// use sse_codec_core::{Decoder, Item};
    ///
    /// let mut decoder = Decoder::new();
    /// let mut feed = decoder.feed(b"event: tick\nid: 7\ndata: caf\xC3\xA9\n\n");
    /// let Some(Ok(Item::Event(event))) = feed.next_item() else { panic!() };
    /// assert_eq!(event.data_str(), Ok("café"));
    /// assert_eq!(event.event_type_str(), Ok("tick"));
    /// assert_eq!(event.id_str(), Ok("7"));
    /// ```
    #[inline]
    pub fn data_str(&self) -> Result<&'a str, Utf8Error> {
        text(self.data)
    }

    /// The event type as `&str` (`message` when the stream set none).
    ///
    /// # Errors
    /// When the event type is not valid UTF-8.
    #[inline]
    pub fn event_type_str(&self) -> Result<&'a str, Utf8Error> {
        text(self.event_type())
    }

    /// The last event ID as `&str`.
    ///
    /// # Errors
    /// When the ID is not valid UTF-8.
    #[inline]
    pub fn id_str(&self) -> Result<&'a str, Utf8Error> {
        text(self.id)
    }

    /// The event as an owned [`Event`](crate::Event), invalid UTF-8 replaced
    /// by U+FFFD. One allocation.
    #[cfg(feature = "alloc")]
    #[inline]
    pub fn to_event(&self) -> crate::Event {
        crate::Event::from_raw_parts(self.event_type, self.data, self.id)
    }
}

/// `bytes` as text: the shared fast check first (short ASCII values in
/// registers), `core`'s validator only to tell where an error is.
#[inline(always)]
fn text(bytes: &[u8]) -> Result<&str, Utf8Error> {
    match crate::utf8::utf8(bytes) {
        Some(text) => Ok(text),
        None => core::str::from_utf8(bytes),
    }
}

/// Configures and builds decoders: limits, and whether to report comments.
///
/// ```
/// use sse_codec_core::Builder;
/// let decoder = Builder::new()
///     .max_line_length(64 * 1024)
///     .max_event_size(1024 * 1024)
///     .comments(true)
///     .build();
/// # let _ = decoder;
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Builder {
    pub(crate) max_line_length: usize,
    pub(crate) max_event_size: usize,
    pub(crate) comments: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    /// The default maximum event size: 16 MiB of data.
    pub const DEFAULT_MAX_EVENT_SIZE: usize = 16 * 1024 * 1024;

    /// Default settings: lines up to [`LineParser::DEFAULT_MAX_LINE_LENGTH`]
    /// (16 MiB), data up to [`Builder::DEFAULT_MAX_EVENT_SIZE`] (16 MiB), no
    /// comments reported.
    pub const fn new() -> Self {
        Builder {
            max_line_length: LineParser::DEFAULT_MAX_LINE_LENGTH,
            max_event_size: Self::DEFAULT_MAX_EVENT_SIZE,
            comments: false,
        }
    }

    /// The longest line accepted, in bytes, excluding its line end. A longer
    /// line is reported as [`Error::LineTooLong`] and drops its event. This
    /// also bounds the memory the decoder keeps for a partial line.
    pub const fn max_line_length(mut self, bytes: usize) -> Self {
        self.max_line_length = bytes;
        self
    }

    /// The largest event data accepted, in bytes (data lines joined with LF).
    /// Larger data is reported as [`Error::EventTooLarge`] and the event
    /// dropped.
    pub const fn max_event_size(mut self, bytes: usize) -> Self {
        self.max_event_size = bytes;
        self
    }

    /// Whether to report comment lines as [`Item::Comment`] (default: no).
    pub const fn comments(mut self, yes: bool) -> Self {
        self.comments = yes;
        self
    }

    /// A [`RawDecoder`] over the given buffers (for use without an allocator).
    pub fn build_raw<B: Buffer>(self, buffers: Buffers<B>) -> RawDecoder<B> {
        RawDecoder {
            parser: if self.comments {
                LineParser::with_max_line_length(self.max_line_length)
            } else {
                LineParser::with_max_line_length(self.max_line_length).skip_comments()
            },
            max_event_size: self.max_event_size,
            comments: self.comments,
            data: buffers.data,
            has_data: false,
            event_type: buffers.event_type,
            id_buffer: buffers.id_buffer,
            id_pending: false,
            last_event_id: buffers.last_event_id,
            reconnection_time: None,
            skipping: false,
            dispatched: false,
            lazy: false,
            pending: None,
        }
    }
}

/// The four buffers a [`RawDecoder`] needs.
#[derive(Debug, Default)]
pub struct Buffers<B> {
    /// The data buffer: holds the largest event's data.
    pub data: B,
    /// The event type buffer.
    pub event_type: B,
    /// The last event ID buffer: an `id` value not yet in effect.
    pub id_buffer: B,
    /// The last event ID string: the ID in effect.
    pub last_event_id: B,
}

/// The event-stream decoder over caller-provided input and buffers: the
/// interpretation rules, with no allocation and no I/O.
///
/// The caller keeps the input: at each call it passes every byte not yet
/// consumed (with new bytes appended), and drops the consumed bytes from the
/// front afterwards. See [`Decoder`](crate::Decoder) for a version that
/// keeps the input itself.
///
/// ```
/// use sse_codec_core::{Buffers, Builder, Item, SliceBuffer};
///
/// let (mut d, mut t, mut i, mut l) = ([0u8; 256], [0u8; 32], [0u8; 32], [0u8; 32]);
/// let mut decoder = Builder::new().build_raw(Buffers {
///     data: SliceBuffer::new(&mut d),
///     event_type: SliceBuffer::new(&mut t),
///     id_buffer: SliceBuffer::new(&mut i),
///     last_event_id: SliceBuffer::new(&mut l),
/// });
///
/// let input = b"event: greeting\nid: 7\ndata: hello\ndata: world\n\nretry: 5";
/// let mut pos = 0;
/// let mut seen = 0;
/// loop {
///     let (used, item) = decoder.decode(&input[pos..]);
///     pos += used;
///     match item {
///         Ok(Some(Item::Event(event))) => {
///             assert_eq!(event.event_type(), b"greeting");
///             assert_eq!(event.data(), b"hello\nworld");
///             assert_eq!(event.id(), b"7");
///             seen += 1;
///         }
///         Ok(Some(other)) => panic!("unexpected {other:?}"),
///         Ok(None) => break, // needs more input; keep input[pos..]
///         Err(e) => panic!("{e}"),
///     }
/// }
/// assert_eq!(seen, 1);
/// assert_eq!(&input[pos..], b"retry: 5"); // an unterminated line
/// ```
#[derive(Debug)]
pub struct RawDecoder<B> {
    parser: LineParser,
    max_event_size: usize,
    comments: bool,
    /// The data buffer without its final LF; `has_data` says whether the
    /// spec's buffer is non-empty (it always ends with a LF when it is).
    data: B,
    has_data: bool,
    event_type: B,
    /// Meaningful only when `id_pending`: otherwise the spec's last event ID
    /// buffer equals the last event ID string.
    id_buffer: B,
    id_pending: bool,
    last_event_id: B,
    reconnection_time: Option<u64>,
    /// Skipping to the end of a block dropped after an error.
    skipping: bool,
    /// An event was handed out: clear the data and event type buffers first.
    dispatched: bool,
    /// Whether the data buffer never fills (it grows), so that copying a
    /// data value into it can wait: set by the decoders that own their
    /// buffers, never for caller-provided ones, whose `BufferFull` must come
    /// when the line is read.
    lazy: bool,
    /// With `lazy`: the data buffer is `pending`, a range of the input of the
    /// current `step` call, not yet copied (a block whose only data line is
    /// in the current input needs no copy at all). Copied into `data` before
    /// `step` returns anything but a dispatch.
    pending: Option<(usize, usize)>,
}

/// What [`RawDecoder::step`] found, without borrowing anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    NeedMore,
    /// An event is ready in the buffers.
    Dispatch,
    Retry(u64),
    /// A comment: its position in the input.
    Comment(core::ops::Range<usize>),
    Error(Error),
}

/// What one line did, without borrowing the decoder.
enum Outcome<'a> {
    Nothing,
    Dispatch,
    Retry(u64),
    Comment(&'a [u8]),
    Error(Error),
}

impl<B: Buffer> RawDecoder<B> {
    /// Decodes the next item from `input`, which must be every byte not yet
    /// consumed (see the type's docs). Returns the number of bytes consumed
    /// and `Ok(Some(item))`, `Ok(None)` when more input is needed, or an
    /// error.
    ///
    /// # Errors
    /// [`Error::LineTooLong`], [`Error::EventTooLarge`] or
    /// [`Error::BufferFull`]: the event being assembled is dropped and the
    /// input up to the next empty line skipped. Decoding can continue.
    pub fn decode<'a>(&'a mut self, input: &'a [u8]) -> (usize, Result<Option<Item<'a>>, Error>) {
        let (consumed, step) = self.step(input);
        (consumed, self.item(input, step))
    }

    /// [`decode`](Self::decode) without borrowing: what happened, and where.
    #[inline(always)]
    #[allow(
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing,
        reason = "`consumed` never exceeds `input.len()`: the parser consumes at most the input it is given"
    )]
    pub(crate) fn step(&mut self, input: &[u8]) -> (usize, Step) {
        if self.dispatched {
            self.dispatched = false;
            self.clear_event();
        }
        let mut consumed = 0;
        loop {
            let (used, parsed) = self.parser.parse(&input[consumed..]);
            consumed += used;
            let outcome = match parsed {
                Parsed::NeedMore => {
                    self.copy_pending(input);
                    return (consumed, Step::NeedMore);
                }
                Parsed::LineTooLong => self.drop_block(Error::LineTooLong {
                    limit: self.parser.max_line_length(),
                }),
                Parsed::Line(line) => self.interpret(line, input),
            };
            let step = match outcome {
                Outcome::Nothing => continue,
                Outcome::Dispatch => {
                    self.dispatched = true;
                    return (consumed, Step::Dispatch);
                }
                Outcome::Retry(ms) => Step::Retry(ms),
                // A subslice of `input`: its offset is a difference of addresses.
                Outcome::Comment(text) => Step::Comment(offset_in(text, input)),
                Outcome::Error(error) => Step::Error(error),
            };
            self.copy_pending(input);
            return (consumed, step);
        }
    }

    /// Copies a pending data value (a range of `input`) into the data buffer.
    #[inline]
    #[allow(
        clippy::indexing_slicing,
        reason = "the pending range was recorded by a parse of this same input"
    )]
    fn copy_pending(&mut self, input: &[u8]) {
        if let Some((start, end)) = self.pending.take() {
            // `lazy` buffers grow: this never fails.
            let _ = self.data.try_extend(&input[start..end]);
        }
    }

    /// The data of the dispatched event if it is still a range of the input
    /// of the `step` that dispatched it (one data line), not copied; the
    /// data buffer holds it otherwise.
    #[cfg(feature = "bytes")]
    #[inline]
    pub(crate) fn take_pending(&mut self) -> Option<(usize, usize)> {
        self.pending.take()
    }

    /// Makes the decoder keep a block's only data value in the input until
    /// it must copy it (see `pending`); only for buffers that never fill.
    #[cfg(feature = "alloc")]
    pub(crate) fn set_lazy(&mut self) {
        self.lazy = true;
    }

    /// The line parser, to append bytes known to hold no line end.
    #[cfg(feature = "alloc")]
    #[inline]
    pub(crate) fn parser_mut(&mut self) -> &mut LineParser {
        &mut self.parser
    }

    /// The item a [`Step`] of `input` stands for.
    #[inline(always)]
    #[allow(
        clippy::indexing_slicing,
        reason = "the ranges of a `Step` index the input that `step` was given, which is what `item` is called with"
    )]
    pub(crate) fn item<'a>(
        &'a self,
        input: &'a [u8],
        step: Step,
    ) -> Result<Option<Item<'a>>, Error> {
        Ok(Some(match step {
            Step::NeedMore => return Ok(None),
            Step::Error(error) => return Err(error),
            Step::Dispatch => Item::Event(RawEvent {
                event_type: self.event_type.as_bytes(),
                data: match self.pending {
                    Some((start, end)) => &input[start..end],
                    None => self.data.as_bytes(),
                },
                id: self.last_event_id.as_bytes(),
            }),
            Step::Retry(ms) => Item::Retry(ms),
            Step::Comment(range) => Item::Comment(&input[range]),
        }))
    }

    /// The spec's "Interpreting an event stream", one line at a time;
    /// `line` is part of `input`.
    #[inline(always)]
    fn interpret<'a>(&mut self, line: Line<'a>, input: &[u8]) -> Outcome<'a> {
        if self.skipping {
            self.skipping = line != Line::Empty;
            return Outcome::Nothing;
        }
        match line {
            Line::Empty => self.end_of_block(),
            Line::Comment(text) if self.comments => Outcome::Comment(text),
            Line::Comment(_) | Line::Unknown { .. } => Outcome::Nothing,
            Line::Data(value) => self.append_data(value, input),
            Line::Event(value) => {
                self.event_type.clear();
                match self.event_type.try_extend(value) {
                    Ok(()) => Outcome::Nothing,
                    Err(BufferFull) => self.drop_block(Error::BufferFull {
                        buffer: "event type",
                    }),
                }
            }
            // "If the field value does not contain U+0000 NULL, then set the
            // last event ID buffer to the field value. Otherwise, ignore the
            // field."
            Line::Id(value) if value.contains(&0) => Outcome::Nothing,
            Line::Id(value) => {
                self.id_buffer.clear();
                self.id_pending = true;
                match self.id_buffer.try_extend(value) {
                    Ok(()) => Outcome::Nothing,
                    Err(BufferFull) => self.drop_block(Error::BufferFull {
                        buffer: "last event ID",
                    }),
                }
            }
            Line::Retry(value) => match parse_retry(value) {
                Some(ms) => {
                    self.reconnection_time = Some(ms);
                    Outcome::Retry(ms)
                }
                None => Outcome::Nothing,
            },
        }
    }

    /// "Append the field value to the data buffer, then append a single
    /// U+000A LINE FEED (LF) character to the data buffer." The LF after the
    /// last value is implicit (`has_data`), which is the same as removing it
    /// at dispatch. `value` is part of `input`.
    #[inline(always)]
    #[allow(
        clippy::arithmetic_side_effects,
        reason = "a size of data in memory, one byte and a value in memory: bounded by `max_event_size` checks before it grows"
    )]
    fn append_data(&mut self, value: &[u8], input: &[u8]) -> Outcome<'static> {
        if !self.has_data && self.lazy {
            if value.len() > self.max_event_size {
                return self.drop_block(Error::EventTooLarge {
                    limit: self.max_event_size,
                });
            }
            // The data buffer is empty (it is cleared with `has_data`).
            let range = offset_in(value, input);
            self.pending = Some((range.start, range.end));
            self.has_data = true;
            return Outcome::Nothing;
        }
        self.copy_pending(input);
        let separator = usize::from(self.has_data);
        let size = self.data.as_bytes().len() + separator + value.len();
        if size > self.max_event_size {
            return self.drop_block(Error::EventTooLarge {
                limit: self.max_event_size,
            });
        }
        // The separator as a constant: one byte stored, not a copy of a
        // slice whose length is known only at run time.
        let appended = if self.has_data {
            self.data.try_extend(b"\n")
        } else {
            Ok(())
        }
        .and_then(|()| self.data.try_extend(value));
        if appended.is_err() {
            return self.drop_block(Error::BufferFull { buffer: "data" });
        }
        self.has_data = true;
        Outcome::Nothing
    }

    /// "Dispatch the event", the part that runs at every empty line.
    fn end_of_block(&mut self) -> Outcome<'static> {
        // 1. "Set the last event ID string of the event source to the value of
        // the last event ID buffer." (Even if no event is dispatched.)
        if self.id_pending {
            core::mem::swap(&mut self.id_buffer, &mut self.last_event_id);
            self.id_pending = false;
        }
        // 2. "If the data buffer is an empty string, set the data buffer and
        // the event type buffer to the empty string and return."
        if !self.has_data {
            self.event_type.clear();
            return Outcome::Nothing;
        }
        // 3.-5. The trailing LF is already absent; the buffers are cleared at
        // the next call, once the caller is done with the event.
        Outcome::Dispatch
    }

    /// Drops the block being assembled after an error: its data, event type
    /// and pending ID, and every line up to the next empty line.
    fn drop_block(&mut self, error: Error) -> Outcome<'static> {
        self.clear_event();
        self.id_pending = false;
        self.skipping = true;
        Outcome::Error(error)
    }

    fn clear_event(&mut self) {
        self.data.clear();
        self.pending = None;
        self.has_data = false;
        self.event_type.clear();
    }

    /// The end of the stream (the connection closed): an event without its
    /// closing empty line is discarded, as the spec says, and the decoder is
    /// ready for a new stream (a new connection): a byte order mark may come
    /// again, and the last event ID buffer starts empty as the spec says for
    /// every stream. The last event ID string and the reconnection time are
    /// kept: they belong to the event source, not the stream.
    ///
    /// Note: per the spec, the first empty line of the new stream therefore
    /// resets the last event ID string unless the stream sends an `id` first.
    /// Browsers (Chromium, Firefox) carry the ID into the new stream instead;
    /// call [`set_last_event_id`](Self::set_last_event_id) after this method
    /// to get their behaviour.
    pub fn end_of_stream(&mut self) {
        self.parser.reset();
        self.clear_event();
        self.dispatched = false;
        self.skipping = false;
        self.id_buffer.clear();
        self.id_pending = true;
    }

    /// Sets the last event ID, as if the stream had sent `id: <id>` and an
    /// empty line: the string that a client sends as `Last-Event-ID` when it
    /// resumes a stream.
    ///
    /// # Errors
    /// [`BufferFull`] when a fixed-capacity buffer cannot hold `id`; the ID is
    /// then left empty.
    pub fn set_last_event_id(&mut self, id: &[u8]) -> Result<(), BufferFull> {
        self.id_pending = false;
        self.last_event_id.clear();
        self.last_event_id.try_extend(id)
    }

    /// The last event ID string: the ID a reconnecting client sends.
    pub fn last_event_id(&self) -> &[u8] {
        self.last_event_id.as_bytes()
    }

    /// The reconnection time set by the last valid `retry` field, in
    /// milliseconds, or `None` if there was none.
    pub fn reconnection_time(&self) -> Option<u64> {
        self.reconnection_time
    }

    /// Whether the decoder holds part of a line or of an event that more
    /// input would complete (what [`end_of_stream`](Self::end_of_stream) would
    /// discard).
    pub fn is_mid_event(&self) -> bool {
        !self.dispatched && (self.has_data || self.parser.in_line())
    }

    /// The line parser (for its limits and state).
    pub fn parser(&self) -> &LineParser {
        &self.parser
    }

    /// The buffers, to set their input source.
    #[cfg(feature = "bytes")]
    pub(crate) fn buffers_mut(&mut self) -> [&mut B; 4] {
        [
            &mut self.data,
            &mut self.event_type,
            &mut self.id_buffer,
            &mut self.last_event_id,
        ]
    }

    /// The event type, data and last event ID buffers, after a dispatch.
    #[cfg(feature = "bytes")]
    pub(crate) fn event_buffers_mut(&mut self) -> (&mut B, &mut B, &mut B) {
        (
            &mut self.event_type,
            &mut self.data,
            &mut self.last_event_id,
        )
    }
}

/// The position of `part`, a subslice of `whole`, in `whole`: a difference
/// of addresses.
#[inline]
#[allow(
    clippy::arithmetic_side_effects,
    reason = "`part` is a subslice of `whole` (every caller slices it from `whole`), so the difference and the end are within `whole`"
)]
fn offset_in(part: &[u8], whole: &[u8]) -> core::ops::Range<usize> {
    let start = part.as_ptr() as usize - whole.as_ptr() as usize;
    start..start + part.len()
}

/// "If the field value consists of only ASCII digits, then interpret the
/// field value as an integer in base ten". One digit at least; a value too
/// large for `u64` is ignored like any other invalid value.
fn parse_retry(value: &[u8]) -> Option<u64> {
    if value.is_empty() {
        return None;
    }
    value.iter().try_fold(0u64, |ms, &byte| {
        let digit = char::from(byte).to_digit(10)?;
        ms.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

#[cfg(test)]
mod tests {
    use super::{parse_retry, RawEvent};

    /// The text accessors agree with `core::str::from_utf8`, errors
    /// included, on ASCII, non-ASCII and invalid values, short and long.
    #[test]
    fn text_accessors_agree_with_core() {
        let long = [b'x'; 300];
        let values: [&[u8]; 7] = [
            b"",
            b"ascii",
            "caf\u{e9}".as_bytes(),
            b"bad \xC3",
            b"\xFF",
            &long,
            b"0123456789abcdef\xE2\x82",
        ];
        for value in values {
            let event = RawEvent {
                event_type: value,
                data: value,
                id: value,
            };
            let want = core::str::from_utf8(value);
            assert_eq!(event.data_str(), want, "{value:?}");
            assert_eq!(event.id_str(), want, "{value:?}");
            let want_type = if value.is_empty() {
                Ok("message")
            } else {
                want
            };
            assert_eq!(event.event_type_str(), want_type, "{value:?}");
        }
    }

    #[test]
    fn retry_values() {
        assert_eq!(parse_retry(b"0"), Some(0));
        assert_eq!(parse_retry(b"007"), Some(7));
        assert_eq!(parse_retry(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_retry(b"18446744073709551616"), None);
        for bad in [
            &b""[..],
            b" 1",
            b"1 ",
            b"+5",
            b"-1",
            b"1.5",
            b"10s",
            b"\xd9\xa1",
        ] {
            assert_eq!(parse_retry(bad), None, "{bad:?}");
        }
    }
}
