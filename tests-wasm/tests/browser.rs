//! `reconnect` and `EventStream` in headless Chromium, over the browser's
//! `fetch` (reqwest's wasm backend), against `sse-wasm-test-server`.
//!
//! Run with `bash tests-wasm/run-ci.sh`: it starts the server and passes
//! its URL in `SSE_WASM_SERVER` at build time.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::StatusCode;
use sse_codec_tokio::{
    reconnect, Backoff, Connection, Event, EventStream, OwnedItem, ReconnectError, SseStream,
};
use sse_codec_wasm_tests::readable_stream_chunks;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// The server's base URL, from the build's environment.
fn server() -> &'static str {
    env!(
        "SSE_WASM_SERVER",
        "run bash tests-wasm/run-ci.sh: it starts the server and sets SSE_WASM_SERVER"
    )
}

/// `performance.now()`, in milliseconds.
fn now() -> f64 {
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|performance| {
            let now = js_sys::Reflect::get(&performance, &"now".into()).ok()?;
            let now: js_sys::Function = now.into();
            now.call0(&performance).ok()?.as_f64()
        })
        .expect("performance.now()")
}

/// What the tests compare: one line per item.
fn describe<E: std::fmt::Display>(item: &Result<OwnedItem, ReconnectError<E>>) -> String {
    match item {
        Ok(OwnedItem::Event(event)) => {
            format!("{} {} {}", event.event_type(), event.id(), event.data())
        }
        Ok(OwnedItem::Retry(ms)) => format!("retry {ms}"),
        Ok(OwnedItem::Comment(text)) => format!("comment {text}"),
        Err(ReconnectError::Stream(_)) => "connection failed".into(),
        Err(error) => format!("error {error}"),
    }
}

/// The JSON of a request body, as the server echoes it.
fn prompt_json(prompt: &str) -> String {
    serde_json::json!({ "prompt": prompt }).to_string()
}

#[wasm_bindgen_test]
async fn post_with_a_json_body_resumes_with_last_event_id_after_a_mid_stream_cut() {
    let prompt = "Grüße, 世界";
    let client = reqwest::Client::new();
    let url = format!("{}/chat", server());
    // What each connection sent and received, and when it started.
    let sent: Rc<RefCell<Vec<Option<String>>>> = Rc::default();
    let started: Rc<RefCell<Vec<f64>>> = Rc::default();
    // When a body ended (reqwest's stream gave its end).
    let ended: Rc<RefCell<Vec<f64>>> = Rc::default();
    let statuses: Rc<RefCell<Vec<u16>>> = Rc::default();
    let chunks: Rc<RefCell<Vec<Bytes>>> = Rc::default();
    let mut events = reconnect({
        let (sent, started, ended, statuses, chunks) = (
            sent.clone(),
            started.clone(),
            ended.clone(),
            statuses.clone(),
            chunks.clone(),
        );
        move |last_event_id: Option<String>| {
            sent.borrow_mut().push(last_event_id.clone());
            started.borrow_mut().push(now());
            let mut request = client
                .post(&url)
                .header(AUTHORIZATION, "Bearer wasm-test")
                .header(CONTENT_TYPE, "application/json")
                .body(prompt_json(prompt));
            if let Some(id) = last_event_id {
                request = request.header("last-event-id", id);
            }
            let (ended, statuses, chunks) = (ended.clone(), statuses.clone(), chunks.clone());
            async move {
                let response = match request.send().await {
                    Ok(response) => response,
                    Err(error) => return Connection::Retry(error),
                };
                statuses.borrow_mut().push(response.status().as_u16());
                if response.status() == StatusCode::NO_CONTENT {
                    return Connection::Stop;
                }
                match response.error_for_status() {
                    Ok(response) => Connection::Stream(Box::pin(
                        response
                            .bytes_stream()
                            .inspect_ok(move |chunk| chunks.borrow_mut().push(chunk.clone()))
                            .chain(futures_util::stream::iter(std::iter::from_fn(move || {
                                ended.borrow_mut().push(now());
                                None
                            }))),
                    )),
                    Err(_) => Connection::Stop,
                }
            }
        }
    })
    .backoff(Backoff {
        initial: Duration::from_secs(10),
        ..Backoff::none()
    });

    let mut seen = Vec::new();
    let mut cut_at = None;
    while let Some(item) = events.next().await {
        if matches!(item, Err(ReconnectError::Stream(_))) {
            cut_at = Some(now());
        }
        seen.push(describe(&item));
        assert!(seen.len() < 20, "too many items: {seen:?}");
    }

    assert_eq!(
        seen,
        [
            "retry 100".to_owned(),
            format!("start 1 {}", prompt_json(prompt)),
            "token 2 café 日本 🎉".into(),
            "token 3 line one\nline two".into(),
            "connection failed".into(),
            "token 4 resumed after 3".into(),
            "done 5 [DONE]".into(),
        ]
    );
    assert_eq!(*sent.borrow(), [None, Some("3".into()), Some("5".into())]);
    assert_eq!(*statuses.borrow(), [200, 200, 204]);
    // The server's retry (100 ms), waited with setTimeout, before each
    // reconnection: after the cut and after the clean end of the second
    // body (measured from its end, not from its start: that connection
    // spends 80 ms in its own pieces).
    let started = started.borrow();
    let cut_at = cut_at.expect("the cut was reported");
    assert!(started[1] - cut_at >= 99.0, "{started:?} {cut_at}");
    let ended = ended.borrow();
    let second_end = *ended
        .iter()
        .rev()
        .find(|&&end| end < started[2])
        .expect("the second body ended");
    assert!(second_end > started[1], "{started:?} {ended:?}");
    assert!(started[2] - second_end >= 99.0, "{started:?} {ended:?}");
    // The browser handed over reads that end inside a character.
    let chunks = chunks.borrow();
    // (A read that starts with a UTF-8 continuation byte.)
    let split = chunks
        .iter()
        .filter(|chunk| chunk.first().is_some_and(|b| b & 0xC0 == 0x80))
        .count();
    assert!(split >= 1, "no read ended inside a character: {chunks:?}");
}

