//! Raw bytes through every decoder: no panic, no endless loop, bounded memory.
//! See `sse_codec_tests::fuzz_checks::check_decode`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sse_codec_tests::fuzz_checks::{check_decode, CountingAllocator};

/// Lets the check measure what the decoder keeps on the heap.
#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

fuzz_target!(|data: &[u8]| check_decode(data));
