//! The local server of the browser tests and benchmark (native only).
//!
//! Binds 127.0.0.1 on a free port, prints its base URL as the first line of
//! standard output, and serves, with CORS for any origin (the test page is
//! on wasm-bindgen-test-runner's own port):
//!
//! - `POST /chat` (JSON body `{"prompt": "..."}`, `Authorization: Bearer
//!   wasm-test`): an event stream with CRLF line ends, written in pieces
//!   40 ms apart, some of them cut inside a multi-byte UTF-8 character.
//!   Without `Last-Event-ID`: `retry: 100`, events 1 to 3 (types `start`
//!   and `token`), a comment, then half of event 4, and the connection is
//!   cut (no end of the chunked body). With `Last-Event-ID: 3`: events 4
//!   and 5 (`done`), then a clean end. With `Last-Event-ID: 5`: 204 (no
//!   more). Anything else is a 4xx with the reason as its body.
//! - `GET /endless?key=<key>`: `data: tick` every 50 ms for up to 30 s;
//!   `GET /closed?key=<key>` then answers `open` while that response is
//!   being sent and `closed` once it is dropped before its end (the browser
//!   closed the connection), or `unknown` (at most 1000 keys are kept).
//! - `GET /eventsource-parser/<file>.js`: the npm package's `dist` files,
//!   from the directory in `SSE_WASM_NPM_DIST` (the benchmark's reference).
//!
//! It exits by itself after `SSE_WASM_SERVER_SECONDS` (default 1800).

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::io::Result<()> {
    server::main()
}

#[cfg(not(target_arch = "wasm32"))]
mod server {
    use std::collections::HashMap;
    use std::io::{self, Write};
    use std::path::PathBuf;
    use std::sync::{Mutex, PoisonError};
    use std::time::Duration;

    use axum::body::{to_bytes, Body};
    use axum::extract::Request;
    use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
    use axum::response::Response;
    use bytes::Bytes;
    use futures_util::stream::{self, StreamExt};

    /// Pause between the pieces of a stream, so that the browser reads
    /// each on its own.
    const PIECE_GAP: Duration = Duration::from_millis(40);

    /// The largest request body read.
    const MAX_BODY: usize = 64 * 1024;

    /// `/endless`: the gap between ticks, and how many it sends at most.
    const TICK_GAP: Duration = Duration::from_millis(50);
    const MAX_TICKS: usize = 600;

    /// The most `/endless` keys remembered.
    const MAX_KEYS: usize = 1000;

    /// Each `/endless` key: whether its response was dropped before its end.
    static ENDLESS: Mutex<Option<HashMap<String, bool>>> = Mutex::new(None);

