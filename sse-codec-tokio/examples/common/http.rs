//! A minimal HTTP/1.1 client for event streams over tokio's `TcpStream`:
//! just enough for the examples and tests, so that they need neither hyper's
//! client nor reqwest. Plain `http://` only.
//!
//! [`connect`] sends `GET` (with `Last-Event-ID` when there is one) and judges
//! the response as an `EventSource` does, returning the
//! [`Connection`](sse_codec_tokio::Connection) that
//! [`reconnect`](sse_codec_tokio::reconnect) expects: `Stream` with the body
//! as a stream of byte chunks (`Transfer-Encoding: chunked`, `Content-Length`
//! or read to the end), `Stop` on 204, any other non-200 status but a 5xx, or
//! a `Content-Type` other than `text/event-stream`, and `Retry` on a
//! transport error or a 5xx.

use std::io;
use std::pin::Pin;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use futures_util::stream::{self, Stream};
use sse_codec_tokio::Connection;
use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// A response body as a stream of byte chunks.
pub(crate) type Body = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

/// The largest response head accepted.
const MAX_HEAD: usize = 64 * 1024;
/// How long connecting and reading the response head may take.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// An `http://host:port/path` URL, split.
#[derive(Clone, Debug)]
pub(crate) struct Url {
    /// `host:port`, for connecting and the `Host` header.
    pub(crate) authority: String,
    /// The path and query, starting with `/`.
    pub(crate) path: String,
}

impl Url {
    /// Parses `http://host[:port][/path]` (port 80 by default).
    pub(crate) fn parse(url: &str) -> io::Result<Url> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| invalid(format!("only http:// URLs are supported: {url}")))?;
        let (authority, path) = match rest.find('/') {
            Some(slash) => (&rest[..slash], &rest[slash..]),
            None => (rest, "/"),
        };
        if authority.is_empty() {
            return Err(invalid(format!("no host in {url}")));
        }
        let authority = if authority
            .rsplit_once(':')
            .is_some_and(|(_, port)| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
        {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        Ok(Url {
            authority,
            path: path.to_owned(),
        })
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// Opens the event stream at `url`, sending `Last-Event-ID: <id>` when
/// `last_event_id` is `Some`.
pub(crate) async fn connect(url: &Url, last_event_id: Option<&str>) -> Connection<Body, io::Error> {
    match tokio::time::timeout(HEAD_TIMEOUT, request(url, last_event_id)).await {
        Ok(Ok(connection)) => connection,
        Ok(Err(error)) => Connection::Retry(error),
        Err(_) => Connection::Retry(io::Error::new(
            io::ErrorKind::TimedOut,
            "no response head in time",
        )),
    }
}

async fn request(
    url: &Url,
    last_event_id: Option<&str>,
) -> io::Result<Connection<Body, io::Error>> {
    let mut socket = TcpStream::connect(&url.authority).await?;
    let mut head = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n",
        url.path, url.authority
    );
    if let Some(id) = last_event_id {
        // A header value cannot hold a line break; an event ID never does
        // (the decoder splits lines first), but check rather than inject.
        if id.contains(['\r', '\n']) {
            return Err(invalid(format!("last event ID {id:?} has a line break")));
        }
        head.push_str("Last-Event-ID: ");
        head.push_str(id);
        head.push_str("\r\n");
    }
    head.push_str("Connection: close\r\n\r\n");
    socket.write_all(head.as_bytes()).await?;

    let mut buf = BytesMut::with_capacity(8 * 1024);
    let head_len = loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            break end + 4;
        }
        if buf.len() > MAX_HEAD {
            return Err(invalid("response head too large".into()));
        }
        if socket.read_buf(&mut buf).await? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed before the response head",
            ));
        }
    };
    let head = buf.split_to(head_len);
    let head =
        std::str::from_utf8(&head).map_err(|_| invalid("response head is not UTF-8".into()))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid(format!("bad status line {status_line:?}")))?;
    let mut content_type = None;
    let mut chunked = false;
    let mut content_length = None;
    for line in lines.filter(|line| !line.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            return Err(invalid(format!("bad header line {line:?}")));
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-type") {
            content_type = Some(value.to_owned());
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value
                .rsplit(',')
                .next()
                .is_some_and(|coding| coding.trim().eq_ignore_ascii_case("chunked"));
        } else if name.eq_ignore_ascii_case("content-length") {
            content_length = Some(
                value
                    .parse::<u64>()
                    .map_err(|_| invalid(format!("bad Content-Length {value:?}")))?,
            );
        }
    }

    match status {
        200 => {}
        // 204 No Content: the server says stop.
        204 => return Ok(Connection::Stop),
        // A server error may pass: try again later.
        500..=599 => return Err(invalid(format!("HTTP {status}"))),
        // Anything else fails the connection for good, as in `EventSource`.
        _ => return Ok(Connection::Stop),
    }
    let is_event_stream = content_type.as_deref().is_some_and(|value| {
        value
            .split(';')
            .next()
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("text/event-stream"))
    });
    if !is_event_stream {
        return Ok(Connection::Stop);
    }

    let framing = if chunked {
        Framing::Chunked(ChunkState::Size)
    } else if let Some(length) = content_length {
        Framing::Length(length)
    } else {
        Framing::UntilClose
    };
    let reader = BodyReader {
        socket,
        buf,
        framing,
    };
    let body = stream::unfold(reader, |mut reader| async move {
        let chunk = reader.next_chunk().await.transpose()?;
        Some((chunk, reader))
    });
    Ok(Connection::Stream(Box::pin(body)))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// How the body is delimited.
