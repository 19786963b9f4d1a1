//! Structured SSE-like streams, chunked: the decoder against the naive oracle.
//! See `sse_codec_tests::fuzz_checks::check_oracle`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sse_codec_tests::fuzz_checks::{check_oracle, StructuredStream};

fuzz_target!(|input: StructuredStream| check_oracle(&input));
