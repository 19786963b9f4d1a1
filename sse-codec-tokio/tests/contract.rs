//! The harness side of LaunchDarkly's `sse-contract-tests`, in Rust: every
//! item of `shared/CONTRACT-TESTS.md`, driving the `contract-service`
//! example over HTTP exactly as that harness does. A scripted stream server
//! (`support/`) plays the SSE server, and a callback server collects what the
//! client reports (`callbackUrl/1`, `/2`, ..., put back in counter order).
//! Waits are 5 s per expected message or connection, as in the original.

#[allow(dead_code)]
#[path = "../examples/contract-service.rs"]
mod service;
mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use support::{Conn, StreamServer, WAIT};
use tokio::sync::mpsc;

/// The longest any one test may run.
const TEST_LIMIT: Duration = Duration::from_secs(60);

/// What the harness expects from the client, in order.
#[derive(Debug, Clone, PartialEq)]
enum Msg {
    /// (type, data, id); type "" and "message" are equal.
    Event(String, String, String),
    Comment(String),
    Error,
}

fn ev(ty: &str, data: &str, id: &str) -> Msg {
    Msg::Event(ty.into(), data.into(), id.into())
}

fn msg(data: &str) -> Msg {
    ev("message", data, "")
}

fn comment(text: &str) -> Msg {
    Msg::Comment(text.into())
}

/// The test service, one stream server and the callback server.
struct Harness {
    service: String,
    http: reqwest::Client,
    callback_base: String,
    callbacks: mpsc::Receiver<(u64, Value)>,
    reorder: BTreeMap<u64, Value>,
    next: u64,
    stream: StreamServer,
    client: Option<String>,
}

impl Harness {
    async fn start() -> Harness {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let service = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(service::serve(listener));

        let (sender, callbacks) = mpsc::channel(1024);
        let app = Router::new()
            .route(
                "/cb/{n}",
                post(
                    |State(sender): State<mpsc::Sender<(u64, Value)>>,
                     Path(n): Path<u64>,
                     body: axum::body::Bytes| async move {
                        let value: Value = serde_json::from_slice(&body).expect("callback JSON");
                        let _ = sender.send((n, value)).await;
                    },
                ),
            )
            .layer(DefaultBodyLimit::disable())
            .with_state(sender);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let callback_base = format!("http://{}/cb", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });

        Harness {
            service,
            http: sse_codec_tokio::eventsource::client_builder()
                .build()
                .unwrap(),
            callback_base,
            callbacks,
            reorder: BTreeMap::new(),
            next: 1,
            stream: StreamServer::start().await,
            client: None,
        }
    }

    /// `POST /` with the defaults of the harness plus `extra`.
    async fn create(&mut self, extra: Value) {
        let mut config = json!({
            "streamUrl": self.stream.url("/"),
            "callbackUrl": self.callback_base,
            "initialDelayMs": 0,
        });
        for (key, value) in extra.as_object().expect("an object") {
            config[key] = value.clone();
        }
        let response = self
            .http
            .post(&self.service)
            .body(config.to_string())
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{response:?}");
        let location = response.headers()["location"].to_str().unwrap();
        self.client = Some(format!("{}{location}", self.service));
    }

    async fn command(&self, command: &str) {
        let url = self.client.as_ref().expect("a client");
        let response = self
            .http
            .post(url)
            .body(json!({ "command": command }).to_string())
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{response:?}");
    }

    /// The next message in counter order; panics after [`WAIT`].
    async fn next_message(&mut self) -> Value {
        loop {
            if let Some(value) = self.reorder.remove(&self.next) {
                self.next += 1;
                return value;
            }
            let (n, value) = tokio::time::timeout(WAIT, self.callbacks.recv())
                .await
                .unwrap_or_else(|_| panic!("no callback {} within {WAIT:?}", self.next))
                .expect("callback server");
            self.reorder.insert(n, value);
        }
    }

    async fn expect(&mut self, expected: &Msg) {
        let value = self.next_message().await;
        let got = match value["kind"].as_str() {
            Some("event") => {
                let event = &value["event"];
                let ty = event["type"].as_str().unwrap_or("");
                let ty = if ty.is_empty() { "message" } else { ty };
                ev(
                    ty,
                    event["data"].as_str().unwrap(),
                    event["id"].as_str().unwrap_or(""),
                )
            }
            Some("comment") => comment(value["comment"].as_str().unwrap()),
            Some("error") => Msg::Error,
            _ => panic!("unexpected callback {value}"),
        };
        assert_eq!(&got, expected, "callback {value}");
    }

    async fn expect_all(&mut self, expected: &[Msg]) {
        for m in expected {
            self.expect(m).await;
        }
    }

    /// No callback for `limit`.
    async fn expect_nothing(&mut self, limit: Duration) {
        if let Some(value) = self.reorder.remove(&self.next) {
            panic!("unexpected callback {value}");
        }
        if let Ok(Some((_, value))) = tokio::time::timeout(limit, self.callbacks.recv()).await {
            panic!("unexpected callback {value}");
        }
    }

    async fn conn(&mut self) -> Conn {
        self.stream.next().await
    }

    /// Starts a client and answers its first request with a stream.
    async fn streaming(&mut self, extra: Value) -> Conn {
        self.create(extra).await;
        let mut conn = self.conn().await;
        conn.start_stream().await;
        conn
    }
}

