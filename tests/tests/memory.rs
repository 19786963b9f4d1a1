//! Memory bounds, measured: a counting global allocator (per thread) records
//! every byte the decoders allocate, and each test asserts that what a
//! decoder holds, at its peak and between chunks, stays below a bound set by
//! the configured limits ([`retention_bound`]: four line-sized buffers and
//! one event-sized one, each at most doubled by `Vec` growth), however much
//! input goes through. Nothing here measures time.
//!
//! `ten_million_tiny_events_one_byte_at_a_time` feeds 10,000,000 events
//! (90 MB, one byte per call) when `SSE_LONG_TESTS=1` is set, and 1,000,000
//! otherwise, to keep the default test run short.

use sse_codec_core::{
    Buffers, Builder, BytesDecoder, Decoder, Error, Item, OwnedItem, SliceBuffer,
};
use sse_codec_tests::fuzz_checks::{
    allocation_count, live_bytes, peak_bytes, reset_peak, retention_bound, CountingAllocator,
};
use sse_codec_tests::Options;

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

const LINE_LIMIT: usize = 64 * 1024;
const EVENT_LIMIT: usize = 1024 * 1024;

fn options(max_line_length: usize, max_event_size: usize) -> Options {
    Options {
        comments: false,
        max_line_length,
        max_event_size,
    }
}

fn builder(opts: &Options) -> Builder {
    Builder::new()
        .max_line_length(opts.max_line_length)
        .max_event_size(opts.max_event_size)
}

/// Measures a decoder's heap from the moment it is built: retained bytes
/// after each feed, and the peak over everything.
struct Meter {
    baseline: isize,
    bound: isize,
    max_retained: isize,
}

impl Meter {
    fn start(opts: &Options) -> Self {
        let bound = isize::try_from(retention_bound(opts)).unwrap();
        Meter {
            baseline: reset_peak(),
            bound,
            max_retained: 0,
        }
    }

    /// After a feed: what the decoder keeps must be within the bound.
    fn between_chunks(&mut self, fed: usize) {
        let retained = live_bytes() - self.baseline;
        self.max_retained = self.max_retained.max(retained);
        assert!(
            retained <= self.bound,
            "after {fed} bytes the decoder retains {retained} bytes, over the bound {}",
            self.bound
        );
    }

    /// At the end: the peak, transient allocations included, is within the
    /// bound too. Returns the largest retention seen.
    fn finish(&self, fed: usize) -> isize {
        let peak = peak_bytes() - self.baseline;
        assert!(
            peak <= self.bound,
            "the decoder's heap peaked at {peak} bytes over {fed} bytes of input, over the bound {}",
            self.bound
        );
        self.max_retained
    }
}

/// Feeds `chunk` and returns (events, errors), without allocating per item.
fn feed_borrowed(decoder: &mut Decoder, chunk: &[u8]) -> (usize, Vec<Error>) {
    let mut events = 0;
    let mut errors = Vec::new();
    let mut feed = decoder.feed(chunk);
    while let Some(item) = feed.next_item() {
        match item {
            Ok(Item::Event(_)) => events += 1,
            Ok(_) => {}
            Err(error) => errors.push(error),
        }
    }
    (events, errors)
}

#[test]
fn endless_line_stays_below_the_line_limit() {
    let opts = options(LINE_LIMIT, EVENT_LIMIT);
    let chunk = vec![b'x'; 4096];
    let mut meter = Meter::start(&opts);
    let mut decoder = builder(&opts).build();
    let mut errors = Vec::new();
    errors.extend(feed_borrowed(&mut decoder, b"data: before\n\nretry").1);
    let mut fed = 0;
    // 64 MiB of one line, a thousand times the line limit.
    for _ in 0..16 * 1024 {
        let (events, errs) = feed_borrowed(&mut decoder, &chunk);
        assert_eq!(events, 0);
        errors.extend(errs);
        fed += chunk.len();
        meter.between_chunks(fed);
    }
    let retained = meter.finish(fed);
    assert!(
        retained <= isize::try_from(2 * (LINE_LIMIT + 3)).unwrap(),
        "an endless line keeps {retained} bytes: more than one line's worth"
    );
    // The line is reported once, and the stream goes on after it.
    let (events, errs) = feed_borrowed(&mut decoder, b"\n\ndata: after\n\n");
    errors.extend(errs);
    assert_eq!(events, 1);
    assert_eq!(errors, [Error::LineTooLong { limit: LINE_LIMIT }]);
}

