//! The browser benchmark (not a test: it prints MB/s and checks only that
//! every decoder found every event): W1 and W4 decoded in headless Chromium
//! by our wasm build and by npm eventsource-parser, from the same 4 KiB
//! `Uint8Array` chunks, as `fetch` delivers a body.
//!
//! Run with `bash tests-wasm/run-ci.sh bench` (a release build).
//!
//! Every row runs once per round, 15 rounds after a warm-up round, so that
//! a busy machine slows both sides alike (the rows fed chunk by chunk and
//! the rows reading a `ReadableStream` are two groups of rounds); each
//! row's median and best MB/s are printed, and the median of the per-round
//! ratios. Events are read in Rust, or in JavaScript for the reference,
//! their data as text:
//! - `sse-codec Decoder`: each chunk copied into one reused wasm buffer
//!   (`Uint8Array::copy_to`), fed to the borrowed `Decoder`, every event's
//!   type, ID and data checked as UTF-8;
//! - `sse-codec BytesDecoder`: each chunk copied into a new `Bytes`
//!   (`Uint8Array::to_vec`) for `BytesDecoder` (what `EventStream` runs);
//! - `sse-codec EventStream, ReadableStream`: the chunks read from a
//!   `ReadableStream` (a `fetch` body) through its reader's promises;
//! - `eventsource-parser`: a streaming `TextDecoder`, then `createParser`'s `feed`;
//! - `eventsource-parser, ReadableStream`: the same in a reader loop;
//! - `eventsource-parser, TextDecoderStream`: its README's pipeline,
//!   `body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream())`;
//! - `(floor)`: the copy into wasm alone, and the copy plus `memchr2` for
//!   every CR and LF (what any decoder in wasm pays); `(part)`: the
//!   `Decoder` row without its UTF-8 checks (what they cost).
#![cfg(target_arch = "wasm32")]

use bytes::Bytes;
use futures_util::StreamExt;
use js_sys::{Array, Uint8Array};
use sse_codec_benches::{w1_llm_tokens, w4_keepalive};
use sse_codec_tokio::{BytesDecoder, EventStream, OwnedItem};
use sse_codec_wasm_tests::readable_stream_chunks;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::ReadableStream;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/js/bench.js")]
extern "C" {
    #[wasm_bindgen(js_name = loadEventsourceParser)]
    async fn load_eventsource_parser(base: &str);
    #[wasm_bindgen(js_name = chunkStream)]
    fn chunk_stream(chunks: &Array) -> ReadableStream;
    #[wasm_bindgen(js_name = feedEventsourceParser)]
    fn feed_eventsource_parser(chunks: &Array) -> Array;
    #[wasm_bindgen(js_name = readEventsourceParser)]
    async fn read_eventsource_parser(chunks: &Array) -> JsValue;
    #[wasm_bindgen(js_name = pipeEventsourceParser)]
    async fn pipe_eventsource_parser(chunks: &Array) -> JsValue;
}

const CHUNK: usize = 4096;
/// Rounds measured (after a warm-up round).
const ROUNDS: usize = 15;

fn now() -> f64 {
    let performance = js_sys::Reflect::get(&js_sys::global(), &"performance".into()).unwrap();
    let now: js_sys::Function = js_sys::Reflect::get(&performance, &"now".into())
        .unwrap()
        .into();
    now.call0(&performance).unwrap().as_f64().unwrap()
}

/// The workload as 4 KiB `Uint8Array`s, each with its own buffer.
fn chunks(bytes: &[u8]) -> Array {
    bytes
        .chunks(CHUNK)
        .map(|chunk| JsValue::from(Uint8Array::from(chunk)))
        .collect()
}

