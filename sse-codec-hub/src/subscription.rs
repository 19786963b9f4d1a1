//! A subscriber's stream: replay (after a last event ID, or after falling
//! behind), then live events from its bounded queue, with the overlap
//! between the two dropped by position.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use sse_codec_core::encoder::EventRef;
use sse_codec_core::Frame;
use tokio::time::Sleep;

use crate::id::{Pos, ResetReason};
use crate::topic::{lock, Popped, Queue, Topic};
use crate::{Error, HubInner, Overflow, RESET_EVENT_TYPE};

/// Where a history read starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReadFrom {
    /// At the oldest retained event, whatever was removed before it.
    Start,
    /// At the very first event of the topic: a reset and then from the
    /// oldest retained event if any event was ever removed.
    Beginning,
    /// Just after this event, if history still holds it; otherwise a reset
    /// and then from the start.
    After(Pos),
}

/// One page of history.
#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) reset: Option<ResetReason>,
    pub(crate) entries: Vec<crate::topic::Entry>,
    /// No retained event follows the last one of this page.
    pub(crate) complete: bool,
}

pub(crate) type PageFuture = Pin<Box<dyn Future<Output = Result<Page, Error>> + Send>>;

/// The first pause before a failed history read is tried again.
const FIRST_RETRY: Duration = Duration::from_millis(50);
/// The longest pause between tries.
const MAX_RETRY: Duration = Duration::from_secs(1);

/// A replay in progress.
struct Replay {
    from: ReadFrom,
    /// A reset to send whatever the store says (the ID was not one of ours).
    forced: Option<ResetReason>,
    /// A resynchronisation after an overflow: a reset says `lagged`.
    lagged: bool,
    read: Option<PageFuture>,
    pause: Option<Pin<Box<Sleep>>>,
    next_pause: Duration,
}

impl Replay {
    fn new(from: ReadFrom, forced: Option<ResetReason>, lagged: bool) -> Replay {
        Replay {
            from,
            forced,
            lagged,
            read: None,
            pause: None,
            next_pause: FIRST_RETRY,
        }
    }
}

/// The events of one topic for one subscriber, as encoded [`Frame`]s (each
/// with its `id:` line) ready to be sent: a `Stream` for
/// [`SseStream::new`](https://docs.rs/sse-codec-tokio/latest/sse_codec_tokio/struct.SseStream.html).
///
/// Made by [`Hub::subscribe`](crate::Hub::subscribe). It yields the replay
/// (a `reset` event first when the resume cannot be exact), then live events;
/// it ends only when the subscriber is disconnected for being slow
/// ([`Overflow::Disconnect`]). Dropping it frees its queue at once.
pub struct Subscription {
    hub: Arc<HubInner>,
    topic: Arc<Topic>,
    id: u64,
    queue: Arc<Queue>,
    registered: bool,
    /// The last event yielded (or the topic's position when the
    /// subscription started): nothing at or before it is yielded again.
    cursor: Option<Pos>,
    out: VecDeque<Frame>,
    /// Swapped with the queue to empty it in one go.
    taken: VecDeque<crate::topic::Entry>,
    replay: Option<Replay>,
    ended: bool,
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("topic", &self.topic.name)
            .field("cursor", &self.cursor)
            .field("replaying", &self.replay.is_some())
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

/// The `reset` event: type `reset`, data `{"reason":"..."}`, no ID (the
/// receiver keeps its last event ID until the next event sets one).
pub(crate) fn reset_frame(reason: ResetReason) -> Frame {
    let data = reason.to_json();
    // The type is a constant without line breaks and there is no ID: this
    // cannot fail; an empty comment would be the harmless fallback.
    Frame::event(&EventRef::new(&data).with_event_type(RESET_EVENT_TYPE))
        .unwrap_or_else(|_| Frame::comment(""))
}

impl Subscription {
    pub(crate) fn new(hub: Arc<HubInner>, topic: Arc<Topic>, id: u64, queue: Arc<Queue>) -> Self {
        Subscription {
            hub,
            topic,
            id,
            queue,
            registered: true,
            cursor: None,
            out: VecDeque::new(),
            taken: VecDeque::new(),
            replay: None,
            ended: false,
        }
    }

