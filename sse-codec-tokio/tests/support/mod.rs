//! A scripted HTTP/1.1 server on loopback for the client tests: each
//! connection is handed to the test, which reads the request and writes
//! exactly the bytes it wants, when it wants (chunk by chunk, frozen,
//! closed mid-event).

#![allow(dead_code)] // each test file uses part of it

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// How long a test waits for something that should happen.
pub(crate) const WAIT: Duration = Duration::from_secs(5);

/// The largest request head or body read.
const MAX_REQUEST: usize = 1 << 20;

/// The response head of a stream, as the contract harness sends it.
pub(crate) const STREAM_HEAD: &str = "HTTP/1.1 200 OK\r\n\
    Content-Type: text/event-stream; charset=utf-8\r\n\
    Cache-Control: no-cache, no-store, must-revalidate\r\n\
    Connection: close\r\n\r\n";

/// A request as the server read it.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Request {
    /// The values of header `name` (any case).
    pub(crate) fn headers(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The only value of header `name`, if it is there once.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        match self.headers(name)[..] {
            [value] => Some(value),
            [] => None,
            _ => panic!("header {name} more than once in {self:?}"),
        }
    }
}

/// One accepted connection whose request has been read.
pub(crate) struct Conn {
    pub(crate) request: Request,
    stream: TcpStream,
}

impl Conn {
    /// Writes `bytes` at once.
    pub(crate) async fn write(&mut self, bytes: impl AsRef<[u8]>) {
        // The client may have gone; the test's assertions say whether that was right.
        let _ = self.stream.write_all(bytes.as_ref()).await;
        let _ = self.stream.flush().await;
    }

    /// Writes the head of a 200 event stream.
    pub(crate) async fn start_stream(&mut self) {
        self.write(STREAM_HEAD).await;
    }

    /// Writes each chunk, `delay` apart.
    pub(crate) async fn write_chunks<C: AsRef<[u8]>>(&mut self, chunks: &[C], delay: Duration) {
        for (i, chunk) in chunks.iter().enumerate() {
            if i > 0 && !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            self.write(chunk).await;
        }
    }

    /// A complete response (with `Content-Length`), then the connection closes.
    pub(crate) async fn respond(mut self, status: &str, headers: &[(&str, &str)], body: &[u8]) {
        let mut head = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        self.write(head).await;
        self.write(body).await;
        let _ = self.stream.shutdown().await;
    }

    /// Ends the response: the end of a close-delimited body.
    pub(crate) async fn close(mut self) {
        let _ = self.stream.shutdown().await;
    }

    /// Waits until the client closes the connection; false if it did not
    /// within `limit`.
    pub(crate) async fn closed_by_client(&mut self, limit: Duration) -> bool {
        let mut buf = [0u8; 1024];
        tokio::time::timeout(limit, async {
            loop {
                match self.stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        })
        .await
        .is_ok()
    }
}

/// The scripted server.
pub(crate) struct StreamServer {
    pub(crate) base: String,
    pub(crate) address: String,
    conns: mpsc::Receiver<Conn>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for StreamServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl StreamServer {
    pub(crate) async fn start() -> StreamServer {
        StreamServer::start_on("127.0.0.1:0").await
    }

    /// A server on `address` (to restart one on the same port).
    pub(crate) async fn start_on(address: &str) -> StreamServer {
        let listener = TcpListener::bind(address).await.expect("bind loopback");
        let address = listener.local_addr().expect("address").to_string();
        let base = format!("http://{address}");
        let (sender, conns) = mpsc::channel(64);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let sender = sender.clone();
                tokio::spawn(async move {
                    if let Ok(Ok(conn)) = tokio::time::timeout(WAIT, read_request(stream)).await {
                        let _ = sender.send(conn).await;
                    }
                });
            }
        });
        StreamServer {
            base,
            address,
            conns,
            task,
        }
    }

    /// `base` + `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The next connection; panics after [`WAIT`].
    pub(crate) async fn next(&mut self) -> Conn {
        self.next_within(WAIT)
            .await
            .expect("the client did not connect in time")
    }

    /// The next connection within `limit`, if any.
    pub(crate) async fn next_within(&mut self, limit: Duration) -> Option<Conn> {
        tokio::time::timeout(limit, self.conns.recv())
            .await
            .ok()
            .flatten()
    }
}

async fn read_request(mut stream: TcpStream) -> std::io::Result<Conn> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        if buf.len() > MAX_REQUEST {
            return Err(std::io::Error::other("request head too large"));
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or("").split(' ');
    let method = request_line.next().unwrap_or("").to_owned();
    let path = request_line.next().unwrap_or("").to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = buf[head_end + 4..].to_vec();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while body.len() < length.min(MAX_REQUEST) {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok(Conn {
        request: Request {
            method,
            path,
            headers,
            body,
        },
        stream,
    })
}
