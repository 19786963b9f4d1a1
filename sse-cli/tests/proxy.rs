//! `sse get` goes through the proxy of `HTTP_PROXY`: a URL whose host does
//! not resolve is fetched through a proxy on 127.0.0.1, which sees the
//! absolute-form request line.

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use support::{datas, stderr, wait_within};

#[test]
fn http_proxy_from_the_environment_is_used() {
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let (seen, request_line) = mpsc::channel();
    std::thread::spawn(move || {
        let Ok((mut conn, _)) = proxy.accept() else {
            return;
        };
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
            match conn.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        let text = String::from_utf8_lossy(&head).into_owned();
        let _ = seen.send(text.lines().next().unwrap_or_default().to_owned());
        let _ = conn.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n\
              data: via the proxy\n\n",
        );
    });
    let child = support::command()
        .args([
            "get",
            "http://sse-cli-test.invalid/stream",
            "--no-reconnect",
        ])
        .env("HTTP_PROXY", &proxy_url)
        .env("http_proxy", &proxy_url)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let output = wait_within(child, Duration::from_secs(20), "sse get via a proxy");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(datas(&output), ["via the proxy"]);
    assert_eq!(
        request_line.recv_timeout(Duration::from_secs(5)).unwrap(),
        "GET http://sse-cli-test.invalid/stream HTTP/1.1"
    );
}
