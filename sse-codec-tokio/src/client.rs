//! Client side: reconnection, independent of the HTTP library.

use std::borrow::Cow;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Buf;
use futures_core::Stream;
use sse_codec_core::{Builder, BytesDecoder, OwnedItem};

use self::timer::Sleep;

use crate::stream::{EventStream, EventStreamError};

/// The outcome of one connection attempt, as the connect function judges it.
#[derive(Debug)]
pub enum Connection<S, E> {
    /// Connected: the response body as a stream of byte chunks.
    Stream(S),
    /// Do not reconnect, ever: HTTP 204 No Content, a response whose
    /// `Content-Type` is not `text/event-stream`, or any other reason to
    /// give up. The event stream ends.
    Stop,
    /// The attempt failed (transport error, 5xx, ...): try again later.
    Retry(E),
}

/// An error reported by [`Reconnect`]; none of them ends the stream.
#[derive(Debug)]
pub enum ReconnectError<E> {
    /// A limit was exceeded; that event was skipped.
    Limit(sse_codec_core::Error),
    /// A connection attempt failed; another follows after the delay.
    Connect(E),
    /// The connection failed mid-stream; a new one follows after the delay.
    Stream(E),
}

impl<E: fmt::Display> fmt::Display for ReconnectError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReconnectError::Limit(error) => error.fmt(f),
            ReconnectError::Connect(error) => write!(f, "connecting failed: {error}"),
            ReconnectError::Stream(error) => write!(f, "the connection failed: {error}"),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for ReconnectError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReconnectError::Limit(error) => Some(error),
            ReconnectError::Connect(error) | ReconnectError::Stream(error) => Some(error),
        }
    }
}

/// How long to wait before reconnecting.
///
/// The base delay is the reconnection time: the server's last `retry`, or
/// [`initial`](Self::initial) until it sends one. After a connection that
/// delivered events, the client waits exactly that. After repeated failures
/// (attempts that failed, or connections that ended before any event) the
/// delay grows by [`factor`](Self::factor) each time, up to
/// [`max`](Self::max) (never below the server's `retry`), with random
/// jitter between the base and the grown delay so that many clients do not
/// reconnect in step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The reconnection time before the server sets one (default 3 s, as
    /// browsers use).
    pub initial: Duration,
    /// Growth per consecutive failure (default 2; 1 disables backoff).
    pub factor: u32,
    /// The longest delay backoff grows to (default 60 s).
    pub max: Duration,
    /// Whether to spread delays randomly (default yes).
    pub jitter: bool,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_secs(3),
            factor: 2,
            max: Duration::from_secs(60),
            jitter: true,
        }
    }
}

impl Backoff {
    /// Always exactly the reconnection time: no growth, no jitter.
    pub fn none() -> Self {
        Backoff {
            factor: 1,
            jitter: false,
            ..Backoff::default()
        }
    }

    /// The delay after `failures` consecutive failures, for base delay `base`.
    #[allow(
        clippy::arithmetic_side_effects,
        reason = "division by the constant u64::MAX; in the second arm `spread / scale < 2^64` and `random < 2^64`, so the product fits in u128"
    )]
    pub(crate) fn delay(&self, base: Duration, failures: u32, random: u64) -> Duration {
        if failures == 0 {
            return base;
        }
        let growth = self.factor.saturating_pow(failures.min(32));
        let grown = base.saturating_mul(growth).min(self.max).max(base);
        if !self.jitter {
            return grown;
        }
        // A random point between `base` and `grown`: random / u64::MAX of
        // the spread. When the spread is wider than u64::MAX nanoseconds
        // (585 years: only with a `max` like `Duration::MAX`) the product
        // would overflow u128, so the spread is scaled down first.
        let spread = grown.saturating_sub(base).as_nanos();
        let scale = u128::from(u64::MAX);
        let offset = match spread.checked_mul(u128::from(random)) {
            Some(product) => product / scale,
            None => spread / scale * u128::from(random),
        };
        base.saturating_add(Duration::from_nanos(
            u64::try_from(offset).unwrap_or(u64::MAX),
        ))
    }
}

/// The end of one connection's stream: its unfinished event is discarded,
/// and the last event ID string is carried into the next stream, as
/// browsers do (the spec's decoder would let the next stream's first event
/// reset it to empty).
pub(crate) fn end_of_stream(decoder: &mut BytesDecoder) {
    let id = decoder.last_event_id().into_owned();
    decoder.end_of_stream();
    decoder.set_last_event_id(&id);
}

