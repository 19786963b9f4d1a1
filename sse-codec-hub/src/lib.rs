//! Resumable Server-Sent Events fan-out: publish events to named topics,
//! serve them to any number of subscribers, and resume each reconnecting
//! client exactly where it left off, from whichever node it lands on.
//!
//! - **Exact resume.** The hub assigns every event its ID. A subscriber that
//!   comes back with `Last-Event-ID` gets every retained event after it and
//!   then live events, with no gap and no duplicate (it goes live first,
//!   reads history, and drops the overlap by ID). When the ID cannot be
//!   resumed exactly (history was trimmed past it, it belongs to another
//!   topic or an earlier run, or it is garbage) the subscriber first gets one
//!   event of type `reset` whose data says why (`{"reason":"trimmed"}`, see
//!   [`ResetReason`]), then every retained event, then live ones: never a
//!   silent gap.
//! - **Encoded once.** Each event is encoded once into a [`Frame`] (with its
//!   `id:` line) shared by every subscriber; a [`Subscription`] is a
//!   `Stream` of frames that `sse_codec_tokio::SseStream` serves as it is.
//! - **Slow subscribers cost nothing.** Each subscriber has a bounded queue
//!   (events and bytes). Publishing never waits for a subscriber and never
//!   grows memory: a subscriber whose queue is full has it emptied and is
//!   resynchronised from history after the last event it received
//!   (lossless while history holds it, a `reset` with reason `lagged` when
//!   not), or is disconnected ([`Overflow::Disconnect`]).
//! - **Many nodes** (feature `redis`): topics live in Redis Streams; each
//!   node runs one reader per topic it serves and fans out locally.
//!
//! # Serving a topic with axum
//!
//! ```no_run
//! use axum::{extract::{Path, State}, http::HeaderMap, response::IntoResponse, routing::get, Router};
//! use sse_codec_hub::{Event, Hub};
//! use sse_codec_tokio::SseStream;
//!
//! async fn follow(State(hub): State<Hub>, Path(topic): Path<String>, headers: HeaderMap) -> impl IntoResponse {
//!     let last_event_id = headers.get("last-event-id").and_then(|v| v.to_str().ok());
//!     let events = hub.subscribe(&topic, last_event_id).await.map_err(|e| e.to_string())?;
//!     Ok::<_, String>(SseStream::new(events).keep_alive(std::time::Duration::from_secs(15)))
//! }
//!
//! async fn publish(State(hub): State<Hub>, Path(topic): Path<String>, body: String) -> Result<String, String> {
//!     hub.publish(&topic, &Event::new(body)).await.map_err(|e| e.to_string())
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let app = Router::new().route("/topics/{topic}", get(follow).post(publish)).with_state(Hub::memory());
//!     axum::serve(tokio::net::TcpListener::bind("127.0.0.1:3000").await?, app).await
//! }
//! ```
//!
//! # Publishing and resuming
//!
//! ```
//! use futures_util::StreamExt;
//! use sse_codec_hub::{Event, Hub};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), sse_codec_hub::Error> {
//! let hub = Hub::memory();
//! let first = hub.publish("orders", &Event::new("one")).await?;
//! hub.publish("orders", &Event::new("two").with_event_type("update")).await?;
//!
//! // A client that saw `first` comes back: it gets what it missed, then live events.
//! let mut resumed = hub.subscribe("orders", Some(&first)).await?;
//! let frame = resumed.next().await.unwrap();
//! let text = std::str::from_utf8(frame.as_ref()).unwrap();
//! assert!(text.contains("event: update\n") && text.contains("data: two\n"));
//!
//! // An ID the hub cannot resume from: a `reset` event first, then all of history.
//! let mut lost = hub.subscribe("orders", Some("garbage")).await?;
//! let reset = lost.next().await.unwrap();
//! assert_eq!(reset.as_ref(), b"event: reset\ndata: {\"reason\":\"malformed\"}\n\n");
//! # Ok(())
//! # }
//! ```
//!
//! # IDs
//!
//! In memory an ID is `<epoch>-<seq>`: the epoch (12 hex digits) is new for
//! every hub instance, so an ID from before a restart is recognised (reason
//! `other-epoch`); `seq` comes from one counter for all of the hub's
//! topics, so an ID of another topic is never taken for one of this topic
//! (reason `unknown`). On Redis the ID is the stream entry ID `<ms>-<seq>`;
//! an ID of another topic resumes only in the unlikely case that this
//! topic has an entry with that very ID, and then from that point in time:
//! topics never leak into each other either way.
//!
//! A resume is exact when history still holds the event of the
//! `Last-Event-ID` itself; when that event was trimmed the subscriber gets
//! a `reset` (reason `trimmed`) even if nothing after it was lost. The
//! reason is a hint: an ID of another topic that is older than this
//! topic's oldest retained event also reads as `trimmed`.
//!
//! # Why `redis` (redis-rs)
//!
//! The `redis` feature uses [`redis`](https://docs.rs/redis) (redis-rs)
//! with `tokio-comp`: the most used and actively maintained Redis client,
//! with a multiplexed connection for publishing and history reads and plain
//! commands for `XADD`, `XRANGE` and `XREAD BLOCK`, whose replies this
//! crate reads itself. Each topic a node serves gets one reader with its
//! own connection (a blocking `XREAD` would hold up a shared one), never
//! one connection per subscriber.
//!
//! # Crate features
//!
//! - `redis`: [`HubBuilder::redis`], the Redis Streams store.
//! - `metrics`: counters and gauges through the `metrics` facade (see
//!   [`TopicMetrics`]).

