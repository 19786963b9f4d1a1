//! Layer 3 (with `alloc`): decoders that are fed chunks and keep the
//! unconsumed input themselves.
//!
//! # The path of a chunk
//!
//! Every decoder here ([`Decoder`], [`BytesDecoder`]) is an `Engine`: a
//! [`RawDecoder`] (the parser and the event's buffers) plus the *carry*, the
//! bytes of a line that began in an earlier chunk. `Engine::next_step` takes
//! one of three ways through a chunk; each step ends at an item, or when the
//! chunk is used up.
//!
//! ```text
//!  chunk ──► next_step
//!              │
//!              ├─ nothing carried ──────────────► (1) IN PLACE
//!              │                                  RawDecoder::step(chunk[pos..]):
//!              │                                  lines are parsed where they are;
//!              │                                  values are slices (borrowed API)
//!              │                                  or ranges of the chunk (bytes),
//!              │                                  copied only to join data lines.
//!              │                                  The chunk's last partial line
//!              │                                  ──► COPIED into the carry.
//!              │
//!              ├─ a line is carried, and these
//!              │  few bytes (< 16) hold no line
//!              │  end, stay within the line limit,
//!              │  and the parser scanned the
//!              │  carried part already ───────────► (2) APPENDED
//!              │                                  carry += chunk; not parsed again
//!              │                                  (`LineParser::scanned_more`).
//!              │
//!              └─ a line is carried, otherwise ──► (3) CARRIED (next_step_carried)
//!                                                 no line end in the chunk (any
//!                                                 length, within the limit), the
//!                                                 carried part scanned: APPENDED as
//!                                                 in (2), after one search. Else:
//!                                                 carry += chunk[..through the line
//!                                                 end, and an empty line right after
//!                                                 it]; RawDecoder::step(carry): the
//!                                                 event completes from the carry,
//!                                                 whose bytes are COPIED (once);
//!                                                 then back to (1) for the rest of
//!                                                 the chunk.
//! ```
//!
//! Where [`Decoder`]'s owned iterator is read, the cases that need no parse
//! (way 2, and a chunk used up with nothing carried: `Engine::chunk_done`)
//! are inlined; the rest is a call. When comments are not reported, the
//! parser takes the keep-alives (comments and empty lines) right after an
//! empty line with it (`LineParser::skip_idle`): one step per event, not
//! one per keep-alive.
//!
//! Unread input (a feed dropped early, or a chunk pushed before the last
//! was read to the end) is *stashed*: appended to the carry and decoded from
//! it first, within a budget (see [`Decoder::feed`]).
//!
//! [`BytesDecoder`] slices an event's single-line data out of the chunk it
//! was read from in place (way 1), and out of the carry (way 3), where the
//! carried bytes are split off to the event. A chunk of 512 bytes or more is
//! also handed to its buffers (`set_source`, a reference count each), in way
//! (1) and when the chunk's rest holds a line end or at least 16 bytes: a
//! value read there (event type, ID, a data line) is a range of the chunk,
//! made a `Bytes` slice only when an event takes it. A smaller chunk (one
//! event, a keep-alive) is not: those values are copied. When the chunk is
//! done with (`release_chunk`), values still ranges of it are copied: only
//! events handed out share input chunks. An event type or ID of at most 23
//! bytes goes into the event itself either way (copied, not shared); an
//! event that uses up its chunk (one event per read) takes the chunk itself
//! as its data.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use crate::parser::{find_line_end_short, find_short_line_end};

use crate::decoder::{Buffers, Builder, Item, RawDecoder, Step};
use crate::error::Error;
use crate::event::OwnedItem;

/// A [`RawDecoder`] plus the bytes of a partial line carried over from earlier
/// chunks. Complete lines are parsed straight from the chunk; only a line
/// that spans chunks is copied, once.
#[derive(Debug)]
struct Engine<B, C = Vec<u8>> {
    raw: RawDecoder<B>,
    /// Unconsumed input from earlier chunks: `carry[carry_start..]`.
    carry: C,
    carry_start: usize,
    /// The carry may hold complete lines (unread input was stashed): they
    /// are decoded from the carry alone before more bytes join it, so that
    /// it shrinks instead of taking in the next chunk line by line. Only a
    /// carried path tests it (stashed bytes are carried).
    stashed: bool,
    /// Unread input over the budget was decoded without its items being
    /// handed out: the next item is the error that says so.
    dropped: bool,
}

/// The least unread input (left by a feed dropped early, or pushed over)
/// that a decoder keeps for the caller; see [`Decoder::feed`].
const UNREAD_BUDGET_MIN: usize = 256 * 1024;

/// The storage of carried bytes: a `Vec`, or for [`BytesDecoder`] a
/// `BytesMut`, whose bytes can become `Bytes` without a copy.
trait Carry: core::ops::Deref<Target = [u8]> + Default {
    /// Appends `bytes`; `max_line_length` bounds any room reserved ahead.
    fn append(&mut self, bytes: &[u8], max_line_length: usize);
    fn clear(&mut self);
    /// Drops the first `n` bytes.
    fn drop_front(&mut self, n: usize);
}

impl Carry for Vec<u8> {
    #[inline]
    fn append(&mut self, bytes: &[u8], _: usize) {
        self.extend_from_slice(bytes);
    }

    #[inline]
    fn clear(&mut self) {
        Vec::clear(self);
    }

    #[inline]
    fn drop_front(&mut self, n: usize) {
        self.drain(..n);
    }
}

