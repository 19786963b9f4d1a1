//! Layer 1: bytes to lines to fields ("Parsing an event stream").
//!
//! [`LineParser`] turns the bytes of an event stream into [`Line`]s: it drops
//! the byte order mark, finds line ends (CRLF, lone CR, lone LF, even when a CR
//! and its LF arrive in different chunks), splits each line into a field name
//! and value, and recognises the four field names of the spec. It does not
//! interpret anything: that is [`RawDecoder`](crate::RawDecoder)'s job.
//!
//! The parser holds no line buffer. The caller owns the input and hands the
//! parser all of its *unconsumed* bytes at every call; the parser says how many
//! bytes it consumed (the caller may drop them) and remembers how far it has
//! already scanned, so that re-presenting the same unterminated line with more
//! bytes appended costs only the new bytes. Its state between calls is a few
//! words: whether the BOM may still come, whether the last byte was a CR, how
//! far it scanned, and whether it is skipping the rest of an over-long line (or
//! of a comment, which a decoder that does not report comments has it skip).

use memchr::{memchr, memchr2};

/// The UTF-8 byte order mark, dropped once at the start of a stream.
const BOM: &[u8; 3] = b"\xEF\xBB\xBF";

/// One line of an event stream, split into its parts.
///
/// Values borrow from the input and are raw bytes: UTF-8 decoding happens
/// later, once per value (the spec allows this, since CR, LF and `:` are ASCII).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// An empty line: dispatch the event.
    Empty,
    /// A line starting with `:`. The text after the colon, nothing stripped.
    Comment(&'a [u8]),
    /// A `data` field, with its value (one leading space removed).
    Data(&'a [u8]),
    /// An `event` field: the event type.
    Event(&'a [u8]),
    /// An `id` field: the last event ID.
    Id(&'a [u8]),
    /// A `retry` field: the raw value, not yet checked for digits.
    Retry(&'a [u8]),
    /// Any other field name (names are case-sensitive: `Data` lands here).
    Unknown {
        /// The field name: everything before the first `:`.
        name: &'a [u8],
        /// The value, one leading space removed.
        value: &'a [u8],
    },
}

impl<'a> Line<'a> {
    /// Splits one line (without its terminator) into a name and value as the
    /// spec says: comment if it starts with `:`, otherwise name before the
    /// first `:`, value after it minus one leading U+0020; no colon at all
    /// means the whole line is the name and the value is empty.
    ///
    /// ```
    /// use sse_codec_core::Line;
    /// assert_eq!(Line::parse(b"data:  x"), Line::Data(b" x"));
    /// assert_eq!(Line::parse(b"data"), Line::Data(b""));
    /// assert_eq!(Line::parse(b": hi"), Line::Comment(b" hi"));
    /// assert_eq!(Line::parse(b"Data: x"), Line::Unknown { name: b"Data", value: b"x" });
    /// assert_eq!(Line::parse(b""), Line::Empty);
    /// ```
    #[inline(always)]
    pub fn parse(line: &'a [u8]) -> Line<'a> {
        // Keep-alive comments first: one byte tells them.
        if let Some(text) = line.strip_prefix(b":") {
            return Line::Comment(text);
        }
        // Most lines of real streams are `data:` lines: no need to look for
        // the colon (`data` holds none, so the first colon is this one).
        if let Some(value) = line.strip_prefix(b"data:") {
            return Line::Data(field_value(value));
        }
        Line::parse_general(line)
    }

    /// A line that is neither a comment nor a `data:` line.
    #[allow(
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing,
        reason = "`colon` is the position of a byte of `line`, so `colon + 1 <= line.len()`"
    )]
    fn parse_general(line: &'a [u8]) -> Line<'a> {
        let (name, value) = match memchr(b':', line) {
            None if line.is_empty() => return Line::Empty,
            None => (line, &line[line.len()..]),
            Some(colon) => (&line[..colon], field_value(&line[colon + 1..])),
        };
        match name {
            b"data" => Line::Data(value),
            b"event" => Line::Event(value),
            b"id" => Line::Id(value),
            b"retry" => Line::Retry(value),
            _ => Line::Unknown { name, value },
        }
    }
}

/// The index of the first CR or LF in `haystack`. Short inputs (a few bytes
/// of a fragmented stream, a keep-alive) are searched in registers
/// ([`find_line_end_short`]): cheaper than a call to `memchr`.
#[inline(always)]
pub(crate) fn find_line_end(haystack: &[u8]) -> Option<usize> {
    if haystack.len() < 16 {
        find_line_end_short(haystack)
    } else {
        memchr2(b'\n', b'\r', haystack)
    }
}

/// [`find_line_end`] for fewer than 16 bytes: two overlapping 8-byte
/// words, or two overlapping 4-byte halves of one word, each checked for
/// CR and LF at once; fewer than 4 bytes are walked. No loop over bytes,
/// no call: the one search for the short chunks of a fragmented stream.
#[inline(always)]
#[allow(
    clippy::arithmetic_side_effects,
    reason = "`len - 8` with `len >= 8` and `at + len - 8` with `at >= 4` and `len >= 4`: the first/last chunks exist only then; `at` is a byte index within one word"
)]
pub(crate) fn find_line_end_short(haystack: &[u8]) -> Option<usize> {
    let len = haystack.len();
    // Longer inputs would be searched in their first and last 8 bytes only.
    debug_assert!(len < 16, "find_line_end_short takes fewer than 16 bytes");
    if len < 4 {
        // Also the empty rest of a chunk, which every chunk ends with.
        return haystack.iter().position(|&b| b == b'\n' || b == b'\r');
    }
    if let (Some(first), Some(last)) = (haystack.first_chunk::<8>(), haystack.last_chunk::<8>()) {
        if let Some(at) = line_end_in_word(u64::from_le_bytes(*first)) {
            return Some(at);
        }
        // `last` overlaps `first` by `16 - len` bytes, which hold no line
        // end: its first line end is past them.
        return line_end_in_word(u64::from_le_bytes(*last)).map(|at| len - 8 + at);
    }
    let (Some(first), Some(last)) = (haystack.first_chunk::<4>(), haystack.last_chunk::<4>())
    else {
        return None;
    };
    // Bytes 0..4 in the low half, `len - 4..len` in the high half.
    let word = u64::from(u32::from_le_bytes(*first)) | u64::from(u32::from_le_bytes(*last)) << 32;
    line_end_in_word(word).map(|at| if at < 4 { at } else { at + len - 8 })
}

/// [`find_line_end`] for a line read straight from the input, at the start
/// of a line: usually a data line of tens to hundreds of bytes.
#[inline(always)]
fn find_data_line_end(haystack: &[u8]) -> Option<usize> {
    if haystack.len() < 16 {
        find_line_end_short(haystack)
    } else {
        find_line_end_16(haystack)
    }
}

/// [`find_data_line_end`] for at least 16 bytes: on x86-64, the first
/// [`sse2::INLINE`] bytes are searched 16 at a time without a call (most
/// lines end within them), the rest by `memchr2`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(unsafe_code)]
fn find_line_end_16(haystack: &[u8]) -> Option<usize> {
    // SAFETY: `sse2::find` only needs the CPU to have SSE2, which is part of
    // the x86-64 baseline: every x86-64 CPU has it (the compiler assumes it
    // too). Measured against `memchr2` in its place (BENCHMARKS.md,
    // "unsafe"): W3 borrowed in 4 KiB chunks 0.66 -> 0.55 of sse-core's time.
    unsafe { sse2::find(haystack) }
}

/// [`find_data_line_end`] for at least 16 bytes, elsewhere: `memchr2`.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn find_line_end_16(haystack: &[u8]) -> Option<usize> {
    memchr2(b'\n', b'\r', haystack)
}

/// The line-end search with SSE2 (x86-64 only). Safe code throughout; the
/// functions are `unsafe` to call only because they enable SSE2.
#[cfg(target_arch = "x86_64")]
mod sse2 {
    use core::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8, _mm_set_epi64x,
    };

    /// How many bytes are searched here before handing over to `memchr2`,
    /// whose wider loop wins on long lines.
    pub(super) const INLINE: usize = 128;

    /// The index of the first CR or LF in `haystack`, which has at least
    /// 16 bytes.
    #[target_feature(enable = "sse2")]
    #[inline]
    #[allow(
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing,
        reason = "every block read is guarded by `at + 16 <= len` or `at + 32 <= len`, and the last block starts at `len - 16` with `len >= 16`"
    )]
    pub(super) fn find(haystack: &[u8]) -> Option<usize> {
        let lf = _mm_set1_epi8(b'\n' as i8);
        let cr = _mm_set1_epi8(b'\r' as i8);
        let len = haystack.len();
        let mut at = 0;
        // Two blocks per round: one branch per 32 bytes.
        while at + 32 <= len {
            if at == INLINE {
                return memchr::memchr2(b'\n', b'\r', &haystack[at..]).map(|i| at + i);
            }
            let found = line_ends(block(haystack, at), lf, cr)
                | line_ends(block(haystack, at + 16), lf, cr) << 16;
            if found != 0 {
                return Some(at + found.trailing_zeros() as usize);
            }
            at += 32;
        }
        if at + 16 <= len {
            let found = line_ends(block(haystack, at), lf, cr);
            if found != 0 {
                return Some(at + found.trailing_zeros() as usize);
            }
            at += 16;
        }
        if at == len {
            return None;
        }
        // Fewer than 16 bytes left: search the last 16, minus the bytes
        // already searched.
        let last = len - 16;
        let found = line_ends(block(haystack, last), lf, cr) >> (at - last);
        (found != 0).then(|| at + found.trailing_zeros() as usize)
    }

    /// `haystack[at..at + 16]` in a register.
    #[target_feature(enable = "sse2")]
    #[inline]
    #[allow(
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing,
        reason = "callers pass `at + 16 <= haystack.len()`"
    )]
    fn block(haystack: &[u8], at: usize) -> __m128i {
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&haystack[i..i + 8]);
            i64::from_le_bytes(w)
        };
        _mm_set_epi64x(word(at + 8), word(at))
    }

    /// A bit for each byte of `block` that is LF or CR (bit `i`: byte `i`).
    #[target_feature(enable = "sse2")]
    #[inline]
    fn line_ends(block: __m128i, lf: __m128i, cr: __m128i) -> u32 {
        let ends = _mm_or_si128(_mm_cmpeq_epi8(block, lf), _mm_cmpeq_epi8(block, cr));
        // Only the low 16 bits can be set.
        _mm_movemask_epi8(ends) as u32
    }
}

