//! `SseStream` as an axum response, over real HTTP on loopback: the headers,
//! and an event that cannot be encoded skipped while the events around it
//! arrive.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use futures_util::stream::{self, StreamExt};
use sse_codec_tokio::{Event, EventStream, Message, OwnedItem, SseStream};

/// Serves `app` on a free loopback port until the test ends.
async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// A GET of `url` with a plain reqwest client.
async fn http_get(url: String) -> reqwest::Result<reqwest::Response> {
    reqwest::get(url).await
}

/// Every event of the response at `url`, decoded; the response's headers.
async fn fetch(url: String) -> (reqwest::header::HeaderMap, Vec<Event>) {
    let response = tokio::time::timeout(Duration::from_secs(10), http_get(url))
        .await
        .expect("the server answers within 10 s")
        .expect("the request succeeds");
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    let items: Vec<_> = tokio::time::timeout(
        Duration::from_secs(10),
        EventStream::new(response.bytes_stream()).collect::<Vec<_>>(),
    )
    .await
    .expect("the body ends within 10 s");
    let events = items
        .into_iter()
        .filter_map(
            |item| match item.expect("the body is read without an error") {
                OwnedItem::Event(event) => Some(event),
                _ => None,
            },
        )
        .collect();
    (headers, events)
}

#[tokio::test]
async fn an_event_that_cannot_be_encoded_is_skipped_and_the_others_arrive() {
    let skipped = Arc::new(Mutex::new(Vec::new()));
    let seen = skipped.clone();
    let app = Router::new().route(
        "/events",
        get(move || {
            let seen = seen.clone();
            async move {
                let events = stream::iter([
                    Event::new("before").with_id("1"),
                    Event::new("evil").with_id("2\r\nevent: admin"),
                    Event::new("nul").with_id("3\0"),
                    Event::new("typed").with_event_type("a\nb"),
                    Event::new("after").with_id("4"),
                ]);
                SseStream::new(events).on_skipped(move |error, message| {
                    seen.lock()
                        .unwrap()
                        .push((error.to_string(), message.clone()));
                })
            }
        }),
    );
    let addr = serve(app).await;
    let (headers, events) = fetch(format!("http://{addr}/events")).await;
    assert_eq!(headers["content-type"], "text/event-stream");
    assert_eq!(headers["cache-control"], "no-cache, no-transform");
    assert_eq!(headers["x-accel-buffering"], "no");
    assert_eq!(
        events,
        [
            Event::new("before").with_id("1"),
            Event::new("after").with_id("4")
        ]
    );
    let skipped = skipped.lock().unwrap();
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    assert_eq!(
        skipped[0].1,
        Message::Event(Event::new("evil").with_id("2\r\nevent: admin"))
    );
}

#[tokio::test]
async fn a_handler_returns_the_stream_and_result_items_are_accepted() {
    async fn json() -> impl IntoResponse {
        let events = stream::iter(0..3).map(|n| Event::json(&serde_json::json!({ "n": n })));
        SseStream::new(events).keep_alive(Duration::from_secs(15))
    }
    async fn frames() -> impl IntoResponse {
        // Not `Unpin`: an `async` stream.
        let events = stream::iter(["a", "b"]).then(|data| async move {
            tokio::task::yield_now().await;
            Ok::<_, Infallible>(Message::Event(Event::new(data)))
        });
        SseStream::new(events).retry(1500)
    }
    let app = Router::new()
        .route("/json", get(json))
        .route("/frames", get(frames));
    let addr = serve(app).await;
    let (_, events) = fetch(format!("http://{addr}/json")).await;
    let numbers: Vec<u32> = events
        .iter()
        .map(|event| {
            event.parse_json::<serde_json::Value>().unwrap()["n"]
                .as_u64()
                .unwrap() as u32
        })
        .collect();
    assert_eq!(numbers, [0, 1, 2]);
    let (_, events) = fetch(format!("http://{addr}/frames")).await;
    assert_eq!(events, [Event::new("a"), Event::new("b")]);
}

#[tokio::test]
async fn an_error_item_ends_the_response_after_the_events_before_it() {
    let app = Router::new().route(
        "/fails",
        get(|| async {
            let items = stream::iter([
                Ok(Event::new("one")),
                Err(std::io::Error::other("database gone")),
                Ok(Event::new("never sent")),
            ])
            .then(|item| async move {
                // The failure comes once the first event is on its way.
                if item.is_err() {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                item
            });
            SseStream::new(items)
        }),
    );
    let addr = serve(app).await;
    let response = http_get(format!("http://{addr}/fails")).await.unwrap();
    let items: Vec<_> = EventStream::new(response.bytes_stream()).collect().await;
    let events: Vec<_> = items
        .iter()
        .filter_map(|item| match item {
            Ok(OwnedItem::Event(event)) => Some(event.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(events, [Event::new("one")]);
    assert!(
        items.iter().any(Result::is_err),
        "the aborted body is reported as an error: {items:?}"
    );
}
