//! `sse bench` end to end: its numbers checked against what `sse serve`
//! (the real binary) and raw servers served.

mod nginx;
mod support;

use nginx::{head, raw_server, sse, sse_with_input, stderr, stdout, Serve, Step};
use serde_json::Value;

/// `n` events of equal length (single-digit ids), as a .sse file.
fn events(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "id: {i}\ndata: {{\"n\":{i},\"pad\":\"{}\"}}\n\n",
                "x".repeat(40)
            )
        })
        .collect()
}

/// Runs `sse bench ARGS --report json` and parses the report.
fn bench_json(args: &[&str]) -> (Option<i32>, Value, String) {
    let mut all = vec!["bench"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--report", "json"]);
    let output = sse(&all);
    let report: Value = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|error| panic!("{error}: {}{}", stdout(&output), stderr(&output)));
    (output.status.code(), report, stderr(&output))
}

fn count(report: &Value, name: &str) -> u64 {
    report[name]
        .as_u64()
        .unwrap_or_else(|| panic!("no {name} in {report}"))
}

#[test]
fn each_subscriber_receives_exactly_what_serve_served() {
    // Five events, 100 ms apart; then the stream ends, and each subscriber
    // comes back with Last-Event-ID 4, after which there is nothing more.
    let stream = events(5);
    let serve = Serve::start(&stream, &["--interval", "100"]);
    let output = sse(&["bench", &serve.url, "-c", "50", "--duration", "3"]);
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{report}{}", stderr(&output));
    let lines: Vec<&str> = report.lines().collect();
    assert!(
        lines[0].starts_with(&format!(
            "sse bench {}: 50 subscribers for 3.0 s (rates over the ",
            serve.url
        )),
        "{report}"
    );
    assert!(
        lines[1].starts_with("connections   50 of 50 established, ")
            && lines[1].ends_with(" reconnections, 0 errors"),
        "{report}"
    );
    let reconnections: u64 = lines[1]
        .split(", ")
        .nth(1)
        .and_then(|part| part.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    // Every subscriber came back at least once (after the 1 s default retry).
    assert!(reconnections >= 50, "{report}");
    assert!(lines[2].starts_with("connect time  p50 "), "{report}");
    let bytes = 50 * stream.len();
    assert!(
        lines[3].starts_with("received      250 events ("),
        "{report}"
    );
    assert!(lines[3].contains(&format!(", {bytes} bytes (")), "{report}");
}

#[test]
fn rates_against_a_looping_serve() {
    let stream = events(10);
    let event_len = (stream.len() / 10) as u64;
    let serve = Serve::start(&stream, &["--interval", "50", "--loop"]);
    let (status, report, _) = bench_json(&[&serve.url, "-c", "50", "--duration", "2"]);
    assert_eq!(status, Some(0), "{report}");
    assert_eq!(count(&report, "established"), 50);
    assert_eq!(count(&report, "errors"), 0);
    assert_eq!(count(&report, "reconnections"), 0);
    // One event at once, then one every 50 ms: 40 or 41 in 2 s each, less
    // the time to connect on a loaded machine.
    let events = count(&report, "events");
    assert!((50 * 30..=50 * 41).contains(&events), "{report}");
    // Whole events, but for at most one partial event per subscriber cut
    // by the deadline.
    let bytes = count(&report, "bytes");
    assert!(
        (events * event_len..(events + 50) * event_len).contains(&bytes),
        "{report}"
    );
    let seconds = report["seconds"].as_f64().unwrap();
    let rate = report["events_per_second"].as_f64().unwrap();
    assert!((rate - events as f64 / seconds).abs() < 1e-6, "{report}");
    assert!(
        report["connect_ms_p50"].as_f64().unwrap() <= report["connect_ms_p99"].as_f64().unwrap()
    );
}

#[test]
fn latency_from_a_timestamp_in_the_data() {
    // Each event says it was published 300 ms before it is written.
    let mut script = vec![head(
        "200 OK",
        &["content-type: text/event-stream", "cache-control: no-cache"],
    )];
    for _ in 0..10 {
        script.push(Step::Json { ago: 300 });
        script.push(Step::Sleep(100));
    }
    script.push(Step::Write("data: no timestamp\n\n".into()));
    script.push(Step::Sleep(5_000));
    let (url, _) = raw_server(script);
    let (status, report, _) = bench_json(&[
        &url,
        "-c",
        "5",
        "--duration",
        "1.5",
        "--latency-field",
        "ts",
    ]);
    assert_eq!(status, Some(0), "{report}");
    assert_eq!(count(&report, "events"), 55, "{report}");
    assert_eq!(count(&report, "latency_samples"), 50, "{report}");
    assert_eq!(count(&report, "latency_missing"), 5, "{report}");
    let p50 = count(&report, "latency_ms_p50");
    let p99 = count(&report, "latency_ms_p99");
    assert!((300..500).contains(&p50), "{report}");
    assert!((p50..1000).contains(&p99), "{report}");
    assert_eq!(report["latency_field"], "ts");
}

#[test]
fn errors_and_failed_connections_are_counted() {
    let (url, _) = raw_server(vec![
        head("500 Internal Server Error", &["content-type: text/plain"]),
        Step::Write("broken".into()),
    ]);
    let (status, report, _) = bench_json(&[&url, "-c", "3", "--duration", "1.5"]);
    assert_eq!(status, Some(3), "{report}");
    assert_eq!(count(&report, "established"), 0);
    // Each subscriber tried at once and again after 1 s.
    assert_eq!(count(&report, "errors"), 6, "{report}");
    assert_eq!(
        report["error_messages"][0],
        "HTTP 500 Internal Server Error (not an event stream)"
    );
    let port = nginx::free_port();
    let (status, report, _) = bench_json(&[
        &format!("http://127.0.0.1:{port}/"),
        "-c",
        "2",
        "--duration",
        "0.5",
    ]);
    assert_eq!(status, Some(3), "{report}");
    assert!(count(&report, "errors") >= 2, "{report}");
}

#[test]
fn an_event_over_1_mib_is_skipped_and_counted_as_an_error() {
    let big = format!("data: {}\n\n", "x".repeat(1024 * 1024 + 1));
    let (url, _) = raw_server(vec![
        head("200 OK", &["content-type: text/event-stream"]),
        Step::Write(big),
        Step::Write("data: small\n\n".into()),
        Step::Sleep(5_000),
    ]);
    let (status, report, _) = bench_json(&[&url, "-c", "2", "--duration", "1.5"]);
    assert_eq!(status, Some(1), "{report}");
    assert_eq!(count(&report, "events"), 2, "{report}");
    assert_eq!(count(&report, "errors"), 2, "{report}");
    let message = report["error_messages"][0].as_str().unwrap();
    assert!(message.starts_with("event skipped: "), "{message}");
}

#[test]
fn every_subscriber_posts_the_body_read_once_and_resumes_with_its_last_event_id() {
    let (url, heads) = raw_server(vec![
        head("200 OK", &["content-type: text/event-stream"]),
        Step::Write("id: 7\ndata: x\n\n".into()),
    ]);
    // The body comes from standard input: read once, sent by all three.
    let output = sse_with_input(
        &[
            "bench",
            &url,
            "-c",
            "3",
            "--duration",
            "1.6",
            "--json",
            "@-",
        ],
        br#"{"a":1}"#,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let heads: Vec<String> = heads
        .try_iter()
        .map(|head| head.to_ascii_lowercase())
        .collect();
    // Three first connections, then each again after the 1 s retry.
    assert_eq!(heads.len(), 6, "{heads:?}");
    for head in &heads {
        assert!(head.starts_with("post / http/1.1\r\n"), "{head}");
        assert!(head.contains("content-length: 7\r\n"), "{head}");
        assert!(
            head.contains("content-type: application/json\r\n"),
            "{head}"
        );
    }
    let resumed = heads
        .iter()
        .filter(|head| head.contains("last-event-id: 7\r\n"))
        .count();
    assert_eq!(resumed, 3, "{heads:?}");
}

#[test]
fn connect_rate_spreads_the_connections_out() {
    let (url, heads) = raw_server(vec![
        head("200 OK", &["content-type: text/event-stream"]),
        Step::Write("data: x\n\n".into()),
        Step::Sleep(5_000),
    ]);
    // When each request reached the server.
    let arrivals = std::thread::spawn(move || {
        let mut times = Vec::new();
        while let Ok(_head) = heads.recv_timeout(std::time::Duration::from_secs(5)) {
            times.push(std::time::Instant::now());
        }
        times
    });
    let (status, report, _) =
        bench_json(&[&url, "-c", "4", "--connect-rate", "4", "--duration", "1.5"]);
    assert_eq!(status, Some(0), "{report}");
    assert_eq!(count(&report, "established"), 4, "{report}");
    assert_eq!(count(&report, "events"), 4, "{report}");
    // Sent at 0, 0.25, 0.5 and 0.75 s.
    let times = arrivals.join().unwrap();
    assert_eq!(times.len(), 4);
    let spread = times[3].duration_since(times[0]);
    assert!(
        spread >= std::time::Duration::from_millis(700),
        "{spread:?}"
    );
    let connect_p99 = report["connect_ms_p99"].as_f64().unwrap();
    assert!(connect_p99 < 250.0, "{report}");
}

#[test]
fn too_many_subscribers_is_a_clear_usage_error() {
    let output = sse(&["bench", "http://127.0.0.1:1/", "-c", "1000000"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.starts_with("sse: -c 1000000 needs "), "{message}");
    assert!(
        message.contains("limit") || message.contains("port range"),
        "{message}"
    );
    for args in [
        &["bench", "http://127.0.0.1:1/", "-c", "0"][..],
        &["bench", "http://127.0.0.1:1/", "--duration", "0"],
        &["bench", "not a url"],
    ] {
        let output = sse(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr(&output).starts_with("sse: "), "{}", stderr(&output));
    }
    let help = stdout(&sse(&["bench", "--help"]));
    assert!(
        help.contains("Opens -c N subscriptions to URL at once"),
        "{help}"
    );
    assert!(
        help.contains("Exit status:") && help.contains("3  no subscriber connected"),
        "{help}"
    );
}

#[test]
fn progress_lines_when_asked() {
    let serve = Serve::start(&events(10), &["--interval", "50", "--loop"]);
    let output = sse(&[
        "bench",
        &serve.url,
        "-c",
        "5",
        "--duration",
        "2.2",
        "--progress",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let progress = stderr(&output);
    let lines: Vec<&str> = progress.lines().collect();
    assert!(lines.len() >= 2, "{progress}");
    assert!(
        lines[0].starts_with("sse bench: 1/2 s  connected 5/5  events "),
        "{progress}"
    );
    // Without --progress, and not on a terminal: quiet.
    let output = sse(&["bench", &serve.url, "-c", "2", "--duration", "1.2"]);
    assert_eq!(stderr(&output), "");
}
