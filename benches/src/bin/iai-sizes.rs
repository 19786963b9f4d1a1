//! Prints the size of every instruction-count input (`benches/benches/iai.rs`),
//! one `case<TAB>bytes` line each, for `benches/iai-report.py`: decoders'
//! input bytes, encoders' output bytes.

use sse_codec_benches::iai::{self, DECODE_CASES, ENCODE_EVENTS};
use sse_codec_benches::llm_tokens;

fn main() {
    for (id, chunking) in DECODE_CASES {
        let (input, _, _) = iai::input(id, chunking);
        println!("{id}_{}\t{}", chunking.name().to_lowercase(), input.len());
    }
    // `data: ` + data + two LF per event.
    let encoded: usize = llm_tokens(ENCODE_EVENTS)
        .iter()
        .map(|data| data.len() + 8)
        .sum();
    println!("w1\t{encoded}");
}