/// [`find_line_end`] for a line that is probably short: a comment (a
/// keep-alive), an `event`, `id` or `retry` line. Its first 16 bytes are
/// checked two words at a time in registers, which costs less than a call to
/// `memchr2`; a longer line goes on to `memchr2`. (Data lines, which may be
/// long, go straight to `memchr2`.)
#[inline(always)]
#[allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    reason = "`haystack[SHORT_LINE..]` once two 8-byte words were split off (so `len >= SHORT_LINE`); `8 + at` is a position in the second word"
)]
pub(crate) fn find_short_line_end(haystack: &[u8]) -> Option<usize> {
    let Some((first, rest)) = haystack.split_first_chunk::<8>() else {
        return find_line_end_short(haystack);
    };
    let Some((second, _)) = rest.split_first_chunk::<8>() else {
        return find_line_end_short(haystack);
    };
    if let Some(at) = line_end_in_word(u64::from_le_bytes(*first)) {
        return Some(at);
    }
    if let Some(at) = line_end_in_word(u64::from_le_bytes(*second)) {
        return Some(8 + at);
    }
    memchr2(b'\n', b'\r', &haystack[SHORT_LINE..]).map(|i| SHORT_LINE + i)
}

/// How many bytes [`find_short_line_end`] checks in registers.
const SHORT_LINE: usize = 16;

