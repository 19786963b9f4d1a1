//! [`EventSource`]: a complete reconnecting client on reqwest (feature
//! `reqwest`).
//!
//! The feature `reqwest` brings no TLS: plain `http://`, or HTTPS with the
//! TLS your own reqwest dependency enables (`features = ["rustls"]`,
//! `["native-tls"]`). The feature `rustls` adds HTTPS with reqwest's own
//! `rustls` feature.
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use sse_codec_tokio::eventsource::{EventSource, Update};
//!
//! # async fn example() {
//! let mut events = EventSource::get("http://127.0.0.1:3000/logs");
//! while let Some(item) = events.next().await {
//!     match item {
//!         Ok(Update::Event(event)) => println!("{} {}", event.event_type(), event.data()),
//!         Ok(_) => {}                         // opened, comment, retry, ended
//!         Err(error) => eprintln!("{error}"), // the stream goes on unless it was fatal
//!     }
//! }
//! # }
//! ```
//!
//! # What it does, exactly
//!
//! - Every request sends `Accept: text/event-stream` and `Cache-Control:
//!   no-cache`, and `Last-Event-ID` only when the last event ID is not empty
//!   (an `id:` with an empty value removes the header; it is never sent
//!   empty). [`EventSource::with_last_event_id`] sets the first one.
//! - `200` with `Content-Type: text/event-stream` (parameters allowed) is the
//!   stream. `204 No Content` yields [`Update::NoContent`] and ends it for
//!   good. Redirects are followed by the `reqwest::Client` (the one of
//!   [`client_builder`] refuses loops); a redirect that reaches this client
//!   (no usable `Location`) ends it with [`EventSourceError::Redirect`].
//!   `5xx`, `429` (honouring `Retry-After`) and transport errors are retried
//!   with [`Backoff`]; any other status or content type ends the stream with
//!   an error that carries the status, the headers and the first
//!   [`MAX_ERROR_BODY`] bytes of the body.
//! - A request whose method is not `GET` is sent once: it is repeated on a
//!   reconnection only after [`EventSource::repeat_request`]`(true)`, and then
//!   with its method and body.
//! - An **idle timeout** ([`DEFAULT_IDLE_TIMEOUT`], see
//!   [`EventSource::idle_timeout`]) bounds the wait for the response head and
//!   for each read of the body: any byte, keep-alive comments included,
//!   restarts it. When it fires the connection is dropped and resumed with
//!   `Last-Event-ID`.
//! - The server's `retry` is clamped to [`EventSource::retry_bounds`]; after
//!   a connection that delivered events the next delay is exactly that,
//!   after failures it grows with [`Backoff`].
//!
//! # Do not use `reqwest::ClientBuilder::timeout` for streams
//!
//! It limits the **whole** response, body included: it kills a healthy
//! stream after that time, every time. Use [`EventSource::idle_timeout`]
//! (and `ClientBuilder::connect_timeout` if you like). reqwest has no getter
//! for it, so this client detects it after the fact: a body read that fails
//! with a timeout although bytes arrived less than a second before is
//! reported as [`EventSourceError::Timeout`] with `total_timeout_likely`
//! set, whose message says to remove it (and a `tracing` warning with the
//! `tracing` feature).

use std::collections::hash_map::RandomState;
use std::fmt;
use std::future::{poll_fn, Future};
use std::hash::BuildHasher;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use futures_core::Stream;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Client, IntoUrl, Method, Request, RequestBuilder, StatusCode, Url};
use sse_codec_core::{Builder, BytesDecoder, Event, OwnedItem};

use crate::client::Backoff;

/// The default [`EventSource::idle_timeout`]: 60 s, twice the longest
/// keep-alive interval servers commonly use (15 to 30 s).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// The default lower bound of the server's `retry` (100 ms): `retry: 0`
/// cannot make the client reconnect in a busy loop.
pub const DEFAULT_MIN_RETRY: Duration = Duration::from_millis(100);

/// The default upper bound of the server's `retry` and of `Retry-After`
/// (5 minutes): `retry: 999999999` cannot stall the client for days.
pub const DEFAULT_MAX_RETRY: Duration = Duration::from_secs(300);

