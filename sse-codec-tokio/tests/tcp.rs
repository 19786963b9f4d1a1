//! End to end over real TCP on 127.0.0.1: a server written with our encoder
//! and keep-alive, a client with our decoder and reconnection. The server
//! drops the first connection in the middle of an event; the client must
//! reconnect after the server's `retry` time with the right `Last-Event-ID`,
//! the server resumes from it, and the client sees every event exactly once,
//! in order; a 204 then stops the client.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_core::Stream;
use sse_codec_core::{Event, OwnedItem};
use sse_codec_tokio::{reconnect, Backoff, Connection, Message, SseStream, RESPONSE_HEADERS};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::io::ReaderStream;

const EVENTS: u32 = 8;
const RETRY_MS: u64 = 150;

/// What the server saw of each connection: the Last-Event-ID and when it came.
type Log = Arc<Mutex<Vec<(Option<String>, Instant)>>>;

/// Events from `start`, spaced out so that keep-alives come in between.
struct Paced {
    next: u32,
    end: u32,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Stream for Paced {
    type Item = Message;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        let this = &mut *self;
        if this.next > this.end {
            return Poll::Ready(None);
        }
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::from_millis(30))));
        if sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        this.sleep = None;
        let n = this.next;
        this.next += 1;
        let event = Event::new(format!("event {n}\nline two"))
            .with_event_type("tick")
            .with_id(&n.to_string());
        Poll::Ready(Some(Message::Event(event)))
    }
}

use std::future::Future;

async fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
}

async fn serve(listener: TcpListener, log: Log) {
    for connection in 0.. {
        let Ok((socket, _)) = listener.accept().await else {
            return;
        };
        let mut socket = BufReader::new(socket);
        let mut last_event_id = None;
        loop {
            let mut line = String::new();
            if socket.read_line(&mut line).await.unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("last-event-id:") {
                last_event_id = Some(line[line.len() - value.len()..].trim().to_owned());
            }
        }
        log.lock()
            .unwrap()
            .push((last_event_id.clone(), Instant::now()));
        let mut socket = socket.into_inner();
        let resume_after: u32 = last_event_id.as_deref().map_or(0, |id| id.parse().unwrap());
        if resume_after >= EVENTS {
            let _ = socket.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").await;
            continue;
        }
        let mut head = String::from("HTTP/1.1 200 OK\r\nconnection: close\r\n");
        for (name, value) in RESPONSE_HEADERS {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        socket.write_all(head.as_bytes()).await.unwrap();
        // The first connection serves half the events, then dies in the
        // middle of the next one.
        let end = if connection == 0 { EVENTS / 2 } else { EVENTS };
        let events = Paced {
            next: resume_after + 1,
            end,
            sleep: None,
        };
        let mut body = SseStream::new(events)
            .keep_alive(Duration::from_millis(10))
            .retry(RETRY_MS)
            .resuming(last_event_id.as_deref().unwrap_or(""));
        while let Some(bytes) = next(&mut body).await {
            socket.write_all(&bytes.unwrap()).await.unwrap();
        }
        if connection == 0 {
            socket
                .write_all(format!("event: tick\nid: {}\ndata: half an ev", end + 1).as_bytes())
                .await
                .unwrap();
        }
        // Dropping the socket closes the connection.
    }
}

type Body = ReaderStream<BufReader<TcpStream>>;

async fn connect(
    addr: std::net::SocketAddr,
    last_event_id: Option<String>,
) -> Connection<Body, std::io::Error> {
    let mut socket = match TcpStream::connect(addr).await {
        Ok(socket) => socket,
        Err(error) => return Connection::Retry(error),
    };
    let mut request =
        "GET /events HTTP/1.1\r\nhost: test\r\naccept: text/event-stream\r\n".to_owned();
    if let Some(id) = &last_event_id {
        request.push_str(&format!("last-event-id: {id}\r\n"));
    }
    request.push_str("\r\n");
    if let Err(error) = socket.write_all(request.as_bytes()).await {
        return Connection::Retry(error);
    }
    let mut reader = BufReader::new(socket);
    let mut status = String::new();
    if let Err(error) = reader.read_line(&mut status).await {
        return Connection::Retry(error);
    }
    if status.starts_with("HTTP/1.1 204") {
        return Connection::Stop;
    }
    let mut content_type_ok = false;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line).await {
            Ok(0) => return Connection::Retry(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(_) if line == "\r\n" => break,
            Ok(_) => {
                content_type_ok |= line.eq_ignore_ascii_case("content-type: text/event-stream\r\n")
            }
            Err(error) => return Connection::Retry(error),
        }
    }
    if !status.starts_with("HTTP/1.1 200") || !content_type_ok {
        return Connection::Stop;
    }
    Connection::Stream(ReaderStream::new(reader))
}