#[wasm_bindgen_test]
async fn event_stream_over_a_fetch_body_discards_the_cut_event() {
    let response = reqwest::Client::new()
        .post(format!("{}/chat", server()))
        .header(AUTHORIZATION, "Bearer wasm-test")
        .header(CONTENT_TYPE, "application/json")
        .body(prompt_json("one connection"))
        .send()
        .await
        .expect("the request");
    assert_eq!(response.status(), 200);
    let mut events = EventStream::new(Box::pin(response.bytes_stream()));
    let mut seen = Vec::new();
    let mut failed = 0;
    while let Some(item) = events.next().await {
        match item {
            Ok(OwnedItem::Event(event)) => seen.push(format!("{} {}", event.id(), event.data())),
            Ok(_) => {}
            Err(_) => failed += 1,
        }
    }
    assert_eq!(
        seen,
        [
            format!("1 {}", prompt_json("one connection")),
            "2 café 日本 🎉".into(),
            "3 line one\nline two".into(),
        ]
    );
    assert_eq!(failed, 1, "the cut is reported once");
    assert_eq!(events.last_event_id(), "3");
    assert_eq!(events.reconnection_time(), Some(100));
}

#[wasm_bindgen_test]
async fn event_stream_over_a_web_sys_fetch_readable_stream() {
    // fetch without reqwest: POST, headers and a JSON body, then the
    // body's ReadableStream through readable_stream_chunks.
    let headers = web_sys::Headers::new().unwrap();
    headers.set("authorization", "Bearer wasm-test").unwrap();
    headers.set("content-type", "application/json").unwrap();
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&prompt_json("web-sys").into());
    let window = web_sys::window().expect("a window");
    let url = format!("{}/chat", server());
    let response = JsFuture::from(window.fetch_with_str_and_init(&url, &init))
        .await
        .expect("fetch");
    let response: web_sys::Response = response.unchecked_into();
    assert_eq!(response.status(), 200);
    let body = response.body().expect("a body");
    let mut events = EventStream::new(readable_stream_chunks(body));
    let mut seen = Vec::new();
    let mut failed = 0;
    while let Some(item) = events.next().await {
        match item {
            Ok(OwnedItem::Event(event)) => seen.push(format!(
                "{} {} {}",
                event.event_type(),
                event.id(),
                event.data()
            )),
            Ok(_) => {}
            Err(_) => failed += 1,
        }
    }
    assert_eq!(
        seen,
        [
            format!("start 1 {}", prompt_json("web-sys")),
            "token 2 café 日本 🎉".into(),
            "token 3 line one\nline two".into(),
        ]
    );
    assert_eq!(failed, 1, "the cut is reported once, then the stream ends");
    assert_eq!(events.last_event_id(), "3");
}