/// How much of an error response's body is kept, in bytes (the rest is not
/// read).
pub const MAX_ERROR_BODY: usize = 4096;

/// How recent the last byte must be for a body-read timeout to be blamed on
/// `reqwest::ClientBuilder::timeout`.
const RECENT_BYTE: Duration = Duration::from_secs(1);

/// What an [`EventSource`] yields besides errors.
#[derive(Debug)]
#[non_exhaustive]
pub enum Update {
    /// A connection was opened: the response's status (200) and headers.
    Open {
        /// The response status.
        status: StatusCode,
        /// The response headers.
        headers: Box<HeaderMap>,
    },
    /// An event was dispatched; [`Event::id`] is the last event ID.
    Event(Event),
    /// A comment line (text after the colon), often a keep-alive.
    Comment(String),
    /// The server set the reconnection time (`retry`), clamped to
    /// [`EventSource::retry_bounds`].
    Retry(Duration),
    /// The connection ended (end of body, not an error). `truncated` says
    /// whether it ended in the middle of an event, which was discarded as
    /// the spec says. A reconnection follows (except after a request that
    /// may not be repeated, see [`EventSource::repeat_request`]).
    Ended {
        /// Whether part of an event was received but not its end.
        truncated: bool,
    },
    /// The server answered `204 No Content`: stop. The stream ends.
    NoContent,
}

/// An HTTP response that is not an event stream.
#[derive(Debug)]
#[non_exhaustive]
pub struct HttpError {
    /// The URL that answered (after redirects).
    pub url: Url,
    /// Its status.
    pub status: StatusCode,
    /// Its headers.
    pub headers: HeaderMap,
    /// The first [`MAX_ERROR_BODY`] bytes of its body, invalid UTF-8
    /// replaced (less if reading it failed or timed out).
    pub body: String,
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} answered {}", self.url, self.status)?;
        if let Some(content_type) = self.headers.get(header::CONTENT_TYPE) {
            write!(f, " ({})", String::from_utf8_lossy(content_type.as_bytes()))?;
        }
        if !self.body.is_empty() {
            write!(f, ": {}", self.body)?;
        }
        Ok(())
    }
}

/// An error from an [`EventSource`]. After [fatal](Self::is_fatal) ones the
/// stream ends; after the others it reconnects (a request that may not be
/// repeated ends it instead).
#[derive(Debug)]
#[non_exhaustive]
pub enum EventSourceError {
    /// Sending the request or reading the body failed (retried).
    Transport(reqwest::Error),
    /// reqwest's own timeout fired while reading the body (retried). When
    /// `total_timeout_likely`, bytes had arrived less than a second
    /// before: `reqwest::ClientBuilder::timeout` is set, and it must not be
    /// for streams.
    Timeout {
        /// reqwest's error.
        error: reqwest::Error,
        /// Whether this looks like `ClientBuilder::timeout`.
        total_timeout_likely: bool,
    },
    /// Nothing was received for the idle timeout (retried with
    /// `Last-Event-ID`).
    IdleTimeout(Duration),
    /// A `5xx` or `429` (retried) or another status that is not `200` or
    /// `204` (fatal).
    Status(Box<HttpError>),
    /// A `200` whose `Content-Type` is not `text/event-stream` (fatal).
    ContentType(Box<HttpError>),
    /// A redirect without a usable `Location`, or a redirect loop (fatal).
    Redirect {
        /// The redirect response, when one reached this client.
        response: Option<Box<HttpError>>,
        /// reqwest's error (a loop, too many redirects), otherwise.
        error: Option<reqwest::Error>,
    },
    /// An event exceeded a decoding limit and was skipped.
    Limit(sse_codec_core::Error),
    /// The request could not be built or its URL cannot be used (https
    /// without TLS support in reqwest: enable the feature `rustls`), or its
    /// body is a stream that cannot be sent again (fatal).
    Request(Option<reqwest::Error>),
}

