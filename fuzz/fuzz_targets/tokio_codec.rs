//! `sse_codec_tokio::SseCodec` over reads cut at arbitrary points gives
//! exactly the core decoder's items, with a bounded read buffer.
//! See `sse_codec_tests::fuzz_checks::check_tokio_codec`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sse_codec_tests::fuzz_checks::{check_tokio_codec, ChunkedInput};

fuzz_target!(|input: ChunkedInput<'_>| {
    let cuts: Vec<usize> = input.cuts.iter().map(|&c| usize::from(c)).collect();
    check_tokio_codec(input.data, &cuts);
});
