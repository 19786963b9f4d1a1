//! Interop: `sse_codec_tokio::EventSource` (the reqwest client) against
//! servers nobody here wrote, each started by its test on a free loopback
//! port (`interop/servers/`):
//!
//! - `express`: Express on Node, `res.write('data: ...\n\n')`;
//! - `sse_starlette`: Starlette with sse-starlette's `EventSourceResponse`
//!   under uvicorn (CRLF line ends, its own ping comments);
//! - `go_net_http`: Go's `net/http` with an `http.Flusher`.
//!
//! Each serves the same scenario: `retry: 100`, ping comments, IDs, event
//! types, multi-line data (with an empty line inside), non-ASCII text; two
//! events per connection, each connection but the last cut by the close in
//! the middle of an event (`id: 99\ndata: partial`); 204 once the client's
//! Last-Event-ID is the last event. The client must receive every event
//! exactly once, discard the partial ones, resume with the right
//! `Last-Event-ID` (`-`, `2`, `4`, `6`) and stop on the 204, with no error.
//!
//! Install the servers with `tests/interop/setup-servers.sh`. A missing one
//! is reported as ignored with the reason (the build script looks for them)
//! unless `CI` is set: then its test runs, and fails.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use futures_util::StreamExt;
use sse_codec_tokio::eventsource::Update;
use sse_codec_tokio::{Backoff, EventSource};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

/// How long a server may take to start (Go compiles first).
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// How long the whole scenario may take.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(30);

fn servers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("interop/servers")
}

/// A started server: its port and its stdout lines.
struct Server {
    _child: Child,
    port: u16,
    lines: mpsc::Receiver<String>,
}

async fn start(mut command: Command, name: &str) -> Server {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    let mut child = command
        .spawn()
        .unwrap_or_else(|error| panic!("starting the {name} server: {error}"));
    let stdout = child.stdout.take().expect("piped stdout");
    let (sender, mut lines) = mpsc::channel(256);
    tokio::spawn(async move {
        let mut reader = BufReader::new(stdout).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            if sender.send(line).await.is_err() {
                break;
            }
        }
    });
    let port = tokio::time::timeout(START_TIMEOUT, async {
        while let Some(line) = lines.recv().await {
            if let Some(port) = line.strip_prefix("PORT ") {
                return port.trim().parse().expect("a port number");
            }
        }
        panic!("the {name} server exited before listening");
    })
    .await
    .unwrap_or_else(|_| panic!("the {name} server did not start within {START_TIMEOUT:?}"));
    Server {
        _child: child,
        port,
        lines,
    }
}

/// What the client saw.
#[derive(Debug, Default)]
struct Seen {
    events: Vec<(String, String, String)>,
    truncated: usize,
    clean_ends: usize,
    opens: usize,
    no_content: bool,
    retries: Vec<Duration>,
    comments: usize,
}

async fn follow(url: String) -> Seen {
    let mut events = EventSource::get(url)
        .backoff(Backoff {
            initial: Duration::from_millis(50),
            factor: 2,
            max: Duration::from_secs(1),
            jitter: false,
        })
        .idle_timeout(Duration::from_secs(10));
    let mut seen = Seen::default();
    let run = async {
        while let Some(item) = events.next().await {
            match item {
                Ok(Update::Event(event)) => seen.events.push((
                    event.event_type().to_owned(),
                    event.data().to_owned(),
                    event.id().to_owned(),
                )),
                Ok(Update::Open { .. }) => seen.opens += 1,
                Ok(Update::Ended { truncated: true }) => seen.truncated += 1,
                Ok(Update::Ended { truncated: false }) => seen.clean_ends += 1,
                Ok(Update::NoContent) => seen.no_content = true,
                Ok(Update::Retry(delay)) => seen.retries.push(delay),
                Ok(Update::Comment(_)) => seen.comments += 1,
                Ok(other) => panic!("unexpected {other:?}"),
                Err(error) => panic!("no error expected: {error:?}"),
            }
        }
    };
    tokio::time::timeout(SCENARIO_TIMEOUT, run)
        .await
        .unwrap_or_else(|_| panic!("the scenario took over {SCENARIO_TIMEOUT:?}: {seen:?}"));
    seen
}

