//! `sse bench URL -c N --duration SECS`: N concurrent subscribers, each its
//! own HTTP/1.1 connection, counting what they receive.
//!
//! A subscriber is light: the response body's chunks are counted and fed
//! to the core decoder's borrowed API (no allocation per event, no
//! `EventSource` machinery), and the counters are shared atomics. Latency
//! samples go into a fixed histogram of 1 ms buckets, so that memory does not
//! grow with the number of events.
//!
//! Measured (release build, 2-core machine shared with other work; the bench
//! pinned to one core, `sse serve` on the other):
//!
//! ```text
//! cargo build --release -p sse-cli
//! sse serve ten.sse --listen 127.0.0.1:8000 --loop --interval 100 &   # 10 events of ~28 B
//! taskset -c 1 /usr/bin/time sse bench http://127.0.0.1:8000/ -c 10000 --duration 10
//! ```
//!
//! 10 000 subscribers all established, 76 000 events/s received, 2.9 s of
//! CPU in 10.8 s (27% of the core), 274 MB peak RSS (about 27 KB per
//! subscriber); at `--interval 1000`, 8 300 events/s for 1.7 s of CPU. A
//! reqwest connection per subscriber with this counting is light enough;
//! no hand-written HTTP client was needed. Connect times there (p50 21-250
//! ms, p99 1.2-2.9 s) are the loaded server's. Connections opened all at
//! once queue at the server: 2 000 subscribers at once, connect p50 42 ms
//! and p99 360 ms; with `--connect-rate 1000`, p50 0.3 ms and p99 8 ms.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use sse_codec_core::{Builder, Decoder, Item};

use crate::request::RequestArgs;

/// The exit statuses of `sse bench`, in its help.
macro_rules! exit_status {
    () => {
        "\
Exit status:
  0  every subscriber connected, and no error
  1  some subscribers did not connect, or there were errors (counted)
  2  a usage error, or more subscribers than the file or port limits allow
  3  no subscriber connected at all"
    };
}

/// The long help of `sse bench`, after its options (the summary line is
/// main.rs's doc comment of the verb, which replaces a `long_about`).
macro_rules! details {
    () => {
        "Opens -c N subscriptions to URL at once (the request flags of `sse get`),
each on its own HTTP/1.1 connection, and follows them for --duration seconds.
A subscription that ends or fails is opened again after the stream's retry
time (1 s when it sets none) with its Last-Event-ID, and counted as a
reconnection. The file limit is raised to the hard limit first. An event
or line over 1 MiB is skipped and counted as an error. Thousands of
connections opened at once can overflow the server's accept backlog (slow
connects, SYN retransmits): --connect-rate N opens N per second instead.

While it runs, a progress line on standard error (on a terminal, or with
--progress). Then the report, on standard output: connections established,
connect time (request sent to response headers) p50/p99, events and bytes
(of the bodies) received in total and per second, errors, reconnections,
and with --latency-field the latency p50/p99: arrival time minus the unix
time in milliseconds (or seconds, when below 10^11) in that JSON field of
each event's data."
    };
}

/// The command line of `sse bench`.
#[derive(Debug, Args)]
#[command(
    after_help = exit_status!(),
    after_long_help = concat!(details!(), "\n\n", exit_status!())
)]
pub(crate) struct BenchArgs {
    #[command(flatten)]
    pub(crate) request: RequestArgs,
    /// The number of concurrent subscribers.
    #[arg(short = 'c', long = "connections", value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub(crate) connections: u32,
    /// How long to follow the streams, in seconds.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = crate::doctor::seconds)]
    pub(crate) duration: Duration,
    /// The JSON field of the data (a dot path, e.g. 'meta.ts') with the
    /// publish time in unix milliseconds: report latency p50/p99.
    #[arg(long, value_name = "PATH")]
    pub(crate) latency_field: Option<String>,
    /// Show the progress line even when standard error is not a terminal
    /// (one line per second).
    #[arg(long)]
    pub(crate) progress: bool,
    /// Open at most N new subscriptions per second [default: all at once].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) connect_rate: Option<u32>,
    /// The report's format: text, or one JSON object.
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = ReportFormat::Text)]
    pub(crate) report: ReportFormat,
}

/// The format of `sse bench`'s report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ReportFormat {
    /// Lines for people.
    Text,
    /// One JSON object (the same numbers, in ms and per second).
    Json,
}

