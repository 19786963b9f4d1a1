//! Interop: real `EventSource` clients that nobody here wrote, against a
//! server that encodes with this crate (`interop/server.rs`).
//!
//! Each client must receive exactly the events sent (custom types, data
//! with CR, LF and CRLF inside, empty data, non-ASCII text, IDs kept and
//! reset), discard the unterminated event at the end of the first
//! connection, reconnect after the server's `retry` with the right
//! `Last-Event-ID`, and stop on `204 No Content`.
//!
//! - `chromium_event_source`: headless Chromium (`/usr/bin/chromium`, or
//!   `$CHROMIUM`) with `--dump-dom` of a page whose script writes what its
//!   `EventSource` received into the DOM; the page keeps loading (an image
//!   the server holds back) until the script has posted its result.
//! - `node_eventsource`: the npm `eventsource` package, run with `node` by
//!   `interop/eventsource-client.mjs`.
//! - `sse_codec_tokio_event_source`: this crate's reqwest client,
//!   `EventSource`, on the same server, as a baseline.
//!
//! Install Chromium and the npm package with `tests/interop/setup.sh`.
//! Without them the first two tests are reported as ignored, with the
//! reason (the build script `tests/build.rs` looks for them), unless the
//! environment variable `CI` is set: then they run, and fail.

#[path = "../interop/server.rs"]
mod server;

#[path = "../interop/chromium.rs"]
mod chromium;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use server::{expected, expected_last_event_ids, Received, TestServer};
use sse_codec_tokio::eventsource::Update;
use sse_codec_tokio::EventSource;
use tokio::process::Command;

/// The longest a client process may run; their scripts give up after 30 s.
const PROCESS_TIMEOUT: Duration = Duration::from_secs(90);

/// Whether this is CI, where a missing client is a failure, not a skip.
fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| !value.is_empty() && value != "0" && value != "false")
}

/// A client is not installed: fails on CI, skips (saying so) elsewhere.
fn unavailable(what: &str) {
    let hint = "install it with tests/interop/setup.sh";
    assert!(
        !on_ci(),
        "{what}; CI is set, so this fails instead of skipping: {hint}"
    );
    // Straight to stderr, past the test harness's capture, so that the
    // skip shows in a passing run.
    let _ = writeln!(io::stderr(), "SKIPPED: {what}; {hint}");
}

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("interop")
}

/// What a client script reports.
#[derive(Debug)]
struct Report {
    received: Vec<Received>,
    opens: u64,
    timed_out: bool,
}

fn parse_report(json: &str) -> Report {
    let value: serde_json::Value =
        serde_json::from_str(json).unwrap_or_else(|error| panic!("bad report {json:?}: {error}"));
    let text = |value: &serde_json::Value, key: &str| -> String {
        value[key]
            .as_str()
            .unwrap_or_else(|| panic!("no string {key:?} in {value}"))
            .to_owned()
    };
    let received = value["received"]
        .as_array()
        .unwrap_or_else(|| panic!("no \"received\" in {json}"))
        .iter()
        .map(|event| Received {
            event_type: text(event, "type"),
            data: text(event, "data"),
            last_event_id: text(event, "lastEventId"),
        })
        .collect();
    Report {
        received,
        opens: value["opens"].as_u64().expect("opens"),
        timed_out: value["timedOut"].as_bool().expect("timedOut"),
    }
}

/// The assertions every client must pass: it received `expected`, sent the
/// right `Last-Event-ID` on each reconnection and opened two connections
/// (the third got 204 and stopped it).
fn check(client: &str, report: &Report, server: &TestServer, expected: &[Received]) {
    assert!(!report.timed_out, "{client} timed out: {report:#?}");
    for (i, (got, want)) in report.received.iter().zip(expected).enumerate() {
        assert_eq!(got, want, "{client}: event {i} differs");
    }
    assert_eq!(
        report.received.len(),
        expected.len(),
        "{client} received {:#?}",
        report.received
    );
    assert_eq!(
        server.last_event_ids(),
        expected_last_event_ids(),
        "{client}: the Last-Event-ID header of each connection"
    );
    assert_eq!(
        report.opens, 2,
        "{client}: open events (the 204 opens none)"
    );
}

/// Runs `command` to its end, killing it and its process group after
/// [`PROCESS_TIMEOUT`].
async fn run(command: &mut Command) -> Output {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    let child = command
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {command:?}: {error}"));
    let pid = child.id();
    match tokio::time::timeout(PROCESS_TIMEOUT, child.wait_with_output()).await {
        Ok(output) => output.expect("the client's output"),
        Err(_) => {
            // The child itself was killed on drop; its helpers (Chromium's
            // renderer and the like) share its process group.
            if let Some(pid) = pid {
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", "--", &format!("-{pid}")])
                    .status();
            }
            panic!("{command:?} did not finish in {PROCESS_TIMEOUT:?}");
        }
    }
}

