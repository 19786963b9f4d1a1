//! The checks behind the fuzz targets in `fuzz/`, shared with the stable
//! test that replays the committed seed corpus (`tests/tests/fuzz_corpus.rs`).
//!
//! Each fuzz target is one line that calls one check here, so a machine
//! without nightly runs exactly the same assertions over the seeds:
//!
//! | target           | input                      | check                |
//! |------------------|----------------------------|----------------------|
//! | `decode`         | raw bytes                  | [`check_decode`]     |
//! | `decode_chunked` | [`ChunkedInput`]           | [`check_chunked`]    |
//! | `decode_oracle`  | [`StructuredStream`]       | [`check_oracle`]     |
//! | `roundtrip`      | [`RoundtripInput`]         | [`check_roundtrip`]  |
//!
//! Structured inputs are built from the fuzzer's bytes with
//! [`arbitrary`], exactly as `libfuzzer-sys` does it ([`from_fuzz_bytes`]).
//! [`seed`] writes such bytes for a given value, so that the committed seeds
//! are real-looking streams and events rather than noise.
//!
//! The memory checks use [`CountingAllocator`] when the binary installs it as
//! its `#[global_allocator]` (the `decode` target and the stable tests do);
//! otherwise they are skipped and only the retention of the caller-kept
//! input of [`RawDecoder`](sse_codec_core::RawDecoder) is checked.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

use arbitrary::{Arbitrary, Unstructured};
use sse_codec_core::{Buffers, Builder, Decoder, EncodeError, Error, EventRef, Item, SliceBuffer};

use crate::{adapter, oracle, Options, Output};

// ---------------------------------------------------------------------------
// Fuzzer input, as libfuzzer-sys builds it
// ---------------------------------------------------------------------------

/// Builds a `T` from fuzzer bytes exactly as `libfuzzer_sys::fuzz_target!`
/// does: inputs shorter than `T`'s minimal size hint are rejected, otherwise
/// `T::arbitrary_take_rest`; `None` where the fuzz target would not run.
pub fn from_fuzz_bytes<'a, T: Arbitrary<'a>>(bytes: &'a [u8]) -> Option<T> {
    if bytes.len() < T::size_hint(0).0 {
        return None;
    }
    T::arbitrary_take_rest(Unstructured::new(bytes)).ok()
}

/// Bytes as a readable string for assertion messages: printable ASCII as is,
/// everything else escaped.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &byte in bytes {
        match byte {
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(char::from(byte)),
            _ => {
                let _ = write!(out, "\\x{byte:02X}");
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Counting allocator
// ---------------------------------------------------------------------------

/// A global allocator that counts, per thread, the bytes currently allocated
/// and their peak, so that a check can measure what a decoder retains.
///
/// Install it in a binary with
/// `#[global_allocator] static ALLOC: CountingAllocator = CountingAllocator;`
/// and read it with [`live_bytes`], [`reset_peak`] and [`peak_bytes`]. Counts
/// are per thread (tests run in parallel); memory freed on another thread
/// than the one that allocated it skews both threads' counts, which the
/// checks avoid by measuring differences within one thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingAllocator;

static INSTALLED: AtomicBool = AtomicBool::new(false);

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count(delta: isize) {
    // `try_with`: never panic inside the allocator, also during thread teardown.
    let _ = LIVE.try_with(|live| {
        let now = live.get().wrapping_add(delta);
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

fn count_allocation() {
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get().wrapping_add(1)));
}

fn signed(size: usize) -> isize {
    isize::try_from(size).unwrap_or(isize::MAX)
}

#[allow(unsafe_code)]
// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees hold; the counting itself touches only
// const-initialised thread-locals, which neither allocate nor panic.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        INSTALLED.store(true, Ordering::Relaxed);
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            count(signed(layout.size()));
            count_allocation();
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        INSTALLED.store(true, Ordering::Relaxed);
        // SAFETY: forwarded unchanged; the caller upholds `alloc_zeroed`'s contract.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            count(signed(layout.size()));
            count_allocation();
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; `ptr` came from `System` via this allocator.
        unsafe { System.dealloc(ptr, layout) };
        count(-signed(layout.size()));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged; `ptr` came from `System` via this allocator.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            count(signed(new_size) - signed(layout.size()));
            count_allocation();
        }
        new
    }
}

/// Whether [`CountingAllocator`] is this binary's global allocator.
pub fn counting_installed() -> bool {
    // Make sure at least one allocation went through the global allocator.
    drop(std::hint::black_box(Box::new(0u64)));
    INSTALLED.load(Ordering::Relaxed)
}

/// Bytes allocated by this thread and not yet freed (a running difference:
/// only differences between two readings mean something).
pub fn live_bytes() -> isize {
    LIVE.with(Cell::get)
}

/// Sets this thread's peak to its current live bytes, and returns them.
pub fn reset_peak() -> isize {
    let live = live_bytes();
    PEAK.with(|peak| peak.set(live));
    live
}

/// How many allocations (and reallocations) this thread has made.
pub fn allocation_count() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

/// The highest [`live_bytes`] of this thread since the last [`reset_peak`].
pub fn peak_bytes() -> isize {
    PEAK.with(Cell::get)
}

// ---------------------------------------------------------------------------
// decode: no panic, progress, bounded memory
// ---------------------------------------------------------------------------

/// Small limits: a 256-byte line, 1 KiB of data per event, comments on.
pub const SMALL: Options = Options {
    comments: true,
    max_line_length: 256,
    max_event_size: 1024,
};

