//! Fan-out over loopback HTTP: one publisher, N subscribers each on its own
//! TCP connection, M events; the time until every subscriber has every
//! event. The hub's example node (in-memory hub) against what people write
//! today: axum's `Sse` over `tokio::sync::broadcast`.
//!
//! ```text
//! ulimit -n 65536   # two sockets per subscriber
//! cargo bench -p sse-codec-hub --bench fanout              # 1,000 and 10,000 subscribers
//! cargo bench -p sse-codec-hub --bench fanout -- 2000 50   # N subscribers, M events
//! ```
//!
//! Run by `cargo test` (without `--bench`), it is a smoke test with 20
//! subscribers and 20 events.

#[path = "../examples/node.rs"]
#[allow(dead_code, unreachable_pub)]
mod node;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::response::sse::{Event as AxumEvent, KeepAlive, Sse};
use axum::routing::get;
use axum::Router;
use futures_util::stream::{self, Stream};
use sse_codec_hub::{Event, Hub};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;

const PAYLOAD: &str = r#"{"text":"a token of an LLM stream, about eighty bytes of JSON in all.."}"#;

async fn serve(app: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    // TCP_NODELAY for both servers, as the node example sets it.
    tokio::spawn(async move { axum::serve(node::no_delay(listener), app).await });
    addr
}

/// Connects, sends the request, and counts events (blank lines) until `m`.
async fn subscriber(
    addr: SocketAddr,
    path: &'static str,
    m: usize,
    ready: tokio::sync::mpsc::Sender<()>,
) -> usize {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nhost: bench\r\naccept: text/event-stream\r\n\r\n")
                .as_bytes(),
        )
        .await
        .expect("request");
    let mut buf = vec![0; 64 * 1024];
    let mut events = 0;
    let mut previous = 0u8;
    let mut headers_done = false;
    let mut window = Vec::new();
    while events < m {
        let n = stream.read(&mut buf).await.expect("read");
        if n == 0 {
            break;
        }
        let mut bytes = &buf[..n];
        if !headers_done {
            window.extend_from_slice(bytes);
            let Some(end) = window.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            headers_done = true;
            let _ = ready.send(()).await;
            let rest = window.split_off(end + 4);
            window = rest;
            bytes = &window;
        }
        for &byte in bytes {
            if byte == b'\n' && previous == b'\n' {
                events += 1;
            }
            previous = byte;
        }
        window.clear();
    }
    events
}

async fn run(
    name: &str,
    addr: SocketAddr,
    path: &'static str,
    n: usize,
    m: usize,
    publish: impl Fn(usize) -> tokio::task::JoinHandle<()>,
) {
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel(n.max(1));
    let clients: Vec<_> = (0..n)
        .map(|_| tokio::spawn(subscriber(addr, path, m, ready_tx.clone())))
        .collect();
    drop(ready_tx);
    for _ in 0..n {
        ready_rx
            .recv()
            .await
            .expect("a subscriber failed to connect");
    }
    // Headers are sent once the handler has subscribed.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let start = Instant::now();
    for i in 0..m {
        publish(i).await.expect("publish");
    }
    let mut delivered = 0;
    for client in clients {
        delivered += client.await.expect("subscriber");
    }
    let elapsed = start.elapsed();
    println!(
        "{name:<28} {n:>6} subscribers {m:>4} events: {delivered:>8} deliveries in {:>8.1} ms = {:>10.0} deliveries/s",
        elapsed.as_secs_f64() * 1000.0,
        delivered as f64 / elapsed.as_secs_f64()
    );
    assert_eq!(delivered, n * m, "{name}: lost events");
}

async fn hub_case(n: usize, m: usize) {
    let hub = Hub::builder().queue(m.max(1024), 1 << 20).memory();
    let options = node::Options {
        keep_alive: Duration::from_secs(60),
        ..node::Options::default()
    };
    let addr = serve(node::router(hub.clone(), &options)).await;
    run("sse-codec-hub node", addr, "/topics/bench", n, m, |i| {
        let hub = hub.clone();
        tokio::spawn(async move {
            hub.publish("bench", &Event::new(PAYLOAD).with_id(&i.to_string()))
                .await
                .expect("publish");
        })
    })
    .await;
}

async fn broadcast_case(n: usize, m: usize) {
    let (sender, _) = broadcast::channel::<(usize, &'static str)>(1024.max(m));
    let app = {
        let sender = sender.clone();
        Router::new().route(
            "/events",
            get(move || {
                let receiver = sender.subscribe();
                async move {
                    let events = stream::unfold(receiver, |mut receiver| async move {
                        loop {
                            match receiver.recv().await {
                                Ok((id, data)) => {
                                    let event = AxumEvent::default().id(id.to_string()).data(data);
                                    return Some((Ok::<_, Infallible>(event), receiver));
                                }
                                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                                Err(broadcast::error::RecvError::Closed) => return None,
                            }
                        }
                    });
                    // Keep-alive as the node has it (a timer reset per event).
                    Sse::new(Box::pin(events)
                        as std::pin::Pin<
                            Box<dyn Stream<Item = Result<AxumEvent, Infallible>> + Send>,
                        >)
                    .keep_alive(KeepAlive::new().interval(Duration::from_secs(60)))
                }
            }),
        )
    };
    let addr = serve(app).await;
    run("axum Sse + broadcast", addr, "/events", n, m, |i| {
        let sender = sender.clone();
        tokio::spawn(async move {
            let _ = sender.send((i, PAYLOAD));
        })
    })
    .await;
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let benching = args.iter().any(|a| a == "--bench");
    let numbers: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let cases: Vec<(usize, usize)> = match (benching, numbers.as_slice()) {
        (_, [n, m, ..]) => vec![(*n, *m)],
        (true, _) => vec![(1_000, 100), (10_000, 20)],
        (false, _) => vec![(20, 20)],
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        for (n, m) in cases {
            hub_case(n, m).await;
            broadcast_case(n, m).await;
        }
    });
}
