//! Stable replay of the fuzz targets: every committed seed under
//! `fuzz/seeds/<target>/` goes through the same check as in `fuzz/`
//! (`sse_codec_tests::fuzz_checks`), built from its bytes exactly as
//! libFuzzer would, so a machine without nightly still runs them.
//!
//! The seeds are written by the ignored test `write_seeds` from the
//! real-looking streams and events below:
//! `cargo test -p sse-codec-tests --test fuzz_corpus -- --ignored write_seeds`.
//! Inputs a fuzzer finds (crashes, mismatches) are added to the seed
//! directories as they are, and as a named test in `regressions.rs`.

use std::fs;
use std::path::{Path, PathBuf};

use sse_codec_tests::fuzz_checks::{
    self, check_chunked, check_decode, check_oracle, check_roundtrip_input, check_tokio_codec,
    from_fuzz_bytes, seed, ChunkedInput, CountingAllocator, Limit, OptionsChoice, RoundtripInput,
    StructuredStream,
};

/// The decode check measures the decoder's heap with it.
#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

fn seeds_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/seeds")
        .join(target)
}

/// Every seed file of `target`, sorted by name, with its name.
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = seeds_dir(target);
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_file())
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, fs::read(&path).expect("a readable seed"))
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 20,
        "only {} seeds in {}",
        files.len(),
        dir.display()
    );
    files
}

/// Runs `check` on every seed of `target`, naming the seed that fails;
/// `check` returns whether the seed was a valid input (libFuzzer skips the
/// others too). At least 20 seeds must be valid.
fn replay(target: &str, check: impl Fn(&[u8]) -> bool) {
    let mut valid = 0;
    for (name, bytes) in seeds(target) {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&bytes)));
        match result {
            Ok(ran) => valid += usize::from(ran),
            Err(panic) => {
                eprintln!("fuzz/seeds/{target}/{name} failed");
                std::panic::resume_unwind(panic);
            }
        }
    }
    assert!(valid >= 20, "only {valid} valid seeds for {target}");
}

#[test]
fn counting_allocator_is_installed() {
    assert!(fuzz_checks::counting_installed());
    let before = fuzz_checks::live_bytes();
    let held = std::hint::black_box(vec![0u8; 1000]);
    assert_eq!(fuzz_checks::live_bytes() - before, 1000);
    drop(held);
    assert_eq!(fuzz_checks::live_bytes(), before);
}

#[test]
fn replay_decode_seeds() {
    replay("decode", |bytes| {
        check_decode(bytes);
        true
    });
}

#[test]
fn replay_decode_chunked_seeds() {
    replay("decode_chunked", |bytes| {
        let Some(input) = from_fuzz_bytes::<ChunkedInput<'_>>(bytes) else {
            return false;
        };
        let cuts: Vec<usize> = input.cuts.iter().map(|&c| usize::from(c)).collect();
        check_chunked(input.data, &cuts);
        true
    });
}

#[test]
fn replay_tokio_codec_seeds() {
    replay("tokio_codec", |bytes| {
        let Some(input) = from_fuzz_bytes::<ChunkedInput<'_>>(bytes) else {
            return false;
        };
        let cuts: Vec<usize> = input.cuts.iter().map(|&c| usize::from(c)).collect();
        check_tokio_codec(input.data, &cuts);
        true
    });
}

#[test]
fn replay_decode_oracle_seeds() {
    replay("decode_oracle", |bytes| {
        let Some(input) = from_fuzz_bytes::<StructuredStream>(bytes) else {
            return false;
        };
        check_oracle(&input);
        true
    });
}

#[test]
fn replay_roundtrip_seeds() {
    replay("roundtrip", |bytes| {
        let Some(input) = from_fuzz_bytes::<RoundtripInput>(bytes) else {
            return false;
        };
        check_roundtrip_input(&input);
        true
    });
}

// ---------------------------------------------------------------------------
// The seeds: real-looking streams and events
// ---------------------------------------------------------------------------