/// Events and data bytes: the chunks copied into one wasm buffer and
/// decoded by the borrowed `Decoder`, values checked as UTF-8.
fn decode_wasm_borrowed(chunks: &Array) -> (u64, u64) {
    use sse_codec_tokio::sse_codec_core::{Decoder, Item};
    let (mut events, mut data) = (0, 0);
    let mut decoder = Decoder::new();
    let mut buffer = Vec::new();
    for chunk in chunks.iter() {
        let chunk: Uint8Array = chunk.unchecked_into();
        buffer.resize(chunk.length() as usize, 0);
        chunk.copy_to(&mut buffer);
        let mut feed = decoder.feed(&buffer);
        while let Some(item) = feed.next_item() {
            if let Ok(Item::Event(event)) = item {
                let text = event.data_str().expect("UTF-8 data");
                let event_type = std::str::from_utf8(event.event_type()).expect("UTF-8 type");
                let id = std::str::from_utf8(event.id()).expect("UTF-8 id");
                std::hint::black_box((event_type, id));
                events += 1;
                data += text.len() as u64;
            }
        }
    }
    (events, data)
}

/// `decode_wasm_borrowed` without the UTF-8 checks: what they cost.
fn decode_wasm_bytes(chunks: &Array) -> (u64, u64) {
    use sse_codec_tokio::sse_codec_core::{Decoder, Item};
    let (mut events, mut data) = (0, 0);
    let mut decoder = Decoder::new();
    let mut buffer = Vec::new();
    for chunk in chunks.iter() {
        let chunk: Uint8Array = chunk.unchecked_into();
        buffer.resize(chunk.length() as usize, 0);
        chunk.copy_to(&mut buffer);
        let mut feed = decoder.feed(&buffer);
        while let Some(item) = feed.next_item() {
            if let Ok(Item::Event(event)) = item {
                std::hint::black_box((event.event_type(), event.id()));
                events += 1;
                data += std::hint::black_box(event.data()).len() as u64;
            }
        }
    }
    (events, data)
}

/// Events and data bytes: the chunks copied into wasm memory and decoded.
fn decode_wasm(chunks: &Array) -> (u64, u64) {
    let (mut events, mut data) = (0, 0);
    let mut decoder = BytesDecoder::new();
    let mut count = |decoder: &mut BytesDecoder| {
        while let Some(item) = decoder.next_item() {
            if let Ok(OwnedItem::Event(event)) = item {
                events += 1;
                data += event.data().len() as u64;
            }
        }
    };
    for chunk in chunks.iter() {
        let chunk: Uint8Array = chunk.unchecked_into();
        decoder.push(Bytes::from(chunk.to_vec()));
        count(&mut decoder);
    }
    decoder.end_of_stream();
    count(&mut decoder);
    (events, data)
}

async fn decode_wasm_stream(chunks: &Array) -> (u64, u64) {
    let (mut events, mut data) = (0, 0);
    let mut stream = EventStream::new(readable_stream_chunks(chunk_stream(chunks)));
    while let Some(item) = stream.next().await {
        if let Ok(OwnedItem::Event(event)) = item {
            events += 1;
            data += event.data().len() as u64;
        }
    }
    (events, data)
}

fn pair(value: JsValue) -> (u64, u64) {
    let array: Array = value.unchecked_into();
    let get = |i| array.get(i).as_f64().unwrap() as u64;
    (get(0), get(1))
}

/// The decoders compared, in the order of each round.
const ROWS: [&str; 9] = [
    "sse-codec Decoder",
    "sse-codec BytesDecoder",
    "sse-codec EventStream, ReadableStream",
    "eventsource-parser",
    "eventsource-parser, ReadableStream",
    "eventsource-parser, TextDecoderStream",
    "(floor) copy into wasm",
    "(floor) copy into wasm + memchr2 CR/LF",
    "(part) sse-codec Decoder, no UTF-8 check",
];

