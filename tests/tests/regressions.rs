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

/// Found by `tokio_codec` (`fuzz/seeds/tokio_codec/regression-bom-then-long-line-over-reads`):
/// `SseCodec` keeps an unterminated line in its read buffer until the buffer
/// alone is over the line limit, then hands it to the decoder. When a BOM
/// made the buffer look longer than the line (the decoder drops the BOM),
/// the rest of the line waited in the buffer again, measured from zero, and
/// the stream ended before it was judged: the codec reported nothing where
/// the decoder reports `LineTooLong`. The codec now counts the bytes of the
/// line it already handed over, and hands the decoder what is left at the
/// end of input before discarding it.
#[test]
fn codec_judges_a_long_line_split_after_a_bom_like_the_decoder() {
    use sse_codec_tests::fuzz_checks::check_tokio_codec;
    // The first byte (0xEF) gives the fuzz checks a 21-byte line limit.
    let mut data = b"\xEF\xBB\xBFdata: ".to_vec();
    data.extend_from_slice(&[b'a'; 14]); // 23 bytes with the BOM, a 20-byte line
    let first = data.len();
    data.extend_from_slice(&[b'a'; 10]); // now a 30-byte line, never ended
    check_tokio_codec(&data, &[first]);
    // The same stream with the line ended later, and the reads the fuzzer cut.
    let mut ended = data.clone();
    ended.extend_from_slice(b"\n\ndata: ok\n\n");
    check_tokio_codec(&ended, &[first, first + 3, ended.len() - 5]);
    let fuzzed = b"\xEF\xBB\xBF\xEF\xBB\xBFdata:\x00\xEF\xBB\xBF\xEF\xBB\xBFda\x00\xEF\xBB\xBF\
        \xEF\xBB\xBFdata:\x00\xEF\xBB\xBF\xEF\xBB\xBFda";
    check_tokio_codec(fuzzed, &[1, 2, 22, 36]);
}

/// Found by `decode_oracle`
/// (`fuzz/seeds/decode_oracle/regression-one-item-per-feed-over-budget`): a
/// chunk larger than the unread-input budget (256 KiB), read one item per
/// feed (`decoder.feed(next).next()`, then empty feeds). Dropping the first
/// feed left more unread input than the budget, and the decoder dropped its
/// events as if the caller had piled up input. The rest of one chunk is now
/// always kept; the budget bounds only what piles up across feeds.
#[test]
fn one_item_per_feed_of_a_chunk_over_the_unread_budget_loses_nothing() {
    let opts = Options::default();
    let input = "id: 7\ndata: 0123456789abcdef\n\n".repeat(20_000); // 620 KB
    let expected = oracle::decode(input.as_bytes(), &opts);
    assert_eq!(expected.len(), 20_000);
    assert_eq!(
        adapter::decode_one_at_a_time(&[input.as_bytes()], &opts),
        expected
    );
    assert_eq!(adapter::decode_chunks(&[input.as_bytes()], &opts), expected);
}
