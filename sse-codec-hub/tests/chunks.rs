//! A subscription served through `SseStream` hands its subscriber
//! everything queued for it as one chunk per wake-up (one body frame, one
//! write), in order, and nothing more than what was queued.

use std::time::Duration;

use futures_util::StreamExt;
use sse_codec_hub::{Event, Hub};
use sse_codec_tokio::SseStream;

/// The next chunk of `body`, within 10 s.
async fn next(body: &mut SseStream<sse_codec_hub::Subscription>) -> bytes::Bytes {
    tokio::time::timeout(Duration::from_secs(10), body.next())
        .await
        .expect("a chunk within 10 s")
        .expect("the stream goes on")
        .expect("no error")
}

#[tokio::test]
async fn queued_events_go_out_as_one_chunk() {
    let hub = Hub::memory();
    let subscription = hub.subscribe("t", None).await.unwrap();
    let mut body = SseStream::new(subscription).keep_alive(Duration::from_secs(15));
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(hub.publish("t", &Event::new(i.to_string())).await.unwrap());
    }
    let chunk = next(&mut body).await;
    let expected: String = ids
        .iter()
        .enumerate()
        .map(|(i, id)| format!("id: {id}\ndata: {i}\n\n"))
        .collect();
    assert_eq!(String::from_utf8(chunk.to_vec()).unwrap(), expected);
    // The next event, published later, is the next chunk on its own.
    let id = hub.publish("t", &Event::new("3")).await.unwrap();
    let chunk = next(&mut body).await;
    assert_eq!(
        String::from_utf8(chunk.to_vec()).unwrap(),
        format!("id: {id}\ndata: 3\n\n")
    );
}
