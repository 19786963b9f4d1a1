//! Server side: where an event becomes bytes on a socket. [`SseStream`]
//! encodes each item with the core's [`StreamEncoder`], skips what cannot be
//! encoded, and adds keep-alive comments; [`KeepAlive`] adds keep-alives to
//! a stream of frames.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use pin_project_lite::pin_project;
use sse_codec_core::{EncodeError, Event, EventRef, Frame, StreamEncoder};
use tokio::time::{Instant, Sleep};

/// Something to send on an event stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// An event; its ID is written only when it changes (see [`StreamEncoder`]).
    Event(Event),
    /// An already encoded frame, sent as it is.
    Frame(Frame),
    /// A comment, one `:` line per line.
    Comment(String),
    /// A `retry` field: the client's reconnection time in milliseconds.
    Retry(u64),
}

impl From<Event> for Message {
    fn from(event: Event) -> Self {
        Message::Event(event)
    }
}

impl From<Frame> for Message {
    fn from(frame: Frame) -> Self {
        Message::Frame(frame)
    }
}

/// What [`SseStream`] takes as items: an [`Event`], a [`Frame`], a
/// [`Message`], or a `Result` of one of them (the `Err` of a `Result` ends
/// the response, as with axum's own `Sse`).
pub trait IntoMessage {
    /// The error a `Result` item carries; [`Infallible`] for the others.
    /// `Send`, as a response body is: [`SseStream`] may hold it back for
    /// one poll, to send the events gathered before it first.
    type Error: Send;

    /// The message to send, or the source's error.
    ///
    /// # Errors
    /// The `Err` of a `Result` item, as it is.
    fn into_message(self) -> Result<Message, Self::Error>;
}

macro_rules! into_message {
    ($($item:ty),*) => {$(
        impl IntoMessage for $item {
            type Error = Infallible;
            fn into_message(self) -> Result<Message, Infallible> {
                Ok(self.into())
            }
        }

        impl<E: Send> IntoMessage for Result<$item, E> {
            type Error = E;
            fn into_message(self) -> Result<Message, E> {
                self.map(Into::into)
            }
        }
    )*};
}

into_message!(Event, Frame, Message);

/// The shortest keep-alive interval: tokio's timer has a resolution of one
/// millisecond, and a zero interval would send keep-alives without pause.
const MIN_INTERVAL: Duration = Duration::from_millis(1);

/// A deadline `interval` from now, or about 30 years from now when the
/// interval reaches past what the clock can represent (`Duration::MAX`
/// means "never").
fn deadline_after(interval: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(interval)
        .or_else(|| now.checked_add(Duration::from_secs(86_400 * 365 * 30)))
        .unwrap_or(now)
}

/// A timer that fires after `interval` without activity. Activity only
/// records the time ([`touch`](Self::touch)); the timer is re-armed when it
/// fires, to the last activity plus the interval if there was activity
/// since: no timer-wheel update per event.
#[derive(Debug)]
struct IdleTimer {
    interval: Duration,
    last: Instant,
    sleep: Pin<Box<Sleep>>,
}

impl IdleTimer {
    /// `interval` below one millisecond is raised to one millisecond.
    fn new(interval: Duration) -> Self {
        let interval = interval.max(MIN_INTERVAL);
        IdleTimer {
            interval,
            last: Instant::now(),
            sleep: Box::pin(tokio::time::sleep_until(deadline_after(interval))),
        }
    }

    /// Something was sent now.
    fn touch(&mut self) {
        self.last = Instant::now();
    }

    /// Whether the stream has been idle for the interval; restarts the timer if so.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> bool {
        loop {
            if self.sleep.as_mut().poll(cx).is_pending() {
                return false;
            }
            let due = self.last.checked_add(self.interval);
            match due {
                // Active since the timer was armed: wait for the rest.
                Some(due) if due > self.sleep.deadline() => self.sleep.as_mut().reset(due),
                _ => {
                    self.touch();
                    self.sleep.as_mut().reset(deadline_after(self.interval));
                    return true;
                }
            }
        }
    }
}