/// Tiny limits, so that short fuzz inputs exceed them many times over.
pub const TINY: Options = Options {
    comments: false,
    max_line_length: 16,
    max_event_size: 64,
};

/// The decoder's defaults (16 MiB lines and events), comments on.
pub const DEFAULTS: Options = Options {
    comments: true,
    max_line_length: sse_codec_core::LineParser::DEFAULT_MAX_LINE_LENGTH,
    max_event_size: Builder::DEFAULT_MAX_EVENT_SIZE,
};

/// Limits chosen by the first byte of the input: lines of 0 to 45 bytes,
/// events of 0 to 70 bytes.
pub fn options_from_byte(byte: u8) -> Options {
    Options {
        comments: byte & 1 == 1,
        max_line_length: usize::from((byte >> 1) & 0x0f) * 3,
        max_event_size: usize::from(byte >> 5) * 10,
    }
}

/// The most heap a [`Decoder`] may keep between two chunks, and use while
/// decoding one, under `opts` (borrowed API, no owned events alive):
/// four line-sized buffers (the partial line, the event type, the last event
/// ID buffer and the last event ID string, each at most
/// `max_line_length + 3` bytes) and one event-sized data buffer, each at
/// most doubled by `Vec`'s growth, plus 64 bytes of minimum capacities.
/// Independent of how much input was fed.
pub fn retention_bound(opts: &Options) -> usize {
    let line = opts.max_line_length.saturating_add(3);
    line.saturating_mul(4)
        .saturating_add(opts.max_event_size)
        .saturating_mul(2)
        .saturating_add(64)
}

fn builder(opts: &Options) -> Builder {
    Builder::new()
        .comments(opts.comments)
        .max_line_length(opts.max_line_length)
        .max_event_size(opts.max_event_size)
}

/// `decode`: the bytes through every decoder under several limits. Nothing
/// panics; every item consumes input; the [`RawDecoder`](sse_codec_core::RawDecoder)'s caller never has
/// to keep more than a line (`max_line_length + 3` bytes, a BOM's worth of
/// slack); a [`Decoder`] never holds more heap than [`retention_bound`]
/// (when [`CountingAllocator`] is installed); all APIs agree.
pub fn check_decode(data: &[u8]) {
    let derived = options_from_byte(data.first().copied().unwrap_or(0));
    for opts in [SMALL, TINY, derived, DEFAULTS] {
        check_decoder_retention(data, &opts);
        check_raw_progress(data, &opts, data.len().max(1), None);
        // Small chunks make the caller move its kept bytes at every call:
        // quadratic when a line may be long, so only under small limits.
        if opts.max_line_length <= 1024 {
            check_raw_progress(data, &opts, 1, None);
            check_raw_progress(data, &opts, 7, None);
        }
        // Buffers too small for the values: `BufferFull` errors, no panic.
        check_raw_progress(data, &opts, data.len().max(1), Some(4));
    }
    adapter::decode_chunks(&[data], &SMALL);
    adapter::decode_chunks(&[data], &derived);
}

/// Feeds `data` to a [`Decoder`] whole, then again in 7-byte chunks (the
/// same stream going on), through the borrowed API; checks the errors, the
/// number of items, and the heap the decoder holds.
pub fn check_decoder_retention(data: &[u8], opts: &Options) {
    let metered = counting_installed();
    let bound = isize::try_from(retention_bound(opts)).unwrap_or(isize::MAX);
    let baseline = reset_peak();
    let mut decoder: Decoder = builder(opts).build();
    let mut items = 0usize;
    let chunks = std::iter::once(data).chain(data.chunks(7));
    for chunk in chunks {
        let mut feed = decoder.feed(chunk);
        while let Some(item) = feed.next_item() {
            items += 1;
            if let Err(error) = item {
                assert!(
                    matches!(
                        error,
                        Error::LineTooLong { .. } | Error::EventTooLarge { .. }
                    ),
                    "a Vec-backed decoder reported {error:?}"
                );
            }
        }
        drop(feed);
        if metered {
            let retained = live_bytes() - baseline;
            assert!(
                retained <= bound,
                "the decoder retains {retained} bytes between chunks, over the bound \
                 {bound} for {opts:?}; input {}",
                escape(data)
            );
        }
    }
    let _ = (decoder.last_event_id(), decoder.reconnection_time());
    let _ = decoder.is_mid_event();
    decoder.end_of_stream();
    if metered {
        let peak = peak_bytes() - baseline;
        assert!(
            peak <= bound,
            "the decoder used {peak} bytes at its peak, over the bound {bound} for \
             {opts:?}; input {}",
            escape(data)
        );
    }
    drop(decoder);
    // Each item ends a line, and each line takes at least one byte.
    assert!(
        items <= 2 * data.len(),
        "{items} items from twice {} bytes",
        data.len()
    );
}