#[test]
fn endless_line_one_byte_at_a_time_stays_below_the_line_limit() {
    let opts = options(1024, 4096);
    let mut meter = Meter::start(&opts);
    let mut decoder = builder(&opts).build();
    let mut errors = 0;
    feed_borrowed(&mut decoder, b"data: ");
    let total = 2 * 1024 * 1024;
    for fed in 1..=total {
        errors += feed_borrowed(&mut decoder, b"y").1.len();
        if fed % 4096 == 0 {
            meter.between_chunks(fed);
        }
    }
    meter.finish(total);
    assert_eq!(errors, 1);
}

#[test]
fn endless_data_field_stays_below_the_line_limit() {
    // One `data` value that never ends, with a line limit large enough that
    // the decoder must buffer a good part of it before giving up.
    let opts = options(1024 * 1024, 4 * 1024 * 1024);
    let chunk = vec![b'z'; 64 * 1024];
    let mut meter = Meter::start(&opts);
    let mut decoder = builder(&opts).build();
    let mut errors = feed_borrowed(&mut decoder, b"event: big\ndata: ").1;
    let mut fed = 0;
    for _ in 0..1024 {
        errors.extend(feed_borrowed(&mut decoder, &chunk).1);
        fed += chunk.len();
        meter.between_chunks(fed);
    }
    meter.finish(fed);
    assert_eq!(errors, [Error::LineTooLong { limit: 1024 * 1024 }]);
}

#[test]
fn endless_event_of_data_lines_stays_below_the_event_limit() {
    // Data lines forever, never an empty line: the data buffer is bounded by
    // the event limit, and the rest of the event is skipped.
    let opts = options(LINE_LIMIT, EVENT_LIMIT);
    let chunk = b"data: 0123456789abcdef0123456789abcdef0123456789abcdef\n".repeat(64);
    let mut meter = Meter::start(&opts);
    let mut decoder = builder(&opts).build();
    let mut errors = Vec::new();
    let mut fed = 0;
    while fed < 64 * 1024 * 1024 {
        let (events, errs) = feed_borrowed(&mut decoder, &chunk);
        assert_eq!(events, 0);
        errors.extend(errs);
        fed += chunk.len();
        meter.between_chunks(fed);
    }
    meter.finish(fed);
    assert_eq!(errors, [Error::EventTooLarge { limit: EVENT_LIMIT }]);
    let (events, _) = feed_borrowed(&mut decoder, b"\ndata: after\n\n");
    assert_eq!(events, 1);
}

#[test]
fn large_events_through_the_owned_api_stay_below_the_event_limit() {
    // Through the owned iterator: events alternately just under the limit
    // (dispatched, then dropped) and over it (skipped).
    let opts = options(4096, 64 * 1024);
    let line = b"data: 0123456789abcdef0123456789abcdef0123456789abcdef\n";
    let under = [line.repeat(1000), b"\n".to_vec()].concat();
    let over = [line.repeat(2000), b"\n".to_vec()].concat();
    let mut meter = Meter::start(&opts);
    let mut decoder = builder(&opts).build();
    let (mut events, mut errors, mut fed) = (0, 0, 0);
    for round in 0..200 {
        let block = if round % 2 == 0 { &under } else { &over };
        for chunk in block.chunks(1000 + round) {
            for item in decoder.feed(chunk) {
                match item {
                    Ok(OwnedItem::Event(event)) => {
                        assert_eq!(event.data().len(), 1000 * (line.len() - "data: ".len()) - 1);
                        events += 1;
                    }
                    Ok(_) => {}
                    Err(error) => {
                        assert_eq!(error, Error::EventTooLarge { limit: 64 * 1024 });
                        errors += 1;
                    }
                }
            }
            fed += chunk.len();
            meter.between_chunks(fed);
        }
    }
    assert_eq!((events, errors), (100, 100));
    // The peak includes the owned event being handed out, so only the
    // retention between chunks is asserted here.
}

