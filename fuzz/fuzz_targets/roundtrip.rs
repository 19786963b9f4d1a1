//! An arbitrary event, encoded then decoded under arbitrary chunking, comes
//! back the same, or the encoder refuses it for a reason the spec gives.
//! See `sse_codec_tests::fuzz_checks::check_roundtrip`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sse_codec_tests::fuzz_checks::{check_roundtrip_input, RoundtripInput};

fuzz_target!(|input: RoundtripInput| check_roundtrip_input(&input));
