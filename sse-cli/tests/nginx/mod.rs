//! What the doctor and bench tests share: the `sse` binary run with a time
//! bound, `sse serve` on a free port, a raw HTTP server that follows a
//! script, and a real nginx (Debian's `/usr/sbin/nginx`) of the test's own
//! in a temporary directory, stopped on drop.

#![allow(dead_code, unreachable_pub)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// No `sse` run of these tests takes longer than this.
pub const RUN_LIMIT: Duration = Duration::from_secs(60);

/// Runs `sse ARGS`, killed if it outlives [`RUN_LIMIT`].
pub fn sse(args: &[&str]) -> Output {
    sse_with_input(args, b"")
}

/// Runs `sse ARGS` with `input` on its standard input, killed if it
/// outlives [`RUN_LIMIT`].
pub fn sse_with_input(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sse"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the sse binary runs");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let pid = child.id();
    let (done, wait) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let output = child.wait_with_output().expect("sse's output");
        let _ = done.send(());
        output
    });
    if wait.recv_timeout(RUN_LIMIT).is_err() {
        let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        panic!("sse {args:?} ran longer than {RUN_LIMIT:?}");
    }
    waiter.join().expect("the waiting thread")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The line of a doctor report for check `name`, and the fix line after it.
pub fn check<'a>(report: &'a str, name: &str) -> (&'a str, &'a str) {
    let mut lines = report.lines();
    while let Some(line) = lines.next() {
        if line.get(6..).is_some_and(|rest| rest.starts_with(name)) {
            let next = lines.next().unwrap_or("");
            let fix = if next.trim_start().starts_with("fix:") {
                next
            } else {
                ""
            };
            return (line, fix);
        }
    }
    panic!("no check {name} in:\n{report}");
}

/// A free port on 127.0.0.1 (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("no free port")
        .port()
}

/// A new temporary directory of this test process.
pub fn temp_dir(what: &str) -> PathBuf {
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "sse-cli-{what}-{}-{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    dir
}

/// The unix time in milliseconds.
pub fn unix_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

/// `sse serve` of a stream written to a temporary file
/// ([`support::Serve`](crate::support::Serve), killed on drop).
pub struct Serve {
    serve: crate::support::Serve,
    pub url: String,
    _dir: PathBuf,
}

impl Serve {
    /// Serves `stream` (the contents of a .sse file) with `args`.
    pub fn start(stream: &str, args: &[&str]) -> Serve {
        let dir = temp_dir("serve");
        let file = dir.join("stream.sse");
        std::fs::write(&file, stream).unwrap();
        let serve = crate::support::Serve::start(&file, args);
        Serve {
            url: serve.url.clone(),
            serve,
            _dir: dir,
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.url
            .trim_end_matches('/')
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .expect("a port in the URL")
    }
}

/// One step of a raw server's answer.
#[derive(Clone, Debug)]
pub enum Step {
    /// Write these bytes (`{now}` is replaced by the unix time in ms).
    Write(String),
    /// Write an event with `: sse-serve-sent-ms=` set to the time it was
    /// made, `ago` ms before it is written.
    Stamped {
        data: String,
        ago: u64,
    },
    /// Write an event whose data is `{"ts":T}`, T the unix time in ms
    /// `ago` ms before it is written.
    Json {
        ago: u64,
    },
    Sleep(u64),
}

/// A raw HTTP/1.1 server on 127.0.0.1 that answers every request with
/// `script` (the status line and headers included, the body delimited by
/// the connection's end). Returns its URL and a receiver of each request's
/// head.
pub fn raw_server(script: Vec<Step>) -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let (heads, received) = mpsc::channel();
    std::thread::spawn(move || {
        for socket in listener.incoming() {
            let Ok(socket) = socket else { return };
            let script = script.clone();
            let heads = heads.clone();
            std::thread::spawn(move || answer(socket, &script, &heads));
        }
    });
    (url, received)
}

fn answer(mut socket: TcpStream, script: &[Step], heads: &mpsc::Sender<String>) {
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0_u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 65_536 {
        match socket.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    // Read the body, so that closing does not reset the connection.
    let length = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<u64>().ok())
        .unwrap_or(0);
    let mut body = Vec::new();
    if (&mut socket).take(length).read_to_end(&mut body).is_err() {
        return;
    }
    let _ = heads.send(head);
    for step in script {
        let written = match step {
            Step::Write(text) => {
                socket.write_all(text.replace("{now}", &unix_ms().to_string()).as_bytes())
            }
            Step::Stamped { data, ago } => {
                let sent = unix_ms() - u128::from(*ago);
                socket.write_all(format!(": sse-serve-sent-ms={sent}\ndata: {data}\n\n").as_bytes())
            }
            Step::Json { ago } => {
                let ts = unix_ms() - u128::from(*ago);
                socket.write_all(format!("data: {{\"ts\":{ts}}}\n\n").as_bytes())
            }
            Step::Sleep(ms) => {
                std::thread::sleep(Duration::from_millis(*ms));
                Ok(())
            }
        };
        if written.is_err() {
            return;
        }
    }
}

/// The head of a streaming response with `headers` (each 'name: value').
pub fn head(status: &str, headers: &[&str]) -> Step {
    let mut text = format!("HTTP/1.1 {status}\r\nconnection: close\r\n");
    for header in headers {
        text.push_str(header);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    Step::Write(text)
}

/// Whether CI=true (or any value but empty, 0, false) is set: a missing
/// program then fails its test.
pub fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// Debian's nginx, or `NGINX` when set.
pub fn nginx_path() -> PathBuf {
    std::env::var_os("NGINX").map_or_else(|| PathBuf::from("/usr/sbin/nginx"), PathBuf::from)
}

/// Whether nginx is there. When it is not: on CI the test fails, else it
/// says it did not run and returns false.
pub fn nginx_or_skip(test: &str) -> bool {
    let found = Command::new(nginx_path())
        .arg("-v")
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        assert!(
            !on_ci(),
            "{test}: nginx not found at {} (apt-get install nginx)",
            nginx_path().display()
        );
        eprintln!("{test}: NOT RUN: nginx not found (apt-get install nginx)");
    }
    found
}

/// A real nginx proxying to `upstream_port` with the directives `location`
/// in its `location /`, in a temporary directory, on a free port; killed on
/// drop.
pub struct Nginx {
    pub url: String,
    child: Child,
    dir: PathBuf,
}

impl Nginx {
    pub fn start(upstream_port: u16, location: &str) -> Nginx {
        let dir = temp_dir("nginx");
        let port = free_port();
        let template = include_str!("proxy.conf");
        let conf = template
            .replace("{dir}", &dir.display().to_string())
            .replace("{port}", &port.to_string())
            .replace("{upstream}", &upstream_port.to_string())
            .replace("{location}", location);
        let conf_path = dir.join("nginx.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let child = Command::new(nginx_path())
            .arg("-p")
            .arg(&dir)
            .arg("-e")
            .arg(dir.join("error.log"))
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("nginx starts");
        let mut nginx = Nginx {
            url: format!("http://127.0.0.1:{port}/"),
            child,
            dir,
        };
        nginx.wait_until_up(port);
        nginx
    }

    fn wait_until_up(&mut self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                let mut message = String::new();
                if let Some(mut stderr) = self.child.stderr.take() {
                    let _ = stderr.read_to_string(&mut message);
                }
                panic!("nginx exited ({status}): {message}{}", self.error_log());
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("nginx did not listen within 10 s: {}", self.error_log());
    }

    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(Path::new(&self.dir));
    }
}