/// The longest delay a browser's `setTimeout` takes: a signed 32-bit number
/// of milliseconds (about 24.8 days); a longer one fires at once.
const MAX_TIMEOUT_MS: u32 = 0x7FFF_FFFF;

/// One `setTimeout` step of a delay: the milliseconds to wait now (the delay
/// rounded up, never early; at most [`MAX_TIMEOUT_MS`]) and what is left
/// after it. `(0, ZERO)` for a zero delay.
#[cfg_attr(
    not(all(target_arch = "wasm32", target_os = "unknown")),
    allow(dead_code, reason = "the browser's timer only")
)]
pub(crate) fn timeout_step(delay: Duration) -> (u32, Duration) {
    let whole = delay.as_millis();
    let millis = if delay.subsec_nanos() % 1_000_000 == 0 {
        whole
    } else {
        whole.saturating_add(1)
    };
    let step = u32::try_from(millis)
        .unwrap_or(MAX_TIMEOUT_MS)
        .min(MAX_TIMEOUT_MS);
    (
        step,
        delay.saturating_sub(Duration::from_millis(u64::from(step))),
    )
}

/// The timer and randomness of the reconnection delay: tokio's timer (it
/// needs a tokio runtime with the timer enabled) except in the browser.
#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
mod timer {
    use std::collections::hash_map::RandomState;
    use std::hash::BuildHasher;
    use std::time::Duration;

    pub(crate) type Sleep = tokio::time::Sleep;

    pub(crate) fn sleep(delay: Duration) -> Sleep {
        tokio::time::sleep(delay)
    }

    /// A random number for the jitter: the process's random hash keys.
    pub(crate) fn random(state: &RandomState, failures: u32) -> u64 {
        state.hash_one(failures)
    }
}

/// In the browser (`wasm32-unknown-unknown`): no tokio runtime there, and
/// no clock or randomness in `std` (`Instant::now` panics, hash keys are
/// the same in every browser), so the delay is the browser's `setTimeout`
/// and the jitter comes from `Math.random()`.
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
mod timer {
    use std::collections::hash_map::RandomState;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{ready, Context, Poll};
    use std::time::Duration;

    use gloo_timers::future::TimeoutFuture;

    /// A delay of any length: `setTimeout` steps of at most
    /// [`MAX_TIMEOUT_MS`](super::MAX_TIMEOUT_MS) each.
    pub(crate) struct Sleep {
        remaining: Duration,
        timeout: Option<TimeoutFuture>,
    }

    pub(crate) fn sleep(delay: Duration) -> Sleep {
        Sleep {
            remaining: delay,
            timeout: None,
        }
    }

    impl Future for Sleep {
        type Output = ();

        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            loop {
                if let Some(timeout) = &mut self.timeout {
                    ready!(Pin::new(timeout).poll(cx));
                    self.timeout = None;
                }
                let (millis, rest) = super::timeout_step(self.remaining);
                if millis == 0 {
                    return Poll::Ready(());
                }
                self.remaining = rest;
                self.timeout = Some(TimeoutFuture::new(millis));
            }
        }
    }

    /// A random number for the jitter, from `Math.random()`.
    pub(crate) fn random(_: &RandomState, _: u32) -> u64 {
        // 2^64 as f64; the product is below it, and `as` saturates anyway.
        (js_sys::Math::random() * 18_446_744_073_709_551_616.0) as u64
    }
}

enum State<F, S> {
    Connect,
    Connecting(Pin<Box<F>>),
    Streaming(Box<EventStream<S>>),
    Waiting(Pin<Box<Sleep>>),
    Done,
}

/// A stream of events across reconnections; see [`reconnect`].
pub struct Reconnect<C, F, S> {
    connect: C,
    state: State<F, S>,
    /// The decoder between connections (inside the `EventStream` during one).
    decoder: Option<BytesDecoder>,
    backoff: Backoff,
    failures: u32,
    events_this_connection: bool,
    random: RandomState,
}