/// Drives a [`RawDecoder`](sse_codec_core::RawDecoder) over [`SliceBuffer`]s the way its docs say, the
/// caller keeping the input and appending `chunk_size` bytes at a time.
/// Checks that a call never consumes more than it was given, that every item
/// consumes at least one byte (so a caller's loop always ends), and that at
/// "need more" the caller keeps at most `max_line_length + 3` bytes.
///
/// With `capacity` `None` the buffers are as large as the limits can need
/// (and no `BufferFull` may happen); with `Some(n)` they hold `n` bytes each.
pub fn check_raw_progress(data: &[u8], opts: &Options, chunk_size: usize, capacity: Option<usize>) {
    let line_cap = opts.max_line_length.min(data.len());
    let data_cap = opts.max_event_size.min(data.len());
    let (line_cap, data_cap) = capacity.map_or((line_cap, data_cap), |n| (n, n));
    let mut memory = vec![0u8; data_cap + 3 * line_cap];
    let (data_buffer, rest) = memory.split_at_mut(data_cap);
    let (event_type, rest) = rest.split_at_mut(line_cap);
    let (id_buffer, last_event_id) = rest.split_at_mut(line_cap);
    let mut decoder = builder(opts).build_raw(Buffers {
        data: SliceBuffer::new(data_buffer),
        event_type: SliceBuffer::new(event_type),
        id_buffer: SliceBuffer::new(id_buffer),
        last_event_id: SliceBuffer::new(last_event_id),
    });
    let keep_limit = opts.max_line_length.saturating_add(3);
    let mut input: Vec<u8> = Vec::new();
    for chunk in data.chunks(chunk_size.max(1)) {
        input.extend_from_slice(chunk);
        let mut pos = 0;
        loop {
            let offered = input.len() - pos;
            let (used, item) = decoder.decode(&input[pos..]);
            assert!(
                used <= offered,
                "consumed {used} of {offered} bytes; input {}",
                escape(data)
            );
            pos += used;
            match item {
                Ok(None) => break,
                Ok(Some(_)) | Err(_) => assert!(
                    used > 0,
                    "an item that consumed nothing (an endless loop for the caller); \
                     input {}",
                    escape(data)
                ),
            }
            if let Err(Error::BufferFull { .. }) = item {
                assert!(
                    capacity.is_some(),
                    "BufferFull with buffers as large as the limits; {opts:?}, input {}",
                    escape(data)
                );
            }
            if let Ok(Some(Item::Event(event))) = item {
                assert!(event.data().len() <= opts.max_event_size);
            }
        }
        input.drain(..pos);
        assert!(
            input.len() <= keep_limit,
            "the caller must keep {} bytes, over max_line_length + 3 = {keep_limit}; \
             {opts:?}, input {}",
            input.len(),
            escape(data)
        );
    }
    let _ = decoder.is_mid_event();
    decoder.end_of_stream();
}

// ---------------------------------------------------------------------------
// decode_chunked: any chunking gives the one-chunk output
// ---------------------------------------------------------------------------

/// The `decode_chunked` target's input: where to cut, then the bytes.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub struct ChunkedInput<'a> {
    /// Cut positions, taken modulo `data.len() + 1` and sorted (repeats
    /// give empty chunks).
    pub cuts: Vec<u16>,
    /// The stream.
    pub data: &'a [u8],
}

/// Cuts `data` at `cuts` (each taken modulo `data.len() + 1`, then sorted;
/// a repeated cut gives an empty chunk).
pub fn cut<'a>(data: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c % (data.len() + 1)).collect();
    cuts.sort_unstable();
    let mut pieces = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for end in cuts {
        pieces.push(&data[start..end]);
        start = end;
    }
    pieces.push(&data[start..]);
    pieces
}

/// `decode_chunked`: `data` cut at `cuts` decodes, through every API, to
/// exactly what `data` in one chunk decodes to, with small and with default
/// limits.
pub fn check_chunked(data: &[u8], cuts: &[usize]) {
    let pieces = cut(data, cuts);
    let derived = options_from_byte(data.first().copied().unwrap_or(0));
    for opts in [SMALL, derived, DEFAULTS] {
        let whole = adapter::decode_chunks(&[data], &opts);
        let chunked = adapter::decode_chunks(&pieces, &opts);
        assert_eq!(
            chunked,
            whole,
            "chunking changed the output under {opts:?}; chunks {:?}",
            pieces.iter().map(|p| escape(p)).collect::<Vec<_>>()
        );
    }
}

/// The `tokio_codec` target: `sse_codec_tokio::SseCodec` fed the same bytes
/// in reads cut at arbitrary points, then `decode_eof`, gives exactly the
/// items of the core decoder fed them whole, and never keeps more than a
/// line's worth of unconsumed input in its read buffer.
pub fn check_tokio_codec(data: &[u8], cuts: &[usize]) {
    use tokio_util::codec::Decoder as _;
    let pieces = cut(data, cuts);
    let derived = options_from_byte(data.first().copied().unwrap_or(0));
    for opts in [SMALL, derived, DEFAULTS] {
        let builder = Builder::new()
            .comments(opts.comments)
            .max_line_length(opts.max_line_length)
            .max_event_size(opts.max_event_size);
        let mut decoder = builder.build();
        let expected: Vec<_> = decoder.feed(data).collect();
        let mut codec = sse_codec_tokio::SseCodec::with_builder(builder);
        let mut buf = bytes::BytesMut::new();
        let mut got = Vec::new();
        for piece in &pieces {
            buf.extend_from_slice(piece);
            while let Some(item) = codec.decode(&mut buf).expect("no I/O here") {
                got.push(item);
            }
            assert!(
                buf.len() <= opts.max_line_length,
                "the codec keeps {} unconsumed bytes, more than a line ({opts:?})",
                buf.len()
            );
        }
        while let Some(item) = codec.decode_eof(&mut buf).expect("no I/O here") {
            got.push(item);
        }
        assert!(buf.is_empty(), "decode_eof leaves nothing behind");
        assert_eq!(
            got,
            expected,
            "SseCodec (left) and Decoder (right) disagree under {opts:?}; reads {:?}",
            pieces.iter().map(|p| escape(p)).collect::<Vec<_>>()
        );
    }
}

// ---------------------------------------------------------------------------
// decode_oracle: structured SSE-like streams against the naive oracle
// ---------------------------------------------------------------------------

