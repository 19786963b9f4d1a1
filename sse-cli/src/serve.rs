//! `sse serve`: a recorded trace or a `.sse` file served over HTTP as an
//! event stream, with its original timing, resumption after
//! `Last-Event-ID`, and faults to test clients with.

use std::convert::Infallible;
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::Response;
use clap::{Args, ValueEnum};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::script::{self, Block};

/// The largest file served, in bytes.
const MAX_FILE: u64 = 256 * 1024 * 1024;

/// The request header that asks for send times (`sse doctor` sends it).
const DOCTOR_HEADER: &str = "x-sse-doctor";

/// The help text after the options.
const AFTER_HELP: &str = "\
FILE is a trace written by `sse record` (it starts with '# sse-trace 1'; see
`sse record --help`), sent with the timing it was recorded with, or a plain
text/event-stream file, whose events are sent --interval apart.

Every path answers GET (and POST, for clients of LLM-style endpoints) with
the stream; CORS allows any origin. A request with Last-Event-ID (or the
query parameter last_event_id) resumes after the last event whose id field
is that ID (the events after it without an id of their own are sent again:
the client may have missed them); an unknown ID starts from the beginning.
--no-content-at-end answers 204 to a client that resumes after the last
event, which stops EventSource clients. The faults apply to each
connection. A request with the header 'X-SSE-Doctor: 1' gets, just before
each event, a comment ': sse-serve-sent-ms=<unix epoch ms>' (what `sse
doctor` compares arrival times with).

Standard error shows one line once the socket is bound:
  sse serve: listening on http://ADDR:PORT/

Example: sse serve chat.trace --listen 127.0.0.1:0 --close-after 3";

/// The command line of `sse serve`.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub(crate) struct ServeArgs {
    /// A trace written by `sse record`, or a plain .sse file.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
    /// The address and port to listen on (port 0: any free port).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8000")]
    pub(crate) listen: SocketAddr,
    /// Play the timing X times as fast (2: twice as fast, 0.5: half).
    #[arg(long, value_name = "X", default_value_t = 1.0, value_parser = positive)]
    pub(crate) speed: f64,
    /// Start again from the first event after the last one, forever.
    #[arg(long = "loop")]
    pub(crate) repeat: bool,
    /// The time between the blocks of a plain .sse file, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub(crate) interval: u64,
    /// Close the connection after N events (the client reconnects and resumes).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) close_after: Option<u64>,
    /// Stop sending after N events but keep the connection open (0: send
    /// only the response head).
    #[arg(long, value_name = "N")]
    pub(crate) stall_after: Option<u64>,
    /// The line ending written.
    #[arg(long, value_enum, value_name = "END", default_value = "lf")]
    pub(crate) line_ending: LineEnding,
    /// Send 'retry: MS' at the start of each connection.
    #[arg(long, value_name = "MS")]
    pub(crate) retry: Option<u64>,
    /// Write the stream in pieces of at most N bytes, each on its own (~1 ms apart).
    #[arg(long, value_name = "N", value_parser = crate::at_least_one)]
    pub(crate) chunk_size: Option<std::num::NonZeroUsize>,
    /// Answer 204 No Content to a client that resumes after the last event
    /// (without --loop): EventSource clients stop instead of reconnecting.
    #[arg(long)]
    pub(crate) no_content_at_end: bool,
    /// Send 'X-Accel-Buffering: no' (tells nginx not to buffer the response).
    #[arg(long)]
    pub(crate) accel_buffering_no: bool,
}

/// A line ending of `--line-ending`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LineEnding {
    /// \n
    Lf,
    /// \r\n
    Crlf,
    /// \r
    Cr,
}

impl LineEnding {
    fn bytes(self) -> &'static [u8] {
        match self {
            LineEnding::Lf => b"\n",
            LineEnding::Crlf => b"\r\n",
            LineEnding::Cr => b"\r",
        }
    }
}

/// Parses a finite number above 0.
fn positive(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err("not a number above 0".to_owned()),
    }
}

