//! `sse` end to end: the command line, output format, chunking, messages
//! and exit statuses.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn sse(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sse"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the sse binary runs");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> &str {
    std::str::from_utf8(&output.stdout).unwrap()
}

fn stderr(output: &Output) -> &str {
    std::str::from_utf8(&output.stderr).unwrap()
}

#[test]
fn decodes_the_example_stream_as_the_readme_shows() {
    let output = sse(&["decode", "examples/llm-stream.sse", "--comments"], b"");
    assert_eq!(output.status.code(), Some(0));
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let shown = readme
        .split("```text\n")
        .nth(1)
        .and_then(|block| block.split("```").next())
        .unwrap();
    assert_eq!(stdout(&output), shown);
}

#[test]
fn every_chunk_size_gives_the_same_output() {
    let stream =
        b"\xEF\xBB\xBFretry: 10\r\n: c\r\nevent: a\r\nid: 1\r\ndata: x\r\ndata: y\r\r\ndata: z\n\n";
    let whole = sse(&["decode", "--comments"], stream);
    assert_eq!(
        stdout(&whole),
        "{\"retry\":10}\n{\"comment\":\" c\"}\n{\"type\":\"a\",\"data\":\"x\\ny\",\"id\":\"1\"}\n{\"type\":\"message\",\"data\":\"z\",\"id\":\"1\"}\n"
    );
    for size in 1..=stream.len() {
        let chunked = sse(
            &[
                "decode",
                "-",
                "--comments",
                "--chunk-size",
                &size.to_string(),
            ],
            stream,
        );
        assert_eq!(stdout(&chunked), stdout(&whole), "--chunk-size {size}");
    }
}

#[test]
fn comments_only_when_asked() {
    let output = sse(&["decode"], b": hello\ndata: x\n\n");
    assert_eq!(
        stdout(&output),
        "{\"type\":\"message\",\"data\":\"x\",\"id\":\"\"}\n"
    );
}

#[test]
fn strings_are_escaped_json_and_invalid_utf8_is_replaced() {
    let output = sse(
        &["decode"],
        b"event: \"q\"\ndata: tab\there \\ \x01 \xff \xc3\xa9\nid: \x7f\n\n",
    );
    assert_eq!(
        stdout(&output),
        "{\"type\":\"\\\"q\\\"\",\"data\":\"tab\\there \\\\ \\u0001 \u{fffd} é\",\"id\":\"\x7f\"}\n"
    );
}

#[test]
fn limit_error_is_reported_decoding_goes_on_and_exit_status_is_1() {
    let output = sse(
        &["decode", "--max-line-length", "16"],
        b"data: first\n\ndata: this line is far too long\n\ndata: next\n\n",
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        "{\"type\":\"message\",\"data\":\"first\",\"id\":\"\"}\n{\"type\":\"message\",\"data\":\"next\",\"id\":\"\"}\n"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("maximum line length of 16 bytes"),
        "{stderr}"
    );

    let output = sse(
        &["decode", "--max-event-size", "3"],
        b"data: ab\ndata: cd\n\ndata: ok\n\n",
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        "{\"type\":\"message\",\"data\":\"ok\",\"id\":\"\"}\n"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("maximum event size of 3 bytes"));
}

