//! `sse record` then `sse serve` then `sse get --timing`: the events come
//! back with their spacing (within 50 ms).

mod support;

use support::{json_lines, sse, stderr, stdout, temp_dir, Serve};

/// A trace with irregular spacing: (ms, event data).
const SCRIPT: [(u64, &str); 6] = [
    (50, "a"),
    (300, "b"),
    (330, "c"),
    (700, "d"),
    (720, "e"),
    (1100, "f"),
];

#[test]
fn record_serve_get_reproduces_events_and_spacing() {
    let dir = temp_dir("record");
    // The original: a trace written by hand (one event per chunk, ids).
    let mut trace = String::from("# sse-trace 1\n# connection 1: 200 OK\n0.000 : hello\\n\\n\n");
    for (i, (ms, data)) in SCRIPT.iter().enumerate() {
        trace.push_str(&format!("{ms}.000 id: {}\\ndata: {data}\\n\\n\n", i + 1));
    }
    let original = dir.join("original.trace");
    std::fs::write(&original, trace).unwrap();
    let server = Serve::start(&original, &[]);

    let recorded = dir.join("recorded.trace");
    let output = sse(&[
        "record",
        &server.url,
        "-o",
        recorded.to_str().unwrap(),
        "--max-events",
        "6",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).starts_with("sse record: 6 events, "),
        "{}",
        stderr(&output)
    );
    drop(server);
    let text = std::fs::read_to_string(&recorded).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("# sse-trace 1"));
    assert!(text.contains("\n# url: http://127.0.0.1:"), "{text}");
    assert!(text.contains("\n# connection 1: 200 OK\n"), "{text}");
    assert!(text.contains(" id: 1\\ndata: a\\n\\n\n"), "{text}");

    let replay = Serve::start(&recorded, &[]);
    let output = sse(&["get", &replay.url, "--timing", "--max-events", "6"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let events = json_lines(&output);
    let datas: Vec<&str> = events.iter().map(|e| e["data"].as_str().unwrap()).collect();
    assert_eq!(datas, ["a", "b", "c", "d", "e", "f"], "{}", stdout(&output));
    // The spacing between events is the original's, within 50 ms.
    for (i, event) in events.iter().enumerate().skip(1) {
        let dt = event["dt"].as_u64().unwrap();
        let original = SCRIPT[i].0 - SCRIPT[i - 1].0;
        assert!(
            dt.abs_diff(original) <= 50,
            "event {i}: {dt} ms apart, {original} ms in the original: {events:?}"
        );
    }
    // And relative to the request (time to first event).
    let t0 = events[0]["t"].as_u64().unwrap();
    assert!(t0.abs_diff(SCRIPT[0].0) <= 50, "{t0}");
}

#[test]
fn record_follows_reconnections_and_marks_them() {
    let dir = temp_dir("record-reconnect");
    let file = dir.join("three.sse");
    std::fs::write(
        &file,
        "retry: 50\n\nid: 1\ndata: x\n\nid: 2\ndata: y\n\nid: 3\ndata: z\n\n",
    )
    .unwrap();
    let server = Serve::start(&file, &["--interval", "10", "--close-after", "2"]);
    let recorded = dir.join("r.trace");
    let output = sse(&[
        "record",
        &server.url,
        "-o",
        recorded.to_str().unwrap(),
        "--max-events",
        "3",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("sse record: reconnecting: the server closed the stream\n"));
    let text = std::fs::read_to_string(&recorded).unwrap();
    assert!(text.contains("\n# connection 2: 200 OK\n"), "{text}");
    assert!(
        text.contains("\n# reconnecting: the server closed the stream\n"),
        "{text}"
    );
    // Served back, the trace gives the three events once each.
    let replay = Serve::start(&recorded, &[]);
    let output = sse(&["get", &replay.url, "--max-events", "3"]);
    let datas: Vec<String> = json_lines(&output)
        .iter()
        .filter_map(|l| l.get("data").map(|d| d.as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(datas, ["x", "y", "z"]);
}

#[test]
fn the_trace_example_of_the_readme_is_served() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let example = readme
        .split("### The trace format")
        .nth(1)
        .and_then(|rest| rest.split("```text\n").nth(1))
        .and_then(|block| block.split("```").next())
        .unwrap();
    let file = temp_dir("readme-trace").join("example.trace");
    std::fs::write(&file, example).unwrap();
    let server = Serve::start(&file, &["--speed", "100"]);
    let output = sse(&["get", &server.url, "--max-events", "3"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let datas: Vec<String> = json_lines(&output)
        .iter()
        .filter_map(|l| l.get("data").map(|d| d.as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        datas,
        [
            "{\"text\":\"Hello\"}",
            "{\"text\":\" world\"}",
            "line one\ncaf\u{fffd}"
        ]
    );
}