#[tokio::test]
async fn reconnects_with_last_event_id_and_sees_every_event_exactly_once() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log = Log::default();
    let server = tokio::spawn(serve(listener, log.clone()));

    let client = async {
        let mut events = reconnect(move |id| connect(addr, id)).backoff(Backoff::none());
        let mut seen = Vec::new();
        let mut retries = Vec::new();
        while let Some(item) = next(&mut events).await {
            match item.expect("no error on this stream") {
                OwnedItem::Event(event) => seen.push(event),
                OwnedItem::Retry(ms) => retries.push(ms),
                OwnedItem::Comment(_) => unreachable!("comments are not asked for"),
            }
        }
        (seen, retries, events.current_last_event_id().into_owned())
    };
    let (seen, retries, last_id) = tokio::time::timeout(Duration::from_secs(30), client)
        .await
        .expect("the client finishes");
    server.abort();

    let expected: Vec<Event> = (1..=EVENTS)
        .map(|n| {
            Event::new(format!("event {n}\nline two"))
                .with_event_type("tick")
                .with_id(&n.to_string())
        })
        .collect();
    assert_eq!(
        seen, expected,
        "every event once, in order, none from the broken one"
    );
    assert_eq!(retries, [RETRY_MS, RETRY_MS]);
    assert_eq!(last_id, EVENTS.to_string());

    let log = log.lock().unwrap();
    let ids: Vec<Option<&str>> = log.iter().map(|(id, _)| id.as_deref()).collect();
    assert_eq!(
        ids,
        [None, Some("4"), Some("8")],
        "Last-Event-ID of each connection"
    );
    for pair in log.windows(2) {
        let gap = pair[1].1 - pair[0].1;
        assert!(
            gap >= Duration::from_millis(RETRY_MS),
            "reconnected after {gap:?}, before the retry time"
        );
    }
}

#[tokio::test]
async fn a_failing_connect_is_retried_with_backoff_and_stop_ends_the_stream() {
    let attempts = Arc::new(Mutex::new(Vec::new()));
    let log = attempts.clone();
    let mut events = reconnect(move |id: Option<String>| {
        let log = log.clone();
        async move {
            let mut log = log.lock().unwrap();
            log.push((id, Instant::now()));
            if log.len() < 3 {
                Connection::<ReaderStream<&'static [u8]>, _>::Retry(std::io::Error::other(
                    "refused",
                ))
            } else {
                Connection::Stop
            }
        }
    })
    .backoff(Backoff {
        initial: Duration::from_millis(20),
        factor: 2,
        max: Duration::from_secs(1),
        jitter: false,
    });
    let mut errors = Vec::new();
    while let Some(item) = next(&mut events).await {
        errors.push(format!("{}", item.unwrap_err()));
    }
    assert_eq!(
        errors,
        ["connecting failed: refused", "connecting failed: refused"]
    );
    let attempts = attempts.lock().unwrap();
    assert_eq!(attempts.len(), 3);
    assert!(attempts.iter().all(|(id, _)| id.is_none()));
    let first_gap = attempts[1].1 - attempts[0].1;
    let second_gap = attempts[2].1 - attempts[1].1;
    assert!(first_gap >= Duration::from_millis(40), "{first_gap:?}");
    assert!(second_gap >= Duration::from_millis(80), "{second_gap:?}");
}

#[tokio::test]
async fn close_ends_the_stream_and_keeps_the_last_event_id() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(serve(listener, Log::default()));
    let mut events = reconnect(move |id| connect(addr, id));
    let mut seen = 0;
    while let Some(item) = next(&mut events).await {
        if let Ok(OwnedItem::Event(_)) = item {
            seen += 1;
            if seen == 3 {
                events.close();
            }
        }
    }
    server.abort();
    assert_eq!(seen, 3);
    assert_eq!(events.current_last_event_id(), "3");
    assert_eq!(events.reconnection_time(), Some(RETRY_MS));
}
