//! Instruction counts (gungraun, under Valgrind's Callgrind) of the hot
//! paths: what CI compares with the baseline committed in
//! `benches/gungraun/`, failing on a regression of more than 5% (see
//! `benches/iai-ci.sh`). Instruction counts do not depend on the load of
//! the machine, so they hold where wall-clock times do not.
//!
//! The inputs are prefixes of the criterion workloads (about 128 KiB; W2:
//! two 64 KiB events), in 4 KiB chunks, 7-byte chunks, one chunk (W2) and
//! one chunk per event (per block for W4, as a live server flushes), built by the setup functions, whose instructions are
//! not counted; `sse_codec_benches::iai` makes them. Each decoder case runs
//! sse-codec's borrowed API and `BytesDecoder`, and sse-core (the peer) on
//! the same chunks, so that instructions per byte compare like for like.
//! `python3 benches/iai-report.py` prints instructions per byte.
//!
//! The encoder cases encode the first 1,000 events of W1 and of W3 with
//! `EventRef::encode_to_vec` into one reused buffer, with `Frame::event`,
//! with `encode_to_vec` into a new `Vec` turned into `Bytes`, and with the
//! peer, sse-stream's `Sse::encode`; and copy the encoded events into a new
//! `Bytes` each (the cost of a fresh `Bytes` without any encoding).

// gungraun's macros generate undocumented modules and items.
#![allow(missing_docs)]

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use gungraun::prelude::*;
use sse_codec_benches::iai::{self, ENCODE_EVENTS};
use sse_codec_benches::{llm_tokens, multiline_lines, Chunking, Expected};
use sse_codec_core::{EventRef, Frame};

/// One input cut into chunks, as slices of one buffer and as `Bytes` cut off
/// one shared allocation (as hyper hands them out).
struct Case {
    input: Vec<u8>,
    lengths: Vec<usize>,
    chunks: Vec<Bytes>,
    expected: Expected,
}

impl Case {
    /// The chunks as slices of the input.
    fn slices(&self) -> impl Iterator<Item = &[u8]> {
        let mut pos = 0;
        self.lengths.iter().map(move |&len| {
            let chunk = &self.input[pos..pos + len];
            pos += len;
            chunk
        })
    }

    fn check(&self, counts: (u64, u64)) {
        assert_eq!(
            counts,
            (self.expected.events, self.expected.data_bytes),
            "events and data bytes"
        );
    }
}

/// Setup (not counted): the prefix of workload `id`, cut as `chunking` says.
fn case(id: &str, chunking: Chunking) -> Case {
    let (input, lengths, expected) = iai::input(id, chunking);
    let mut shared = BytesMut::from(&input[..]);
    let chunks = lengths
        .iter()
        .map(|&len| shared.split_to(len).freeze())
        .collect();
    Case {
        input,
        lengths,
        chunks,
        expected,
    }
}

// `Decoder::feed` + `Feed::next_item`: borrowed events.
#[library_benchmark]
#[bench::w1_4kib(args = ("w1", Chunking::K4), setup = case)]
#[bench::w1_7b(args = ("w1", Chunking::B7), setup = case)]
#[bench::w2_whole(args = ("w2", Chunking::Whole), setup = case)]
#[bench::w2_4kib(args = ("w2", Chunking::K4), setup = case)]
#[bench::w3_4kib(args = ("w3", Chunking::K4), setup = case)]
#[bench::w3_7b(args = ("w3", Chunking::B7), setup = case)]
#[bench::w4_4kib(args = ("w4", Chunking::K4), setup = case)]
#[bench::w4_7b(args = ("w4", Chunking::B7), setup = case)]
#[bench::w1_event(args = ("w1", Chunking::PerEvent), setup = case)]
#[bench::w3_event(args = ("w3", Chunking::PerEvent), setup = case)]
#[bench::w4_event(args = ("w4", Chunking::PerEvent), setup = case)]
fn borrowed(case: Case) -> Case {
    use sse_codec_core::{Decoder, Item};
    let mut decoder = Decoder::new();
    let (mut events, mut bytes) = (0, 0);
    for chunk in case.slices() {
        let mut feed = decoder.feed(chunk);
        while let Some(item) = feed.next_item() {
            if let Ok(Item::Event(event)) = item {
                events += 1;
                bytes += black_box(event.data()).len() as u64;
            }
        }
    }
    case.check((events, bytes));
    case
}

// `BytesDecoder::feed`: owned, UTF-8-checked events sharing the input.
#[library_benchmark]
#[bench::w1_4kib(args = ("w1", Chunking::K4), setup = case)]
#[bench::w1_7b(args = ("w1", Chunking::B7), setup = case)]
#[bench::w2_whole(args = ("w2", Chunking::Whole), setup = case)]
#[bench::w2_4kib(args = ("w2", Chunking::K4), setup = case)]
#[bench::w3_4kib(args = ("w3", Chunking::K4), setup = case)]
#[bench::w3_7b(args = ("w3", Chunking::B7), setup = case)]
#[bench::w4_4kib(args = ("w4", Chunking::K4), setup = case)]
#[bench::w4_7b(args = ("w4", Chunking::B7), setup = case)]
#[bench::w1_event(args = ("w1", Chunking::PerEvent), setup = case)]
#[bench::w3_event(args = ("w3", Chunking::PerEvent), setup = case)]
#[bench::w4_event(args = ("w4", Chunking::PerEvent), setup = case)]
fn bytes_decoder(case: Case) -> Case {
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
    case.check((events, bytes));
    case
}

