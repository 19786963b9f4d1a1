//! Decoder benchmarks: sse-codec through each of its public APIs, the other
//! published Rust SSE decoders through the API their users use, and two
//! baselines that bound any decoder (a `memchr2` scan for CR and LF, and a
//! `memcpy` of the input).
//!
//! Every row is first run once, untimed, and checked: it must yield exactly
//! the expected number of events and data bytes (the baselines: line breaks
//! and bytes). A row that fails its check is reported and not timed. A row
//! whose single pass would take more than a few seconds (a decoder that is
//! quadratic in the chunk size) is reported with its estimated time and not
//! timed either. Then each row is run once more, untimed, under a counting
//! global allocator, to get its allocations per event.
//!
//! Side results (checks, allocations) go to `<target>/criterion/sse-decode.tsv`,
//! next to criterion's own results; `benches/report.py` reads both.

use std::hint::black_box;
use std::io;
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use futures_core::Stream;
use sse_codec_benches::{
    count_allocations, print_allocations, record, record_allocations, reset_record, Chunking,
    CountingAllocator, Expected, Workload, WORKLOADS,
};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

const SIDE: &str = "sse-decode.tsv";

/// A pass estimated to take longer than this is not timed.
const BUDGET: Duration = Duration::from_secs(3);

/// One workload cut into chunks, as slices and as `Bytes`.
struct Case {
    slices: Vec<&'static [u8]>,
    /// The same chunks as reference-counted `Bytes`, cut off one shared
    /// allocation the way hyper hands out a body's chunks (a `BytesMut`
    /// read buffer, `split_to(n).freeze()` per chunk).
    chunks: Vec<Bytes>,
    expected: Expected,
    /// A buffer of the input's size, allocated and touched once, for the
    /// `memcpy` baseline (a fresh one would measure page faults).
    scratch: std::cell::RefCell<Vec<u8>>,
}

impl Case {
    fn new(input: &'static [u8], lengths: &[usize], expected: Expected) -> Case {
        let mut slices = Vec::with_capacity(lengths.len());
        let mut chunks = Vec::with_capacity(lengths.len());
        let mut shared = BytesMut::from(input);
        let mut pos = 0;
        for &len in lengths {
            slices.push(&input[pos..pos + len]);
            chunks.push(shared.split_to(len).freeze());
            pos += len;
        }
        assert_eq!(pos, input.len(), "the chunks cover the input");
        Case {
            slices,
            chunks,
            expected,
            scratch: std::cell::RefCell::new(vec![0; input.len()]),
        }
    }
}

/// What a row counted: events and data bytes (for the baselines: line
/// breaks and bytes).
type Counts = (u64, u64);

type Row = fn(&Case) -> Counts;

// ---------------------------------------------------------------------------
// Driving async streams: every input is ready at once, so a no-op waker does.

/// A stream of the case's chunks as `Bytes` (each a clone of a reference-
/// counted slice of one shared buffer, as an HTTP client hands them out).
struct Chunks<'a>(std::slice::Iter<'a, Bytes>);

impl Stream for Chunks<'_> {
    type Item = Result<Bytes, io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(self.0.next().cloned().map(Ok))
    }
}

fn chunk_stream(case: &Case) -> Chunks<'_> {
    Chunks(case.chunks.iter())
}

/// Polls `stream` to its end, handing each item to `f`.
fn drain<S: Stream>(stream: S, mut f: impl FnMut(S::Item)) {
    let mut stream = pin!(stream);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        match stream.as_mut().poll_next(&mut cx) {
            Poll::Ready(Some(item)) => f(item),
            Poll::Ready(None) => return,
            Poll::Pending => unreachable!("every input is ready"),
        }
    }
}

/// An `AsyncBufRead` over the case's chunks: each read returns the rest of
/// one chunk, as a socket would.
struct ChunkReader<'a> {
    slices: &'a [&'static [u8]],
    pos: usize,
}

impl futures_io::AsyncRead for ChunkReader<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let Some(first) = self.slices.first() else {
            return Poll::Ready(Ok(0));
        };
        let rest = &first[self.pos..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        futures_io::AsyncBufRead::consume(self.as_mut(), n);
        Poll::Ready(Ok(n))
    }
}

impl futures_io::AsyncBufRead for ChunkReader<'_> {
    fn poll_fill_buf(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        Poll::Ready(Ok(match this.slices.first() {
            Some(first) => &first[this.pos..],
            None => &[],
        }))
    }

    fn consume(mut self: Pin<&mut Self>, amt: usize) {
        self.pos += amt;
        if let Some(first) = self.slices.first() {
            if self.pos >= first.len() {
                self.slices = &self.slices[1..];
                self.pos = 0;
            }
        }
    }
}

// ---------------------------------------------------------------------------
// sse-codec