impl EventSourceError {
    /// Whether the stream ends after this error (whatever the request's
    /// method).
    pub fn is_fatal(&self) -> bool {
        match self {
            EventSourceError::Status(response) => !retried_status(response.status),
            EventSourceError::ContentType(_)
            | EventSourceError::Redirect { .. }
            | EventSourceError::Request(_) => true,
            EventSourceError::Transport(_)
            | EventSourceError::Timeout { .. }
            | EventSourceError::IdleTimeout(_)
            | EventSourceError::Limit(_) => false,
        }
    }

    /// The HTTP response that caused this error, if one did.
    pub fn response(&self) -> Option<&HttpError> {
        match self {
            EventSourceError::Status(response) | EventSourceError::ContentType(response) => {
                Some(response)
            }
            EventSourceError::Redirect { response, .. } => response.as_deref(),
            _ => None,
        }
    }
}

impl fmt::Display for EventSourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventSourceError::Transport(error) => write!(f, "transport error: {error}"),
            EventSourceError::Timeout {
                error,
                total_timeout_likely: true,
            } => write!(
                f,
                "{error}: the body read timed out although bytes arrived just before; \
                 this looks like reqwest::ClientBuilder::timeout, which limits the whole \
                 response and kills long streams: remove it and use EventSource::idle_timeout"
            ),
            EventSourceError::Timeout { error, .. } => write!(
                f,
                "reqwest timed out: {error} (if reqwest::ClientBuilder::timeout is set, \
                 remove it: it limits the whole stream; use EventSource::idle_timeout)"
            ),
            EventSourceError::IdleTimeout(idle) => {
                write!(f, "nothing received for {idle:?}: reconnecting")
            }
            EventSourceError::Status(response) => response.fmt(f),
            EventSourceError::ContentType(response) => {
                write!(f, "not an event stream: {response}")
            }
            EventSourceError::Redirect {
                response: Some(response),
                ..
            } => write!(f, "redirect without a usable Location: {response}"),
            EventSourceError::Redirect { error, .. } => match error {
                Some(error) => write!(f, "redirect failed: {error}"),
                None => f.write_str("redirect failed"),
            },
            EventSourceError::Limit(error) => error.fmt(f),
            EventSourceError::Request(Some(error)) => write!(f, "bad request: {error}"),
            EventSourceError::Request(None) => {
                f.write_str("the request body is a stream and cannot be sent again")
            }
        }
    }
}

impl std::error::Error for EventSourceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EventSourceError::Transport(error)
            | EventSourceError::Timeout { error, .. }
            | EventSourceError::Redirect {
                error: Some(error), ..
            }
            | EventSourceError::Request(Some(error)) => Some(error),
            EventSourceError::Limit(error) => Some(error),
            _ => None,
        }
    }
}

fn retried_status(status: StatusCode) -> bool {
    status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS
}

/// A `reqwest::ClientBuilder` for event streams: a redirect policy that
/// follows up to 10 redirects but refuses one back to a URL already visited
/// (an empty `Location` is one), and no total timeout (see the [module
/// docs](self)).
///
/// ```no_run
/// # use std::time::Duration;
/// let client = sse_codec_tokio::eventsource::client_builder()
///     .connect_timeout(Duration::from_secs(10))
///     .build()?;
/// # Ok::<(), reqwest::Error>(())
/// ```
pub fn client_builder() -> reqwest::ClientBuilder {
    Client::builder().redirect(reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= 10 {
            attempt.error("more than 10 redirects")
        } else if attempt.previous().contains(attempt.url()) {
            attempt.error("redirect loop")
        } else {
            attempt.follow()
        }
    }))
}

/// Turns a `reqwest::RequestBuilder` into an [`EventSource`].
pub trait RequestBuilderExt {
    /// Follows the event stream this request opens, reconnecting as an
    /// `EventSource` does. Use any method, headers and body; a body must be
    /// bytes (not a stream) to be sent again on a reconnection.
    ///
    /// ```no_run
    /// use sse_codec_tokio::eventsource::{client_builder, RequestBuilderExt};
    ///
    /// # fn example() -> Result<(), reqwest::Error> {
    /// let client = client_builder().build()?;
    /// let events = client
    ///     .post("http://127.0.0.1:3000/chat")
    ///     .body(r#"{"message":"Hi"}"#)
    ///     .event_source(); // sent once: POST is not repeated by default
    /// # let _ = events; Ok(()) }
    /// ```
    fn event_source(self) -> EventSource;
}