async fn bounded<F: std::future::Future>(test: F) -> F::Output {
    tokio::time::timeout(TEST_LIMIT, test)
        .await
        .expect("the test took too long")
}

/// Runs one parsing case: the chunks, `delay` apart, on one stream.
async fn parse_case(chunks: Vec<Vec<u8>>, delay: Duration, expected: Vec<Msg>) {
    let mut harness = Harness::start().await;
    let mut conn = harness.streaming(json!({})).await;
    conn.write_chunks(&chunks, delay).await;
    harness.expect_all(&expected).await;
    drop(conn);
}

/// Runs every case concurrently (each with its own client and servers).
async fn run_cases(cases: Vec<(Vec<Vec<u8>>, Duration, Vec<Msg>)>) {
    let mut set = tokio::task::JoinSet::new();
    for (chunks, delay, expected) in cases {
        set.spawn(parse_case(chunks, delay, expected));
    }
    while let Some(result) = set.join_next().await {
        result.expect("a case failed");
    }
}

fn one(text: &str) -> Vec<Vec<u8>> {
    vec![text.as_bytes().to_vec()]
}

fn split(parts: &[&str]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.as_bytes().to_vec()).collect()
}

fn bytes_each(text: &[u8], n: usize) -> Vec<Vec<u8>> {
    text.chunks(n).map(<[u8]>::to_vec).collect()
}