/// The number `path` (a dot path: object keys and array indexes) names in
/// the JSON text `data`, or a string holding a number.
pub(crate) fn json_number(data: &str, path: &str) -> Option<f64> {
    let value: serde_json::Value = serde_json::from_str(data).ok()?;
    let mut value = &value;
    for key in path.split('.').filter(|key| !key.is_empty()) {
        value = match value {
            serde_json::Value::Object(map) => map.get(key)?,
            serde_json::Value::Array(items) => items.get(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    value
        .as_f64()
        .or_else(|| value.as_str()?.trim().parse().ok())
        .filter(|number: &f64| number.is_finite())
}

/// The unix time in milliseconds in the field `path` of the JSON `data`:
/// a number of milliseconds, or of seconds when below 10^11 (before 1973 in
/// milliseconds, after 5000 in seconds).
pub(crate) fn timestamp_ms(data: &str, path: &str) -> Option<i64> {
    let number = json_number(data, path)?;
    let ms = if number.abs() < 1e11 {
        number * 1000.0
    } else {
        number
    };
    if ms.abs() > 1e15 {
        return None;
    }
    #[allow(
        clippy::cast_possible_truncation,
        reason = "bounded by 1e15 just above"
    )]
    Some(ms.round() as i64)
}

/// Latency buckets: 1 ms each up to this, and one for all above.
const LATENCY_BUCKETS: usize = 60_001;

/// What the subscribers count, shared.
struct Counters {
    established: AtomicU64,
    /// Subscribers connected right now.
    open: AtomicU64,
    events: AtomicU64,
    bytes: AtomicU64,
    errors: AtomicU64,
    reconnections: AtomicU64,
    /// Events without a usable latency field (with `--latency-field`).
    no_timestamp: AtomicU64,
    /// Latency histogram, 1 ms buckets; negative latencies (clock skew) in 0.
    latency: Vec<AtomicU64>,
    /// The first few distinct error messages.
    error_messages: Mutex<Vec<String>>,
}

impl Counters {
    fn new(latency: bool) -> Counters {
        let buckets = if latency { LATENCY_BUCKETS } else { 0 };
        Counters {
            established: AtomicU64::new(0),
            open: AtomicU64::new(0),
            events: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            reconnections: AtomicU64::new(0),
            no_timestamp: AtomicU64::new(0),
            latency: (0..buckets).map(|_| AtomicU64::new(0)).collect(),
            error_messages: Mutex::new(Vec::new()),
        }
    }

    fn error(&self, message: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut messages) = self.error_messages.lock() {
            if messages.len() < 5 && !messages.contains(&message) {
                messages.push(message);
            }
        }
    }

    fn latency(&self, ms: i64) {
        let last = LATENCY_BUCKETS.saturating_sub(1);
        let bucket = usize::try_from(ms.max(0)).unwrap_or(last).min(last);
        if let Some(count) = self.latency.get(bucket) {
            count.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The `p`-th percentile (0-100) of a histogram of 1 ms buckets, in ms.
fn histogram_percentile(buckets: &[u64], p: f64) -> Option<usize> {
    let total: u64 = buckets.iter().sum();
    if total == 0 {
        return None;
    }
    let rank = rank(total, p);
    let mut seen = 0_u64;
    for (ms, count) in buckets.iter().enumerate() {
        seen = seen.saturating_add(*count);
        if seen >= rank {
            return Some(ms);
        }
    }
    None
}

/// The 1-based rank of the `p`-th percentile among `total` values (nearest rank).
fn rank(total: u64, p: f64) -> u64 {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "a rank between 1 and total"
    )]
    let rank = ((p / 100.0) * total as f64).ceil() as u64;
    rank.clamp(1, total.max(1))
}

/// The `p`-th percentile of sorted `values`.
fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    let index = usize::try_from(rank(sorted.len() as u64, p))
        .ok()?
        .checked_sub(1)?;
    sorted.get(index).copied()
}