impl RequestBuilderExt for RequestBuilder {
    fn event_source(self) -> EventSource {
        let (client, request) = self.build_split();
        match request {
            Ok(request) => EventSource::new(client, request),
            Err(error) => EventSource::failed(EventSourceError::Request(Some(error))),
        }
    }
}

type Body = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;
type Item = Result<Update, EventSourceError>;

enum Phase {
    /// Connect after the delay (none: at once).
    Connect(Option<Duration>),
    Streaming(Body),
    Done,
}

/// What a wait ended with.
enum Wait<T> {
    Ready(T),
    TimedOut,
    Restart,
}

struct Inner {
    client: Client,
    /// The request to send (cloned for each attempt; taken when its body
    /// cannot be cloned).
    request: Option<Request>,
    sent: bool,
    repeat: bool,
    idle_timeout: Duration,
    min_retry: Duration,
    max_retry: Duration,
    backoff: Backoff,
    decoder: BytesDecoder,
    phase: Phase,
    failures: u32,
    events_this_connection: bool,
    retry_after: Option<Duration>,
    last_byte: Instant,
    random: RandomState,
    restart: Arc<AtomicBool>,
    /// Sees each chunk of a stream's body before it is decoded.
    tap: Option<Tap>,
}

/// A function that sees each chunk of the body ([`EventSource::on_chunk`]).
type Tap = Box<dyn FnMut(&Bytes) + Send>;

type Pending = Pin<Box<dyn Future<Output = (Box<Inner>, Option<Item>)> + Send>>;

/// A reconnecting event stream over reqwest: a `Stream` of
/// `Result<`[`Update`]`, `[`EventSourceError`]`>`; see the [module
/// docs](self) for what it does exactly.
///
/// Settings (`with_last_event_id`, `idle_timeout`, ...) are meant to be set
/// before the first poll; later they apply from the next connection or read.
pub struct EventSource {
    inner: Option<Box<Inner>>,
    pending: Option<Pending>,
    restart: Arc<AtomicBool>,
    last_event_id: String,
    /// An error to yield before ending (the request could not be built).
    failure: Option<EventSourceError>,
    closed: bool,
}