/// `Decoder::feed` + `Feed::next_item`: borrowed events, no allocation.
fn ours_borrowed(case: &Case) -> Counts {
    use sse_codec_core::{Decoder, Item};
    let mut decoder = Decoder::new();
    let (mut events, mut bytes) = (0, 0);
    for chunk in &case.slices {
        let mut feed = decoder.feed(chunk);
        while let Some(item) = feed.next_item() {
            if let Ok(Item::Event(event)) = item {
                events += 1;
                bytes += black_box(event.data()).len() as u64;
            }
        }
    }
    (events, bytes)
}

/// `Decoder::feed` + `Feed::next_item`, every value checked as UTF-8 text
/// (`RawEvent::data_str`, `event_type_str` and `id_str`):
/// what every peer hands out, still without allocating.
fn ours_borrowed_utf8(case: &Case) -> Counts {
    use sse_codec_core::{Decoder, Item};
    let mut decoder = Decoder::new();
    let (mut events, mut bytes) = (0, 0);
    for chunk in &case.slices {
        let mut feed = decoder.feed(chunk);
        while let Some(item) = feed.next_item() {
            if let Ok(Item::Event(event)) = item {
                let data = event.data_str().expect("UTF-8 data");
                let event_type = event.event_type_str().expect("UTF-8 type");
                let id = event.id_str().expect("UTF-8 id");
                black_box((event_type, id));
                events += 1;
                bytes += black_box(data).len() as u64;
            }
        }
    }
    (events, bytes)
}

/// `Decoder::feed` as an iterator: owned, UTF-8-checked `Event`s.
fn ours_owned(case: &Case) -> Counts {
    use sse_codec_core::{Decoder, OwnedItem};
    let mut decoder = Decoder::new();
    let (mut events, mut bytes) = (0, 0);
    for chunk in &case.slices {
        for item in decoder.feed(chunk) {
            if let Ok(OwnedItem::Event(event)) = item {
                events += 1;
                bytes += black_box(event.data()).len() as u64;
            }
        }
    }
    (events, bytes)
}

/// `BytesDecoder::feed`: owned, UTF-8-checked events sharing the input.
fn ours_bytes(case: &Case) -> Counts {
    use sse_codec_core::{BytesDecoder, OwnedItem};
    let mut decoder = BytesDecoder::new();
    let (mut events, mut bytes) = (0, 0);
    for chunk in &case.chunks {
        for item in decoder.feed(chunk.clone()) {
            if let Ok(OwnedItem::Event(event)) = item {
                events += 1;
                bytes += black_box(event.data()).len() as u64;
            }
        }
    }
    (events, bytes)
}

/// sse-codec-tokio: `EventStream` over a stream of `Bytes` (the adapter for
/// any byte-chunk stream, e.g. an HTTP body).
fn ours_tokio_stream(case: &Case) -> Counts {
    use sse_codec_core::OwnedItem;
    let (mut events, mut bytes) = (0, 0);
    drain(
        sse_codec_tokio::EventStream::new(chunk_stream(case)),
        |item| {
            if let OwnedItem::Event(event) = item.expect("sse-codec-tokio error") {
                events += 1;
                bytes += black_box(event.data()).len() as u64;
            }
        },
    );
    (events, bytes)
}

// ---------------------------------------------------------------------------
// Peers

/// sse-stream 0.3: `SseByteStream` over a stream of `Bytes` (its README's way
/// for byte streams). It yields metadata-only blocks too: count those with data.
fn sse_stream(case: &Case) -> Counts {
    let (mut events, mut bytes) = (0, 0);
    drain(sse_stream::SseByteStream::new(chunk_stream(case)), |item| {
        if let Some(data) = item.expect("sse-stream error").data {
            events += 1;
            bytes += black_box(data).len() as u64;
        }
    });
    (events, bytes)
}

/// sse-core 0.2: the synchronous `SseDecoder::next(&mut impl Buf)`, its
/// fastest API (the `SseStream` wrapper calls it).
fn sse_core(case: &Case) -> Counts {
    use sse_core::{SseDecoder, SseEvent};
    let mut decoder = SseDecoder::new();
    let (mut events, mut bytes) = (0, 0);
    for chunk in &case.slices {
        let mut buf: &[u8] = chunk;
        while let Some(event) = decoder.next(&mut buf) {
            if let SseEvent::Message(message) = event.expect("sse-core error") {
                events += 1;
                bytes += black_box(message.data).len() as u64;
            }
        }
    }
    (events, bytes)
}