fn openai_stream(line_end: &str) -> Vec<u8> {
    let mut s = String::new();
    for (i, token) in ["Hel", "lo", ",", " wor", "ld", "!"].iter().enumerate() {
        s += &format!(
            "data: {{\"id\":\"chatcmpl-9x\",\"object\":\"chat.completion.chunk\",\"created\":1730000000,\
             \"model\":\"gpt-4o\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{token}\"}},\
             \"finish_reason\":null}}]}}{line_end}{line_end}"
        );
        if i == 2 {
            s += &format!(": keep-alive{line_end}{line_end}");
        }
    }
    s += &format!("data: [DONE]{line_end}{line_end}");
    s.into_bytes()
}

fn anthropic_stream() -> Vec<u8> {
    let mut s = String::from(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\
         \"role\":\"assistant\",\"content\":[]}}\n\n\
         event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\
         \"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n\
         event: ping\ndata: {\"type\": \"ping\"}\n\n",
    );
    for token in ["Hello", " there", "\\n", "é😀"] {
        s += &format!(
            "event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\
             \"delta\":{{\"type\":\"text_delta\",\"text\":\"{token}\"}}}}\n\n"
        );
    }
    s += "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    s.into_bytes()
}

/// Named streams for the byte-level targets.
fn sample_streams() -> Vec<(&'static str, Vec<u8>)> {
    let bom = "\u{FEFF}";
    let mut streams: Vec<(&'static str, Vec<u8>)> = vec![
        ("llm-openai-lf", openai_stream("\n")),
        ("llm-openai-crlf", openai_stream("\r\n")),
        ("llm-openai-cr", openai_stream("\r")),
        ("llm-anthropic", anthropic_stream()),
        (
            "llm-bom-crlf",
            [bom.as_bytes(), &openai_stream("\r\n")].concat(),
        ),
        (
            "mcp-endpoint",
            b"event: endpoint\ndata: /messages?session_id=8f0c2a\n\n\
              event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n"
                .to_vec(),
        ),
        (
            "spec-example-1",
            b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\n\
              data:  third event\n"
                .to_vec(),
        ),
        ("spec-example-2", b"data\n\ndata\ndata\n\ndata:\n".to_vec()),
        ("spec-example-3", b"data:test\n\ndata: test\n\n".to_vec()),
        (
            "stock-ticker",
            b"event:add\ndata:73857293\n\nevent:remove\ndata:2153\n\nevent:add\ndata:113411\n\n"
                .to_vec(),
        ),
        (
            "bom-twice",
            b"\xEF\xBB\xBF\xEF\xBB\xBFdata: after two BOMs\n\ndata: x\n\n".to_vec(),
        ),
        (
            "bom-partial",
            b"\xEF\xBBdata: half a BOM\n\ndata: x\n\n".to_vec(),
        ),
        ("bom-late", b"data: a\n\n\xEF\xBB\xBFdata: b\n\n".to_vec()),
        (
            "comments",
            b":\n: keep-alive\n:ping\n::double\ndata: between comments\n: inside\n\n:\n\n".to_vec(),
        ),
        (
            "retry-values",
            b"retry: 3000\nretry:  5\nretry: 10s\nretry: -1\nretry: +5\nretry: 1.5\nretry\n\
              retry: 18446744073709551615\nretry: 18446744073709551616\nretry: 007\n\
              data: after retries\n\n"
                .to_vec(),
        ),
        (
            "ids",
            b"id: 1\ndata: a\n\nid\ndata: b\n\nid: 7\n\ndata: c\n\nid: x\0y\ndata: nul ignored\n\n\
              id: \ndata: reset\n\n"
                .to_vec(),
        ),
        (
            "event-type-does-not-leak",
            b"event: x\n\ndata: y\n\nevent: z\ndata: w\n\nevent:\ndata: default\n\n".to_vec(),
        ),
        (
            "unknown-fields",
            b"Data: x\n data: y\ndata : z\nfoo: bar\nevent\ndata\n\n".to_vec(),
        ),
        (
            "multiline-data",
            b"data: line 1\ndata: line 2\ndata\ndata:\ndata:  indented\ndata:\ttab\n\n".to_vec(),
        ),
        (
            "mixed-line-ends",
            b"data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r\n\n\rdata: e\n\r".to_vec(),
        ),
        (
            "cr-then-lf",
            b"data: x\r\n\r\ndata: y\r\r\ndata: z\r\n\n".to_vec(),
        ),
        (
            "unterminated-event",
            b"data: complete\n\ndata: partial\nid: 9".to_vec(),
        ),
        ("only-line-ends", b"\n\n\r\n\r\r\n\n\n".to_vec()),
        (
            "utf8-oddities",
            "data: caf\u{e9} \u{2028} \u{1F600} \u{FEFF}\ndata: \u{0}nul\n\n"
                .bytes()
                .chain(*b"data: \xFF\xFE bad \xE2\x82 cut\n\n")
                .collect(),
        ),
        (
            "log-tail",
            (0..60)
                .flat_map(|i| format!("id: {i}\ndata: log line {i}\n\n").into_bytes())
                .collect(),
        ),
        ("tiny-events", b"data: x\n\n".repeat(200)),
    ];
    let huge_id = format!("id: {}\ndata: after a huge id\n\n", "7".repeat(5000));
    streams.push(("huge-id", huge_id.into_bytes()));
    let long_line = format!("data: {}\n\ndata: next\n\n", "x".repeat(3000));
    streams.push(("long-data-line", long_line.into_bytes()));
    let large_event = format!("{}\ndata: next\n\n", "data: 0123456789abcdef\n".repeat(120));
    streams.push(("large-event", large_event.into_bytes()));
    let endless = format!("data: before\n\ndata: {}", "y".repeat(6000));
    streams.push(("endless-line", endless.into_bytes()));
    let huge_type = format!("event: {}\ndata: x\n\n", "t".repeat(2000));
    streams.push(("huge-event-type", huge_type.into_bytes()));
    let many_comments = ": keep-alive\n".repeat(100) + "data: done\n\n";
    streams.push(("keep-alives", many_comments.into_bytes()));
    streams
}

