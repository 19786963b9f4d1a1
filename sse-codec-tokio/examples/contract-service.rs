//! The test service of LaunchDarkly's `sse-contract-tests` around
//! [`EventSource`](sse_codec_tokio::EventSource) (see
//! `shared/CONTRACT-TESTS.md`, and `tests/contract.rs`, which drives it the
//! way that harness does).
//!
//! ```text
//! cargo run --release -p sse-codec-tokio --example contract-service --features reqwest -- --port 8000
//! ```
//!
//! - `GET /`: `{"capabilities": [...]}`.
//! - `POST /` with `{"streamUrl", "callbackUrl", "initialDelayMs",
//!   "readTimeoutMs", "lastEventId", "headers", "method", "body"}`: starts a
//!   client; answers 201 with `Location: /clients/N`.
//! - `POST /clients/N` with `{"command": "restart"}` (or `"listen"`, a no-op:
//!   clients listen from the start): 202.
//! - `DELETE /clients/N` closes that client; `DELETE /` stops the service.
//!
//! Each client POSTs what it receives to `callbackUrl/1`, `/2`, ... in
//! order: `{"kind": "event", "event": {"type", "data", "id"}}`,
//! `{"kind": "comment", "comment"}` or `{"kind": "error", "error"}`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;
use sse_codec_tokio::eventsource::{client_builder, Update};
use sse_codec_tokio::{Backoff, RequestBuilderExt};
use tokio::sync::{mpsc, oneshot};

/// What the service declares.
pub(crate) const CAPABILITIES: &[&str] = &[
    "comments",
    "headers",
    "last-event-id",
    "post",
    "report",
    "read-timeout",
    "restart",
    "bom",
    "server-directed-shutdown-request",
];

/// The `POST /` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Config {
    stream_url: String,
    callback_url: String,
    initial_delay_ms: Option<u64>,
    read_timeout_ms: Option<u64>,
    last_event_id: Option<String>,
    headers: Option<HashMap<String, String>>,
    method: Option<String>,
    body: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Command {
    command: String,
}

#[derive(Default)]
struct Service {
    next_id: AtomicU64,
    /// Each client's command channel; dropping it closes the client.
    clients: Mutex<HashMap<u64, mpsc::Sender<()>>>,
    stop: Mutex<Option<oneshot::Sender<()>>>,
}

type Shared = Arc<Service>;

/// Serves the test service on `listener` until `DELETE /`.
pub(crate) async fn serve(listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = oneshot::channel();
    let service = Shared::default();
    *lock(&service.stop) = Some(stop_tx);
    let app = Router::new()
        .route("/", get(status).post(create).delete(shutdown))
        .route("/clients/{id}", post(command).delete(delete))
        .with_state(service);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = stop_rx.await;
        })
        .await
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn status() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        json!({ "capabilities": CAPABILITIES }).to_string(),
    )
}

async fn shutdown(State(service): State<Shared>) -> StatusCode {
    lock(&service.clients).clear();
    if let Some(stop) = lock(&service.stop).take() {
        let _ = stop.send(());
    }
    StatusCode::NO_CONTENT
}

async fn create(State(service): State<Shared>, body: Bytes) -> Response {
    let config: Config = match serde_json::from_slice(&body) {
        Ok(config) => config,
        Err(error) => return (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
    };
    let id = service.next_id.fetch_add(1, Ordering::Relaxed) + 1;
    let (commands, receiver) = mpsc::channel(8);
    match start(config, receiver) {
        Ok(()) => {
            lock(&service.clients).insert(id, commands);
            (
                StatusCode::CREATED,
                [(header::LOCATION, format!("/clients/{id}"))],
            )
                .into_response()
        }
        Err(error) => (StatusCode::BAD_REQUEST, error).into_response(),
    }
}

async fn command(
    State(service): State<Shared>,
    Path(id): Path<u64>,
    body: Bytes,
) -> Result<StatusCode, (StatusCode, String)> {
    let command: Command = serde_json::from_slice(&body)
        .map_err(|error| (StatusCode::BAD_REQUEST, error.to_string()))?;
    let sender = lock(&service.clients)
        .get(&id)
        .cloned()
        .ok_or((StatusCode::NOT_FOUND, format!("no client {id}")))?;
    match command.command.as_str() {
        "restart" => {
            let _ = sender.send(()).await;
            Ok(StatusCode::ACCEPTED)
        }
        "listen" => Ok(StatusCode::ACCEPTED),
        other => Err((StatusCode::BAD_REQUEST, format!("unknown command {other}"))),
    }
}

async fn delete(State(service): State<Shared>, Path(id): Path<u64>) -> StatusCode {
    match lock(&service.clients).remove(&id) {
        Some(_) => StatusCode::NO_CONTENT,
        None => StatusCode::NOT_FOUND,
    }
}

/// Starts a client for `config`; it runs until its command channel closes
/// or its stream ends.
fn start(config: Config, mut commands: mpsc::Receiver<()>) -> Result<(), String> {
    let client = client_builder().build().map_err(|e| e.to_string())?;
    let method = config.method.as_deref().unwrap_or("GET");
    let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    let mut request = client.request(method, &config.stream_url);
    for (name, value) in config.headers.iter().flatten() {
        request = request.header(name, value);
    }
    if let Some(body) = config.body {
        request = request.body(body);
    }
    let mut events = request
        .event_source()
        .repeat_request(true)
        .backoff(Backoff {
            initial: Duration::from_millis(config.initial_delay_ms.unwrap_or(1000)),
            ..Backoff::default()
        })
        .with_last_event_id(config.last_event_id.as_deref().unwrap_or(""));
    if let Some(ms) = config.read_timeout_ms {
        events = events.idle_timeout(Duration::from_millis(ms));
    }
    let callbacks = client_builder()
        .timeout(Duration::from_secs(10)) // callbacks are short requests, not streams
        .build()
        .map_err(|e| e.to_string())?;
    let callback_url = config.callback_url.trim_end_matches('/').to_owned();
    tokio::spawn(async move {
        let mut counter = 0u64;
        loop {
            let item = tokio::select! {
                command = commands.recv() => match command {
                    Some(()) => { events.restart(); continue; }
                    None => break, // deleted
                },
                item = events.next() => match item {
                    Some(item) => item,
                    None => break,
                },
            };
            let message = match item {
                Ok(Update::Event(event)) => json!({
                    "kind": "event",
                    "event": { "type": event.event_type(), "data": event.data(), "id": event.id() },
                }),
                Ok(Update::Comment(comment)) => json!({ "kind": "comment", "comment": comment }),
                Ok(_) => continue,
                Err(error) => json!({ "kind": "error", "error": error.to_string() }),
            };
            counter += 1;
            let url = format!("{callback_url}/{counter}");
            if let Err(error) = callbacks
                .post(&url)
                .header(header::CONTENT_TYPE.as_str(), "application/json")
                .body(message.to_string())
                .send()
                .await
            {
                eprintln!("callback {url} failed: {error}");
            }
        }
    });
    Ok(())
}

#[allow(dead_code)] // the tests include this file for `serve`, not `main`
#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut port = 8000u16;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                port = args
                    .next()
                    .and_then(|p| p.parse().ok())
                    .ok_or_else(|| std::io::Error::other("--port needs a number"))?;
            }
            other => return Err(std::io::Error::other(format!("unknown argument {other}"))),
        }
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("contract service on http://127.0.0.1:{port}");
    serve(listener).await
}
