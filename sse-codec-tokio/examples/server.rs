//! An axum server with the classic event stream scenarios, each sent as an
//! [`SseStream`] (keep-alive comments every 15 s), which is the whole
//! response with the `axum` feature.
//!
//! ```text
//! cargo run -p sse-codec-tokio --features axum --example server   # PORT=3000 by default
//! curl -N http://127.0.0.1:3000/words
//! curl -N http://127.0.0.1:3000/chat -d '{"message": "Hello"}'
//! curl -N http://127.0.0.1:3000/progress
//! curl -N http://127.0.0.1:3000/logs -H 'Last-Event-ID: 42'
//! curl -N http://127.0.0.1:3000/metrics
//! cargo run -p sse-codec-tokio --example client          # follows /logs
//! ```
//!
//! - `/words`: a sentence, one word per event, then a `done` event.
//! - `/chat` (POST): the body is the prompt, as text or as JSON (`{"message":
//!   "..."}` or a JSON string); the reply streams as a `start` event, one
//!   `message` event per token (`{"delta":"..."}`, as LLM APIs do) and a
//!   `done` event.
//! - `/progress`: `progress` events from 0 to 100 (`{"percent":n}`), then `done`.
//! - `/logs`: a live log tail, one line every 200 ms, each with its line
//!   number as ID. A request with `Last-Event-ID: n` resumes at line n + 1.
//!   Each connection ends after 10 lines, as if a proxy cut it: `EventSource`
//!   (and `sse_codec_tokio::reconnect`) reconnect after the `retry` time (1 s)
//!   and resume without losing or repeating a line.
//! - `/metrics`: a `metrics` event every 500 ms for 10 s (`METRICS_SECS`),
//!   then a `done` event with ID `end`, and the stream closes. How it tells
//!   clients to stop: a client that handles `done` closes itself; one that
//!   just reconnects sends `Last-Event-ID: end` and gets `204 No Content`,
//!   which stops `EventSource` and `reconnect` for good.

use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use futures_util::stream::{self, Stream, StreamExt};
use sse_codec_tokio::{Event, Message, SseStream};

/// The keep-alive interval: proxies close connections idle for longer.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = match std::env::var("PORT") {
        Ok(port) => port.parse().expect("PORT must be a port number"),
        Err(_) => 3000,
    };
    let app = Router::new()
        .route("/", get(index))
        .route("/words", get(words))
        .route("/chat", post(chat))
        .route("/progress", get(progress))
        .route("/logs", get(logs))
        .route("/metrics", get(metrics));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let base = format!("http://{}", listener.local_addr()?);
    println!("Event streams on {base}:");
    println!("  {base}/words     word by word");
    println!("  {base}/chat      POST a prompt (text or JSON): the reply token by token");
    println!("  {base}/progress  a progress bar, 0 to 100%");
    println!("  {base}/logs      a log tail, resumable with Last-Event-ID");
    println!(
        "  {base}/metrics   a metrics feed that ends after {}s",
        metrics_secs()
    );
    println!("Try: curl -N {base}/words   or   curl -N {base}/chat -d '{{\"message\":\"Hi\"}}'");
    axum::serve(listener, app).await
}

/// An event stream response: the headers, then `events` encoded, with
/// keep-alive comments while it is idle.
fn sse<S>(events: S) -> Response
where
    S: Stream<Item = Message> + Send + 'static,
{
    SseStream::new(events)
        .keep_alive(KEEP_ALIVE)
        .into_response()
}

/// Yields `items`, one every `interval` (the first one at once).
fn paced<T: Send + 'static>(
    items: Vec<T>,
    interval: Duration,
) -> impl Stream<Item = T> + Send + 'static {
    let mut first = true;
    stream::iter(items).then(move |item| {
        let delay = if std::mem::take(&mut first) {
            Duration::ZERO
        } else {
            interval
        };
        async move {
            tokio::time::sleep(delay).await;
            item
        }
    })
}

fn done(data: &str) -> Message {
    Event::new(data).with_event_type("done").into()
}

async fn index() -> &'static str {
    "sse-codec-tokio example server: GET /words, POST /chat, GET /progress, GET /logs, GET /metrics\n"
}

async fn words() -> Response {
    const TEXT: &str =
        "Server-sent events stream text from a server to a browser over plain HTTP, \
                        one event at a time, and the browser reconnects by itself.";
    let words: Vec<Message> = TEXT
        .split(' ')
        .map(|word| Event::new(word).into())
        .collect();
    sse(paced(words, Duration::from_millis(150)).chain(stream::once(async { done("") })))
}