/// Whether `bytes` are a few (fewer than 16, as in a fragmented stream) and
/// hold no line end: they can only extend a line.
#[inline(always)]
fn few_without_line_end(bytes: &[u8]) -> bool {
    bytes.len() < 16 && find_line_end_short(bytes).is_none()
}

/// Where the input of a [`Step`] is.
#[derive(Clone, Copy, Debug)]
enum Source {
    Carry,
    Chunk,
}

impl<B: crate::Buffer, C: Carry> Engine<B, C> {
    fn new(mut raw: RawDecoder<B>) -> Self {
        // `Vec<u8>` and `SharedBuffer` grow: never full.
        raw.set_lazy();
        Engine {
            raw,
            carry: C::default(),
            carry_start: 0,
            stashed: false,
            dropped: false,
        }
    }

    #[inline]
    fn append(&mut self, bytes: &[u8]) {
        let max = self.raw.parser().max_line_length();
        self.carry.append(bytes, max);
    }

    /// The next step, from the carried bytes first and then from
    /// `chunk[*pos..]`; `None` once all input is consumed or carried.
    /// `on_chunk` runs before the decoder may first read a value from `chunk`
    /// itself.
    #[inline(always)]
    #[allow(
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing,
        reason = "`pos <= chunk.len()` and `carry_start <= carry.len()` hold throughout (each advances by what the parser consumed of that slice); lengths of slices in memory"
    )]
    fn next_step<F: FnMut(&mut RawDecoder<B>)>(
        &mut self,
        chunk: &[u8],
        pos: &mut usize,
        on_chunk: &mut F,
    ) -> Option<(Step, Source, usize)> {
        if self.dropped {
            return Some(self.report_dropped(*pos));
        }
        if self.carry_start == self.carry.len() {
            self.carry.clear();
            self.carry_start = 0;
            let start = *pos;
            // A few bytes without a line end (the start of a line, in a
            // fragmented stream) hold no value to read from the chunk.
            let rest = &chunk[start..];
            if !few_without_line_end(rest) {
                on_chunk(&mut self.raw);
            }
            let (used, step) = self.raw.step(rest);
            *pos += used;
            if step == Step::NeedMore {
                // Often nothing (the chunk ended at a line end, or in a
                // comment, consumed as it comes): no call to copy nothing.
                if *pos < chunk.len() {
                    self.append(&chunk[*pos..]);
                    *pos = chunk.len();
                }
                return None;
            }
            return Some((step, Source::Chunk, start));
        }
        if self.extend_carried_line(chunk, pos) {
            return None;
        }
        self.next_step_carried(chunk, pos, on_chunk)
    }

    /// Way (2) of the drawing: a fragmented stream's few more bytes of a
    /// carried line, no line end among them (the common case for tiny
    /// chunks), need only be appended. Whether it took `chunk[*pos..]`;
    /// only when a line is carried.
    #[inline(always)]
    #[allow(
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing,
        reason = "`pos <= chunk.len()` and `carry_start <= carry.len()`; lengths of slices in memory"
    )]
    fn extend_carried_line(&mut self, chunk: &[u8], pos: &mut usize) -> bool {
        let rest = &chunk[*pos..];
        if few_without_line_end(rest)
            && self.carry.len() + rest.len() <= self.raw.parser().max_line_length()
            && self.raw.parser().scanning_line() == Some(self.carry.len() - self.carry_start)
        {
            self.append(rest);
            self.raw.parser_mut().scanned_more(rest.len());
            *pos = chunk.len();
            return true;
        }
        false
    }

    /// The cases of [`next_step`](Self::next_step) that need no parse, for a
    /// caller that inlines them and calls `next_step` out of line: the
    /// chunk is used up and nothing is carried, or way (2). Whether
    /// `next_step` would return `None` without touching the parser (the
    /// event a step dispatched is cleared by the next step either way).
    #[inline(always)]
    fn chunk_done(&mut self, chunk: &[u8], pos: &mut usize) -> bool {
        if self.dropped {
            return false;
        }
        if self.carry_start == self.carry.len() {
            return *pos == chunk.len();
        }
        self.extend_carried_line(chunk, pos)
    }

    /// [`next_step`](Self::next_step) when a partial line is carried.
    #[inline(never)]
    #[allow(
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing,
        reason = "`pos <= chunk.len()` and `carry_start <= carry.len()` hold throughout; `i` is a line end found in `rest`, and `take` at most `rest.len()`"
    )]
    fn next_step_carried<F: FnMut(&mut RawDecoder<B>)>(
        &mut self,
        chunk: &[u8],
        pos: &mut usize,
        on_chunk: &mut F,
    ) -> Option<(Step, Source, usize)> {
        if self.stashed {
            // Unread input: its complete lines first, from the carry alone.
            let start = self.carry_start;
            let (used, step) = self.raw.step(&self.carry[start..]);
            self.carry_start += used;
            if step != Step::NeedMore {
                return Some((step, Source::Carry, start));
            }
            // At most a partial line is left: carried on as usual.
            self.stashed = false;
        }
        loop {
            // A partial line is carried: move bytes from the chunk through the
            // next line end, but no more than the line limit needs to decide.
            let rest = &chunk[*pos..];
            let carried = self.carry.len() - self.carry_start;
            let max = self.raw.parser().max_line_length();
            // The first 16 bytes in registers, then `memchr2` (as sse-stream
            // searches): the carried line often ends within them (W1, W3 in
            // 4 KiB chunks), and a long line's chunks (W2) took 8-17% less
            // time so than with `memchr2` from their first byte, for the same
            // instructions; why, perf does not tell (the time is in
            // `memchr2`'s loads either way).
            let line_end = find_short_line_end(rest);
            if line_end.is_none() && carried + rest.len() <= max {
                // The line goes on past this chunk (a fragmented stream: the
                // common case for small chunks). If the parser already
                // scanned every carried byte, it need not see these ones.
                if self.raw.parser().scanning_line() == Some(carried) {
                    self.append(rest);
                    self.raw.parser_mut().scanned_more(rest.len());
                    *pos = chunk.len();
                    return None;
                }
            }
            let mut through_line_end = line_end.map_or(rest.len(), |i| i + 1);
            // An empty line right after the line (the end of an event) comes
            // along, so that the event can be dispatched from the carried
            // bytes without copying its data again.
            if let Some(i) = line_end {
                let after = if rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n') {
                    i + 2
                } else {
                    i + 1
                };
                // Only the CR of a CRLF empty line: its LF, left in the chunk,
                // is skipped there, so that no carried byte outlives the
                // dispatch and the next line is read from the chunk.
                if let Some(&(b'\n' | b'\r')) = rest.get(after) {
                    through_line_end = after + 1;
                }
            }
            let room = max.saturating_add(2).saturating_sub(carried).max(1);
            let take = through_line_end.min(room);
            self.append(&rest[..take]);
            *pos += take;
            let start = self.carry_start;
            let (used, step) = self.raw.step(&self.carry[start..]);
            self.carry_start += used;
            if step != Step::NeedMore {
                return Some((step, Source::Carry, start));
            }
            if self.carry_start > 0 {
                self.carry.drop_front(self.carry_start);
                self.carry_start = 0;
            }
            if *pos == chunk.len() {
                return None;
            }
            if self.carry.is_empty() {
                // Everything carried was consumed: go on from the chunk.
                return self.next_step(chunk, pos, on_chunk);
            }
        }
    }

    /// The next borrowed item (see [`Feed::next_item`]).
    #[inline(always)]
    #[allow(
        clippy::indexing_slicing,
        reason = "`start` and the ranges of the step index the slice (carry or chunk) that `next_step` parsed"
    )]
    fn next_item<'a>(
        &'a mut self,
        chunk: &'a [u8],
        pos: &mut usize,
    ) -> Option<Result<Item<'a>, Error>> {
        let (step, source, start) = self.next_step(chunk, pos, &mut |_| {})?;
        let input = match source {
            Source::Carry => &self.carry[start..],
            Source::Chunk => &chunk[start..],
        };
        self.raw.item(input, step).transpose()
    }

    /// The error item for unread input that was dropped, once.
    #[cold]
    #[inline(never)]
    fn unread_budget(&self) -> usize {
        UNREAD_BUDGET_MIN.max(self.raw.parser().max_line_length())
    }

    fn report_dropped(&mut self, pos: usize) -> (Step, Source, usize) {
        self.dropped = false;
        let budget = self.unread_budget();
        (
            Step::Error(Error::UnreadInputDropped { budget }),
            Source::Chunk,
            pos,
        )
    }

    /// Keeps `rest` for later: a feed was dropped before it was exhausted,
    /// or more input was pushed. Within the budget it is carried; beyond it,
    /// it is decoded now (see [`Decoder::feed`]).
    #[inline]
    #[allow(
        clippy::arithmetic_side_effects,
        reason = "`carry_start <= carry.len()`; lengths of slices in memory"
    )]
    fn stash(&mut self, rest: &[u8]) {
        if rest.is_empty() {
            return;
        }
        let unread = self.carry.len() - self.carry_start + rest.len();
        let budget = self.unread_budget();
        // The rest of one chunk is always kept (the carry holds at most a
        // partial line besides): it is no larger than what the caller
        // handed over, and reading on with empty feeds loses nothing. The
        // budget bounds what piles up when more input comes while unread
        // input is still carried.
        if !self.stashed || unread <= budget {
            self.append(rest);
            self.stashed = true;
        } else {
            self.skip_unread(rest);
        }
    }

    /// Decodes the carried input and `rest` into the decoder's state,
    /// dropping the items they complete (and an earlier report of such a
    /// drop: one report for both), and carries at most a partial line on;
    /// the next item is the report.
    #[cold]
    #[inline(never)]
    fn skip_unread(&mut self, rest: &[u8]) {
        self.dropped = false;
        self.stashed = true;
        let mut pos = 0;
        while self.next_step(rest, &mut pos, &mut |_| {}).is_some() {}
        self.dropped = true;
    }

    fn end_of_stream(&mut self) {
        self.carry.clear();
        self.carry_start = 0;
        self.stashed = false;
        self.dropped = false;
        self.raw.end_of_stream();
    }
}

