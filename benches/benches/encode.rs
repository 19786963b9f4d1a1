//! Encoder benchmarks: sse-codec (into a reused buffer, and into a fresh
//! `Bytes` per event with `Frame::event`) against sse-stream's encoder, axum's `Event` through
//! its public response body, a naive `format!`, a `memcpy` of the
//! encoded output into a reused buffer (the bound for any encoder) and into
//! a new `Bytes` per event (the bound for any encoder that returns one).
//!
//! Every row is first run once, untimed, and checked: it must produce the
//! expected number of events and output bytes. Then it is run once more
//! under a counting global allocator, for its allocations per event. Side
//! results go to `<target>/criterion/sse-encode.tsv`.

use std::convert::Infallible;
use std::hint::black_box;
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use futures_core::Stream;
use sse_codec_benches::{
    big_lines, cli_filter, count_allocations, llm_tokens, multiline_lines, print_allocations,
    record, record_allocations, reset_record, CountingAllocator,
};
use sse_codec_core::{EventRef, Frame};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

const SIDE: &str = "sse-encode.tsv";

/// One event to encode; `'static` so that axum's `Sse` (which needs a
/// `'static` stream) can borrow it.
#[derive(Clone, Copy)]
struct Ev {
    event_type: Option<&'static str>,
    id: Option<&'static str>,
    data: &'static str,
}

impl Ev {
    fn as_ref(&self) -> EventRef<'static> {
        EventRef {
            event_type: self.event_type,
            id: self.id,
            data: Some(self.data),
            retry: None,
        }
    }
}

struct Case {
    id: &'static str,
    events: &'static [Ev],
    /// Each event encoded (by sse-codec, checked against the others by length).
    encoded: Vec<Vec<u8>>,
    total: u64,
}

fn leak(s: String) -> &'static str {
    String::leak(s)
}

fn case(id: &'static str, events: Vec<Ev>) -> Case {
    let events: &'static [Ev] = Vec::leak(events);
    let encoded: Vec<Vec<u8>> = events
        .iter()
        .map(|e| {
            let mut out = Vec::new();
            e.as_ref().encode_to_vec(&mut out).expect("valid event");
            out
        })
        .collect();
    let total = encoded.iter().map(|e| e.len() as u64).sum();
    Case {
        id,
        events,
        encoded,
        total,
    }
}

fn cases() -> Vec<Case> {
    let w1 = llm_tokens(100_000)
        .into_iter()
        .map(|data| Ev {
            event_type: None,
            id: None,
            data: leak(data),
        })
        .collect();
    let w2 = big_lines(1000)
        .into_iter()
        .map(|data| Ev {
            event_type: None,
            id: None,
            data: leak(data),
        })
        .collect();
    let w3 = (0..50_000)
        .map(|n| Ev {
            event_type: Some("update"),
            id: Some(leak(n.to_string())),
            data: leak(multiline_lines(n).join("\n")),
        })
        .collect();
    vec![case("w1", w1), case("w2", w2), case("w3", w3)]
}

/// Events and output bytes.
type Counts = (u64, u64);
type Row = fn(&Case) -> Counts;

/// sse-codec: `EventRef::encode_to_vec` into one buffer, reused (cleared) for
/// every event, as a server writing each event to its socket does.
fn ours_vec(case: &Case) -> Counts {
    let mut buf = Vec::new();
    let mut bytes = 0;
    for e in case.events {
        buf.clear();
        e.as_ref().encode_to_vec(&mut buf).expect("valid event");
        bytes += black_box(&buf).len() as u64;
    }
    (case.events.len() as u64, bytes)
}

/// sse-codec: `Frame::event`, a fresh `Bytes` per event (to share among
/// subscribers).
fn ours_frame(case: &Case) -> Counts {
    let mut bytes = 0;
    for e in case.events {
        let frame = Frame::event(&e.as_ref()).expect("valid event");
        bytes += black_box(frame).as_bytes().len() as u64;
    }
    (case.events.len() as u64, bytes)
}

/// sse-stream 0.3: build an `Sse` (owned `String` fields) and `encode` it.
fn sse_stream(case: &Case) -> Counts {
    let mut bytes = 0;
    for e in case.events {
        let mut sse = sse_stream::Sse::default().data(e.data);
        if let Some(t) = e.event_type {
            sse = sse.event(t);
        }
        if let Some(id) = e.id {
            sse = sse.id(id);
        }
        bytes += black_box(sse.encode().expect("valid event")).len() as u64;
    }
    (case.events.len() as u64, bytes)
}

/// A stream over an iterator, always ready.
struct IterStream<I>(I);

impl<I: Iterator + Unpin> Stream for IterStream<I> {
    type Item = I::Item;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<I::Item>> {
        Poll::Ready(self.0.next())
    }
}