/// The index of the first LF or CR byte among the eight bytes of `word`
/// (read little-endian), if any.
///
/// A byte of `x = word ^ pattern` is zero exactly where `word` has the
/// pattern's byte; `(x - 0x0101..) & !x & 0x8080..` sets the high bit of every
/// zero byte of `x`, and may set it in a byte *above* a zero byte (a borrow)
/// but never below one: the lowest set bit always marks the first match.
#[inline(always)]
fn line_end_in_word(word: u64) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let lf = word ^ (ONES * u64::from(b'\n'));
    let cr = word ^ (ONES * u64::from(b'\r'));
    let found = ((lf.wrapping_sub(ONES) & !lf) | (cr.wrapping_sub(ONES) & !cr)) & HIGHS;
    (found != 0).then(|| found.trailing_zeros() as usize / 8)
}

/// The field value after the colon: "If value starts with a U+0020 SPACE
/// character, remove it from value."
#[inline(always)]
fn field_value(after_colon: &[u8]) -> &[u8] {
    after_colon.strip_prefix(b" ").unwrap_or(after_colon)
}

/// Which line-end search [`LineParser::find_line`] uses.
#[derive(Clone, Copy)]
enum Search {
    /// A line at the start of the input that starts with `d` (or of which
    /// nothing is known): [`find_data_line_end`].
    Data,
    /// A line that is probably short (see [`find_short_line_end`]).
    Short,
    /// The rest of a line partly scanned before, or after a BOM or a CR
    /// (a fragmented stream, mostly: a few bytes): [`find_line_end`].
    Rest,
}

/// What [`LineParser::parse`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parsed<'a> {
    /// A complete line.
    Line(Line<'a>),
    /// The input holds no complete line yet: call again with the unconsumed
    /// bytes and more appended.
    NeedMore,
    /// A line longer than the maximum line length. Its bytes are consumed (and
    /// the rest of it, in later calls, up to its line end) without being
    /// interpreted.
    LineTooLong,
}

/// The incremental line parser: bytes to [`Line`]s.
///
/// It holds no line buffer: at every call the caller passes all of its
/// unconsumed input, and drops the consumed bytes afterwards. The parser
/// remembers how far it scanned, so re-presenting an unterminated line with
/// more bytes appended costs only the new bytes.
///
/// ```
/// use sse_codec_core::{Line, LineParser, Parsed};
///
/// let mut parser = LineParser::new();
/// let mut input = b"data: hel".to_vec();
/// let (used, parsed) = parser.parse(&input);
/// assert_eq!((used, parsed), (0, Parsed::NeedMore));
/// input.extend_from_slice(b"lo\r");
/// let (used, parsed) = parser.parse(&input);
/// assert_eq!(parsed, Parsed::Line(Line::Data(b"hello")));
/// input.drain(..used);
/// // The CR may be the first half of a CRLF: a LF that comes next is skipped.
/// input.extend_from_slice(b"\n\n");
/// let (used, parsed) = parser.parse(&input);
/// assert_eq!((used, parsed), (2, Parsed::Line(Line::Empty)));
/// ```
#[derive(Clone, Debug)]
pub struct LineParser {
    max_line_length: usize,
    /// The stream has not yet shown a byte that rules out a leading BOM.
    bom_possible: bool,
    /// The last line ended with a CR: a LF right after it belongs to it.
    after_cr: bool,
    /// Skipping the rest of an over-long line, or of a comment.
    discarding: bool,
    /// While `discarding` a comment: its length so far (for the line limit,
    /// which applies to comments too). 0 for an over-long line.
    comment_len: usize,
    /// Comments are skipped, not returned (see [`LineParser::skip_comments`]).
    skip_comments: bool,
    /// Bytes at the front of the unconsumed input already known to hold no line end.
    scanned: usize,
}

impl Default for LineParser {
    fn default() -> Self {
        LineParser::new()
    }
}

impl LineParser {
    /// The default maximum line length: 16 MiB.
    pub const DEFAULT_MAX_LINE_LENGTH: usize = 16 * 1024 * 1024;

    /// A parser at the start of a stream, with the default maximum line length.
    pub const fn new() -> Self {
        LineParser::with_max_line_length(Self::DEFAULT_MAX_LINE_LENGTH)
    }

    /// A parser at the start of a stream that reports lines longer than
    /// `max` bytes (excluding the line end) as [`Parsed::LineTooLong`].
    pub const fn with_max_line_length(max: usize) -> Self {
        LineParser {
            max_line_length: max,
            bom_possible: true,
            after_cr: false,
            discarding: false,
            comment_len: 0,
            skip_comments: false,
            scanned: 0,
        }
    }

    /// Comment lines are consumed without being returned, as if they were
    /// not there (a decoder that does not report comments sets this). A
    /// comment that spans calls is consumed as its bytes come, instead of
    /// waiting to be whole: the keep-alive a server sends every few seconds
    /// costs a caller no copy however the stream is cut. Comments are still
    /// held to the maximum line length ([`Parsed::LineTooLong`]), as any
    /// line.
    pub(crate) const fn skip_comments(mut self) -> Self {
        self.skip_comments = true;
        self
    }

    /// The maximum line length in bytes.
    pub const fn max_line_length(&self) -> usize {
        self.max_line_length
    }

    /// Forgets the current stream and starts a new one (a BOM may come again).
    pub fn reset(&mut self) {
        *self = LineParser {
            skip_comments: self.skip_comments,
            ..LineParser::with_max_line_length(self.max_line_length)
        };
    }

