//! `sse doctor URL`: opens the stream once, watches it for `--duration`
//! seconds, and judges what commonly breaks Server-Sent Events between a
//! server and a browser: status, content type, caching and compression
//! headers, the HTTP version, redirects, proxies that hold events back, the
//! time to the first byte and keep-alives against proxy idle limits.
//!
//! The observation ([`Observation`]) is gathered by [`observe`]; the checks
//! are pure functions of it ([`checks`]), so that each is unit-tested.

use std::fmt;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Args;
use reqwest::header::{HeaderMap, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, LOCATION};
use reqwest::{StatusCode, Version};
use sse_codec_core::{Builder, Item};

use crate::request::RequestArgs;

/// The exit statuses of `sse doctor`, in its help.
macro_rules! exit_status {
    () => {
        "\
Exit status:
  0  every check passed (SKIP: not enough seen to judge, does not count)
  1  at least one WARN, no FAIL
  2  a usage error
  3  at least one FAIL (no connection, an error status, not an event stream)"
    };
}

/// The long help of `sse doctor`, after its options (the summary line is
/// main.rs's doc comment of the verb, which replaces a `long_about`).
macro_rules! details {
    () => {
        "Opens URL once (with the request flags of `sse get`), watches the stream for
--duration seconds and prints one line per check, PASS, WARN, FAIL or SKIP
(not enough seen to judge), with a one-line fix under each WARN and FAIL:

  redirects      each redirect, reported (not followed silently)
  status         200 expected
  content-type   text/event-stream
  cache-control  no-cache (proxies must not cache) and no-transform (nor
                 compress or rewrite)
  compression    a compressed body is held back in the compressor's buffer
                 (asked for with accept-encoding: gzip, deflate, br, as
                 browsers do; gzip and deflate are decompressed here to
                 judge buffering, never by the HTTP client)
  http-version   HTTP/1.1 over https: browsers allow 6 connections per host
  first-byte     time to the response headers
  buffering      events that arrive in bursts although sent apart: the send
                 time is the `: sse-serve-sent-ms=` comment that `sse serve`
                 writes when asked with x-sse-doctor: 1 (sent), or the JSON
                 field --timestamp-field of each event's data; without one,
                 the arrival pattern of the chunks
  keep-alive     the longest silence against proxy idle limits (60-120 s)"
    };
}

/// The command line of `sse doctor`.
#[derive(Debug, Args)]
#[command(
    after_help = exit_status!(),
    after_long_help = concat!(details!(), "\n\n", exit_status!())
)]
pub(crate) struct DoctorArgs {
    #[command(flatten)]
    pub(crate) request: RequestArgs,
    /// How long to watch the stream, in seconds (keep-alives need 60 or more
    /// to be judged).
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = seconds)]
    pub(crate) duration: Duration,
    /// The JSON field of the data (a dot path, e.g. 'meta.sent_at') that holds
    /// the send time, in unix milliseconds (or seconds, when below 10^11).
    #[arg(long, value_name = "PATH")]
    pub(crate) timestamp_field: Option<String>,
    /// Follow at most N redirects (each is reported).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub(crate) max_redirects: u8,
}

/// Parses a positive number of seconds (fractions allowed, at most a day).
pub(crate) fn seconds(value: &str) -> Result<Duration, String> {
    let secs: f64 = value.parse().map_err(|_| "not a number".to_owned())?;
    if !(secs > 0.0 && secs <= 86_400.0) {
        return Err("must be more than 0 and at most 86400".to_owned());
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Runs `sse doctor`.
pub(crate) fn run(args: DoctorArgs) -> ExitCode {
    let Some(runtime) = crate::runtime(crate::Runtime::OneThread) else {
        return ExitCode::from(2);
    };
    let observation = match runtime.block_on(observe(&args)) {
        Ok(observation) => observation,
        Err(usage) => {
            crate::error(usage);
            return ExitCode::from(2);
        }
    };
    let checks = checks(&observation);
    print!("{}", Report(&observation, &checks));
    ExitCode::from(exit_status(&checks))
}

/// The exit status for `checks`: 3 with a FAIL, 1 with a WARN, else 0.
fn exit_status(checks: &[Check]) -> u8 {
    if checks.iter().any(|check| check.verdict == Verdict::Fail) {
        3
    } else if checks.iter().any(|check| check.verdict == Verdict::Warn) {
        1
    } else {
        0
    }
}

/// At most this many chunks, events and comments are remembered one by one
/// (they are all counted): memory stays bounded on a fast stream.
const MAX_KEPT: usize = 100_000;
/// At most this much of an error response's body is read and shown.
const MAX_ERROR_BODY: usize = 512;

/// A redirect: its status, where it came from and where it points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hop {
    status: u16,
    from: String,
    to: String,
}

/// One body chunk as it arrived.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Chunk {
    /// Since the request was sent.
    at: Duration,
    len: usize,
    /// Events that this chunk completed.
    events: u32,
}

/// One event as it arrived.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Arrival {
    /// Since the request was sent.
    at: Duration,
    /// Arrival and send time, unix milliseconds (send time when known).
    arrived_ms: i64,
    sent_ms: Option<i64>,
    /// The index of its chunk.
    chunk: usize,
}

