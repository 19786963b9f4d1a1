//! What the hub's tests share: a `redis-server` of their own, hubs on
//! either store, and reading frames back as events.

#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use sse_codec_hub::{Frame, Hub, HubBuilder, Subscription};
use sse_codec_tokio::{Decoder, Event, OwnedItem};

/// Every test ends within this, whatever happens.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest wait for one event that should come.
pub const EVENT_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn within<F: Future>(test: F) -> F::Output {
    tokio::time::timeout(TEST_TIMEOUT, test)
        .await
        .expect("the test took too long")
}

/// A free port on 127.0.0.1 (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("no free port")
        .port()
}

/// A `redis-server` of the test's own: a free port, a temporary directory,
/// no persistence; stopped on drop.
pub struct RedisServer {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl RedisServer {
    pub fn start() -> RedisServer {
        static COUNT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "sse-codec-hub-redis-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        let mut server = RedisServer {
            port: free_port(),
            dir,
            child: None,
        };
        server.launch();
        server
    }

    fn launch(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            // Small stream nodes, so that `MAXLEN ~ N` trims close to N.
            .args(["--stream-node-max-entries", "4"])
            .args(["--protected-mode", "no", "--loglevel", "warning"])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("cannot start redis-server (apt-get install redis-server)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if ping(self.port) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server did not answer on port {}", self.port);
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills the server (its data is gone: no persistence).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the server and starts a new, empty one on the same port.
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut reply = [0; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}

/// The store under test: memory, or a Redis server of the test's own.
pub struct Store {
    pub redis: Option<RedisServer>,
}

impl Store {
    pub fn memory() -> Store {
        Store { redis: None }
    }

    pub fn redis() -> Store {
        Store {
            redis: Some(RedisServer::start()),
        }
    }

    pub fn is_redis(&self) -> bool {
        self.redis.is_some()
    }

    /// A hub on this store. In memory, each call makes a separate hub; on
    /// Redis, each call makes another node on the same topics.
    pub async fn hub(&self, builder: HubBuilder) -> Hub {
        match &self.redis {
            None => builder.memory(),
            #[cfg(feature = "redis")]
            Some(server) => builder
                .block(Duration::from_millis(200))
                .timeout(Duration::from_secs(3))
                .redis(&server.url())
                .await
                .expect("redis hub"),
            #[cfg(not(feature = "redis"))]
            Some(_) => unreachable!("Redis tests need the redis feature"),
        }
    }
}

/// The event in one frame.
pub fn event_of(frame: &Frame) -> Event {
    let mut decoder = Decoder::new();
    let items: Vec<_> = decoder.feed(frame.as_ref()).collect();
    match items.as_slice() {
        [Ok(OwnedItem::Event(event))] => event.clone(),
        other => panic!("not one event: {other:?} in {frame:?}"),
    }
}

/// The next `n` events, each within `EVENT_TIMEOUT`.
pub async fn take(subscription: &mut Subscription, n: usize) -> Vec<Event> {
    let mut events = Vec::with_capacity(n);
    for _ in 0..n {
        let frame = tokio::time::timeout(EVENT_TIMEOUT, subscription.next())
            .await
            .unwrap_or_else(|_| panic!("no event after {events:?}"))
            .expect("the subscription ended");
        events.push(event_of(&frame));
    }
    events
}

/// Asserts that nothing comes within `wait`.
pub async fn assert_quiet(subscription: &mut Subscription, wait: Duration) {
    if let Ok(item) = tokio::time::timeout(wait, subscription.next()).await {
        panic!("unexpected {:?}", item.map(|frame| event_of(&frame)));
    }
}

pub fn data(events: &[Event]) -> Vec<String> {
    events.iter().map(|event| event.data().to_owned()).collect()
}

/// The example node, run in the tests on loopback.
#[path = "../../examples/node.rs"]
pub mod node;

/// A node on 127.0.0.1 with its own runtime: killing it drops every task
/// and connection at once, as a crash would.
pub struct Node {
    pub addr: std::net::SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Node {
    pub fn start(options: node::Options) -> Node {
        Node::start_with(None, options)
    }

    /// A node serving `hub` (made in the test, to read its metrics), or the
    /// hub its options ask for.
    pub fn start_with(hub: Option<Hub>, options: node::Options) -> Node {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("address");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.spawn(async move {
            let hub = match hub {
                Some(hub) => hub,
                None => node::hub(&options).await.expect("the node's hub"),
            };
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            axum::serve(node::no_delay(listener), node::router(hub, &options)).await
        });
        Node {
            addr,
            runtime: Some(runtime),
        }
    }

    pub fn url(&self, topic: &str) -> String {
        format!("http://{}/topics/{topic}", self.addr)
    }

    pub fn kill(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A client with timeouts for everything but reading a stream.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .build()
        .expect("client")
}

/// POSTs an event; its ID.
pub async fn post(client: &reqwest::Client, url: &str, data: &str) -> Result<String, String> {
    let response = client
        .post(url)
        .body(data.to_owned())
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("status {}", response.status()));
    }
    response.text().await.map_err(|e| e.to_string())
}
