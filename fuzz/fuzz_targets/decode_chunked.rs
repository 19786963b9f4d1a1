//! The same bytes cut at arbitrary points decode exactly like one chunk.
//! See `sse_codec_tests::fuzz_checks::check_chunked`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sse_codec_tests::fuzz_checks::{check_chunked, ChunkedInput};

fuzz_target!(|input: ChunkedInput<'_>| {
    let cuts: Vec<usize> = input.cuts.iter().map(|&c| usize::from(c)).collect();
    check_chunked(input.data, &cuts);
});
