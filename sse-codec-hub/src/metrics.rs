//! Per-topic counters, read as a [`HubMetrics`] snapshot and, with the
//! `metrics` feature, reported through the `metrics` facade.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// What happened on one topic on this node since the hub started.
///
/// With the `metrics` feature the same numbers are reported through the
/// [`metrics`](https://docs.rs/metrics) facade, labelled `topic`:
/// counters `sse_hub_published_total`, `sse_hub_delivered_total`,
/// `sse_hub_replayed_total`, `sse_hub_resets_total`,
/// `sse_hub_resynchronized_total`, `sse_hub_disconnected_total`, and gauges
/// `sse_hub_subscribers` and `sse_hub_queue_high_water`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TopicMetrics {
    /// Subscribers connected now.
    pub subscribers: u64,
    /// Events published through this hub instance.
    pub published: u64,
    /// Events handed to subscribers, live or replayed.
    pub delivered: u64,
    /// Of those, events replayed from history (resume or resync).
    pub replayed: u64,
    /// `reset` events sent (a resume or resync that could not be exact).
    pub resets: u64,
    /// Times a slow subscriber's queue overflowed (and was emptied at
    /// once) and the subscriber was marked to resynchronise from history
    /// when it reads again.
    pub resynchronized: u64,
    /// Slow subscribers whose queue overflowed with
    /// [`Overflow::Disconnect`](crate::Overflow::Disconnect): emptied at
    /// once, their stream ends when next read.
    pub disconnected: u64,
    /// The most events any subscriber queue of this topic held at once.
    pub queue_high_water: u64,
}

/// A snapshot of every topic this hub instance has served.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), sse_codec_hub::Error> {
/// use sse_codec_hub::{Event, Hub};
/// let hub = Hub::memory();
/// let _subscriber = hub.subscribe("news", None).await?;
/// hub.publish("news", &Event::new("hello")).await?;
/// let metrics = hub.metrics();
/// assert_eq!(metrics.topics["news"].published, 1);
/// assert_eq!(metrics.topics["news"].subscribers, 1);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HubMetrics {
    /// Per topic, by name.
    pub topics: BTreeMap<String, TopicMetrics>,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    #[cfg(feature = "metrics")]
    topic: String,
    subscribers: AtomicU64,
    published: AtomicU64,
    delivered: AtomicU64,
    replayed: AtomicU64,
    resets: AtomicU64,
    resynchronized: AtomicU64,
    disconnected: AtomicU64,
    queue_high_water: AtomicU64,
}

macro_rules! counter {
    ($(#[$doc:meta])* $method:ident, $field:ident, $name:literal) => {
        $(#[$doc])*
        pub(crate) fn $method(&self, n: u64) {
            self.$field.fetch_add(n, Ordering::Relaxed);
            #[cfg(feature = "metrics")]
            metrics::counter!($name, "topic" => self.topic.clone()).increment(n);
        }
    };
}

impl Counters {
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn new(topic: &str) -> Counters {
        Counters {
            #[cfg(feature = "metrics")]
            topic: topic.to_owned(),
            ..Counters::default()
        }
    }

    counter!(published, published, "sse_hub_published_total");
    counter!(delivered, delivered, "sse_hub_delivered_total");
    counter!(replayed, replayed, "sse_hub_replayed_total");
    counter!(reset, resets, "sse_hub_resets_total");
    counter!(
        resynchronized,
        resynchronized,
        "sse_hub_resynchronized_total"
    );
    counter!(disconnected, disconnected, "sse_hub_disconnected_total");

    #[allow(
        clippy::arithmetic_side_effects,
        reason = "a u64 count of live subscribers"
    )]
    pub(crate) fn subscribed(&self) {
        let now = self.subscribers.fetch_add(1, Ordering::Relaxed) + 1;
        self.report_subscribers(now);
    }

    pub(crate) fn unsubscribed(&self) {
        let before = self
            .subscribers
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                Some(n.saturating_sub(1))
            })
            .unwrap_or(0);
        self.report_subscribers(before.saturating_sub(1));
    }

    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    fn report_subscribers(&self, now: u64) {
        #[cfg(feature = "metrics")]
        metrics::gauge!("sse_hub_subscribers", "topic" => self.topic.clone()).set(now as f64);
    }

    pub(crate) fn queue_high_water(&self, len: u64) {
        let before = self.queue_high_water.fetch_max(len, Ordering::Relaxed);
        #[cfg(feature = "metrics")]
        if len > before {
            metrics::gauge!("sse_hub_queue_high_water", "topic" => self.topic.clone())
                .set(len as f64);
        }
        let _ = before;
    }

    pub(crate) fn snapshot(&self) -> TopicMetrics {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        TopicMetrics {
            subscribers: get(&self.subscribers),
            published: get(&self.published),
            delivered: get(&self.delivered),
            replayed: get(&self.replayed),
            resets: get(&self.resets),
            resynchronized: get(&self.resynchronized),
            disconnected: get(&self.disconnected),
            queue_high_water: get(&self.queue_high_water),
        }
    }
}