pin_project! {
    /// Interleaves a keep-alive comment ([`Frame::keep_alive`], `":\n"`) into a
    /// stream whenever it has yielded nothing for `interval`; every item resets
    /// the timer. Proxies and load balancers close connections that look idle:
    /// an interval of 15 to 30 seconds is usual.
    ///
    /// Works on any stream whose items can be made from a [`Frame`]: `Frame`,
    /// [`Message`], `Bytes`. Needs a tokio runtime with the time driver. An
    /// interval below one millisecond counts as one millisecond; one too long
    /// for the clock (`Duration::MAX`) never fires.
    ///
    /// ```
    /// use std::time::Duration;
    /// use sse_codec_core::Frame;
    /// use sse_codec_tokio::KeepAlive;
    /// # use futures_core::Stream;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// // A source that never yields: only keep-alives come out.
    /// let never = NeverStream::<Frame>(std::marker::PhantomData);
    /// let mut stream = std::pin::pin!(KeepAlive::new(never, Duration::from_secs(15)));
    /// let next = std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await;
    /// assert_eq!(next, Some(Frame::keep_alive()));
    /// # }
    /// # struct NeverStream<T>(std::marker::PhantomData<T>);
    /// # impl<T> Stream for NeverStream<T> {
    /// #     type Item = T;
    /// #     fn poll_next(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<Option<T>> {
    /// #         std::task::Poll::Pending
    /// #     }
    /// # }
    /// ```
    #[derive(Debug)]
    pub struct KeepAlive<S> {
        #[pin]
        inner: S,
        timer: IdleTimer,
    }
}

impl<S> KeepAlive<S> {
    /// Wraps `inner`, sending a keep-alive after every `interval` of silence.
    pub fn new(inner: S, interval: Duration) -> Self {
        KeepAlive {
            inner,
            timer: IdleTimer::new(interval),
        }
    }

