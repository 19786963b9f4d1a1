//! Property tests: the real decoder (through the adapter) against the
//! reference oracle, on random SSE-like streams, random options and random
//! chunkings.
//!
//! The number of cases is taken from the `SSE_PROPTEST_CASES` environment
//! variable when set (CI sets 10000), else 2000.

use proptest::prelude::*;
use proptest::sample::Index;
use sse_codec_tests::{adapter, oracle, Options, Output};

/// Cases per property: `SSE_PROPTEST_CASES`, or 2000.
fn config() -> ProptestConfig {
    let cases = std::env::var("SSE_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(2000);
    ProptestConfig::with_cases(cases)
}

// ---------------------------------------------------------------------------
// The grammar of random streams
// ---------------------------------------------------------------------------

/// Small pieces that values are made of: ASCII, space, colon, NUL, an invalid
/// byte, a truncated sequence, multi-byte UTF-8, a BOM, digits and signs.
fn value_piece() -> impl Strategy<Value = &'static [u8]> {
    prop::sample::select(vec![
        &b"a"[..],
        b"b",
        b"xyz",
        b" ",
        b"  ",
        b":",
        b": ",
        b"\t",
        b"\0",
        b"\xFF",
        b"\xE2\x82",
        "é".as_bytes(),
        "\u{2028}".as_bytes(),
        "\u{FEFF}".as_bytes(),
        "😀".as_bytes(),
        b"0",
        b"1",
        b"7",
        b"9",
        b"+",
        b"-",
        b".",
    ])
}

/// A field value: a few pieces, or (often) something digit-like for `retry`.
fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::collection::vec(value_piece(), 0..6).prop_map(|p| p.concat()),
        2 => "[0-9]{1,6}".prop_map(String::into_bytes),
        1 => "[0-9]{18,24}".prop_map(String::into_bytes),
        1 => prop::sample::select(vec![
            "18446744073709551615",
            "18446744073709551616",
            "00042",
            " 5",
            "5 ",
            "+5",
            "-1",
            "1.5",
            "10s",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
    ]
}

/// A field name: mostly the four known ones, sometimes unknown, mis-cased,
/// padded, or starting with a BOM.
fn name() -> impl Strategy<Value = &'static [u8]> {
    prop_oneof![
        6 => Just(&b"data"[..]),
        2 => Just(&b"event"[..]),
        2 => Just(&b"id"[..]),
        2 => Just(&b"retry"[..]),
        2 => prop::sample::select(vec![
            &b"Data"[..],
            b"DATA",
            b"data ",
            b" data",
            b"ID",
            b"Retry",
            b"Event",
            b"foo",
            b"dat",
            "\u{FEFF}data".as_bytes(),
            b"\xFFid",
        ]),
    ]
}

/// What separates name and value: nothing (no colon, value dropped), a bare
/// colon, colon and space, or colon and two spaces.
fn separator() -> impl Strategy<Value = &'static [u8]> {
    prop::sample::select(vec![&b""[..], b":", b": ", b":  "])
}

/// One line, without its terminator.
fn line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        // Empty lines are frequent: they dispatch.
        5 => Just(Vec::new()),
        10 => (name(), separator(), value()).prop_map(|(n, s, v)| {
            if s.is_empty() {
                n.to_vec()
            } else {
                [n, s, &v[..]].concat()
            }
        }),
        2 => value().prop_map(|v| [&b":"[..], &v[..]].concat()),
        1 => value().prop_map(|v| ["\u{FEFF}".as_bytes(), &v[..]].concat()),
        1 => value(),
    ]
}

fn line_ending() -> impl Strategy<Value = &'static [u8]> {
    prop::sample::select(vec![&b"\n"[..], b"\r", b"\r\n"])
}

