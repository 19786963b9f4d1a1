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

// gungraun's macros generate undocumented modules and items.
#![allow(missing_docs)]

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use gungraun::prelude::*;
use sse_codec_benches::iai::{self, ENCODE_EVENTS};
use sse_codec_benches::{llm_tokens, Chunking, Expected};
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

/// Setup (not counted): the data of the first W1 events.
fn w1_data() -> Vec<String> {
    llm_tokens(ENCODE_EVENTS)
}

fn data_ref(data: &str) -> EventRef<'_> {
    EventRef {
        event_type: None,
        id: None,
        data: Some(data),
        retry: None,
    }
}

// `EventRef::encode_to_vec` into one reused buffer, per W1 event.
#[library_benchmark]
#[bench::w1(w1_data())]
fn encode_to_vec(events: Vec<String>) -> (Vec<String>, u64) {
    let mut buf = Vec::new();
    let mut bytes = 0;
    for data in &events {
        buf.clear();
        data_ref(data).encode_to_vec(&mut buf).expect("valid event");
        bytes += black_box(&buf).len() as u64;
    }
    (events, bytes)
}

// `Frame::event`: a fresh `Bytes` per W1 event.
#[library_benchmark]
#[bench::w1(w1_data())]
fn frame_event(events: Vec<String>) -> (Vec<String>, u64) {
    let mut bytes = 0;
    for data in &events {
        let frame = Frame::event(&data_ref(data)).expect("valid event");
        bytes += black_box(frame).as_bytes().len() as u64;
    }
    (events, bytes)
}

library_benchmark_group!(
    name = decode,
    benchmarks = [borrowed, bytes_decoder, peer_sse_core]
);

library_benchmark_group!(name = encode, benchmarks = [encode_to_vec, frame_event]);

main!(library_benchmark_groups = decode, encode);