/// What every connection serves.
#[derive(Debug)]
struct Served {
    blocks: Vec<Block>,
    args: ServeArgs,
}

/// Runs `sse serve`.
pub(crate) fn run(args: ServeArgs) -> ExitCode {
    let blocks = match load(&args) {
        Ok(blocks) => blocks,
        Err(message) => {
            crate::error(message);
            return ExitCode::from(2);
        }
    };
    let Some(runtime) = crate::runtime(crate::Runtime::PerCore) else {
        return ExitCode::from(2);
    };
    let served = Arc::new(Served { blocks, args });
    match runtime.block_on(serve(served)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            crate::error(message);
            ExitCode::from(2)
        }
    }
}

/// Reads and cuts the file.
fn load(args: &ServeArgs) -> Result<Vec<Block>, String> {
    let name = args.file.display();
    let file = std::fs::File::open(&args.file)
        .map_err(|error| format!("cannot open '{name}': {error}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|error| format!("cannot read '{name}': {error}"))?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(format!("'{name}' is larger than {MAX_FILE} bytes"));
    }
    let blocks = script::parse(&bytes, Duration::from_millis(args.interval))
        .map_err(|error| format!("'{name}': {error}"))?;
    if blocks.is_empty() {
        return Err(format!("'{name}' holds no event, comment or retry line"));
    }
    Ok(blocks)
}

async fn serve(served: Arc<Served>) -> Result<(), String> {
    let listen = served.args.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|error| format!("cannot listen on {listen}: {error}"))?;
    let address = listener
        .local_addr()
        .map_err(|error| format!("cannot listen on {listen}: {error}"))?;
    eprintln!("sse serve: listening on http://{address}/");
    let app = axum::Router::new().fallback(handle).with_state(served);
    axum::serve(listener, app)
        .await
        .map_err(|error| format!("serving on {address}: {error}"))
}

/// Answers any request.
async fn handle(State(served): State<Arc<Served>>, request: Request) -> Response {
    let method = request.method().clone();
    let mut response = if method == Method::OPTIONS {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NO_CONTENT;
        let headers = response.headers_mut();
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("*"),
        );
        response
    } else if matches!(method, Method::GET | Method::HEAD | Method::POST) {
        stream(&served, &request)
    } else {
        let mut response = Response::new(Body::from("sse serve answers GET and POST\n"));
        *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        response.headers_mut().insert(
            header::ALLOW,
            HeaderValue::from_static("GET, HEAD, POST, OPTIONS"),
        );
        response
    };
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

/// The event stream response for `request`.
fn stream(served: &Arc<Served>, request: &Request) -> Response {
    let headers = request.headers();
    let mut last_event_id = headers
        .get("last-event-id")
        .map(|value| value.as_bytes().to_vec());
    if last_event_id.is_none() {
        last_event_id = request.uri().query().and_then(query_last_event_id);
    }
    let doctor = headers
        .get(DOCTOR_HEADER)
        .is_some_and(|value| value.as_bytes() == b"1");
    let start = script::resume_index(&served.blocks, last_event_id.as_deref().unwrap_or_default());
    if served.args.no_content_at_end && !served.args.repeat && start >= served.blocks.len() {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NO_CONTENT;
        return response;
    }
    let (sender, receiver) = mpsc::channel::<Bytes>(16);
    tokio::spawn(send(Arc::clone(served), start, doctor, sender));
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        let bytes = receiver.recv().await?;
        Some((Ok::<_, Infallible>(bytes), receiver))
    });
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    // no-transform: a proxy must not compress (and so buffer) the stream.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-transform"),
    );
    if served.args.accel_buffering_no {
        headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    }
    response
}

/// The `last_event_id` query parameter, percent-decoded.
fn query_last_event_id(query: &str) -> Option<Vec<u8>> {
    let url = reqwest::Url::parse(&format!("http://localhost/?{query}")).ok()?;
    url.query_pairs()
        .find(|(name, _)| name == "last_event_id")
        .map(|(_, value)| value.into_owned().into_bytes())
}