/// A whole stream: maybe a leading BOM, lines with per-line endings, and
/// sometimes no terminator after the last line.
fn stream() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::bool::weighted(0.2),
        prop::collection::vec((line(), line_ending()), 0..30),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(bom, lines, drop_last_ending)| {
            let mut out = Vec::new();
            if bom {
                out.extend_from_slice(b"\xEF\xBB\xBF");
            }
            let count = lines.len();
            for (i, (text, ending)) in lines.into_iter().enumerate() {
                out.extend_from_slice(&text);
                if !(drop_last_ending && i + 1 == count) {
                    out.extend_from_slice(ending);
                }
            }
            out
        })
}

/// A limit: usually none, sometimes small.
fn limit() -> impl Strategy<Value = usize> {
    prop_oneof![3 => Just(usize::MAX), 1 => 0..40usize]
}

fn options() -> impl Strategy<Value = Options> {
    (any::<bool>(), limit(), limit()).prop_map(|(comments, max_line_length, max_event_size)| {
        Options {
            comments,
            max_line_length,
            max_event_size,
        }
    })
}

/// Split points, as indices to be scaled to the input length; duplicates
/// give empty chunks.
fn split_points() -> impl Strategy<Value = Vec<Index>> {
    prop::collection::vec(any::<Index>(), 0..8)
}

/// Cuts `input` at the given points (scaled to `0..=len`, sorted).
fn chunk<'a>(input: &'a [u8], points: &[Index]) -> (Vec<&'a [u8]>, Vec<usize>) {
    let mut cuts: Vec<usize> = points.iter().map(|p| p.index(input.len() + 1)).collect();
    cuts.sort_unstable();
    let mut chunks = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for &cut in &cuts {
        chunks.push(&input[start..cut]);
        start = cut;
    }
    chunks.push(&input[start..]);
    (chunks, cuts)
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// The decoder, fed any chunking, reports exactly what the oracle reports
    /// for the whole input.
    #[test]
    fn decoder_matches_oracle_for_any_chunking(
        input in stream(),
        opts in options(),
        points in split_points(),
    ) {
        let (chunks, cuts) = chunk(&input, &points);
        let expected = oracle::decode(&input, &opts);
        let got = adapter::decode_chunks(&chunks, &opts);
        prop_assert_eq!(
            got,
            expected,
            "input \"{}\", {:?}, split at {:?}",
            input.escape_ascii(),
            opts,
            cuts
        );
    }

    /// Feeding one byte at a time gives what feeding the whole input at once
    /// gives (both through the decoder).
    #[test]
    fn byte_by_byte_equals_whole(input in stream(), opts in options()) {
        let whole = adapter::decode_chunks(&[&input], &opts);
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        let byte_by_byte = adapter::decode_chunks(&bytes, &opts);
        prop_assert_eq!(
            byte_by_byte,
            whole,
            "input \"{}\", {:?}",
            input.escape_ascii(),
            opts
        );
    }

    /// The oracle itself never panics, even on arbitrary bytes.
    #[test]
    fn oracle_never_panics(
        input in prop_oneof![stream(), prop::collection::vec(any::<u8>(), 0..200)],
        opts in options(),
    ) {
        let _ = oracle::decode(&input, &opts);
    }

    /// A sanity check of the oracle: asking for comments only adds
    /// `Comment` outputs, and without limits no limit is ever reported.
    #[test]
    fn oracle_comments_flag_only_adds_comments(input in stream(), opts in options()) {
        let with = oracle::decode(&input, &Options { comments: true, ..opts });
        let without = oracle::decode(&input, &Options { comments: false, ..opts });
        let with_minus_comments: Vec<Output> = with
            .into_iter()
            .filter(|o| !matches!(o, Output::Comment(_)))
            .collect();
        prop_assert_eq!(with_minus_comments, without);

        let unlimited = Options {
            max_line_length: usize::MAX,
            max_event_size: usize::MAX,
            ..opts
        };
        let out = oracle::decode(&input, &unlimited);
        prop_assert!(!out
            .iter()
            .any(|o| matches!(o, Output::LineTooLong | Output::EventTooLarge)));
    }
}