    /// Whether the parser is inside a line: some bytes of it were seen (or
    /// are being skipped) but not its end.
    pub const fn in_line(&self) -> bool {
        self.scanned > 0 || self.discarding
    }

    /// Parses the next line from `input`, which must be every byte not yet
    /// consumed: the unconsumed bytes of the previous call, in order, followed
    /// by any new ones. Returns the number of bytes consumed, which the caller
    /// must drop from the front before the next call, and what was found.
    ///
    /// Bytes already scanned are not scanned again, so a stream costs time
    /// linear in its length however it is chunked.
    #[inline(always)]
    #[allow(
        clippy::arithmetic_side_effects,
        reason = "`start < input.len()` where a byte at `start` was read"
    )]
    pub fn parse<'a>(&mut self, input: &'a [u8]) -> (usize, Parsed<'a>) {
        // The steady state: at the start of a line (or just after a CR).
        // `|`, not `||`: one branch for the three tests, not three (W4 in
        // 4 KiB and 7 B chunks -1.5% instructions).
        if (self.scanned != 0) | self.bom_possible | self.discarding {
            return self.parse_slow(input);
        }
        let mut start = 0;
        if self.after_cr {
            match input.first() {
                None => return (0, Parsed::NeedMore),
                Some(&b'\n') => start = 1,
                Some(_) => {}
            }
            self.after_cr = false;
        }
        self.line_from(input, start)
    }

    /// The line that starts at `input[start..]`, told by its first byte: an
    /// empty line needs no search, a line that is not a data line is
    /// probably short, and a comment that is to be skipped is skipped.
    #[inline(always)]
    #[allow(
        clippy::arithmetic_side_effects,
        reason = "`start < input.len()` where a byte at `start` was read"
    )]
    fn line_from<'a>(&mut self, input: &'a [u8], start: usize) -> (usize, Parsed<'a>) {
        match input.get(start) {
            Some(&b'\n') => self.empty_line(input, start + 1),
            Some(&b'\r') => {
                let next = self.past_cr(input, start);
                self.empty_line(input, next)
            }
            Some(&b'd') | None => self.find_line(input, start, Search::Data),
            Some(&b':') if self.skip_comments => self.skip_comments_then_parse(input, start),
            Some(_) => self.find_line(input, start, Search::Short),
        }
    }

    /// An empty line, whose line end ends before `input[next]`. When
    /// comments are skipped, the comments and empty lines right after it
    /// (keep-alives: `: ping` and an empty line, again and again) are
    /// consumed with it: they change nothing, as the block they would end
    /// is empty (see [`skip_idle`](Self::skip_idle)).
    /// Not with fewer than [`SHORT_LINE`] bytes after the empty line (a
    /// fragmented stream), which seldom hold a whole comment: as a call
    /// that finds nothing to take, it cost W4 in 7-byte chunks 7-12%.
    #[inline(always)]
    #[allow(
        clippy::arithmetic_side_effects,
        reason = "`next <= input.len()`: it is just past a byte read"
    )]
    fn empty_line<'a>(&mut self, input: &'a [u8], next: usize) -> (usize, Parsed<'a>) {
        if matches!(input.get(next), Some(&(b':' | b'\n' | b'\r')))
            && input.len() - next >= SHORT_LINE
            && self.skip_comments
        {
            return (self.skip_idle(input, next), Parsed::Line(Line::Empty));
        }
        (next, Parsed::Line(Line::Empty))
    }

    /// Where the next line starts after a CR at `input[cr]`: past the CR,
    /// and past a LF right after it (one CRLF). A CR that is the input's
    /// last byte may be the first half of a CRLF: `after_cr` is set, so that
    /// the next call skips a LF that comes first.
    #[inline(always)]
    #[allow(
        clippy::arithmetic_side_effects,
        reason = "`cr < input.len()`: a CR was read there"
    )]
    fn past_cr(&mut self, input: &[u8], cr: usize) -> usize {
        let next = cr + 1;
        match input.get(next) {
            Some(&b'\n') => next + 1,
            Some(_) => next,
            None => {
                self.after_cr = true;
                next
            }
        }
    }

    /// Where the next line starts after the line end (CR or LF) at
    /// `input[end]`; see [`past_cr`](Self::past_cr).
    #[inline(always)]
    #[allow(
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing,
        reason = "`end` is the index of a line end found in `input`"
    )]
    fn past_line_end(&mut self, input: &[u8], end: usize) -> usize {
        if input[end] == b'\r' {
            self.past_cr(input, end)
        } else {
            end + 1
        }
    }

    /// Consumes the comments and empty lines at `input[next..]`, after an
    /// empty line, while they are whole and within the line limit (a
    /// partial or over-long comment is left to [`parse`](Self::parse));
    /// returns where the rest starts.
    ///
    /// After an empty line the event being assembled is empty (dispatched or
    /// discarded) and the last event ID buffer is applied: a skipped comment
    /// changes nothing, and neither does another empty line ("if the data
    /// buffer is an empty string, set the data buffer and the event type
    /// buffer to the empty string and return"). So a decoder that is not
    /// told of them behaves exactly as one that is; only how many empty
    /// lines it sees differs, which nothing observes. W4 (a keep-alive
    /// stream) then costs one step per event instead of one per keep-alive.
    #[inline(never)]
    #[allow(
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing,
        reason = "`next <= input.len()`: it advances past bytes read, or a line end found in `input[next..]`"
    )]
    fn skip_idle(&mut self, input: &[u8], mut next: usize) -> usize {
        // The CR and CRLF steps spelled out, not through `past_cr`: with a
        // trailing CR returned from at once, this loop takes 3.5-4.6% fewer
        // of W4's instructions in 4 KiB chunks (gungraun) than with
        // `past_cr` and the loop ending at the input's end.
        loop {
            match input.get(next) {
                Some(&b'\n') => next += 1,
                Some(&b'\r') => match input.get(next + 1) {
                    Some(&b'\n') => next += 2,
                    Some(_) => next += 1,
                    None => {
                        self.after_cr = true;
                        return next + 1;
                    }
                },
                Some(&b':') => {
                    // A partial or over-long comment is left to `parse`.
                    let rest = &input[next..];
                    let Some(end) = find_short_line_end(rest) else {
                        return next;
                    };
                    if end > self.max_line_length {
                        return next;
                    }
                    next += end + 1;
                    if rest[end] == b'\r' {
                        match input.get(next) {
                            Some(&b'\n') => next += 1,
                            Some(_) => {}
                            None => {
                                self.after_cr = true;
                                return next;
                            }
                        }
                    }
                }
                _ => return next,
            }
        }
    }

    /// [`line_from`](Self::line_from) at a comment that is to be skipped:
    /// skips it (and any comments right after it), then parses the next
    /// line. Out of line, so that `parse` stays small where it is inlined.
    #[inline(never)]
    fn skip_comments_then_parse<'a>(
        &mut self,
        input: &'a [u8],
        mut start: usize,
    ) -> (usize, Parsed<'a>) {
        loop {
            start = match self.skip_comment(input, start) {
                Ok(next) => next,
                Err(parsed) => return parsed,
            };
            if input.get(start) != Some(&b':') {
                return self.line_from(input, start);
            }
        }
    }

    /// Consumes the comment line at `input[start..]`: `Ok` with where the
    /// next line starts (see [`past_line_end`](Self::past_line_end)), or
    /// `Err` with what to return: the comment has no line end yet (its bytes
    /// so far are consumed; the rest are discarded as they come), or it is
    /// over-long.
    #[inline(always)]
    #[allow(
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing,
        reason = "`start < input.len()` (a `:` was read there); `end` is a line end found in `rest = input[start..]`"
    )]
    fn skip_comment<'a>(
        &mut self,
        input: &'a [u8],
        start: usize,
    ) -> Result<usize, (usize, Parsed<'a>)> {
        let rest = &input[start..];
        match find_short_line_end(rest) {
            Some(end) if end > self.max_line_length => Err(self.line_at(input, start, end)),
            Some(end) => Ok(self.past_line_end(input, start + end)),
            None => {
                self.discarding = true;
                if rest.len() > self.max_line_length {
                    return Err((input.len(), Parsed::LineTooLong));
                }
                self.comment_len = rest.len();
                Err((input.len(), Parsed::NeedMore))
            }
        }
    }

    /// Bytes to skip before a line can start (a pending CR's LF, a BOM, the
    /// rest of an over-long line), or a line partly scanned before.
    #[inline(never)]
    #[allow(
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing,
        reason = "`start <= input.len()` throughout; `n <= BOM.len()` and `n <= rest.len()`; `end` is a line end found in `rest`"
    )]
    fn parse_slow<'a>(&mut self, input: &'a [u8]) -> (usize, Parsed<'a>) {
        let mut start = 0;
        loop {
            let rest = &input[start..];
            if self.after_cr {
                match rest.first() {
                    None => return (start, Parsed::NeedMore),
                    Some(&b'\n') => start += 1,
                    Some(_) => {}
                }
                self.after_cr = false;
                continue;
            }
            if self.bom_possible {
                let n = rest.len().min(BOM.len());
                if rest[..n] != BOM[..n] {
                    self.bom_possible = false;
                } else if n == BOM.len() {
                    self.bom_possible = false;
                    start += n;
                } else {
                    return (start, Parsed::NeedMore);
                }
                continue;
            }
            if self.discarding {
                match find_line_end(rest) {
                    None if self.comment_len == 0 => return (input.len(), Parsed::NeedMore),
                    None => {
                        // A skipped comment: held to the line limit as if
                        // it were kept.
                        self.comment_len = self.comment_len.saturating_add(rest.len());
                        if self.comment_len > self.max_line_length {
                            self.comment_len = 0;
                            return (input.len(), Parsed::LineTooLong);
                        }
                        return (input.len(), Parsed::NeedMore);
                    }
                    Some(end) => {
                        self.discarding = false;
                        self.after_cr = rest[end] == b'\r';
                        start += end + 1;
                        let comment_len = core::mem::take(&mut self.comment_len);
                        if comment_len != 0
                            && comment_len.saturating_add(end) > self.max_line_length
                        {
                            return (start, Parsed::LineTooLong);
                        }
                        continue;
                    }
                }
            }
            // At the start of a line (after the end of a skipped comment or
            // over-long line, a CR's LF, a BOM), an empty line or a comment
            // to skip is read as in the steady state, without a search or
            // the field split.
            if self.scanned == 0 {
                match rest.first() {
                    Some(&(b'\n' | b'\r')) => return self.line_from(input, start),
                    Some(&b':') if self.skip_comments => {
                        return self.skip_comments_then_parse(input, start);
                    }
                    _ => {}
                }
            }
            return self.find_line(input, start, Search::Rest);
        }
    }

    /// Looks for the end of the line that starts at `input[start..]`, whose
    /// first `self.scanned` bytes are known to hold no line end, with the
    /// search that suits what the line probably is.
    #[inline(always)]
    #[allow(
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing,
        reason = "`start <= input.len()` and `scanned <= rest.len()` (it counts bytes of `rest` already scanned); `found` is a position in the unscanned part"
    )]
    fn find_line<'a>(
        &mut self,
        input: &'a [u8],
        start: usize,
        search: Search,
    ) -> (usize, Parsed<'a>) {
        let rest = &input[start..];
        let unscanned = &rest[self.scanned..];
        let found = match search {
            Search::Data => find_data_line_end(unscanned),
            Search::Short => find_short_line_end(unscanned),
            Search::Rest => find_line_end(unscanned),
        };
        match found {
            Some(found) => {
                let end = self.scanned + found;
                self.scanned = 0;
                self.line_at(input, start, end)
            }
            None if rest.len() > self.max_line_length => {
                self.scanned = 0;
                self.discarding = true;
                (input.len(), Parsed::LineTooLong)
            }
            None => {
                self.scanned = rest.len();
                (start, Parsed::NeedMore)
            }
        }
    }

    /// The line `input[start..start + end]`, whose end (CR or LF) is at
    /// `start + end`.
    #[inline(always)]
    #[allow(
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing,
        reason = "`end` is the position of a line end found in `rest = input[start..]`"
    )]
    fn line_at<'a>(&mut self, input: &'a [u8], start: usize, end: usize) -> (usize, Parsed<'a>) {
        let rest = &input[start..];
        self.after_cr = rest[end] == b'\r';
        let consumed = start + end + 1;
        if end > self.max_line_length {
            (consumed, Parsed::LineTooLong)
        } else {
            (consumed, Parsed::Line(Line::parse(&rest[..end])))
        }
    }

    /// Whether the next call's input starts inside a line whose bytes so far
    /// hold no line end (and nothing else is pending): bytes without a line
    /// end can then be appended with [`LineParser::scanned_more`] instead of
    /// being parsed.
    #[cfg(feature = "alloc")]
    #[inline]
    pub(crate) fn scanning_line(&self) -> Option<usize> {
        (!self.bom_possible && !self.discarding && !self.after_cr).then_some(self.scanned)
    }

    /// `n` more bytes without a line end were appended to the partial line
    /// (keeping it within the maximum line length): they need no scan.
    #[cfg(feature = "alloc")]
    #[inline]
    #[allow(
        clippy::arithmetic_side_effects,
        reason = "counts bytes of the current input that were scanned: at most its length"
    )]
    pub(crate) fn scanned_more(&mut self, n: usize) {
        self.scanned += n;
    }
}