/// The most bytes a [`StructuredStream`] renders to (runs are cut short).
pub const MAX_RENDERED: usize = 256 * 1024;

/// A stream built from SSE-shaped parts, so that the fuzzer reaches deep
/// decoder states (limits, BOMs, CR/LF across chunks, dispatch rules) quickly.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub struct StructuredStream {
    /// The decoder's options.
    pub options: OptionsChoice,
    /// What comes before the first line.
    pub bom: Bom,
    /// Where to cut the rendered bytes into chunks (see [`cut`]).
    pub cuts: Vec<u16>,
    /// The lines.
    pub lines: Vec<StructuredLine>,
}

/// [`Options`], in a form the fuzzer explores well.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionsChoice {
    /// Report comments.
    pub comments: bool,
    /// The maximum line length.
    pub max_line_length: Limit,
    /// The maximum event size.
    pub max_event_size: Limit,
}

/// A limit.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// `usize::MAX`.
    Unlimited,
    /// The decoder's default (16 MiB).
    Default,
    /// 0 to 255 bytes.
    Small(u8),
    /// 0 to 65535 bytes.
    Medium(u16),
}

impl Limit {
    fn bytes(self, default: usize) -> usize {
        match self {
            Limit::Unlimited => usize::MAX,
            Limit::Default => default,
            Limit::Small(n) => usize::from(n),
            Limit::Medium(n) => usize::from(n),
        }
    }
}

impl OptionsChoice {
    /// The options these stand for.
    pub fn options(&self) -> Options {
        Options {
            comments: self.comments,
            max_line_length: self
                .max_line_length
                .bytes(sse_codec_core::LineParser::DEFAULT_MAX_LINE_LENGTH),
            max_event_size: self.max_event_size.bytes(Builder::DEFAULT_MAX_EVENT_SIZE),
        }
    }
}

/// What comes before the first line.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bom {
    /// Nothing.
    None,
    /// One BOM (dropped).
    One,
    /// Two BOMs (the second is content).
    Two,
    /// The first two bytes of a BOM (content).
    Partial,
}

/// One line: its content and how it ends.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub struct StructuredLine {
    /// What the line holds.
    pub kind: LineKind,
    /// Its terminator.
    pub end: LineEnd,
}

/// What a line holds.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub enum LineKind {
    /// An empty line (dispatch).
    Empty,
    /// `:` and the text.
    Comment(Vec<Piece>),
    /// A field: name, separator, value.
    Field {
        /// The field name.
        name: Name,
        /// What separates name and value.
        sep: Separator,
        /// The value.
        value: Vec<Piece>,
    },
}

/// A field name.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub enum Name {
    /// `data`
    Data,
    /// `event`
    Event,
    /// `id`
    Id,
    /// `retry`
    Retry,
    /// `Data` (unknown: names are case-sensitive)
    DataUpper,
    /// `data ` (unknown)
    DataSpace,
    /// ` data` (unknown)
    SpaceData,
    /// a BOM then `data` (unknown unless at the very start... and even then
    /// only the first BOM is dropped)
    BomData,
    /// Anything.
    Other(Vec<Piece>),
}

/// What separates a field name from its value.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Separator {
    /// Nothing (and the value follows the name directly).
    None,
    /// `:`
    Colon,
    /// `: ` (the space is removed)
    ColonSpace,
    /// `:  ` (one space is removed)
    ColonSpaceSpace,
    /// `:\t` (a tab is not removed)
    ColonTab,
}

/// A line terminator.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnd {
    /// LF
    Lf,
    /// CR
    Cr,
    /// CRLF
    CrLf,
    /// None: the next line continues this one (at the end: an unterminated line).
    None,
}

/// Part of a value.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// One byte, any byte (CR and LF included).
    Byte(u8),
    /// ` `
    Space,
    /// `:`
    Colon,
    /// `\t`
    Tab,
    /// U+0000 (makes an `id` ignored)
    Nul,
    /// `\xFF` (invalid UTF-8)
    Invalid,
    /// `\xE2\x82` (a truncated sequence)
    Truncated,
    /// `é`
    Accented,
    /// U+2028 (not a line end)
    LineSeparator,
    /// U+FEFF (a BOM, here content)
    Bom,
    /// `😀`
    Emoji,
    /// A decimal number.
    Number(u64),
    /// `18446744073709551616` (`u64::MAX + 1`)
    Overflow,
    /// A common word of real streams.
    Word(u8),
    /// `byte` repeated `len` times.
    Run {
        /// The byte.
        byte: u8,
        /// How many.
        len: u16,
    },
}

/// Words of real streams, for [`Piece::Word`].
const WORDS: [&str; 10] = [
    "{\"choices\":[{\"delta\":{\"content\":\"",
    "\"}}]}",
    "[DONE]",
    "message",
    "token",
    "ping",
    "\\n",
    "{\"type\":\"content_block_delta\",\"delta\":{\"text\":\"",
    "keep-alive",
    "error",
];

impl Piece {
    fn render(&self, out: &mut Vec<u8>) {
        let room = MAX_RENDERED.saturating_sub(out.len());
        match self {
            Piece::Byte(byte) => out.push(*byte),
            Piece::Space => out.push(b' '),
            Piece::Colon => out.push(b':'),
            Piece::Tab => out.push(b'\t'),
            Piece::Nul => out.push(0),
            Piece::Invalid => out.push(0xff),
            Piece::Truncated => out.extend_from_slice(b"\xE2\x82"),
            Piece::Accented => out.extend_from_slice("é".as_bytes()),
            Piece::LineSeparator => out.extend_from_slice("\u{2028}".as_bytes()),
            Piece::Bom => out.extend_from_slice("\u{FEFF}".as_bytes()),
            Piece::Emoji => out.extend_from_slice("😀".as_bytes()),
            Piece::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
            Piece::Overflow => out.extend_from_slice(b"18446744073709551616"),
            Piece::Word(i) => {
                out.extend_from_slice(WORDS[usize::from(*i) % WORDS.len()].as_bytes())
            }
            Piece::Run { byte, len } => {
                let len = usize::from(*len).min(room);
                out.resize(out.len() + len, *byte);
            }
        }
    }
}