fn expected_events() -> Vec<(String, String, String)> {
    [
        ("message", "one", "1"),
        ("greeting", "line1\nline2", "2"),
        ("update", "{\"n\":3}", "3"),
        ("message", "four\n\nsix", "4"),
        ("message", "€ unicode ✓", "5"),
        ("done", "bye", "6"),
    ]
    .iter()
    .map(|(t, d, i)| (t.to_string(), d.to_string(), i.to_string()))
    .collect()
}

async fn scenario(name: &str, mut server: Server) {
    let url = format!("http://127.0.0.1:{}/events", server.port);
    let seen = follow(url).await;
    assert_eq!(
        seen.events,
        expected_events(),
        "{name}: every event exactly once: {seen:?}"
    );
    assert_eq!(seen.opens, 3, "{name}: {seen:?}");
    assert_eq!(
        seen.truncated, 2,
        "{name}: two connections cut mid-event: {seen:?}"
    );
    assert_eq!(seen.clean_ends, 1, "{name}: {seen:?}");
    assert!(seen.no_content, "{name}: stopped by 204: {seen:?}");
    assert_eq!(seen.retries, [Duration::from_millis(100); 3], "{name}");
    assert!(seen.comments >= 6, "{name}: ping comments: {seen:?}");
    // The Last-Event-ID of each request, as the server saw it.
    let mut connects = Vec::new();
    while let Ok(Some(line)) =
        tokio::time::timeout(Duration::from_millis(500), server.lines.recv()).await
    {
        if let Some(id) = line.strip_prefix("CONNECT ") {
            connects.push(id.to_owned());
        }
    }
    assert_eq!(
        connects,
        ["-", "2", "4", "6"],
        "{name}: Last-Event-ID per request"
    );
}

#[tokio::test]
#[cfg_attr(
    missing_express,
    ignore = "node or Express not found in tests/interop/servers/express: run tests/interop/setup-servers.sh"
)]
async fn express() {
    let mut command = Command::new("node");
    command
        .arg("server.js")
        .current_dir(servers_dir().join("express"));
    scenario("express", start(command, "express").await).await;
}

#[tokio::test]
#[cfg_attr(
    missing_sse_starlette,
    ignore = "sse-starlette not found in tests/interop/servers/python/.venv: run tests/interop/setup-servers.sh"
)]
async fn sse_starlette() {
    let dir = servers_dir().join("python");
    let mut command = Command::new(dir.join(".venv/bin/python"));
    command.arg("server.py").current_dir(&dir);
    scenario("sse-starlette", start(command, "sse-starlette").await).await;
}

#[tokio::test]
#[cfg_attr(
    missing_go,
    ignore = "go not found (Debian's golang-go): run tests/interop/setup-servers.sh"
)]
async fn go_net_http() {
    // Built into Cargo's temporary directory, with a cache there unless
    // the environment has one.
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let binary = tmp.join("sse-interop-go-server");
    let mut build = Command::new("go");
    build
        .args(["build", "-o"])
        .arg(&binary)
        .arg("server.go")
        .current_dir(servers_dir().join("go"))
        .kill_on_drop(true);
    if std::env::var_os("GOCACHE").is_none() && std::env::var_os("HOME").is_none() {
        build.env("GOCACHE", tmp.join("go-cache"));
    }
    let status = tokio::time::timeout(START_TIMEOUT, build.status())
        .await
        .expect("go build took too long")
        .expect("running go build");
    assert!(status.success(), "go build failed");
    scenario("go net/http", start(Command::new(&binary), "go").await).await;
}