/// Raises the soft file limit to the hard one and checks that `n`
/// connections fit it and the local port range.
///
/// # Errors
/// A one-line message saying which limit `n` exceeds.
fn check_limits(n: u32) -> Result<(), String> {
    // Standard streams, the runtime, the resolver: a margin.
    let needed = u64::from(n).saturating_add(64);
    let limit = rlimit::increase_nofile_limit(u64::MAX)
        .map_err(|error| format!("cannot raise the open file limit: {error}"))?;
    if needed > limit {
        return Err(format!(
            "-c {n} needs about {needed} open files, but the limit is {limit} (hard limit included); raise it (ulimit -n, or LimitNOFILE) or use fewer subscribers"
        ));
    }
    if let Ok(range) = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range") {
        let mut ports = range
            .split_whitespace()
            .filter_map(|port| port.parse::<u64>().ok());
        if let (Some(low), Some(high)) = (ports.next(), ports.next()) {
            let available = high.saturating_sub(low).saturating_add(1);
            if u64::from(n) > available {
                return Err(format!(
                    "-c {n} needs {n} local ports to one server, but the local port range has {available} (net.ipv4.ip_local_port_range)"
                ));
            }
        }
    }
    Ok(())
}

/// Runs `sse bench`.
pub(crate) fn run(args: BenchArgs) -> ExitCode {
    if let Err(message) = check_limits(args.connections) {
        crate::error(message);
        return ExitCode::from(2);
    }
    let Some(runtime) = crate::runtime(crate::Runtime::PerCore) else {
        return ExitCode::from(2);
    };
    match runtime.block_on(bench(&args)) {
        Ok(report) => {
            if args.report == ReportFormat::Json {
                println!("{}", report.json());
            } else {
                print!("{report}");
            }
            ExitCode::from(report.exit_status())
        }
        Err(usage) => {
            crate::error(usage);
            ExitCode::from(2)
        }
    }
}

/// The numbers of one run.
#[derive(Debug)]
struct Report {
    url: String,
    subscribers: u32,
    /// `--duration`, and how long the run took (the rates' time).
    duration: Duration,
    elapsed: Duration,
    established: u64,
    connect_p50: Option<Duration>,
    connect_p99: Option<Duration>,
    events: u64,
    bytes: u64,
    errors: u64,
    error_messages: Vec<String>,
    reconnections: u64,
    latency: Option<Latency>,
}

/// The latency part of a report (`--latency-field`), in ms.
#[derive(Debug)]
struct Latency {
    field: String,
    p50: Option<usize>,
    p99: Option<usize>,
    /// Events with the field, and without.
    samples: u64,
    missing: u64,
}

impl Report {
    fn per_second(&self, count: u64) -> f64 {
        #[allow(clippy::cast_precision_loss, reason = "a rate to print")]
        let count = count as f64;
        count / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn exit_status(&self) -> u8 {
        if self.established == 0 {
            3
        } else if self.established < u64::from(self.subscribers) || self.errors > 0 {
            1
        } else {
            0
        }
    }

    fn json(&self) -> serde_json::Value {
        let ms = |duration: Option<Duration>| duration.map(|d| d.as_secs_f64() * 1000.0);
        let mut report = serde_json::json!({
            "url": self.url,
            "subscribers": self.subscribers,
            "seconds": self.elapsed.as_secs_f64(),
            "established": self.established,
            "connect_ms_p50": ms(self.connect_p50),
            "connect_ms_p99": ms(self.connect_p99),
            "events": self.events,
            "events_per_second": self.per_second(self.events),
            "bytes": self.bytes,
            "bytes_per_second": self.per_second(self.bytes),
            "errors": self.errors,
            "error_messages": self.error_messages,
            "reconnections": self.reconnections,
        });
        if let (Some(latency), Some(map)) = (&self.latency, report.as_object_mut()) {
            map.insert("latency_field".into(), latency.field.as_str().into());
            map.insert("latency_ms_p50".into(), latency.p50.into());
            map.insert("latency_ms_p99".into(), latency.p99.into());
            map.insert("latency_samples".into(), latency.samples.into());
            map.insert("latency_missing".into(), latency.missing.into());
        }
        report
    }
}

/// A duration in ms with one decimal, or "-".
fn show_ms(duration: Option<Duration>) -> String {
    duration.map_or_else(
        || "-".to_owned(),
        |d| format!("{:.1} ms", d.as_secs_f64() * 1000.0),
    )
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "sse bench {}: {} subscribers for {:.1} s (rates over the {:.2} s it ran)",
            self.url,
            self.subscribers,
            self.duration.as_secs_f64(),
            self.elapsed.as_secs_f64()
        )?;
        writeln!(
            f,
            "connections   {} of {} established, {} reconnections, {} errors",
            self.established, self.subscribers, self.reconnections, self.errors
        )?;
        for message in &self.error_messages {
            writeln!(f, "              error: {message}")?;
        }
        writeln!(
            f,
            "connect time  p50 {}, p99 {}",
            show_ms(self.connect_p50),
            show_ms(self.connect_p99)
        )?;
        writeln!(
            f,
            "received      {} events ({:.1}/s), {} bytes ({:.1}/s)",
            self.events,
            self.per_second(self.events),
            self.bytes,
            self.per_second(self.bytes)
        )?;
        if let Some(Latency {
            field,
            p50,
            p99,
            samples,
            missing,
        }) = &self.latency
        {
            let show =
                |ms: &Option<usize>| ms.map_or_else(|| "-".to_owned(), |ms| format!("{ms} ms"));
            writeln!(
                f,
                "latency       p50 {}, p99 {} ({samples} events with {field}, {missing} without)",
                show(p50),
                show(p99)
            )?;
        }
        Ok(())
    }
}