fn render_pieces(pieces: &[Piece], out: &mut Vec<u8>) {
    for piece in pieces {
        piece.render(out);
    }
}

impl StructuredStream {
    /// The stream's bytes (at most about [`MAX_RENDERED`]).
    pub fn render(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self.bom {
            Bom::None => {}
            Bom::One => out.extend_from_slice(b"\xEF\xBB\xBF"),
            Bom::Two => out.extend_from_slice(b"\xEF\xBB\xBF\xEF\xBB\xBF"),
            Bom::Partial => out.extend_from_slice(b"\xEF\xBB"),
        }
        for line in &self.lines {
            if out.len() >= MAX_RENDERED {
                break;
            }
            match &line.kind {
                LineKind::Empty => {}
                LineKind::Comment(text) => {
                    out.push(b':');
                    render_pieces(text, &mut out);
                }
                LineKind::Field { name, sep, value } => {
                    match name {
                        Name::Data => out.extend_from_slice(b"data"),
                        Name::Event => out.extend_from_slice(b"event"),
                        Name::Id => out.extend_from_slice(b"id"),
                        Name::Retry => out.extend_from_slice(b"retry"),
                        Name::DataUpper => out.extend_from_slice(b"Data"),
                        Name::DataSpace => out.extend_from_slice(b"data "),
                        Name::SpaceData => out.extend_from_slice(b" data"),
                        Name::BomData => out.extend_from_slice(b"\xEF\xBB\xBFdata"),
                        Name::Other(pieces) => render_pieces(pieces, &mut out),
                    }
                    out.extend_from_slice(match sep {
                        Separator::None => b"",
                        Separator::Colon => b":",
                        Separator::ColonSpace => b": ",
                        Separator::ColonSpaceSpace => b":  ",
                        Separator::ColonTab => b":\t",
                    });
                    render_pieces(value, &mut out);
                }
            }
            out.extend_from_slice(match line.end {
                LineEnd::Lf => b"\n",
                LineEnd::Cr => b"\r",
                LineEnd::CrLf => b"\r\n",
                LineEnd::None => b"",
            });
        }
        out
    }

    /// A structured stream that renders to exactly `stream` (for seeds):
    /// a leading BOM, lines split at CRLF, CR and LF, field names and
    /// separators recognised, values as bytes (runs of 8 or more equal bytes
    /// as [`Piece::Run`]).
    pub fn from_stream(stream: &[u8], options: OptionsChoice, cuts: Vec<u16>) -> Self {
        let (bom, mut rest) = match stream.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) => (Bom::One, rest),
            None => (Bom::None, stream),
        };
        let mut lines = Vec::new();
        while !rest.is_empty() {
            let (line, end, next) = match rest.iter().position(|&b| b == b'\n' || b == b'\r') {
                None => (rest, LineEnd::None, &rest[rest.len()..]),
                Some(i) if rest[i] == b'\n' => (&rest[..i], LineEnd::Lf, &rest[i + 1..]),
                Some(i) if rest.get(i + 1) == Some(&b'\n') => {
                    (&rest[..i], LineEnd::CrLf, &rest[i + 2..])
                }
                Some(i) => (&rest[..i], LineEnd::Cr, &rest[i + 1..]),
            };
            lines.push(StructuredLine {
                kind: line_kind(line),
                end,
            });
            rest = next;
        }
        StructuredStream {
            options,
            bom,
            cuts,
            lines,
        }
    }
}

fn line_kind(line: &[u8]) -> LineKind {
    if line.is_empty() {
        return LineKind::Empty;
    }
    if let Some(text) = line.strip_prefix(b":") {
        return LineKind::Comment(pieces_of(text));
    }
    let (name, sep, value) = match line.iter().position(|&b| b == b':') {
        None => (line, Separator::None, &b""[..]),
        Some(colon) => match line[colon + 1..].strip_prefix(b" ") {
            Some(value) => (&line[..colon], Separator::ColonSpace, value),
            None => (&line[..colon], Separator::Colon, &line[colon + 1..]),
        },
    };
    let name = match name {
        b"data" => Name::Data,
        b"event" => Name::Event,
        b"id" => Name::Id,
        b"retry" => Name::Retry,
        other => Name::Other(pieces_of(other)),
    };
    LineKind::Field {
        name,
        sep,
        value: pieces_of(value),
    }
}

/// Bytes as [`Piece::Byte`]s, with runs of 8 or more equal bytes as one
/// [`Piece::Run`].
fn pieces_of(bytes: &[u8]) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        let run = bytes[i..]
            .iter()
            .take(usize::from(u16::MAX))
            .take_while(|&&b| b == byte)
            .count();
        if run >= 8 {
            pieces.push(Piece::Run {
                byte,
                len: u16::try_from(run).unwrap_or(u16::MAX),
            });
            i += run;
        } else {
            pieces.push(Piece::Byte(byte));
            i += 1;
        }
    }
    pieces
}