#[test]
fn usage_errors_exit_2_with_one_line_that_says_where_to_read_more() {
    for (args, says) in [
        (
            &["decode", "--chunk-size"][..],
            "a value is required for '--chunk-size <N>'",
        ),
        (
            &["decode", "--chunk-size", "0"],
            "'0' for '--chunk-size <N>': must be at least 1",
        ),
        (
            &["decode", "--chunk-size", "x"],
            "'x' for '--chunk-size <N>': not a number",
        ),
        (
            &["decode", "--max-line-length", "-1"],
            "unexpected argument '-1'",
        ),
        (
            &["decode", "--max-event-size", "1k"],
            "'1k' for '--max-event-size <N>'",
        ),
        (&["decode", "--bogus"], "unexpected argument '--bogus'"),
        (
            &["decode", "--coments"],
            "a similar argument exists: '--comments'",
        ),
        (&["decode", "a", "b"], "unexpected argument 'b'"),
        (&["encode", "a", "b"], "unexpected argument 'b'"),
        (&["completions", "fish2"], "invalid value 'fish2'"),
        (&["frobnicate"], "unrecognized subcommand 'frobnicate'"),
    ] {
        let output = sse(args, b"");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = stderr(&output);
        assert!(stderr.starts_with("sse: "), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(!stderr.contains("Usage:"), "{args:?}: {stderr}");
        let help = if args[0] == "frobnicate" {
            "sse --help".to_owned()
        } else {
            format!("sse {} --help", args[0])
        };
        assert!(
            stderr.ends_with(&format!("; see '{help}'\n")),
            "{args:?}: {stderr}"
        );
        assert!(output.stdout.is_empty());
    }
    // No command at all: the help, on standard error.
    let output = sse(&[], b"");
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("Usage: sse <COMMAND>"));
    assert!(output.stdout.is_empty());
}

#[test]
fn help_shows_the_commands_options_and_exit_statuses() {
    let output = sse(&["--help"], b"");
    assert_eq!(output.status.code(), Some(0));
    let help = stdout(&output);
    for expected in [
        "Usage: sse <COMMAND>",
        "decode",
        "encode",
        "completions",
        "Exit status:",
        "0  success (also for an empty input)",
        "1  a limit was exceeded",
        "2  a usage error, an input that cannot be read",
        "3  sse decode: the input holds lines but not one SSE field",
        "get",
        "record",
        "serve",
        "bench",
        "doctor",
        "sse doctor: a WARN, no FAIL",
        "4  sse get and record: the request failed",
    ] {
        assert!(help.contains(expected), "{expected:?} not in:\n{help}");
    }
    assert_eq!(stdout(&sse(&["help"], b"")), help);

    let output = sse(&["decode", "--help"], b"");
    assert_eq!(output.status.code(), Some(0));
    let help = stdout(&output);
    for expected in [
        "Usage: sse decode [OPTIONS] [FILE]",
        "--chunk-size <N>",
        "--comments",
        "--max-line-length <N>",
        "--max-event-size <N>",
        "{\"retry\":<milliseconds>}",
    ] {
        assert!(help.contains(expected), "{expected:?} not in:\n{help}");
    }
    assert_eq!(stdout(&sse(&["help", "decode"], b"")), help);

    let output = sse(&["encode", "--help"], b"");
    assert_eq!(output.status.code(), Some(0));
    let help = stdout(&output);
    for expected in ["Usage: sse encode [FILE]", "\"event\"", "compact JSON text"] {
        assert!(help.contains(expected), "{expected:?} not in:\n{help}");
    }
}

#[test]
fn help_of_get_record_and_serve() {
    for (verb, expected) in [
        (
            "get",
            &[
                "Usage: sse get [OPTIONS] <URL>",
                "--json <DATA>",
                "--no-reconnect",
                "--idle-timeout <SECS>",
                "--merge <PATH>",
                "--summary",
                "4 the request",
            ][..],
        ),
        (
            "record",
            &[
                "Usage: sse record [OPTIONS] --output <FILE> <URL>",
                "# sse-trace 1",
                "\\xHH (two",
                "--max-events <N>",
            ],
        ),
        (
            "serve",
            &[
                "Usage: sse serve [OPTIONS] <FILE>",
                "--listen <ADDR:PORT>",
                "--close-after <N>",
                "--stall-after <N>",
                "--line-ending <END>",
                "--chunk-size <N>",
                "sse serve: listening on http://ADDR:PORT/",
                "X-SSE-Doctor: 1",
            ],
        ),
    ] {
        let output = sse(&[verb, "--help"], b"");
        assert_eq!(output.status.code(), Some(0), "{verb}");
        let help = stdout(&output);
        for expected in expected {
            assert!(help.contains(expected), "{expected:?} not in:\n{help}");
        }
    }
}

