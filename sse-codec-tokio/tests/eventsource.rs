//! `EventSource` over real loopback HTTP: the fault matrix (a frozen
//! connection, a server restart, 500 then 200, 429 with `Retry-After`, 204,
//! 401 with a JSON body, a `text/html` 200, a redirect loop, a truncated
//! event at the close), keep-alives that must not cause a reconnection,
//! `retry` clamping, backoff reset, requests that are not repeated,
//! `ClientBuilder::timeout` detection, `close` and `restart`. The server is
//! scripted byte by byte (`support/`).

mod support;

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use sse_codec_tokio::eventsource::{
    client_builder, EventSourceError, RequestBuilderExt, Update, MAX_ERROR_BODY,
};
use sse_codec_tokio::{Backoff, EventSource};
use support::{Conn, StreamServer, WAIT};

type Item = Result<Update, EventSourceError>;

/// The longest any one test may run.
const TEST_LIMIT: Duration = Duration::from_secs(30);

/// Quick reconnections for the tests: 20 ms, doubling up to 200 ms.
fn fast() -> Backoff {
    Backoff {
        initial: Duration::from_millis(20),
        factor: 2,
        max: Duration::from_millis(200),
        jitter: false,
    }
}

fn source(server: &StreamServer) -> EventSource {
    EventSource::get(server.url("/")).backoff(fast())
}

async fn next(events: &mut EventSource) -> Option<Item> {
    tokio::time::timeout(WAIT, events.next())
        .await
        .expect("no item within 5 s")
}

async fn next_ok(events: &mut EventSource) -> Update {
    match next(events).await {
        Some(Ok(update)) => update,
        other => panic!("expected an update, got {other:?}"),
    }
}

async fn next_err(events: &mut EventSource) -> EventSourceError {
    match next(events).await {
        Some(Err(error)) => error,
        other => panic!("expected an error, got {other:?}"),
    }
}

async fn expect_open(events: &mut EventSource) {
    match next_ok(events).await {
        Update::Open { status, headers } => {
            assert_eq!(status, 200);
            assert!(headers.contains_key("content-type"));
        }
        other => panic!("expected Open, got {other:?}"),
    }
}

/// The next event, skipping comments; (data, id).
async fn expect_event(events: &mut EventSource) -> (String, String) {
    loop {
        match next_ok(events).await {
            Update::Event(event) => return (event.data().to_owned(), event.id().to_owned()),
            Update::Comment(_) | Update::Retry(_) => {}
            other => panic!("expected an event, got {other:?}"),
        }
    }
}

/// Waits for the next connection while polling `events` (nothing happens
/// unless it is polled), returning it and the items yielded meanwhile.
async fn connect_items(server: &mut StreamServer, events: &mut EventSource) -> (Conn, Vec<Item>) {
    let mut items = Vec::new();
    let deadline = Instant::now() + WAIT;
    loop {
        tokio::select! {
            conn = server.next_within(deadline.saturating_duration_since(Instant::now())) => {
                return (conn.expect("the client did not connect in time"), items);
            }
            Some(item) = events.next() => items.push(item),
        }
    }
}

/// The next connection, with no item yielded meanwhile.
async fn connect(server: &mut StreamServer, events: &mut EventSource) -> Conn {
    let (conn, items) = connect_items(server, events).await;
    assert!(items.is_empty(), "{items:?}");
    conn
}

async fn bounded<F: std::future::Future>(test: F) -> F::Output {
    tokio::time::timeout(TEST_LIMIT, test)
        .await
        .expect("the test took too long")
}

#[test]
fn event_source_is_send() {
    fn send<T: Send>() {}
    send::<EventSource>();
    send::<EventSourceError>();
}

#[tokio::test]
async fn frozen_connection_is_resumed_within_the_idle_timeout() {
    bounded(async {
        let mut server = StreamServer::start().await;
        let idle = Duration::from_millis(400);
        let mut events = source(&server).idle_timeout(idle);
        let mut conn = connect(&mut server, &mut events).await;
        conn.start_stream().await;
        conn.write("id: 1\ndata: one\n\n").await;
        expect_open(&mut events).await;
        assert_eq!(expect_event(&mut events).await, ("one".into(), "1".into()));
        // Frozen: the connection stays open, nothing comes.
        let frozen = Instant::now();
        let error = next_err(&mut events).await;
        assert!(
            matches!(error, EventSourceError::IdleTimeout(d) if d == idle),
            "{error}"
        );
        assert!(!error.is_fatal());
        assert!(frozen.elapsed() >= idle - Duration::from_millis(50));
        let mut resumed = connect(&mut server, &mut events).await;
        assert!(
            frozen.elapsed() < idle * 2,
            "resumed {:?} after the last byte",
            frozen.elapsed()
        );
        assert_eq!(resumed.request.header("last-event-id"), Some("1"));
        assert!(
            conn.closed_by_client(WAIT).await,
            "the frozen connection is dropped"
        );
        resumed.start_stream().await;
        expect_open(&mut events).await;
        resumed.write("id: 2\ndata: two\n\n").await;
        assert_eq!(expect_event(&mut events).await, ("two".into(), "2".into()));
    })
    .await;
}