    pub(crate) fn main() -> io::Result<()> {
        let lifetime = std::env::var("SSE_WASM_SERVER_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1800);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let address = listener.local_addr()?;
            let mut stdout = io::stdout();
            writeln!(stdout, "http://{address}")?;
            stdout.flush()?;
            let app = axum::Router::new().fallback(handle);
            let serve = async { axum::serve(listener, app).await };
            match tokio::time::timeout(Duration::from_secs(lifetime), serve).await {
                Ok(result) => result,
                Err(_) => Ok(()),
            }
        })
    }

    fn cors(mut response: Response) -> Response {
        let headers = response.headers_mut();
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("authorization, content-type, last-event-id"),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
        response
    }

    fn status(status: StatusCode, reason: &'static str) -> Response {
        let mut response = Response::new(Body::from(reason));
        *response.status_mut() = status;
        response
    }

    async fn handle(request: Request) -> Response {
        let path = request.uri().path().to_owned();
        let response = match (request.method().clone(), path.as_str()) {
            (Method::OPTIONS, _) => status(StatusCode::NO_CONTENT, ""),
            (Method::POST, "/chat") => chat(request).await,
            (Method::GET, "/endless") => endless(request.uri().query()),
            (Method::GET, "/closed") => closed(request.uri().query()),
            (Method::GET, path) => match path.strip_prefix("/eventsource-parser/") {
                Some(file) => npm_file(file).await,
                None => status(StatusCode::NOT_FOUND, "not found"),
            },
            _ => status(StatusCode::NOT_FOUND, "not found"),
        };
        cors(response)
    }

    fn header(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
        headers.get(name).and_then(|value| value.to_str().ok())
    }

    async fn chat(request: Request) -> Response {
        let (parts, body) = request.into_parts();
        if header(&parts.headers, header::AUTHORIZATION) != Some("Bearer wasm-test") {
            return status(StatusCode::UNAUTHORIZED, "Authorization: Bearer wasm-test");
        }
        if header(&parts.headers, header::CONTENT_TYPE) != Some("application/json") {
            return status(StatusCode::UNSUPPORTED_MEDIA_TYPE, "application/json only");
        }
        let Ok(body) = to_bytes(body, MAX_BODY).await else {
            return status(StatusCode::PAYLOAD_TOO_LARGE, "body over 64 KiB");
        };
        let prompt = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|value| value.get("prompt")?.as_str().map(str::to_owned));
        let Some(prompt) = prompt else {
            return status(
                StatusCode::BAD_REQUEST,
                r#"JSON {"prompt": "..."} expected"#,
            );
        };
        let last_event_id = parts
            .headers
            .get("last-event-id")
            .map(|value| value.to_str().unwrap_or("<not UTF-8>").to_owned());
        let pieces = match last_event_id.as_deref() {
            None => first_connection(&prompt),
            Some("3") => vec![
                Ok(Bytes::from_static(
                    b"event: token\r\nid: 4\r\ndata: resumed after 3\r\n\r\n",
                )),
                Ok(Bytes::from_static(
                    b"event: done\r\nid: 5\r\ndata: [DONE]\r\n\r\n",
                )),
            ],
            Some("5") => return status(StatusCode::NO_CONTENT, ""),
            Some(_) => return status(StatusCode::CONFLICT, "unexpected Last-Event-ID"),
        };
        let body = stream::iter(pieces).then(|piece| async move {
            tokio::time::sleep(PIECE_GAP).await;
            piece
        });
        event_stream(Body::from_stream(body))
    }

    /// The `key` of a query string: ASCII letters, digits and `-` only.
    fn key(query: Option<&str>) -> Option<String> {
        let key = query?.strip_prefix("key=")?;
        let valid = !key.is_empty()
            && key.len() <= 64
            && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        valid.then(|| key.to_owned())
    }

    /// Marks its key closed when dropped before the end of its stream.
    struct CloseGuard {
        key: String,
        /// Ticks sent; the stream ends at `MAX_TICKS`.
        ticks: usize,
    }

    impl Drop for CloseGuard {
        fn drop(&mut self) {
            if self.ticks < MAX_TICKS {
                let mut keys = ENDLESS.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some(closed) = keys.get_or_insert_with(HashMap::new).get_mut(&self.key) {
                    *closed = true;
                }
            }
        }
    }

    /// `GET /endless?key=<key>`: ticks until the client goes away (or
    /// `MAX_TICKS`).
    fn endless(query: Option<&str>) -> Response {
        let Some(key) = key(query) else {
            return status(StatusCode::BAD_REQUEST, "?key=<letters, digits, ->");
        };
        {
            let mut keys = ENDLESS.lock().unwrap_or_else(PoisonError::into_inner);
            let keys = keys.get_or_insert_with(HashMap::new);
            if keys.len() >= MAX_KEYS && !keys.contains_key(&key) {
                return status(StatusCode::SERVICE_UNAVAILABLE, "too many keys");
            }
            keys.insert(key.clone(), false);
        }
        let guard = CloseGuard { key, ticks: 0 };
        let body = stream::unfold(guard, |mut guard| async move {
            if guard.ticks >= MAX_TICKS {
                return None;
            }
            tokio::time::sleep(TICK_GAP).await;
            guard.ticks = guard.ticks.saturating_add(1);
            let tick = Ok::<_, io::Error>(Bytes::from_static(b"data: tick\n\n"));
            Some((tick, guard))
        });
        event_stream(Body::from_stream(body))
    }

    /// `GET /closed?key=<key>`: `open`, `closed` or `unknown`.
    fn closed(query: Option<&str>) -> Response {
        let keys = ENDLESS.lock().unwrap_or_else(PoisonError::into_inner);
        let answer = match key(query).and_then(|key| keys.as_ref()?.get(&key).copied()) {
            Some(true) => "closed",
            Some(false) => "open",
            None => "unknown",
        };
        Response::new(Body::from(answer))
    }

    /// An event-stream response with `body`.
    fn event_stream(body: Body) -> Response {
        let mut response = Response::new(body);
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        response
    }

    /// The first connection: events 1 to 3, half of event 4, then a cut.
    fn first_connection(prompt: &str) -> Vec<io::Result<Bytes>> {
        let start = format!(
            "event: start\r\nid: 1\r\ndata: {}\r\n\r\n",
            serde_json::json!({ "prompt": prompt })
        );
        let mut pieces = vec![
            Ok(Bytes::from_static(b"retry: 100\r\n\r\n")),
            Ok(Bytes::from(start)),
        ];
        // Each multi-byte character cut after its first byte.
        let token = "event: token\r\nid: 2\r\ndata: caf\u{e9} \u{65e5}\u{672c} \u{1f389}\r\n\r\n";
        let mut from = 0;
        for (at, c) in token.char_indices() {
            if c.len_utf8() > 1 {
                let cut = at.saturating_add(1);
                pieces.push(Ok(Bytes::copy_from_slice(
                    token.as_bytes().get(from..cut).unwrap_or_default(),
                )));
                from = cut;
            }
        }
        pieces.push(Ok(Bytes::copy_from_slice(
            token.as_bytes().get(from..).unwrap_or_default(),
        )));
        pieces.push(Ok(Bytes::from_static(
            b"event: token\r\nid: 3\r\ndata: line one\r\ndata: line two\r\n\r\n: a comment\r\n\r\n",
        )));
        pieces.push(Ok(Bytes::from_static(
            b"event: token\r\nid: 4\r\ndata: never dispatched\r\n",
        )));
        pieces.push(Err(io::Error::other("the server cuts the connection")));
        pieces
    }

    /// A file of eventsource-parser's `dist` directory.
    async fn npm_file(file: &str) -> Response {
        let safe = file.ends_with(".js")
            && file
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
            && !file.starts_with('.');
        let Some(dist) = std::env::var_os("SSE_WASM_NPM_DIST") else {
            return status(StatusCode::NOT_FOUND, "SSE_WASM_NPM_DIST is not set");
        };
        if !safe {
            return status(StatusCode::NOT_FOUND, "not found");
        }
        match tokio::fs::read(PathBuf::from(dist).join(file)).await {
            Ok(text) => {
                let mut response = Response::new(Body::from(text));
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/javascript"),
                );
                response
            }
            Err(_) => status(StatusCode::NOT_FOUND, "not found"),
        }
    }
}