/// Runs the subscribers until the deadline and gathers the report.
///
/// # Errors
/// A one-line usage message: a bad URL, flag or `--cacert` file.
async fn bench(args: &BenchArgs) -> Result<Report, String> {
    let client = crate::request::client_builder(&args.request)?
        .http1_only()
        .pool_max_idle_per_host(0)
        // Bytes as they came over the wire (no accept-encoding sent).
        .no_gzip()
        .no_brotli()
        .no_deflate()
        .no_zstd()
        .build()
        .map_err(|error| format!("cannot build the HTTP client: {error}"))?;
    // Checks the URL and flags once, before any subscriber starts.
    // Built once (a body from a file or standard input is read once), and
    // cloned for each connection.
    let template = crate::request::request(&client, &args.request)?
        .build()
        .map_err(|error| format!("URL '{}': {error}", args.request.url))?;
    if template.try_clone().is_none() {
        return Err("the request body cannot be sent twice".to_owned());
    }
    let counters = Arc::new(Counters::new(args.latency_field.is_some()));
    let start = Instant::now();
    let deadline = start.checked_add(args.duration).unwrap_or(start);
    let mut tasks = Vec::new();
    for index in 0..args.connections {
        let start_after = args.connect_rate.map_or(Duration::ZERO, |rate| {
            Duration::from_secs_f64(f64::from(index) / f64::from(rate))
        });
        let subscriber = Subscriber {
            start_at: start.checked_add(start_after).unwrap_or(deadline),
            client: client.clone(),
            template: template.try_clone(),
            latency_field: args.latency_field.clone(),
            counters: Arc::clone(&counters),
            deadline,
        };
        tasks.push(tokio::spawn(subscriber.run()));
    }
    let progress = (args.progress || std::io::stderr().is_terminal()).then(|| {
        tokio::spawn(show_progress(
            Arc::clone(&counters),
            args.connections,
            start,
            deadline,
        ))
    });
    let mut connect_times = Vec::new();
    for task in tasks {
        if let Ok(Some(time)) = task.await {
            connect_times.push(time);
        }
    }
    let elapsed = start.elapsed();
    if let Some(progress) = progress {
        progress.abort();
        let _ = progress.await;
    }
    connect_times.sort_unstable();
    let latency = args.latency_field.as_ref().map(|field| {
        let buckets: Vec<u64> = counters
            .latency
            .iter()
            .map(|count| count.load(Ordering::Relaxed))
            .collect();
        Latency {
            field: field.clone(),
            p50: histogram_percentile(&buckets, 50.0),
            p99: histogram_percentile(&buckets, 99.0),
            samples: buckets.iter().sum(),
            missing: counters.no_timestamp.load(Ordering::Relaxed),
        }
    });
    let error_messages = counters
        .error_messages
        .lock()
        .map(|messages| messages.clone())
        .unwrap_or_default();
    Ok(Report {
        url: args.request.url.clone(),
        subscribers: args.connections,
        duration: args.duration,
        elapsed,
        established: counters.established.load(Ordering::Relaxed),
        connect_p50: percentile(&connect_times, 50.0),
        connect_p99: percentile(&connect_times, 99.0),
        events: counters.events.load(Ordering::Relaxed),
        bytes: counters.bytes.load(Ordering::Relaxed),
        errors: counters.errors.load(Ordering::Relaxed),
        error_messages,
        reconnections: counters.reconnections.load(Ordering::Relaxed),
        latency,
    })
}

