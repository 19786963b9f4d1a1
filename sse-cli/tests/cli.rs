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