#[wasm_bindgen_test]
async fn failed_attempts_back_off_with_set_timeout() {
    // No server: the attempts fail (Retry), then a stream in memory.
    let started: Rc<RefCell<Vec<f64>>> = Rc::default();
    let mut events = reconnect({
        let started = started.clone();
        move |_: Option<String>| {
            started.borrow_mut().push(now());
            let attempt = started.borrow().len();
            async move {
                if attempt < 3 {
                    Connection::Retry(format!("attempt {attempt} failed"))
                } else {
                    Connection::Stream(futures_util::stream::iter([Ok::<_, String>(
                        Bytes::from_static(b"data: at last\n\n"),
                    )]))
                }
            }
        }
    })
    .backoff(Backoff {
        initial: Duration::from_millis(50),
        factor: 4,
        max: Duration::from_secs(2),
        jitter: false,
    });
    let mut seen = Vec::new();
    while let Some(item) = events.next().await {
        seen.push(describe(&item));
        if seen.len() == 3 {
            events.close();
        }
    }
    assert_eq!(
        seen,
        [
            "error connecting failed: attempt 1 failed",
            "error connecting failed: attempt 2 failed",
            "message  at last",
        ]
    );
    // Without jitter: 50 ms × 4 after one failure, × 16 after two. (The
    // upper bounds only catch a runaway delay: a loaded machine fires
    // timers late, never early.)
    let started = started.borrow();
    let waits = [started[1] - started[0], started[2] - started[1]];
    assert!(waits[0] >= 199.0 && waits[0] < 1500.0, "{waits:?}");
    assert!(waits[1] >= 799.0 && waits[1] < 2500.0, "{waits:?}");
    assert!(
        waits[1] - waits[0] > 100.0,
        "the delay did not grow: {waits:?}"
    );
}

#[wasm_bindgen_test]
async fn the_jitter_is_drawn_afresh_for_every_wait() {
    // Odd attempts fail, even ones deliver an event: the failure count is 1
    // before every jittered wait, so a jitter computed from the count (as
    // std's hash keys, the same in every browser, would give) repeats.
    const WAITS: usize = 8;
    let started: Rc<RefCell<Vec<f64>>> = Rc::default();
    let mut events = reconnect({
        let started = started.clone();
        move |_: Option<String>| {
            started.borrow_mut().push(now());
            let attempt = started.borrow().len();
            async move {
                if attempt % 2 == 1 {
                    Connection::Retry("refused")
                } else {
                    Connection::Stream(futures_util::stream::iter([Ok::<_, &str>(
                        Bytes::from_static(b"data: x\n\n"),
                    )]))
                }
            }
        }
    })
    .backoff(Backoff {
        initial: Duration::from_millis(1),
        factor: 200,
        max: Duration::from_millis(200),
        jitter: true,
    });
    while started.borrow().len() <= 2 * WAITS {
        let item = events.next().await;
        assert!(item.is_some());
    }
    events.close();
    let started = started.borrow();
    // After each failure: a wait between 1 and 200 ms (the upper bound
    // leaves room for timers that fire late on a loaded machine).
    let waits: Vec<f64> = (0..WAITS)
        .map(|i| started[2 * i + 1] - started[2 * i])
        .collect();
    for wait in &waits {
        assert!(*wait >= 0.9 && *wait < 1000.0, "{waits:?}");
    }
    let spread = waits.iter().copied().fold(f64::MIN, f64::max)
        - waits.iter().copied().fold(f64::MAX, f64::min);
    // Eight uniform draws from 1..200 ms fall within 20 ms of each other
    // with a probability under 1e-6.
    assert!(spread > 20.0, "the same jitter every time: {waits:?}");
}

/// Waits `ms` milliseconds (`setTimeout`).
async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .expect("a window")
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .expect("setTimeout");
    });
    JsFuture::from(promise).await.expect("the timeout");
}

/// A `ReadableStream` made in JavaScript from `source` (the body of a
/// function of `state`, an object it may record into).
fn js_readable_stream(source: &str, state: &js_sys::Object) -> web_sys::ReadableStream {
    js_sys::Function::new_with_args("state", source)
        .call1(&wasm_bindgen::JsValue::NULL, state)
        .expect("the stream")
        .dyn_into()
        .expect("a ReadableStream")
}

#[wasm_bindgen_test]
async fn readable_stream_chunks_cancels_the_stream_when_dropped() {
    let state = js_sys::Object::new();
    let stream = js_readable_stream(
        "return new ReadableStream({
            pull(controller) { controller.enqueue(new TextEncoder().encode('data: x\\n\\n')); },
            cancel() { state.cancelled = true; },
        });",
        &state,
    );
    let cancelled = || {
        js_sys::Reflect::get(&state, &"cancelled".into())
            .expect("state")
            .as_bool()
            == Some(true)
    };
    let mut chunks = readable_stream_chunks(stream.clone());
    let chunk = chunks.next().await.expect("a chunk").expect("bytes");
    assert_eq!(chunk, "data: x\n\n");
    sleep(10).await;
    assert!(!cancelled(), "cancelled before the drop");
    drop(chunks);
    sleep(10).await;
    assert!(cancelled(), "the drop did not cancel the stream");
    // And released its lock.
    assert!(!stream.locked(), "still locked after the drop");
}

