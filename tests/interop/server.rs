//! The interop test server: axum on 127.0.0.1 with an ephemeral port, the
//! event stream encoded by [`SseStream`], and a record of the
//! `Last-Event-ID` header of every connection.
//!
//! - `GET /events`: the first connection gets [`first_connection`] (a
//!   `retry`, a comment, the events, then an unterminated event that must be
//!   discarded) and is closed; the second gets [`second_connection`]'s one
//!   event and is closed; every later one gets `204 No Content`, which tells
//!   the client to stop.
//! - `GET /page`: `page.html`, whose `EventSource` reads `/events` and writes
//!   what it received into the DOM.
//! - `POST /report`: the page's result; `GET /hold` answers only once it
//!   arrived, so that the page is still loading until then.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use futures_util::stream::{self, StreamExt};
use sse_codec_tokio::{Event, Message, SseStream, RESPONSE_HEADERS};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The reconnection time the server sets, in milliseconds: small, so that
/// the tests are quick.
pub(crate) const RETRY_MS: u64 = 100;

/// How long `/hold` waits for the page's report at most.
const HOLD_TIMEOUT: Duration = Duration::from_secs(60);

/// What the first connection sends, after `retry: 100` (the stream then
/// ends with the bytes `data: never dispatched`, an event without its
/// closing empty line).
pub(crate) fn first_connection() -> Vec<Message> {
    vec![
        Message::Comment("a comment, which clients ignore".into()),
        Event::new("hello")
            .with_event_type("greeting")
            .with_id("1")
            .into(),
        // LF, CR and CRLF inside data: one `data:` line per line.
        Event::new("line 1\nline 2\rline 3\r\nline 4")
            .with_event_type("update")
            .with_id("2")
            .into(),
        // Empty data: written `data:`, it arrives as the empty string.
        Event::new("").with_id("3").into(),
        // Only line breaks, and empty lines among them. (An `Event`'s ID is
        // the last event ID after it: `StreamEncoder` writes `id` only when
        // it changes, so these three carry no `id` line.)
        Event::new("\r\n").with_id("3").into(),
        Event::new("1\r\n\r\n2\r\r3\n\n4").with_id("3").into(),
        // A leading space survives; a trailing CR is a last, empty line.
        Event::new(" leading space, trailing CR\r")
            .with_id("3")
            .into(),
        // Non-ASCII text, in the data, the type and the ID.
        Event::new("caf\u{e9} \u{1f600} a\u{2028}b \u{65e5}\u{672c}")
            .with_event_type("\u{fc}nicode")
            .with_id("\u{e9}-4")
            .into(),
        // `id:` with an empty value resets the last event ID.
        Event::new("no id").with_event_type("update").into(),
        Message::Comment("keep-alive\nin two lines".into()),
        Event::new("{\"last\":true}").with_id("5").into(),
    ]
}

/// The unterminated event that ends the first connection.
const UNTERMINATED: &[u8] = b"data: never dispatched";

/// What the second connection sends.
pub(crate) fn second_connection() -> Vec<Message> {
    vec![Event::new("after the reconnection")
        .with_event_type("end")
        .with_id("6")
        .into()]
}

/// An event as a client reports it: `event.type`, `event.data`,
/// `event.lastEventId`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Received {
    pub(crate) event_type: String,
    pub(crate) data: String,
    pub(crate) last_event_id: String,
}

fn received(event_type: &str, data: &str, last_event_id: &str) -> Received {
    Received {
        event_type: event_type.into(),
        data: data.into(),
        last_event_id: last_event_id.into(),
    }
}

/// What a client must receive, in order, across both connections, as the
/// spec says it arrives: every line break in data (CR, LF, CRLF) is LF, the
/// type is `message` when none was given, and `lastEventId` is the last ID
/// seen, kept from event to event until an `id` field changes it.
pub(crate) fn expected() -> Vec<Received> {
    vec![
        received("greeting", "hello", "1"),
        received("update", "line 1\nline 2\nline 3\nline 4", "2"),
        received("message", "", "3"),
        received("message", "\n", "3"),
        received("message", "1\n\n2\n\n3\n\n4", "3"),
        received("message", " leading space, trailing CR\n", "3"),
        received(
            "\u{fc}nicode",
            "caf\u{e9} \u{1f600} a\u{2028}b \u{65e5}\u{672c}",
            "\u{e9}-4",
        ),
        received("update", "no id", ""),
        received("message", "{\"last\":true}", "5"),
        received("end", "after the reconnection", "6"),
    ]
}