fn axum_event(e: &Ev) -> Result<axum::response::sse::Event, Infallible> {
    let mut event = axum::response::sse::Event::default();
    if let Some(t) = e.event_type {
        event = event.event(t);
    }
    if let Some(id) = e.id {
        event = event.id(id);
    }
    Ok(event.data(e.data))
}

/// axum 0.8: a stream of `Event`s in an `Sse` response; the response body's
/// frames are what goes on the wire.
fn axum(case: &Case) -> Counts {
    use axum::response::IntoResponse;
    use http_body::Body;
    let events = case.events.iter().map(axum_event as fn(&Ev) -> _);
    let response = axum::response::sse::Sse::new(IterStream(events)).into_response();
    let mut body = pin!(response.into_body());
    let mut cx = Context::from_waker(Waker::noop());
    let (mut frames, mut bytes) = (0, 0);
    loop {
        match body.as_mut().poll_frame(&mut cx) {
            Poll::Ready(Some(frame)) => {
                let frame = frame.expect("axum body error");
                if let Some(data) = frame.data_ref() {
                    frames += 1;
                    bytes += black_box(data).len() as u64;
                }
            }
            Poll::Ready(None) => break,
            Poll::Pending => unreachable!("every event is ready"),
        }
    }
    (frames, bytes)
}

/// A naive `format!` per event (it does not split lines on CR, nor check
/// the event type and ID).
fn naive_format(case: &Case) -> Counts {
    let mut bytes = 0;
    for e in case.events {
        let s = match (e.event_type, e.id) {
            (Some(t), Some(id)) => format!(
                "event: {t}\nid: {id}\ndata: {}\n\n",
                e.data.replace('\n', "\ndata: ")
            ),
            _ => format!("data: {}\n\n", e.data),
        };
        bytes += black_box(s).len() as u64;
    }
    (case.events.len() as u64, bytes)
}

/// Copying each event's encoded bytes into a reused buffer: the bound.
fn memcpy(case: &Case) -> Counts {
    let mut buf = Vec::new();
    let mut bytes = 0;
    for e in &case.encoded {
        buf.clear();
        buf.extend_from_slice(e);
        bytes += black_box(&buf).len() as u64;
    }
    (case.encoded.len() as u64, bytes)
}

/// Copying each event's encoded bytes into a new `Vec` of exactly its size,
/// turned into `Bytes`: the bound for any encoder that returns a fresh
/// `Bytes` per event (one allocation and one copy, no encoding).
fn memcpy_to_bytes(case: &Case) -> Counts {
    let mut bytes = 0;
    for e in &case.encoded {
        let frame = bytes::Bytes::from(e.to_vec());
        bytes += black_box(frame).len() as u64;
    }
    (case.encoded.len() as u64, bytes)
}

const ROWS: [(&str, Row); 7] = [
    ("sse-codec reused Vec", ours_vec),
    ("sse-codec Frame (Bytes)", ours_frame),
    ("sse-stream", sse_stream),
    ("axum", axum),
    ("naive format!", naive_format),
    ("memcpy", memcpy),
    ("memcpy into new Bytes", memcpy_to_bytes),
];

fn bench_encode(c: &mut Criterion) {
    let filter = cli_filter().map(|f| regex::Regex::new(&f).expect("a valid filter"));
    reset_record(SIDE);
    let mut allocs = Vec::new();
    for case in cases() {
        let group_name = format!("encode/{}", case.id);
        let mut group = c.benchmark_group(&group_name);
        group.throughput(Throughput::Bytes(case.total));
        group.sample_size(10);
        group.warm_up_time(Duration::from_millis(300));
        group.measurement_time(Duration::from_millis(1500));
        group.sampling_mode(SamplingMode::Flat);
        let events = case.events.len() as u64;
        for (name, row) in ROWS {
            let id = format!("{group_name}/{name}");
            if filter.as_ref().is_some_and(|f| !f.is_match(&id)) {
                continue;
            }
            let got = row(&case);
            if got != (events, case.total) {
                println!(
                    "{id}: not timed: produced {got:?}, expected {:?}",
                    (events, case.total)
                );
                record(
                    SIDE,
                    &format!(
                        "{group_name}\t{name}\tmismatch\t{got:?} != {:?}",
                        (events, case.total)
                    ),
                );
                continue;
            }
            let (n, _) = count_allocations(|| black_box(row(&case)));
            let per_event = n as f64 / events as f64;
            record_allocations(SIDE, &group_name, name, per_event, events, &mut allocs);
            group.bench_function(name, |b| b.iter(|| black_box(row(&case))));
        }
        group.finish();
    }
    print_allocations(&allocs);
}

criterion_group! {
    name = benches;
    config = Criterion::default().without_plots().nresamples(10_000);
    targets = bench_encode
}
criterion_main!(benches);