/// Named events (event type, data, id, retry) for the round trip.
type SampleEvent = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    Option<u64>,
);

fn sample_events() -> Vec<SampleEvent> {
    let huge_id: &'static str = Box::leak("9".repeat(3000).into_boxed_str());
    vec![
        (
            "llm-token",
            Some("token"),
            Some("{\"text\":\"Hel\"}"),
            Some("41"),
            None,
        ),
        (
            "openai-chunk",
            None,
            Some("{\"choices\":[{\"delta\":{\"content\":\" world\"}}]}"),
            None,
            None,
        ),
        ("done", None, Some("[DONE]"), None, None),
        (
            "multiline",
            None,
            Some("line 1\nline 2\nline 3"),
            None,
            Some(3000),
        ),
        ("crlf-data", None, Some("a\r\nb\rc\nd"), Some("2"), None),
        ("trailing-newline", None, Some("a\n"), None, None),
        ("only-newlines", None, Some("\n\r\n\r"), None, None),
        ("empty-data", None, Some(""), None, None),
        (
            "leading-space",
            Some(" spaced"),
            Some("  two spaces"),
            Some(" 1"),
            None,
        ),
        (
            "colons",
            Some("a:b"),
            Some(": not a comment"),
            Some("id:1"),
            None,
        ),
        ("bom-data", None, Some("\u{FEFF}bom first"), None, None),
        (
            "unicode",
            Some("\u{e9}v\u{e9}nement"),
            Some("\u{1F600} \u{2028} nul\0in data"),
            Some("\u{e9}"),
            None,
        ),
        ("id-only", None, None, Some("7"), None),
        ("retry-only", None, None, None, Some(5000)),
        ("empty-event", None, None, None, None),
        ("reset-id", Some(""), Some("x"), Some(""), Some(0)),
        (
            "max-retry",
            Some("progress"),
            Some("42%"),
            Some("p-42"),
            Some(u64::MAX),
        ),
        ("refused-type-lf", Some("a\nb"), Some("x"), None, None),
        ("refused-type-cr", Some("a\rb"), Some("x"), Some("1"), None),
        ("refused-id-crlf", None, Some("x"), Some("1\r\n2"), None),
        ("refused-id-nul", None, Some("x"), Some("1\u{0}2"), None),
        ("refused-both", Some("t\n"), Some("x"), Some("\0"), None),
        ("huge-id", Some("token"), Some("x"), Some(huge_id), None),
        (
            "mcp-message",
            Some("message"),
            Some("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}"),
            Some("m-1"),
            None,
        ),
    ]
}

