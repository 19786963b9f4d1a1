//! `sse decode` end to end: output format, chunking, exit statuses.

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
fn usage_errors_exit_2() {
    for args in [
        &["decode", "/no/such/file"][..],
        &["decode", "--chunk-size"],
        &["decode", "--chunk-size", "0"],
        &["decode", "--chunk-size", "x"],
        &["decode", "--bogus"],
        &["decode", "a", "b"],
        &["frobnicate"],
        &[],
    ] {
        let output = sse(args, b"");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("usage: sse decode"),
            "{args:?}"
        );
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn unterminated_final_event_is_not_printed() {
    let output = sse(&["decode"], b"data: a\n\ndata: b");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        "{\"type\":\"message\",\"data\":\"a\",\"id\":\"\"}\n"
    );
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
    let input = b"{\"data\":\"ok 1\"}\nnot json\n{\"data\":\"x\",\"type\":\"a\\rb\"}\n{\"data\":\"x\",\"id\":\"a\\u0000\"}\n[1]\n{\"retry\":-1}\n{\"data\":1}\n{\"dat\":\"x\"}\n{\"data\":\"x\",\"extra\":1}\n\n{\"data\":\"ok 2\"}\n";
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
