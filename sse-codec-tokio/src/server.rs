//! Server side: encoding a stream of events, and keep-alive comments.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
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

/// A timer that fires after `interval` without activity.
#[derive(Debug)]
struct IdleTimer {
    interval: Duration,
    sleep: Pin<Box<Sleep>>,
}

impl IdleTimer {
    fn new(interval: Duration) -> Self {
        IdleTimer {
            interval,
            sleep: Box::pin(tokio::time::sleep(interval)),
        }
    }

    fn reset(&mut self) {
        let deadline = Instant::now() + self.interval;
        self.sleep.as_mut().reset(deadline);
    }

    /// Whether the stream has been idle for the interval; restarts the timer if so.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> bool {
        if self.sleep.as_mut().poll(cx).is_ready() {
            self.reset();
            true
        } else {
            false
        }
    }
}

/// Interleaves a keep-alive comment ([`Frame::keep_alive`], `":\n"`) into a
/// stream whenever it has yielded nothing for `interval`; every item resets
/// the timer. Proxies and load balancers close connections that look idle:
/// an interval of 15 to 30 seconds is usual.
///
/// Works on any stream whose items can be made from a [`Frame`]: `Frame`,
/// [`Message`], `Bytes`. Needs a tokio runtime with the time driver.
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
/// let mut stream = KeepAlive::new(never, Duration::from_secs(15));
/// let next = std::future::poll_fn(|cx| std::pin::Pin::new(&mut stream).poll_next(cx)).await;
/// assert_eq!(next, Some(Frame::keep_alive()));
/// # }
/// # struct NeverStream<T>(std::marker::PhantomData<T>);
/// # impl<T> Unpin for NeverStream<T> {}
/// # impl<T> Stream for NeverStream<T> {
/// #     type Item = T;
/// #     fn poll_next(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<Option<T>> {
/// #         std::task::Poll::Pending
/// #     }
/// # }
/// ```
#[derive(Debug)]
pub struct KeepAlive<S> {
    inner: S,
    timer: IdleTimer,
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
    S: Stream + Unpin,
    S::Item: From<Frame>,
{
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(item)) => {
                this.timer.reset();
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

/// Turns a stream of events (anything `Into<`[`Message`]`>`: [`Event`],
/// [`Frame`], `Message`) into encoded `Bytes`, ready for
/// `axum::body::Body::from_stream`, a hyper body, or any byte sink; with
/// [`keep_alive`](Self::keep_alive), a comment is sent after each idle
/// interval, and with [`retry`](Self::retry) the stream starts by setting the
/// client's reconnection time.
///
/// An event that cannot be encoded (a line break in its type or ID) comes
/// out as an `Err` in its place; the stream goes on.
///
/// ```
/// use sse_codec_core::Event;
/// use sse_codec_tokio::SseStream;
/// # use futures_core::Stream;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let events = OnceStream(Some(Event::new("hello").with_id("1")));
/// let mut body = SseStream::new(events).retry(2000);
/// let mut out = Vec::new();
/// while let Some(bytes) = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_next(cx)).await {
///     out.extend_from_slice(&bytes.unwrap());
/// }
/// assert_eq!(out, b"retry: 2000\n\nid: 1\ndata: hello\n\n");
/// # }
/// # struct OnceStream<T>(Option<T>);
/// # impl<T> Unpin for OnceStream<T> {}
/// # impl<T> Stream for OnceStream<T> {
/// #     type Item = T;
/// #     fn poll_next(mut self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<Option<T>> {
/// #         std::task::Poll::Ready(self.0.take())
/// #     }
/// # }
/// ```
#[derive(Debug)]
pub struct SseStream<S> {
    inner: S,
    encoder: StreamEncoder,
    keep_alive: Option<IdleTimer>,
    retry: Option<u64>,
}

impl<S> SseStream<S> {
    /// Encodes the items of `inner`.
    pub fn new(inner: S) -> Self {
        SseStream {
            inner,
            encoder: StreamEncoder::new(),
            keep_alive: None,
            retry: None,
        }
    }

    /// Sends a keep-alive comment whenever nothing was sent for `interval`.
    /// Needs a tokio runtime with the time driver.
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

    fn encode(&mut self, message: Message) -> Result<Bytes, EncodeError> {
        let mut buf = BytesMut::new();
        match message {
            Message::Event(event) => self.encoder.encode_event_to_buf(&event, &mut buf)?,
            Message::Frame(frame) => return Ok(frame.into_bytes()),
            Message::Comment(text) => return Ok(Frame::comment(&text).into_bytes()),
            Message::Retry(ms) => EventRef::empty().with_retry(ms).encode_to_buf(&mut buf)?,
        }
        Ok(buf.freeze())
    }
}

impl<S> Stream for SseStream<S>
where
    S: Stream + Unpin,
    S::Item: Into<Message>,
{
    type Item = Result<Bytes, EncodeError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if let Some(ms) = this.retry.take() {
            return Poll::Ready(Some(this.encode(Message::Retry(ms))));
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(item)) => {
                if let Some(timer) = &mut this.keep_alive {
                    timer.reset();
                }
                Poll::Ready(Some(this.encode(item.into())))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
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
    }
}