    /// The wrapped stream.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S> Stream for KeepAlive<S>
where
    S: Stream,
    S::Item: From<Frame>,
{
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = self.project();
        match this.inner.poll_next(cx) {
            Poll::Ready(Some(item)) => {
                this.timer.touch();
                Poll::Ready(Some(item))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending if this.timer.poll_idle(cx) => {
                Poll::Ready(Some(Frame::keep_alive().into()))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// How many un-encodable items in a row [`SseStream`] skips in one poll
/// before it yields to the runtime (and asks to be polled again), so that a
/// source of nothing but bad events cannot hog a worker thread.
const MAX_SKIPS_PER_POLL: usize = 32;

/// The function [`SseStream::on_skipped`] sets.
type SkipHook = Box<dyn FnMut(&EncodeError, &Message) + Send>;

pin_project! {
    /// Turns a stream of events into encoded `Bytes`: the body of an event
    /// stream response. Items are anything [`IntoMessage`]: [`Event`],
    /// [`Frame`], [`Message`], or a `Result` of one of them.
    ///
    /// - With [`keep_alive`](Self::keep_alive), a comment is sent after each
    ///   idle interval; with [`retry`](Self::retry), the stream starts by
    ///   setting the client's reconnection time.
    /// - **One bad event never ends the stream.** An event that cannot be
    ///   encoded (a line break in its type or ID, a NUL in its ID) is
    ///   skipped: the events before and after it are sent, and the function
    ///   set with [`on_skipped`](Self::on_skipped) is told (and, with the
    ///   `tracing` feature, a `WARN` event is emitted).
    /// - The `Err` of a `Result` item is passed on as the stream's error,
    ///   which ends an axum or hyper response, as with axum's `Sse`.
    /// - With the `axum` feature, `SseStream` is an
    ///   `axum::response::IntoResponse` with the right headers
    ///   ([`RESPONSE_HEADERS`](crate::RESPONSE_HEADERS)): it is the whole
    ///   handler's return value. The source need not be `Unpin`.
    /// - **One chunk per wake-up.** Everything the source has ready is
    ///   gathered into one `Bytes` (up to [`max_chunk`](Self::max_chunk),
    ///   64 KiB by default): one HTTP body frame, one chunk of chunked
    ///   encoding and one write for a burst of events, instead of one per
    ///   event. Nothing is held back: a chunk is handed over as soon as the
    ///   source has nothing more ready.
    ///
    /// ```
    /// use futures_util::{stream, StreamExt};
    /// use sse_codec_tokio::{Event, SseStream};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let events = stream::iter([
    ///     Event::new("hello").with_id("1"),
    ///     Event::new("bad").with_id("2\nevent: injected"), // cannot be encoded: skipped
    ///     Event::new("world").with_id("3"),
    /// ]);
    /// let skipped = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    /// let seen = skipped.clone();
    /// let body = SseStream::new(events)
    ///     .retry(2000)
    ///     .on_skipped(move |error, _message| seen.lock().unwrap().push(error.to_string()));
    /// let chunks: Vec<_> = body.map(|bytes| bytes.unwrap()).collect().await;
    /// let out = chunks.concat();
    /// assert_eq!(out, b"retry: 2000\n\nid: 1\ndata: hello\n\nid: 3\ndata: world\n\n");
    /// assert_eq!(skipped.lock().unwrap().len(), 1);
    /// # }
    /// ```
    pub struct SseStream<S>
    where
        S: Stream,
        S::Item: IntoMessage,
    {
        #[pin]
        inner: S,
        encoder: StreamEncoder,
        keep_alive: Option<IdleTimer>,
        retry: Option<u64>,
        on_skipped: Option<SkipHook>,
        max_chunk: usize,
        // What ended the last chunk, handed out by the next poll: the
        // source's end (`None`) or its error.
        stashed: Option<Option<<S::Item as IntoMessage>::Error>>,
    }
}

impl<S> fmt::Debug for SseStream<S>
where
    S: Stream + fmt::Debug,
    S::Item: IntoMessage,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SseStream")
            .field("inner", &self.inner)
            .field("encoder", &self.encoder)
            .field(
                "keep_alive",
                &self.keep_alive.as_ref().map(|timer| timer.interval),
            )
            .field("retry", &self.retry)
            .field("on_skipped", &self.on_skipped.is_some())
            .field("max_chunk", &self.max_chunk)
            .finish_non_exhaustive()
    }
}

/// The default [`SseStream::max_chunk`].
const DEFAULT_MAX_CHUNK: usize = 64 * 1024;

impl<S> SseStream<S>
where
    S: Stream,
    S::Item: IntoMessage,
{
    /// Encodes the items of `inner`.
    pub fn new(inner: S) -> Self {
        SseStream {
            inner,
            encoder: StreamEncoder::new(),
            keep_alive: None,
            retry: None,
            on_skipped: None,
            max_chunk: DEFAULT_MAX_CHUNK,
            stashed: None,
        }
    }

    /// Gathers what the source has ready into chunks of at most about
    /// `bytes` (default 64 KiB; a chunk is closed
    /// once it reaches `bytes`, so one item larger than that is sent whole).
    /// `0` sends each item as its own chunk.
    ///
    /// ```
    /// use futures_util::{stream, StreamExt};
    /// use sse_codec_tokio::{Event, SseStream};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let events = || stream::iter([Event::new("a"), Event::new("b")]);
    /// let together: Vec<_> = SseStream::new(events()).map(Result::unwrap).collect().await;
    /// assert_eq!(together, ["data: a\n\ndata: b\n\n"]);
    /// let apart: Vec<_> = SseStream::new(events()).max_chunk(0).map(Result::unwrap).collect().await;
    /// assert_eq!(apart, ["data: a\n\n", "data: b\n\n"]);
    /// # }
    /// ```
    pub fn max_chunk(mut self, bytes: usize) -> Self {
        self.max_chunk = bytes;
        self
    }

    /// Sends a keep-alive comment (`":\n"`) whenever nothing was sent for
    /// `interval` (15 to 30 s is usual: proxies close connections that look
    /// idle). Needs a tokio runtime with the time driver. An interval below
    /// one millisecond counts as one millisecond; `Duration::MAX` never
    /// fires.
    pub fn keep_alive(mut self, interval: Duration) -> Self {
        self.keep_alive = Some(IdleTimer::new(interval));
        self
    }

    /// Starts the stream with `retry: <ms>`, the client's reconnection time.
    pub fn retry(mut self, ms: u64) -> Self {
        self.retry = Some(ms);
        self
    }

    /// Continues a stream for a client that sent `Last-Event-ID: <id>`: an
    /// event with that same ID is written without repeating it.
    pub fn resuming(mut self, last_event_id: &str) -> Self {
        self.encoder = StreamEncoder::resuming(last_event_id);
        self
    }

    /// Calls `hook` with the error and the message each time an item is
    /// skipped because it cannot be encoded (for logs or metrics); the
    /// stream goes on either way.
    pub fn on_skipped(mut self, hook: impl FnMut(&EncodeError, &Message) + Send + 'static) -> Self {
        self.on_skipped = Some(Box::new(hook));
        self
    }
}

/// Encodes one message; all or nothing.
fn encode(encoder: &mut StreamEncoder, message: Message) -> Result<Bytes, (EncodeError, Message)> {
    let mut buf = BytesMut::new();
    let result = match &message {
        Message::Event(event) => encoder.encode_event_to_buf(event, &mut buf),
        Message::Frame(frame) => return Ok(frame.clone().into_bytes()),
        Message::Comment(text) => return Ok(Frame::comment(text).into_bytes()),
        Message::Retry(ms) => EventRef::empty().with_retry(*ms).encode_to_buf(&mut buf),
    };
    match result {
        Ok(()) => Ok(buf.freeze()),
        Err(error) => Err((error, message)),
    }
}

/// Tells the hook, and `tracing` with that feature, that a message was skipped.
fn report_skipped(hook: &mut Option<SkipHook>, error: &EncodeError, message: &Message) {
    #[cfg(feature = "tracing")]
    tracing::warn!(%error, ?message, "sse-codec-tokio: skipped an event that cannot be encoded");
    if let Some(hook) = hook {
        hook(error, message);
    }
}

/// A chunk being gathered: the first piece as it is, later ones copied
/// into one buffer.
#[derive(Default)]
struct Gather {
    first: Option<Bytes>,
    more: Option<BytesMut>,
    len: usize,
}

impl Gather {
    fn push(&mut self, bytes: Bytes) {
        self.len = self.len.saturating_add(bytes.len());
        match (&self.first, &mut self.more) {
            (None, _) => self.first = Some(bytes),
            (Some(first), None) => {
                let mut buf = BytesMut::with_capacity(first.len().saturating_add(bytes.len()));
                buf.extend_from_slice(first);
                buf.extend_from_slice(&bytes);
                self.more = Some(buf);
            }
            (Some(_), Some(buf)) => buf.extend_from_slice(&bytes),
        }
    }

    fn take(self) -> Option<Bytes> {
        match self.more {
            Some(buf) => Some(buf.freeze()),
            None => self.first,
        }
    }
}

impl<S> Stream for SseStream<S>
where
    S: Stream,
    S::Item: IntoMessage,
{
    type Item = Result<Bytes, <S::Item as IntoMessage>::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        if let Some(end) = this.stashed.take() {
            return Poll::Ready(end.map(Err));
        }
        let mut chunk = Gather::default();
        let mut skipped = 0usize;
        loop {
            let polled = match this.retry.take() {
                Some(ms) => Poll::Ready(Some(Ok(Message::Retry(ms)))),
                None => {
                    if chunk.len > 0 && chunk.len >= *this.max_chunk {
                        break;
                    }
                    if skipped >= MAX_SKIPS_PER_POLL {
                        if chunk.len == 0 {
                            cx.waker().wake_by_ref();
                            return Poll::Pending;
                        }
                        break;
                    }
                    match this.inner.as_mut().poll_next(cx) {
                        Poll::Ready(Some(item)) => Poll::Ready(Some(item.into_message())),
                        Poll::Ready(None) if chunk.len > 0 => {
                            *this.stashed = Some(None);
                            break;
                        }
                        Poll::Ready(None) => Poll::Ready(None),
                        Poll::Pending => Poll::Pending,
                    }
                }
            };
            match polled {
                Poll::Ready(Some(Ok(message))) => match encode(this.encoder, message) {
                    Ok(bytes) => chunk.push(bytes),
                    Err((error, message)) => {
                        skipped = skipped.saturating_add(1);
                        report_skipped(this.on_skipped, &error, &message);
                    }
                },
                Poll::Ready(Some(Err(error))) => {
                    if chunk.len > 0 {
                        // The source's error ends the body after this chunk.
                        *this.stashed = Some(Some(error));
                        break;
                    }
                    return Poll::Ready(Some(Err(error)));
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => break,
            }
        }
        if let Some(bytes) = chunk.take() {
            if let Some(timer) = this.keep_alive {
                timer.touch();
            }
            return Poll::Ready(Some(Ok(bytes)));
        }
        let idle = this
            .keep_alive
            .as_mut()
            .is_some_and(|timer| timer.poll_idle(cx));
        if idle {
            Poll::Ready(Some(Ok(Frame::keep_alive().into_bytes())))
        } else {
            Poll::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::stream::{self, StreamExt};

    /// A source that yields each group of items at once, then `Pending`
    /// once (waking itself) before the next group.
    struct Groups<T> {
        groups: std::collections::VecDeque<Vec<T>>,
        paused: bool,
    }

    impl<T: Unpin> Stream for Groups<T> {
        type Item = T;
        fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
            let this = self.get_mut();
            loop {
                let Some(group) = this.groups.front_mut() else {
                    return Poll::Ready(None);
                };
                if !group.is_empty() {
                    let item = group.remove(0);
                    this.paused = false;
                    return Poll::Ready(Some(item));
                }
                if !this.paused {
                    this.paused = true;
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                this.groups.pop_front();
            }
        }
    }

    fn groups<T>(groups: Vec<Vec<T>>) -> Groups<T> {
        Groups {
            groups: groups.into(),
            paused: false,
        }
    }

    fn text(bytes: &Bytes) -> String {
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn what_is_ready_goes_out_as_one_chunk() {
        let source = groups(vec![
            vec![Event::new("a"), Event::new("b"), Event::new("c")],
            vec![Event::new("d")],
        ]);
        let chunks: Vec<String> = SseStream::new(source)
            .map(|bytes| text(&bytes.unwrap()))
            .collect()
            .await;
        assert_eq!(chunks, ["data: a\n\ndata: b\n\ndata: c\n\n", "data: d\n\n"]);
    }

    #[tokio::test]
    async fn max_chunk_bounds_a_chunk() {
        let events: Vec<Event> = (0..5).map(|i| Event::new(i.to_string())).collect();
        // "data: N\n\n" is 9 bytes: a chunk closes once it holds 18.
        let chunks: Vec<String> = SseStream::new(groups(vec![events.clone()]))
            .max_chunk(18)
            .map(|bytes| text(&bytes.unwrap()))
            .collect()
            .await;
        assert_eq!(
            chunks,
            [
                "data: 0\n\ndata: 1\n\n",
                "data: 2\n\ndata: 3\n\n",
                "data: 4\n\n"
            ]
        );
        let apart = SseStream::new(groups(vec![events]))
            .max_chunk(0)
            .collect::<Vec<_>>()
            .await;
        assert_eq!(apart.len(), 5);
    }

    #[tokio::test]
    async fn an_error_after_gathered_events_comes_after_them() {
        let source = stream::iter([
            Ok(Event::new("a")),
            Ok(Event::new("b")),
            Err("source failed"),
            Ok(Event::new("never")),
        ]);
        let mut body = SseStream::new(source);
        let first = body.next().await.unwrap().unwrap();
        assert_eq!(text(&first), "data: a\n\ndata: b\n\n");
        assert_eq!(body.next().await.unwrap(), Err("source failed"));
    }

    #[tokio::test]
    async fn the_end_after_gathered_events_comes_after_them() {
        let mut body = SseStream::new(stream::iter([Event::new("a")])).retry(5);
        let first = body.next().await.unwrap().unwrap();
        assert_eq!(text(&first), "retry: 5\n\ndata: a\n\n");
        assert!(body.next().await.is_none());
    }

    #[tokio::test]
    async fn skipped_events_do_not_split_a_chunk() {
        let source = stream::iter([
            Event::new("a"),
            Event::new("bad").with_event_type("x\ny"),
            Event::new("b"),
        ]);
        let chunks: Vec<String> = SseStream::new(source)
            .map(|bytes| text(&bytes.unwrap()))
            .collect()
            .await;
        assert_eq!(chunks, ["data: a\n\ndata: b\n\n"]);
    }

    #[tokio::test]
    async fn a_source_of_bad_events_yields_between_polls() {
        let bad = || Event::new("bad").with_event_type("x\ny");
        let mut source: Vec<Event> = std::iter::repeat_with(bad).take(100).collect();
        source.push(Event::new("ok"));
        let mut body = SseStream::new(stream::iter(source));
        let waker = futures_util::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        // 32 skipped per poll: pending (woken) three times, then the event.
        for _ in 0..3 {
            assert!(Pin::new(&mut body).poll_next(&mut cx).is_pending());
        }
        let Poll::Ready(Some(Ok(bytes))) = Pin::new(&mut body).poll_next(&mut cx) else {
            panic!("the event after the bad ones");
        };
        assert_eq!(text(&bytes), "data: ok\n\n");
    }

    #[tokio::test(start_paused = true)]
    async fn activity_defers_the_keep_alive_without_resetting_the_timer() {
        let mut timer = IdleTimer::new(Duration::from_secs(10));
        let armed = timer.sleep.deadline();
        tokio::time::advance(Duration::from_secs(6)).await;
        timer.touch();
        assert_eq!(timer.sleep.deadline(), armed, "touching is not re-arming");
        let waker = futures_util::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        tokio::time::advance(Duration::from_secs(5)).await;
        // Fired at 10 s, but there was activity at 6 s: re-armed for 16 s.
        assert!(!timer.poll_idle(&mut cx));
        assert_eq!(timer.sleep.deadline(), armed + Duration::from_secs(6));
        tokio::time::advance(Duration::from_secs(5)).await;
        assert!(
            timer.poll_idle(&mut cx),
            "idle for 10 s since the last activity"
        );
        assert!(!timer.poll_idle(&mut cx));
    }
}