/// `decode_oracle`: the rendered stream, cut into chunks, decodes through
/// every API to exactly what the naive [`oracle`] computes from the whole.
pub fn check_oracle(input: &StructuredStream) {
    let bytes = input.render();
    let cuts: Vec<usize> = input.cuts.iter().map(|&c| usize::from(c)).collect();
    let chunks = cut(&bytes, &cuts);
    let opts = input.options.options();
    let expected = oracle::decode(&bytes, &opts);
    let got = adapter::decode_chunks(&chunks, &opts);
    assert_eq!(
        got,
        expected,
        "decoder (left) and oracle (right) disagree under {opts:?}; chunks {:?}",
        chunks.iter().map(|p| escape(p)).collect::<Vec<_>>()
    );
}

// ---------------------------------------------------------------------------
// roundtrip: encode, decode under any chunking, get the same event back
// ---------------------------------------------------------------------------

/// The most bytes that a [`Text`]'s runs extend it to.
pub const MAX_TEXT: usize = 16 * 1024;

/// The `roundtrip` target's input: an event and a chunking.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub struct RoundtripInput {
    /// The event type.
    pub event_type: Option<Text>,
    /// The data.
    pub data: Option<Text>,
    /// The ID.
    pub id: Option<Text>,
    /// The reconnection time.
    pub retry: Option<u64>,
    /// Where to cut the encoded bytes (see [`cut`]).
    pub cuts: Vec<u16>,
}

/// A string made of pieces that matter to the encoder: any character, and
/// CR, LF, CRLF, NUL, space, colon and BOM more often than chance would
/// give them.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub struct Text(pub Vec<TextPiece>);

/// Part of a [`Text`].
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub enum TextPiece {
    /// An ASCII character (the byte's low 7 bits).
    Ascii(u8),
    /// Any character: the scalar value modulo 0x110000, U+FFFD for a surrogate.
    Unicode(u32),
    /// CR
    Cr,
    /// LF
    Lf,
    /// CRLF
    CrLf,
    /// U+0000
    Nul,
    /// ` `
    Space,
    /// `:`
    Colon,
    /// U+FEFF
    Bom,
    /// An ASCII character (low 7 bits of `ch`) repeated `len` times.
    Run {
        /// The character.
        ch: u8,
        /// How many.
        len: u16,
    },
}

impl Text {
    /// The string.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for piece in &self.0 {
            match piece {
                TextPiece::Ascii(b) => out.push(char::from(b & 0x7f)),
                TextPiece::Unicode(v) => {
                    out.push(char::from_u32(v % 0x11_0000).unwrap_or('\u{FFFD}'));
                }
                TextPiece::Cr => out.push('\r'),
                TextPiece::Lf => out.push('\n'),
                TextPiece::CrLf => out.push_str("\r\n"),
                TextPiece::Nul => out.push('\0'),
                TextPiece::Space => out.push(' '),
                TextPiece::Colon => out.push(':'),
                TextPiece::Bom => out.push('\u{FEFF}'),
                TextPiece::Run { ch, len } => {
                    let len = usize::from(*len).min(MAX_TEXT.saturating_sub(out.len()));
                    out.extend(std::iter::repeat(char::from(ch & 0x7f)).take(len));
                }
            }
        }
        out
    }

    /// A text that renders to `s` (for seeds).
    pub fn of(s: &str) -> Self {
        Text(
            s.chars()
                .map(|c| match u8::try_from(c) {
                    Ok(b) if b.is_ascii() => TextPiece::Ascii(b),
                    _ => TextPiece::Unicode(u32::from(c)),
                })
                .collect(),
        )
    }
}

impl RoundtripInput {
    /// An input for this event, with these cuts (for seeds).
    pub fn new(
        event_type: Option<&str>,
        data: Option<&str>,
        id: Option<&str>,
        retry: Option<u64>,
        cuts: Vec<u16>,
    ) -> Self {
        RoundtripInput {
            event_type: event_type.map(Text::of),
            data: data.map(Text::of),
            id: id.map(Text::of),
            retry,
            cuts,
        }
    }
}

/// The expected decoder output for one event, decoded by a fresh decoder:
/// `Retry` first if set (the receiver reports it when it reads the line),
/// then the event if it has data, its type `message` when none or empty,
/// its data with every CRLF and CR turned into LF, and its ID (empty when
/// none).
pub fn expected_outputs(
    event_type: Option<&str>,
    data: Option<&str>,
    id: Option<&str>,
    retry: Option<u64>,
) -> Vec<Output> {
    let mut out = Vec::new();
    out.extend(retry.map(Output::Retry));
    if let Some(data) = data {
        out.push(Output::Event {
            ty: match event_type {
                None | Some("") => "message".to_owned(),
                Some(ty) => ty.to_owned(),
            },
            data: data.replace("\r\n", "\n").replace('\r', "\n"),
            id: id.unwrap_or("").to_owned(),
        });
    }
    out
}

/// The refusal the encoder owes an event, if any, in its documented order
/// of precedence: a line break in the event type, then in the ID, then a NUL
/// in the ID.
pub fn expected_refusal(event_type: Option<&str>, id: Option<&str>) -> Option<EncodeError> {
    let breaks = |s: &str| s.contains(['\r', '\n']);
    if event_type.is_some_and(breaks) {
        Some(EncodeError::LineBreakInEventType)
    } else if id.is_some_and(breaks) {
        Some(EncodeError::LineBreakInId)
    } else if id.is_some_and(|id| id.contains('\0')) {
        Some(EncodeError::NulInId)
    } else {
        None
    }
}