/// sse-core 0.2: its `SseStream` over a stream of `Bytes`, the way an HTTP
/// client's body reaches it (each chunk an owned, reference-counted `Bytes`
/// to drop once decoded): like for like with the `bytes` and tokio stream
/// rows.
fn sse_core_stream(case: &Case) -> Counts {
    use sse_core::{SseEvent, SseStream};
    let (mut events, mut bytes) = (0, 0);
    drain(SseStream::new(chunk_stream(case)), |item| {
        if let SseEvent::Message(message) = item.expect("sse-core error") {
            events += 1;
            bytes += black_box(message.data).len() as u64;
        }
    });
    (events, bytes)
}

/// sse-parse 0.1: the sans-IO `SseParser::feed` + `next_event`.
fn sse_parse(case: &Case) -> Counts {
    let mut parser = sse_parse::SseParser::new();
    let (mut events, mut bytes) = (0, 0);
    for chunk in &case.slices {
        parser.feed(chunk);
        while let Some(event) = parser.next_event() {
            events += 1;
            bytes += black_box(event.data).len() as u64;
        }
    }
    (events, bytes)
}

/// sseer 0.3: `EventStream` over a stream of `Bytes`.
fn sseer(case: &Case) -> Counts {
    let (mut events, mut bytes) = (0, 0);
    drain(sseer::EventStream::new(chunk_stream(case)), |item| {
        let event = item.expect("sseer error");
        events += 1;
        bytes += black_box(event.data).len() as u64;
    });
    (events, bytes)
}

/// eventsource-stream 0.2 (under reqwest-eventsource and async-openai):
/// `EventStream` over a stream of `Bytes`.
fn eventsource_stream(case: &Case) -> Counts {
    let (mut events, mut bytes) = (0, 0);
    drain(
        eventsource_stream::EventStream::new(chunk_stream(case)),
        |item| {
            let event = item.expect("eventsource-stream error");
            events += 1;
            bytes += black_box(event.data).len() as u64;
        },
    );
    (events, bytes)
}

/// async-sse 5: `decode` over an `AsyncBufRead` that returns one chunk per read.
fn async_sse(case: &Case) -> Counts {
    let reader = ChunkReader {
        slices: &case.slices,
        pos: 0,
    };
    let (mut events, mut bytes) = (0, 0);
    drain(async_sse::decode(reader), |item| {
        if let async_sse::Event::Message(message) = item.expect("async-sse error") {
            events += 1;
            bytes += black_box(message.data()).len() as u64;
        }
    });
    (events, bytes)
}

// ---------------------------------------------------------------------------
// Baselines

/// Finding every CR and LF: what any decoder must at least do.
fn memchr2_scan(case: &Case) -> Counts {
    let mut breaks = 0;
    let mut len = 0;
    for chunk in &case.slices {
        breaks += memchr::memchr2_iter(b'\n', b'\r', chunk).count() as u64;
        len += chunk.len() as u64;
    }
    (breaks, len)
}

/// Copying the input once, chunk by chunk, into a buffer of its size.
fn memcpy(case: &Case) -> Counts {
    let mut out = case.scratch.borrow_mut();
    let mut pos = 0;
    for chunk in &case.slices {
        out[pos..pos + chunk.len()].copy_from_slice(chunk);
        pos += chunk.len();
    }
    black_box(&mut *out);
    (case.expected.line_breaks, pos as u64)
}

/// Taking each chunk as an owned `Bytes` and dropping it, as a stream of an
/// HTTP body's chunks hands them out: a clone (one atomic increment of the
/// shared reference count) and a drop (one atomic decrement). Every row fed
/// `Bytes` pays this before decoding anything.
fn bytes_refcount(case: &Case) -> Counts {
    let mut len = 0;
    for chunk in &case.chunks {
        let chunk = black_box(chunk.clone());
        len += chunk.len() as u64;
    }
    (case.expected.line_breaks, len)
}

const ROWS: [(&str, Row); 15] = [
    ("sse-codec borrowed", ours_borrowed),
    ("sse-codec borrowed + UTF-8", ours_borrowed_utf8),
    ("sse-codec owned", ours_owned),
    ("sse-codec bytes", ours_bytes),
    ("sse-codec-tokio stream", ours_tokio_stream),
    ("sse-stream", sse_stream),
    ("sse-core", sse_core),
    ("sse-core stream", sse_core_stream),
    ("sse-parse", sse_parse),
    ("sseer", sseer),
    ("eventsource-stream", eventsource_stream),
    ("async-sse", async_sse),
    ("memchr2 scan", memchr2_scan),
    ("memcpy", memcpy),
    ("Bytes clone + drop", bytes_refcount),
];

fn is_baseline(name: &str) -> bool {
    name == "memchr2 scan" || name == "memcpy" || name == "Bytes clone + drop"
}

/// The benchmark filter given on the command line (`cargo bench -- FILTER`),
/// applied to the untimed passes too.
fn filter() -> Option<String> {
    sse_codec_benches::cli_filter()
}

