//! One suite, run over both stores: the in-memory hub, and hubs on a real
//! `redis-server` started by each test (ignored, with the reason, when
//! `redis-server` is missing and `CI` is not set; see build.rs).

mod common;

use std::time::{Duration, Instant};

use common::*;
use futures_util::StreamExt;
use sse_codec_hub::{Event, Hub, Overflow};

async fn publish_all(hub: &Hub, topic: &str, range: std::ops::Range<usize>) -> Vec<String> {
    let mut ids = Vec::new();
    for i in range {
        ids.push(
            hub.publish(topic, &Event::new(i.to_string()))
                .await
                .unwrap(),
        );
    }
    ids
}

fn numbers(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| i.to_string()).collect()
}

/// Without a last event ID: only what is published from now on, each with
/// the ID `publish` returned, in order.
async fn live_only_after_subscribing(store: &Store) {
    let hub = store.hub(Hub::builder()).await;
    publish_all(&hub, "t", 0..3).await;
    let mut subscription = hub.subscribe("t", None).await.unwrap();
    let ids = publish_all(&hub, "t", 3..6).await;
    let events = take(&mut subscription, 3).await;
    assert_eq!(data(&events), numbers(3..6));
    let got: Vec<_> = events.iter().map(|e| e.id().to_owned()).collect();
    assert_eq!(got, ids);
    assert_quiet(&mut subscription, Duration::from_millis(300)).await;
}

/// IDs increase strictly, and the event type and multi-line data survive.
async fn ids_increase_and_events_survive(store: &Store) {
    let hub = store.hub(Hub::builder()).await;
    let mut subscription = hub.subscribe("t", None).await.unwrap();
    let a = hub
        .publish(
            "t",
            &Event::new("line 1\nline 2\r\nline 3").with_event_type("update"),
        )
        .await
        .unwrap();
    let b = hub.publish("t", &Event::new("")).await.unwrap();
    let events = take(&mut subscription, 2).await;
    assert_eq!(events[0].event_type(), "update");
    assert_eq!(events[0].data(), "line 1\nline 2\nline 3");
    assert_eq!(events[1].event_type(), "message");
    assert_eq!(events[1].data(), "");
    let order = |id: &str| -> (u64, u64) {
        let (hi, lo) = id.rsplit_once('-').unwrap();
        (
            u64::from_str_radix(hi, 16).unwrap_or(0),
            lo.parse().unwrap(),
        )
    };
    assert!(
        order(&a) < order(&b) || (store.is_redis() && a < b),
        "{a} {b}"
    );
    assert!(hub
        .publish("t", &Event::new("x").with_event_type("bad\ntype"))
        .await
        .is_err());
}

