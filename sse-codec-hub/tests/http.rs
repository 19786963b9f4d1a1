//! The example node over real HTTP on loopback (in-memory hub): publish
//! with POST, follow with GET, resume from the `Last-Event-ID` header or
//! the `last_event_id` query parameter, CORS, keep-alive, retry.

mod common;

use std::time::Duration;

use common::node::{parse_args, Options};
use common::{http_client, post, within, Node, EVENT_TIMEOUT};
use futures_util::StreamExt;
use sse_codec_tokio::{Event, EventStream, OwnedItem};

type Body =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>;

async fn get(
    client: &reqwest::Client,
    url: &str,
    last_event_id: Option<&str>,
) -> reqwest::Response {
    let mut request = client.get(url).header("accept", "text/event-stream");
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let response = tokio::time::timeout(EVENT_TIMEOUT, request.send())
        .await
        .expect("no response")
        .expect("request failed");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    response
}

fn events(response: reqwest::Response) -> EventStream<Body> {
    EventStream::new(Box::pin(response.bytes_stream()) as Body)
}

async fn next_events(stream: &mut EventStream<Body>, n: usize) -> Vec<Event> {
    let mut out = Vec::new();
    while out.len() < n {
        let item = tokio::time::timeout(EVENT_TIMEOUT, stream.next())
            .await
            .unwrap_or_else(|_| panic!("no event after {out:?}"))
            .expect("the stream ended");
        if let Ok(OwnedItem::Event(event)) = item {
            out.push(event);
        }
    }
    out
}

fn options() -> Options {
    Options {
        keep_alive: Duration::from_millis(100),
        retry_ms: Some(1234),
        ..Options::default()
    }
}

#[tokio::test]
async fn publish_and_follow() {
    within(async {
        let node = Node::start(options());
        let client = http_client();
        let mut stream = events(get(&client, &node.url("news"), None).await);
        let a = post(&client, &node.url("news"), "hello").await.unwrap();
        let b = client
            .post(format!("{}?type=update", node.url("news")))
            .body("über\nzwei")
            .send()
            .await
            .unwrap();
        assert_eq!(b.status(), 200);
        assert_eq!(b.headers()["content-type"], "text/plain; charset=utf-8");
        assert_eq!(b.headers()["access-control-allow-origin"], "*");
        let b = b.text().await.unwrap();
        let got = next_events(&mut stream, 2).await;
        assert_eq!(
            (got[0].data(), got[0].id(), got[0].event_type()),
            ("hello", &*a, "message")
        );
        assert_eq!(
            (got[1].data(), got[1].id(), got[1].event_type()),
            ("über\nzwei", &*b, "update")
        );
        assert_eq!(stream.reconnection_time(), Some(1234));
        // Another topic's events never show up here.
        post(&client, &node.url("other"), "no").await.unwrap();
        post(&client, &node.url("news"), "yes").await.unwrap();
        assert_eq!(next_events(&mut stream, 1).await[0].data(), "yes");
        // Not UTF-8: refused.
        let bad = client
            .post(node.url("news"))
            .body(vec![0xff, 0xfe])
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 400);
    })
    .await;
}