/// The event-stream decoder most programs want: feed it chunks of bytes as
/// they arrive, get events (and reconnection times, and comments if asked)
/// in stream order.
///
/// It copies only lines that span chunks, allocates nothing per line, and
/// costs time linear in the input however it is chunked.
///
/// ```
/// use sse_codec_core::{Decoder, OwnedItem};
///
/// let mut decoder = Decoder::new();
/// let mut events = Vec::new();
/// for chunk in [&b"data: hel"[..], b"lo\r", b"\nid: 1\n\ndata: partial"] {
///     for item in decoder.feed(chunk) {
///         match item {
///             Ok(OwnedItem::Event(event)) => events.push(event),
///             Ok(_) => {}
///             Err(error) => eprintln!("skipped an event: {error}"),
///         }
///     }
/// }
/// decoder.end_of_stream(); // discards "partial": it never got its empty line
/// assert_eq!(events.len(), 1);
/// assert_eq!(events[0].data(), "hello");
/// assert_eq!(events[0].id(), "1");
/// assert_eq!(decoder.last_event_id(), "1");
/// ```
#[derive(Debug)]
pub struct Decoder {
    engine: Engine<Vec<u8>>,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new()
    }
}

impl Decoder {
    /// A decoder with the default limits, not reporting comments.
    pub fn new() -> Self {
        Builder::new().build()
    }