fn describe(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: String = {
        let lines: Vec<&str> = stderr.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    };
    format!(
        "{}\n--- stdout\n{stdout}\n--- stderr (last lines)\n{tail}",
        output.status
    )
}

#[tokio::test]
#[cfg_attr(
    missing_chromium,
    ignore = "headless Chromium not found (/usr/bin/chromium or $CHROMIUM): run tests/interop/setup.sh"
)]
async fn chromium_event_source() {
    let chromium = chromium::chromium_path();
    if !chromium.exists() {
        unavailable(&format!("Chromium not found at {}", chromium.display()));
        return;
    }
    let server = TestServer::start().await;
    let profile = std::env::temp_dir().join(format!(
        "sse-codec-interop-chromium-{}-{}",
        std::process::id(),
        server.base.rsplit(':').next().unwrap_or_default()
    ));
    let started = Instant::now();
    let output = run(Command::new(&chromium).args(chromium::dump_dom_args(
        &profile,
        &format!("{}/page", server.base),
    )))
    .await;
    let _ = std::fs::remove_dir_all(&profile);
    eprintln!("chromium ran for {:?}", started.elapsed());

    let stdout = String::from_utf8_lossy(&output.stdout);
    let Some(json) = stdout
        .split_once("RESULT:")
        .and_then(|(_, rest)| rest.split_once(":END"))
        .map(|(json, _)| json)
    else {
        panic!("no result in the DOM: {}", describe(&output));
    };
    assert_eq!(
        server.report().as_deref(),
        Some(json),
        "the DOM and the report differ"
    );
    check(
        "Chromium's EventSource",
        &parse_report(json),
        &server,
        &expected(),
    );
}

#[tokio::test]
#[cfg_attr(
    missing_node_eventsource,
    ignore = "node or the npm package eventsource not found in tests/interop: run tests/interop/setup.sh"
)]
async fn node_eventsource() {
    let dir = interop_dir();
    match std::process::Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
    {
        Ok(status) if status.success() => {}
        Ok(status) => return unavailable(&format!("`node --version` failed: {status}")),
        Err(error) => return unavailable(&format!("cannot run node: {error}")),
    }
    if !dir.join("node_modules/eventsource/package.json").exists() {
        return unavailable("the npm package eventsource is not installed in tests/interop");
    }
    let server = TestServer::start().await;
    let types = serde_json::to_string(&server::event_types()).expect("strings serialize");
    let started = Instant::now();
    let output = run(Command::new("node")
        .current_dir(&dir)
        .arg("eventsource-client.mjs")
        .arg(format!("{}/events", server.base))
        .arg(types))
    .await;
    eprintln!("node ran for {:?}", started.elapsed());
    assert!(
        output.status.success(),
        "node failed: {}",
        describe(&output)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let Some(json) = stdout.lines().rev().find(|line| line.starts_with('{')) else {
        panic!("no result from node: {}", describe(&output));
    };
    // eventsource 4.x reports each event's own `id` field as its
    // `lastEventId` (a known deviation, fixed in 5.1.1, which needs Node 22):
    // expect exactly that, so that any other difference still fails.
    check(
        "npm eventsource",
        &parse_report(json),
        &server,
        &server::expected_with_own_ids_only(),
    );
}

#[tokio::test]
async fn sse_codec_tokio_event_source() {
    let server = TestServer::start().await;
    let mut events = EventSource::get(format!("{}/events", server.base));
    let mut received = Vec::new();
    let mut opens = 0;
    let collect = async {
        while let Some(item) = events.next().await {
            match item {
                Ok(Update::Event(event)) => received.push(Received {
                    event_type: event.event_type().into(),
                    data: event.data().into(),
                    last_event_id: event.id().into(),
                }),
                Ok(Update::Open { .. }) => opens += 1,
                Ok(Update::Retry(delay)) => {
                    assert_eq!(delay, Duration::from_millis(server::RETRY_MS));
                }
                Ok(Update::Comment(_) | Update::Ended { .. } | Update::NoContent) => {}
                Ok(other) => panic!("unexpected {other:?}"),
                Err(error) => panic!("{error}"),
            }
        }
    };
    let started = Instant::now();
    let timed_out = tokio::time::timeout(Duration::from_secs(30), collect)
        .await
        .is_err();
    eprintln!("EventSource ran for {:?}", started.elapsed());
    let report = Report {
        received,
        opens,
        timed_out,
    };
    check(
        "sse_codec_tokio::EventSource",
        &report,
        &server,
        &expected(),
    );
}
