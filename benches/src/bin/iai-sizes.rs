//! Prints the size of every instruction-count input (`benches/benches/iai.rs`),
//! one `case<TAB>bytes` line each, for `benches/iai-report.py`: decoders'
//! input bytes, encoders' output bytes.

use sse_codec_benches::iai::{self, DECODE_CASES, ENCODE_EVENTS};
use sse_codec_benches::{llm_tokens, multiline_lines};

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
    // `event: update`, `id: N`, then `data: ` + a line + LF for each line,
    // and the empty line.
    let encoded: usize = (0..ENCODE_EVENTS)
        .map(|n| {
            let lines = multiline_lines(n);
            "event: update\n".len()
                + format!("id: {n}\n").len()
                + lines.iter().map(|line| 6 + line.len() + 1).sum::<usize>()
                + 1
        })
        .sum();
    println!("w3\t{encoded}");
}