impl fmt::Debug for EventSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSource")
            .field("last_event_id", &self.last_event_id)
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl EventSource {
    /// Follows `GET url` with a client from [`client_builder`].
    ///
    /// ```no_run
    /// # use futures_util::StreamExt;
    /// # async fn example() {
    /// let mut events = sse_codec_tokio::EventSource::get("http://127.0.0.1:3000/logs");
    /// while let Some(item) = events.next().await {
    ///     println!("{item:?}");
    /// }
    /// # }
    /// ```
    pub fn get(url: impl IntoUrl) -> EventSource {
        match client_builder().build() {
            Ok(client) => client.get(url).event_source(),
            Err(error) => EventSource::failed(EventSourceError::Request(Some(error))),
        }
    }

    /// Follows the stream `request` opens, sent with `client` (see
    /// [`RequestBuilderExt::event_source`] for the shorter way).
    pub fn new(client: Client, request: Request) -> EventSource {
        let restart = Arc::new(AtomicBool::new(false));
        let inner = Inner {
            client,
            request: Some(request),
            sent: false,
            repeat: false,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            min_retry: DEFAULT_MIN_RETRY,
            max_retry: DEFAULT_MAX_RETRY,
            backoff: Backoff::default(),
            decoder: Builder::new().comments(true).build_bytes(),
            phase: Phase::Connect(None),
            failures: 0,
            events_this_connection: false,
            retry_after: None,
            last_byte: Instant::now(),
            random: RandomState::new(),
            restart: Arc::clone(&restart),
            tap: None,
        };
        EventSource {
            inner: Some(Box::new(inner)),
            pending: None,
            restart,
            last_event_id: String::new(),
            failure: None,
            closed: false,
        }
    }

    /// A source that yields `error` and ends.
    fn failed(error: EventSourceError) -> EventSource {
        EventSource {
            inner: None,
            pending: None,
            restart: Arc::new(AtomicBool::new(false)),
            last_event_id: String::new(),
            failure: Some(error),
            closed: false,
        }
    }

    fn set(mut self, f: impl FnOnce(&mut Inner)) -> Self {
        if let Some(inner) = &mut self.inner {
            f(inner);
        }
        self
    }

    /// Starts from a saved last event ID: sent as `Last-Event-ID` on the
    /// first request (when not empty), as if an `id:` had set it.
    pub fn with_last_event_id(mut self, id: &str) -> Self {
        self.last_event_id = id.to_owned();
        self.set(|inner| inner.decoder.set_last_event_id(id))
    }

    /// The idle timeout (default [`DEFAULT_IDLE_TIMEOUT`]): the longest wait
    /// for the response head and for each read of the body. Any byte,
    /// keep-alive comments included, restarts it; when it fires the
    /// connection is dropped and resumed with `Last-Event-ID`.
    /// `Duration::MAX` disables it.
    pub fn idle_timeout(self, idle: Duration) -> Self {
        self.set(|inner| inner.idle_timeout = idle)
    }

    /// The delays between connections: the one before the server sets
    /// `retry` (`initial`), and the growth after consecutive failures.
    pub fn backoff(self, backoff: Backoff) -> Self {
        self.set(|inner| inner.backoff = backoff)
    }

    /// The bounds of the server's `retry` and of `Retry-After` (default
    /// [`DEFAULT_MIN_RETRY`] to [`DEFAULT_MAX_RETRY`]); the lower one is also
    /// the smallest base delay after a failure.
    pub fn retry_bounds(self, min: Duration, max: Duration) -> Self {
        self.set(|inner| {
            inner.min_retry = min.min(max);
            inner.max_retry = max;
        })
    }

    /// Whether a request whose method is not `GET` may be sent again on a
    /// reconnection, with its method and body (default no: re-sending a
    /// `POST` may repeat what it does, e.g. spend an LLM's tokens; the
    /// stream ends with the first connection instead).
    pub fn repeat_request(self, repeat: bool) -> Self {
        self.set(|inner| inner.repeat = repeat)
    }

    /// Decoder limits (line length, event size) from `builder`; comments
    /// are reported only if it asks for them (the default decoder does).
    pub fn decoder_settings(self, builder: Builder) -> Self {
        self.set(|inner| {
            let id = inner.decoder.last_event_id().into_owned();
            inner.decoder = builder.build_bytes();
            inner.decoder.set_last_event_id(&id);
        })
    }

    /// Calls `tap` with each chunk of an event stream's body as it arrives,
    /// before it is decoded (the wire bytes; for a recorder, or to show
    /// chunk boundaries). Error responses' bodies are not passed to it.
    /// It runs inside [`poll_next`](Stream::poll_next): it must be quick.
    ///
    /// ```no_run
    /// # use sse_codec_tokio::EventSource;
    /// let mut bytes = 0;
    /// let events = EventSource::get("http://127.0.0.1:3000/logs").on_chunk(move |chunk| {
    ///     bytes += chunk.len();
    ///     eprintln!("{} bytes so far", bytes);
    /// });
    /// # drop(events);
    /// ```
    pub fn on_chunk(self, tap: impl FnMut(&Bytes) + Send + 'static) -> Self {
        self.set(|inner| inner.tap = Some(Box::new(tap)))
    }

    /// The last event ID of the events yielded so far (what the next
    /// request sends as `Last-Event-ID`), e.g. to save it.
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// Drops the connection and ends the stream.
    pub fn close(&mut self) {
        self.pending = None;
        self.inner = None;
        self.closed = true;
    }

    /// Whether the stream has ended (closed, 204, a fatal error).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Reconnects now: drops the current connection (or cuts the wait
    /// before the next one) and connects to the same URL with
    /// `Last-Event-ID`, on the next poll. No effect once the stream ended.
    pub fn restart(&mut self) {
        self.restart.store(true, Ordering::Release);
    }
}