/// What one request showed.
#[derive(Debug, Default)]
pub(crate) struct Observation {
    url: String,
    hops: Vec<Hop>,
    /// The request failed before a response (connect, TLS, timeout), or the
    /// redirects went on past `--max-redirects`.
    error: Option<String>,
    status: Option<StatusCode>,
    version: Option<Version>,
    headers: HeaderMap,
    /// The body could not be decompressed: why.
    undecodable: Option<String>,
    /// No response headers came within `--duration`.
    headers_timed_out: bool,
    /// Whether the (last) URL is https.
    https: bool,
    headers_after: Duration,
    /// The start of an error response's body.
    error_body: String,
    watched: Duration,
    /// When the server ended the stream (or the body failed: `body_error`).
    ended: Option<Duration>,
    body_error: Option<String>,
    chunks: Vec<Chunk>,
    chunk_count: u64,
    /// The longest time without a byte, from the request to the end of the
    /// watch (or of the stream), and when the last chunk came: kept as they
    /// come, so that they hold past [`MAX_KEPT`] chunks.
    longest_silence: Duration,
    last_chunk_at: Duration,
    bytes: u64,
    arrivals: Vec<Arrival>,
    event_count: u64,
    /// Comments other than `sse-serve-sent-ms` (keep-alives), by arrival.
    comments: Vec<Duration>,
    comment_count: u64,
    /// Events whose data lacked the timestamp field (with `--timestamp-field`).
    missing_timestamps: u64,
    timestamp_field: Option<String>,
}

impl Observation {
    /// Something arrived (or the watch ended) at `at`.
    fn note_silence_until(&mut self, at: Duration) {
        let silence = at.saturating_sub(self.last_chunk_at);
        self.longest_silence = self.longest_silence.max(silence);
        self.last_chunk_at = at;
    }
}

/// The current unix time in milliseconds.
pub(crate) fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        })
}

/// Milliseconds of `duration`, saturating.
fn ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Whether `args` set a request header named `name` with `-H`.
fn has_header(args: &RequestArgs, name: &str) -> bool {
    args.headers.iter().any(|header| {
        header
            .split_once(':')
            .is_some_and(|(given, _)| given.trim().eq_ignore_ascii_case(name))
    })
}

/// Sends the request (following up to `--max-redirects` redirects, each
/// remembered) and watches the response for `--duration`.
///
/// # Errors
/// A one-line usage message: a bad URL, flag or `--cacert` file.
async fn observe(args: &DoctorArgs) -> Result<Observation, String> {
    let client = crate::request::client_builder(&args.request)?
        .redirect(reqwest::redirect::Policy::none())
        // The body as it came: never decompressed (even if another crate
        // turned reqwest's decompression features on).
        .no_gzip()
        .no_brotli()
        .no_deflate()
        .no_zstd()
        .build()
        .map_err(|error| format!("cannot build the HTTP client: {error}"))?;
    // Built once (a body from a file or standard input is read once), and
    // cloned for each redirect.
    let mut builder = crate::request::request(&client, &args.request)?.header("x-sse-doctor", "1");
    if !has_header(&args.request, "accept-encoding") {
        builder = builder.header("accept-encoding", "gzip, deflate, br");
    }
    let mut template = builder
        .build()
        .map_err(|error| format!("URL '{}': {error}", args.request.url))?;
    let mut observation = Observation {
        url: args.request.url.clone(),
        timestamp_field: args.timestamp_field.clone(),
        ..Observation::default()
    };
    let start = Instant::now();
    let start_ms = unix_ms();
    let deadline = start.checked_add(args.duration).unwrap_or(start);
    let response = loop {
        let Some(request) = template.try_clone() else {
            return Err("the request body cannot be sent twice".to_owned());
        };
        observation.https = request.url().scheme() == "https";
        let sent = tokio::time::timeout_at(deadline.into(), client.execute(request)).await;
        let response = match sent {
            Ok(Ok(response)) => response,
            Ok(Err(error)) => {
                observation.error = Some(error_chain(&error));
                return Ok(observation);
            }
            Err(_) => {
                observation.error = Some(format!(
                    "no response headers within {:.1} s",
                    args.duration.as_secs_f64()
                ));
                observation.headers_timed_out = true;
                return Ok(observation);
            }
        };
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|value| value.to_str().ok());
        match location {
            Some(location) if response.status().is_redirection() => {
                let to = match response.url().join(location) {
                    Ok(to) => to,
                    Err(error) => {
                        observation.error = Some(format!(
                            "redirect {} to an invalid location {location:?}: {error}",
                            response.status().as_u16()
                        ));
                        return Ok(observation);
                    }
                };
                observation.hops.push(Hop {
                    status: response.status().as_u16(),
                    from: response.url().to_string(),
                    to: to.to_string(),
                });
                if observation.hops.len() > usize::from(args.max_redirects) {
                    observation.error = Some(format!(
                        "more than {} redirects (--max-redirects)",
                        args.max_redirects
                    ));
                    return Ok(observation);
                }
                *template.url_mut() = to;
            }
            _ => break response,
        }
    };
    observation.headers_after = start.elapsed();
    observation.status = Some(response.status());
    observation.version = Some(response.version());
    observation.headers = response.headers().clone();
    watch(response, &mut observation, args, start, start_ms, deadline).await;
    Ok(observation)
}

