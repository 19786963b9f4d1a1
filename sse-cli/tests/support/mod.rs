//! Running the `sse` binary in tests: `sse serve` in the background on a
//! free loopback port (killed on drop), other verbs with a time limit.

#![allow(dead_code, reason = "each test file uses part of it")]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The longest a command may run.
pub(crate) const LIMIT: Duration = Duration::from_secs(30);

/// The `sse` command, without proxies from the environment.
pub(crate) fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sse"));
    for name in [
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ] {
        command.env_remove(name);
    }
    command.env("NO_COLOR", "1");
    command
}

/// Runs `sse ARGS` with nothing on standard input, for at most `limit`.
pub(crate) fn sse_within(args: &[&str], limit: Duration) -> Output {
    let child = command()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the sse binary runs");
    wait_within(child, limit, &format!("sse {}", args.join(" ")))
}

/// Runs `sse ARGS` for at most [`LIMIT`].
pub(crate) fn sse(args: &[&str]) -> Output {
    sse_within(args, LIMIT)
}

/// Waits for `child`, killing it (and failing) after `limit`.
pub(crate) fn wait_within(mut child: Child, limit: Duration, what: &str) -> Output {
    let start = Instant::now();
    loop {
        match child.try_wait().expect("the child can be waited for") {
            Some(_) => return child.wait_with_output().expect("its output"),
            None if start.elapsed() > limit => {
                let _ = child.kill();
                let output = child.wait_with_output().expect("its output");
                panic!(
                    "{what} did not finish within {limit:?}; stdout: {}; stderr: {}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The JSON lines of standard output.
pub(crate) fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    stdout(output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect()
}

/// The `data` of each event line.
pub(crate) fn datas(output: &Output) -> Vec<String> {
    json_lines(output)
        .iter()
        .filter_map(|line| line.get("data").and_then(|d| d.as_str()).map(str::to_owned))
        .collect()
}

/// A new empty directory for one test.
pub(crate) fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sse-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

/// `sse serve` running in the background.
pub(crate) struct Serve {
    child: Child,
    /// `http://127.0.0.1:PORT/`
    pub(crate) url: String,
    /// What it wrote on standard error after the first line.
    pub(crate) stderr: Arc<Mutex<String>>,
}

impl Serve {
    /// Starts `sse serve FILE --listen 127.0.0.1:0 ARGS` and waits for its
    /// "listening on" line.
    pub(crate) fn start(file: &Path, args: &[&str]) -> Serve {
        let mut child = command()
            .arg("serve")
            .arg(file)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sse serve runs");
        let stderr = child.stderr.take().expect("piped");
        let rest = Arc::new(Mutex::new(String::new()));
        let (first_line, first) = mpsc::channel();
        let kept = Arc::clone(&rest);
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stderr).lines();
            let _ = first_line.send(lines.next());
            for line in lines.map_while(Result::ok) {
                let mut kept = kept.lock().unwrap();
                kept.push_str(&line);
                kept.push('\n');
            }
        });
        let line = match first.recv_timeout(Duration::from_secs(10)) {
            Ok(Some(Ok(line))) => line,
            other => {
                let _ = child.kill();
                panic!("sse serve did not say where it listens: {other:?}");
            }
        };
        let url = line
            .strip_prefix("sse serve: listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line}"))
            .to_owned();
        assert!(
            url.starts_with("http://127.0.0.1:") && url.ends_with('/'),
            "{url}"
        );
        Serve {
            child,
            url,
            stderr: rest,
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether this is CI, where a missing program is a failure, not a skip.
pub(crate) fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| !value.is_empty() && value != "0" && value != "false")
}
