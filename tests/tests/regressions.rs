//! Inputs the fuzzers (`fuzz/`) found, kept as named tests that run on
//! stable. Each names the target that found it; the raw input is also kept
//! in `fuzz/seeds/<target>/regression-*`.

use sse_codec_tests::{adapter, oracle, Options, Output};

/// Found by `decode_oracle` (`fuzz/seeds/decode_oracle/regression-partial-bom-tail`):
/// a stream that is only the first bytes of a BOM, never terminated, under a
/// maximum line length below their count. The decoder cannot judge those
/// bytes before the stream ends (they may still become a BOM), and at the
/// end an unterminated line is discarded: nothing is reported. The oracle
/// first called the tail a too-long line; it now follows the same rule.
#[test]
fn partial_bom_tail_over_a_tiny_line_limit_reports_nothing() {
    for (input, max_line_length) in [(&b"\xEF"[..], 0), (b"\xEF\xBB", 0), (b"\xEF\xBB", 1)] {
        let opts = Options {
            comments: false,
            max_line_length,
            max_event_size: 1024,
        };
        assert_eq!(oracle::decode(input, &opts), []);
        assert_eq!(
            adapter::decode_chunks(&[input], &opts),
            [],
            "{input:?} with max_line_length {max_line_length}"
        );
    }
    // Once a third byte rules the BOM out, the tail is an over-long line.
    let opts = Options {
        max_line_length: 1,
        ..Options::default()
    };
    assert_eq!(oracle::decode(b"\xEF\xBBx", &opts), [Output::LineTooLong]);
    assert_eq!(
        adapter::decode_chunks(&[b"\xEF\xBBx"], &opts),
        [Output::LineTooLong]
    );
}
