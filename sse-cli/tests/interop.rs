//! `sse serve` to real EventSource clients: headless Chromium (a page on
//! another origin, so CORS is exercised) and the npm `eventsource` package
//! receive exactly the served events, in order, with their last event IDs,
//! and resume after `--close-after` with `Last-Event-ID`; `sse serve
//! --no-content-at-end` then answers 204 and the client stops.
//!
//! They reuse `tests/interop/page.html` and `eventsource-client.mjs`. When
//! Chromium or node with `eventsource` (`tests/interop/setup.sh`) is
//! missing the test is ignored with the reason (see `build.rs`); with `CI`
//! set it runs, and fails.

mod support;

#[path = "../../tests/interop/chromium.rs"]
mod chromium;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use support::{on_ci, temp_dir, Serve};
use tokio::sync::Notify;

/// How long a client may run.
const CLIENT_LIMIT: Duration = Duration::from_secs(60);

/// Five events: two types, a multi-line data, non-ASCII text, an event
/// without an `id` (its last event ID is the previous one's; it opens the
/// second connection, so that no resumption sends it again).
const STREAM: &str = "id: 1\ndata: first\n\n\
                      event: tick\nid: 2\ndata: line one\ndata: line two\n\n\
                      event: tick\ndata: no id here\n\n\
                      id: 3\ndata: caf\u{e9} \u{2615}\n\n\
                      id: 5\ndata: {\"last\":true}\n\n";

const TYPES: &str = r#"["message","tick"]"#;

/// (type, data, lastEventId) of each served event.
fn expected() -> Vec<(String, String, String)> {
    [
        ("message", "first", "1"),
        ("tick", "line one\nline two", "2"),
        ("tick", "no id here", "2"),
        ("message", "caf\u{e9} \u{2615}", "3"),
        ("message", "{\"last\":true}", "5"),
    ]
    .iter()
    .map(|(t, d, i)| ((*t).to_owned(), (*d).to_owned(), (*i).to_owned()))
    .collect()
}

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/interop")
}

/// `sse serve` of STREAM: two events per connection, quick reconnections,
/// 204 at the end.
fn serve(name: &str) -> Serve {
    let file = temp_dir(name).join("stream.sse");
    std::fs::write(&file, STREAM).unwrap();
    Serve::start(
        &file,
        &[
            "--interval",
            "20",
            "--close-after",
            "2",
            "--retry",
            "100",
            "--no-content-at-end",
        ],
    )
}

/// What a client script reports: (received, opens, timedOut).
fn parse_report(json: &str) -> (Vec<(String, String, String)>, u64, bool) {
    let value: serde_json::Value =
        serde_json::from_str(json).unwrap_or_else(|error| panic!("bad report {json:?}: {error}"));
    let text = |event: &serde_json::Value, key: &str| event[key].as_str().unwrap().to_owned();
    let received = value["received"]
        .as_array()
        .unwrap_or_else(|| panic!("no \"received\" in {json}"))
        .iter()
        .map(|e| (text(e, "type"), text(e, "data"), text(e, "lastEventId")))
        .collect();
    (
        received,
        value["opens"].as_u64().unwrap(),
        value["timedOut"].as_bool().unwrap(),
    )
}