impl Stream for EventSource {
    type Item = Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        let this = &mut *self;
        if this.closed {
            return Poll::Ready(None);
        }
        if let Some(error) = this.failure.take() {
            this.closed = true;
            return Poll::Ready(Some(Err(error)));
        }
        if this.pending.is_none() {
            let Some(mut inner) = this.inner.take() else {
                this.closed = true;
                return Poll::Ready(None);
            };
            this.pending = Some(Box::pin(async move {
                let item = inner.step().await;
                (inner, item)
            }));
        }
        let Some(pending) = &mut this.pending else {
            return Poll::Ready(None);
        };
        let (inner, item) = ready!(pending.as_mut().poll(cx));
        this.pending = None;
        if inner.decoder.last_event_id() != this.last_event_id.as_str() {
            this.last_event_id = inner.decoder.last_event_id().into_owned();
        }
        this.inner = Some(inner);
        if item.is_none() {
            this.closed = true;
        }
        Poll::Ready(item)
    }
}

/// Waits for `future`, at most `limit`, and stops early on a restart.
async fn wait<F: Future>(
    future: F,
    limit: Option<Duration>,
    restart: &AtomicBool,
) -> Wait<F::Output> {
    let mut future = pin!(future);
    let mut sleep = pin!(limit.map(tokio::time::sleep));
    poll_fn(|cx| {
        if restart.swap(false, Ordering::AcqRel) {
            return Poll::Ready(Wait::Restart);
        }
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Wait::Ready(output));
        }
        match sleep.as_mut().as_pin_mut().map(|sleep| sleep.poll(cx)) {
            Some(Poll::Ready(())) => Poll::Ready(Wait::TimedOut),
            _ => Poll::Pending,
        }
    })
    .await
}

fn next_chunk(body: &mut Body) -> impl Future<Output = Option<reqwest::Result<Bytes>>> + '_ {
    poll_fn(move |cx| body.as_mut().poll_next(cx))
}

/// Whether connecting failed because the client cannot speak the URL's
/// scheme (hyper-util's message for `https` without TLS support).
fn unsupported_scheme(error: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = source {
        if error.to_string().contains("scheme is not http") {
            return true;
        }
        source = error.source();
    }
    false
}

/// Whether `Content-Type` is `text/event-stream`, parameters allowed.
fn is_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("text/event-stream"))
}

/// `Retry-After` as a delay: seconds, or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(
        date.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

impl Inner {
    fn clamp(&self, delay: Duration) -> Duration {
        delay.clamp(self.min_retry, self.max_retry)
    }

    /// Whether the request may be sent (again).
    fn may_send(&self) -> bool {
        !self.sent
            || self.repeat
            || self.request.as_ref().map(Request::method) == Some(&Method::GET)
    }

    /// After a failure or the end of a connection: wait, or end when the
    /// request may not be repeated.
    fn schedule(&mut self) {
        if !self.may_send() {
            self.phase = Phase::Done;
            return;
        }
        let base = match (self.retry_after.take(), self.decoder.reconnection_time()) {
            (Some(delay), _) => delay,
            (None, Some(ms)) => self.clamp(Duration::from_millis(ms)),
            (None, None) => self.backoff.initial,
        };
        let delay = if self.failures == 0 {
            base
        } else {
            let random = self.random.hash_one(self.failures);
            self.backoff
                .delay(base.max(self.min_retry), self.failures, random)
        };
        self.phase = Phase::Connect(Some(delay));
    }

    fn failed(&mut self, error: EventSourceError) -> Option<Item> {
        if error.is_fatal() {
            self.phase = Phase::Done;
        } else {
            self.failures = self.failures.saturating_add(1);
            self.schedule();
        }
        Some(Err(error))
    }

    /// The stream of this connection is over: its unfinished event is
    /// discarded, and the last event ID string is carried into the next
    /// stream, as browsers do (the spec's decoder would let the next
    /// stream's first event reset it to empty).
    fn end_of_stream(&mut self) {
        crate::client::end_of_stream(&mut self.decoder);
    }