    /// Decodes `chunk`: the returned [`Feed`] yields the items that `chunk`
    /// completes, after those of input an earlier feed left unread. Bytes it
    /// does not use (a partial line) are kept for the next chunk.
    ///
    /// # Unread input
    ///
    /// A feed dropped before it returns `None` leaves the rest of its chunk
    /// unread. The decoder keeps that input (a copy) and the next feed
    /// yields its items first, as long as all unread input fits a budget:
    /// 256 KiB, or the maximum line length if that is larger. Stopping
    /// early once and reading on later loses nothing.
    ///
    /// The rest of one chunk is kept whatever its size (it is no larger than
    /// what the caller handed over). But when more input comes while unread
    /// input is still kept (a caller that feeds more than it reads, one item
    /// per chunk say) and together they pass the budget, the decoder does
    /// not keep it: that would grow without bound. It decodes the unread input there and then, as if it
    /// had been read: the last event ID, the reconnection time and the event
    /// being assembled are exactly what they would be, and at most a partial
    /// line stays carried. The items that input completes are dropped, and
    /// the next item of the next feed is the error
    /// [`Error::UnreadInputDropped`], so that the loss is
    /// never silent. Memory stays bounded by the limits whatever the caller
    /// does. (A dropped feed cannot be refused, its chunk is gone; and
    /// keeping its items instead of its bytes would be no smaller.)
    ///
    /// ```
    /// use sse_codec_core::{Builder, Error, OwnedItem};
    ///
    /// let mut decoder = Builder::new().max_line_length(1024).build();
    /// // A caller that takes only the first item of each chunk.
    /// let small = "data: x\n\n".repeat(1_000); // 9 KB: kept
    /// assert!(decoder.feed(small.as_bytes()).next().is_some());
    /// assert_eq!(decoder.feed(b"").count(), 999);
    ///
    /// let large = "id: 1\ndata: x\n\n".repeat(100_000); // 1.6 MB: kept,
    /// assert!(decoder.feed(large.as_bytes()).next().is_some());
    /// drop(decoder.feed(b"data: ")); // but not with more input: decoded
    /// let mut next = decoder.feed(b"y\n\n");
    /// let dropped = Error::UnreadInputDropped { budget: 256 * 1024 };
    /// assert_eq!(next.next(), Some(Err(dropped)));
    /// let Some(Ok(OwnedItem::Event(event))) = next.next() else { panic!() };
    /// assert_eq!((event.data(), event.id()), ("y", "1"));
    /// ```
    pub fn feed<'a>(&'a mut self, chunk: &'a [u8]) -> Feed<'a> {
        Feed {
            engine: &mut self.engine,
            chunk,
            pos: 0,
        }
    }

    /// The stream ended (see [`RawDecoder::end_of_stream`]): a partial event
    /// is discarded and the decoder is ready for the next connection.
    pub fn end_of_stream(&mut self) {
        self.engine.end_of_stream();
    }

    /// The last event ID string (invalid UTF-8 replaced): what a reconnecting
    /// client sends as `Last-Event-ID`.
    pub fn last_event_id(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.engine.raw.last_event_id())
    }

    /// Sets the last event ID, e.g. to resume a stream from a saved ID.
    pub fn set_last_event_id(&mut self, id: &str) {
        // A Vec buffer is never full.
        let _ = self.engine.raw.set_last_event_id(id.as_bytes());
    }

    /// The reconnection time from the last valid `retry` field, in milliseconds.
    pub fn reconnection_time(&self) -> Option<u64> {
        self.engine.raw.reconnection_time()
    }

    /// Whether part of an event has been received but not its end.
    pub fn is_mid_event(&self) -> bool {
        self.engine.carry_start < self.engine.carry.len() || self.engine.raw.is_mid_event()
    }

    /// The maximum line length in force.
    pub fn max_line_length(&self) -> usize {
        self.engine.raw.parser().max_line_length()
    }
}

impl Builder {
    /// A [`Decoder`] with these settings.
    pub fn build(self) -> Decoder {
        Decoder {
            engine: Engine::new(self.build_raw(Buffers::<Vec<u8>>::default())),
        }
    }
}

/// The items of one chunk fed to a [`Decoder`]; see [`Decoder::feed`].
///
/// As an [`Iterator`] it yields [`OwnedItem`]s; [`Feed::next_item`] yields
/// borrowed [`Item`]s instead, with no allocation at all.
#[derive(Debug)]
pub struct Feed<'a> {
    engine: &'a mut Engine<Vec<u8>>,
    chunk: &'a [u8],
    pos: usize,
}