#[cfg(test)]
mod tests {
    use super::{find_data_line_end, find_line_end, find_short_line_end, Line, LineParser, Parsed};

    /// Both searches agree with a plain walk for every length around the
    /// word and 16-byte boundaries, every position of the line end, and
    /// fillers one bit or one borrow away from CR and LF.
    #[test]
    fn line_end_searches_match_a_plain_walk() {
        let all = [b'a', 0x0B, 0x0C, 0x09, 0x8A, 0x8D, 0x00, 0xFF, 0x0E, 0x01];
        // Miri runs a sample: all of it would take minutes.
        let fillers: &[u8] = if cfg!(miri) { &all[..3] } else { &all };
        // Every length up to 80, and around the hand-over to `memchr2`
        // after 128 bytes (Miri: fewer, and line ends at the edges of the
        // 16-byte blocks only).
        let every_to: usize = if cfg!(miri) { 0 } else { 80 };
        let more: &[usize] = if cfg!(miri) {
            &[0, 1, 7, 8, 15, 16, 17, 31, 33, 47, 49, 129, 145, 161]
        } else {
            &[
                127, 128, 129, 143, 144, 145, 159, 160, 161, 175, 176, 177, 200,
            ]
        };
        for len in (0..every_to).chain(more.iter().copied()) {
            for &filler in fillers {
                let mut hay = [filler; 200];
                let hay = &mut hay[..len];
                assert_eq!(find_short_line_end(hay), None, "len {len} {filler:#x}");
                assert_eq!(find_line_end(hay), None, "len {len} {filler:#x}");
                assert_eq!(find_data_line_end(hay), None, "len {len} {filler:#x}");
                let edge = |at: usize| matches!(at % 16, 0 | 1 | 14 | 15) || at + 2 >= len;
                for at in (0..len).filter(|&at| !cfg!(miri) || edge(at)) {
                    for end in [b'\n', b'\r'] {
                        hay[at] = end;
                        // A later line end must not win.
                        if at + 3 < len {
                            hay[at + 3] = b'\n';
                        }
                        let want = hay.iter().position(|&b| b == b'\n' || b == b'\r');
                        assert_eq!(
                            find_short_line_end(hay),
                            want,
                            "len {len} at {at} {filler:#x}"
                        );
                        assert_eq!(find_line_end(hay), want, "len {len} at {at} {filler:#x}");
                        assert_eq!(
                            find_data_line_end(hay),
                            want,
                            "len {len} at {at} {filler:#x}"
                        );
                        hay[at] = filler;
                        if at + 3 < len {
                            hay[at + 3] = filler;
                        }
                    }
                }
            }
        }
    }