#[test]
fn version() {
    let expected = format!("sse {}\n", env!("CARGO_PKG_VERSION"));
    for args in [&["--version"][..], &["-V"]] {
        let output = sse(args, b"");
        assert_eq!(output.status.code(), Some(0), "{args:?}");
        assert_eq!(stdout(&output), expected, "{args:?}");
    }
}

#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let output = sse(&["completions", shell], b"");
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let script = stdout(&output);
        for word in [
            "decode",
            "encode",
            "chunk-size",
            "max-event-size",
            "get",
            "record",
            "serve",
            "close-after",
            "until-event",
            "line-ending",
        ] {
            assert!(script.contains(word), "{shell}: {word} missing");
        }
    }
}

#[test]
fn an_unreadable_input_is_one_line_naming_the_file_and_exit_status_2() {
    for (args, expected) in [
        (
            &["decode", "no-such-file.sse"][..],
            "sse: cannot open 'no-such-file.sse': No such file or directory (os error 2)\n",
        ),
        (
            &["encode", "no-such-file.jsonl"],
            "sse: cannot open 'no-such-file.jsonl': No such file or directory (os error 2)\n",
        ),
        // Opening a directory works; reading it does not.
        (
            &["decode", "examples"],
            "sse: cannot read 'examples': Is a directory (os error 21)\n",
        ),
        (
            &["encode", "examples"],
            "sse: cannot read 'examples': Is a directory (os error 21)\n",
        ),
    ] {
        let output = sse(args, b"");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert_eq!(stderr(&output), expected, "{args:?}");
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn limit_errors_name_the_input() {
    let output = sse(
        &["decode", "-", "--max-line-length", "4"],
        b"data: long\n\n",
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "sse: standard input: line longer than the maximum line length of 4 bytes; event dropped\n"
    );
    let output = sse(
        &[
            "decode",
            "examples/llm-stream.sse",
            "--max-line-length",
            "4",
        ],
        b"",
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).starts_with("sse: 'examples/llm-stream.sse': line longer than"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn unterminated_final_event_is_not_printed_and_said_with_its_size() {
    let output = sse(&["decode"], b"data: a\n\ndata: b");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        "{\"type\":\"message\",\"data\":\"a\",\"id\":\"\"}\n"
    );
    assert_eq!(
        stderr(&output),
        "sse: the stream ended in the middle of an event (7 bytes discarded)\n"
    );
}

#[test]
fn the_discarded_size_is_the_bytes_after_the_last_empty_line_however_chunked() {
    for (stream, discarded) in [
        (&b"data: a\n\ndata: b\n"[..], 8),
        (b"data: a\r\n\r\nid: 1\r\ndata: b\r\n", 16),
        (b"data: a\r\rdata: b\r", 8),
        (b"\xEF\xBB\xBFdata: x", 7),
        (b"data: a\n\n: c\ndata: b\n: d", 15),
        (b"retry: 5\n\ndata: b", 7),
        (b": a comment without its line end", 32),
    ] {
        let expected = format!(
            "sse: the stream ended in the middle of an event ({discarded} bytes discarded)\n"
        );
        for size in 1..=stream.len() {
            let output = sse(&["decode", "--chunk-size", &size.to_string()], stream);
            assert_eq!(output.status.code(), Some(0));
            assert_eq!(
                stderr(&output),
                expected,
                "{} in chunks of {size}",
                stream.escape_ascii()
            );
        }
    }
}

#[test]
fn a_complete_stream_ends_without_a_message() {
    for stream in [
        &b""[..],
        b"\n\n",
        b"data: a\n\n",
        b"data: a\r\n\r\n",
        b"data: a\r\r",
        b"data: a\n\n: keep-alive\n",
        b"data: a\n\nretry: 10\n",
        b"event: no-data\n",
    ] {
        let output = sse(&["decode"], stream);
        assert_eq!(output.status.code(), Some(0), "{}", stream.escape_ascii());
        assert_eq!(stderr(&output), "", "{}", stream.escape_ascii());
    }
}

#[test]
fn input_that_is_not_an_event_stream_exits_3_and_shows_how_it_starts() {
    for (input, starts_with) in [
        (&b"{\"error\":\"x\"}"[..], "{\"error\":\"x\"}"),
        (
            b"{\"error\":{\"message\":\"Invalid API key\",\"code\":401}}\n",
            "{\"error\":{\"message\":\"Invalid API key\",\"c...",
        ),
        (
            b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head></html>\n",
            "<!DOCTYPE html>\\x0a<html><head><title>502 B...",
        ),
        (
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xcb\x48\xcd\xc9\xc9\x07\x00",
            "\\x1f\\x8b\\x08\\x00\\x00\\x00\\x00\\x00\\x00\\x03\\xcbH\\xcd\\xc9\\xc9\\x07\\x00",
        ),
    ] {
        let expected = format!(
            "sse: no events: the input does not look like text/event-stream (starts with {starts_with})\n"
        );
        for size in ["1", "3", "65536"] {
            let output = sse(&["decode", "--chunk-size", size], input);
            assert_eq!(output.status.code(), Some(3), "{}", input.escape_ascii());
            assert_eq!(stderr(&output), expected);
            assert!(output.stdout.is_empty());
        }
    }
}

#[test]
fn streams_of_comments_or_retry_lines_only_are_event_streams() {
    for (stream, printed) in [
        (&b": keep-alive\n\n: keep-alive\n\n"[..], ""),
        (b":ok\n", ""),
        (b"retry: 1000\n\n", "{\"retry\":1000}\n"),
        (b"id: 1\n\n", ""),
        (b"\n\r\n", ""),
        // Unknown fields, then one a client would read.
        (b"<html>\n: a comment\n", ""),
    ] {
        let output = sse(&["decode"], stream);
        assert_eq!(output.status.code(), Some(0), "{}", stream.escape_ascii());
        assert_eq!(stdout(&output), printed);
        assert_eq!(stderr(&output), "", "{}", stream.escape_ascii());
    }
}

#[test]
fn decode_encode_decode_reproduces_the_first_output() {
    let streams: [&[u8]; 5] = [
        b"retry: 3000\n\n: c\nevent: token\nid: 1\ndata: {\"text\":\"Hello\"}\n\n",
        b"id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 2\n\ndata: d\n\n",
        b"data: cr\rdata: crlf\r\ndata:\ndata:  two spaces\r\n\r\nevent: message\ndata: x\n\n",
        b"data: \xff invalid \xc3\n\nevent: \xe2\x80\xa8\ndata: \x00nul \xe2\x80\xa8 u2028\n\n",
        b"\xEF\xBB\xBF: only comments\n:\n\n: more\n",
    ];
    for stream in streams {
        let first = sse(&["decode", "--comments"], stream);
        assert_eq!(first.status.code(), Some(0));
        let encoded = sse(&["encode"], &first.stdout);
        assert_eq!(
            encoded.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&encoded.stderr)
        );
        let second = sse(&["decode", "--comments"], &encoded.stdout);
        assert_eq!(stdout(&second), stdout(&first), "{}", stream.escape_ascii());
    }
}

#[test]
fn encode_writes_ids_only_when_they_change_and_omits_the_default_type() {
    let input = b"{\"type\":\"message\",\"data\":\"a\",\"id\":\"\"}\n{\"data\":\"b\",\"id\":\"7\"}\n{\"type\":\"t\",\"data\":\"c\",\"id\":\"7\"}\n{\"data\":\"d\"}\n{\"data\":\"e\",\"id\":\"\"}\n{\"retry\":5}\n{\"comment\":\" hi\"}\n";
    let output = sse(&["encode"], input);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        "data: a\n\nid: 7\ndata: b\n\nevent: t\ndata: c\n\ndata: d\n\nid:\ndata: e\n\nretry: 5\n\n: hi\n"
    );
}

#[test]
fn encode_reports_bad_lines_with_their_number_and_goes_on() {
    let input = b"{\"data\":\"ok 1\"}\nnot json\n{\"data\":\"x\",\"type\":\"a\\rb\"}\n{\"data\":\"x\",\"id\":\"a\\u0000\"}\n[1]\n{\"retry\":-1}\n{\"data\":\"x\",\"type\":1}\n{\"dat\":\"x\"}\n{\"data\":\"x\",\"extra\":1}\n\n{\"data\":\"ok 2\"}\n";
    let output = sse(&["encode"], input);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "data: ok 1\n\ndata: ok 2\n\n");
    let stderr = String::from_utf8_lossy(&output.stderr);
    for line in 2..=9 {
        assert!(
            stderr.contains(&format!("line {line}: ")),
            "line {line} not reported:\n{stderr}"
        );
    }
    assert_eq!(stderr.lines().count(), 8, "{stderr}");
}