impl Feed<'_> {
    /// The next item, borrowed from the decoder and the chunk, or `None` when
    /// the chunk is used up.
    ///
    /// ```
    /// use sse_codec_core::{Decoder, Item};
    /// let mut decoder = Decoder::new();
    /// let mut feed = decoder.feed(b"data: a\n\ndata: b\n\n");
    /// let mut total = 0;
    /// while let Some(item) = feed.next_item() {
    ///     if let Ok(Item::Event(event)) = item {
    ///         total += event.data().len();
    ///     }
    /// }
    /// assert_eq!(total, 2);
    /// ```
    ///
    /// # Errors
    /// A limit was exceeded ([`Error`]); the offending event is skipped and
    /// the next call goes on with the rest of the stream.
    #[inline]
    pub fn next_item(&mut self) -> Option<Result<Item<'_>, Error>> {
        self.engine.next_item(self.chunk, &mut self.pos)
    }
}

impl Iterator for Feed<'_> {
    type Item = Result<OwnedItem, Error>;

    // Inlined where the feed is read, for the calls that find nothing to
    // parse (the chunk used up, or a few bytes appended to a carried line):
    // one or two per chunk, which as calls cost more than decoding a small
    // chunk. The rest is a call: inlined whole, `next` slowed W1 and W5 in
    // one chunk and 4 KiB chunks by 3-7%.
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.engine.chunk_done(self.chunk, &mut self.pos) {
            return None;
        }
        self.next_owned()
    }
}

impl Feed<'_> {
    /// [`Iterator::next`] past its inlined cases.
    #[inline(never)]
    fn next_owned(&mut self) -> Option<Result<OwnedItem, Error>> {
        Some(self.next_item()?.map(|item| item.to_owned_item()))
    }
}

impl Drop for Feed<'_> {
    #[inline]
    #[allow(
        clippy::indexing_slicing,
        reason = "`pos <= chunk.len()`: it advances by what the parser consumed of the chunk"
    )]
    fn drop(&mut self) {
        self.engine.stash(&self.chunk[self.pos..]);
    }
}

#[cfg(feature = "bytes")]
pub use self::shared::{BytesDecoder, BytesFeed};

#[cfg(feature = "bytes")]
mod shared {
    use super::{Carry, Engine, Source};
    use crate::buffer::SharedBuffer;
    use crate::decoder::{Buffers, Builder, Step};
    use crate::error::Error;
    use crate::event::{Event, OwnedItem, RawMeta};
    use alloc::string::String;
    use bytes::{Bytes, BytesMut};

    /// Room reserved when the carry buffer must grow (bounded by the line
    /// limit): the lines that span chunks then share one buffer, and each is
    /// handed out as `Bytes` without a copy or an allocation of its own.
    const CARRY_ROOM: usize = 4096;

    /// The carry of a [`BytesDecoder`]: a `BytesMut` whose carried lines
    /// are split off as events take them, and how much room its buffer had
    /// before the last split.
    #[derive(Debug, Default)]
    struct SharedCarry {
        bytes: BytesMut,
        /// The room before the last split when it took more than half of
        /// it, to take back when the next carried line starts; else 0.
        reclaim: usize,
    }

    impl core::ops::Deref for SharedCarry {
        type Target = [u8];

        #[inline]
        fn deref(&self) -> &[u8] {
            &self.bytes
        }
    }

    impl SharedCarry {
        /// A line starts after one that was split off the front of the
        /// buffer leaving less than half of it: takes the whole buffer back
        /// now, while there is nothing to move, if the events that share it
        /// are gone (else a long line would be moved there later, or grow
        /// in a new buffer by copies). Tried once per such split.
        #[cold]
        #[inline(never)]
        fn reclaim(&mut self) {
            if self.bytes.is_empty() {
                let _ = self.bytes.try_reclaim(self.reclaim);
            }
            self.reclaim = 0;
        }
    }

    impl Carry for SharedCarry {
        // Inlined (as `Vec`'s is): called for every chunk of a fragmented
        // stream; a call costs 8% of W1 in 7-byte chunks.
        #[inline(always)]
        #[allow(clippy::arithmetic_side_effects, reason = "`len() <= capacity()`")]
        fn append(&mut self, bytes: &[u8], max_line_length: usize) {
            if self.reclaim != 0 {
                self.reclaim();
            }
            let carry = &mut self.bytes;
            // Reuse the buffer once the events that share it are gone;
            // otherwise start a new one with some room.
            if carry.capacity() - carry.len() < bytes.len() && !carry.try_reclaim(bytes.len()) {
                let room = CARRY_ROOM.min(max_line_length.saturating_add(3));
                carry.reserve(bytes.len().max(room));
            }
            carry.extend_from_slice(bytes);
        }

        #[inline]
        fn clear(&mut self) {
            self.bytes.clear();
        }

        #[inline]
        fn drop_front(&mut self, n: usize) {
            bytes::Buf::advance(&mut self.bytes, n);
        }
    }