/// Connects with `connect` and yields the events of the stream, reconnecting
/// whenever it ends or fails, as the `EventSource` of a browser does.
///
/// `connect` receives the last event ID (`None` when it is empty), which the
/// request should send as the `Last-Event-ID` header, and returns a
/// [`Connection`]: the body as a stream of byte chunks, `Stop` (HTTP 204, a
/// wrong content type: the stream ends) or `Retry(error)`. Between
/// connections the stream waits the server's reconnection time (`retry`),
/// growing with [`Backoff`] after repeated failures. The last event ID is
/// kept across connections: an event is never lost to a reconnection that
/// the server resumes correctly, and never repeated with a stale ID.
///
/// Errors are reported as `Err` items and do not end the stream; it ends
/// after `Stop`, or when [`close`](Reconnect::close)d or dropped.
///
/// The delay is waited with tokio's timer (a tokio runtime with the timer
/// enabled must drive the stream), except on `wasm32-unknown-unknown`: in
/// the browser it is `setTimeout` (any length, in steps of at most
/// 2^31 - 1 ms) and the jitter comes from `Math.random()`, with no tokio
/// runtime; see the crate docs' "In the browser".
///
/// ```no_run
/// use sse_codec_core::OwnedItem;
/// use sse_codec_tokio::{reconnect, Connection};
/// # use futures_core::Stream;
///
/// # async fn example() {
/// let mut events = reconnect(|last_event_id: Option<String>| async move {
///     // Make the request with your HTTP client, sending
///     // `Last-Event-ID: <id>` when `last_event_id` is Some, then:
///     // 204 or a non-event-stream content type => Connection::Stop,
///     // a transport error => Connection::Retry(error),
///     // otherwise the body's byte chunks => Connection::Stream(body).
///     Connection::<Chunks, std::io::Error>::Stop
/// });
/// while let Some(item) = std::future::poll_fn(|cx| std::pin::Pin::new(&mut events).poll_next(cx)).await {
///     match item {
///         Ok(OwnedItem::Event(event)) => println!("{}: {}", event.event_type(), event.data()),
///         Ok(_) => {}
///         Err(error) => eprintln!("{error}"),
///     }
/// }
/// # }
/// # type Chunks = std::pin::Pin<Box<dyn Stream<Item = Result<bytes::Bytes, std::io::Error>>>>;
/// ```
pub fn reconnect<C, F, S, E>(connect: C) -> Reconnect<C, F, S>
where
    C: FnMut(Option<String>) -> F,
    F: Future<Output = Connection<S, E>>,
{
    Reconnect {
        connect,
        state: State::Connect,
        decoder: Some(BytesDecoder::new()),
        backoff: Backoff::default(),
        failures: 0,
        events_this_connection: false,
        random: RandomState::new(),
    }
}

impl<C, F, S> Reconnect<C, F, S> {
    /// Sets the [`Backoff`].
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Uses the limits and settings of `builder` (the last event ID and
    /// reconnection time start empty).
    pub fn decoder_settings(mut self, builder: Builder) -> Self {
        self.decoder = Some(builder.build_bytes());
        self
    }

    /// Starts from a saved last event ID (sent on the first connection).
    pub fn last_event_id(mut self, id: &str) -> Self {
        if let Some(decoder) = &mut self.decoder {
            decoder.set_last_event_id(id);
        }
        self
    }

    /// The current last event ID string.
    pub fn current_last_event_id(&self) -> Cow<'_, str> {
        match (&self.state, &self.decoder) {
            (State::Streaming(stream), _) => stream.last_event_id(),
            (_, Some(decoder)) => decoder.last_event_id(),
            _ => Cow::Borrowed(""),
        }
    }

    /// The current reconnection time set by the server, in milliseconds.
    pub fn reconnection_time(&self) -> Option<u64> {
        match (&self.state, &self.decoder) {
            (State::Streaming(stream), _) => stream.reconnection_time(),
            (_, Some(decoder)) => decoder.reconnection_time(),
            _ => None,
        }
    }

    /// Stops: drops the connection; the stream ends. The last event ID and
    /// reconnection time stay readable (to save them for a later session).
    pub fn close(&mut self) {
        if let State::Streaming(stream) = std::mem::replace(&mut self.state, State::Done) {
            let (_, mut decoder) = stream.into_parts();
            end_of_stream(&mut decoder);
            self.decoder = Some(decoder);
        }
    }

    /// The current connection ended or failed: keep the decoder, wait.
    fn disconnected(&mut self, stream: EventStream<S>) {
        let (_, mut decoder) = stream.into_parts();
        end_of_stream(&mut decoder);
        self.decoder = Some(decoder);
        if self.events_this_connection {
            self.failures = 0;
        } else {
            self.failures = self.failures.saturating_add(1);
        }
        self.wait();
    }

