//! A hub node over HTTP, for clients in any language.
//!
//! ```text
//! cargo run --release -p sse-codec-hub --features redis --example node -- \
//!     --listen 127.0.0.1:8080 --redis redis://127.0.0.1:6379/ --history 10000 \
//!     --keep-alive-ms 15000 --retry-ms 1000
//! ```
//!
//! - `POST /topics/{topic}[?type=NAME]`: the body (UTF-8) is the event's
//!   data; answers `200` with the event's ID as `text/plain`.
//! - `GET /topics/{topic}`: `text/event-stream`, every event with its
//!   `id:`; resumes after the `Last-Event-ID` header, or after the
//!   `last_event_id` query parameter when there is no header; with neither,
//!   only events published from now on.
//! - CORS: preflight answered, `Access-Control-Allow-Origin: *` everywhere.
//!
//! Without `--redis` the hub is in memory; `--redis` needs the `redis`
//! feature.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sse_codec_hub::{Error, Event, Hub};
use sse_codec_tokio::SseStream;

/// The node's settings, from its command line.
#[derive(Clone, Debug)]
pub struct Options {
    /// `--listen ADDR:PORT` (default 127.0.0.1:8080).
    pub listen: SocketAddr,
    /// `--redis URL`; in memory without.
    pub redis: Option<String>,
    /// `--history N`: events kept per topic (default 10000).
    pub history: usize,
    /// `--keep-alive-ms MS` (default 15000).
    pub keep_alive: Duration,
    /// `--retry-ms MS`: the `retry` sent at the start of each stream.
    pub retry_ms: Option<u64>,
    /// Not a flag: [`SseStream::max_chunk`] when set (the fan-out bench
    /// compares one chunk per wake-up with one chunk per event).
    pub max_chunk: Option<usize>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            redis: None,
            history: sse_codec_hub::DEFAULT_HISTORY,
            keep_alive: Duration::from_millis(15_000),
            retry_ms: None,
            max_chunk: None,
        }
    }
}

const USAGE: &str = "usage: node [--listen ADDR:PORT] [--redis URL] [--history N] \
                     [--keep-alive-ms MS] [--retry-ms MS]";

/// Reads the flags (after the program name).
pub fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut options = Options::default();
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Err(USAGE.to_owned());
        }
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let bad = |what: &str| format!("{flag} {value:?}: {what}\n{USAGE}");
        match flag.as_str() {
            "--listen" => options.listen = value.parse().map_err(|_| bad("not ADDR:PORT"))?,
            "--redis" => options.redis = Some(value),
            "--history" => options.history = value.parse().map_err(|_| bad("not a number"))?,
            "--keep-alive-ms" => {
                let ms: u64 = value.parse().map_err(|_| bad("not a number"))?;
                options.keep_alive = Duration::from_millis(ms);
            }
            "--retry-ms" => {
                options.retry_ms = Some(value.parse().map_err(|_| bad("not a number"))?)
            }
            _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
        }
    }
    Ok(options)
}

/// The hub the options ask for.
pub async fn hub(options: &Options) -> Result<Hub, String> {
    let builder = Hub::builder().history(options.history);
    match &options.redis {
        None => Ok(builder.memory()),
        #[cfg(feature = "redis")]
        Some(url) => builder.redis(url).await.map_err(|e| e.to_string()),
        #[cfg(not(feature = "redis"))]
        Some(_) => Err("--redis needs the `redis` feature (cargo run --features redis)".into()),
    }
}

#[derive(Clone)]
struct Node {
    hub: Hub,
    keep_alive: Duration,
    retry_ms: Option<u64>,
    max_chunk: Option<usize>,
}

/// The node's routes.
pub fn router(hub: Hub, options: &Options) -> Router {
    let node = Node {
        hub,
        keep_alive: options.keep_alive,
        retry_ms: options.retry_ms,
        max_chunk: options.max_chunk,
    };
    Router::new()
        .route(
            "/topics/{topic}",
            get(follow).post(publish).options(preflight),
        )
        .with_state(node)
}

fn cors(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

fn failure(error: &Error) -> Response {
    let status = match error {
        Error::Encode(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    };
    cors((status, format!("{error}\n")).into_response())
}

async fn publish(
    State(node): State<Node>,
    Path(topic): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    body: String,
) -> Response {
    let mut event = Event::new(body);
    if let Some(event_type) = query.get("type") {
        event = event.with_event_type(event_type);
    }
    match node.hub.publish(&topic, &event).await {
        Ok(id) => cors(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], id).into_response()),
        Err(error) => failure(&error),
    }
}

async fn follow(
    State(node): State<Node>,
    Path(topic): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let last_event_id = match headers.get("last-event-id") {
        Some(value) => Some(String::from_utf8_lossy(value.as_bytes()).into_owned()),
        None => query.get("last_event_id").cloned(),
    };
    match node.hub.subscribe(&topic, last_event_id.as_deref()).await {
        Ok(events) => {
            let mut body = SseStream::new(events).keep_alive(node.keep_alive);
            if let Some(ms) = node.retry_ms {
                body = body.retry(ms);
            }
            if let Some(bytes) = node.max_chunk {
                body = body.max_chunk(bytes);
            }
            cors(body.into_response())
        }
        Err(error) => failure(&error),
    }
}

async fn preflight() -> Response {
    let headers = [
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        (header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS"),
        (
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            "Last-Event-ID, Content-Type, Cache-Control, Accept",
        ),
        (header::ACCESS_CONTROL_MAX_AGE, "86400"),
    ];
    (StatusCode::NO_CONTENT, headers).into_response()
}

/// Sends each event at once: with Nagle's algorithm, a client that sends
/// nothing back (an event stream) delays its ACKs and every small write
/// waits for them (some 40 ms on Linux).
pub fn no_delay(
    listener: tokio::net::TcpListener,
) -> impl axum::serve::Listener<Io = tokio::net::TcpStream, Addr = SocketAddr> {
    use axum::serve::ListenerExt;
    listener.tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    })
}

#[allow(dead_code)] // tests include this file as a module
#[tokio::main]
async fn main() {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let hub = match hub(&options).await {
        Ok(hub) => hub,
        Err(message) => {
            eprintln!("node: {message}");
            std::process::exit(1);
        }
    };
    let listener = match tokio::net::TcpListener::bind(options.listen).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("node: cannot listen on {}: {error}", options.listen);
            std::process::exit(1);
        }
    };
    eprintln!("node: listening on http://{}", options.listen);
    if let Err(error) = axum::serve(no_delay(listener), router(hub, &options)).await {
        eprintln!("node: {error}");
        std::process::exit(1);
    }
}