/// Times one pass of `row` over growing prefixes of the input and, if a
/// prefix already takes long, extrapolates (with the growth exponent seen
/// between the last two prefixes) to the whole input.
fn estimate(row: Row, w: &'static Workload, chunking: Chunking, full: u64) -> Option<Duration> {
    let mut size = (full / 64).max(64 * 1024);
    let mut prev: Option<(f64, f64)> = None;
    while size < full {
        let (input, expected) = w.prefix(size as usize);
        let case = Case::new(input, &chunking.lengths(w, input.len()), expected);
        let start = Instant::now();
        black_box(row(&case));
        let t = start.elapsed().as_secs_f64();
        if t > 0.2 {
            let exponent = prev.map_or(1.0, |(ps, pt)| {
                ((t / pt).ln() / (size as f64 / ps).ln()).clamp(1.0, 3.0)
            });
            let estimate = t * (full as f64 / size as f64).powf(exponent);
            return Some(Duration::from_secs_f64(estimate));
        }
        prev = Some((size as f64, t));
        size *= 2;
    }
    None
}

/// `SSE_BENCH_ITERS=N cargo bench ... -- FILTER`: run each selected row N
/// times without criterion (for `perf stat` and `perf record`).
fn iterations() -> Option<u64> {
    std::env::var("SSE_BENCH_ITERS").ok()?.parse().ok()
}

fn bench_decode(c: &mut Criterion) {
    let filter = filter().map(|f| regex::Regex::new(&f).expect("a valid filter"));
    let iters = iterations();
    reset_record(SIDE);
    let selected = |id: &str| filter.as_ref().is_none_or(|f| f.is_match(id));
    let mut allocs = Vec::new();
    for (workload_id, make) in WORKLOADS {
        let any = Chunking::ALL.iter().any(|chunking| {
            ROWS.iter().any(|(name, _)| {
                selected(&format!("decode/{workload_id}/{}/{name}", chunking.name()))
            })
        });
        if !any {
            continue;
        }
        let w: &'static Workload = Box::leak(Box::new(make()));
        for chunking in Chunking::ALL {
            if !chunking.applies_to(w.id) {
                continue;
            }
            let group_name = format!("decode/{}/{}", w.id, chunking.name());
            if !ROWS
                .iter()
                .any(|(name, _)| selected(&format!("{group_name}/{name}")))
            {
                continue;
            }
            let (input, expected) = chunking.input(w);
            let case = Case::new(input, &chunking.lengths(w, input.len()), expected);
            let mut group = c.benchmark_group(&group_name);
            group.throughput(Throughput::Bytes(expected.len));
            group.sample_size(10);
            group.warm_up_time(Duration::from_millis(300));
            group.measurement_time(Duration::from_millis(1500));
            group.sampling_mode(SamplingMode::Flat);
            for (name, row) in ROWS {
                let id = format!("{group_name}/{name}");
                if !selected(&id) {
                    continue;
                }
                let want = if is_baseline(name) {
                    (expected.line_breaks, expected.len)
                } else {
                    (expected.events, expected.data_bytes)
                };
                if let Some(n) = iters {
                    let start = Instant::now();
                    for _ in 0..n {
                        black_box(row(&case));
                    }
                    let (allocations, _) = count_allocations(|| black_box(row(&case)));
                    println!(
                        "{id}: {:?} per pass, {:.3} allocations per event",
                        start.elapsed() / n.max(1) as u32,
                        allocations as f64 / expected.events.max(1) as f64
                    );
                    continue;
                }
                if let Some(t) = estimate(row, w, chunking, expected.len) {
                    if t > BUDGET {
                        println!("{id}: not timed: one pass is estimated at {t:.1?}");
                        record(
                            SIDE,
                            &format!("{group_name}\t{name}\ttoo_slow_s\t{:.1}", t.as_secs_f64()),
                        );
                        continue;
                    }
                }
                let got = row(&case);
                if got != want {
                    println!("{id}: not timed: counted {got:?}, expected {want:?}");
                    record(
                        SIDE,
                        &format!("{group_name}\t{name}\tmismatch\t{got:?} != {want:?}"),
                    );
                    continue;
                }
                let (n, _) = count_allocations(|| black_box(row(&case)));
                let per_event = n as f64 / expected.events.max(1) as f64;
                record_allocations(
                    SIDE,
                    &group_name,
                    name,
                    per_event,
                    expected.events,
                    &mut allocs,
                );
                group.bench_function(name, |b| b.iter(|| black_box(row(&case))));
            }
            group.finish();
        }
    }
    print_allocations(&allocs);
}

criterion_group! {
    name = benches;
    config = Criterion::default().without_plots().nresamples(10_000);
    targets = bench_decode
}
criterion_main!(benches);