#[wasm_bindgen_test]
async fn readable_stream_chunks_reports_a_chunk_that_is_not_bytes() {
    let state = js_sys::Object::new();
    let stream = js_readable_stream(
        "return new ReadableStream({
            start(controller) {
                controller.enqueue(new Uint8Array([100, 97, 116, 97]));
                controller.enqueue('a string');
                controller.enqueue(new Uint8Array([33]));
            },
            cancel() { state.cancelled = true; },
        });",
        &state,
    );
    let mut chunks = readable_stream_chunks(stream);
    assert_eq!(
        chunks.next().await.expect("a chunk").expect("bytes"),
        "data"
    );
    let error = chunks
        .next()
        .await
        .expect("an item")
        .expect_err("not bytes");
    assert!(error.is_instance_of::<js_sys::TypeError>(), "{error:?}");
    assert!(
        chunks.next().await.is_none(),
        "the stream goes on after the error"
    );
    // The rest of the body is not wanted: cancelled.
    assert_eq!(
        js_sys::Reflect::get(&state, &"cancelled".into()).expect("state"),
        true
    );
}

#[wasm_bindgen_test]
async fn readable_stream_chunks_reports_a_locked_stream() {
    let stream = js_readable_stream(
        "return new ReadableStream({ start(c) { c.close(); } });",
        &js_sys::Object::new(),
    );
    let _reader = stream.get_reader();
    let mut chunks = readable_stream_chunks(stream);
    let error = chunks.next().await.expect("an item").expect_err("locked");
    assert!(error.is_instance_of::<js_sys::TypeError>(), "{error:?}");
    assert!(chunks.next().await.is_none());
}

#[wasm_bindgen_test]
async fn dropping_readable_stream_chunks_aborts_the_fetch() {
    // The server notes when the connection of /endless closes before its
    // end; dropping the stream of its body must close it.
    let key = format!("drop-{}", (js_sys::Math::random() * 1e15) as u64);
    let window = web_sys::window().expect("a window");
    let url = format!("{}/endless?key={key}", server());
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(&url))
        .await
        .expect("fetch")
        .dyn_into()
        .expect("a Response");
    assert_eq!(response.status(), 200);
    let mut events = EventStream::new(readable_stream_chunks(response.body().expect("a body")));
    for _ in 0..2 {
        let item = events.next().await.expect("an event").expect("no error");
        assert!(matches!(item, OwnedItem::Event(_)), "{item:?}");
    }
    let closed = || async {
        reqwest::get(format!("{}/closed?key={key}", server()))
            .await
            .expect("/closed")
            .text()
            .await
            .expect("its answer")
    };
    assert_eq!(closed().await, "open");
    drop(events);
    // The server notices within a tick or two (50 ms each) of the close.
    let mut answer = String::new();
    for _ in 0..100 {
        answer = closed().await;
        if answer == "closed" {
            break;
        }
        sleep(50).await;
    }
    assert_eq!(
        answer, "closed",
        "the connection stayed open after the drop"
    );
}

#[wasm_bindgen_test]
async fn sse_stream_encodes_in_the_browser_without_keep_alive() {
    // The crate docs: SseStream encodes in the browser; only its
    // keep-alive (tokio's timer) needs a clock.
    let events = futures_util::stream::iter([
        Event::new("hello").with_id("1"),
        Event::new("world").with_event_type("greeting"),
    ]);
    let body: Vec<Bytes> = SseStream::new(events)
        .retry(2000)
        .try_collect()
        .await
        .expect("no error");
    assert_eq!(
        String::from_utf8(body.concat()).expect("UTF-8"),
        "retry: 2000\n\nid: 1\ndata: hello\n\nevent: greeting\nid:\ndata: world\n\n"
    );
}

#[wasm_bindgen_test]
#[should_panic(expected = "time not implemented on this platform")]
fn sse_stream_keep_alive_panics_in_the_browser() {
    // As the crate docs say: tokio's timer reads `Instant::now`, which
    // `wasm32-unknown-unknown` does not have.
    let _ =
        SseStream::new(futures_util::stream::empty::<Event>()).keep_alive(Duration::from_secs(15));
}