#[tokio::test]
async fn frozen_before_the_response_head_is_an_idle_timeout() {
    bounded(async {
        let mut server = StreamServer::start().await;
        let mut events = source(&server).idle_timeout(Duration::from_millis(300));
        let first = connect(&mut server, &mut events).await; // never answered
        let error = next_err(&mut events).await;
        assert!(matches!(error, EventSourceError::IdleTimeout(_)), "{error}");
        let mut second = connect(&mut server, &mut events).await;
        second.start_stream().await;
        second.write("data: ok\n\n").await;
        expect_open(&mut events).await;
        assert_eq!(expect_event(&mut events).await.0, "ok");
        drop(first);
    })
    .await;
}

#[tokio::test]
async fn keep_alives_keep_a_stream_open_without_reconnection() {
    bounded(async {
        let mut server = StreamServer::start().await;
        let mut events = source(&server).idle_timeout(Duration::from_millis(500));
        let mut conn = connect(&mut server, &mut events).await;
        conn.start_stream().await;
        let writer = tokio::spawn(async move {
            for i in 0..15 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if i % 5 == 4 {
                    conn.write(format!("id: {i}\ndata: {i}\n\n")).await;
                } else {
                    conn.write(":\n").await;
                }
            }
            conn.close().await;
        });
        expect_open(&mut events).await;
        let (mut comments, mut received) = (0, Vec::new());
        loop {
            match next(&mut events).await {
                Some(Ok(Update::Comment(text))) => {
                    assert_eq!(text, "");
                    comments += 1;
                }
                Some(Ok(Update::Event(event))) => received.push(event.data().to_owned()),
                Some(Ok(Update::Ended { truncated })) => {
                    assert!(!truncated);
                    break;
                }
                other => panic!("no error and no reconnection expected: {other:?}"),
            }
        }
        writer.await.unwrap();
        assert_eq!(comments, 12);
        assert_eq!(received, ["4", "9", "14"]);
        // The end of the stream is followed by a reconnection with the ID.
        let conn = connect(&mut server, &mut events).await;
        assert_eq!(conn.request.header("last-event-id"), Some("14"));
    })
    .await;
}

#[tokio::test]
async fn server_restart_is_survived() {
    bounded(async {
        let server = StreamServer::start().await;
        let address = server.address.clone();
        let mut server = server;
        let mut events = source(&server);
        let mut conn = connect(&mut server, &mut events).await;
        conn.start_stream().await;
        conn.write("id: 7\ndata: before\n\n").await;
        expect_open(&mut events).await;
        assert_eq!(expect_event(&mut events).await.1, "7");
        // The server goes away: its listener and connection are gone.
        drop(server);
        drop(conn);
        assert!(matches!(
            next_ok(&mut events).await,
            Update::Ended { truncated: false }
        ));
        // Connecting fails (refused) at least once, and is retried.
        let error = next_err(&mut events).await;
        assert!(matches!(error, EventSourceError::Transport(_)), "{error}");
        assert!(!error.is_fatal());
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut server = StreamServer::start_on(&address).await;
        let mut conn = loop {
            tokio::select! {
                conn = server.next() => break conn,
                item = next(&mut events) => {
                    assert!(matches!(item, Some(Err(EventSourceError::Transport(_)))), "{item:?}");
                }
            }
        };
        assert_eq!(conn.request.header("last-event-id"), Some("7"));
        conn.start_stream().await;
        conn.write("id: 8\ndata: after\n\n").await;
        expect_open(&mut events).await;
        assert_eq!(
            expect_event(&mut events).await,
            ("after".into(), "8".into())
        );
    })
    .await;
}