/// What a client that reports, as `lastEventId`, only the `id` field of the
/// event's own block (`""` when it has none) receives: the npm `eventsource`
/// package before 5.1.1 (`lastEventId: event.id || ""`; its PR #358 fixed it
/// in the 5.x line, which needs Node 22). It still keeps the right last event
/// ID for `Last-Event-ID`. Every `id` field is the one `StreamEncoder`
/// writes: only where the ID changes.
pub(crate) fn expected_with_own_ids_only() -> Vec<Received> {
    let mut id_fields = Vec::new();
    for (messages, mut last) in [
        (first_connection(), String::new()),
        (second_connection(), "5".to_owned()),
    ] {
        for message in messages {
            if let Message::Event(event) = message {
                if event.id() == last {
                    id_fields.push(None);
                } else {
                    last = event.id().to_owned();
                    id_fields.push(Some(last.clone()));
                }
            }
        }
    }
    let expected = expected();
    assert_eq!(id_fields.len(), expected.len());
    expected
        .into_iter()
        .zip(id_fields)
        .map(|(received, id_field)| Received {
            last_event_id: id_field.unwrap_or_default(),
            ..received
        })
        .collect()
}

/// The `Last-Event-ID` headers the server must see: none on the first
/// connection, then the last ID of the one before.
pub(crate) fn expected_last_event_ids() -> Vec<Option<String>> {
    vec![None, Some("5".into()), Some("6".into())]
}

/// The event types to listen for (`addEventListener`): all that are sent.
pub(crate) fn event_types() -> Vec<String> {
    let mut types: Vec<String> = expected().into_iter().map(|r| r.event_type).collect();
    types.sort();
    types.dedup();
    types
}

struct Shared {
    /// The `Last-Event-ID` header of each `/events` request, in order.
    last_event_ids: Mutex<Vec<Option<String>>>,
    /// The page's report, once it arrived.
    report: watch::Sender<Option<String>>,
    page: String,
}

/// A running test server; stops when dropped.
pub(crate) struct TestServer {
    /// `http://127.0.0.1:<port>`.
    pub(crate) base: String,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl TestServer {
    /// Binds an ephemeral port on 127.0.0.1 and serves.
    pub(crate) async fn start() -> TestServer {
        let types = serde_json::to_string(&event_types()).expect("strings serialize");
        let page = include_str!("page.html").replace("__EVENT_TYPES__", &types);
        let shared = Arc::new(Shared {
            last_event_ids: Mutex::new(Vec::new()),
            report: watch::Sender::new(None),
            page,
        });
        let app = Router::new()
            .route("/events", get(events))
            .route("/page", get(serve_page))
            .route("/report", post(report))
            .route("/hold", get(hold))
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let base = format!("http://{}", listener.local_addr().expect("local address"));
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        TestServer { base, shared, task }
    }

    /// The `Last-Event-ID` header of each connection to `/events` so far.
    pub(crate) fn last_event_ids(&self) -> Vec<Option<String>> {
        self.shared
            .last_event_ids
            .lock()
            .expect("not poisoned")
            .clone()
    }

    /// What the page posted to `/report`, if it did.
    pub(crate) fn report(&self) -> Option<String> {
        self.shared.report.borrow().clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn events(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    // Kept as sent, even if it is not valid UTF-8 (then lossily).
    let last_event_id = headers
        .get("last-event-id")
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    let connection = {
        let mut ids = shared.last_event_ids.lock().expect("not poisoned");
        ids.push(last_event_id.clone());
        ids.len()
    };
    let body = match connection {
        1 => {
            let encoded = SseStream::new(stream::iter(first_connection())).retry(RETRY_MS);
            let tail = stream::iter([Ok(Bytes::from_static(UNTERMINATED))]);
            Body::from_stream(encoded.chain(tail))
        }
        2 => {
            let encoded = SseStream::new(stream::iter(second_connection()))
                .resuming(last_event_id.as_deref().unwrap_or(""));
            Body::from_stream(encoded)
        }
        _ => return StatusCode::NO_CONTENT.into_response(),
    };
    let mut response = Response::builder();
    for (name, value) in RESPONSE_HEADERS {
        response = response.header(name, value);
    }
    response.body(body).expect("valid headers")
}

async fn serve_page(State(shared): State<Arc<Shared>>) -> Response {
    (
        [("content-type", "text/html; charset=utf-8")],
        shared.page.clone(),
    )
        .into_response()
}

async fn report(State(shared): State<Arc<Shared>>, body: String) -> StatusCode {
    shared.report.send_replace(Some(body));
    StatusCode::NO_CONTENT
}

async fn hold(State(shared): State<Arc<Shared>>) -> StatusCode {
    let mut report = shared.report.subscribe();
    // Bounded: the page loads in the end even if it never reports.
    let _ = tokio::time::timeout(HOLD_TIMEOUT, report.wait_for(Option::is_some)).await;
    StatusCode::NO_CONTENT
}