/// Sends the blocks from `start` on one connection, with their timing and
/// the faults; ends when the client is gone, or closes the connection.
async fn send(served: Arc<Served>, start: usize, doctor: bool, sender: mpsc::Sender<Bytes>) {
    let args = &served.args;
    let blocks = &served.blocks;
    let ending = args.line_ending.bytes();
    let connected = Instant::now();
    if let Some(retry) = args.retry {
        let mut bytes = format!("retry: {retry}").into_bytes();
        bytes.extend_from_slice(ending);
        bytes.extend_from_slice(ending);
        if !write(&sender, bytes, args).await {
            return;
        }
    }
    // The recording's time that this connection's start stands for.
    let base = match start.checked_sub(1).and_then(|index| blocks.get(index)) {
        Some(block) => block.at,
        None => Duration::ZERO,
    };
    // The offset of the current round from the recording's times (--loop):
    // a round starts again after the last block, as long after it as the
    // first block came after the start (at least 1 ms).
    let mut round = Duration::ZERO;
    let first = blocks.first().map_or(Duration::ZERO, |first| first.at);
    let last = blocks.last().map_or(Duration::ZERO, |last| last.at);
    let period = last
        .saturating_add(first.max(Duration::from_millis(1)))
        .saturating_sub(first);
    let mut index = start;
    let mut events: u64 = 0;
    loop {
        let Some(block) = blocks.get(index) else {
            if !args.repeat {
                break;
            }
            index = 0;
            round = round.saturating_add(period);
            continue;
        };
        let due = round.saturating_add(block.at).saturating_sub(base);
        let due =
            Duration::try_from_secs_f64(due.as_secs_f64() / args.speed).unwrap_or(Duration::MAX);
        match connected.checked_add(due) {
            Some(deadline) => tokio::time::sleep_until(deadline).await,
            None => {
                sender.closed().await;
                return;
            }
        }
        if args.stall_after.is_some_and(|n| events >= n) {
            sender.closed().await;
            return;
        }
        let mut bytes = Vec::new();
        if doctor && block.is_event {
            bytes.extend_from_slice(format!(": sse-serve-sent-ms={}", unix_ms()).as_bytes());
            bytes.extend_from_slice(ending);
        }
        for line in &block.lines {
            bytes.extend_from_slice(line);
            bytes.extend_from_slice(ending);
        }
        if block.terminated {
            bytes.extend_from_slice(ending);
        }
        if !write(&sender, bytes, args).await {
            return;
        }
        if block.is_event {
            events = events.saturating_add(1);
            if args.close_after.is_some_and(|n| events >= n) {
                return;
            }
        }
        index = index.saturating_add(1);
    }
    if args.stall_after.is_some() {
        // Fewer events than --stall-after: keep the connection anyway.
        sender.closed().await;
    }
}

/// Writes `bytes` in one piece, or in --chunk-size pieces; false when the
/// client is gone.
async fn write(sender: &mpsc::Sender<Bytes>, bytes: Vec<u8>, args: &ServeArgs) -> bool {
    let Some(size) = args.chunk_size else {
        return sender.send(Bytes::from(bytes)).await.is_ok();
    };
    let mut pieces = bytes.chunks(size.get()).peekable();
    while let Some(piece) = pieces.next() {
        if sender.send(Bytes::copy_from_slice(piece)).await.is_err() {
            return false;
        }
        if pieces.peek().is_some() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    true
}

/// Milliseconds since the Unix epoch.
fn unix_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_event_id_from_the_query() {
        assert_eq!(
            query_last_event_id("a=1&last_event_id=x%20y"),
            Some(b"x y".to_vec())
        );
        assert_eq!(query_last_event_id("a=1"), None);
    }

    #[test]
    fn speed_must_be_positive() {
        assert_eq!(positive("2"), Ok(2.0));
        assert!(positive("0").is_err());
        assert!(positive("-1").is_err());
        assert!(positive("inf").is_err());
        assert!(positive("x").is_err());
    }
}