/// The error and its sources on one line (reqwest's own message alone is
/// often just "error sending request").
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// Reads the body until `deadline` or its end, remembering when each chunk,
/// event and comment arrived.
async fn watch(
    mut response: reqwest::Response,
    observation: &mut Observation,
    args: &DoctorArgs,
    start: Instant,
    start_ms: i64,
    deadline: Instant,
) {
    let is_stream = is_event_stream(&observation.headers);
    let mut reader = if response.status().is_success() && is_stream {
        Reader::new(encoding(&observation.headers))
    } else {
        None
    };
    let mut decoding = true;
    loop {
        let next = tokio::time::timeout_at(deadline.into(), response.chunk()).await;
        let at = start.elapsed();
        let chunk = match next {
            Err(_) => break,
            Ok(Ok(Some(chunk))) => chunk,
            Ok(Ok(None)) => {
                observation.ended = Some(at);
                break;
            }
            Ok(Err(error)) => {
                observation.ended = Some(at);
                observation.body_error = Some(error_chain(&error));
                break;
            }
        };
        observation.chunk_count = observation.chunk_count.saturating_add(1);
        observation.note_silence_until(at);
        observation.bytes = observation.bytes.saturating_add(chunk.len() as u64);
        if !response.status().is_success() || !is_stream {
            let room = MAX_ERROR_BODY.saturating_sub(observation.error_body.len());
            let take = chunk.len().min(room);
            let piece = chunk.get(..take).unwrap_or_default();
            observation
                .error_body
                .push_str(&String::from_utf8_lossy(piece));
            if observation.error_body.len() >= MAX_ERROR_BODY {
                break;
            }
            continue;
        }
        let index = observation.chunks.len();
        let arrived_ms = start_ms.saturating_add(ms(at));
        let mut events = 0_u32;
        if let Some(reader) = &mut reader {
            let read = reader.read(&chunk, |reader, bytes| {
                reader.decode(bytes, observation, args, at, arrived_ms, index, &mut events);
            });
            if let Err(error) = read {
                observation.undecodable = Some(error);
                decoding = false;
            }
        }
        if !decoding {
            reader = None;
        }
        if observation.chunks.len() < MAX_KEPT {
            observation.chunks.push(Chunk {
                at,
                len: chunk.len(),
                events,
            });
        }
    }
    observation.watched = start.elapsed();
    let end = observation.ended.unwrap_or(observation.watched);
    observation.note_silence_until(end);
}

/// Decompression of a gzip or deflate (zlib) body, as it arrives.
enum Inflate {
    Gzip(flate2::write::GzDecoder<Vec<u8>>),
    Zlib(flate2::write::ZlibDecoder<Vec<u8>>),
}

/// Compressed input is fed this much at a time, and the output taken after
/// each piece: at most about 1 MB of output at once (deflate expands at most
/// 1032 times).
const INFLATE_PIECE: usize = 1024;

/// Reads the events of a body (decompressing it first when it is gzip or
/// deflate), with the send time of each.
struct Reader {
    inflate: Option<Inflate>,
    decoder: sse_codec_core::Decoder,
    /// The last `sse-serve-sent-ms` comment, for the next event.
    sent_ms: Option<i64>,
}

impl Reader {
    /// A reader for a body with `encoding`; `None` for an encoding it cannot
    /// decompress (br, zstd...).
    fn new(encoding: Option<&str>) -> Option<Reader> {
        let inflate = match encoding.map(str::to_ascii_lowercase).as_deref() {
            None => None,
            Some("gzip" | "x-gzip") => {
                Some(Inflate::Gzip(flate2::write::GzDecoder::new(Vec::new())))
            }
            Some("deflate") => Some(Inflate::Zlib(flate2::write::ZlibDecoder::new(Vec::new()))),
            Some(_) => return None,
        };
        Some(Reader {
            inflate,
            decoder: Builder::new().comments(true).build(),
            sent_ms: None,
        })
    }

    /// Hands the bytes of `chunk` (decompressed) to `use_bytes`.
    ///
    /// # Errors
    /// The compressed body is corrupt.
    fn read(
        &mut self,
        chunk: &[u8],
        mut use_bytes: impl FnMut(&mut Reader, &[u8]),
    ) -> Result<(), String> {
        use std::io::Write;
        if self.inflate.is_none() {
            use_bytes(self, chunk);
            return Ok(());
        }
        for piece in chunk.chunks(INFLATE_PIECE) {
            let output = match &mut self.inflate {
                Some(Inflate::Gzip(gzip)) => gzip
                    .write_all(piece)
                    .and_then(|()| gzip.flush())
                    .map(|()| std::mem::take(gzip.get_mut())),
                Some(Inflate::Zlib(zlib)) => zlib
                    .write_all(piece)
                    .and_then(|()| zlib.flush())
                    .map(|()| std::mem::take(zlib.get_mut())),
                None => Ok(Vec::new()),
            };
            let output = output.map_err(|error| format!("cannot decompress the body: {error}"))?;
            use_bytes(self, &output);
        }
        Ok(())
    }

    /// Decodes `bytes` that arrived at `at` in chunk `index`, counting the
    /// events it completes in `events`.
    #[allow(
        clippy::too_many_arguments,
        reason = "one call site, all of it the chunk's context"
    )]
    fn decode(
        &mut self,
        bytes: &[u8],
        observation: &mut Observation,
        args: &DoctorArgs,
        at: Duration,
        arrived_ms: i64,
        index: usize,
        events: &mut u32,
    ) {
        let mut feed = self.decoder.feed(bytes);
        while let Some(item) = feed.next_item() {
            match item {
                Ok(Item::Comment(text)) => {
                    if let Some(sent) = serve_sent_ms(text) {
                        self.sent_ms = Some(sent);
                    } else {
                        observation.comment_count = observation.comment_count.saturating_add(1);
                        if observation.comments.len() < MAX_KEPT {
                            observation.comments.push(at);
                        }
                    }
                }
                Ok(Item::Event(event)) => {
                    *events = events.saturating_add(1);
                    observation.event_count = observation.event_count.saturating_add(1);
                    let mut sent = self.sent_ms.take();
                    if let Some(path) = &args.timestamp_field {
                        let data = String::from_utf8_lossy(event.data());
                        sent = crate::bench::timestamp_ms(&data, path);
                        if sent.is_none() {
                            observation.missing_timestamps =
                                observation.missing_timestamps.saturating_add(1);
                        }
                    }
                    if observation.arrivals.len() < MAX_KEPT {
                        observation.arrivals.push(Arrival {
                            at,
                            arrived_ms,
                            sent_ms: sent,
                            chunk: index,
                        });
                    }
                }
                Ok(Item::Retry(_)) | Err(_) => {}
            }
        }
    }
}