    /// Parses `input` fed as `input[..split]` then all of it, the way a
    /// caller re-presents unconsumed bytes, and returns what was found.
    fn parse_split(input: &[u8], split: usize, max: usize) -> [(usize, usize, bool); 8] {
        let mut parser = LineParser::with_max_line_length(max);
        let mut found = [(0, 0, false); 8];
        let mut n = 0;
        let mut pos = 0;
        for end in [split, input.len()] {
            loop {
                let (used, parsed) = parser.parse(&input[pos..end]);
                assert!(pos + used <= end, "consumed beyond the input");
                pos += used;
                match parsed {
                    Parsed::NeedMore => break,
                    Parsed::LineTooLong => found[n] = (n + 1, 0, true),
                    Parsed::Line(line) => {
                        let len = match line {
                            Line::Empty => 0,
                            Line::Data(v) => v.len() + 6,
                            _ => 99,
                        };
                        found[n] = (n + 1, len, false);
                    }
                }
                n += 1;
            }
        }
        found
    }

    #[test]
    fn every_split_finds_the_same_lines() {
        let inputs: [&[u8]; 5] = [
            b"\xEF\xBB\xBFdata: a\r\n\r\ndata: bb\n\r\n",
            b"data: a\r\rdata: b\n\n",
            b"\xEF\xBBdata: x\n",
            b"data: 0123456789\ndata: 1\n\n",
            b"data: 0123456789\rdata: 1\r\r",
        ];
        for input in inputs {
            let whole = parse_split(input, input.len(), 12);
            for split in 0..=input.len() {
                assert_eq!(
                    parse_split(input, split, 12),
                    whole,
                    "{input:?} split at {split}"
                );
            }
        }
    }