// No input may panic: every index, length sum, unwrap and expect in the
// library is either fallible or allowed where it stands, with the reason.
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod id;
mod metrics;
#[cfg(feature = "redis")]
mod redis;
mod subscription;
mod topic;

use std::collections::{HashMap, VecDeque};

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sse_codec_core::encoder::EventRef;

pub use id::ResetReason;
pub use metrics::{HubMetrics, TopicMetrics};
pub use sse_codec_core::{EncodeError, Event, Frame};
pub use subscription::Subscription;

use id::Pos;
use metrics::Counters;
use subscription::{Page, PageFuture, ReadFrom};
use topic::{lock, Entry, Logged, Queue, SubscriberIds, Topic};

/// How many events each topic keeps by default.
pub const DEFAULT_HISTORY: usize = 10_000;
/// How many events a subscriber's queue holds by default.
pub const DEFAULT_QUEUE_EVENTS: usize = 1_024;
/// How many bytes of frames a subscriber's queue holds by default.
pub const DEFAULT_QUEUE_BYTES: usize = 1 << 20;
/// The event type of the event that announces an inexact resume.
pub const RESET_EVENT_TYPE: &str = "reset";
/// How many events a history read returns at most (a replay reads pages
/// of this size, so that it never holds more in memory).
const PAGE: usize = 256;

/// What happens to a subscriber whose queue is full.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Overflow {
    /// Empty its queue and resynchronise it from history after the last
    /// event it received: lossless while history holds that event, a
    /// `reset` (reason `lagged`) and all of history when not.
    #[default]
    Resync,
    /// End its stream (the client reconnects with its last event ID).
    Disconnect,
}

/// An error publishing or subscribing.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The event cannot be encoded (a line break in its type).
    Encode(EncodeError),
    /// Redis answered with an error or could not be reached.
    #[cfg(feature = "redis")]
    Redis(::redis::RedisError),
    /// The store did not answer in time.
    Timeout,
    /// The store answered something this crate does not understand.
    Protocol(String),
    /// No tokio runtime to run the store's readers on.
    NoRuntime,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Encode(error) => write!(f, "cannot encode the event: {error}"),
            #[cfg(feature = "redis")]
            Error::Redis(error) => write!(f, "redis: {error}"),
            Error::Timeout => f.write_str("the store did not answer in time"),
            Error::Protocol(what) => write!(f, "unexpected answer from the store: {what}"),
            Error::NoRuntime => f.write_str("no tokio runtime"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Encode(error) => Some(error),
            #[cfg(feature = "redis")]
            Error::Redis(error) => Some(error),
            _ => None,
        }
    }
}

impl From<EncodeError> for Error {
    fn from(error: EncodeError) -> Self {
        Error::Encode(error)
    }
}

/// The hub's settings.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) history: usize,
    pub(crate) max_age: Option<Duration>,
    pub(crate) queue_events: usize,
    pub(crate) queue_bytes: usize,
    pub(crate) overflow: Overflow,
    pub(crate) timeout: Duration,
}