/// A last event ID: every retained event after it, then live, no gap, no
/// duplicate.
async fn resumes_exactly(store: &Store) {
    let hub = store.hub(Hub::builder()).await;
    let ids = publish_all(&hub, "t", 0..20).await;
    let mut subscription = hub.subscribe("t", Some(&ids[4])).await.unwrap();
    let replayed = take(&mut subscription, 15).await;
    assert_eq!(data(&replayed), numbers(5..20));
    publish_all(&hub, "t", 20..25).await;
    assert_eq!(data(&take(&mut subscription, 5).await), numbers(20..25));
    assert_quiet(&mut subscription, Duration::from_millis(200)).await;

    // Resuming from the newest event: nothing to replay, then live.
    let mut caught_up = hub.subscribe("t", Some(&ids[19])).await.unwrap();
    let last = hub.subscribe("t", None).await.unwrap();
    drop(last);
    let mut from_newest = hub
        .subscribe(
            "t",
            Some(&hub.publish("t", &Event::new("25")).await.unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(data(&take(&mut caught_up, 6).await), numbers(20..26));
    assert_quiet(&mut from_newest, Duration::from_millis(200)).await;
    let m = hub.metrics();
    assert!(m.topics["t"].replayed >= 21, "{m:?}");
}

/// A replay longer than one page (256) arrives whole.
async fn long_replay_is_whole(store: &Store) {
    let hub = store.hub(Hub::builder()).await;
    let ids = publish_all(&hub, "t", 0..700).await;
    let mut subscription = hub.subscribe("t", Some(&ids[0])).await.unwrap();
    assert_eq!(data(&take(&mut subscription, 699).await), numbers(1..700));
    assert_quiet(&mut subscription, Duration::from_millis(200)).await;
}

fn reset_reason(event: &Event) -> String {
    assert_eq!(event.event_type(), "reset", "{event:?}");
    let reason = event
        .data()
        .strip_prefix(r#"{"reason":""#)
        .and_then(|rest| rest.strip_suffix(r#""}"#))
        .unwrap_or_else(|| panic!("bad reset data {:?}", event.data()));
    reason.to_owned()
}

/// Garbage as the last event ID: `reset` (malformed), every retained
/// event, then live ones.
async fn garbage_id_resets(store: &Store) {
    let hub = store.hub(Hub::builder()).await;
    publish_all(&hub, "t", 0..3).await;
    for garbage in ["", "garbage", "12", "1-2-3", "-", "ffff", "x-1"] {
        let mut subscription = hub.subscribe("t", Some(garbage)).await.unwrap();
        let events = take(&mut subscription, 4).await;
        assert_eq!(reset_reason(&events[0]), "malformed", "{garbage:?}");
        assert_eq!(data(&events[1..]), numbers(0..3));
    }
}

/// An ID of another topic: `reset`, then this topic's events only.
async fn foreign_ids_reset_and_topics_never_leak(store: &Store) {
    let hub = store.hub(Hub::builder()).await;
    let other = hub.publish("other", &Event::new("secret")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    publish_all(&hub, "t", 0..3).await;
    let mut subscription = hub.subscribe("t", Some(&other)).await.unwrap();
    let events = take(&mut subscription, 4).await;
    // Older than anything retained here: the hint may say trimmed.
    let reason = reset_reason(&events[0]);
    assert!(reason == "unknown" || reason == "trimmed", "{reason}");
    assert_eq!(data(&events[1..]), numbers(0..3));
    hub.publish("other", &Event::new("secret 2")).await.unwrap();
    hub.publish("t", &Event::new("3")).await.unwrap();
    assert_eq!(data(&take(&mut subscription, 1).await), ["3"]);
    assert_quiet(&mut subscription, Duration::from_millis(200)).await;

    // An ID from the future of this topic is not resumable either.
    let future = if store.is_redis() {
        "99999999999999-0".to_owned()
    } else {
        format!("{}-999999", hub.epoch().unwrap())
    };
    let mut subscription = hub.subscribe("t", Some(&future)).await.unwrap();
    assert_eq!(
        reset_reason(&take(&mut subscription, 1).await[0]),
        "unknown"
    );
}

/// An ID whose event history no longer holds: `reset` (trimmed), then what
/// is retained, which is at least the last N events.
async fn trimmed_history_resets(store: &Store) {
    let hub = store.hub(Hub::builder().history(5)).await;
    let ids = publish_all(&hub, "t", 0..60).await;
    let mut subscription = hub.subscribe("t", Some(&ids[0])).await.unwrap();
    let first = take(&mut subscription, 1).await;
    assert_eq!(reset_reason(&first[0]), "trimmed");
    // Retained: at least the last 5 (Redis trims approximately), contiguous
    // up to the newest.
    let mut retained = Vec::new();
    while let Ok(Some(frame)) =
        tokio::time::timeout(Duration::from_millis(300), subscription.next()).await
    {
        retained.push(event_of(&frame).data().parse::<usize>().unwrap());
    }
    assert!(retained.len() >= 5 && retained.len() < 30, "{retained:?}");
    let expected: Vec<usize> = (60 - retained.len()..60).collect();
    assert_eq!(retained, expected);
}

/// Retention by age: old events go (on Redis approximately, by whole
/// stream nodes), and resuming from one of them is a `reset`.
async fn old_events_expire(store: &Store) {
    let hub = store
        .hub(Hub::builder().max_age(Duration::from_millis(300)))
        .await;
    let ids = publish_all(&hub, "t", 0..8).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    publish_all(&hub, "t", 8..9).await;
    let mut subscription = hub.subscribe("t", Some(&ids[0])).await.unwrap();
    let first = take(&mut subscription, 1).await;
    assert_eq!(reset_reason(&first[0]), "trimmed");
    let mut retained = Vec::new();
    while let Ok(Some(frame)) =
        tokio::time::timeout(Duration::from_millis(300), subscription.next()).await
    {
        retained.push(event_of(&frame).data().parse::<usize>().unwrap());
    }
    assert_eq!(retained.last(), Some(&8), "{retained:?}");
    assert!(!retained.contains(&0), "{retained:?}");
}

/// An in-memory hub's IDs carry its epoch: another instance (a restart)
/// recognises them as not its own.
async fn other_epoch_resets(store: &Store) {
    if store.is_redis() {
        return; // Redis IDs have no epoch: the stream is the same across nodes.
    }
    let before = store.hub(Hub::builder()).await;
    let id = before.publish("t", &Event::new("old")).await.unwrap();
    let after = store.hub(Hub::builder()).await;
    after.publish("t", &Event::new("new")).await.unwrap();
    let mut subscription = after.subscribe("t", Some(&id)).await.unwrap();
    let events = take(&mut subscription, 2).await;
    assert_eq!(reset_reason(&events[0]), "other-epoch");
    assert_eq!(data(&events[1..]), ["new"]);
}

/// Replay racing live publishing, many times: exactly the events after the
/// cursor, in order, once each.
async fn replay_live_race(store: &Store) {
    let hub = store.hub(Hub::builder()).await;
    let rounds = if store.is_redis() { 15 } else { 60 };
    for round in 0..rounds {
        let topic = format!("race-{round}");
        let ids = publish_all(&hub, &topic, 0..20).await;
        let publisher = {
            let hub = hub.clone();
            let topic = topic.clone();
            tokio::spawn(async move { publish_all(&hub, &topic, 20..80).await })
        };
        tokio::task::yield_now().await;
        let cursor = round % 20;
        let mut subscription = hub.subscribe(&topic, Some(&ids[cursor])).await.unwrap();
        let events = take(&mut subscription, 79 - cursor).await;
        assert_eq!(data(&events), numbers(cursor + 1..80), "round {round}");
        publisher.await.unwrap();
        assert_quiet(&mut subscription, Duration::from_millis(20)).await;
    }
}

/// A subscriber that does not read: its queue overflows, it is
/// resynchronised from history, and it still gets everything, in order;
/// the others are not affected.
async fn slow_subscriber_resyncs_losslessly(store: &Store) {
    let hub = store.hub(Hub::builder().queue(4, 1 << 20)).await;
    let mut frozen = hub.subscribe("t", None).await.unwrap();
    let mut reader = hub.subscribe("t", None).await.unwrap();
    for i in 0..100 {
        hub.publish("t", &Event::new(i.to_string())).await.unwrap();
        assert_eq!(data(&take(&mut reader, 1).await), [i.to_string()]);
    }
    assert_eq!(data(&take(&mut frozen, 100).await), numbers(0..100));
    assert_quiet(&mut frozen, Duration::from_millis(200)).await;
    let m = &hub.metrics().topics["t"];
    assert!(m.resynchronized >= 1, "{m:?}");
    assert!(m.queue_high_water <= 4, "{m:?}");
}

/// A slow subscriber that fell behind further than history: `reset`
/// (lagged), then what is retained, then live.
async fn slow_subscriber_beyond_history_resets(store: &Store) {
    let hub = store.hub(Hub::builder().queue(2, 1 << 20).history(5)).await;
    let mut frozen = hub.subscribe("t", None).await.unwrap();
    publish_all(&hub, "t", 0..1).await;
    assert_eq!(data(&take(&mut frozen, 1).await), ["0"]);
    publish_all(&hub, "t", 1..60).await;
    let first = take(&mut frozen, 1).await;
    assert_eq!(reset_reason(&first[0]), "lagged");
    let mut retained = Vec::new();
    while let Ok(Some(frame)) =
        tokio::time::timeout(Duration::from_millis(300), frozen.next()).await
    {
        retained.push(event_of(&frame).data().parse::<usize>().unwrap());
    }
    let expected: Vec<usize> = (60 - retained.len()..60).collect();
    assert!(retained.len() >= 5, "{retained:?}");
    assert_eq!(retained, expected);
    publish_all(&hub, "t", 60..61).await;
    assert_eq!(data(&take(&mut frozen, 1).await), ["60"]);
}

/// With `Overflow::Disconnect`, a slow subscriber's stream ends; the
/// others go on.
async fn slow_subscriber_disconnected(store: &Store) {
    let hub = store
        .hub(
            Hub::builder()
                .queue(3, 1 << 20)
                .overflow(Overflow::Disconnect),
        )
        .await;
    let mut frozen = hub.subscribe("t", None).await.unwrap();
    let mut reader = hub.subscribe("t", None).await.unwrap();
    for i in 0..10 {
        hub.publish("t", &Event::new(i.to_string())).await.unwrap();
        assert_eq!(data(&take(&mut reader, 1).await), [i.to_string()]);
    }
    let mut got = Vec::new();
    let ended = loop {
        match tokio::time::timeout(EVENT_TIMEOUT, frozen.next()).await {
            Ok(Some(frame)) => got.push(event_of(&frame).data().to_owned()),
            Ok(None) => break true,
            Err(_) => break false,
        }
    };
    assert!(
        ended,
        "the slow subscriber was not disconnected; got {got:?}"
    );
    assert!(got.len() <= 3, "{got:?}");
    let m = &hub.metrics().topics["t"];
    assert_eq!(m.disconnected, 1);
    assert_eq!(m.subscribers, 1);
}

/// The byte bound of a queue counts too.
async fn queue_bytes_bound(store: &Store) {
    let hub = store.hub(Hub::builder().queue(1000, 200)).await;
    let mut frozen = hub.subscribe("t", None).await.unwrap();
    let big = "x".repeat(100);
    for _ in 0..10 {
        hub.publish("t", &Event::new(big.clone())).await.unwrap();
    }
    // Give a Redis reader time to fan out.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let m = &hub.metrics().topics["t"];
    assert!(m.queue_high_water <= 2, "{m:?}");
    assert_eq!(take(&mut frozen, 10).await.len(), 10);
}

/// A frozen subscriber delays nobody: publishing stays fast and the
/// others get each event promptly.
async fn frozen_subscriber_changes_nothing(store: &Store) {
    let hub = store.hub(Hub::builder().queue(16, 1 << 16)).await;
    let _frozen: Vec<_> = futures_util::future::join_all((0..50).map(|_| hub.subscribe("t", None)))
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let mut reader = hub.subscribe("t", None).await.unwrap();
    let mut slowest = Duration::ZERO;
    for i in 0..300 {
        let start = Instant::now();
        hub.publish("t", &Event::new("y".repeat(1000) + &i.to_string()))
            .await
            .unwrap();
        let event = take(&mut reader, 1).await;
        assert!(event[0].data().ends_with(&i.to_string()));
        slowest = slowest.max(start.elapsed());
    }
    assert!(
        slowest < Duration::from_secs(2),
        "slowest delivery {slowest:?}"
    );
    let m = &hub.metrics().topics["t"];
    assert!(m.queue_high_water <= 16, "{m:?}");
}

/// Dropping subscribers unregisters them at once.
async fn dropped_subscribers_are_gone(store: &Store) {
    let hub = store.hub(Hub::builder()).await;
    let subscriptions: Vec<_> =
        futures_util::future::join_all((0..10).map(|_| hub.subscribe("t", None)))
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
    assert_eq!(hub.metrics().topics["t"].subscribers, 10);
    drop(subscriptions);
    assert_eq!(hub.metrics().topics["t"].subscribers, 0);
    publish_all(&hub, "t", 0..3).await;
    assert_eq!(hub.metrics().topics["t"].published, 3);
}

macro_rules! suite {
    ($($case:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let store = super::Store::memory();
                    super::within(super::$case(&store)).await;
                }
            )*
        }

        #[cfg(feature = "redis")]
        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(missing_redis, ignore = "redis-server is not on PATH (apt-get install redis-server); with CI set this fails instead")]
                async fn $case() {
                    let store = super::Store::redis();
                    super::within(super::$case(&store)).await;
                }
            )*
        }
    };
}

suite!(
    live_only_after_subscribing,
    ids_increase_and_events_survive,
    resumes_exactly,
    long_replay_is_whole,
    garbage_id_resets,
    foreign_ids_reset_and_topics_never_leak,
    trimmed_history_resets,
    old_events_expire,
    other_epoch_resets,
    replay_live_race,
    slow_subscriber_resyncs_losslessly,
    slow_subscriber_beyond_history_resets,
    slow_subscriber_disconnected,
    queue_bytes_bound,
    frozen_subscriber_changes_nothing,
    dropped_subscribers_are_gone,
);