    /// The lines of `input` cut at `cuts`, comments left out: `(length,
    /// too long)` each (an empty line has length 0), and how many.
    fn lines_without_comments(
        input: &[u8],
        cuts: [usize; 2],
        max: usize,
        skip: bool,
    ) -> ([(usize, bool); 16], usize) {
        let mut parser = LineParser::with_max_line_length(max);
        if skip {
            parser = parser.skip_comments();
        }
        let mut found = [(0, false); 16];
        let mut n = 0;
        let mut pos = 0;
        for end in [cuts[0], cuts[1], input.len()] {
            loop {
                let (used, parsed) = parser.parse(&input[pos..end]);
                assert!(pos + used <= end, "consumed beyond the input");
                pos += used;
                found[n] = match parsed {
                    Parsed::NeedMore => break,
                    Parsed::Line(Line::Comment(_)) => continue,
                    Parsed::LineTooLong => (0, true),
                    Parsed::Line(Line::Empty) => (0, false),
                    Parsed::Line(Line::Data(v)) => (v.len() + 6, false),
                    Parsed::Line(_) => (99, false),
                };
                n += 1;
            }
        }
        if skip {
            // Every input here ends with a line end or inside a comment.
            assert_eq!(pos, input.len(), "every byte consumed");
        }
        // An empty line takes the empty lines right after it (comments
        // left out) when comments are skipped, or not, depending on the
        // cuts: runs of empty lines count as one.
        let mut runs = [(0, false); 16];
        let mut m = 0;
        for (i, &line) in found[..n].iter().enumerate() {
            if i == 0 || line != (0, false) || found[i - 1] != (0, false) {
                runs[m] = line;
                m += 1;
            }
        }
        (runs, m)
    }

    /// Comments skipped as their bytes come (the decoder's way when it does
    /// not report them) leave the same lines, and the same over-long
    /// verdicts, as comments parsed whole, however the input is cut.
    #[test]
    fn skipped_comments_leave_the_same_lines_at_every_cut() {
        let inputs: [&[u8]; 11] = [
            b"\n: keepalive\n\ndata: a\n\n",
            b"data: a\n\n: ka\n\n: kb\r\n\r\n\r:x\rdata: b\n\n:c\r\n",
            b"\r\r\n\n: 0123456789abc\n\n:d\r\r:\n\nid: 1\n",
            b"\n\r\n:0123456789ab\r\n:0123456789abc\n\n:",
            b"\n: ka\r\n: kb\r\rdata: b\r\n\r\n",
            b"\n:\n:\r:x\r\ndata: c\n\n:",
            b"\n: 0123456789abcdef\ndata: 1\n\n",
            b"\n: 0123456789a\r\ndata: 1\n",
            b"\n: 012345678\ndata: 1\n: 0123456789ab\r",
            b"\xEF\xBB\xBF: first\r\n:\r\n\n",
            b": first line\n: 0123456789abcdefghij\r\n\n",
        ];
        for input in inputs {
            let want = lines_without_comments(input, [0, 0], 12, false);
            for a in 0..=input.len() {
                for b in a..=input.len() {
                    assert_eq!(
                        lines_without_comments(input, [a, b], 12, true),
                        want,
                        "{input:?} cut at {a} and {b}"
                    );
                }
            }
        }
    }

    /// When comments are skipped, an empty line takes with it the whole
    /// comments and empty lines right after it (when at least 16 bytes
    /// follow it), and stops before a partial or over-long comment, which
    /// the next call skips or reports.
    #[test]
    fn an_empty_line_takes_the_keep_alives_after_it() {
        let mut parser = LineParser::with_max_line_length(8).skip_comments();
        // The first line (where a BOM may be) is read the slow way.
        assert_eq!(parser.parse(b"\n\n"), (1, Parsed::Line(Line::Empty)));
        let input = b"\n: ka\n\n: kb\r\n\r\n\r:\rdata: x\n";
        assert_eq!(parser.parse(input), (18, Parsed::Line(Line::Empty)));
        assert_eq!(
            parser.parse(&input[18..]),
            (8, Parsed::Line(Line::Data(b"x")))
        );
        // Up to an over-long comment, reported by the next call.
        let input = b"\n:\n: 123456789abc\n\n";
        assert_eq!(parser.parse(input), (3, Parsed::Line(Line::Empty)));
        assert_eq!(parser.parse(&input[3..]), (15, Parsed::LineTooLong));
        assert_eq!(parser.parse(&input[18..]), (1, Parsed::Line(Line::Empty)));
        // Up to a partial comment, skipped by the next call.
        let input = b"\n\n:\n\n\r\n:1234567\n: ke";
        assert_eq!(parser.parse(input), (16, Parsed::Line(Line::Empty)));
        assert_eq!(parser.parse(b": ke"), (4, Parsed::NeedMore));
        assert_eq!(parser.parse(b"ep\n\n"), (4, Parsed::Line(Line::Empty)));
        // After the end of a comment that spanned calls, the next comment
        // is skipped too, not returned (and an empty line is one line).
        assert_eq!(parser.parse(b": ke"), (4, Parsed::NeedMore));
        let input = b"ep\n: ka\ndata: x\n";
        assert_eq!(parser.parse(input), (16, Parsed::Line(Line::Data(b"x"))));
        assert_eq!(parser.parse(b": ke"), (4, Parsed::NeedMore));
        assert_eq!(parser.parse(b"ep\n\n"), (4, Parsed::Line(Line::Empty)));
        // Fewer than 16 bytes after the empty line: one line at a time.
        assert_eq!(parser.parse(b"\n\n:\n"), (1, Parsed::Line(Line::Empty)));
        assert_eq!(parser.parse(b"\n:\n"), (1, Parsed::Line(Line::Empty)));
        assert_eq!(parser.parse(b":\n"), (2, Parsed::NeedMore));
        // A CR at the end: its LF, in the next input, is skipped.
        let mut parser = LineParser::with_max_line_length(64).skip_comments();
        assert_eq!(parser.parse(b"\n"), (1, Parsed::Line(Line::Empty)));
        let input = b"\n: 0123456789abcdef\r";
        assert_eq!(parser.parse(input), (20, Parsed::Line(Line::Empty)));
        assert_eq!(
            parser.parse(b"\ndata: y\n"),
            (9, Parsed::Line(Line::Data(b"y")))
        );
        // Comments returned: an empty line is one line.
        let mut parser = LineParser::new();
        assert_eq!(parser.parse(b"\n"), (1, Parsed::Line(Line::Empty)));
        let input = b"\n\n: keep-alive, keep-alive\n";
        assert_eq!(parser.parse(input), (1, Parsed::Line(Line::Empty)));
    }

