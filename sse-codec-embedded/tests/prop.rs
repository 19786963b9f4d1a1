//! Property test: `SseReader` over random SSE-like streams read in random
//! sizes gives the items of the core's `Decoder` fed the whole stream.
//!
//! The number of cases is taken from the `SSE_PROPTEST_CASES` environment
//! variable when set (CI sets 10000), else 2000.

use std::convert::Infallible;

use proptest::prelude::*;
use sse_codec_core::{Builder, Item};
use sse_codec_embedded::{Error, Memory, SseReader};

/// Lines of up to 47 bytes; value buffers of 48 bytes, so that an event
/// type or ID never fills its buffer (the host's buffers never fill) and
/// too much data is `EventTooLarge` on both sides.
const INPUT: usize = 48;
const DATA: usize = 64;
const FIELD: usize = 48;

fn config() -> ProptestConfig {
    let cases = std::env::var("SSE_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(2000);
    ProptestConfig::with_cases(cases)
}

/// Field names, separators, line ends and values, in any order.
fn stream() -> impl Strategy<Value = Vec<u8>> {
    let token = prop::sample::select(vec![
        &b"data:"[..],
        b"data: ",
        b"event: ",
        b"id: ",
        b"id:\0",
        b"retry: ",
        b":",
        b": c",
        b" ",
        b"x",
        b"123",
        b"\n",
        b"\n",
        b"\r",
        b"\r\n",
        b"\r\n",
        "é".as_bytes(),
        b"\xEF\xBB\xBF",
        b"\xFF",
        b"0123456789abcdef",
    ]);
    prop::collection::vec(token, 0..80).prop_map(|tokens| tokens.concat())
}

fn show(item: Result<Item<'_>, sse_codec_core::Error>) -> String {
    format!("{item:?}")
}

fn builder() -> Builder {
    Builder::new().comments(true).max_event_size(DATA)
}

struct Chunked<'a> {
    rest: &'a [u8],
    sizes: &'a [usize],
    reads: usize,
}

impl embedded_io::ErrorType for Chunked<'_> {
    type Error = Infallible;
}

impl embedded_io::Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        let size = self.sizes[self.reads % self.sizes.len()];
        self.reads += 1;
        let n = size.min(buf.len()).min(self.rest.len());
        buf[..n].copy_from_slice(&self.rest[..n]);
        self.rest = &self.rest[n..];
        Ok(n)
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn reads_of_any_sizes_give_the_items_of_the_whole_stream(
        stream in stream(),
        sizes in prop::collection::vec(1..60usize, 1..8),
    ) {
        let mut decoder = builder().max_line_length(INPUT - 1).build();
        let mut expected = Vec::new();
        let mut feed = decoder.feed(&stream);
        while let Some(item) = feed.next_item() {
            expected.push(show(item));
        }
        drop(feed);
        decoder.end_of_stream();

        let mut memory = Memory::<INPUT, DATA, FIELD>::new();
        let source = Chunked { rest: &stream, sizes: &sizes, reads: 0 };
        let mut reader = SseReader::with_builder(source, builder(), &mut memory);
        let mut seen = Vec::new();
        loop {
            match reader.next() {
                Ok(Some(item)) => seen.push(show(Ok(item))),
                Ok(None) => break,
                Err(Error::Decode(error)) => seen.push(show(Err(error))),
                Err(other) => panic!("{other:?}"),
            }
        }
        prop_assert_eq!(seen, expected);
        prop_assert_eq!(
            String::from_utf8_lossy(reader.last_event_id()),
            decoder.last_event_id()
        );
        prop_assert_eq!(reader.reconnection_time(), decoder.reconnection_time());
    }
}