#[tokio::test]
async fn resume_from_header_or_query() {
    within(async {
        let node = Node::start(options());
        let client = http_client();
        let mut ids = Vec::new();
        for i in 0..5 {
            ids.push(post(&client, &node.url("t"), &i.to_string()).await.unwrap());
        }
        let data = |events: Vec<Event>| {
            events
                .iter()
                .map(|e| e.data().to_owned())
                .collect::<Vec<_>>()
        };

        let mut by_header = events(get(&client, &node.url("t"), Some(&ids[1])).await);
        assert_eq!(data(next_events(&mut by_header, 3).await), ["2", "3", "4"]);

        let url = format!("{}?last_event_id={}", node.url("t"), ids[2]);
        let mut by_query = events(get(&client, &url, None).await);
        assert_eq!(data(next_events(&mut by_query, 2).await), ["3", "4"]);

        // The header wins over the query parameter.
        let url = format!("{}?last_event_id={}", node.url("t"), ids[0]);
        let mut both = events(get(&client, &url, Some(&ids[3])).await);
        assert_eq!(data(next_events(&mut both, 1).await), ["4"]);

        // A garbage ID: reset first, then all of history.
        let mut garbage = events(get(&client, &node.url("t"), Some("nope")).await);
        let got = next_events(&mut garbage, 6).await;
        assert_eq!(got[0].event_type(), "reset");
        assert_eq!(got[0].data(), r#"{"reason":"malformed"}"#);
        assert_eq!(data(got[1..].to_vec()), ["0", "1", "2", "3", "4"]);

        // All of them go live afterwards.
        post(&client, &node.url("t"), "5").await.unwrap();
        for stream in [&mut by_header, &mut by_query, &mut both, &mut garbage] {
            assert_eq!(data(next_events(stream, 1).await), ["5"]);
        }
    })
    .await;
}

#[tokio::test]
async fn keep_alive_and_retry_on_the_wire() {
    within(async {
        let node = Node::start(options());
        let client = http_client();
        let mut body = get(&client, &node.url("quiet"), None).await.bytes_stream();
        let mut seen = Vec::new();
        while !seen.windows(2).any(|w| w == b":\n") {
            let chunk = tokio::time::timeout(EVENT_TIMEOUT, body.next())
                .await
                .expect("no keep-alive")
                .expect("ended")
                .expect("failed");
            seen.extend_from_slice(&chunk);
        }
        assert!(
            seen.starts_with(b"retry: 1234\n\n"),
            "{:?}",
            String::from_utf8_lossy(&seen)
        );
    })
    .await;
}

#[tokio::test]
async fn cors_preflight() {
    within(async {
        let node = Node::start(options());
        let response = http_client()
            .request(reqwest::Method::OPTIONS, node.url("t"))
            .header("origin", "http://example.test")
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "last-event-id")
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
        let headers = response.headers();
        assert_eq!(headers["access-control-allow-origin"], "*");
        assert!(headers["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("GET"));
        assert!(headers["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase()
            .contains("last-event-id"));
    })
    .await;
}

#[test]
fn flags() {
    let args = |list: &[&str]| parse_args(list.iter().map(|s| s.to_string()));
    let options = args(&[]).unwrap();
    assert_eq!(options.history, 10_000);
    assert_eq!(options.keep_alive, Duration::from_millis(15_000));
    assert_eq!(options.redis, None);
    let options = args(&[
        "--listen",
        "127.0.0.1:9999",
        "--redis",
        "redis://x/",
        "--history",
        "5",
        "--keep-alive-ms",
        "20",
        "--retry-ms",
        "300",
    ])
    .unwrap();
    assert_eq!(options.listen.port(), 9999);
    assert_eq!(options.redis.as_deref(), Some("redis://x/"));
    assert_eq!(options.history, 5);
    assert_eq!(options.keep_alive, Duration::from_millis(20));
    assert_eq!(options.retry_ms, Some(300));
    assert!(args(&["--history"]).is_err());
    assert!(args(&["--history", "x"]).is_err());
    assert!(args(&["--what", "1"]).is_err());
}

/// A client that sends its request and never reads: the server's socket
/// buffers fill, its queue overflows, and it costs a bounded amount of
/// memory; the reading client gets every event promptly all along.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_delays_nobody() {
    use tokio::io::AsyncWriteExt;
    within(async {
        let hub = sse_codec_hub::Hub::builder().queue(64, 64 * 1024).memory();
        let node = Node::start_with(Some(hub.clone()), options());
        let client = http_client();
        let mut frozen = tokio::net::TcpStream::connect(node.addr).await.unwrap();
        frozen
            .write_all(b"GET /topics/big HTTP/1.1\r\nhost: x\r\naccept: text/event-stream\r\n\r\n")
            .await
            .unwrap();
        let mut reader = events(get(&client, &node.url("big"), None).await);
        // Both subscribed.
        let deadline = tokio::time::Instant::now() + EVENT_TIMEOUT;
        while hub.metrics().topics.get("big").map_or(0, |m| m.subscribers) < 2 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "subscribers missing"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let payload = "z".repeat(2000);
        let mut slowest = Duration::ZERO;
        for i in 0..5000 {
            let start = std::time::Instant::now();
            hub.publish("big", &sse_codec_hub::Event::new(format!("{i} {payload}")))
                .await
                .unwrap();
            let got = next_events(&mut reader, 1).await;
            assert!(got[0].data().starts_with(&format!("{i} ")));
            slowest = slowest.max(start.elapsed());
        }
        // 10 MB went out (more than loopback socket buffers hold); the frozen
        // client read none of it.
        let m = &hub.metrics().topics["big"];
        assert!(slowest < Duration::from_secs(2), "slowest {slowest:?}");
        assert!(m.queue_high_water <= 64, "{m:?}");
        assert!(
            m.resynchronized >= 1,
            "the frozen client never overflowed: {m:?}"
        );
        assert_eq!(m.subscribers, 2);
        drop(frozen);
    })
    .await;
}