#[test]
fn encode_refuses_injection_attempts() {
    let input = b"{\"data\":\"x\",\"type\":\"a\\ndata: injected\"}\n{\"data\":\"x\",\"id\":\"1\\r\\nevent: evil\"}\n{\"data\":\"x\\revent: evil\\ndata: y\"}\n{\"comment\":\"c\\ndata: injected\"}\n";
    let output = sse(&["encode"], input);
    assert_eq!(output.status.code(), Some(1));
    let decoded = sse(&["decode", "--comments"], &output.stdout);
    assert_eq!(
        stdout(&decoded),
        "{\"type\":\"message\",\"data\":\"x\\nevent: evil\\ndata: y\",\"id\":\"\"}\n{\"comment\":\"c\"}\n{\"comment\":\"data: injected\"}\n"
    );
}

#[test]
fn encode_takes_event_as_an_alias_of_type() {
    let input = b"{\"event\":\"a\",\"data\":\"1\"}\n{\"event\":\"b\",\"type\":\"b\",\"data\":\"2\"}\n{\"event\":\"c\",\"type\":\"d\",\"data\":\"3\"}\n{\"event\":\"message\",\"data\":\"4\"}\n{\"event\":1,\"data\":\"5\"}\n";
    let output = sse(&["encode"], input);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        "event: a\ndata: 1\n\nevent: b\ndata: 2\n\ndata: 4\n\n"
    );
    assert_eq!(
        stderr(&output),
        "sse: standard input: line 3: \"type\" and \"event\" differ: give the event type once, as \"type\"; skipped\n\
         sse: standard input: line 5: \"event\" must be a string; skipped\n"
    );
}

#[test]
fn encode_writes_data_that_is_not_a_string_as_compact_json() {
    let input = b"{\"data\": {\"z\": 1, \"a\": [true, null, \"s\\n\"], \"n\": {}}}\n{\"data\":[1, 2.5]}\n{\"data\":42}\n{\"data\":false}\n{\"data\":null}\n{\"data\":\"{\\\"as\\\": \\\"is\\\"}\"}\n";
    let output = sse(&["encode"], input);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "data: {\"z\":1,\"a\":[true,null,\"s\\n\"],\"n\":{}}\n\ndata: [1,2.5]\n\ndata: 42\n\ndata: false\n\ndata: null\n\ndata: {\"as\": \"is\"}\n\n"
    );
    // And back: the data is that JSON text.
    let decoded = sse(&["decode"], &output.stdout);
    assert_eq!(
        stdout(&decoded).lines().next(),
        Some("{\"type\":\"message\",\"data\":\"{\\\"z\\\":1,\\\"a\\\":[true,null,\\\"s\\\\n\\\"],\\\"n\\\":{}}\",\"id\":\"\"}")
    );
}