    pub(crate) fn start_at(&mut self, cursor: Option<Pos>) {
        self.cursor = cursor;
    }

    pub(crate) fn resume(&mut self, from: ReadFrom, forced: Option<ResetReason>) {
        self.replay = Some(Replay::new(from, forced, false));
    }

    /// The topic's name.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), sse_codec_hub::Error> {
    /// let hub = sse_codec_hub::Hub::memory();
    /// assert_eq!(hub.subscribe("news", None).await?.topic(), "news");
    /// # Ok(())
    /// # }
    /// ```
    pub fn topic(&self) -> &str {
        &self.topic.name
    }

    fn unregister(&mut self) {
        if self.registered {
            self.registered = false;
            lock(&self.topic.state).subscribers.remove(&self.id);
            self.topic.counters.unsubscribed();
        }
    }

    /// Polls the replay in progress; `Ready(())` when it made progress.
    #[allow(
        clippy::arithmetic_side_effects,
        reason = "a u64 count of events replayed to one subscriber"
    )]
    fn poll_replay(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(replay) = self.replay.as_mut() else {
            return Poll::Ready(());
        };
        if let Some(pause) = replay.pause.as_mut() {
            if pause.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            replay.pause = None;
        }
        let from = replay.from;
        let read = replay
            .read
            .get_or_insert_with(|| self.hub.read(&self.topic, from));
        let page = match read.as_mut().poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Err(_)) => {
                // The store is away: try again later; keep-alives go on.
                replay.read = None;
                replay.pause = Some(Box::pin(tokio::time::sleep(replay.next_pause)));
                replay.next_pause = replay.next_pause.saturating_mul(2).min(MAX_RETRY);
                return Poll::Ready(());
            }
            Poll::Ready(Ok(page)) => page,
        };
        replay.read = None;
        replay.next_pause = FIRST_RETRY;
        let reset = replay.forced.take().or(page.reset.map(|reason| {
            if replay.lagged {
                ResetReason::Lagged
            } else {
                reason
            }
        }));
        match (reset, from) {
            (Some(reason), _) => {
                self.out.push_back(reset_frame(reason));
                self.topic.counters.reset(1);
                self.cursor = None;
            }
            // Resumable: the receiver has everything up to `pos`.
            (None, ReadFrom::After(pos)) => self.cursor = self.cursor.max(Some(pos)),
            (None, _) => {}
        }
        let mut replayed = 0;
        for entry in page.entries {
            if self.cursor.is_none_or(|cursor| entry.pos > cursor) {
                self.cursor = Some(entry.pos);
                self.out.push_back(entry.frame);
                replayed += 1;
            }
        }
        self.topic.counters.replayed(replayed);
        if page.complete {
            self.replay = None;
        } else {
            replay.from = self.cursor.map_or(ReadFrom::Start, ReadFrom::After);
            // (With no cursor after a page, the page was empty and complete.)
        }
        Poll::Ready(())
    }
}

impl Stream for Subscription {
    type Item = Frame;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Frame>> {
        let this = self.get_mut();
        loop {
            if let Some(frame) = this.out.pop_front() {
                this.topic.counters.delivered(1);
                return Poll::Ready(Some(frame));
            }
            if this.ended {
                return Poll::Ready(None);
            }
            if this.replay.is_some() {
                if this.poll_replay(cx).is_pending() {
                    return Poll::Pending;
                }
                continue;
            }
            match this.queue.pop_all(&mut this.taken, cx.waker()) {
                Popped::Entries(_) => {
                    for entry in this.taken.drain(..) {
                        if this.cursor.is_none_or(|cursor| entry.pos > cursor) {
                            this.cursor = Some(entry.pos);
                            this.out.push_back(entry.frame);
                        }
                    }
                }
                Popped::Overflowed => match this.hub.config.overflow {
                    Overflow::Resync => {
                        // Nothing seen yet: from the topic's first event,
                        // which history may no longer hold.
                        let from = this.cursor.map_or(ReadFrom::Beginning, ReadFrom::After);
                        this.replay = Some(Replay::new(from, None, true));
                    }
                    Overflow::Disconnect => {
                        this.ended = true;
                        this.unregister();
                    }
                },
                Popped::Empty => return Poll::Pending,
            }
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.unregister();
    }
}