// sse-core 0.2 (the peer): `SseDecoder::next(&mut &[u8])`.
#[library_benchmark]
#[bench::w1_4kib(args = ("w1", Chunking::K4), setup = case)]
#[bench::w1_7b(args = ("w1", Chunking::B7), setup = case)]
#[bench::w2_whole(args = ("w2", Chunking::Whole), setup = case)]
#[bench::w2_4kib(args = ("w2", Chunking::K4), setup = case)]
#[bench::w3_4kib(args = ("w3", Chunking::K4), setup = case)]
#[bench::w3_7b(args = ("w3", Chunking::B7), setup = case)]
#[bench::w4_4kib(args = ("w4", Chunking::K4), setup = case)]
#[bench::w4_7b(args = ("w4", Chunking::B7), setup = case)]
#[bench::w1_event(args = ("w1", Chunking::PerEvent), setup = case)]
#[bench::w3_event(args = ("w3", Chunking::PerEvent), setup = case)]
#[bench::w4_event(args = ("w4", Chunking::PerEvent), setup = case)]
fn peer_sse_core(case: Case) -> Case {
    use sse_core::{SseDecoder, SseEvent};
    let mut decoder = SseDecoder::new();
    let (mut events, mut bytes) = (0, 0);
    for chunk in case.slices() {
        let mut buf: &[u8] = chunk;
        while let Some(event) = decoder.next(&mut buf) {
            if let SseEvent::Message(message) = event.expect("sse-core error") {
                events += 1;
                bytes += black_box(message.data).len() as u64;
            }
        }
    }
    case.check((events, bytes));
    case
}

/// One event to encode, owning its fields.
struct Ev {
    event_type: Option<String>,
    id: Option<String>,
    data: String,
}

impl Ev {
    fn as_ref(&self) -> EventRef<'_> {
        EventRef {
            event_type: self.event_type.as_deref(),
            id: self.id.as_deref(),
            data: Some(&self.data),
            retry: None,
        }
    }
}

/// Setup (not counted): the first W1 events (data only).
fn w1_events() -> Vec<Ev> {
    llm_tokens(ENCODE_EVENTS)
        .into_iter()
        .map(|data| Ev {
            event_type: None,
            id: None,
            data,
        })
        .collect()
}

/// Setup (not counted): the first W3 events (`event`, `id`, ten data lines).
fn w3_events() -> Vec<Ev> {
    (0..ENCODE_EVENTS)
        .map(|n| Ev {
            event_type: Some("update".into()),
            id: Some(n.to_string()),
            data: multiline_lines(n).join("\n"),
        })
        .collect()
}

// `EventRef::encode_to_vec` into one reused buffer, per event.
#[library_benchmark]
#[bench::w1(w1_events())]
#[bench::w3(w3_events())]
fn encode_to_vec(events: Vec<Ev>) -> (Vec<Ev>, u64) {
    let mut buf = Vec::new();
    let mut bytes = 0;
    for e in &events {
        buf.clear();
        e.as_ref().encode_to_vec(&mut buf).expect("valid event");
        bytes += black_box(&buf).len() as u64;
    }
    (events, bytes)
}

// `Frame::event`: a fresh `Bytes` per event.
#[library_benchmark]
#[bench::w1(w1_events())]
#[bench::w3(w3_events())]
fn frame_event(events: Vec<Ev>) -> (Vec<Ev>, u64) {
    let mut bytes = 0;
    for e in &events {
        let frame = Frame::event(&e.as_ref()).expect("valid event");
        bytes += black_box(frame).as_bytes().len() as u64;
    }
    (events, bytes)
}

/// Setup (not counted): the events, encoded.
fn encoded(events: Vec<Ev>) -> Vec<Vec<u8>> {
    events
        .iter()
        .map(|e| {
            let mut out = Vec::new();
            e.as_ref().encode_to_vec(&mut out).expect("valid event");
            out
        })
        .collect()
}

// Each encoded event copied into a new `Vec` of its size, turned into
// `Bytes`: what any encoder that returns a fresh `Bytes` spends besides
// encoding (one allocation, one copy, the `Bytes`).
#[library_benchmark]
#[bench::w1(encoded(w1_events()))]
#[bench::w3(encoded(w3_events()))]
fn memcpy_to_bytes(encoded: Vec<Vec<u8>>) -> (Vec<Vec<u8>>, u64) {
    let mut bytes = 0;
    for e in &encoded {
        bytes += black_box(Bytes::from(e.to_vec())).len() as u64;
    }
    (encoded, bytes)
}

// The peer: sse-stream 0.3's `Sse::encode`, a fresh `Bytes` per event (as
// the criterion row: its `Sse` owns its fields, so they are copied in).
#[library_benchmark]
#[bench::w1(w1_events())]
#[bench::w3(w3_events())]
fn peer_sse_stream(events: Vec<Ev>) -> (Vec<Ev>, u64) {
    let mut bytes = 0;
    for e in &events {
        let mut sse = sse_stream::Sse::default().data(e.data.as_str());
        if let Some(t) = &e.event_type {
            sse = sse.event(t.as_str());
        }
        if let Some(id) = &e.id {
            sse = sse.id(id.as_str());
        }
        bytes += black_box(sse.encode().expect("valid event")).len() as u64;
    }
    (events, bytes)
}

library_benchmark_group!(
    name = decode,
    benchmarks = [borrowed, bytes_decoder, peer_sse_core]
);

library_benchmark_group!(
    name = encode,
    benchmarks = [encode_to_vec, frame_event, memcpy_to_bytes, peer_sse_stream]
);

main!(library_benchmark_groups = decode, encode);