    /// The connection ended or failed.
    fn disconnected(&mut self) {
        self.end_of_stream();
        if self.events_this_connection {
            self.failures = 0;
        } else {
            self.failures = self.failures.saturating_add(1);
        }
        self.schedule();
    }

    /// The request for the next attempt.
    fn next_request(&mut self) -> Option<Request> {
        let template = self.request.as_ref()?;
        let mut request = match template.try_clone() {
            Some(request) => request,
            None => self.request.take()?,
        };
        let headers = request.headers_mut();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/event-stream"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.remove("last-event-id");
        let id = self.decoder.last_event_id();
        if !id.is_empty() {
            // An ID with control characters cannot be a header value; it
            // is not sent.
            if let Ok(value) = HeaderValue::from_bytes(id.as_bytes()) {
                headers.insert("last-event-id", value);
            }
        }
        Some(request)
    }

    /// Reads up to [`MAX_ERROR_BODY`] bytes of an error response.
    async fn error_response(&mut self, response: reqwest::Response) -> Box<HttpError> {
        let url = response.url().clone();
        let status = response.status();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        let mut stream: Body = Box::pin(response.bytes_stream());
        while body.len() < MAX_ERROR_BODY {
            let chunk = wait(
                next_chunk(&mut stream),
                Some(self.idle_timeout),
                &AtomicBool::new(false),
            )
            .await;
            match chunk {
                Wait::Ready(Some(Ok(chunk))) => {
                    let room = MAX_ERROR_BODY.saturating_sub(body.len());
                    body.extend_from_slice(chunk.get(..room).unwrap_or(&chunk));
                }
                _ => break,
            }
        }
        Box::new(HttpError {
            url,
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }

    async fn step(&mut self) -> Option<Item> {
        loop {
            match &mut self.phase {
                Phase::Done => return None,
                Phase::Connect(delay) => {
                    if let Some(delay) = *delay {
                        let sleep = tokio::time::sleep(delay);
                        // A restart cuts the wait short.
                        let _ = wait(sleep, None, &self.restart).await;
                    }
                    if let Some(item) = self.connect().await {
                        return Some(item);
                    }
                }
                Phase::Streaming(body) => {
                    if let Some(item) = self.decoder.next_item() {
                        return Some(match item {
                            Ok(OwnedItem::Event(event)) => {
                                self.events_this_connection = true;
                                Ok(Update::Event(event))
                            }
                            Ok(OwnedItem::Comment(text)) => Ok(Update::Comment(text)),
                            Ok(OwnedItem::Retry(ms)) => {
                                Ok(Update::Retry(self.clamp(Duration::from_millis(ms))))
                            }
                            Err(error) => Err(EventSourceError::Limit(error)),
                        });
                    }
                    let read = wait(next_chunk(body), Some(self.idle_timeout), &self.restart).await;
                    match read {
                        Wait::Ready(Some(Ok(chunk))) => {
                            self.last_byte = Instant::now();
                            if let Some(tap) = &mut self.tap {
                                tap(&chunk);
                            }
                            self.decoder.push(chunk);
                        }
                        Wait::Ready(None) => {
                            let truncated = self.decoder.is_mid_event();
                            self.disconnected();
                            return Some(Ok(Update::Ended { truncated }));
                        }
                        Wait::Ready(Some(Err(error))) => {
                            self.disconnected();
                            let error = if error.is_timeout() {
                                let likely = self.last_byte.elapsed() < RECENT_BYTE;
                                #[cfg(feature = "tracing")]
                                if likely {
                                    tracing::warn!(
                                        "event stream killed by a total timeout: do not use \
                                         reqwest::ClientBuilder::timeout for streams"
                                    );
                                }
                                EventSourceError::Timeout {
                                    error,
                                    total_timeout_likely: likely,
                                }
                            } else {
                                EventSourceError::Transport(error)
                            };
                            return Some(Err(error));
                        }
                        Wait::TimedOut => {
                            self.disconnected();
                            return Some(Err(EventSourceError::IdleTimeout(self.idle_timeout)));
                        }
                        Wait::Restart => {
                            self.end_of_stream();
                            self.phase = Phase::Connect(None);
                        }
                    }
                }
            }
        }
    }

    /// One connection attempt; `None` to go on looping (restarted).
    async fn connect(&mut self) -> Option<Item> {
        let Some(request) = self.next_request() else {
            self.phase = Phase::Done;
            return Some(Err(EventSourceError::Request(None)));
        };
        self.sent = true;
        let send = self.client.execute(request);
        let response = match wait(send, Some(self.idle_timeout), &self.restart).await {
            Wait::Ready(Ok(response)) => response,
            Wait::Ready(Err(error)) if error.is_redirect() => {
                return self.failed(EventSourceError::Redirect {
                    response: None,
                    error: Some(error),
                });
            }
            // An invalid URL, an unsupported scheme (https without TLS):
            // trying again cannot help.
            Wait::Ready(Err(error)) if error.is_builder() || unsupported_scheme(&error) => {
                return self.failed(EventSourceError::Request(Some(error)));
            }
            Wait::Ready(Err(error)) => return self.failed(EventSourceError::Transport(error)),
            Wait::TimedOut => return self.failed(EventSourceError::IdleTimeout(self.idle_timeout)),
            Wait::Restart => {
                self.phase = Phase::Connect(None);
                return None;
            }
        };
        let status = response.status();
        if status == StatusCode::OK && is_event_stream(response.headers()) {
            let headers = Box::new(response.headers().clone());
            self.events_this_connection = false;
            self.last_byte = Instant::now();
            self.phase = Phase::Streaming(Box::pin(response.bytes_stream()));
            return Some(Ok(Update::Open { status, headers }));
        }
        if status == StatusCode::NO_CONTENT {
            self.phase = Phase::Done;
            return Some(Ok(Update::NoContent));
        }
        if retried_status(status) {
            self.retry_after = retry_after(response.headers()).map(|delay| self.clamp(delay));
        }
        let error = self.error_response(response).await;
        let error = if status.is_redirection() {
            EventSourceError::Redirect {
                response: Some(error),
                error: None,
            }
        } else if status == StatusCode::OK {
            EventSourceError::ContentType(error)
        } else {
            EventSourceError::Status(error)
        };
        self.failed(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn content_type_essence_with_parameters() {
        for good in [
            "text/event-stream",
            "text/event-stream; charset=utf-8",
            "Text/Event-Stream;charset=UTF-8",
            " text/event-stream ",
        ] {
            assert!(
                is_event_stream(&headers(header::CONTENT_TYPE, good)),
                "{good}"
            );
        }
        for bad in [
            "text/html",
            "text/event-streams",
            "text/plain; text/event-stream",
            "",
        ] {
            assert!(
                !is_event_stream(&headers(header::CONTENT_TYPE, bad)),
                "{bad}"
            );
        }
        assert!(!is_event_stream(&HeaderMap::new()));
    }

    #[test]
    fn retry_after_seconds_or_date() {
        let parse = |value: &str| retry_after(&headers(header::RETRY_AFTER, value));
        assert_eq!(parse("120"), Some(Duration::from_secs(120)));
        assert_eq!(parse(" 0 "), Some(Duration::ZERO));
        assert_eq!(parse("soon"), None);
        assert_eq!(parse("-1"), None);
        let future = SystemTime::now() + Duration::from_secs(3600);
        let in_an_hour = parse(&httpdate::fmt_http_date(future)).unwrap();
        assert!(in_an_hour > Duration::from_secs(3590) && in_an_hour <= Duration::from_secs(3600));
        assert_eq!(parse("Sun, 06 Nov 1994 08:49:37 GMT"), Some(Duration::ZERO));
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn client_builder_builds() {
        client_builder().build().unwrap();
        // Another client of the same program needs nothing installed first
        // (with reqwest's `rustls-no-provider` this would panic).
        reqwest::Client::new();
    }

    #[test]
    fn fatal_or_retried_statuses() {
        for (status, retried) in [
            (500, true),
            (503, true),
            (429, true),
            (401, false),
            (404, false),
            (408, false),
        ] {
            assert_eq!(
                retried_status(StatusCode::from_u16(status).unwrap()),
                retried,
                "{status}"
            );
        }
    }
}