async fn chat(body: String) -> Response {
    // The prompt: a JSON object's "message", a JSON string, or the text itself.
    let prompt = match serde_json::from_str::<serde_json::Value>(&body) {
        Ok(serde_json::Value::Object(object)) => match object.get("message") {
            Some(serde_json::Value::String(message)) => message.clone(),
            _ => body,
        },
        Ok(serde_json::Value::String(text)) => text,
        _ => body,
    };
    let prompt = prompt.trim();
    let reply = format!(
        "You said \u{201c}{prompt}\u{201d} ({} characters). This reply arrives token by token, \
         each token one event, the way language models stream their answers.",
        prompt.chars().count()
    );
    // Split into tokens that keep their leading space, like LLM tokens.
    let mut tokens = Vec::new();
    let mut start = 0;
    for (i, _) in reply.match_indices(' ') {
        tokens.push(&reply[start..i]);
        start = i;
    }
    tokens.push(&reply[start..]);
    let count = tokens.len();
    let messages: Vec<Message> = tokens
        .into_iter()
        .map(|token| Event::new(serde_json::json!({ "delta": token }).to_string()).into())
        .collect();
    let start = Event::new(serde_json::json!({ "prompt": prompt }).to_string())
        .with_event_type("start")
        .into();
    let end = done(&serde_json::json!({ "tokens": count }).to_string());
    sse(stream::once(async { start })
        .chain(paced(messages, Duration::from_millis(80)))
        .chain(stream::once(async { end })))
}

async fn progress() -> Response {
    let steps = (0..=100).step_by(5).map(|percent| {
        Event::new(format!("{{\"percent\":{percent}}}"))
            .with_event_type("progress")
            .into()
    });
    sse(
        paced(steps.collect::<Vec<Message>>(), Duration::from_millis(250))
            .chain(stream::once(async { done("complete") })),
    )
}

/// Lines per connection to `/logs` before the server ends it.
const LOG_LINES_PER_CONNECTION: u64 = 10;

async fn logs(headers: HeaderMap) -> Response {
    let last: Option<u64> = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok());
    let first = last.map_or(1, |n| n + 1);
    match last {
        Some(n) => println!("/logs: a client resumes after line {n}"),
        None => println!("/logs: a new client"),
    }
    let lines = (first..first + LOG_LINES_PER_CONNECTION)
        .map(|n| -> Message { Event::new(log_line(n)).with_id(&n.to_string()).into() });
    let events = paced(lines.collect::<Vec<_>>(), Duration::from_millis(200));
    let mut body = SseStream::new(events).keep_alive(KEEP_ALIVE).retry(1000);
    if let Some(n) = last {
        // The client already has this ID: the encoder need not repeat it.
        body = body.resuming(&n.to_string());
    }
    body.into_response()
}

/// Line `n` of the log: the same text whenever it is sent again.
fn log_line(n: u64) -> String {
    const LEVELS: [&str; 4] = ["INFO", "INFO", "DEBUG", "WARN"];
    const MESSAGES: [&str; 5] = [
        "GET /api/items 200 12ms",
        "cache hit ratio 0.93",
        "POST /api/orders 201 48ms",
        "slow query: 812ms (select * from orders)",
        "worker 3 heartbeat",
    ];
    format!(
        "{:<5} {}",
        LEVELS[(n % 4) as usize],
        MESSAGES[(n % 5) as usize]
    )
}

fn metrics_secs() -> u64 {
    std::env::var("METRICS_SECS")
        .ok()
        .and_then(|secs| secs.parse().ok())
        .unwrap_or(10)
}

async fn metrics(headers: HeaderMap) -> Response {
    if headers
        .get("last-event-id")
        .is_some_and(|value| value == "end")
    {
        // The feed is over and this client knows it: tell it to stop.
        return StatusCode::NO_CONTENT.into_response();
    }
    let started = Instant::now();
    let duration = Duration::from_secs(metrics_secs());
    let ticks = stream::unfold(0u64, move |tick| async move {
        if tick > 0 {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let elapsed = started.elapsed();
        if elapsed >= duration {
            return None;
        }
        // Made-up but plausible numbers.
        let cpu = 35.0 + 20.0 * ((tick as f64) / 3.0).sin();
        let rss = 120 + (tick * 7) % 40;
        let json = format!(
            "{{\"t\":{:.1},\"cpu\":{cpu:.1},\"rss_mb\":{rss}}}",
            elapsed.as_secs_f64()
        );
        let event: Message = Event::new(json).with_event_type("metrics").into();
        Some((event, tick + 1))
    });
    let end = Event::new("metrics feed ended")
        .with_event_type("done")
        .with_id("end")
        .into();
    sse(ticks.chain(stream::once(async { end })))
}