/// Prints the progress line every second until aborted: on a terminal in
/// place, else one line each time.
async fn show_progress(counters: Arc<Counters>, n: u32, start: Instant, deadline: Instant) {
    let terminal = std::io::stderr().is_terminal();
    let total = deadline.saturating_duration_since(start).as_secs_f64();
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    ticker.tick().await;
    loop {
        ticker.tick().await;
        let line = format!(
            "sse bench: {:.0}/{total:.0} s  connected {}/{n}  events {}  bytes {}  errors {}  reconnections {}",
            start.elapsed().as_secs_f64(),
            counters.open.load(Ordering::Relaxed),
            counters.events.load(Ordering::Relaxed),
            counters.bytes.load(Ordering::Relaxed),
            counters.errors.load(Ordering::Relaxed),
            counters.reconnections.load(Ordering::Relaxed),
        );
        if terminal {
            eprint!("\r{line}\x1b[K");
        } else {
            eprintln!("{line}");
        }
        if Instant::now() >= deadline {
            break;
        }
    }
    if terminal {
        eprintln!();
    }
}

/// One subscriber.
struct Subscriber {
    /// When to open the first connection (`--connect-rate`).
    start_at: Instant,
    client: reqwest::Client,
    /// The request to send (cloned for each connection; `None` cannot
    /// happen: its body is bytes).
    template: Option<reqwest::Request>,
    latency_field: Option<String>,
    counters: Arc<Counters>,
    deadline: Instant,
}

/// The longest line and event a subscriber keeps (a larger one is skipped
/// and counted as an error): memory stays bounded with many subscribers.
const MAX_EVENT: usize = 1024 * 1024;

/// The wait before reopening a stream that set no retry time.
const DEFAULT_RETRY: Duration = Duration::from_secs(1);

impl Subscriber {
    /// Follows the stream until the deadline; returns the connect time of
    /// its first connection, if one was established.
    async fn run(self) -> Option<Duration> {
        let mut decoder = Builder::new()
            .max_line_length(MAX_EVENT)
            .max_event_size(MAX_EVENT)
            .build();
        let mut connect_time = None;
        let mut attempts = 0_u64;
        let mut last_event_id: Option<reqwest::header::HeaderValue> = None;
        let deadline = tokio::time::Instant::from_std(self.deadline);
        let start_at = tokio::time::Instant::from_std(self.start_at);
        if start_at >= deadline {
            return None;
        }
        tokio::time::sleep_until(start_at).await;
        loop {
            if attempts > 0 && connect_time.is_some() {
                self.counters.reconnections.fetch_add(1, Ordering::Relaxed);
            }
            attempts = attempts.saturating_add(1);
            let sent = Instant::now();
            let Some(mut request) = self.template.as_ref().and_then(reqwest::Request::try_clone)
            else {
                return connect_time;
            };
            if let Some(id) = &last_event_id {
                request.headers_mut().insert("last-event-id", id.clone());
            }
            match tokio::time::timeout_at(deadline, self.client.execute(request)).await {
                Err(_) => return connect_time,
                Ok(Err(error)) => self.counters.error(crate::doctor::error_chain(&error)),
                Ok(Ok(response)) => {
                    let stream = response
                        .headers()
                        .get(reqwest::header::CONTENT_TYPE)
                        .and_then(|value| value.to_str().ok())
                        .is_some_and(|value| value.starts_with("text/event-stream"));
                    if !response.status().is_success() || !stream {
                        self.counters.error(format!(
                            "HTTP {} ({})",
                            response.status(),
                            if stream {
                                "event stream"
                            } else {
                                "not an event stream"
                            }
                        ));
                    } else {
                        if connect_time.is_none() {
                            connect_time = Some(sent.elapsed());
                            self.counters.established.fetch_add(1, Ordering::Relaxed);
                        }
                        self.counters.open.fetch_add(1, Ordering::Relaxed);
                        let ended = self.read(response, &mut decoder, deadline).await;
                        self.counters.open.fetch_sub(1, Ordering::Relaxed);
                        if !ended {
                            return connect_time;
                        }
                    }
                }
            }
            decoder.end_of_stream();
            let id = decoder.last_event_id();
            if !id.is_empty() {
                // An ID that is not a valid header value is not sent.
                last_event_id = reqwest::header::HeaderValue::from_str(&id).ok();
            }
            let retry = decoder
                .reconnection_time()
                .map_or(DEFAULT_RETRY, Duration::from_millis);
            let again = tokio::time::Instant::now()
                .checked_add(retry)
                .unwrap_or(deadline);
            if again >= deadline {
                tokio::time::sleep_until(deadline).await;
                return connect_time;
            }
            tokio::time::sleep_until(again).await;
        }
    }

