//! `sse get` against `sse serve` over loopback HTTP: every fault flag of
//! serve, resumption, the output formats and flags of get, errors and exit
//! statuses.

mod support;

use std::path::PathBuf;
use std::time::Duration;

use support::{datas, json_lines, sse, sse_within, stderr, stdout, temp_dir, Serve};

/// Five events (one of type `tick`) and a keep-alive comment.
const FIVE: &str = "id: 1\ndata: one\n\n: keep-alive\n\nevent: tick\nid: 2\ndata: {\"n\":2}\n\n\
                    id: 3\ndata: three\n\nid: 4\ndata: four\n\nid: 5\ndata: five\n\n";

const ALL: [&str; 5] = ["one", "{\"n\":2}", "three", "four", "five"];

fn file(name: &str, text: &str) -> PathBuf {
    let path = temp_dir(name).join("stream.sse");
    std::fs::write(&path, text).unwrap();
    path
}

/// `sse serve` of FIVE, blocks 20 ms apart, with `args`.
fn serve(name: &str, args: &[&str]) -> Serve {
    let mut all = vec!["--interval", "20"];
    all.extend_from_slice(args);
    Serve::start(&file(name, FIVE), &all)
}

#[test]
fn get_prints_the_served_events_as_decode_does() {
    let server = serve("plain", &[]);
    let output = sse(&["get", &server.url, "--max-events", "5"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "{\"type\":\"message\",\"data\":\"one\",\"id\":\"1\"}\n\
         {\"type\":\"tick\",\"data\":\"{\\\"n\\\":2}\",\"id\":\"2\"}\n\
         {\"type\":\"message\",\"data\":\"three\",\"id\":\"3\"}\n\
         {\"type\":\"message\",\"data\":\"four\",\"id\":\"4\"}\n\
         {\"type\":\"message\",\"data\":\"five\",\"id\":\"5\"}\n"
    );
    // The same bytes through `sse decode` print the same lines.
    let decoded = support::command()
        .args(["decode", file("plain-decode", FIVE).to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(stdout(&decoded), stdout(&output));
}

#[test]
fn close_after_makes_get_reconnect_and_resume_with_last_event_id() {
    let server = serve("close-after", &["--close-after", "2", "--retry", "50"]);
    let output = sse(&["get", &server.url, "--max-events", "5", "--summary"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // retry lines, then every event exactly once, in order.
    assert_eq!(datas(&output), ALL);
    let err = stderr(&output);
    assert_eq!(
        err.matches("sse get: reconnecting: the server closed the stream\n")
            .count(),
        2,
        "{err}"
    );
    assert!(err.contains("  reconnections   2\n"), "{err}");
    assert!(err.contains("  events          5 in "), "{err}");
    assert!(err.contains("  id gaps         0\n"), "{err}");
}

#[test]
fn a_post_is_not_repeated_after_close_after_unless_reconnect() {
    let server = serve("post", &["--close-after", "2", "--retry", "50"]);
    let output = sse(&["get", &server.url, "-d", "x"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(datas(&output), ["one", "{\"n\":2}"]);
    assert!(!stderr(&output).contains("reconnecting"));
    let output = sse(&[
        "get",
        &server.url,
        "-d",
        "x",
        "--reconnect",
        "--max-events",
        "3",
    ]);
    assert_eq!(datas(&output), ["one", "{\"n\":2}", "three"]);
    // A GET stops at the end of the first connection with --no-reconnect.
    let output = sse(&["get", &server.url, "--no-reconnect"]);
    assert_eq!(datas(&output), ["one", "{\"n\":2}"]);
}

#[test]
fn stall_after_keeps_the_connection_until_the_idle_timeout() {
    let server = serve("stall", &["--stall-after", "2", "--retry", "50"]);
    let started = std::time::Instant::now();
    let output = sse(&[
        "get",
        &server.url,
        "--idle-timeout",
        "0.5",
        "--no-reconnect",
    ]);
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert_eq!(datas(&output), ["one", "{\"n\":2}"]);
    assert_eq!(
        stderr(&output),
        "sse: nothing received for 0.500 s (--idle-timeout)\n"
    );
    assert!(started.elapsed() >= Duration::from_millis(500));
    // Reconnecting, it resumes after the stall, two events per connection.
    let output = sse(&[
        "get",
        &server.url,
        "--idle-timeout",
        "0.3",
        "--max-events",
        "5",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(datas(&output), ALL);
    let err = stderr(&output);
    assert_eq!(
        err.matches("reconnecting: nothing received for").count(),
        2,
        "{err}"
    );
}

#[test]
fn line_endings_are_written_as_asked_and_decoded_the_same() {
    for (ending, bytes) in [("lf", "\n"), ("crlf", "\r\n"), ("cr", "\r")] {
        let server = serve(&format!("ending-{ending}"), &["--line-ending", ending]);
        let raw = sse(&["get", &server.url, "--raw", "--max-events", "1"]);
        let expected = format!("id: 1{bytes}data: one{bytes}{bytes}");
        assert!(
            stdout(&raw).contains(&expected),
            "{ending}: {:?}",
            stdout(&raw)
        );
        let output = sse(&["get", &server.url, "--max-events", "5"]);
        assert_eq!(datas(&output), ALL, "{ending}");
    }
}

#[test]
fn retry_is_sent_at_the_start_of_each_connection() {
    let server = serve("retry", &["--retry", "1234"]);
    let output = sse(&["get", &server.url, "--max-events", "1"]);
    let lines = json_lines(&output);
    assert_eq!(lines[0], serde_json::json!({"retry": 1234}));
    assert_eq!(lines[1]["data"], "one");
    let raw = sse(&["get", &server.url, "--raw", "--max-events", "1"]);
    assert!(stdout(&raw).contains("retry: 1234\n\n"), "{}", stdout(&raw));
}

#[test]
fn chunk_size_splits_the_writes_and_events_still_decode() {
    let server = serve("chunks", &["--chunk-size", "3"]);
    let raw = sse(&["get", &server.url, "--raw", "--max-events", "1"]);
    let text = stdout(&raw);
    let marks: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("--- chunk"))
        .collect();
    // "id: 1\ndata: one\n\n" is 17 bytes: 6 pieces of at most 3 bytes.
    assert!(marks.len() >= 4, "{text}");
    assert!(
        marks.iter().all(|mark| {
            let bytes: usize = mark
                .split(": ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            bytes <= 6
        }),
        "{text}"
    );
    let output = sse(&["get", &server.url, "--max-events", "5"]);
    assert_eq!(datas(&output), ALL);
}

#[test]
fn speed_and_timing() {
    let path = file("speed", FIVE);
    let server = Serve::start(&path, &["--interval", "200", "--speed", "2"]);
    let output = sse(&["get", &server.url, "--max-events", "3", "--timing"]);
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 3, "{}", stdout(&output));
    // Blocks 200 ms apart at twice the speed: events 100 ms apart, except
    // the keep-alive comment between the first two (200 ms).
    let dts: Vec<u64> = lines.iter().map(|l| l["dt"].as_u64().unwrap()).collect();
    let ts: Vec<u64> = lines.iter().map(|l| l["t"].as_u64().unwrap()).collect();
    for (dt, expected) in dts.iter().zip([100, 200, 100]) {
        assert!(dt.abs_diff(expected) < 50, "{dts:?}");
    }
    assert!((ts[1] - ts[0]).abs_diff(dts[1]) <= 1, "{ts:?} {dts:?}");
}

#[test]
fn loop_starts_again() {
    let server = serve("loop", &["--loop"]);
    let output = sse(&["get", &server.url, "--max-events", "7"]);
    let mut expected = ALL.to_vec();
    expected.extend_from_slice(&ALL[..2]);
    assert_eq!(datas(&output), expected);
}

#[test]
fn resume_after_last_event_id_header_or_query() {
    let server = serve("resume", &["--no-content-at-end"]);
    let output = sse(&["get", &server.url, "--last-event-id", "3"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // After 5, the next request gets 204: the stream ends.
    assert_eq!(datas(&output), ["four", "five"]);
    let url = format!("{}events?last_event_id=4", server.url);
    let output = sse(&["get", &url]);
    assert_eq!(datas(&output), ["five"]);
    // An unknown ID starts from the beginning.
    let output = sse(&[
        "get",
        &server.url,
        "--last-event-id",
        "nope",
        "--max-events",
        "1",
    ]);
    assert_eq!(datas(&output), ["one"]);
}

#[test]
fn doctor_header_adds_send_times_before_each_event() {
    let server = serve("doctor", &[]);
    let output = sse(&[
        "get",
        &server.url,
        "-H",
        "X-SSE-Doctor: 1",
        "--raw",
        "--max-events",
        "2",
    ]);
    let text = stdout(&output);
    let body: String = text
        .lines()
        .filter(|line| !line.starts_with("--- chunk"))
        .map(|line| format!("{line}\n"))
        .collect();
    let sent: Vec<&str> = body
        .lines()
        .filter(|l| l.starts_with(": sse-serve-sent-ms="))
        .collect();
    assert_eq!(sent.len(), 2, "{body}");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    for line in &sent {
        let ms: u128 = line.rsplit('=').next().unwrap().parse().unwrap();
        assert!(now - ms < 10_000, "{line}");
    }
    // Just before each event, in the same write (the same chunk).
    for chunk in text
        .split("--- chunk")
        .filter(|c| c.contains("sse-serve-sent-ms"))
    {
        assert!(chunk.contains("\nid: "), "{chunk}");
    }
    assert!(body.contains(": keep-alive\n"));
    let plain = sse(&["get", &server.url, "--raw", "--max-events", "2"]);
    assert!(!stdout(&plain).contains("sse-serve-sent-ms"));
}

#[test]
fn headers_cors_and_accel_buffering() {
    let server = serve("headers", &[]);
    let output = sse(&["get", &server.url, "-i", "--max-events", "1"]);
    let err = stderr(&output);
    assert!(err.starts_with("< 200 OK\n"), "{err}");
    assert!(err.contains("< content-type: text/event-stream\n"), "{err}");
    assert!(
        err.contains("< cache-control: no-cache, no-transform\n"),
        "{err}"
    );
    assert!(err.contains("< access-control-allow-origin: *\n"), "{err}");
    assert!(!err.contains("x-accel-buffering"), "{err}");
    let server = serve("headers-accel", &["--accel-buffering-no"]);
    let output = sse(&["get", &server.url, "-i", "--max-events", "1"]);
    assert!(stderr(&output).contains("< x-accel-buffering: no\n"));
}

#[test]
fn filters_until_event_field_and_pretty() {
    let server = serve("filters", &[]);
    let output = sse(&["get", &server.url, "--event", "tick", "--max-events", "1"]);
    assert_eq!(datas(&output), ["{\"n\":2}"]);
    let output = sse(&["get", &server.url, "--until-event", "tick"]);
    assert_eq!(datas(&output), ["one", "{\"n\":2}"]);
    let output = sse(&["get", &server.url, "--field", "n", "--until-event", "tick"]);
    assert_eq!(stdout(&output), "2\n");
    let output = sse(&[
        "get",
        &server.url,
        "--output",
        "pretty",
        "--max-events",
        "2",
        "--comments",
    ]);
    let text = stdout(&output);
    assert!(text.contains(" message id=1\n    one\n"), "{text}");
    assert!(text.contains(" : keep-alive\n"), "{text}");
    assert!(
        text.contains(" tick id=2\n    {\n      \"n\": 2\n    }\n"),
        "{text}"
    );
    let output = sse(&["get", &server.url, "--comments", "--max-events", "2"]);
    assert_eq!(
        json_lines(&output)[1],
        serde_json::json!({"comment": " keep-alive"})
    );
}

#[test]
fn errors_are_clear_with_the_body_and_exit_4() {
    let server = serve("errors", &[]);
    let output = sse(&["get", &server.url, "-X", "DELETE", "-i"]);
    assert_eq!(output.status.code(), Some(4));
    let err = stderr(&output);
    assert!(
        err.ends_with(&format!(
            "sse: {} answered 405 Method Not Allowed: sse serve answers GET and POST\n",
            server.url
        )),
        "{err}"
    );
    assert!(err.contains("< allow: GET, HEAD, POST, OPTIONS\n"), "{err}");
    // Nothing listens: a GET without reconnection fails at once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let output = sse_within(&["get", &url, "--no-reconnect"], Duration::from_secs(10));
    assert_eq!(output.status.code(), Some(4));
    assert!(
        stderr(&output).contains("Connection refused"),
        "{}",
        stderr(&output)
    );
    // Bad flags are usage errors.
    let output = sse(&["get", &server.url, "--max-events", "0"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--max-events"),
        "{}",
        stderr(&output)
    );
    let output = sse(&["get", &server.url, "-H", "nocolon"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stderr(&output), "sse: -H 'nocolon': not 'Name: value'\n");
}

#[test]
fn a_response_that_is_not_an_event_stream_is_shown() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        if let Ok((mut conn, _)) = listener.accept() {
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            let body = "<html>login required</html>";
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let output = sse(&["get", &url]);
    assert_eq!(output.status.code(), Some(4));
    assert_eq!(
        stderr(&output),
        format!("sse: not an event stream: {url} answered 200 OK (text/html): <html>login required</html>\n")
    );
}

#[test]
fn serve_refuses_what_it_cannot_serve() {
    let output = sse(&["serve", "/nonexistent/file.sse"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).starts_with("sse: cannot open '/nonexistent/file.sse': "));
    let bad = file("bad-trace", "# sse-trace 1\nnot a chunk\n");
    let output = sse(&["serve", bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).ends_with(": line 2: bad time \"not\"\n"),
        "{}",
        stderr(&output)
    );
    let output = sse(&["serve", bad.to_str().unwrap(), "--speed", "0"]);
    assert_eq!(output.status.code(), Some(2));
    let output = sse(&["serve", bad.to_str().unwrap(), "--close-after", "0"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn events_without_an_id_of_their_own_are_sent_again_on_resumption() {
    // b and c carry the last event ID 1 without an id field: a client that
    // resumes with 1 may have missed them, so they come again (nothing lost).
    let path = file(
        "no-own-id",
        "id: 1\ndata: a\n\ndata: b\n\ndata: c\n\nid: 2\ndata: d\n\n",
    );
    let server = Serve::start(
        &path,
        &["--interval", "10", "--close-after", "2", "--retry", "50"],
    );
    let output = sse(&["get", &server.url, "--max-events", "4"]);
    assert_eq!(datas(&output), ["a", "b", "b", "c"]);
    let output = sse(&["get", &server.url, "--last-event-id", "2", "--no-reconnect"]);
    assert!(datas(&output).is_empty(), "{}", stdout(&output));
}

#[test]
fn ctrl_c_ends_get_with_its_summary() {
    let server = serve("interrupt", &["--stall-after", "2"]);
    let child = support::command()
        .args(["get", &server.url, "--summary"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = support::wait_within(child, Duration::from_secs(10), "sse get after SIGINT");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(datas(&output), ["one", "{\"n\":2}"]);
    let err = stderr(&output);
    assert!(err.starts_with("sse get: summary:\n"), "{err}");
    assert!(err.contains("  events          2 in "), "{err}");
}

#[test]
fn on_a_terminal_get_shows_the_coloured_view() {
    // `script` (util-linux) runs the command on a pseudo-terminal.
    let server = serve("terminal", &[]);
    let command = format!(
        "{} get {} --max-events 2",
        env!("CARGO_BIN_EXE_sse"),
        server.url
    );
    let child = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_remove("NO_COLOR")
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("script (util-linux) runs");
    let output = support::wait_within(child, Duration::from_secs(20), "sse get on a terminal");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("\x1b[1;36mmessage\x1b[0m\x1b[35m id=1\x1b[0m"),
        "{text:?}"
    );
    assert!(text.contains("\x1b[1;36mtick\x1b[0m"), "{text:?}");
    assert!(text.contains("      \"n\": 2"), "{text:?}");
    // NO_COLOR keeps the view without colours.
    let child = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let output = support::wait_within(child, Duration::from_secs(20), "sse get on a terminal");
    let text = stdout(&output);
    assert!(
        !text.contains('\x1b') && text.contains(" message id=1"),
        "{text:?}"
    );
}

#[test]
fn an_event_over_a_limit_is_skipped_and_exit_status_is_1() {
    let server = serve("limits", &[]);
    let output = sse(&[
        "get",
        &server.url,
        "--max-event-size",
        "4",
        "--max-events",
        "3",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(datas(&output), ["one", "four", "five"]);
    let err = stderr(&output);
    assert_eq!(
        err.matches("sse: an event was skipped: ").count(),
        2,
        "{err}"
    );
}

#[test]
fn serve_answers_a_cors_preflight_and_refuses_an_address_in_use() {
    use std::io::{Read, Write};
    let server = serve("preflight", &[]);
    let address = server
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let mut conn = std::net::TcpStream::connect(address).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        conn,
        "OPTIONS /events HTTP/1.1\r\nHost: {address}\r\nOrigin: http://other.example\r\n\
         Access-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: last-event-id\r\n\
         Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    let _ = conn.read_to_string(&mut response);
    let response = response.to_ascii_lowercase();
    assert!(response.starts_with("http/1.1 204"), "{response}");
    assert!(
        response.contains("access-control-allow-origin: *\r\n"),
        "{response}"
    );
    assert!(
        response.contains("access-control-allow-methods: get, post\r\n"),
        "{response}"
    );
    assert!(
        response.contains("access-control-allow-headers: *\r\n"),
        "{response}"
    );

    let output = sse(&[
        "serve",
        file("in-use", FIVE).to_str().unwrap(),
        "--listen",
        address,
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).starts_with(&format!("sse: cannot listen on {address}: ")),
        "{}",
        stderr(&output)
    );
}