/// Configures a [`Hub`]: retention, queue bounds, overflow policy, store.
///
/// ```
/// use std::time::Duration;
/// use sse_codec_hub::{Hub, Overflow};
///
/// let hub = Hub::builder()
///     .history(1_000)
///     .max_age(Duration::from_secs(3600))
///     .queue(256, 256 * 1024)
///     .overflow(Overflow::Disconnect)
///     .memory();
/// # drop(hub);
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct HubBuilder {
    config: Config,
    #[cfg(feature = "redis")]
    key_prefix: String,
    #[cfg(feature = "redis")]
    block: Duration,
}

impl Default for HubBuilder {
    fn default() -> Self {
        HubBuilder {
            config: Config {
                history: DEFAULT_HISTORY,
                max_age: None,
                queue_events: DEFAULT_QUEUE_EVENTS,
                queue_bytes: DEFAULT_QUEUE_BYTES,
                overflow: Overflow::Resync,
                timeout: Duration::from_secs(5),
            },
            #[cfg(feature = "redis")]
            key_prefix: "sse:".to_owned(),
            #[cfg(feature = "redis")]
            block: Duration::from_secs(2),
        }
    }
}

impl HubBuilder {
    /// Keeps at least the last `events` events of each topic (default
    /// [`DEFAULT_HISTORY`]; at least 1). On Redis, trimming is approximate
    /// (`MAXLEN ~`): a few more may be kept.
    pub fn history(mut self, events: usize) -> Self {
        self.config.history = events.max(1);
        self
    }

    /// Also drops events older than `age` (on Redis, approximately, by
    /// entry ID time).
    pub fn max_age(mut self, age: Duration) -> Self {
        self.config.max_age = Some(age);
        self
    }

    /// Bounds each subscriber's queue: at most `events` events and `bytes`
    /// bytes of frames (defaults [`DEFAULT_QUEUE_EVENTS`],
    /// [`DEFAULT_QUEUE_BYTES`]). A frame larger than `bytes` always
    /// overflows the queue; the subscriber then gets it from history.
    pub fn queue(mut self, events: usize, bytes: usize) -> Self {
        self.config.queue_events = events.max(1);
        self.config.queue_bytes = bytes.max(1);
        self
    }

    /// What to do with a subscriber whose queue is full (default
    /// [`Overflow::Resync`]).
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        self.config.overflow = overflow;
        self
    }

    /// How long a store operation may take (default 5 s): connecting to
    /// Redis, a command, a subscription waiting for its topic's reader.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = timeout;
        self
    }

    /// The prefix of each topic's Redis key (default `sse:`; the key is
    /// prefix + topic name).
    #[cfg(feature = "redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    pub fn key_prefix(mut self, prefix: &str) -> Self {
        self.key_prefix = prefix.to_owned();
        self
    }

    /// How long each topic reader's `XREAD BLOCK` waits (default 2 s): also
    /// how soon a node lets go of a topic nobody follows any more. Kept
    /// between 1 ms and 60 s: a reader must wake now and then, and Redis
    /// refuses a block time past its range.
    #[cfg(feature = "redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    pub fn block(mut self, block: Duration) -> Self {
        self.block = block.clamp(Duration::from_millis(1), Duration::from_secs(60));
        self
    }

    /// A hub whose topics live in this process's memory, with a new epoch.
    pub fn memory(self) -> Hub {
        Hub::new(
            self.config,
            Backend::Memory(MemoryStore {
                epoch: id::new_epoch(),
                seq: AtomicU64::new(0),
            }),
        )
    }

    /// A hub whose topics live in Redis Streams at `url`
    /// (`redis://127.0.0.1:6379/`); every hub on the same Redis and prefix
    /// serves the same topics. Checks that Redis answers.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), sse_codec_hub::Error> {
    /// let hub = sse_codec_hub::Hub::builder()
    ///     .key_prefix("app:events:")
    ///     .redis("redis://127.0.0.1:6379/")
    ///     .await?;
    /// # drop(hub);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// The URL is not a Redis URL, Redis cannot be reached, or there is no
    /// tokio runtime.
    #[cfg(feature = "redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    pub async fn redis(self, url: &str) -> Result<Hub, Error> {
        let store =
            redis::RedisStore::connect(url, self.key_prefix, self.block, &self.config).await?;
        Ok(Hub::new(self.config, Backend::Redis(Arc::new(store))))
    }
}

