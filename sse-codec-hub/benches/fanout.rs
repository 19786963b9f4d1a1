//! Fan-out over loopback HTTP, server and clients in separate processes,
//! each pinned to its own core (`taskset`): the hub's example node (in-memory
//! hub) against what people write today, axum's `Sse` over a
//! `tokio::sync::broadcast`, side by side in the same run.
//!
//! For each number of subscribers N and each server, the driver (this
//! program) starts the server (`--server KIND`) on core 0 and the clients
//! (`--clients ADDR PATH N`, one TCP connection each, one current-thread
//! runtime) on core 1, then measures:
//!
//! - **memory per idle subscriber**: the server's RSS after N subscribers
//!   are connected and idle, minus its RSS before, over N; `bare axum SSE`
//!   is axum's `Sse` over a stream that never yields, the floor;
//! - **sustained deliveries/s**: events published at a paced rate whose
//!   demand (rate × N) is above what the server can send, for about two
//!   seconds; deliveries received / (last receive − first publish), with
//!   every subscriber checked to have every event (`lost` otherwise);
//! - **latency**: publish-to-receive p50/p99 at 10 events/s for 5 s (each
//!   event's data carries its publish time).
//!
//! ```text
//! cargo bench -p sse-codec-hub --bench fanout                  # 1,000 and 10,000 subscribers
//! cargo bench -p sse-codec-hub --bench fanout -- 2000          # N subscribers
//! cargo bench -p sse-codec-hub --bench fanout -- 2000 8000000  # N, demand in deliveries/s
//! ```
//!
//! Environment: `FANOUT_KINDS=axum,hub,hub1` picks the servers (`bare`,
//! `axum`, `hub`, and `hub1`: the hub node with one chunk per event, the
//! A/B of `SseStream`'s gathering); `FANOUT_LATENCY_ONLY` or
//! `FANOUT_THROUGHPUT_ONLY` skips a phase; `FANOUT_SERVER_WRAP` runs the
//! server under a profiler (`KIND` replaced by the server kind), e.g.
//! `FANOUT_SERVER_WRAP="perf stat -e syscalls:sys_enter_writev -o /tmp/KIND.txt --"`;
//! `FANOUT_CLIENT_WRAP` the same for the clients.
//!
//! The soft file-descriptor limit is raised to the hard one in each child
//! (10,000 subscribers need 10,000 descriptors in each process). Run by
//! `cargo test` (without `--bench`), it is a smoke test with 20 subscribers
//! that fails if the hub loses an event.

#[path = "../examples/node.rs"]
#[allow(dead_code, unreachable_pub)]
mod node;

use std::convert::Infallible;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::response::sse::{Event as AxumEvent, KeepAlive, Sse};
use axum::routing::get;
use axum::Router;
use futures_util::stream::{self, Stream};
use futures_util::FutureExt;
use sse_codec_hub::{Event, Hub};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;

/// Keep-alive interval of every server, as the node's default.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Events the broadcast channel and each hub queue hold.
const BACKLOG: usize = 16_384;

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// About eighty bytes of JSON, carrying the publish time.
fn payload(t: u64) -> String {
    format!(r#"{{"t":{t:020},"text":"a token of an LLM stream, about eighty bytes."}}"#)
}

fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

// ---------------------------------------------------------------- server

type Publish = Box<dyn Fn(usize, String) + Send + Sync>;

async fn server(kind: &str) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let (app, publish): (Router, Publish) = match kind {
        "hub" | "hub1" => {
            let hub = Hub::builder().queue(BACKLOG, 4 << 20).memory();
            let options = node::Options {
                keep_alive: KEEP_ALIVE,
                // hub1: one chunk per event, as before the change.
                max_chunk: (kind == "hub1").then_some(0),
                ..node::Options::default()
            };
            let app = node::router(hub.clone(), &options);
            let publish: Publish = Box::new(move |_, data| {
                // In memory, publishing completes at once: run inline, as
                // the broadcast's send is.
                let published = hub.publish("bench", &Event::new(data)).now_or_never();
                published.expect("ready at once").expect("publish");
            });
            (app, publish)
        }
        "axum" => {
            let (sender, _) = broadcast::channel::<(usize, Arc<str>)>(BACKLOG);
            let subscribe = sender.clone();
            let app = Router::new().route(
                "/topics/bench",
                get(move || {
                    let receiver = subscribe.subscribe();
                    async move {
                        let events = stream::unfold(receiver, |mut receiver| async move {
                            loop {
                                match receiver.recv().await {
                                    Ok((id, data)) => {
                                        let event =
                                            AxumEvent::default().id(id.to_string()).data(&*data);
                                        return Some((Ok::<_, Infallible>(event), receiver));
                                    }
                                    // Lost: the clients count what arrives.
                                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                                    Err(broadcast::error::RecvError::Closed) => return None,
                                }
                            }
                        });
                        Sse::new(Box::pin(events)
                            as std::pin::Pin<
                                Box<dyn Stream<Item = Result<AxumEvent, Infallible>> + Send>,
                            >)
                        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
                    }
                }),
            );
            let publish: Publish = Box::new(move |id, data| {
                let _ = sender.send((id, Arc::from(data)));
            });
            (app, publish)
        }
        "bare" => {
            let app = Router::new().route(
                "/topics/bench",
                get(|| async {
                    Sse::new(stream::pending::<Result<AxumEvent, Infallible>>())
                        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
                }),
            );
            (app, Box::new(|_, _| {}))
        }
        other => panic!("unknown server kind {other}"),
    };
    tokio::spawn(async move { axum::serve(node::no_delay(listener), app).await });
    println!("addr {addr}");
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut next_id = 0usize;
    while let Ok(Some(line)) = lines.next_line().await {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["rss"] => println!("rss {}", rss()),
            ["publish", m, rate] => {
                let m: usize = m.parse().expect("m");
                let rate: f64 = rate.parse().expect("rate");
                let start = tokio::time::Instant::now();
                let t0 = now_ns();
                for i in 0..m {
                    let due = start + Duration::from_secs_f64(i as f64 / rate);
                    tokio::time::sleep_until(due).await;
                    publish(next_id, payload(now_ns()));
                    next_id += 1;
                }
                println!("published {t0} {}", now_ns());
            }
            _ => panic!("bad command {line:?}"),
        }
    }
}