/// Runs `command` in its own process group, killing the group after
/// [`CLIENT_LIMIT`] (Chromium's helpers too).
fn run(mut command: Command) -> Output {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > CLIENT_LIMIT {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let output = child.wait_with_output().unwrap();
            panic!(
                "{command:?} did not finish in {CLIENT_LIMIT:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// A client is not installed: fails on CI, skips (saying so) elsewhere.
fn unavailable(what: &str) {
    assert!(
        !on_ci(),
        "{what}; CI is set, so this fails: run tests/interop/setup.sh"
    );
    eprintln!("SKIPPED: {what}; run tests/interop/setup.sh");
}

/// The page's origin: serves page.html (reading the stream from `events`,
/// another origin), takes its report, and holds the page's image until the
/// report came (so that --dump-dom waits for it).
#[derive(Clone)]
struct PageServer {
    page: Arc<String>,
    report: Arc<Mutex<Option<String>>>,
    reported: Arc<Notify>,
}

async fn page(State(server): State<PageServer>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        (*server.page).clone(),
    )
}

async fn report(State(server): State<PageServer>, body: String) -> &'static str {
    *server.report.lock().unwrap() = Some(body);
    server.reported.notify_waiters();
    server.reported.notify_one();
    ""
}

async fn hold(State(server): State<PageServer>) -> &'static str {
    if server.report.lock().unwrap().is_none() {
        let _ = tokio::time::timeout(Duration::from_secs(45), server.reported.notified()).await;
    }
    ""
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    missing_chromium,
    ignore = "headless Chromium not found (/usr/bin/chromium or $CHROMIUM): run tests/interop/setup.sh"
)]
async fn chromium_event_source_receives_the_served_events_and_resumes() {
    let chromium = chromium::chromium_path();
    if !chromium.exists() {
        return unavailable(&format!("Chromium not found at {}", chromium.display()));
    }
    let sse = serve("interop-chromium");
    let html = std::fs::read_to_string(interop_dir().join("page.html")).unwrap();
    let events_url = format!("{}events", sse.url);
    for placeholder in ["__EVENT_TYPES__", "new EventSource(\"/events\")"] {
        assert!(
            html.contains(placeholder),
            "page.html changed: no {placeholder}"
        );
    }
    let html = html.replace("__EVENT_TYPES__", TYPES).replace(
        "new EventSource(\"/events\")",
        &format!("new EventSource({events_url:?})"),
    );
    let server = PageServer {
        page: Arc::new(html),
        report: Arc::new(Mutex::new(None)),
        reported: Arc::new(Notify::new()),
    };
    let app = axum::Router::new()
        .route("/page", axum::routing::get(page))
        .route("/report", axum::routing::post(report))
        .route("/hold", axum::routing::get(hold))
        .with_state(server.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let profile = temp_dir("interop-chromium-profile");
    let mut command = Command::new(&chromium);
    command.args(chromium::dump_dom_args(&profile, &format!("{origin}/page")));
    let output = tokio::task::spawn_blocking(move || run(command))
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let Some(json) = stdout
        .split_once("RESULT:")
        .and_then(|(_, rest)| rest.split_once(":END"))
        .map(|(json, _)| json.to_owned())
    else {
        panic!(
            "no result in the DOM: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    assert_eq!(
        server.report.lock().unwrap().as_deref(),
        Some(json.as_str())
    );
    let (received, opens, timed_out) = parse_report(&json);
    assert!(!timed_out, "Chromium timed out: {received:?}");
    assert_eq!(received, expected());
    // Three connections with events (two, two, one); the fourth got 204.
    assert_eq!(opens, 3);
}

#[test]
#[cfg_attr(
    missing_node_eventsource,
    ignore = "node or the npm package eventsource not found in tests/interop: run tests/interop/setup.sh"
)]
fn npm_eventsource_receives_the_served_events_and_resumes() {
    let dir = interop_dir();
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|output| output.status.success()) {
        return unavailable("node not found");
    }
    if !dir.join("node_modules/eventsource/package.json").exists() {
        return unavailable("the npm package eventsource is not installed in tests/interop");
    }
    let sse = serve("interop-node");
    let mut command = Command::new("node");
    command
        .current_dir(&dir)
        .arg("eventsource-client.mjs")
        .arg(format!("{}events", sse.url))
        .arg(TYPES);
    let output = run(command);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let json = stdout
        .lines()
        .rev()
        .find(|line| line.starts_with('{'))
        .unwrap_or_else(|| panic!("no result from node: {output:?}"));
    let (received, opens, timed_out) = parse_report(json);
    assert!(!timed_out, "node timed out: {received:?}");
    // eventsource 4.x reports an event's own `id` field as its lastEventId
    // (empty for an event without one; fixed in 5.1.1): expect exactly that.
    let mut expected = expected();
    expected[2].2 = String::new();
    assert_eq!(received, expected);
    assert_eq!(opens, 3);
}
