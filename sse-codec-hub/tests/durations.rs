//! Every duration a caller gives the hub, at its extremes (0, 1 ns and
//! `Duration::MAX`): no panic, no spin, and events still flow. The Redis
//! store's `block` and `timeout` meet the clock the same way (saturating
//! additions); they are exercised with real Redis in `stores.rs`.

use std::time::Duration;

use futures_util::StreamExt;
use sse_codec_hub::{Event, Hub};

const EXTREMES: [Duration; 3] = [Duration::ZERO, Duration::from_nanos(1), Duration::MAX];

#[tokio::test]
async fn timeouts_and_ages_at_the_extremes_do_not_panic() {
    for timeout in EXTREMES {
        for max_age in EXTREMES {
            let builder = Hub::builder().timeout(timeout).max_age(max_age);
            #[cfg(feature = "redis")]
            let builder = builder.block(timeout);
            let hub = builder.memory();
            let mut live = hub.subscribe("t", None).await.unwrap();
            let id = hub.publish("t", &Event::new("x")).await.unwrap();
            let frame = tokio::time::timeout(Duration::from_secs(5), live.next())
                .await
                .unwrap_or_else(|_| panic!("no event with {timeout:?} / {max_age:?}"))
                .expect("the subscription goes on");
            let text = String::from_utf8(frame.as_bytes().to_vec()).unwrap();
            assert!(text.contains(&format!("id: {id}\n")), "{text}");
            // A resume after that id: exact unless the age limit trimmed it.
            let resumed = hub.subscribe("t", Some(&id)).await.unwrap();
            drop(resumed);
        }
    }
}

/// On Redis, `timeout` and `block` meet the clock and the wire (a response
/// timeout of `block + timeout`, `XREAD BLOCK <ms>`): at their extremes the
/// node still publishes and delivers.
#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_redis,
    ignore = "redis-server is not on PATH (apt-get install redis-server); with CI set this fails instead"
)]
async fn redis_timeouts_at_the_extremes_do_not_panic() {
    let server = common::RedisServer::start();
    for (block, timeout) in [
        (Duration::from_nanos(1), Duration::from_secs(3)),
        (Duration::MAX, Duration::from_secs(3)),
        (Duration::from_millis(200), Duration::MAX),
    ] {
        let hub = Hub::builder()
            .block(block)
            .timeout(timeout)
            .redis(&server.url())
            .await
            .expect("redis hub");
        let mut live = hub.subscribe("t", None).await.unwrap();
        let id = hub.publish("t", &Event::new("x")).await.unwrap();
        let frame = tokio::time::timeout(Duration::from_secs(10), live.next())
            .await
            .unwrap_or_else(|_| panic!("no event with block {block:?}, timeout {timeout:?}"))
            .expect("the subscription goes on");
        let text = String::from_utf8(frame.as_bytes().to_vec()).unwrap();
        assert!(text.contains(&format!("id: {id}\n")), "{text}");
    }
}

#[cfg(feature = "redis")]
mod common;