// --------------------------------------------------------------- clients

#[derive(Default)]
struct Shared {
    /// Every connection's events reach this count to complete a phase.
    target: AtomicUsize,
    received: AtomicUsize,
    complete: AtomicUsize,
    last_ns: AtomicU64,
    ready: AtomicUsize,
    /// Latencies in microseconds, when asked for.
    samples: Mutex<Option<Vec<u32>>>,
}

/// One subscriber: parses lines, counts events (a blank line after a
/// `data:` line), and takes each event's publish time from its data.
async fn connection(addr: SocketAddr, path: String, shared: Arc<Shared>) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nhost: bench\r\naccept: text/event-stream\r\n\r\n")
                .as_bytes(),
        )
        .await
        .expect("request");
    let mut buf = vec![0u8; 16 * 1024];
    let mut line: Vec<u8> = Vec::new();
    let mut in_headers = true;
    let mut data_t: Option<u64> = None;
    let mut has_data = false;
    let mut events = 0usize;
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let now = now_ns();
        let mut got = 0usize;
        let mut latencies: Vec<u32> = Vec::new();
        for piece in buf[..n].split_inclusive(|&b| b == b'\n') {
            let complete = piece.last() == Some(&b'\n');
            let text: &[u8] = if line.is_empty() {
                piece
            } else {
                line.extend_from_slice(piece);
                &line
            };
            if !complete {
                if line.is_empty() {
                    line.extend_from_slice(piece);
                }
                continue;
            }
            let text = text.strip_suffix(b"\n").unwrap_or(text);
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            if in_headers {
                if text.is_empty() {
                    in_headers = false;
                    shared.ready.fetch_add(1, Ordering::Relaxed);
                }
            } else if text.is_empty() {
                if has_data {
                    got += 1;
                    if let Some(t) = data_t {
                        latencies.push((now.saturating_sub(t) / 1000) as u32);
                    }
                }
                has_data = false;
                data_t = None;
            } else if let Some(data) = text.strip_prefix(b"data: ") {
                has_data = true;
                data_t = data
                    .strip_prefix(b"{\"t\":")
                    .and_then(|d| d.get(..20))
                    .and_then(|d| std::str::from_utf8(d).ok())
                    .and_then(|d| d.parse().ok());
            }
            line.clear();
        }
        if got > 0 {
            let target = shared.target.load(Ordering::Relaxed);
            let before = events;
            events += got;
            shared.received.fetch_add(got, Ordering::Relaxed);
            shared.last_ns.fetch_max(now, Ordering::Relaxed);
            if before < target && events >= target {
                shared.complete.fetch_add(1, Ordering::Relaxed);
            }
            if let Some(samples) = shared.samples.lock().expect("samples").as_mut() {
                samples.extend_from_slice(&latencies);
            }
        }
    }
}

