//! Many nodes on one real Redis (each test starts its own `redis-server`;
//! ignored, with the reason, when it is missing and `CI` is not set).
//!
//! - Three example nodes; a client (`sse_codec_tokio::reconnect` over
//!   reqwest) whose node is killed mid-stream reconnects to another node
//!   and receives every event exactly once, in order.
//! - Redis restarted mid-stream: publishing fails while it is away,
//!   subscribers stay connected (keep-alives go on), and every event
//!   published once it is back is delivered; nothing is lost.
#![cfg(feature = "redis")]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::node::Options;
use common::{http_client, post, within, Node, RedisServer, Store, EVENT_TIMEOUT};
use futures_util::StreamExt;
use sse_codec_hub::{Event, Hub};
use sse_codec_tokio::{reconnect, Backoff, Connection, OwnedItem, SseStream};

const EVENTS: usize = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_redis,
    ignore = "redis-server is not on PATH (apt-get install redis-server); with CI set this fails instead"
)]
async fn killed_node_client_resumes_on_another_exactly_once() {
    within(async {
        let redis = RedisServer::start();
        let options = Options {
            redis: Some(redis.url()),
            keep_alive: Duration::from_millis(200),
            retry_ms: Some(50),
            ..Options::default()
        };
        let nodes: Vec<Arc<Mutex<Node>>> = (0..3)
            .map(|_| Arc::new(Mutex::new(Node::start(options.clone()))))
            .collect();
        let urls: Vec<String> = nodes
            .iter()
            .map(|n| n.lock().unwrap().url("orders"))
            .collect();

        // The client: node 1 first, then the next one at each reconnection.
        let attempts = Arc::new(AtomicUsize::new(0));
        let connected_to = Arc::new(Mutex::new(Vec::new()));
        let client = http_client();
        let mut events = {
            let urls = urls.clone();
            let attempts = attempts.clone();
            let connected_to = connected_to.clone();
            reconnect(move |last_event_id: Option<String>| {
                let index = 1 + attempts.fetch_add(1, Ordering::SeqCst) % 2;
                let mut request = client
                    .get(&urls[index])
                    .header("accept", "text/event-stream");
                if let Some(id) = &last_event_id {
                    request = request.header("last-event-id", id);
                }
                let connected_to = connected_to.clone();
                async move {
                    match request.send().await {
                        Ok(response) if response.status() == 200 => {
                            connected_to.lock().unwrap().push((index, last_event_id));
                            Connection::Stream(Box::pin(response.bytes_stream()))
                        }
                        Ok(response) => match response.error_for_status() {
                            Err(error) => Connection::Retry(error),
                            Ok(_) => Connection::Stop,
                        },
                        Err(error) => Connection::Retry(error),
                    }
                }
            })
            .backoff(Backoff {
                initial: Duration::from_millis(50),
                ..Backoff::none()
            })
        };

        // The publisher posts to node 0, which stays up, while the client reads.
        let publisher = {
            let url = urls[0].clone();
            tokio::spawn(async move {
                let client = http_client();
                // Wait until the client is connected before the first event.
                tokio::time::sleep(Duration::from_millis(300)).await;
                for i in 0..EVENTS {
                    post(&client, &url, &i.to_string()).await.expect("publish");
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            })
        };

        let mut received = Vec::new();
        while received.len() < EVENTS {
            let item = tokio::time::timeout(EVENT_TIMEOUT, events.next())
                .await
                .unwrap_or_else(|_| panic!("stalled after {} events", received.len()))
                .expect("the client stream ended");
            if let Ok(OwnedItem::Event(event)) = item {
                received.push(event.data().parse::<usize>().unwrap());
                if received.len() == EVENTS / 3 {
                    // Kill the client's node mid-stream.
                    nodes[1].lock().unwrap().kill();
                }
            }
        }
        publisher.await.unwrap();
        assert_eq!(
            received,
            (0..EVENTS).collect::<Vec<_>>(),
            "every event exactly once, in order"
        );
        let connected_to = connected_to.lock().unwrap().clone();
        assert_eq!(connected_to[0], (1, None));
        assert!(
            connected_to
                .iter()
                .any(|(node, id)| *node == 2 && id.is_some()),
            "the client did not resume on node 2: {connected_to:?}"
        );
        // Nothing more comes.
        if let Ok(Some(Ok(OwnedItem::Event(event)))) =
            tokio::time::timeout(Duration::from_millis(300), events.next()).await
        {
            panic!("unexpected {event:?}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_redis,
    ignore = "redis-server is not on PATH (apt-get install redis-server); with CI set this fails instead"
)]
async fn events_published_on_one_node_reach_the_others() {
    within(async {
        let store = Store::redis();
        let a = store.hub(Hub::builder()).await;
        let b = store.hub(Hub::builder()).await;
        let mut on_b = b.subscribe("t", None).await.unwrap();
        let ids: Vec<String> = {
            let mut ids = Vec::new();
            for i in 0..5 {
                ids.push(a.publish("t", &Event::new(i.to_string())).await.unwrap());
            }
            ids
        };
        let got = common::take(&mut on_b, 5).await;
        assert_eq!(
            got.iter().map(|e| e.id().to_owned()).collect::<Vec<_>>(),
            ids
        );
        // Resume on node b with an ID node a handed out.
        let mut resumed = b.subscribe("t", Some(&ids[2])).await.unwrap();
        assert_eq!(
            common::data(&common::take(&mut resumed, 2).await),
            ["3", "4"]
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_redis,
    ignore = "redis-server is not on PATH (apt-get install redis-server); with CI set this fails instead"
)]
async fn redis_restarted_mid_stream_nothing_lost() {
    within(async {
        let mut store = Store::redis();
        let hub = store
            .hub(Hub::builder().timeout(Duration::from_millis(500)))
            .await;
        let subscription = hub.subscribe("t", None).await.unwrap();
        let mut body = SseStream::new(subscription).keep_alive(Duration::from_millis(50));
        let mut published = Vec::new();
        for i in 0..50 {
            published.push(i);
            hub.publish("t", &Event::new(i.to_string())).await.unwrap();
        }
        let mut received = Vec::new();
        let mut keep_alives = 0;
        let next = |received: &mut Vec<usize>, keep_alives: &mut usize, chunk: bytes::Bytes| {
            if chunk.as_ref() == b":\n" {
                *keep_alives += 1;
            } else {
                // A chunk holds every event that was ready.
                let text = String::from_utf8(chunk.to_vec()).unwrap();
                let data = text.lines().filter_map(|l| l.strip_prefix("data: "));
                received.extend(data.map(|d| d.parse::<usize>().unwrap()));
            }
        };
        while received.len() < 50 {
            let chunk = tokio::time::timeout(EVENT_TIMEOUT, body.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            next(&mut received, &mut keep_alives, chunk);
        }

        // Redis goes away: publishing fails, the subscriber stays, keep-alives go on.
        let server = store.redis.as_mut().unwrap();
        server.stop();
        assert!(hub.publish("t", &Event::new("lost")).await.is_err());
        let before = keep_alives;
        while keep_alives < before + 3 {
            let chunk = tokio::time::timeout(EVENT_TIMEOUT, body.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            next(&mut received, &mut keep_alives, chunk);
        }
        assert_eq!(received.len(), 50);

        // Back (empty: no persistence); every event published from now on arrives.
        store.redis.as_mut().unwrap().restart();
        for i in 50..100 {
            let deadline = tokio::time::Instant::now() + EVENT_TIMEOUT;
            loop {
                match hub.publish("t", &Event::new(i.to_string())).await {
                    Ok(_) => break,
                    Err(error) => {
                        assert!(
                            tokio::time::Instant::now() < deadline,
                            "publish keeps failing: {error}"
                        );
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
            published.push(i);
        }
        while received.len() < 100 {
            let chunk = tokio::time::timeout(EVENT_TIMEOUT, body.next())
                .await
                .unwrap_or_else(|_| panic!("stalled at {received:?}"))
                .unwrap()
                .unwrap();
            next(&mut received, &mut keep_alives, chunk);
        }
        assert_eq!(received, published);
    })
    .await;
}