/// Deterministic cuts for seed `index` of a stream of `len` bytes: none,
/// a few, or every 7 bytes.
fn sample_cuts(index: usize, len: usize) -> Vec<u16> {
    let len = u16::try_from(len).unwrap_or(u16::MAX);
    match index % 3 {
        0 => Vec::new(),
        1 => vec![1, 2, len / 2, len.saturating_sub(1)],
        _ => (0..len).step_by(7).take(300).collect(),
    }
}

/// Options for structured seed `index`: unlimited, small limits, defaults.
fn sample_options(index: usize) -> OptionsChoice {
    match index % 4 {
        0 => OptionsChoice {
            comments: true,
            max_line_length: Limit::Unlimited,
            max_event_size: Limit::Unlimited,
        },
        1 => OptionsChoice {
            comments: false,
            max_line_length: Limit::Medium(1024),
            max_event_size: Limit::Medium(2048),
        },
        2 => OptionsChoice {
            comments: true,
            max_line_length: Limit::Small(64),
            max_event_size: Limit::Small(200),
        },
        _ => OptionsChoice {
            comments: true,
            max_line_length: Limit::Default,
            max_event_size: Limit::Default,
        },
    }
}

/// Every seed file, per target, as (target, name, bytes), each checked to
/// read back as the value it was written from.
fn all_seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out = Vec::new();
    for (index, (name, stream)) in sample_streams().into_iter().enumerate() {
        out.push(("decode", name.to_owned(), stream.clone()));

        let chunked = ChunkedInput {
            cuts: sample_cuts(index, stream.len()),
            data: &stream,
        };
        let bytes = seed::chunked(&chunked);
        assert_eq!(
            from_fuzz_bytes::<ChunkedInput<'_>>(&bytes).as_ref(),
            Some(&chunked)
        );
        out.push(("tokio_codec", name.to_owned(), bytes.clone()));
        out.push(("decode_chunked", name.to_owned(), bytes));

        let structured = StructuredStream::from_stream(
            &stream,
            sample_options(index),
            sample_cuts(index + 1, stream.len()),
        );
        assert_eq!(structured.render(), stream, "{name} renders back");
        let bytes = seed::structured(&structured);
        assert_eq!(
            from_fuzz_bytes::<StructuredStream>(&bytes).as_ref(),
            Some(&structured),
            "{name} reads back"
        );
        out.push(("decode_oracle", name.to_owned(), bytes));
    }
    for (index, (name, event_type, data, id, retry)) in sample_events().into_iter().enumerate() {
        let len = [event_type, data, id]
            .iter()
            .flatten()
            .map(|s| s.len())
            .sum::<usize>()
            + 20;
        let input = RoundtripInput::new(event_type, data, id, retry, sample_cuts(index, len));
        let bytes = seed::roundtrip(&input);
        assert_eq!(
            from_fuzz_bytes::<RoundtripInput>(&bytes).as_ref(),
            Some(&input),
            "{name} reads back"
        );
        out.push(("roundtrip", name.to_owned(), bytes));
    }
    out
}

/// The seed writer inverts `arbitrary`: each seed reads back as the value it
/// was written from (checked inside `all_seeds`).
#[test]
fn seed_writer_inverts_arbitrary() {
    assert!(all_seeds().len() >= 4 * 20);
}

/// Every seed the generator would write is committed, byte for byte.
#[test]
fn generated_seeds_are_committed() {
    for (target, name, bytes) in all_seeds() {
        let path = seeds_dir(target).join(&name);
        let committed = fs::read(&path).unwrap_or_default();
        assert!(
            committed == bytes,
            "{} is missing or stale: run `cargo test -p sse-codec-tests --test fuzz_corpus \
             -- --ignored write_seeds`",
            path.display()
        );
    }
}

/// Writes the seeds to `fuzz/seeds/<target>/<name>` (files of other names,
/// such as inputs a fuzzer found, are left alone).
#[test]
#[ignore = "writes fuzz/seeds; run by hand after changing the samples"]
fn write_seeds() {
    for (target, name, bytes) in all_seeds() {
        let dir = seeds_dir(target);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(name), bytes).unwrap();
    }
}