#[test]
fn raw_decoder_allocates_nothing_and_its_caller_keeps_at_most_a_line() {
    const LINE: usize = 256;
    let (mut d, mut t, mut i, mut l) = ([0u8; 1024], [0u8; LINE], [0u8; LINE], [0u8; LINE]);
    let mut decoder = Builder::new()
        .max_line_length(LINE)
        .max_event_size(1024)
        .build_raw(Buffers {
            data: SliceBuffer::new(&mut d),
            event_type: SliceBuffer::new(&mut t),
            id_buffer: SliceBuffer::new(&mut i),
            last_event_id: SliceBuffer::new(&mut l),
        });
    let stream: Vec<u8> = [
        &b"data: tiny\n\n"[..],
        &b"x".repeat(10_000),
        b"\n\nid: 1\ndata: ok\n\n",
        &b"data: 0123456789\n".repeat(100),
        b"\n",
    ]
    .concat()
    .repeat(100);
    let mut input: Vec<u8> = Vec::with_capacity(LINE + 3 + 7);
    let allocations = allocation_count();
    let (mut events, mut errors) = (0, 0);
    for chunk in stream.chunks(7) {
        input.extend_from_slice(chunk);
        let mut pos = 0;
        loop {
            let (used, item) = decoder.decode(&input[pos..]);
            pos += used;
            match item {
                Ok(None) => break,
                Ok(Some(Item::Event(_))) => events += 1,
                Ok(Some(_)) => {}
                Err(_) => errors += 1,
            }
        }
        input.drain(..pos);
        assert!(
            input.len() <= LINE + 3,
            "the caller keeps {} bytes",
            input.len()
        );
    }
    assert_eq!(allocation_count(), allocations, "the raw decoder allocated");
    assert_eq!((events, errors), (200, 200));
}

fn long_tests() -> bool {
    std::env::var("SSE_LONG_TESTS").is_ok_and(|v| v == "1")
}