/// The send time in a comment `sse serve` writes before each event for
/// doctor: ` sse-serve-sent-ms=<unix ms>`.
fn serve_sent_ms(comment: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(comment).ok()?;
    text.trim().strip_prefix("sse-serve-sent-ms=")?.parse().ok()
}

/// Whether the content type is `text/event-stream` (parameters aside).
fn is_event_stream(headers: &HeaderMap) -> bool {
    content_type(headers)
        .split(';')
        .next()
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("text/event-stream"))
}

fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
}

/// The content encoding, when it is one (not `identity`).
fn encoding(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(CONTENT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| !value.is_empty() && !value.eq_ignore_ascii_case("identity"))
}

/// Whether doctor decompresses a body with this content encoding.
fn decompressed(encoding: &str) -> bool {
    ["gzip", "x-gzip", "deflate"]
        .iter()
        .any(|known| encoding.eq_ignore_ascii_case(known))
}

/// A check's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Pass,
    /// Not enough was seen to judge: said so, not counted.
    Skip,
    Warn,
    Fail,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Pass => "PASS",
            Verdict::Skip => "SKIP",
            Verdict::Warn => "WARN",
            Verdict::Fail => "FAIL",
        })
    }
}

/// One check: its name, verdict, what was seen and, for WARN and FAIL, the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Check {
    name: &'static str,
    verdict: Verdict,
    detail: String,
    fix: Option<String>,
}

impl Check {
    fn pass(name: &'static str, detail: impl Into<String>) -> Check {
        Check {
            name,
            verdict: Verdict::Pass,
            detail: detail.into(),
            fix: None,
        }
    }

    fn skip(name: &'static str, detail: impl Into<String>) -> Check {
        Check {
            name,
            verdict: Verdict::Skip,
            detail: detail.into(),
            fix: None,
        }
    }

    fn warn(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            name,
            verdict: Verdict::Warn,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    fn fail(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            name,
            verdict: Verdict::Fail,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

/// The report: a header line, then each check and its fix.
struct Report<'a>(&'a Observation, &'a [Check]);

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Report(seen, checks) = self;
        write!(f, "sse doctor {}", seen.url)?;
        if seen.error.is_none() {
            write!(
                f,
                " (watched {:.1} s: {}, {}, {} in {}",
                seen.watched.as_secs_f64(),
                Count(seen.event_count, "event"),
                Count(seen.comment_count, "comment"),
                Count(seen.bytes, "byte"),
                Count(seen.chunk_count, "chunk"),
            )?;
            if let Some(ended) = seen.ended {
                write!(f, "; the stream ended after {:.1} s", ended.as_secs_f64())?;
            }
            f.write_str(")")?;
        }
        writeln!(f)?;
        for check in *checks {
            writeln!(f, "{}  {:<13} {}", check.verdict, check.name, check.detail)?;
            if let Some(fix) = &check.fix {
                writeln!(f, "      fix: {fix}")?;
            }
        }
        Ok(())
    }
}

/// A number and what it counts, in the singular or the plural.
struct Count(u64, &'static str);

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Count(n, what) = self;
        let s = if *n == 1 { "" } else { "s" };
        write!(f, "{n} {what}{s}")
    }
}

/// The fix for a proxy that holds events back.
const BUFFERING_FIX: &str = "a proxy holds events back: send X-Accel-Buffering: no from the server, or set proxy_buffering off (nginx) for this location, and do not compress it";

/// Every check, in the order they are printed.
pub(crate) fn checks(seen: &Observation) -> Vec<Check> {
    let mut checks = vec![redirects(seen)];
    if let Some(error) = &seen.error {
        let fix = if seen.headers_timed_out {
            "if the server answers at once when asked directly, a proxy holds its response back (headers go out with the first buffer of body): X-Accel-Buffering: no, or proxy_buffering off (nginx)"
        } else {
            "check the URL, that the server is up, and --insecure/--cacert for TLS"
        };
        checks.push(Check::fail("connection", error.clone(), fix));
        return checks;
    }
    checks.push(status(seen));
    checks.push(content_type_check(seen));
    let streaming =
        seen.status.is_some_and(|status| status.is_success()) && is_event_stream(&seen.headers);
    checks.push(cache_control(&seen.headers));
    checks.push(compression(&seen.headers));
    checks.push(http_version(seen));
    checks.push(first_byte(seen));
    if streaming {
        checks.push(buffering(seen));
        checks.push(keep_alive(seen));
    } else {
        checks.push(Check::skip("buffering", "not an event stream"));
        checks.push(Check::skip("keep-alive", "not an event stream"));
    }
    checks
}