#[tokio::test]
async fn status_500_then_200() {
    bounded(async {
        let mut server = StreamServer::start().await;
        let mut events = source(&server);
        connect(&mut server, &mut events)
            .await
            .respond("500 Internal Server Error", &[], b"oops")
            .await;
        let error = next_err(&mut events).await;
        assert!(!error.is_fatal());
        let response = error.response().expect("the response");
        assert_eq!(response.status, 500);
        assert_eq!(response.body, "oops");
        let mut conn = connect(&mut server, &mut events).await;
        conn.start_stream().await;
        conn.write("data: fine\n\n").await;
        expect_open(&mut events).await;
        assert_eq!(expect_event(&mut events).await.0, "fine");
    })
    .await;
}

#[tokio::test]
async fn status_429_honours_retry_after() {
    bounded(async {
        let mut server = StreamServer::start().await;
        let mut events = source(&server);
        connect(&mut server, &mut events)
            .await
            .respond(
                "429 Too Many Requests",
                &[("Retry-After", "1")],
                b"slow down",
            )
            .await;
        let error = next_err(&mut events).await;
        assert_eq!(error.response().unwrap().status, 429);
        let asked = Instant::now();
        let conn = connect(&mut server, &mut events).await;
        let waited = asked.elapsed();
        assert!(waited >= Duration::from_millis(950), "{waited:?}");
        drop(conn);
    })
    .await;
}

#[tokio::test]
async fn status_204_stops_for_good() {
    bounded(async {
        let mut server = StreamServer::start().await;
        let mut events = source(&server);
        connect(&mut server, &mut events)
            .await
            .respond("204 No Content", &[], b"")
            .await;
        assert!(matches!(next_ok(&mut events).await, Update::NoContent));
        assert!(next(&mut events).await.is_none());
        assert!(events.is_closed());
        assert!(server
            .next_within(Duration::from_millis(300))
            .await
            .is_none());
    })
    .await;
}

#[tokio::test]
async fn status_401_with_a_json_body_is_surfaced() {
    bounded(async {
        let mut server = StreamServer::start().await;
        let mut events = source(&server);
        let body = br#"{"error":"unauthorized","detail":"token expired"}"#;
        connect(&mut server, &mut events)
            .await
            .respond(
                "401 Unauthorized",
                &[
                    ("Content-Type", "application/json"),
                    ("WWW-Authenticate", "Bearer"),
                ],
                body,
            )
            .await;
        let error = next_err(&mut events).await;
        assert!(error.is_fatal());
        assert!(matches!(error, EventSourceError::Status(_)));
        let response = error.response().unwrap();
        assert_eq!(response.status, 401);
        assert_eq!(response.headers["www-authenticate"], "Bearer");
        assert_eq!(response.body.as_bytes(), body);
        assert!(error.to_string().contains("token expired"), "{error}");
        assert!(next(&mut events).await.is_none());
        assert!(server
            .next_within(Duration::from_millis(300))
            .await
            .is_none());
    })
    .await;
}

#[tokio::test]
async fn error_bodies_are_bounded() {
    bounded(async {
        let mut server = StreamServer::start().await;
        let mut events = source(&server);
        let body = "é".repeat(MAX_ERROR_BODY * 4); // 32 KiB
        connect(&mut server, &mut events)
            .await
            .respond("403 Forbidden", &[], body.as_bytes())
            .await;
        let error = next_err(&mut events).await;
        let kept = &error.response().unwrap().body;
        // 4096 bytes: 2048 two-byte characters.
        assert_eq!(kept.len(), MAX_ERROR_BODY);
        assert!(kept.chars().all(|c| c == 'é'));
    })
    .await;
}

#[tokio::test]
async fn html_200_is_surfaced() {
    bounded(async {
        let mut server = StreamServer::start().await;
        let mut events = source(&server);
        connect(&mut server, &mut events)
            .await
            .respond(
                "200 OK",
                &[("Content-Type", "text/html; charset=utf-8")],
                b"<h1>Login</h1>",
            )
            .await;
        let error = next_err(&mut events).await;
        assert!(matches!(error, EventSourceError::ContentType(_)), "{error}");
        assert!(error.is_fatal());
        assert_eq!(error.response().unwrap().body, "<h1>Login</h1>");
        assert!(next(&mut events).await.is_none());
    })
    .await;
}