#[test]
fn ten_million_tiny_events_one_byte_at_a_time() {
    let count: usize = if long_tests() { 10_000_000 } else { 1_000_000 };
    let opts = options(1024, 4096);
    let event = b"data: x\n\n";
    let mut meter = Meter::start(&opts);
    let mut decoder = builder(&opts).build();
    let mut events = 0;
    let mut allocations_after_warm_up = 0;
    for n in 0..count {
        if n == 1000 {
            allocations_after_warm_up = allocation_count();
        }
        for byte in event.chunks(1) {
            let mut feed = decoder.feed(byte);
            while let Some(item) = feed.next_item() {
                match item {
                    Ok(Item::Event(e)) => {
                        debug_assert_eq!(e.data(), b"x");
                        events += 1;
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
        if n % 65_536 == 0 {
            meter.between_chunks(n * event.len());
        }
    }
    let retained = meter.finish(count * event.len());
    assert_eq!(events, count);
    assert!(retained <= 256, "{retained} bytes kept for 9-byte events");
    assert_eq!(
        allocation_count(),
        allocations_after_warm_up,
        "the borrowed API allocated after warming up"
    );
}

#[test]
fn tiny_events_one_byte_at_a_time_through_bytes_decoder() {
    // `BytesDecoder` values are slices of the input `Bytes`: with one-byte
    // chunks they are copied instead, and still bounded.
    let opts = options(1024, 4096);
    let event = b"id: 12\ndata: x\n\n";
    let mut meter = Meter::start(&opts);
    let mut decoder: BytesDecoder = builder(&opts).build_bytes();
    let mut events = 0;
    for n in 0..100_000 {
        for &byte in event {
            let chunk = bytes::Bytes::copy_from_slice(&[byte]);
            events += decoder
                .feed(chunk)
                .filter(|item| matches!(item, Ok(OwnedItem::Event(_))))
                .count();
        }
        if n % 4096 == 0 {
            meter.between_chunks(n * event.len());
        }
    }
    assert_eq!(events, 100_000);
    assert_eq!(decoder.last_event_id(), "12");
}

#[test]
fn bytes_decoder_allocates_nothing_per_event_once_warm() {
    // Values copied because they span chunks (the carry) or are assembled
    // from several lines (multi-line data, `id`, `event`) share a reused
    // allocation: events dropped as they come cost no allocation.
    let opts = options(1024, 1 << 20);
    let mut stream = Vec::new();
    for n in 0..20_000 {
        if n % 2 == 0 {
            stream
                .extend_from_slice(b"data: {\"choices\":[{\"delta\":{\"content\":\"word\"}}]}\n\n");
        } else {
            let event = format!("event: update\nid: {n}\ndata: line one\ndata: line two\r\n\r\n");
            stream.extend_from_slice(event.as_bytes());
        }
    }
    let stream = bytes::Bytes::from(stream);
    for chunk_size in [7, 100, 4096] {
        let mut decoder: BytesDecoder = builder(&opts).build_bytes();
        let mut events = 0;
        let mut warm = None;
        let mut start = 0;
        while start < stream.len() {
            let end = (start + chunk_size).min(stream.len());
            for item in decoder.feed(stream.slice(start..end)) {
                if let Ok(OwnedItem::Event(event)) = item {
                    assert!(event.data().starts_with(['{', 'l']));
                    events += 1;
                }
            }
            start = end;
            if warm.is_none() && events >= 1_000 {
                warm = Some((allocation_count(), events));
            }
        }
        let (before, at) = warm.expect("warmed up");
        let per_event = (allocation_count() - before) as f64 / (events - at) as f64;
        assert_eq!(events, 20_000);
        assert!(
            per_event < 0.001,
            "{per_event} allocations per event in {chunk_size}-byte chunks"
        );
    }
}

// ---------------------------------------------------------------------------
// Issue 18, item 1: values kept across reads own copies; no read buffer is
// pinned once the decoder is done with it.
// ---------------------------------------------------------------------------

/// What a decoder holds once a stream went through it: the heap still live
/// (input and events dropped), the events seen, and the last event ID.
struct Held {
    bytes: isize,
    events: usize,
    last_event_id: String,
}

/// `stream` in reads of `read` bytes, cut from the end: the last read (the
/// one whose values outlive the stream) is a full one.
fn reads(stream: &[u8], read: usize) -> impl Iterator<Item = &[u8]> {
    let (first, rest) = stream.split_at(stream.len() % read);
    std::iter::once(first).chain(rest.chunks(read))
}

/// `stream` through a fresh [`BytesDecoder`] in reads of `read` bytes, each
/// read its own allocation (as an HTTP client hands them out), every item
/// dropped as it comes.
fn through_bytes_decoder(stream: &[u8], read: usize, opts: &Options) -> Held {
    let baseline = live_bytes();
    let mut decoder: BytesDecoder = builder(opts).build_bytes();
    let mut events = 0;
    for piece in reads(stream, read) {
        for item in decoder.feed(bytes::Bytes::copy_from_slice(piece)) {
            events += usize::from(matches!(item, Ok(OwnedItem::Event(_))));
        }
    }
    let bytes = live_bytes() - baseline;
    Held {
        bytes,
        events,
        last_event_id: decoder.last_event_id().into_owned(),
    }
}

/// `stream` through a fresh `sse_codec_tokio::SseCodec`, read into one
/// `BytesMut` `read` bytes at a time as `FramedRead` does; the read buffer
/// is dropped before measuring.
fn through_tokio_codec(stream: &[u8], read: usize, opts: &Options) -> Held {
    use tokio_util::codec::Decoder as _;
    let baseline = live_bytes();
    let mut codec = sse_codec_tokio::SseCodec::with_builder(builder(opts));
    let mut buf = bytes::BytesMut::new();
    let mut events = 0;
    for piece in reads(stream, read) {
        buf.extend_from_slice(piece);
        while let Some(item) = codec.decode(&mut buf).expect("no I/O here") {
            events += usize::from(matches!(item, Ok(OwnedItem::Event(_))));
        }
    }
    drop(buf);
    let bytes = live_bytes() - baseline;
    Held {
        bytes,
        events,
        last_event_id: codec.last_event_id().into_owned(),
    }
}

/// Many events of about 500 bytes (4 MB in all, well within limits of 1 KiB
/// lines and 4 KiB events), then `tail`.
fn many_events_then(tail: &str) -> Vec<u8> {
    let event = format!("data: {}\n\n", "e".repeat(500));
    [event.repeat(8000).as_bytes(), tail.as_bytes()].concat()
}

#[test]
fn values_kept_across_reads_do_not_pin_read_buffers() {
    // The last event ID (and a pending event type, ID or data line) used to
    // be slices of the read they came in: a one-byte ID kept the whole read
    // alive for as long as the connection lived. What the decoder holds
    // after the stream must be within the bound its limits set, whatever
    // the reads were.
    let opts = options(1024, 4096);
    let bound = isize::try_from(retention_bound(&opts)).unwrap();
    for (tail, id) in [
        ("id: 1\n\n", "1"),
        ("id: 1\n\nevent: t\n", "1"),
        ("id: 2\n\nid: 3\nevent: t\ndata: pending\n", "2"),
    ] {
        let stream = many_events_then(tail);
        for read in [stream.len(), 64 * 1024] {
            for (api, run) in [
                (
                    "BytesDecoder",
                    through_bytes_decoder as fn(&[u8], usize, &Options) -> Held,
                ),
                ("SseCodec", through_tokio_codec),
            ] {
                let held = run(&stream, read, &opts);
                assert_eq!((held.events, held.last_event_id.as_str()), (8000, id));
                assert!(
                    held.bytes <= bound,
                    "{api} in {read}-byte reads, stream ending {tail:?}: {} bytes held \
                     after the stream, over the bound {bound}",
                    held.bytes
                );
            }
        }
    }
}

#[test]
fn a_large_value_does_not_leave_its_read_pinned_behind_it() {
    // The case with big limits: a 4 MB data line, then a one-byte ID
    // or a pending event type. The event (handed out, then dropped) may
    // share its read; what comes after it must not keep that read alive.
    // In small reads the line is carried (copied) by `BytesDecoder`, whose
    // carry and data buffers may keep their room for the next long line:
    // twice the line each, within the limits. `SseCodec` hands the decoder
    // whole lines, which it never copies.
    let opts = options(16 << 20, 16 << 20);
    let line = format!("data: {}\n", "d".repeat(4 << 20));
    for (tail, id) in [
        ("\nid: 1\n\n", "1"),
        ("\nevent: t\n", ""),
        ("id: 7\n\n", "7"),
    ] {
        let stream = [line.as_bytes(), tail.as_bytes()].concat();
        for read in [stream.len(), 64 * 1024] {
            for (api, run) in [
                (
                    "BytesDecoder",
                    through_bytes_decoder as fn(&[u8], usize, &Options) -> Held,
                ),
                ("SseCodec", through_tokio_codec),
            ] {
                let held = run(&stream, read, &opts);
                assert_eq!((held.events, held.last_event_id.as_str()), (1, id));
                let carried = if api == "BytesDecoder" && read < stream.len() {
                    4 * line.len()
                } else {
                    0
                };
                assert!(
                    held.bytes <= isize::try_from(64 * 1024 + carried).unwrap(),
                    "{api} in {read}-byte reads, stream ending {tail:?}: {} bytes held \
                     after a 4 MB event that is gone",
                    held.bytes
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Issue 18, item 2: unread input is bounded too.
// ---------------------------------------------------------------------------

/// The most unread input a decoder keeps for a caller that stops reading
/// early, under limits below 256 KiB (see `Decoder::feed`).
const UNREAD_BUDGET: usize = 256 * 1024;

/// `feeds` chunks of about 100 KiB of `id: N` events, and the last ID.
fn id_chunks(feeds: usize) -> (Vec<Vec<u8>>, usize) {
    let mut n = 0;
    let chunks = (0..feeds)
        .map(|_| {
            let mut chunk = Vec::new();
            while chunk.len() < 100 * 1024 {
                n += 1;
                let event = format!("id: {n}\ndata: {}\n\n", "u".repeat(40));
                chunk.extend_from_slice(event.as_bytes());
            }
            chunk
        })
        .collect();
    (chunks, n)
}

/// What a decoder may hold for a caller that takes one item per chunk:
/// the retention bound, plus the unread-input budget and a partial line, at
/// most doubled by growth.
fn unread_bound(opts: &Options) -> isize {
    let unread = 2 * (UNREAD_BUDGET + opts.max_line_length + 3);
    isize::try_from(retention_bound(opts) + unread).unwrap()
}

/// Counts one item taken by a caller that takes one item per chunk.
fn tally(item: Option<Result<OwnedItem, Error>>, events: &mut usize, dropped: &mut usize) {
    match item {
        Some(Ok(OwnedItem::Event(_))) => *events += 1,
        Some(Err(Error::UnreadInputDropped { budget: 262_144 })) => *dropped += 1,
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn one_item_per_feed_does_not_grow_the_decoder() {
    // The case, smaller: a caller takes one item from each feed and
    // feeds again. The decoder used to keep every unread byte (230 MB after
    // 200 feeds of 0.9 MB under 1 KiB limits).
    let opts = options(1024, 1024);
    let (chunks, last_id) = id_chunks(60);
    let mut meter = Meter::start(&opts);
    meter.bound = unread_bound(&opts);
    let mut decoder = builder(&opts).build();
    let (mut events, mut dropped, mut fed) = (0, 0, 0);
    for chunk in &chunks {
        tally(decoder.feed(chunk).next(), &mut events, &mut dropped);
        fed += chunk.len();
        meter.between_chunks(fed);
    }
    // Items were dropped, and said so; the stream state stays exact: once
    // the rest is read, the last event ID is the stream's last.
    assert!(
        dropped > 0 && events > 0,
        "{events} events, {dropped} errors"
    );
    // What is left: at most the budget, perhaps after the report of a last
    // drop.
    let (rest, errors) = feed_borrowed(&mut decoder, b"");
    assert!(errors.len() <= 1, "{errors:?}");
    assert!(rest * 57 <= UNREAD_BUDGET, "{rest} events were kept");
    assert_eq!(decoder.last_event_id(), last_id.to_string());
    assert!(!decoder.is_mid_event());
    meter.between_chunks(fed);
}

#[test]
fn one_item_per_push_does_not_grow_the_bytes_decoder() {
    // The same through `BytesDecoder`: `push` with unread input pending, and
    // feeds dropped after their first item.
    let opts = options(1024, 1024);
    let (chunks, last_id) = id_chunks(60);
    let chunk_len = chunks.iter().map(Vec::len).max().unwrap();
    for api in ["push", "feed"] {
        let mut meter = Meter::start(&opts);
        // The decoder also holds the chunk pushed last, unread.
        meter.bound = unread_bound(&opts) + isize::try_from(chunk_len).unwrap();
        let mut decoder: BytesDecoder = builder(&opts).build_bytes();
        let (mut events, mut dropped, mut fed) = (0, 0, 0);
        for chunk in &chunks {
            let chunk = bytes::Bytes::copy_from_slice(chunk);
            let item = if api == "push" {
                decoder.push(chunk);
                decoder.next_item()
            } else {
                decoder.feed(chunk).next()
            };
            tally(item, &mut events, &mut dropped);
            fed += chunks[0].len();
            meter.between_chunks(fed);
        }
        assert!(
            dropped > 0 && events > 0,
            "{api}: {events} events, {dropped} errors"
        );
        // What is left: at most the budget and the chunk pushed last, perhaps
        // after the report of a last drop.
        let mut rest = 0;
        while let Some(item) = decoder.next_item() {
            let dropped = Err(Error::UnreadInputDropped { budget: 256 * 1024 });
            if rest > 0 || item != dropped {
                assert!(matches!(item, Ok(OwnedItem::Event(_))), "{api}: {item:?}");
                rest += 1;
            }
        }
        assert!(
            rest * 57 <= UNREAD_BUDGET + chunk_len,
            "{api}: {rest} events were kept"
        );
        assert_eq!(decoder.last_event_id(), last_id.to_string(), "{api}");
        meter.between_chunks(fed);
    }
}

#[test]
fn reading_on_after_an_early_stop_does_not_carry_the_next_chunks() {
    // A caller stops early once (200 KB unread, within the budget), then
    // reads every later chunk to the end. The unread input is decoded first
    // and on its own: the later chunks are not copied through it (each of
    // their events used to join the carried input, which then grew by whole
    // chunks and kept that room).
    let opts = options(1024, 1024);
    let unread = b"data: x\n\n".repeat(200 * 1024 / 9);
    let chunk = b"data: y\n\n".repeat(1 << 20);
    for api in ["feed", "bytes"] {
        let mut meter = Meter::start(&opts);
        meter.bound = unread_bound(&opts);
        let mut events = 0;
        if api == "feed" {
            let mut decoder = builder(&opts).build();
            events += decoder.feed(&unread).take(1).count();
            meter.between_chunks(unread.len());
            for _ in 0..4 {
                events += feed_borrowed(&mut decoder, &chunk).0;
                meter.between_chunks(chunk.len());
            }
        } else {
            let mut decoder: BytesDecoder = builder(&opts).build_bytes();
            events += decoder
                .feed(bytes::Bytes::copy_from_slice(&unread))
                .take(1)
                .count();
            meter.between_chunks(unread.len());
            for _ in 0..4 {
                let shared = bytes::Bytes::copy_from_slice(&chunk);
                events += decoder.feed(shared).filter(Result::is_ok).count();
                meter.between_chunks(chunk.len());
            }
        }
        assert_eq!(events, unread.len() / 9 + 4 * (1 << 20), "{api}");
    }
}