fn redirects(seen: &Observation) -> Check {
    if seen.hops.is_empty() {
        return Check::pass("redirects", "none");
    }
    let hops: Vec<String> = seen
        .hops
        .iter()
        .map(|hop| format!("{} {} -> {}", hop.status, hop.from, hop.to))
        .collect();
    Check::warn(
        "redirects",
        hops.join("; "),
        "point clients at the final URL: each reconnection pays for the redirects again, and a 301/302/303 turns a POST into a GET",
    )
}

fn status(seen: &Observation) -> Check {
    let Some(status) = seen.status else {
        return Check::fail("status", "no response", "check that the server is up");
    };
    let shown = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    let shown = shown.trim_end();
    if status == StatusCode::OK {
        return Check::pass("status", shown);
    }
    if status == StatusCode::NO_CONTENT {
        return Check::fail(
            "status",
            format!("{shown}: EventSource stops and never reconnects"),
            "answer 200 with the stream (204 is how a server tells clients to stop)",
        );
    }
    if status.is_success() {
        return Check::warn(
            "status",
            format!("{shown}: EventSource accepts only 200"),
            "answer 200 OK",
        );
    }
    let body = seen.error_body.trim();
    let detail = if body.is_empty() {
        shown.to_owned()
    } else {
        format!("{shown}: {}", one_line(body))
    };
    Check::fail(
        "status",
        detail,
        "the server (or a proxy in front of it) refused the request: check the URL, method, headers and credentials",
    )
}

/// `text` on one line, at most 200 characters.
fn one_line(text: &str) -> String {
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    line
}

fn content_type_check(seen: &Observation) -> Check {
    let value = content_type(&seen.headers);
    if is_event_stream(&seen.headers) {
        let charset = value
            .split(';')
            .skip(1)
            .filter_map(|param| param.split_once('='))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("charset"))
            .map(|(_, charset)| charset.trim().trim_matches('"'));
        return match charset {
            Some(charset) if !charset.eq_ignore_ascii_case("utf-8") => Check::warn(
                "content-type",
                format!("{value}: event streams are always UTF-8"),
                "send content-type: text/event-stream (charset=utf-8 or none)",
            ),
            _ => Check::pass("content-type", value),
        };
    }
    let shown = if value.is_empty() { "none" } else { value };
    Check::fail(
        "content-type",
        format!("{shown}: EventSource refuses anything but text/event-stream"),
        "send content-type: text/event-stream",
    )
}

fn cache_control(headers: &HeaderMap) -> Check {
    let values: Vec<String> = headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|directive| directive.trim().to_ascii_lowercase())
        .collect();
    let shown = if values.is_empty() {
        "none".to_owned()
    } else {
        values.join(", ")
    };
    let has = |name: &str| values.iter().any(|value| value == name);
    let no_cache = has("no-cache") || has("no-store");
    let no_transform = has("no-transform");
    match (no_cache, no_transform) {
        (true, true) => Check::pass("cache-control", shown),
        (true, false) => Check::warn(
            "cache-control",
            format!("{shown}: without no-transform, proxies may compress or rewrite the stream"),
            "send cache-control: no-cache, no-transform",
        ),
        (false, _) => Check::warn(
            "cache-control",
            format!("{shown}: a cache or proxy may store or hold the stream"),
            "send cache-control: no-cache, no-transform",
        ),
    }
}

fn compression(headers: &HeaderMap) -> Check {
    match encoding(headers) {
        None => Check::pass(
            "compression",
            "none (asked with accept-encoding: gzip, deflate, br, as browsers do)",
        ),
        Some(encoding) => Check::warn(
            "compression",
            format!(
                "content-encoding: {encoding}: a compressor holds events until its buffer fills, unless flushed after each one ({})",
                if decompressed(encoding) { "decompressed here to judge buffering" } else { "not decompressed here" }
            ),
            "do not compress text/event-stream (nginx: gzip off, or drop it from gzip_types) and send cache-control: no-transform",
        ),
    }
}

fn http_version(seen: &Observation) -> Check {
    match seen.version {
        Some(Version::HTTP_2) => Check::pass("http-version", "HTTP/2"),
        Some(Version::HTTP_3) => Check::pass("http-version", "HTTP/3"),
        Some(Version::HTTP_11) if seen.https => Check::warn(
            "http-version",
            "HTTP/1.1 over https: browsers open at most 6 connections per host, and each open EventSource holds one",
            "enable HTTP/2 on the server or the proxy in front of it",
        ),
        Some(Version::HTTP_11) => Check::pass(
            "http-version",
            "HTTP/1.1 (plain http: browsers use HTTP/2 only over https)",
        ),
        Some(version) => Check::warn(
            "http-version",
            format!("{version:?}: no chunked transfer; the stream ends only with the connection"),
            "serve HTTP/1.1 or HTTP/2",
        ),
        None => Check::skip("http-version", "no response"),
    }
}

fn first_byte(seen: &Observation) -> Check {
    let headers = seen.headers_after.as_secs_f64();
    let first = seen.chunks.first().map(|chunk| chunk.at.as_secs_f64());
    let body = match first {
        Some(first) => format!(", first body byte after {:.0} ms", first * 1000.0),
        None => ", no body byte".to_owned(),
    };
    let detail = format!("headers after {:.0} ms{body}", headers * 1000.0);
    if seen.headers_after > Duration::from_secs(1) {
        return Check::warn(
            "first-byte",
            detail,
            "send the headers at once (flush them, or write a comment line) instead of waiting for the first event; behind a proxy, X-Accel-Buffering: no or proxy_buffering off (nginx)",
        );
    }
    Check::pass("first-byte", detail)
}