#[tokio::test]
async fn redirect_loop_is_an_error() {
    bounded(async {
        let mut server = StreamServer::start().await;
        let mut events = source(&server);
        let (a, b) = (server.url("/a"), server.url("/"));
        let driver = async {
            let mut count = 0;
            while let Some(conn) = server.next_within(Duration::from_millis(500)).await {
                count += 1;
                let target = if conn.request.path == "/" { &a } else { &b };
                conn.respond("302 Found", &[("Location", target)], b"")
                    .await;
            }
            count
        };
        let (count, error) = tokio::join!(driver, next_err(&mut events));
        assert!(
            matches!(error, EventSourceError::Redirect { .. }),
            "{error}"
        );
        assert!(error.is_fatal());
        assert_eq!(count, 2, "/ then /a, then the loop is refused");
        assert!(next(&mut events).await.is_none());
    })
    .await;
}

#[tokio::test]
async fn truncated_event_at_close() {
    bounded(async {
        let mut server = StreamServer::start().await;
        let mut events = source(&server);
        let mut conn = connect(&mut server, &mut events).await;
        conn.start_stream().await;
        conn.write("id: 1\ndata: whole\n\nid: 2\ndata: part").await;
        conn.close().await;
        expect_open(&mut events).await;
        assert_eq!(
            expect_event(&mut events).await,
            ("whole".into(), "1".into())
        );
        assert!(matches!(
            next_ok(&mut events).await,
            Update::Ended { truncated: true }
        ));
        let mut conn = connect(&mut server, &mut events).await;
        assert_eq!(conn.request.header("last-event-id"), Some("1"));
        conn.start_stream().await;
        conn.write("data: next\n\n").await;
        conn.close().await;
        expect_open(&mut events).await;
        assert_eq!(expect_event(&mut events).await, ("next".into(), "1".into()));
        assert!(matches!(
            next_ok(&mut events).await,
            Update::Ended { truncated: false }
        ));
    })
    .await;
}