    fn wait(&mut self) {
        let base = self
            .decoder
            .as_ref()
            .and_then(BytesDecoder::reconnection_time)
            .map_or(self.backoff.initial, Duration::from_millis);
        let delay = self.backoff.delay(
            base,
            self.failures,
            timer::random(&self.random, self.failures),
        );
        self.state = State::Waiting(Box::pin(timer::sleep(delay)));
    }
}

impl<C, F, S, B, E> Stream for Reconnect<C, F, S>
where
    C: FnMut(Option<String>) -> F + Unpin,
    F: Future<Output = Connection<S, E>>,
    S: Stream<Item = Result<B, E>> + Unpin,
    B: Buf + 'static,
{
    type Item = Result<OwnedItem, ReconnectError<E>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            match &mut this.state {
                State::Done => return Poll::Ready(None),
                State::Connect => {
                    let id = this
                        .decoder
                        .as_ref()
                        .map(|d| d.last_event_id().into_owned());
                    let future = (this.connect)(id.filter(|id| !id.is_empty()));
                    this.state = State::Connecting(Box::pin(future));
                }
                State::Connecting(future) => match ready!(future.as_mut().poll(cx)) {
                    Connection::Stream(source) => {
                        let decoder = this.decoder.take().unwrap_or_default();
                        this.events_this_connection = false;
                        this.state =
                            State::Streaming(Box::new(EventStream::with_decoder(source, decoder)));
                    }
                    Connection::Stop => this.state = State::Done,
                    Connection::Retry(error) => {
                        this.failures = this.failures.saturating_add(1);
                        this.wait();
                        return Poll::Ready(Some(Err(ReconnectError::Connect(error))));
                    }
                },
                State::Streaming(stream) => {
                    let item = ready!(Pin::new(&mut **stream).poll_next(cx));
                    let error = match item {
                        Some(Ok(item)) => {
                            if matches!(item, OwnedItem::Event(_)) {
                                this.events_this_connection = true;
                            }
                            return Poll::Ready(Some(Ok(item)));
                        }
                        Some(Err(EventStreamError::Limit(error))) => {
                            return Poll::Ready(Some(Err(ReconnectError::Limit(error))));
                        }
                        Some(Err(EventStreamError::Source(error))) => Some(error),
                        None => None,
                    };
                    let State::Streaming(stream) =
                        std::mem::replace(&mut this.state, State::Connect)
                    else {
                        unreachable!("the state was Streaming a moment ago")
                    };
                    this.disconnected(*stream);
                    if let Some(error) = error {
                        return Poll::Ready(Some(Err(ReconnectError::Stream(error))));
                    }
                }
                State::Waiting(sleep) => {
                    ready!(sleep.as_mut().poll(cx));
                    this.state = State::Connect;
                }
            }
        }
    }
}