/// Events sent at least this far apart must not arrive together.
const APART_MS: i64 = 50;
/// Events that arrived closer than this arrived together.
const TOGETHER_MS: i64 = 10;
/// An event held back longer than this (beyond the fastest one) is late.
const HELD_MS: i64 = 200;

fn buffering(seen: &Observation) -> Check {
    let timed: Vec<(i64, i64)> = seen
        .arrivals
        .iter()
        .filter_map(|arrival| Some((arrival.sent_ms?, arrival.arrived_ms)))
        .collect();
    if timed.len() >= 2 {
        return buffering_by_send_time(&timed, seen);
    }
    if let Some(error) = &seen.undecodable {
        return Check::skip("buffering", format!("{error}: events not decoded"));
    }
    if let Some(encoding) = encoding(&seen.headers).filter(|encoding| !decompressed(encoding)) {
        return Check::skip(
            "buffering",
            format!(
                "the body is {encoding}-compressed: its events were not decoded (see compression)"
            ),
        );
    }
    if seen.event_count == 0 {
        let silent = seen.chunk_count == 0;
        let what = if silent { "no byte" } else { "no event" };
        return Check::warn(
            "buffering",
            format!(
                "{what} arrived in {:.1} s: either the server sent none, or something in between holds them",
                seen.watched.as_secs_f64()
            ),
            BUFFERING_FIX,
        );
    }
    buffering_by_chunks(seen)
}

/// Judges buffering from send and arrival times (unix ms) of each event.
fn buffering_by_send_time(timed: &[(i64, i64)], seen: &Observation) -> Check {
    // Clocks may differ: only the delay beyond the smallest one counts.
    let delays = timed
        .iter()
        .map(|(sent, arrived)| arrived.saturating_sub(*sent));
    let base = delays.clone().min().unwrap_or(0);
    let held = delays
        .map(|delay| delay.saturating_sub(base))
        .max()
        .unwrap_or(0);
    let mut apart = 0_u32;
    let mut together = 0_u32;
    for pair in timed.windows(2) {
        let [(sent_a, arrived_a), (sent_b, arrived_b)] = pair else {
            continue;
        };
        if sent_b.saturating_sub(*sent_a) >= APART_MS {
            apart = apart.saturating_add(1);
            if arrived_b.saturating_sub(*arrived_a) < TOGETHER_MS {
                together = together.saturating_add(1);
            }
        }
    }
    let source = match &seen.timestamp_field {
        Some(path) => format!("send times from data field {path}"),
        None => "send times from sse serve".to_owned(),
    };
    if together > 0 && held >= HELD_MS {
        return Check::warn(
            "buffering",
            format!(
                "events arrive in bursts: {together} of {apart} sent at least {APART_MS} ms apart arrived together, held back up to {held} ms ({source}{})",
                nginx_note(&seen.headers)
            ),
            BUFFERING_FIX,
        );
    }
    if apart == 0 {
        return Check::skip(
            "buffering",
            format!(
                "{} events, none sent {APART_MS} ms or more after the previous one: spacing cannot be judged (held back up to {held} ms; {source})",
                timed.len()
            ),
        );
    }
    Check::pass(
        "buffering",
        format!(
            "{apart} {} sent apart arrived apart, held back at most {held} ms ({source})",
            if apart == 1 { "event" } else { "events" }
        ),
    )
}

/// What the headers say about an nginx in front, for the buffering message.
fn nginx_note(headers: &HeaderMap) -> &'static str {
    let nginx = headers
        .get("server")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|server| server.to_ascii_lowercase().contains("nginx"));
    if nginx {
        "; server: nginx, which buffers proxied responses unless told otherwise"
    } else {
        ""
    }
}

/// Judges buffering from the chunks alone (send times unknown).
fn buffering_by_chunks(seen: &Observation) -> Check {
    let with_events: Vec<&Chunk> = seen
        .chunks
        .iter()
        .filter(|chunk| chunk.events > 0)
        .collect();
    let most = with_events
        .iter()
        .map(|chunk| chunk.events)
        .max()
        .unwrap_or(0);
    let hint = "send times unknown: use sse serve, or --timestamp-field";
    if most <= 1 {
        return Check::pass(
            "buffering",
            format!(
                "each of {} events arrived in a chunk of its own ({hint})",
                seen.event_count
            ),
        );
    }
    // Several events per chunk, the chunks a proxy buffer's size (4 or 8 KiB
    // pages) and far apart: a buffer being flushed when full.
    let full = with_events
        .iter()
        .filter(|chunk| chunk.events > 1 && chunk.len >= 4096 && chunk.len % 4096 == 0)
        .count();
    if full >= 1 {
        return Check::warn(
            "buffering",
            format!(
                "{full} chunks of a whole number of 4 KiB pages carried up to {most} events each: the pattern of a proxy flushing a full buffer ({hint})"
            ),
            BUFFERING_FIX,
        );
    }
    Check::skip(
        "buffering",
        format!(
            "up to {most} events arrived in one chunk; whether they were sent together cannot be told ({hint})"
        ),
    )
}

/// Silences at least this long are cut by common proxy idle limits (60 s
/// and up) with little margin.
const SILENCE_LIMIT: Duration = Duration::from_secs(45);

/// The longest gap between consecutive `times` (sorted).
fn longest_gap(times: &[Duration]) -> Option<Duration> {
    times
        .windows(2)
        .map(|pair| match pair {
            [a, b] => b.saturating_sub(*a),
            _ => Duration::ZERO,
        })
        .max()
}