#[tokio::test]
async fn retry_is_clamped() {
    bounded(async {
        let mut server = StreamServer::start().await;
        let mut events = source(&server);
        let mut conn = connect(&mut server, &mut events).await;
        conn.start_stream().await;
        conn.write("retry: 0\n\nretry: 999999999\n\nretry: 50\ndata: x\n\n").await;
        conn.close().await;
        expect_open(&mut events).await;
        let mut retries = Vec::new();
        loop {
            match next_ok(&mut events).await {
                Update::Retry(delay) => retries.push(delay),
                Update::Event(_) => break,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(
            retries,
            [Duration::from_millis(100), Duration::from_secs(300), Duration::from_millis(100)]
        );
        // retry: 50 is raised to 100 ms: the reconnection waits that long.
        assert!(matches!(next_ok(&mut events).await, Update::Ended { .. }));
        let ended = Instant::now();
        let conn = connect(&mut server, &mut events).await;
        let waited = ended.elapsed();
        assert!(waited >= Duration::from_millis(90), "{waited:?}");
        drop(conn);

        // retry: 999999999 with a 200 ms ceiling reconnects within 200 ms.
        let mut events = source(&server).retry_bounds(Duration::ZERO, Duration::from_millis(200));
        let mut conn = connect(&mut server, &mut events).await;
        conn.start_stream().await;
        conn.write("retry: 999999999\ndata: x\n\n").await;
        conn.close().await;
        expect_open(&mut events).await;
        assert!(matches!(next_ok(&mut events).await, Update::Retry(d) if d == Duration::from_millis(200)));
        let _ = expect_event(&mut events).await;
        assert!(matches!(next_ok(&mut events).await, Update::Ended { .. }));
        let ended = Instant::now();
        let _conn = connect(&mut server, &mut events).await;
        assert!(ended.elapsed() < Duration::from_secs(2), "{:?}", ended.elapsed());
    })
    .await;
}

#[tokio::test]
async fn backoff_grows_on_failures_and_resets_after_events() {
    bounded(async {
        let mut server = StreamServer::start().await;
        let backoff = Backoff {
            initial: Duration::from_millis(50),
            factor: 8,
            max: Duration::from_secs(5),
            jitter: false,
        };
        let mut events = EventSource::get(server.url("/")).backoff(backoff);
        let conn = connect(&mut server, &mut events).await;
        conn.respond("503 Service Unavailable", &[], b"").await;
        assert_eq!(next_err(&mut events).await.response().unwrap().status, 503);
        // One failure: 50 ms * 8.
        let failed = Instant::now();
        let mut conn = connect(&mut server, &mut events).await;
        let grown = failed.elapsed();
        assert!(grown >= Duration::from_millis(390), "grown delay {grown:?}");
        conn.start_stream().await;
        conn.write("data: hi\n\n").await;
        conn.close().await;
        expect_open(&mut events).await;
        let _ = expect_event(&mut events).await;
        assert!(matches!(next_ok(&mut events).await, Update::Ended { .. }));
        // After a connection that delivered events: the initial delay again.
        let ended = Instant::now();
        let conn = connect(&mut server, &mut events).await;
        let reset = ended.elapsed();
        assert!(reset < Duration::from_millis(300), "reset delay {reset:?}");
        // A failure again: 400 ms.
        conn.respond("503 Service Unavailable", &[], b"").await;
        let _ = next_err(&mut events).await;
        let failed = Instant::now();
        let _conn = connect(&mut server, &mut events).await;
        let grown = failed.elapsed();
        assert!(grown >= Duration::from_millis(390), "grown delay {grown:?}");
    })
    .await;
}

#[tokio::test]
async fn post_is_not_repeated_unless_allowed() {
    bounded(async {
        let mut server = StreamServer::start().await;
        let client = client_builder().build().unwrap();
        let mut events = client
            .post(server.url("/chat"))
            .body("prompt")
            .event_source()
            .backoff(fast());
        let mut conn = connect(&mut server, &mut events).await;
        assert_eq!(conn.request.method, "POST");
        assert_eq!(conn.request.body, b"prompt");
        conn.start_stream().await;
        conn.write("data: answer\n\n").await;
        conn.close().await;
        expect_open(&mut events).await;
        assert_eq!(expect_event(&mut events).await.0, "answer");
        assert!(matches!(
            next_ok(&mut events).await,
            Update::Ended { truncated: false }
        ));
        assert!(next(&mut events).await.is_none());
        assert!(server
            .next_within(Duration::from_millis(300))
            .await
            .is_none());

        // A failure is not retried either (the request may have been acted on).
        let mut events = client
            .post(server.url("/chat"))
            .body("prompt")
            .event_source()
            .backoff(fast());
        connect(&mut server, &mut events)
            .await
            .respond("502 Bad Gateway", &[], b"")
            .await;
        assert!(!next_err(&mut events).await.is_fatal());
        assert!(next(&mut events).await.is_none());

        // Allowed: the method and the body are repeated.
        let mut events = client
            .post(server.url("/chat"))
            .body("prompt")
            .event_source()
            .repeat_request(true)
            .backoff(fast());
        connect(&mut server, &mut events)
            .await
            .respond("502 Bad Gateway", &[], b"")
            .await;
        let _ = next_err(&mut events).await;
        let conn = connect(&mut server, &mut events).await;
        assert_eq!(conn.request.method, "POST");
        assert_eq!(conn.request.body, b"prompt");
    })
    .await;
}

#[tokio::test]
async fn total_timeout_is_detected_and_explained() {
    bounded(async {
        let mut server = StreamServer::start().await;
        let client = client_builder()
            .timeout(Duration::from_millis(700))
            .build()
            .unwrap();
        let mut events = client.get(server.url("/")).event_source().backoff(fast());
        let mut conn = connect(&mut server, &mut events).await;
        conn.start_stream().await;
        let writer = tokio::spawn(async move {
            for _ in 0..30 {
                conn.write(":\n").await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        let error = loop {
            match next(&mut events).await {
                Some(Ok(_)) => {}
                Some(Err(error)) => break error,
                None => panic!("ended"),
            }
        };
        assert!(
            matches!(
                error,
                EventSourceError::Timeout {
                    total_timeout_likely: true,
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(
            error.to_string().contains("ClientBuilder::timeout"),
            "{error}"
        );
        writer.abort();
    })
    .await;
}

#[tokio::test]
async fn close_and_restart() {
    bounded(async {
        let mut server = StreamServer::start().await;
        let mut events = source(&server);
        let mut conn = connect(&mut server, &mut events).await;
        conn.start_stream().await;
        conn.write("id: 1\ndata: a\n\n").await;
        expect_open(&mut events).await;
        let _ = expect_event(&mut events).await;
        // restart: the connection is dropped and a new one made at once.
        events.restart();
        let mut next_conn = connect(&mut server, &mut events).await;
        assert!(conn.closed_by_client(WAIT).await);
        assert_eq!(next_conn.request.header("last-event-id"), Some("1"));
        next_conn.start_stream().await;
        expect_open(&mut events).await;
        next_conn.write("id: 2\ndata: b\n\n").await;
        assert_eq!(expect_event(&mut events).await, ("b".into(), "2".into()));
        assert_eq!(events.last_event_id(), "2");
        // close: the connection is dropped and the stream ends.
        events.close();
        assert!(next_conn.closed_by_client(WAIT).await);
        assert!(events.next().await.is_none());
        assert_eq!(events.last_event_id(), "2");
        assert!(server
            .next_within(Duration::from_millis(300))
            .await
            .is_none());
    })
    .await;
}

#[tokio::test]
async fn initial_last_event_id_and_empty_id_removes_the_header() {
    bounded(async {
        let mut server = StreamServer::start().await;
        let mut events = source(&server).with_last_event_id("41");
        let mut conn = connect(&mut server, &mut events).await;
        assert_eq!(conn.request.header("last-event-id"), Some("41"));
        assert_eq!(conn.request.header("accept"), Some("text/event-stream"));
        assert_eq!(conn.request.header("cache-control"), Some("no-cache"));
        conn.start_stream().await;
        conn.write("id: 42\ndata: a\n\nid:\ndata: b\n\n").await;
        conn.close().await;
        expect_open(&mut events).await;
        assert_eq!(expect_event(&mut events).await.1, "42");
        assert_eq!(expect_event(&mut events).await.1, "");
        let (conn, _ended) = connect_items(&mut server, &mut events).await;
        assert!(
            conn.request.headers("last-event-id").is_empty(),
            "{:?}",
            conn.request
        );
    })
    .await;
}

#[tokio::test]
async fn decoding_limits_skip_an_event_and_go_on() {
    bounded(async {
        let mut server = StreamServer::start().await;
        let mut events = source(&server).decoder_settings(
            sse_codec_tokio::Builder::new()
                .max_event_size(8)
                .comments(false),
        );
        let mut conn = connect(&mut server, &mut events).await;
        conn.start_stream().await;
        conn.write(":hidden\ndata: far too long for eight bytes\n\ndata: short\n\n")
            .await;
        expect_open(&mut events).await;
        let error = next_err(&mut events).await;
        assert!(matches!(error, EventSourceError::Limit(_)), "{error}");
        assert!(!error.is_fatal());
        // No comment (the settings turned them off); the next event arrives.
        assert!(matches!(next_ok(&mut events).await, Update::Event(e) if e.data() == "short"));
    })
    .await;
}

#[tokio::test]
async fn an_unusable_url_is_fatal_not_retried() {
    bounded(async {
        // Without TLS (no `rustls` feature) https cannot be spoken; with it,
        // nothing listens on port 1. Either way: one error.
        let url = if cfg!(feature = "rustls") {
            "notascheme://127.0.0.1:1/"
        } else {
            "https://127.0.0.1:1/"
        };
        let mut events = EventSource::get(url).backoff(fast());
        let error = next_err(&mut events).await;
        assert!(error.is_fatal(), "{error:?}");
        assert!(next(&mut events).await.is_none());
    })
    .await;
}

#[tokio::test]
async fn on_chunk_sees_the_wire_bytes_of_every_connection() {
    bounded(async {
        let mut server = StreamServer::start().await;
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Vec<u8>>::new()));
        let tap = std::sync::Arc::clone(&seen);
        let mut events = source(&server).on_chunk(move |chunk| {
            tap.lock().unwrap().push(chunk.to_vec());
        });
        let mut conn = connect(&mut server, &mut events).await;
        conn.start_stream().await;
        conn.write_chunks(
            &["id: 1\r\nda", "ta: one\r\n\r\n"],
            Duration::from_millis(50),
        )
        .await;
        expect_open(&mut events).await;
        assert_eq!(expect_event(&mut events).await, ("one".into(), "1".into()));
        conn.close().await;
        assert!(matches!(
            next_ok(&mut events).await,
            Update::Ended { truncated: false }
        ));
        let mut conn = connect(&mut server, &mut events).await;
        conn.start_stream().await;
        conn.write(": ka\n\n").await;
        expect_open(&mut events).await;
        assert!(matches!(next_ok(&mut events).await, Update::Comment(text) if text == " ka"));
        let seen = seen.lock().unwrap().clone();
        // Chunked transfer coding is undone; the chunks written 50 ms apart
        // arrive apart.
        assert_eq!(
            seen,
            [&b"id: 1\r\nda"[..], b"ta: one\r\n\r\n", b": ka\n\n"].map(<[u8]>::to_vec)
        );
    })
    .await;
}