/// `roundtrip`: the event is encoded; a refusal must be the one the spec
/// forces (and leave the output untouched); an accepted event, cut at
/// `cuts`, decodes through every API to exactly [`expected_outputs`]. The
/// encoder's other entry points (`encoded_len`, `encode_to_slice`,
/// `encode_to_string`, `encode_to_buf`) write the same bytes, and a slice
/// one byte short is refused untouched.
pub fn check_roundtrip(
    event_type: Option<&str>,
    data: Option<&str>,
    id: Option<&str>,
    retry: Option<u64>,
    cuts: &[usize],
) {
    let event = EventRef {
        event_type,
        data,
        id,
        retry,
    };
    let mut encoded = b"previous output".to_vec();
    let result = event.encode_to_vec(&mut encoded);
    assert_eq!(
        event.validate(),
        result.map(drop),
        "validate() for {event:?}"
    );
    if let Some(refusal) = expected_refusal(event_type, id) {
        assert_eq!(result, Err(refusal), "{event:?}");
        assert_eq!(
            encoded, b"previous output",
            "a refused event wrote something"
        );
        assert_eq!(event.encoded_len(), Err(refusal));
        return;
    }
    assert_eq!(result, Ok(()), "{event:?} was refused");
    let encoded = &encoded[b"previous output".len()..];

    // The other writers agree, all or nothing.
    assert_eq!(event.encoded_len(), Ok(encoded.len()), "{event:?}");
    let mut slice = vec![0xAAu8; encoded.len() + 1];
    assert_eq!(event.encode_to_slice(&mut slice), Ok(encoded.len()));
    assert_eq!(&slice[..encoded.len()], encoded);
    if !encoded.is_empty() {
        let mut short = vec![0xAAu8; encoded.len() - 1];
        assert_eq!(
            event.encode_to_slice(&mut short),
            Err(EncodeError::BufferTooSmall {
                needed: encoded.len()
            })
        );
        assert!(short.iter().all(|&b| b == 0xAA), "a refusal wrote bytes");
    }
    let mut string = String::new();
    assert_eq!(event.encode_to_string(&mut string), Ok(()));
    assert_eq!(string.as_bytes(), encoded);
    let mut buf = bytes::BytesMut::new();
    assert_eq!(event.encode_to_buf(&mut buf), Ok(()));
    assert_eq!(&buf[..], encoded);

    let chunks = cut(encoded, cuts);
    let opts = Options {
        comments: true,
        ..Options::default()
    };
    let got = adapter::decode_chunks(&chunks, &opts);
    assert_eq!(
        got,
        expected_outputs(event_type, data, id, retry),
        "{event:?} encoded as {} did not come back",
        escape(encoded)
    );
}

/// [`check_roundtrip`] on a fuzzer's [`RoundtripInput`].
pub fn check_roundtrip_input(input: &RoundtripInput) {
    let render = |text: &Option<Text>| text.as_ref().map(Text::render);
    let (event_type, data, id) = (
        render(&input.event_type),
        render(&input.data),
        render(&input.id),
    );
    let cuts: Vec<usize> = input.cuts.iter().map(|&c| usize::from(c)).collect();
    check_roundtrip(
        event_type.as_deref(),
        data.as_deref(),
        id.as_deref(),
        input.retry,
        &cuts,
    );
}

// ---------------------------------------------------------------------------
// Writing seeds: the inverse of `arbitrary` for the structured inputs
// ---------------------------------------------------------------------------

pub mod seed {
    //! Writes the bytes from which [`from_fuzz_bytes`](super::from_fuzz_bytes)
    //! builds a given structured input, following `arbitrary` 1.x's format:
    //! integers little-endian, `bool` as a byte's low bit, an enum variant
    //! as a `u32` `x` with `(x * variants) >> 32 == index`, each collection
    //! element preceded by a byte 1 and the collection ended by a byte 0 (a
    //! last field takes the rest of the input: no end byte). The replay test
    //! checks that reading the bytes back gives the same value.

    use super::{
        Bom, ChunkedInput, Limit, LineEnd, LineKind, Name, OptionsChoice, Piece, RoundtripInput,
        Separator, StructuredLine, StructuredStream, Text, TextPiece,
    };

    /// A byte sink in `arbitrary`'s format.
    #[derive(Debug, Default)]
    pub struct Writer {
        /// The bytes written so far.
        pub bytes: Vec<u8>,
    }

    impl Writer {
        /// Variant `index` of an enum with `count` variants.
        pub fn variant(&mut self, index: u32, count: u32) {
            let x = (u64::from(index) << 32).div_ceil(u64::from(count));
            let x = u32::try_from(x).expect("index < count");
            self.bytes.extend_from_slice(&x.to_le_bytes());
        }

        /// A `u8`.
        pub fn u8(&mut self, v: u8) {
            self.bytes.push(v);
        }

        /// A `u16`.
        pub fn u16(&mut self, v: u16) {
            self.bytes.extend_from_slice(&v.to_le_bytes());
        }

        /// A `u64`.
        pub fn u64(&mut self, v: u64) {
            self.bytes.extend_from_slice(&v.to_le_bytes());
        }

        /// A `bool`.
        pub fn bool(&mut self, v: bool) {
            self.bytes.push(u8::from(v));
        }

        /// A collection: each item after a 1, then a 0 unless `last`.
        pub fn seq<T>(&mut self, items: &[T], last: bool, mut each: impl FnMut(&mut Self, &T)) {
            for item in items {
                self.bytes.push(1);
                each(self, item);
            }
            if !last {
                self.bytes.push(0);
            }
        }
    }