impl<C, F, S> fmt::Debug for Reconnect<C, F, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::Connect => "connect",
            State::Connecting(_) => "connecting",
            State::Streaming(_) => "streaming",
            State::Waiting(_) => "waiting",
            State::Done => "done",
        };
        f.debug_struct("Reconnect")
            .field("state", &state)
            .field("last_event_id", &self.current_last_event_id())
            .field("failures", &self.failures)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::{reconnect, Backoff, Connection};
    use bytes::Bytes;
    use futures_util::StreamExt;
    use sse_codec_core::OwnedItem;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn the_last_event_id_survives_the_reconnection_and_the_partial_block_does_not() {
        let mut bodies = vec!["data: b\n\n", "id: abc\ndata: a\n\nid: def\ndata: partial"];
        let mut sent = Vec::new();
        let mut events = reconnect(|id: Option<String>| {
            sent.push(id);
            let body = bodies.pop();
            async move {
                match body {
                    Some(body) => {
                        Connection::Stream(futures_util::stream::iter([Ok::<_, std::io::Error>(
                            Bytes::from(body),
                        )]))
                    }
                    None => Connection::Stop,
                }
            }
        })
        .backoff(Backoff {
            initial: Duration::ZERO,
            ..Backoff::none()
        });
        let mut seen = Vec::new();
        while let Some(item) = events.next().await {
            if let Ok(OwnedItem::Event(event)) = item {
                seen.push((event.data().to_owned(), event.id().to_owned()));
            }
        }
        drop(events);
        assert_eq!(
            seen,
            [("a".into(), "abc".into()), ("b".into(), "abc".into())]
        );
        assert_eq!(sent, [None, Some("abc".into()), Some("abc".into())]);
    }

    #[test]
    fn browser_timeouts_round_up_and_split_long_delays() {
        use super::{timeout_step, MAX_TIMEOUT_MS};
        assert_eq!(timeout_step(Duration::ZERO), (0, Duration::ZERO));
        // Never early: a nanosecond is a millisecond.
        assert_eq!(timeout_step(Duration::from_nanos(1)), (1, Duration::ZERO));
        assert_eq!(
            timeout_step(Duration::from_micros(1500)),
            (2, Duration::ZERO)
        );
        assert_eq!(timeout_step(Duration::from_secs(3)), (3000, Duration::ZERO));
        // setTimeout fires at once for more than 2^31 - 1 ms: the rest
        // is waited in further steps.
        let max = Duration::from_millis(u64::from(MAX_TIMEOUT_MS));
        assert_eq!(timeout_step(max), (MAX_TIMEOUT_MS, Duration::ZERO));
        let long = max + Duration::from_millis(5);
        assert_eq!(
            timeout_step(long),
            (MAX_TIMEOUT_MS, Duration::from_millis(5))
        );
        let (step, rest) = timeout_step(Duration::MAX);
        assert_eq!(step, MAX_TIMEOUT_MS);
        assert_eq!(rest, Duration::MAX - max);
        // Steps add up to the delay (rounded up to the millisecond).
        let mut remaining = Duration::from_millis(3 * u64::from(MAX_TIMEOUT_MS) + 7);
        let mut total = 0_u64;
        let mut steps = 0;
        loop {
            let (step, rest) = timeout_step(remaining);
            if step == 0 {
                break;
            }
            total += u64::from(step);
            steps += 1;
            remaining = rest;
        }
        assert_eq!((total, steps), (3 * u64::from(MAX_TIMEOUT_MS) + 7, 4));
    }

    #[test]
    fn backoff_grows_from_the_server_retry_to_the_cap() {
        let backoff = Backoff {
            jitter: false,
            ..Backoff::default()
        };
        let base = Duration::from_secs(1);
        let delays: Vec<u64> = (0..8)
            .map(|n| backoff.delay(base, n, 0).as_secs())
            .collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 60, 60]);
        // A server retry above the cap is honoured.
        assert_eq!(
            backoff.delay(Duration::from_secs(90), 3, 0),
            Duration::from_secs(90)
        );
        assert_eq!(Backoff::none().delay(base, 5, u64::MAX), base);
    }

    #[test]
    fn jitter_stays_between_the_base_and_the_grown_delay() {
        let backoff = Backoff::default();
        let base = Duration::from_secs(1);
        assert_eq!(backoff.delay(base, 3, 0), base);
        assert_eq!(backoff.delay(base, 3, u64::MAX), Duration::from_secs(8));
        let middle = backoff.delay(base, 3, u64::MAX / 2);
        assert!(
            middle > base && middle < Duration::from_secs(8),
            "{middle:?}"
        );
    }

    #[test]
    fn extreme_durations_saturate_instead_of_panicking() {
        let extremes = [Duration::ZERO, Duration::from_nanos(1), Duration::MAX];
        for initial in extremes {
            for max in extremes {
                for jitter in [false, true] {
                    let backoff = Backoff {
                        initial,
                        factor: u32::MAX,
                        max,
                        jitter,
                    };
                    for failures in [0, 1, 2, 33, u32::MAX] {
                        for random in [0, 1, u64::MAX / 2, u64::MAX] {
                            let delay = backoff.delay(initial, failures, random);
                            assert!(delay >= initial, "{backoff:?} {failures} {random}");
                            assert!(delay <= initial.max(max), "{backoff:?} {failures} {random}");
                        }
                    }
                }
            }
        }
        // With an unbounded maximum the jitter still spans the whole range (up to
        // 2^32 times the base, 136 years here).
        let backoff = Backoff {
            max: Duration::MAX,
            ..Backoff::default()
        };
        let base = Duration::from_secs(1);
        assert_eq!(backoff.delay(base, 40, 0), base);
        assert!(backoff.delay(base, 40, u64::MAX) > Duration::from_secs(86_400 * 365 * 100));
    }
}