/// Where the events are.
#[derive(Debug)]
enum Backend {
    Memory(MemoryStore),
    #[cfg(feature = "redis")]
    Redis(Arc<redis::RedisStore>),
}

#[derive(Debug)]
struct MemoryStore {
    epoch: String,
    /// The last sequence number handed out, for all topics.
    seq: AtomicU64,
}

/// A hub: topics, publishing, subscribing with exact resume. Cheap to
/// clone (clones share everything).
///
/// Topics are made on first use. In memory a topic keeps its history
/// (bounded by [`HubBuilder::history`] and [`HubBuilder::max_age`]) for as
/// long as the hub lives; on Redis a node lets go of a topic (and stops its
/// reader) once none of its subscribers follows it.
///
/// ```
/// use futures_util::StreamExt;
/// use sse_codec_hub::{Event, Hub};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), sse_codec_hub::Error> {
/// let hub = Hub::memory();
/// let mut live = hub.subscribe("chat", None).await?;
/// let id = hub.publish("chat", &Event::new("hi")).await?;
/// let frame = live.next().await.unwrap();
/// assert_eq!(frame.as_ref(), format!("id: {id}\ndata: hi\n\n").as_bytes());
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Hub {
    inner: Arc<HubInner>,
}

#[derive(Debug)]
pub(crate) struct HubInner {
    pub(crate) config: Config,
    backend: Backend,
    topics: Mutex<HashMap<String, Arc<Topic>>>,
    counters: Mutex<HashMap<String, Arc<Counters>>>,
    subscriber_ids: SubscriberIds,
}

impl Hub {
    fn new(config: Config, backend: Backend) -> Hub {
        Hub {
            inner: Arc::new(HubInner {
                config,
                backend,
                topics: Mutex::new(HashMap::new()),
                counters: Mutex::new(HashMap::new()),
                subscriber_ids: SubscriberIds::default(),
            }),
        }
    }

    /// An in-memory hub with the default settings (see [`HubBuilder`]).
    pub fn memory() -> Hub {
        HubBuilder::default().memory()
    }

    /// A builder for other settings or another store.
    pub fn builder() -> HubBuilder {
        HubBuilder::default()
    }

    /// The epoch of an in-memory hub (the part of its IDs before `-`);
    /// `None` on Redis.
    ///
    /// ```
    /// let hub = sse_codec_hub::Hub::memory();
    /// assert_eq!(hub.epoch().unwrap().len(), 12);
    /// ```
    pub fn epoch(&self) -> Option<&str> {
        match &self.inner.backend {
            Backend::Memory(memory) => Some(&memory.epoch),
            #[cfg(feature = "redis")]
            Backend::Redis(_) => None,
        }
    }

    /// Publishes `event` (its data and type; its ID is ignored) to `topic`
    /// and returns the ID the hub gave it, which every subscriber receives
    /// in the event's `id:` field. Never waits for subscribers.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), sse_codec_hub::Error> {
    /// let hub = sse_codec_hub::Hub::memory();
    /// let a = hub.publish("t", &sse_codec_hub::Event::new("a")).await?;
    /// let b = hub.publish("t", &sse_codec_hub::Event::new("b")).await?;
    /// assert_ne!(a, b);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::Encode`] when the event type contains a line break; on
    /// Redis, when Redis fails or does not answer in time (the event was
    /// then not published, or, after a timeout, perhaps was).
    pub async fn publish(&self, topic: &str, event: &Event) -> Result<String, Error> {
        let event = EventRef {
            id: None,
            ..event.as_event_ref()
        };
        event.validate()?;
        let id = match &self.inner.backend {
            Backend::Memory(memory) => self.inner.publish_memory(memory, topic, &event)?,
            #[cfg(feature = "redis")]
            Backend::Redis(store) => store.publish(topic, &event).await?,
        };
        self.inner.counters(topic).published(1);
        Ok(id)
    }