    /// Reads the body until the deadline (false) or its end (true).
    async fn read(
        &self,
        mut response: reqwest::Response,
        decoder: &mut Decoder,
        deadline: tokio::time::Instant,
    ) -> bool {
        loop {
            let chunk = match tokio::time::timeout_at(deadline, response.chunk()).await {
                Err(_) => return false,
                Ok(Ok(Some(chunk))) => chunk,
                Ok(Ok(None)) => return true,
                Ok(Err(error)) => {
                    self.counters.error(crate::doctor::error_chain(&error));
                    return true;
                }
            };
            self.counters
                .bytes
                .fetch_add(chunk.len() as u64, Ordering::Relaxed);
            let mut events = 0_u64;
            let now_ms = crate::doctor::unix_ms();
            let mut feed = decoder.feed(&chunk);
            while let Some(item) = feed.next_item() {
                let event = match item {
                    Ok(Item::Event(event)) => event,
                    Ok(_) => continue,
                    Err(error) => {
                        self.counters.error(format!("event skipped: {error}"));
                        continue;
                    }
                };
                events = events.saturating_add(1);
                if let Some(field) = &self.latency_field {
                    let sent = std::str::from_utf8(event.data())
                        .ok()
                        .and_then(|data| timestamp_ms(data, field));
                    match sent {
                        Some(sent) => self.counters.latency(now_ms.saturating_sub(sent)),
                        None => {
                            self.counters.no_timestamp.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
            self.counters.events.fetch_add(events, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths_find_numbers() {
        let data = r#"{"ts":1700000000123,"meta":{"sent":"1700000000.5"},"list":[1,{"t":2}]}"#;
        assert_eq!(json_number(data, "ts"), Some(1_700_000_000_123.0));
        assert_eq!(json_number(data, "list.1.t"), Some(2.0));
        assert_eq!(json_number(data, "meta.sent"), Some(1_700_000_000.5));
        assert_eq!(json_number(data, "missing"), None);
        assert_eq!(json_number("not json", "ts"), None);
        assert_eq!(timestamp_ms(data, "ts"), Some(1_700_000_000_123));
        assert_eq!(timestamp_ms(data, "meta.sent"), Some(1_700_000_000_500));
        assert_eq!(timestamp_ms(r#"{"ts":1e300}"#, "ts"), None);
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let mut buckets = vec![0_u64; 10];
        buckets[1] = 50;
        buckets[7] = 49;
        buckets[9] = 1;
        assert_eq!(histogram_percentile(&buckets, 50.0), Some(1));
        assert_eq!(histogram_percentile(&buckets, 99.0), Some(7));
        assert_eq!(histogram_percentile(&buckets, 100.0), Some(9));
        assert_eq!(histogram_percentile(&[0, 0], 50.0), None);
        let sorted: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&sorted, 50.0), Some(Duration::from_millis(50)));
        assert_eq!(percentile(&sorted, 99.0), Some(Duration::from_millis(99)));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn latencies_are_bucketed_within_bounds() {
        let counters = Counters::new(true);
        counters.latency(-5);
        counters.latency(3);
        counters.latency(i64::MAX);
        assert_eq!(counters.latency[0].load(Ordering::Relaxed), 1);
        assert_eq!(counters.latency[3].load(Ordering::Relaxed), 1);
        assert_eq!(
            counters.latency[LATENCY_BUCKETS - 1].load(Ordering::Relaxed),
            1
        );
    }

    #[test]
    fn error_messages_are_few_and_distinct() {
        let counters = Counters::new(false);
        for n in 0..20 {
            counters.error(format!("e{}", n % 7));
        }
        assert_eq!(counters.errors.load(Ordering::Relaxed), 20);
        assert_eq!(counters.error_messages.lock().unwrap().len(), 5);
    }
}