const NOW: Duration = Duration::ZERO;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_status_and_lifecycle() {
    bounded(async {
        let mut harness = Harness::start().await;
        let status: Value = serde_json::from_str(
            &harness
                .http
                .get(&harness.service)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        )
        .unwrap();
        let capabilities: Vec<&str> = status["capabilities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        for cap in [
            "comments",
            "headers",
            "last-event-id",
            "post",
            "report",
            "read-timeout",
            "restart",
            "bom",
            "server-directed-shutdown-request",
        ] {
            assert!(capabilities.contains(&cap), "{cap} in {capabilities:?}");
        }
        // A bad body is a 400.
        let bad = harness
            .http
            .post(&harness.service)
            .body("{")
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 400);
        // DELETE <client> closes its connection.
        let mut conn = harness.streaming(json!({})).await;
        conn.write("data: Hello\n\n").await;
        harness.expect(&msg("Hello")).await;
        let client = harness.client.clone().unwrap();
        let deleted = harness.http.delete(&client).send().await.unwrap();
        assert!(deleted.status().is_success());
        assert!(
            conn.closed_by_client(WAIT).await,
            "DELETE closes the stream"
        );
        assert!(harness
            .stream
            .next_within(Duration::from_millis(500))
            .await
            .is_none());
        // DELETE / stops the service.
        let stopped = harness.http.delete(&harness.service).send().await.unwrap();
        assert!(stopped.status().is_success());
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(harness.http.get(&harness.service).send().await.is_err());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_parsing() {
    let hundred: String = (0..100).map(|i| format!("data: {i}\n\n")).collect();
    let hundred_expected: Vec<Msg> = (0..100).map(|i| msg(&i.to_string())).collect();
    let utf8 = "data: €豆腐\n\n".as_bytes();
    bounded(run_cases(vec![
        (one("data: Hello\n\n"), NOW, vec![msg("Hello")]),
        (
            split(&["data: Hel", "lo\n\n"]),
            Duration::from_millis(20),
            vec![msg("Hello")],
        ),
        (
            one("data: Hello\n\ndata: World\n\n"),
            NOW,
            vec![msg("Hello"), msg("World")],
        ),
        (
            one("data: Hello\ndata:World\n\n"),
            NOW,
            vec![msg("Hello\nWorld")],
        ),
        (
            split(&["data: test", "test\n\ndata:", "test\n\n"]),
            Duration::from_millis(20),
            vec![msg("testtest"), msg("test")],
        ),
        (one("data:\n\n"), NOW, vec![msg("")]),
        (one("data\n\ndata\ndata\n\n"), NOW, vec![msg(""), msg("\n")]),
        (
            one("event: greeting\ndata: Hello\n\n"),
            NOW,
            vec![ev("greeting", "Hello", "")],
        ),
        (
            one("data: Hello\n\n"),
            NOW,
            vec![ev("message", "Hello", "")],
        ),
        (
            one("id: abc\ndata: Hello\n\n"),
            NOW,
            vec![ev("message", "Hello", "abc")],
        ),
        (
            one("id: a\0bc\ndata: Hello\n\n"),
            NOW,
            vec![ev("message", "Hello", "")],
        ),
        (
            one("id: abc\ndata: Hello\n\ndata: World\n\n"),
            NOW,
            vec![ev("message", "Hello", "abc"), ev("message", "World", "abc")],
        ),
        (
            one("id: abc\ndata: Hello\n\nid: \ndata: World\n\n"),
            NOW,
            vec![ev("message", "Hello", "abc"), ev("message", "World", "")],
        ),
        (
            one("data: Hello\nid: abc\nevent: greeting\n\n"),
            NOW,
            vec![ev("greeting", "Hello", "abc")],
        ),
        (
            one("id: abc\nevent: greeting\ndata: Hello\n\n"),
            NOW,
            vec![ev("greeting", "Hello", "abc")],
        ),
        (one("color: blue\ndata: Hello\n\n"), NOW, vec![msg("Hello")]),
        (
            one("event:greeting\ndata:Hello\n\n"),
            NOW,
            vec![ev("greeting", "Hello", "")],
        ),
        (
            one("event:  greeting\ndata:  Hello\n\n"),
            NOW,
            vec![ev(" greeting", " Hello", "")],
        ),
        (vec![utf8.to_vec()], NOW, vec![msg("€豆腐")]),
        (
            bytes_each(utf8, 1),
            Duration::from_millis(20),
            vec![msg("€豆腐")],
        ),
        (one(&hundred), NOW, hundred_expected),
    ]))
    .await;
}

/// Base64 of `n` pseudo-random bytes.
fn base64_of(n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut out = String::with_capacity(n / 3 * 4 + 4);
    for _ in 0..n.div_ceil(3) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        for shift in [18, 12, 6, 0] {
            out.push(ALPHABET[((state >> shift) & 63) as usize] as char);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn very_long_lines() {
    let five = base64_of(5 << 20); // 6.99 MB
    let ten = base64_of(10 << 20); // 13.98 MB
    let half = ten.len() / 2;
    bounded(run_cases(vec![
        (one(&format!("data: {five}\n\n")), NOW, vec![msg(&five)]),
        (
            vec![
                format!("data: {}", &ten[..half]).into_bytes(),
                format!("{}\n\n", &ten[half..]).into_bytes(),
            ],
            Duration::from_millis(20),
            vec![msg(&ten)],
        ),
    ]))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bom() {
    let b = "\u{feff}";
    bounded(run_cases(vec![
        (one(&format!("{b}data: Hello\n\n")), NOW, vec![msg("Hello")]),
        (
            one(&format!("{b}event: greeting\nid: 1\ndata: Hello\n\n")),
            NOW,
            vec![ev("greeting", "Hello", "1")],
        ),
        (
            one(&format!("{b}id: 1\ndata: Hello\n\n")),
            NOW,
            vec![ev("message", "Hello", "1")],
        ),
        (
            one(&format!("{b}data: One\n\ndata: Two\n\ndata: Three\n\n")),
            NOW,
            vec![msg("One"), msg("Two"), msg("Three")],
        ),
        (
            one(&format!("{b}data: a\ndata: b\ndata: c\n\n")),
            NOW,
            vec![msg("a\nb\nc")],
        ),
        (
            one(&format!("{b}:a comment\ndata: Hello\n\n")),
            NOW,
            vec![comment("a comment"), msg("Hello")],
        ),
        (one(&format!("{b}data:\n\n")), NOW, vec![msg("")]),
        (
            vec![vec![0xEF, 0xBB], b"\xBFdata: Hello\n\n".to_vec()],
            Duration::from_millis(20),
            vec![msg("Hello")],
        ),
        (
            vec![
                vec![0xEF],
                vec![0xBB],
                vec![0xBF],
                b"data: Hello\n\n".to_vec(),
            ],
            Duration::from_millis(20),
            vec![msg("Hello")],
        ),
        (
            one(&format!("data: First\n\ndata: {b}Second\n\n")),
            NOW,
            vec![msg("First"), msg(&format!("{b}Second"))],
        ),
        (
            one(&format!("{b}data: {b}Hello\n\n")),
            NOW,
            vec![msg(&format!("{b}Hello"))],
        ),
    ]))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments() {
    bounded(async {
        // Reported at the end of the line, before any blank line.
        let mut harness = Harness::start().await;
        let mut conn = harness.streaming(json!({})).await;
        conn.write(":Hello\n").await;
        harness.expect(&comment("Hello")).await;
        drop(conn);
        run_cases(vec![
            (
                one(":Hello\n:World\n"),
                NOW,
                vec![comment("Hello"), comment("World")],
            ),
            (
                one(":Hello\ndata: Event\n\n"),
                NOW,
                vec![comment("Hello"), msg("Event")],
            ),
            (
                one("data: Event\n\n:Hello\n"),
                NOW,
                vec![msg("Event"), comment("Hello")],
            ),
            (one(": Hello\n"), NOW, vec![comment(" Hello")]),
        ])
        .await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_endings() {
    let mut cases = Vec::new();
    for eol in ["\n", "\r\n", "\r"] {
        let inputs: Vec<(String, Vec<Msg>)> = vec![
            (format!("data: Hello{eol}{eol}"), vec![msg("Hello")]),
            (
                format!("data: Hello{eol}{eol}data: Hello{eol}data: World{eol}{eol}"),
                vec![msg("Hello"), msg("Hello\nWorld")],
            ),
            (
                format!("data:{eol}data: line2{eol}data: line3{eol}{eol}"),
                vec![msg("\nline2\nline3")],
            ),
            (
                format!("data: line1{eol}data:{eol}data: line3{eol}{eol}"),
                vec![msg("line1\n\nline3")],
            ),
            (
                format!(
                    "data: Hello{eol}{eol}{eol}data: World{eol}{eol}{eol}{eol}data: !{eol}{eol}"
                ),
                vec![msg("Hello"), msg("World"), msg("!")],
            ),
        ];
        for (text, expected) in inputs {
            let text = text.into_bytes();
            cases.push((vec![text.clone()], NOW, expected.clone()));
            cases.push((
                bytes_each(&text, 1),
                Duration::from_millis(10),
                expected.clone(),
            ));
            cases.push((bytes_each(&text, 2), Duration::from_millis(10), expected));
        }
    }
    // A CR ending one write and the LF starting the next are one line end.
    cases.push((
        split(&[
            "data: Hello\r",
            "\ndata: World\r",
            "\n\r\ndata: OK\r",
            "\n",
            "\r",
            "\n",
        ]),
        Duration::from_millis(20),
        vec![msg("Hello\nWorld"), msg("OK")],
    ));
    bounded(run_cases(cases)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_first_request_and_content_type() {
    bounded(async {
        let mut harness = Harness::start().await;
        harness.create(json!({})).await;
        let mut conn = harness.conn().await;
        let request = &conn.request;
        assert_eq!(request.method, "GET");
        assert_eq!(request.header("accept"), Some("text/event-stream"));
        assert_eq!(request.header("cache-control"), Some("no-cache"));
        assert!(request.headers("last-event-id").is_empty(), "{request:?}");
        // The stream head says `text/event-stream; charset=utf-8`.
        conn.start_stream().await;
        conn.write("data: Hello\n\n").await;
        harness.expect(&msg("Hello")).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_204_stops_the_client() {
    bounded(async {
        let mut harness = Harness::start().await;
        harness.create(json!({})).await;
        let conn = harness.conn().await;
        conn.respond("204 No Content", &[], b"").await;
        assert!(
            harness
                .stream
                .next_within(Duration::from_secs(1))
                .await
                .is_none(),
            "exactly one request within 1 s"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_redirects_are_followed() {
    bounded(async {
        for status in ["301 Moved Permanently", "307 Temporary Redirect"] {
            let mut harness = Harness::start().await;
            harness.create(json!({})).await;
            let target = harness.stream.url("/target");
            let conn = harness.conn().await;
            conn.respond(status, &[("Location", &target)], b"").await;
            let mut conn = harness.conn().await;
            assert_eq!(conn.request.path, "/target", "{status}");
            assert_eq!(conn.request.header("accept"), Some("text/event-stream"));
            conn.start_stream().await;
            conn.write("data: Hello\n\n").await;
            harness.expect(&msg("Hello")).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_redirects_without_location_are_errors() {
    bounded(async {
        for status in ["301 Moved Permanently", "307 Temporary Redirect"] {
            for location in [Some(""), None] {
                let mut harness = Harness::start().await;
                harness.create(json!({})).await;
                let conn = harness.conn().await;
                let headers: Vec<(&str, &str)> =
                    location.map(|l| ("Location", l)).into_iter().collect();
                conn.respond(status, &headers, b"data: not a stream\n\n")
                    .await;
                // An empty Location may be tried once (it resolves to the
                // same URL): answer that one the same way.
                if let Some(conn) = harness.stream.next_within(Duration::from_millis(300)).await {
                    conn.respond(status, &headers, b"data: not a stream\n\n")
                        .await;
                }
                harness.expect(&Msg::Error).await;
                assert!(
                    harness
                        .stream
                        .next_within(Duration::from_secs(1))
                        .await
                        .is_none(),
                    "{status} {location:?}: no loop"
                );
                harness.expect_nothing(Duration::from_millis(100)).await;
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_custom_headers() {
    bounded(async {
        let mut harness = Harness::start().await;
        harness
            .create(json!({ "headers": { "X-Custom": "value 1", "Authorization": "Bearer abc" } }))
            .await;
        let conn = harness.conn().await;
        assert_eq!(conn.request.header("x-custom"), Some("value 1"));
        assert_eq!(conn.request.header("authorization"), Some("Bearer abc"));
        assert_eq!(conn.request.header("accept"), Some("text/event-stream"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_post_and_report_with_body_repeated_on_reconnection() {
    bounded(async {
        for method in ["POST", "REPORT"] {
            let mut harness = Harness::start().await;
            let mut conn = harness
                .streaming(json!({
                    "method": method,
                    "body": "{\"hello\": \"world\"}",
                    "headers": { "Content-Type": "application/json" },
                }))
                .await;
            for _ in 0..2 {
                assert_eq!(conn.request.method, method);
                assert_eq!(conn.request.body, b"{\"hello\": \"world\"}");
                assert_eq!(
                    conn.request.header("content-type"),
                    Some("application/json")
                );
                conn.write("id: 1\ndata: Hello\n\n").await;
                harness.expect(&ev("message", "Hello", "1")).await;
                conn.close().await;
                conn = harness.conn().await;
                conn.start_stream().await;
                assert_eq!(conn.request.header("last-event-id"), Some("1"));
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_initial_last_event_id() {
    bounded(async {
        let mut harness = Harness::start().await;
        let mut conn = harness.streaming(json!({ "lastEventId": "abc" })).await;
        assert_eq!(conn.request.header("last-event-id"), Some("abc"));
        conn.write("data: Hello\n\n").await;
        harness.expect(&ev("message", "Hello", "abc")).await;
        conn.close().await;
        let conn = harness.conn().await;
        assert_eq!(conn.request.header("last-event-id"), Some("abc"));
    })
    .await;
}

/// Sends `first` on a stream, ends it, and returns the reconnection.
async fn reconnect_after(harness: &mut Harness, first: &str, expected: &[Msg]) -> Conn {
    let mut conn = harness.streaming(json!({})).await;
    conn.write(first).await;
    harness.expect_all(expected).await;
    conn.close().await;
    let started = std::time::Instant::now();
    let mut conn = harness.conn().await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "initialDelayMs 0 is honoured"
    );
    conn.start_stream().await;
    conn
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnection_and_last_event_id() {
    bounded(async {
        // A clean end is followed by a reconnection, without an ID.
        let mut harness = Harness::start().await;
        let conn = reconnect_after(&mut harness, "data: Hello\n\n", &[msg("Hello")]).await;
        assert!(conn.request.headers("last-event-id").is_empty());

        let mut harness = Harness::start().await;
        let mut conn = reconnect_after(
            &mut harness,
            "id: abc\ndata: Hello\n\n",
            &[ev("message", "Hello", "abc")],
        )
        .await;
        assert_eq!(conn.request.header("last-event-id"), Some("abc"));
        // The new stream works, IDs included.
        conn.write("id: def\ndata: World\n\n").await;
        harness.expect(&ev("message", "World", "def")).await;

        let mut harness = Harness::start().await;
        let conn = reconnect_after(
            &mut harness,
            "id: abc\ndata: Hello\n\ndata: World\n\n",
            &[ev("message", "Hello", "abc"), ev("message", "World", "abc")],
        )
        .await;
        assert_eq!(conn.request.header("last-event-id"), Some("abc"));

        // `id:` empty: no header at all on the reconnection.
        let mut harness = Harness::start().await;
        let conn = reconnect_after(
            &mut harness,
            "id: abc\ndata: Hello\n\nid: \ndata: World\n\n",
            &[ev("message", "Hello", "abc"), ev("message", "World", "")],
        )
        .await;
        assert!(
            conn.request.headers("last-event-id").is_empty(),
            "{:?}",
            conn.request
        );

        // The unfinished block and its ID are discarded.
        let mut harness = Harness::start().await;
        let mut conn = reconnect_after(
            &mut harness,
            "id: abc\ndata: Hello\n\nid: def\ndata: Goodbye",
            &[ev("message", "Hello", "abc")],
        )
        .await;
        assert_eq!(conn.request.header("last-event-id"), Some("abc"));
        conn.write("data: World\n\n").await;
        harness.expect(&ev("message", "World", "abc")).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_timeout() {
    bounded(async {
        let mut harness = Harness::start().await;
        let mut conn = harness.streaming(json!({ "readTimeoutMs": 500 })).await;
        // Any byte restarts the timer: keep-alives every 200 ms for 1.5 s.
        conn.write("id: 1\ndata: Hello\n\n").await;
        harness.expect(&ev("message", "Hello", "1")).await;
        for _ in 0..7 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            conn.write(":\n").await;
            harness.expect(&comment("")).await;
        }
        assert!(harness.stream.next_within(Duration::ZERO).await.is_none());
        // Silent for 1 s: an error, then a new connection with the ID.
        conn.write("data: Last\n\n").await;
        harness.expect(&ev("message", "Last", "1")).await;
        let started = std::time::Instant::now();
        let mut next = harness.conn().await;
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        harness.expect(&Msg::Error).await;
        assert!(conn.closed_by_client(Duration::from_secs(1)).await);
        assert_eq!(next.request.header("last-event-id"), Some("1"));
        next.start_stream().await;
        next.write("data: Again\n\n").await;
        harness.expect(&ev("message", "Again", "1")).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_command() {
    bounded(async {
        let mut harness = Harness::start().await;
        let mut conn = harness.streaming(json!({})).await;
        conn.write("id: 1\ndata: Hello\n\n").await;
        harness.expect(&ev("message", "Hello", "1")).await;
        harness.command("restart").await;
        assert!(
            conn.closed_by_client(WAIT).await,
            "restart closes the connection"
        );
        let mut next = harness.conn().await;
        assert_eq!(next.request.path, "/");
        assert_eq!(next.request.header("last-event-id"), Some("1"));
        next.start_stream().await;
        next.write("data: World\n\n").await;
        harness.expect(&ev("message", "World", "1")).await;
        // `listen` is accepted.
        harness.command("listen").await;
    })
    .await;
}