    /// Subscribes to `topic`. With `last_event_id` (the client's
    /// `Last-Event-ID`), the stream first replays every retained event
    /// after it (preceded by a `reset` event when that cannot be done
    /// exactly) and then goes live; without, it starts with the events
    /// published from now on.
    ///
    /// ```
    /// use futures_util::StreamExt;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), sse_codec_hub::Error> {
    /// let hub = sse_codec_hub::Hub::memory();
    /// let id = hub.publish("t", &sse_codec_hub::Event::new("old")).await?;
    /// hub.publish("t", &sse_codec_hub::Event::new("missed")).await?;
    /// let mut subscription = hub.subscribe("t", Some(&id)).await?;
    /// let frame = subscription.next().await.unwrap();
    /// assert!(frame.as_ref().ends_with(b"data: missed\n\n"));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// On Redis, when this node does not follow the topic yet and cannot
    /// reach Redis within the timeout. In memory, never.
    pub async fn subscribe(
        &self,
        topic: &str,
        last_event_id: Option<&str>,
    ) -> Result<Subscription, Error> {
        let inner = &self.inner;
        let queue = Arc::new(Queue::new(
            inner.config.queue_events,
            inner.config.queue_bytes,
            inner.config.overflow,
        ));
        let id = inner.subscriber_ids.next();
        let (topic, start) = inner.register(topic, id, &queue)?;
        // From here on, dropping the subscription unregisters it.
        let mut subscription = Subscription::new(inner.clone(), topic.clone(), id, queue);
        let start = match start {
            Some(start) => start,
            None => wait_ready(&topic, inner.config.timeout).await?,
        };
        match last_event_id {
            // Live from the topic's position now.
            None => subscription.start_at(start),
            // The replay decides where the cursor is; live events that
            // overlap it are dropped by position.
            Some(text) => match inner.parse_id(text) {
                Ok(pos) => subscription.resume(ReadFrom::After(pos), None),
                Err(reason) => subscription.resume(ReadFrom::Start, Some(reason)),
            },
        }
        Ok(subscription)
    }

    /// A snapshot of every topic's counters on this hub instance.
    pub fn metrics(&self) -> HubMetrics {
        let counters = lock(&self.inner.counters);
        HubMetrics {
            topics: counters
                .iter()
                .map(|(name, counters)| (name.clone(), counters.snapshot()))
                .collect(),
        }
    }
}

/// Waits until a Redis topic's reader knows where the stream ends; its
/// position then is where the subscription starts.
async fn wait_ready(topic: &Topic, timeout: Duration) -> Result<Option<Pos>, Error> {
    // A timeout too long for the clock (`Duration::MAX`) waits "forever".
    let now = tokio::time::Instant::now();
    let deadline = now
        .checked_add(timeout)
        .or_else(|| now.checked_add(Duration::from_secs(86_400 * 365 * 30)))
        .unwrap_or(now);
    loop {
        let notified = topic.ready.notified();
        {
            let state = lock(&topic.state);
            if state.ready {
                return Ok(state.init_pos);
            }
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            return Err(Error::Timeout);
        }
    }
}

impl HubInner {
    pub(crate) fn counters(&self, topic: &str) -> Arc<Counters> {
        lock(&self.counters)
            .entry(topic.to_owned())
            .or_insert_with(|| Arc::new(Counters::new(topic)))
            .clone()
    }

    /// The topic, created (and on Redis its reader started) if needed.
    /// Called with the topics map locked.
    fn topic_locked(
        self: &Arc<Self>,
        topics: &mut HashMap<String, Arc<Topic>>,
        name: &str,
    ) -> Result<Arc<Topic>, Error> {
        if let Some(topic) = topics.get(name) {
            return Ok(topic.clone());
        }
        let counters = self.counters(name);
        let topic = match &self.backend {
            Backend::Memory(_) => Arc::new(Topic::new(name, counters, true)),
            #[cfg(feature = "redis")]
            Backend::Redis(store) => {
                let topic = Arc::new(Topic::new(name, counters, false));
                store.spawn_reader(Arc::downgrade(self), topic.clone())?;
                topic
            }
        };
        topics.insert(name.to_owned(), topic.clone());
        Ok(topic)
    }

    /// Registers a subscriber's queue; returns the topic and, when known,
    /// where the subscriber starts (the topic's last position).
    #[allow(clippy::type_complexity)]
    fn register(
        self: &Arc<Self>,
        name: &str,
        id: u64,
        queue: &Arc<Queue>,
    ) -> Result<(Arc<Topic>, Option<Option<Pos>>), Error> {
        let mut topics = lock(&self.topics);
        let topic = self.topic_locked(&mut topics, name)?;
        let mut state = lock(&topic.state);
        state.subscribers.insert(id, queue.clone());
        topic.counters.subscribed();
        let start = state.ready.then_some(state.last_pos);
        drop(state);
        Ok((topic, start))
    }