    #[test]
    fn a_comment_without_its_end_is_consumed_not_kept() {
        let mut parser = LineParser::with_max_line_length(8).skip_comments();
        assert_eq!(parser.parse(b"\n"), (1, Parsed::Line(Line::Empty)));
        assert_eq!(parser.parse(b": keep"), (6, Parsed::NeedMore));
        assert!(parser.in_line());
        assert_eq!(parser.parse(b"al"), (2, Parsed::NeedMore));
        // Nine bytes: over the limit, reported once, the rest discarded.
        assert_eq!(parser.parse(b"i"), (1, Parsed::LineTooLong));
        assert_eq!(parser.parse(b"ve"), (2, Parsed::NeedMore));
        assert_eq!(parser.parse(b"\r\n\n"), (3, Parsed::Line(Line::Empty)));
        // Comments in one piece: consumed up to the next line.
        assert_eq!(
            parser.parse(b":a\r\n:b\rdata: x\n"),
            (15, Parsed::Line(Line::Data(b"x")))
        );
        // A CR ends the input: its LF may come next.
        assert_eq!(parser.parse(b":c\r"), (3, Parsed::NeedMore));
        assert_eq!(parser.parse(b"\n\n"), (2, Parsed::Line(Line::Empty)));
        assert!(!parser.in_line());
    }

    #[test]
    fn every_prefix_without_a_line_end_needs_more() {
        let line = b"event: something long enough";
        let mut parser = LineParser::new();
        for end in 0..=line.len() {
            assert_eq!(parser.parse(&line[..end]), (0, Parsed::NeedMore));
        }
    }

    #[test]
    fn cr_at_end_of_input_waits_for_a_possible_lf() {
        let mut parser = LineParser::new();
        assert_eq!(
            parser.parse(b"data: x\r"),
            (8, Parsed::Line(Line::Data(b"x")))
        );
        assert_eq!(parser.parse(b""), (0, Parsed::NeedMore));
        // The LF completes the CRLF: no empty line.
        assert_eq!(parser.parse(b"\n"), (1, Parsed::NeedMore));
        assert_eq!(parser.parse(b"\n"), (1, Parsed::Line(Line::Empty)));
    }

    #[test]
    fn bom_only_once_and_only_first() {
        let mut parser = LineParser::new();
        assert_eq!(parser.parse(b"\xEF"), (0, Parsed::NeedMore));
        assert_eq!(parser.parse(b"\xEF\xBB"), (0, Parsed::NeedMore));
        assert_eq!(
            parser.parse(b"\xEF\xBB\xBF\xEF\xBB\xBF\n"),
            (
                7,
                Parsed::Line(Line::Unknown {
                    name: b"\xEF\xBB\xBF",
                    value: b"",
                })
            )
        );
        parser.reset();
        assert_eq!(
            parser.parse(b"\xEF\xBB\xBF\n"),
            (4, Parsed::Line(Line::Empty))
        );
    }

    #[test]
    fn over_long_line_is_skipped_to_its_end() {
        let mut parser = LineParser::with_max_line_length(4);
        assert_eq!(parser.parse(b"data"), (0, Parsed::NeedMore));
        assert_eq!(parser.parse(b"data:"), (5, Parsed::LineTooLong));
        assert_eq!(parser.parse(b"xxxxxxxxxxxx"), (12, Parsed::NeedMore));
        assert_eq!(parser.parse(b"xx\r"), (3, Parsed::NeedMore));
        assert_eq!(parser.parse(b"\n\n"), (2, Parsed::Line(Line::Empty)));
        // Terminated and too long in one piece: same verdict.
        assert_eq!(parser.parse(b"data: \n"), (7, Parsed::LineTooLong));
        assert_eq!(parser.parse(b"data\n"), (5, Parsed::Line(Line::Data(b""))));
    }

    #[test]
    fn field_splitting() {
        assert_eq!(Line::parse(b"data:\tx"), Line::Data(b"\tx"));
        assert_eq!(Line::parse(b"data:x:y"), Line::Data(b"x:y"));
        assert_eq!(
            Line::parse(b"data :x"),
            Line::Unknown {
                name: b"data ",
                value: b"x"
            }
        );
        assert_eq!(
            Line::parse(b" data:x"),
            Line::Unknown {
                name: b" data",
                value: b"x"
            }
        );
        assert_eq!(Line::parse(b"retry:  7"), Line::Retry(b" 7"));
        assert_eq!(Line::parse(b"id"), Line::Id(b""));
        assert_eq!(Line::parse(b"event: a b "), Line::Event(b"a b "));
        assert_eq!(Line::parse(b"::"), Line::Comment(b":"));
    }
}