    /// The bytes of a [`ChunkedInput`].
    pub fn chunked(input: &ChunkedInput<'_>) -> Vec<u8> {
        let mut w = Writer::default();
        w.seq(&input.cuts, false, |w, &c| w.u16(c));
        w.bytes.extend_from_slice(input.data);
        w.bytes
    }

    /// The bytes of a [`StructuredStream`].
    pub fn structured(stream: &StructuredStream) -> Vec<u8> {
        let mut w = Writer::default();
        options(&mut w, &stream.options);
        w.variant(
            match stream.bom {
                Bom::None => 0,
                Bom::One => 1,
                Bom::Two => 2,
                Bom::Partial => 3,
            },
            4,
        );
        w.seq(&stream.cuts, false, |w, &c| w.u16(c));
        w.seq(&stream.lines, true, line);
        w.bytes
    }

    /// An [`OptionsChoice`].
    pub fn options(w: &mut Writer, o: &OptionsChoice) {
        w.bool(o.comments);
        limit(w, o.max_line_length);
        limit(w, o.max_event_size);
    }

    fn limit(w: &mut Writer, l: Limit) {
        match l {
            Limit::Unlimited => w.variant(0, 4),
            Limit::Default => w.variant(1, 4),
            Limit::Small(n) => {
                w.variant(2, 4);
                w.u8(n);
            }
            Limit::Medium(n) => {
                w.variant(3, 4);
                w.u16(n);
            }
        }
    }

    fn line(w: &mut Writer, line: &StructuredLine) {
        match &line.kind {
            LineKind::Empty => w.variant(0, 3),
            LineKind::Comment(text) => {
                w.variant(1, 3);
                w.seq(text, false, piece);
            }
            LineKind::Field { name, sep, value } => {
                w.variant(2, 3);
                field_name(w, name);
                w.variant(
                    match sep {
                        Separator::None => 0,
                        Separator::Colon => 1,
                        Separator::ColonSpace => 2,
                        Separator::ColonSpaceSpace => 3,
                        Separator::ColonTab => 4,
                    },
                    5,
                );
                w.seq(value, false, piece);
            }
        }
        w.variant(
            match line.end {
                LineEnd::Lf => 0,
                LineEnd::Cr => 1,
                LineEnd::CrLf => 2,
                LineEnd::None => 3,
            },
            4,
        );
    }

    fn field_name(w: &mut Writer, name: &Name) {
        const COUNT: u32 = 9;
        match name {
            Name::Data => w.variant(0, COUNT),
            Name::Event => w.variant(1, COUNT),
            Name::Id => w.variant(2, COUNT),
            Name::Retry => w.variant(3, COUNT),
            Name::DataUpper => w.variant(4, COUNT),
            Name::DataSpace => w.variant(5, COUNT),
            Name::SpaceData => w.variant(6, COUNT),
            Name::BomData => w.variant(7, COUNT),
            Name::Other(pieces) => {
                w.variant(8, COUNT);
                w.seq(pieces, false, piece);
            }
        }
    }

    /// A [`Piece`].
    pub fn piece(w: &mut Writer, p: &Piece) {
        const COUNT: u32 = 15;
        let simple = |w: &mut Writer, i| w.variant(i, COUNT);
        match p {
            Piece::Byte(b) => {
                simple(w, 0);
                w.u8(*b);
            }
            Piece::Space => simple(w, 1),
            Piece::Colon => simple(w, 2),
            Piece::Tab => simple(w, 3),
            Piece::Nul => simple(w, 4),
            Piece::Invalid => simple(w, 5),
            Piece::Truncated => simple(w, 6),
            Piece::Accented => simple(w, 7),
            Piece::LineSeparator => simple(w, 8),
            Piece::Bom => simple(w, 9),
            Piece::Emoji => simple(w, 10),
            Piece::Number(n) => {
                simple(w, 11);
                w.u64(*n);
            }
            Piece::Overflow => simple(w, 12),
            Piece::Word(i) => {
                simple(w, 13);
                w.u8(*i);
            }
            Piece::Run { byte, len } => {
                simple(w, 14);
                w.u8(*byte);
                w.u16(*len);
            }
        }
    }

    /// The bytes of a [`RoundtripInput`].
    pub fn roundtrip(input: &RoundtripInput) -> Vec<u8> {
        let mut w = Writer::default();
        for text in [&input.event_type, &input.data, &input.id] {
            w.bool(text.is_some());
            if let Some(text) = text {
                self::text(&mut w, text);
            }
        }
        w.bool(input.retry.is_some());
        if let Some(ms) = input.retry {
            w.u64(ms);
        }
        w.seq(&input.cuts, true, |w, &c| w.u16(c));
        w.bytes
    }

    fn text(w: &mut Writer, text: &Text) {
        const COUNT: u32 = 10;
        w.seq(&text.0, false, |w, piece| match piece {
            TextPiece::Ascii(b) => {
                w.variant(0, COUNT);
                w.u8(*b);
            }
            TextPiece::Unicode(v) => {
                w.variant(1, COUNT);
                w.bytes.extend_from_slice(&v.to_le_bytes());
            }
            TextPiece::Cr => w.variant(2, COUNT),
            TextPiece::Lf => w.variant(3, COUNT),
            TextPiece::CrLf => w.variant(4, COUNT),
            TextPiece::Nul => w.variant(5, COUNT),
            TextPiece::Space => w.variant(6, COUNT),
            TextPiece::Colon => w.variant(7, COUNT),
            TextPiece::Bom => w.variant(8, COUNT),
            TextPiece::Run { ch, len } => {
                w.variant(9, COUNT);
                w.u8(*ch);
                w.u16(*len);
            }
        });
    }
}