#[derive(Debug)]
enum Framing {
    /// `Transfer-Encoding: chunked`, at this point of the chunk syntax.
    Chunked(ChunkState),
    /// `Content-Length`: this many bytes are left.
    Length(u64),
    /// Until the server closes the connection.
    UntilClose,
    /// The body is over (or failed).
    Done,
}

/// Where the chunked decoder is.
#[derive(Debug)]
enum ChunkState {
    /// Expecting `<hex size>[;extensions]\r\n`.
    Size,
    /// Inside a chunk, with this many data bytes left.
    Data(u64),
    /// Expecting the `\r\n` after a chunk's data.
    DataEnd,
    /// After the last (empty) chunk: trailer lines up to an empty line.
    Trailers,
}

struct BodyReader {
    socket: TcpStream,
    /// Bytes read but not yet consumed.
    buf: BytesMut,
    framing: Framing,
}

impl BodyReader {
    /// The next piece of body, `Ok(None)` at its end. Data is passed on as
    /// soon as it arrives, even in the middle of a chunk.
    async fn next_chunk(&mut self) -> io::Result<Option<Bytes>> {
        let result = self.next_chunk_inner().await;
        if !matches!(result, Ok(Some(_))) {
            self.framing = Framing::Done;
        }
        result
    }

    async fn next_chunk_inner(&mut self) -> io::Result<Option<Bytes>> {
        loop {
            match &mut self.framing {
                Framing::Done => return Ok(None),
                Framing::UntilClose => {
                    if !self.buf.is_empty() {
                        return Ok(Some(self.buf.split().freeze()));
                    }
                    if fill(&mut self.socket, &mut self.buf).await? == 0 {
                        return Ok(None);
                    }
                }
                Framing::Length(0) => return Ok(None),
                Framing::Length(left) => {
                    if self.buf.is_empty() && fill(&mut self.socket, &mut self.buf).await? == 0 {
                        return Err(truncated());
                    }
                    let n = self
                        .buf
                        .len()
                        .min(usize::try_from(*left).unwrap_or(usize::MAX));
                    *left -= n as u64;
                    return Ok(Some(self.buf.split_to(n).freeze()));
                }
                Framing::Chunked(ChunkState::Data(left)) => {
                    if self.buf.is_empty() && fill(&mut self.socket, &mut self.buf).await? == 0 {
                        return Err(truncated());
                    }
                    let n = self
                        .buf
                        .len()
                        .min(usize::try_from(*left).unwrap_or(usize::MAX));
                    *left -= n as u64;
                    if *left == 0 {
                        self.framing = Framing::Chunked(ChunkState::DataEnd);
                    }
                    return Ok(Some(self.buf.split_to(n).freeze()));
                }
                Framing::Chunked(state) => {
                    // The other states each consume one line.
                    let Some(end) = find(&self.buf, b"\r\n") else {
                        if self.buf.len() > MAX_HEAD {
                            return Err(invalid("chunk header too long".into()));
                        }
                        if fill(&mut self.socket, &mut self.buf).await? == 0 {
                            return Err(truncated());
                        }
                        continue;
                    };
                    let line = self.buf.split_to(end);
                    self.buf.advance(2);
                    *state = match state {
                        ChunkState::Size => {
                            let size = line[..].split(|&b| b == b';').next().unwrap_or_default();
                            let size = std::str::from_utf8(size)
                                .ok()
                                .and_then(|size| u64::from_str_radix(size.trim(), 16).ok())
                                .ok_or_else(|| invalid(format!("bad chunk size {line:?}")))?;
                            if size == 0 {
                                ChunkState::Trailers
                            } else {
                                ChunkState::Data(size)
                            }
                        }
                        ChunkState::DataEnd if line.is_empty() => ChunkState::Size,
                        ChunkState::DataEnd => {
                            return Err(invalid("no CRLF after chunk data".into()))
                        }
                        ChunkState::Trailers if line.is_empty() => return Ok(None),
                        ChunkState::Trailers => ChunkState::Trailers,
                        ChunkState::Data(_) => unreachable!("handled above"),
                    };
                }
            }
        }
    }
}

/// Reads more of the body into `buf`; 0 at the end of the connection.
async fn fill(socket: &mut TcpStream, buf: &mut BytesMut) -> io::Result<usize> {
    buf.reserve(8 * 1024);
    socket.read_buf(buf).await
}

fn truncated() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "the body ended early")
}
