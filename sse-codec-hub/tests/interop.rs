//! Real third-party clients, the npm `eventsource` package (run by the
//! workspace's interop harness script `tests/interop/eventsource-client.mjs`)
//! and headless Chromium's `EventSource` (the harness page
//! `tests/interop/page.html`, served from another origin), each behind a TCP
//! load balancer in front of two example nodes on one Redis: its node is
//! killed mid-stream, it reconnects by itself with `Last-Event-ID`, lands on
//! the other node, and receives every event exactly once, in order.
//!
//! Needs `redis-server`, and `node` with `tests/interop/setup.sh` run once
//! or Chromium (`/usr/bin/chromium`, or `$CHROMIUM`); without them the tests
//! are reported as ignored, with the reason (unless `CI` is set: then they
//! fail).
#![cfg(feature = "redis")]

mod common;

#[path = "../../tests/interop/chromium.rs"]
mod chromium;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::node::Options;
use common::{http_client, post, within, Node, RedisServer};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

const EVENTS: usize = 200;

/// Forwards each connection to the first backend that accepts it, in
/// turn; once `done`, answers `204 No Content` (which stops an
/// `EventSource`) and drops the open connections.
struct Balancer {
    addr: SocketAddr,
    done: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl Balancer {
    async fn start(backends: Vec<SocketAddr>) -> Balancer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let done = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let accept = {
            let done = done.clone();
            let connections = connections.clone();
            tokio::spawn(async move {
                let mut next = 0;
                while let Ok((mut client, _)) = listener.accept().await {
                    if done.load(Ordering::SeqCst) {
                        // With the CORS header: a browser page on another
                        // origin must see the 204 (not a network error).
                        let _ = client
                            .write_all(
                                b"HTTP/1.1 204 No Content\r\naccess-control-allow-origin: *\r\n\
                                  connection: close\r\n\r\n",
                            )
                            .await;
                        continue;
                    }
                    let mut backend = None;
                    for _ in 0..backends.len() {
                        let target = backends[next % backends.len()];
                        if let Ok(stream) = TcpStream::connect(target).await {
                            backend = Some(stream);
                            break;
                        }
                        next += 1;
                    }
                    let Some(mut backend) = backend else { continue };
                    let handle = tokio::spawn(async move {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut backend).await;
                    });
                    connections.lock().unwrap().push(handle);
                }
            })
        };
        Balancer {
            addr,
            done,
            connections,
            accept,
        }
    }

    /// Connections forwarded so far.
    fn forwarded(&self) -> usize {
        self.connections.lock().unwrap().len()
    }

    fn finish(&self) {
        self.done.store(true, Ordering::SeqCst);
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        self.finish();
        self.accept.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_redis,
    ignore = "redis-server is not on PATH (apt-get install redis-server); with CI set this fails instead"
)]
#[cfg_attr(
    missing_node_eventsource,
    ignore = "node or the npm eventsource package is missing (run tests/interop/setup.sh); with CI set this fails instead"
)]
async fn npm_eventsource_resumes_on_another_node_exactly_once() {
    within(async {
        let redis = RedisServer::start();
        let options = Options {
            redis: Some(redis.url()),
            keep_alive: Duration::from_millis(500),
            retry_ms: Some(50),
            ..Options::default()
        };
        let publisher_node = Node::start(options.clone());
        let mut first = Node::start(options.clone());
        let second = Node::start(options.clone());
        let balancer = Balancer::start(vec![first.addr, second.addr]).await;

        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/interop/eventsource-client.mjs");
        let url = format!("http://{}/topics/orders", balancer.addr);
        let client = tokio::process::Command::new("node")
            .arg(&script)
            .arg(&url)
            .arg(r#"["message"]"#)
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node");
        // Let it connect (through the balancer, to `first`).
        tokio::time::sleep(Duration::from_millis(1000)).await;

        let http = http_client();
        let publish_url = publisher_node.url("orders");
        let mut ids = Vec::new();
        for i in 0..EVENTS {
            ids.push(post(&http, &publish_url, &i.to_string()).await.unwrap());
            if i == EVENTS / 3 {
                first.kill();
            }
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
        // Time to catch up, then stop the client with a 204.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        balancer.finish();

        let output = tokio::time::timeout(Duration::from_secs(40), client.wait_with_output())
            .await
            .expect("the client did not stop")
            .expect("the client failed");
        let report: String = String::from_utf8(output.stdout).unwrap();
        // {"received":[{"type":"message","data":"0","lastEventId":"..."},...],"opens":N,...}
        let data: Vec<String> = report
            .split(r#""data":""#)
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap().to_owned())
            .collect();
        let ids_seen: Vec<String> = report
            .split(r#""lastEventId":""#)
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap().to_owned())
            .collect();
        let expected: Vec<String> = (0..EVENTS).map(|i| i.to_string()).collect();
        assert_eq!(data, expected, "report: {report}");
        assert_eq!(ids_seen, ids);
        assert!(!report.contains(r#""timedOut":true"#), "{report}");
        let opens: usize = report
            .split(r#""opens":"#)
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(opens >= 2, "the client never reconnected: {report}");
        drop(second);
    })
    .await;
}

/// The harness page (`tests/interop/page.html`), made to follow `url` on
/// another origin, and the server of its `/page`, `/report` and `/hold`.
struct PageServer {
    addr: SocketAddr,
    report: Arc<Mutex<Option<String>>>,
    task: JoinHandle<()>,
}

impl PageServer {
    async fn start(url: &str) -> PageServer {
        use axum::routing::{get, post};
        let template = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/interop/page.html"),
        )
        .expect("tests/interop/page.html");
        let html = template
            .replace("__EVENT_TYPES__", r#"["message"]"#)
            .replace(
                r#"new EventSource("/events")"#,
                &format!("new EventSource({url:?})"),
            );
        assert!(
            html.contains(url) && !html.contains("__EVENT_TYPES__"),
            "page.html changed: {html}"
        );
        let report = Arc::new(Mutex::new(None::<String>));
        let reported = Arc::new(tokio::sync::Notify::new());
        let app = axum::Router::new()
            .route(
                "/page",
                get(move || async move { ([("content-type", "text/html")], html) }),
            )
            .route(
                "/report",
                post({
                    let report = report.clone();
                    let reported = reported.clone();
                    move |body: String| async move {
                        *report.lock().unwrap() = Some(body);
                        reported.notify_one();
                    }
                }),
            )
            .route(
                "/hold",
                // Answered once the report is in: the page's load event
                // fires and --dump-dom prints the DOM.
                get(move || async move { reported.notified().await }),
            );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        PageServer { addr, report, task }
    }
}

impl Drop for PageServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Chromium, killed with its process group when it is dropped or after 60 s.
async fn chromium_dump_dom(chromium: &Path, page: &str) -> std::process::Output {
    let profile = tempfile_dir("sse-codec-hub-chromium");
    let mut command = tokio::process::Command::new(chromium);
    command
        .args(chromium::dump_dom_args(&profile, page))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    let child = command.spawn().expect("chromium");
    let pid = child.id();
    let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output()).await;
    let _ = std::fs::remove_dir_all(&profile);
    match output {
        Ok(output) => output.expect("chromium's output"),
        Err(_) => {
            // Its helpers (renderer and the like) share its process group.
            if let Some(pid) = pid {
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", "--", &format!("-{pid}")])
                    .status();
            }
            panic!("chromium did not finish in 60 s");
        }
    }
}

/// A new directory under the system's temporary directory.
fn tempfile_dir(prefix: &str) -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_redis,
    ignore = "redis-server is not on PATH (apt-get install redis-server); with CI set this fails instead"
)]
#[cfg_attr(
    missing_chromium,
    ignore = "headless Chromium not found (/usr/bin/chromium or $CHROMIUM; apt-get install chromium); with CI set this fails instead"
)]
async fn chromium_event_source_resumes_on_another_node_exactly_once() {
    let chromium = chromium::chromium_path();
    within(async {
        let redis = RedisServer::start();
        let options = Options {
            redis: Some(redis.url()),
            keep_alive: Duration::from_millis(500),
            retry_ms: Some(50),
            ..Options::default()
        };
        let publisher_node = Node::start(options.clone());
        let mut first = Node::start(options.clone());
        let second = Node::start(options.clone());
        let balancer = Balancer::start(vec![first.addr, second.addr]).await;
        // The page is on another origin than the nodes: CORS is exercised.
        let pages = PageServer::start(&format!("http://{}/topics/orders", balancer.addr)).await;
        let browser = tokio::spawn({
            let page = format!("http://{}/page", pages.addr);
            async move { chromium_dump_dom(&chromium, &page).await }
        });
        // Until the page's EventSource is connected (through the balancer,
        // to `first`) and subscribed.
        while balancer.forwarded() == 0 {
            assert!(!browser.is_finished(), "chromium ended early");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;

        let http = http_client();
        let publish_url = publisher_node.url("orders");
        let mut ids = Vec::new();
        for i in 0..EVENTS {
            ids.push(post(&http, &publish_url, &i.to_string()).await.unwrap());
            if i == EVENTS / 3 {
                first.kill();
            }
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
        // Time to catch up, then stop the EventSource with a 204.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        balancer.finish();

        let output = browser.await.expect("chromium task");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let Some(report) = stdout
            .split_once("RESULT:")
            .and_then(|(_, rest)| rest.split_once(":END"))
            .map(|(json, _)| json.to_owned())
        else {
            panic!(
                "no result in the DOM: {}\n{stdout}\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        };
        assert_eq!(pages.report.lock().unwrap().as_deref(), Some(&*report));
        // {"received":[{"type":"message","data":"0","lastEventId":"..."},...],"opens":N,...}
        let data: Vec<String> = report
            .split(r#""data":""#)
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap().to_owned())
            .collect();
        let ids_seen: Vec<String> = report
            .split(r#""lastEventId":""#)
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap().to_owned())
            .collect();
        let expected: Vec<String> = (0..EVENTS).map(|i| i.to_string()).collect();
        assert_eq!(data, expected, "report: {report}");
        assert_eq!(ids_seen, ids);
        assert!(report.contains(r#""timedOut":false"#), "{report}");
        let opens: usize = report
            .split(r#""opens":"#)
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(opens >= 2, "the browser never reconnected: {report}");
        drop(second);
    })
    .await;
}