    /// Removes a topic that has no subscribers (on Redis, where the reader
    /// then stops); whether it did.
    #[cfg(feature = "redis")]
    pub(crate) fn retire_if_idle(&self, topic: &Arc<Topic>) -> bool {
        let mut topics = lock(&self.topics);
        let idle = lock(&topic.state).subscribers.is_empty();
        if idle
            && topics
                .get(&topic.name)
                .is_some_and(|t| Arc::ptr_eq(t, topic))
        {
            topics.remove(&topic.name);
        }
        idle
    }

    fn parse_id(&self, text: &str) -> Result<Pos, ResetReason> {
        match &self.backend {
            Backend::Memory(memory) => id::parse_memory(text, &memory.epoch),
            #[cfg(feature = "redis")]
            Backend::Redis(_) => id::parse_pair(text).ok_or(ResetReason::Malformed),
        }
    }

    #[allow(
        clippy::arithmetic_side_effects,
        reason = "a u64 count of events published: 2^64 publishes are out of reach"
    )]
    fn publish_memory(
        self: &Arc<Self>,
        memory: &MemoryStore,
        name: &str,
        event: &EventRef<'_>,
    ) -> Result<String, Error> {
        let topic = {
            let mut topics = lock(&self.topics);
            self.topic_locked(&mut topics, name)?
        };
        let mut state = lock(&topic.state);
        // Taken under the topic's lock: IDs increase within each topic.
        let seq = memory.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let pos = Pos { hi: 0, lo: seq };
        let id = format!("{}-{}", memory.epoch, seq);
        let frame = Frame::event(&EventRef {
            id: Some(&id),
            ..*event
        })?;
        let entry = Entry { pos, frame };
        let now = Instant::now();
        state.log.push_back(Logged {
            entry: entry.clone(),
            at: now,
        });
        trim(&mut state, &self.config, now);
        state.fan_out(&entry, &topic.counters);
        Ok(id)
    }

    /// Reads a page of a topic's history.
    pub(crate) fn read(&self, topic: &Arc<Topic>, from: ReadFrom) -> PageFuture {
        match &self.backend {
            Backend::Memory(_) => {
                let mut state = lock(&topic.state);
                trim(&mut state, &self.config, Instant::now());
                let page = read_log(&state.log, state.removed_any, from, PAGE);
                Box::pin(std::future::ready(Ok(page)))
            }
            #[cfg(feature = "redis")]
            Backend::Redis(store) => {
                let store = store.clone();
                let name = topic.name.clone();
                Box::pin(async move { store.read(&name, from, PAGE).await })
            }
        }
    }
}

/// Drops what retention no longer covers.
fn trim(state: &mut topic::TopicState, config: &Config, now: Instant) {
    let log = &mut state.log;
    let before = log.len();
    while log.len() > config.history {
        log.pop_front();
    }
    if let Some(age) = config.max_age {
        while log
            .front()
            .is_some_and(|oldest| now.saturating_duration_since(oldest.at) > age)
        {
            log.pop_front();
        }
    }
    if log.len() < before {
        state.removed_any = true;
    }
}

/// A page of an in-memory history.
#[allow(
    clippy::arithmetic_side_effects,
    reason = "`index` is a position in the log, and `first + entries.len()` counts entries of the log"
)]
fn read_log(log: &VecDeque<Logged>, removed_any: bool, from: ReadFrom, limit: usize) -> Page {
    let (first, reset) = match from {
        ReadFrom::Start => (0, None),
        ReadFrom::Beginning => (0, removed_any.then_some(ResetReason::Trimmed)),
        ReadFrom::After(pos) => match log.binary_search_by(|logged| logged.entry.pos.cmp(&pos)) {
            Ok(index) => (index + 1, None),
            Err(_) => {
                let trimmed = log.front().is_some_and(|oldest| pos < oldest.entry.pos);
                let reason = if trimmed {
                    ResetReason::Trimmed
                } else {
                    ResetReason::Unknown
                };
                (0, Some(reason))
            }
        },
    };
    let entries: Vec<Entry> = log
        .iter()
        .skip(first)
        .take(limit)
        .map(|logged| logged.entry.clone())
        .collect();
    Page {
        reset,
        complete: first + entries.len() >= log.len(),
        entries,
    }
}

#[cfg(test)]
mod tests;