fn keep_alive(seen: &Observation) -> Check {
    // The client sees silence from the request on: headers held back by a
    // proxy count too.
    let end = seen.ended.unwrap_or(seen.watched);
    let secs = seen.longest_silence.as_secs_f64();
    let watched = end.as_secs_f64();
    if secs >= SILENCE_LIMIT.as_secs_f64() {
        return Check::warn(
            "keep-alive",
            format!("silent for {secs:.1} s: proxies and load balancers commonly close idle connections after 60-120 s (nginx proxy_read_timeout: 60 s)"),
            "send a comment line (':' and a newline) every 15-30 s while there is no event",
        );
    }
    if watched >= 60.0 {
        return Check::pass(
            "keep-alive",
            format!("longest silence {secs:.1} s in {watched:.1} s"),
        );
    }
    // Comments that arrived at different times show a keep-alive; comments
    // that arrived together (held back by a proxy) show nothing.
    let mut comments = seen.comments.clone();
    comments.dedup();
    if let Some(gap) = longest_gap(&comments) {
        return Check::pass(
            "keep-alive",
            format!(
                "comments arrived at most {:.1} s apart; longest silence {secs:.1} s in {watched:.1} s",
                gap.as_secs_f64()
            ),
        );
    }
    Check::skip(
        "keep-alive",
        format!("longest silence {secs:.1} s in {watched:.1} s watched, and no keep-alive comments arriving apart: whether one comes during longer silences needs --duration 120"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream_headers(extra: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, "text/event-stream".parse().unwrap());
        headers.insert(CACHE_CONTROL, "no-cache, no-transform".parse().unwrap());
        for (name, value) in extra {
            headers.insert(*name, value.parse().unwrap());
        }
        headers
    }

    fn seen(arrivals: &[(i64, i64, usize)], chunks: &[(u64, usize, u32)]) -> Observation {
        Observation {
            url: "http://127.0.0.1/".into(),
            status: Some(StatusCode::OK),
            version: Some(Version::HTTP_11),
            headers: stream_headers(&[]),
            watched: Duration::from_secs(3),
            arrivals: arrivals
                .iter()
                .map(|&(sent, arrived, chunk)| Arrival {
                    at: Duration::from_millis(u64::try_from(arrived).unwrap()),
                    arrived_ms: arrived,
                    sent_ms: Some(sent),
                    chunk,
                })
                .collect(),
            event_count: arrivals.len() as u64,
            chunks: chunks
                .iter()
                .map(|&(at, len, events)| Chunk {
                    at: Duration::from_millis(at),
                    len,
                    events,
                })
                .collect(),
            chunk_count: chunks.len() as u64,
            ..Observation::default()
        }
    }

    fn verdict(checks: &[Check], name: &str) -> Verdict {
        checks
            .iter()
            .find(|check| check.name == name)
            .unwrap()
            .verdict
    }

    #[test]
    fn events_sent_apart_that_arrive_apart_pass() {
        // Clock offset of 5 s between sender and receiver: only differences count.
        let seen = seen(
            &[(0, 5_001, 0), (100, 5_102, 1), (200, 5_201, 2)],
            &[(1, 30, 1), (102, 30, 1), (201, 30, 1)],
        );
        let check = buffering(&seen);
        assert_eq!(check.verdict, Verdict::Pass, "{check:?}");
    }

    #[test]
    fn events_sent_apart_that_arrive_together_warn_and_name_the_fix() {
        let seen = seen(
            &[(0, 900, 0), (300, 900, 0), (600, 901, 0), (1000, 1001, 1)],
            &[(900, 4096, 3), (1001, 30, 1)],
        );
        let check = buffering(&seen);
        assert_eq!(check.verdict, Verdict::Warn, "{check:?}");
        assert!(check.detail.contains("held back up to 899 ms"), "{check:?}");
        let fix = check.fix.unwrap();
        assert!(fix.contains("X-Accel-Buffering: no") && fix.contains("proxy_buffering off"));
    }

    #[test]
    fn events_sent_together_cannot_be_judged() {
        let seen = seen(&[(0, 10, 0), (1, 10, 0)], &[(10, 60, 2)]);
        assert_eq!(buffering(&seen).verdict, Verdict::Skip);
    }

    #[test]
    fn no_event_at_all_warns() {
        let seen = seen(&[], &[]);
        let check = buffering(&seen);
        assert_eq!(check.verdict, Verdict::Warn);
        assert!(check.detail.starts_with("no byte arrived"), "{check:?}");
    }

    #[test]
    fn without_send_times_full_pages_of_events_warn() {
        let mut seen = seen(&[], &[(500, 4096, 40), (1000, 8192, 80)]);
        seen.event_count = 120;
        assert_eq!(buffering(&seen).verdict, Verdict::Warn);
        seen.chunks = vec![Chunk {
            at: Duration::from_millis(5),
            len: 60,
            events: 1,
        }];
        assert_eq!(buffering(&seen).verdict, Verdict::Pass);
        seen.chunks = vec![Chunk {
            at: Duration::from_millis(5),
            len: 100,
            events: 3,
        }];
        assert_eq!(buffering(&seen).verdict, Verdict::Skip);
    }

    #[test]
    fn keep_alive_judged_by_silences_and_comments() {
        /// Chunks at these seconds, the watch ending at `end`.
        fn silences(at: &[u64], end: u64) -> Observation {
            let mut seen = Observation::default();
            for &second in at {
                seen.note_silence_until(Duration::from_secs(second));
            }
            seen.watched = Duration::from_secs(end);
            seen.note_silence_until(seen.watched);
            seen
        }
        let check = keep_alive(&silences(&[0, 50], 55));
        assert_eq!(check.verdict, Verdict::Warn, "{check:?}");
        assert!(check.detail.starts_with("silent for 50.0 s"), "{check:?}");
        let mut seen = silences(&[0], 10);
        assert_eq!(keep_alive(&seen).verdict, Verdict::Skip);
        seen.comments = vec![Duration::from_secs(1), Duration::from_secs(1)];
        assert_eq!(keep_alive(&seen).verdict, Verdict::Skip, "arrived together");
        seen.comments = vec![Duration::from_secs(1), Duration::from_secs(3)];
        assert_eq!(keep_alive(&seen).verdict, Verdict::Pass);
        // Headers held back 50 s: silence from the request on.
        assert_eq!(keep_alive(&silences(&[50], 52)).verdict, Verdict::Warn);
        // The end of the watch counts: 46 s after the last chunk.
        assert_eq!(keep_alive(&silences(&[0, 1, 2], 48)).verdict, Verdict::Warn);
        let every_second: Vec<u64> = (0..70).collect();
        assert_eq!(
            keep_alive(&silences(&every_second, 70)).verdict,
            Verdict::Pass
        );
    }

    #[test]
    fn headers_are_judged() {
        let mut seen = seen(&[(0, 1, 0), (100, 101, 1)], &[(1, 9, 1), (101, 9, 1)]);
        let checks = checks(&seen);
        for name in [
            "redirects",
            "status",
            "content-type",
            "cache-control",
            "compression",
            "http-version",
            "first-byte",
            "buffering",
        ] {
            assert_eq!(verdict(&checks, name), Verdict::Pass, "{name}: {checks:?}");
        }
        assert_eq!(exit_status(&checks), 0);
        seen.headers =
            stream_headers(&[("cache-control", "no-cache"), ("content-encoding", "gzip")]);
        let checks = checks_of(&seen);
        assert_eq!(verdict(&checks, "cache-control"), Verdict::Warn);
        assert_eq!(verdict(&checks, "compression"), Verdict::Warn);
        assert_eq!(exit_status(&checks), 1);
        seen.headers = stream_headers(&[("content-type", "text/event-stream; charset=latin1")]);
        assert_eq!(content_type_check(&seen).verdict, Verdict::Warn);
        seen.headers = stream_headers(&[("content-type", "application/json")]);
        let checks = checks_of(&seen);
        assert_eq!(verdict(&checks, "content-type"), Verdict::Fail);
        assert_eq!(verdict(&checks, "buffering"), Verdict::Skip);
        assert_eq!(exit_status(&checks), 3);
        seen.headers = stream_headers(&[]);
        seen.status = Some(StatusCode::NO_CONTENT);
        assert_eq!(status(&seen).verdict, Verdict::Fail);
        seen.status = Some(StatusCode::OK);
        seen.https = true;
        assert_eq!(http_version(&seen).verdict, Verdict::Warn);
        seen.version = Some(Version::HTTP_2);
        assert_eq!(http_version(&seen).verdict, Verdict::Pass);
        seen.headers_after = Duration::from_millis(1500);
        assert_eq!(first_byte(&seen).verdict, Verdict::Warn);
    }

    fn checks_of(seen: &Observation) -> Vec<Check> {
        checks(seen)
    }

    #[test]
    fn deflate_and_gzip_bodies_are_decompressed_in_pieces_and_br_is_not() {
        use std::io::Write;
        let stream = ": sse-serve-sent-ms=5\ndata: a\n\n".repeat(300);
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        zlib.write_all(stream.as_bytes()).unwrap();
        let compressed = zlib.finish().unwrap();
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            doctor: DoctorArgs,
        }
        let args = <Cli as clap::Parser>::try_parse_from(["sse", "http://h/"])
            .unwrap()
            .doctor;
        for encoding in [None, Some("deflate")] {
            let mut reader = Reader::new(encoding).unwrap();
            let mut seen = Observation::default();
            let mut events = 0;
            let body = if encoding.is_some() {
                &compressed[..]
            } else {
                stream.as_bytes()
            };
            for chunk in body.chunks(7) {
                reader
                    .read(chunk, |reader, bytes| {
                        reader.decode(bytes, &mut seen, &args, Duration::ZERO, 0, 0, &mut events);
                    })
                    .unwrap();
            }
            assert_eq!(events, 300);
            assert!(seen
                .arrivals
                .iter()
                .all(|arrival| arrival.sent_ms == Some(5)));
        }
        let mut reader = Reader::new(Some("gzip")).unwrap();
        assert!(reader.read(b"not gzip at all", |_, _| {}).is_err());
        assert!(Reader::new(Some("br")).is_none());
    }

    #[test]
    fn serve_comment_is_parsed() {
        assert_eq!(
            serve_sent_ms(b" sse-serve-sent-ms=1700000000123"),
            Some(1_700_000_000_123)
        );
        assert_eq!(serve_sent_ms(b" keep-alive"), None);
    }

    #[test]
    fn counts_are_singular_or_plural() {
        assert_eq!(Count(1, "chunk").to_string(), "1 chunk");
        assert_eq!(Count(0, "event").to_string(), "0 events");
        assert_eq!(Count(2, "byte").to_string(), "2 bytes");
    }

    #[test]
    fn seconds_are_bounded() {
        assert_eq!(seconds("1.5"), Ok(Duration::from_millis(1500)));
        assert!(seconds("0").is_err());
        assert!(seconds("-1").is_err());
        assert!(seconds("NaN").is_err());
        assert!(seconds("1e9").is_err());
    }
}