fn quantile(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

async fn clients(addr: SocketAddr, path: String, n: usize) {
    let shared = Arc::new(Shared::default());
    // A few hundred connections at a time: the listen backlog is finite.
    for chunk in (0..n).collect::<Vec<_>>().chunks(256) {
        let before = shared.ready.load(Ordering::Relaxed);
        for _ in chunk {
            tokio::spawn(connection(addr, path.clone(), shared.clone()));
        }
        while shared.ready.load(Ordering::Relaxed) < before + chunk.len() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    println!("ready");
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut target = 0usize;
    while let Ok(Some(line)) = lines.next_line().await {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (m, latency) = match words.as_slice() {
            ["expect", m] => (m.parse::<usize>().expect("m"), false),
            ["expect", m, "latency"] => (m.parse::<usize>().expect("m"), true),
            _ => panic!("bad command {line:?}"),
        };
        target += m;
        shared.received.store(0, Ordering::Relaxed);
        shared.complete.store(0, Ordering::Relaxed);
        shared.last_ns.store(0, Ordering::Relaxed);
        *shared.samples.lock().expect("samples") = latency.then(Vec::new);
        shared.target.store(target, Ordering::Relaxed);
        println!("ok");
        // Until every connection has the events, or 5 s without progress.
        let mut seen = 0;
        let mut still = 0;
        while shared.complete.load(Ordering::Relaxed) < n && still < 500 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            let received = shared.received.load(Ordering::Relaxed);
            if received == seen && received > 0 {
                still += 1;
            } else {
                still = 0;
            }
            seen = received;
        }
        let mut samples = shared
            .samples
            .lock()
            .expect("samples")
            .take()
            .unwrap_or_default();
        samples.sort_unstable();
        println!(
            "done {} {} {} {:.1} {:.1}",
            shared.received.load(Ordering::Relaxed),
            shared.complete.load(Ordering::Relaxed),
            shared.last_ns.load(Ordering::Relaxed),
            quantile(&samples, 0.5),
            quantile(&samples, 0.99),
        );
    }
}

// ---------------------------------------------------------------- driver

/// A child process spoken to by lines.
struct Proc {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
}

impl Proc {
    /// `wrap`: a command line to run the child under (`perf record ... --`).
    fn start(core: Option<usize>, wrap: &str, args: &[String]) -> Proc {
        let exe = std::env::current_exe().expect("current exe");
        let pin = core.map_or(String::new(), |c| format!("taskset -c {c} "));
        let script = format!("ulimit -n $(ulimit -Hn); exec {pin}{wrap} \"$0\" \"$@\"");
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(exe)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Proc {
            child,
            stdin: Some(stdin),
            lines,
        }
    }

    fn say(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin");
        writeln!(stdin, "{line}").expect("write to child");
        stdin.flush().expect("flush");
    }

    /// The words after `word` on the next line.
    fn hear(&mut self, word: &str, timeout: Duration) -> Vec<String> {
        let line = self
            .lines
            .recv_timeout(timeout)
            .unwrap_or_else(|_| panic!("no {word:?} from the child within {timeout:?}"));
        let mut words = line.split_whitespace().map(str::to_owned);
        assert_eq!(words.next().as_deref(), Some(word), "{line:?}");
        words.collect()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        // End of input ends the child; killed if it takes longer than 2 s.
        self.stdin = None;
        for _ in 0..200 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Row {
    server: &'static str,
    n: usize,
    idle_bytes: f64,
    throughput: Option<(f64, usize)>,
    latency: Option<(f64, f64, usize)>,
}

fn measure(kind: &'static str, n: usize, demand: f64, secs: f64, pinned: bool) -> Row {
    let core = |c| pinned.then_some(c);
    // FANOUT_SERVER_WRAP="perf record -g -o /tmp/KIND.data --" profiles the server.
    let wrap = std::env::var("FANOUT_SERVER_WRAP")
        .unwrap_or_default()
        .replace("KIND", kind);
    let mut server = Proc::start(core(0), &wrap, &["--server".into(), kind.into()]);
    let addr = server.hear("addr", Duration::from_secs(10)).remove(0);
    std::thread::sleep(Duration::from_millis(200));
    server.say("rss");
    let base: f64 = server.hear("rss", Duration::from_secs(10))[0]
        .parse()
        .expect("rss");
    let client_wrap = std::env::var("FANOUT_CLIENT_WRAP")
        .unwrap_or_default()
        .replace("KIND", kind);
    let mut clients = Proc::start(
        core(1),
        &client_wrap,
        &[
            "--clients".into(),
            addr,
            "/topics/bench".into(),
            n.to_string(),
        ],
    );
    clients.hear("ready", Duration::from_secs(120));
    std::thread::sleep(Duration::from_secs(1));
    server.say("rss");
    let idle: f64 = server.hear("rss", Duration::from_secs(10))[0]
        .parse()
        .expect("rss");
    let mut row = Row {
        server: kind,
        n,
        idle_bytes: (idle - base) / n as f64,
        throughput: None,
        latency: None,
    };
    if kind == "bare" {
        return row;
    }
    let mut phase = |m: usize, rate: f64, latency: bool| {
        clients.say(&format!(
            "expect {m}{}",
            if latency { " latency" } else { "" }
        ));
        clients.hear("ok", Duration::from_secs(10));
        server.say(&format!("publish {m} {rate}"));
        let t0: u64 = server.hear("published", Duration::from_secs(600))[0]
            .parse()
            .expect("t0");
        let done = clients.hear("done", Duration::from_secs(600));
        let received: usize = done[0].parse().expect("received");
        let last: u64 = done[2].parse().expect("last");
        let lost = (n * m).saturating_sub(received);
        let per_s = received as f64 / (last.saturating_sub(t0) as f64 / 1e9);
        let p50: f64 = done[3].parse().expect("p50");
        let p99: f64 = done[4].parse().expect("p99");
        (per_s, lost, p50, p99)
    };
    let rate = (demand / n as f64).max(1.0);
    let m = ((rate * secs) as usize).clamp(10, BACKLOG / 2);
    if std::env::var_os("FANOUT_LATENCY_ONLY").is_none() {
        let (per_s, lost, _, _) = phase(m, rate, false);
        row.throughput = Some((per_s, lost));
    }
    if std::env::var_os("FANOUT_THROUGHPUT_ONLY").is_none() {
        let latency_events = (10.0 * secs * 2.5).max(5.0) as usize;
        let (_, lost, p50, p99) = phase(latency_events, 10.0, true);
        row.latency = Some((p50, p99, lost));
    }
    row
}

fn drive(cases: &[usize], demand: f64, secs: f64) {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let pinned = cores >= 2 && Command::new("taskset").arg("-V").output().is_ok();
    if !pinned {
        println!("(not pinned: needs taskset and two cores)");
    }
    println!(
        "{:<22} {:>6} {:>12} {:>16} {:>6} {:>9} {:>9} {:>6}",
        "server", "subs", "idle B/sub", "deliveries/s", "lost", "p50 ms", "p99 ms", "lost"
    );
    for &n in cases {
        // FANOUT_KINDS=axum,hub runs only those servers (hub1: the hub
        // node with one chunk per event, an A/B of SseStream's gathering).
        let kinds = std::env::var("FANOUT_KINDS").unwrap_or_else(|_| "bare,axum,hub".into());
        for kind in ["bare", "axum", "hub", "hub1"] {
            if !kinds.split(',').any(|k| k == kind) {
                continue;
            }
            let row = measure(kind, n, demand, secs, pinned);
            let name = match row.server {
                "bare" => "bare axum SSE",
                "axum" => "axum Sse + broadcast",
                "hub1" => "hub, chunk per event",
                _ => "sse-codec-hub node",
            };
            if row.server.starts_with("hub") {
                // The hub is lossless: a loss is a bug, not a number.
                let lost = |l: Option<usize>| l.unwrap_or(0);
                assert_eq!(lost(row.throughput.map(|t| t.1)), 0, "{name}: lost events");
                assert_eq!(lost(row.latency.map(|l| l.2)), 0, "{name}: lost events");
            }
            let (tput, tlost) = row.throughput.map_or(("-".into(), "-".into()), |(d, l)| {
                (format!("{d:.0}"), l.to_string())
            });
            let (p50, p99, llost) = row
                .latency
                .map_or(("-".into(), "-".into(), "-".into()), |(a, b, l)| {
                    (format!("{a:.1}"), format!("{b:.1}"), l.to_string())
                });
            println!(
                "{name:<22} {:>6} {:>12.0} {tput:>16} {tlost:>6} {p50:>9} {p99:>9} {llost:>6}",
                row.n, row.idle_bytes
            );
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    };
    match args.first().map(String::as_str) {
        Some("--server") => return runtime().block_on(server(&args[1])),
        Some("--clients") => {
            let addr: SocketAddr = args[1].parse().expect("address");
            let n: usize = args[3].parse().expect("n");
            return runtime().block_on(clients(addr, args[2].clone(), n));
        }
        _ => {}
    }
    let benching = args.iter().any(|a| a == "--bench");
    let numbers: Vec<f64> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let demand = numbers.get(1).copied().unwrap_or(4_000_000.0);
    match (benching, numbers.first()) {
        (_, Some(&n)) => drive(&[n as usize], demand, 2.0),
        (true, None) => drive(&[1_000, 10_000], demand, 2.0),
        (false, None) => drive(&[20], 20_000.0, 0.5),
    }
}