    impl Engine<SharedBuffer, SharedCarry> {
        /// `carry[range]` as `Bytes`: the data of an event dispatched from
        /// carried bytes. When the dispatch consumed every carried byte (the
        /// usual case), the carried bytes are split off and shared, not
        /// copied; the carry goes on in the rest of its buffer.
        #[inline]
        #[allow(
            clippy::indexing_slicing,
            reason = "the range is of a step parsed from the carry"
        )]
        fn take_carried(&mut self, range: core::ops::Range<usize>) -> Bytes {
            if self.carry_start == self.carry.len() {
                self.carry_start = 0;
                let room = self.carry.bytes.capacity();
                let data = self.carry.bytes.split().freeze().slice(range);
                if self.carry.bytes.capacity() < room / 2 {
                    self.carry.reclaim = room;
                }
                return data;
            }
            Bytes::copy_from_slice(&self.carry[range])
        }
    }

    /// A [`Decoder`](crate::Decoder) for input in [`Bytes`] chunks whose
    /// events share the input: single-line data that lies within one chunk
    /// is a slice of it, not a copy, and so are an event type and ID of
    /// more than 23 bytes in a chunk of 512 bytes or more (in a smaller
    /// chunk, one event as a live server flushes it, copying those values
    /// costs less than the reference counts of sharing them). An event type
    /// or ID of at most 23 bytes is held in the event itself: neither
    /// shared nor allocated.
    ///
    /// Values that must be copied (a line that spans chunks, data of several
    /// lines, a short chunk's event type and ID) are assembled in buffers
    /// that events then share, split off per event and reused once those
    /// events are dropped: once warm, decoding allocates nothing per event
    /// however the input is chunked. As with any `Bytes` slice, an event that
    /// is kept keeps its whole underlying buffer alive: the input chunk, or a
    /// shared buffer (a few KiB, or as large as the longest line that spanned
    /// chunks, at most the line limit). The decoder itself keeps no input chunk alive
    /// once it has decoded it: what it keeps longer (the last event ID, an
    /// event type or data line whose event the next chunk completes) it
    /// copies then, so a one-byte ID does not hold on to a 16 MB read.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use sse_codec_core::{BytesDecoder, OwnedItem};
    ///
    /// let mut decoder = BytesDecoder::new();
    /// let chunk = Bytes::from_static(b"event: tick\ndata: {\"n\":1}\n\n");
    /// let items: Vec<_> = decoder.feed(chunk).collect::<Result<_, _>>().unwrap();
    /// let OwnedItem::Event(event) = &items[0] else { panic!() };
    /// assert_eq!(event.event_type(), "tick");
    /// assert_eq!(event.data_bytes(), Bytes::from_static(b"{\"n\":1}"));
    /// ```
    ///
    /// Besides [`feed`](BytesDecoder::feed), which hands out the items of
    /// one chunk as an iterator, chunks can be [`push`](BytesDecoder::push)ed
    /// and their items pulled one at a time with
    /// [`next_item`](BytesDecoder::next_item): the shape a `Stream` adapter
    /// needs, with nothing queued in between.
    #[derive(Debug)]
    pub struct BytesDecoder {
        engine: Engine<SharedBuffer, SharedCarry>,
        /// The chunk being decoded, from `pos` on. When empty, it is
        /// `Bytes::new()`: an empty chunk is not taken, and the decoder lets
        /// go of a chunk by putting `Bytes::new()` in its place.
        chunk: Bytes,
        pos: usize,
        /// Whether the buffers know `chunk` as their source yet (they need to
        /// only when a line is read from it, not from carried bytes).
        sourced: bool,
    }

    /// The least chunk length from which the buffers may hold ranges of the
    /// chunk (instruction counts, `bash benches/iai-ci.sh`: W3 in 4 KiB
    /// chunks 4-7% fewer than with copies; one chunk per event or per
    /// keep-alive 3-21% more than without handing the chunk over).
    const SOURCE_MIN: usize = 512;

    impl Default for BytesDecoder {
        fn default() -> Self {
            BytesDecoder::new()
        }
    }

    impl BytesDecoder {
        /// A decoder with the default limits, not reporting comments.
        pub fn new() -> Self {
            Builder::new().build_bytes()
        }

        /// Decodes `chunk`; see [`Decoder::feed`](crate::Decoder::feed).
        #[inline]
        pub fn feed(&mut self, chunk: Bytes) -> BytesFeed<'_> {
            self.push(chunk);
            BytesFeed { decoder: self }
        }

        /// Takes `chunk` as the next input, whose items
        /// [`next_item`](Self::next_item) then yields. Pull until `next_item`
        /// returns `None` before pushing again (as [`feed`](Self::feed) and
        /// `sse-codec-tokio` do). Bytes of an earlier chunk that `next_item`
        /// has not reached yet are unread input: they are copied, and
        /// decoded first, within the budget that
        /// [`Decoder::feed`](crate::Decoder::feed) describes;
        /// beyond it they are decoded at once, their items dropped and
        /// reported by an `Error::BufferFull { buffer: "unread input" }`
        /// item, so that pushing without pulling never grows the decoder.
        ///
        /// ```
        /// use bytes::Bytes;
        /// use sse_codec_core::{BytesDecoder, OwnedItem};
        ///
        /// let mut decoder = BytesDecoder::new();
        /// let mut events = Vec::new();
        /// for chunk in ["data: hel", "lo\n\nretry: 5\n", "data: bye\n\n"] {
        ///     decoder.push(Bytes::from(chunk));
        ///     while let Some(item) = decoder.next_item() {
        ///         if let Ok(OwnedItem::Event(event)) = item {
        ///             events.push(event);
        ///         }
        ///     }
        /// }
        /// assert_eq!(events.len(), 2);
        /// assert_eq!(events[0].data(), "hello");
        /// assert_eq!(decoder.reconnection_time(), Some(5));
        /// ```
        #[inline]
        pub fn push(&mut self, mut chunk: Bytes) {
            // Taken out of `chunk` (its four words read one by one) rather
            // than moved: the compiler moves a `Bytes` just returned (a
            // clone, a stream's item) in two 16-byte halves, each of which
            // reads two of the 8-byte stores that wrote it. Such a load is
            // not forwarded from the stores; it waits until they reach the
            // cache, and decoding the chunk waits on it. Interleaved A/B of
            // `decode/w1/7B/sse-codec bytes`: 4.45 -> 3.05 ms (-31%); per
            // event 5.94 -> 4.83 ms (-19%).
            let chunk = core::mem::take(&mut chunk);
            // A chunk not released yet was not read to the end.
            if !self.chunk.is_empty() {
                self.stash();
                self.release_chunk();
            }
            if chunk.is_empty() {
                return;
            }
            // `self.chunk` is empty, so it is `Bytes::new()` (see the
            // field), whose drop does nothing: not called through the
            // vtable for every chunk.
            core::mem::forget(core::mem::replace(&mut self.chunk, chunk));
        }

        /// The next item of the pushed input: `None` once all of it is
        /// decoded, or kept for the next chunk (a partial line). Never
        /// blocks; items come in stream order, exactly as
        /// [`feed`](Self::feed) yields them.
        ///
        /// At `None` the decoder lets go of the chunk: what it keeps from it
        /// (the last event ID, part of an event that the next chunks
        /// complete) it copies, so that only the events handed out share
        /// the input.
        // Always inlined: as a call, and with it the code it inlines laid
        // out anew, `BytesDecoder`'s W1 took 16-26% more instructions
        // (`bash benches/iai-ci.sh`).
        #[inline(always)]
        #[allow(
            clippy::arithmetic_side_effects,
            clippy::indexing_slicing,
            reason = "`start` and the ranges of the step index the slice (carry or chunk) that `next_step` parsed"
        )]
        pub fn next_item(&mut self) -> Option<Result<OwnedItem, Error>> {
            let chunk = &self.chunk;
            let sourced = &mut self.sourced;
            let Some((step, source, start)) =
                self.engine.next_step(chunk, &mut self.pos, &mut |raw| {
                    // Ranges of a chunk that holds many events are cheaper
                    // than copies of every value. A chunk of one event (or
                    // a keep-alive) is not handed over: its single-line
                    // data is sliced from it at the dispatch anyway, and
                    // the reference-count round trips would cost more than
                    // copying a short ID or event type.
                    if !*sourced && chunk.len() >= SOURCE_MIN {
                        *sourced = true;
                        for buffer in raw.buffers_mut() {
                            buffer.set_source(chunk);
                        }
                    }
                })
            else {
                self.release_chunk();
                return None;
            };
            if step == Step::Dispatch {
                // The data: one line still in the input (a slice of the
                // chunk, or taken from the carried bytes), or the data
                // buffer's content. Buffers are cleared after a dispatch,
                // so their content moves into the event.
                let data = match (self.engine.raw.take_pending(), source) {
                    (Some((a, b)), Source::Chunk) => self.chunk_data(start + a..start + b),
                    (Some((a, b)), Source::Carry) => self.engine.take_carried(start + a..start + b),
                    (None, _) => self.engine.raw.event_buffers_mut().1.take(),
                };
                let (event_type, _, id) = self.engine.raw.event_buffers_mut();
                // A short event type or ID is copied into the event; the
                // buffers' content stays for them to reuse (the event type
                // is cleared with the rest of the event, the ID stays the
                // last event ID).
                let event_type = RawMeta::from_buffer(event_type, false);
                let id = RawMeta::from_buffer(id, true);
                let event = Event::from_shared(event_type, data, id);
                return Some(Ok(OwnedItem::Event(event)));
            }
            let input = match source {
                Source::Carry => &self.engine.carry[start..],
                Source::Chunk => &self.chunk[start..],
            };
            Some(
                self.engine
                    .raw
                    .item(input, step)
                    .transpose()?
                    .map(|item| item.to_owned_item()),
            )
        }

        /// `chunk[range]` as `Bytes`: the single-line data of an event
        /// dispatched in place. When the dispatch used up the chunk (one
        /// event per read, as a live server flushes them), the chunk itself
        /// moves into the event, trimmed to the data: a slice would cost an
        /// atomic reference-count increment now and a decrement when the
        /// decoder lets go of the chunk, more than the rest of decoding a
        /// short event (`decode/w1/event` in `benches/benches/decode.rs`).
        #[inline]
        fn chunk_data(&mut self, range: core::ops::Range<usize>) -> Bytes {
            if self.pos == self.chunk.len() {
                let mut data = core::mem::take(&mut self.chunk);
                self.pos = 0;
                data.truncate(range.end);
                bytes::Buf::advance(&mut data, range.start);
                return data;
            }
            self.chunk.slice(range)
        }

        /// Moves the bytes of the current chunk not decoded yet to the carry
        /// (or, over the budget, decodes them; see `Engine::stash`).
        #[inline]
        #[allow(
            clippy::indexing_slicing,
            reason = "`carry_start <= carry.len()`; lengths of slices in memory"
        )]
        fn stash(&mut self) {
            self.engine.stash(&self.chunk[self.pos..]);
            self.pos = self.chunk.len();
        }

        /// Done with the current chunk, whose every byte is decoded or
        /// carried: the buffers copy the values that are still ranges of it
        /// (they outlive it) and let it go, and so does the decoder. Values
        /// handed out in events keep sharing it.
        #[inline]
        fn release_chunk(&mut self) {
            if self.sourced {
                self.release_sources();
            }
            self.chunk = Bytes::new();
            self.pos = 0;
        }

        /// The buffers' part of [`release_chunk`](Self::release_chunk).
        #[inline(never)]
        fn release_sources(&mut self) {
            self.sourced = false;
            for buffer in self.engine.raw.buffers_mut() {
                buffer.release_source();
            }
        }

        /// The stream ended; see [`Decoder::end_of_stream`](crate::Decoder::end_of_stream).
        /// Pushed bytes not decoded yet are discarded with the partial event.
        pub fn end_of_stream(&mut self) {
            self.pos = self.chunk.len();
            self.release_chunk();
            self.engine.end_of_stream();
        }

        /// The last event ID string (invalid UTF-8 replaced).
        pub fn last_event_id(&self) -> alloc::borrow::Cow<'_, str> {
            String::from_utf8_lossy(self.engine.raw.last_event_id())
        }

        /// Sets the last event ID, e.g. to resume a stream from a saved ID.
        pub fn set_last_event_id(&mut self, id: &str) {
            // A SharedBuffer is never full.
            let _ = self.engine.raw.set_last_event_id(id.as_bytes());
        }

        /// The reconnection time from the last valid `retry` field, in milliseconds.
        pub fn reconnection_time(&self) -> Option<u64> {
            self.engine.raw.reconnection_time()
        }

        /// Whether part of an event has been received but not its end, or
        /// pushed bytes are not decoded yet.
        pub fn is_mid_event(&self) -> bool {
            self.pos < self.chunk.len()
                || self.engine.carry_start < self.engine.carry.len()
                || self.engine.raw.is_mid_event()
        }

        /// The maximum line length in force.
        pub fn max_line_length(&self) -> usize {
            self.engine.raw.parser().max_line_length()
        }
    }

    impl Builder {
        /// A [`BytesDecoder`] with these settings.
        pub fn build_bytes(self) -> BytesDecoder {
            BytesDecoder {
                engine: Engine::new(self.build_raw(Buffers::<SharedBuffer>::default())),
                chunk: Bytes::new(),
                pos: 0,
                sourced: false,
            }
        }
    }

    /// The items of one chunk fed to a [`BytesDecoder`]: an iterator of
    /// [`BytesDecoder::next_item`]. Bytes it has not reached when it is
    /// dropped are unread input, kept for the next chunk within a budget
    /// (see [`Decoder::feed`](crate::Decoder::feed)).
    #[derive(Debug)]
    pub struct BytesFeed<'a> {
        decoder: &'a mut BytesDecoder,
    }

    impl Iterator for BytesFeed<'_> {
        type Item = Result<OwnedItem, Error>;

        #[inline]
        fn next(&mut self) -> Option<Self::Item> {
            self.decoder.next_item()
        }
    }

    impl Drop for BytesFeed<'_> {
        #[inline]
        fn drop(&mut self) {
            // Released already when the feed was read to the end.
            if !self.decoder.chunk.is_empty() {
                self.decoder.stash();
                self.decoder.release_chunk();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Decoder;
    use crate::event::OwnedItem;
    use alloc::string::String;
    use alloc::vec::Vec;

    fn events(decoder: &mut Decoder, chunk: &[u8]) -> Vec<(String, String, String)> {
        decoder
            .feed(chunk)
            .map(|item| match item {
                Ok(OwnedItem::Event(event)) => (
                    event.event_type().into(),
                    event.data().into(),
                    event.id().into(),
                ),
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    /// The owned iterator ends a used-up chunk without a parse step (its
    /// inlined `chunk_done`), which leaves the dispatched event to be
    /// cleared by the next step: its event type must not leak into the next
    /// event, the decoder is not mid-event, and a few bytes of a carried
    /// line appended without a parse are still decoded.
    #[test]
    fn a_chunk_used_up_without_a_step_leaves_no_event_behind() {
        let mut decoder = Decoder::new();
        let got = events(&mut decoder, b"event: a\nid: 1\ndata: x\n\n");
        assert_eq!(got, [("a".into(), "x".into(), "1".into())]);
        assert!(!decoder.is_mid_event());
        assert_eq!(events(&mut decoder, b""), []);
        assert!(!decoder.is_mid_event());
        // A few bytes at a time: each appended to the carried line.
        for chunk in [&b"da"[..], b"ta: ", b"y", b""] {
            assert_eq!(events(&mut decoder, chunk), []);
            assert!(decoder.is_mid_event());
        }
        let got = events(&mut decoder, b"\n\n");
        assert_eq!(got, [("message".into(), "y".into(), "1".into())]);
        assert!(!decoder.is_mid_event());
    }

    /// Every chunk pushed is let go once decoded (the decoder does not
    /// forget a reference), empty ones too, even those that share a buffer
    /// (`split_to(0)`): the buffer they were cut from is unique again.
    #[cfg(feature = "bytes")]
    #[test]
    fn pushed_chunks_are_let_go() {
        use super::BytesDecoder;
        use bytes::BytesMut;
        let mut buffer = BytesMut::from(&b"data: a\n\n: ka\nid: 1\ndata: b\n\ndata: c"[..]);
        let mut decoder = BytesDecoder::new();
        let mut events = 0;
        for len in [0, 3, 0, 7, 1, 0, 12, 5, 0, 100] {
            let chunk = buffer.split_to(len.min(buffer.len())).freeze();
            decoder.push(chunk);
            while let Some(item) = decoder.next_item() {
                if let Ok(OwnedItem::Event(_)) = item {
                    events += 1;
                }
            }
        }
        assert_eq!(events, 2);
        assert!(decoder.is_mid_event());
        // `buffer` (empty) still shares the allocation: unique once every
        // chunk and event is gone.
        let rest = buffer.freeze();
        assert!(
            rest.is_unique(),
            "a chunk's reference was kept or forgotten"
        );
    }
}