/// One pass of row `row` over `chunks`: events and data length.
async fn pass(row: usize, chunks: &Array) -> (u64, u64) {
    match row {
        0 => decode_wasm_borrowed(chunks),
        1 => decode_wasm(chunks),
        2 => decode_wasm_stream(chunks).await,
        3 => pair(feed_eventsource_parser(chunks).into()),
        4 => pair(read_eventsource_parser(chunks).await),
        5 => pair(pipe_eventsource_parser(chunks).await),
        6 | 7 => floor(chunks, row == 7),
        _ => decode_wasm_bytes(chunks),
    }
}

/// What any decoder in wasm pays: the copy of each chunk into wasm memory,
/// and with `scan` a `memchr2` search for every CR and LF (their count is
/// returned).
fn floor(chunks: &Array, scan: bool) -> (u64, u64) {
    let mut buffer = Vec::new();
    let mut breaks = 0;
    for chunk in chunks.iter() {
        let chunk: Uint8Array = chunk.unchecked_into();
        buffer.resize(chunk.length() as usize, 0);
        chunk.copy_to(&mut buffer);
        if scan {
            breaks += memchr::memchr2_iter(b'\r', b'\n', &buffer).count() as u64;
        } else {
            breaks += u64::from(std::hint::black_box(buffer[0]));
        }
    }
    (breaks, 0)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[wasm_bindgen_test]
async fn browser_decode_w1_w4() {
    load_eventsource_parser(env!(
        "SSE_WASM_SERVER",
        "run bash tests-wasm/run-ci.sh bench: it starts the server and sets SSE_WASM_SERVER"
    ))
    .await;
    for workload in [w1_llm_tokens(), w4_keepalive()] {
        let (_, expected) = workload.whole();
        let chunks = chunks(&workload.bytes);
        let megabytes = workload.bytes.len() as f64 / 1e6;
        console_log!(
            "{}: {:.2} MB in {} chunks of 4 KiB, {} events; MB/s over {ROUNDS} rounds, each row once per round",
            workload.title,
            megabytes,
            chunks.length(),
            expected.events
        );
        // rates[row][round]; round 0 warms up and is dropped. The rows fed
        // chunk by chunk and the rows reading a ReadableStream are two
        // groups, measured apart (the TextDecoderStream pipeline leaves much
        // garbage for the collector, which would slow the next JS row).
        let mut rates = vec![Vec::new(); ROWS.len()];
        for group in [&[0, 1, 3, 6, 7, 8][..], &[2, 4, 5]] {
            for round in 0..=ROUNDS {
                for &row in group {
                    let start = now();
                    let (events, data) = pass(row, &chunks).await;
                    let elapsed = now() - start;
                    match row {
                        6 => {}
                        7 => assert_eq!(events, expected.line_breaks, "{}", workload.id),
                        _ => assert_eq!(events, expected.events, "{} {}", workload.id, ROWS[row]),
                    }
                    if row < 3 || row == 8 {
                        assert_eq!(data, expected.data_bytes, "{} {}", workload.id, ROWS[row]);
                    }
                    if round > 0 {
                        rates[row].push(megabytes / (elapsed / 1e3));
                    }
                }
            }
        }
        for (name, rates) in ROWS.iter().zip(&rates) {
            let best = rates.iter().copied().fold(0.0, f64::max);
            console_log!(
                "{} {name:<40} median {:>7.1} MB/s, best {best:>7.1}",
                workload.id,
                median(rates.clone())
            );
        }
        // Ratios taken within each round (the same load on both sides),
        // then their median.
        let ratio = |ours: usize, theirs: usize| {
            median(
                rates[ours]
                    .iter()
                    .zip(&rates[theirs])
                    .map(|(a, b)| a / b)
                    .collect(),
            )
        };
        console_log!(
            "{} ratios to eventsource-parser (median of per-round ratios): Decoder {:.2}x, BytesDecoder {:.2}x; \
             from a ReadableStream: EventStream {:.2}x its reader loop, {:.2}x its TextDecoderStream pipeline",
            workload.id,
            ratio(0, 3),
            ratio(1, 3),
            ratio(2, 4),
            ratio(2, 5)
        );
    }
}
