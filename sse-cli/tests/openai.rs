//! `sse get` against an OpenAI-style chat completions endpoint: a POST with
//! a JSON body, the reply streamed as deltas, `data: [DONE]` at the end
//! (the server then keeps the connection open: [DONE] must end `sse get`),
//! `--merge` and `--field` assembling the reply.

mod support;

use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use support::{json_lines, sse_within, stderr, stdout};

const DELTAS: [&str; 4] = ["Hel", "lo, ", "wor", "ld!"];

/// POST /v1/chat/completions: 400 unless the body is JSON with
/// "stream": true and the content type says so.
async fn completions(headers: HeaderMap, body: Bytes) -> Response {
    let json = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value == "application/json");
    let request: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
    if !json || request.as_ref().and_then(|r| r.get("stream")) != Some(&serde_json::json!(true)) {
        return Response::builder()
            .status(StatusCode::BAD_REQUEST)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"error":{"message":"stream must be true"}}"#))
            .unwrap();
    }
    let mut chunks: Vec<String> = vec![
        r#"data: {"id":"c1","choices":[{"index":0,"delta":{"role":"assistant"}}]}"#.to_owned(),
    ];
    for delta in DELTAS {
        chunks.push(format!(
            r#"data: {{"id":"c1","choices":[{{"index":0,"delta":{{"content":"{delta}"}}}}]}}"#
        ));
    }
    chunks.push("data: [DONE]".to_owned());
    let stream = futures_util::stream::unfold(0usize, move |i| {
        let chunks = chunks.clone();
        async move {
            if i > 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            match chunks.get(i) {
                Some(chunk) => Some((
                    Ok::<_, std::convert::Infallible>(Bytes::from(format!("{chunk}\n\n"))),
                    i + 1,
                )),
                // After [DONE] the connection stays open for a minute.
                None => {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    None
                }
            }
        }
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .body(Body::from_stream(stream))
        .unwrap()
}

async fn server() -> String {
    let app = axum::Router::new().route("/v1/chat/completions", axum::routing::post(completions));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/v1/chat/completions",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

async fn get(args: &[&str]) -> std::process::Output {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        sse_within(&args, Duration::from_secs(20))
    })
    .await
    .unwrap()
}

const BODY: &str = r#"{"model":"m","stream":true,"messages":[{"role":"user","content":"Hi"}]}"#;

#[tokio::test(flavor = "multi_thread")]
async fn merge_assembles_the_reply_and_done_ends_the_stream() {
    let url = server().await;
    let started = Instant::now();
    let output = get(&[
        "get",
        &url,
        "--json",
        BODY,
        "--merge",
        "choices.0.delta.content",
    ])
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "Hello, world!\n");
    assert!(started.elapsed() < Duration::from_secs(10));

    let output = get(&[
        "get",
        &url,
        "--json",
        BODY,
        "--field",
        "choices[0].delta.content",
    ])
    .await;
    assert_eq!(stdout(&output), "Hel\nlo, \nwor\nld!\n");

    // JSON lines: every event, [DONE] last; a POST is not repeated.
    let output = get(&["get", &url, "--json", BODY, "--timing"]).await;
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 6, "{}", stdout(&output));
    assert_eq!(lines[5]["data"], "[DONE]");
    assert!(lines[1]["dt"].as_u64().unwrap() >= 15, "{lines:?}");
    assert!(!stderr(&output).contains("reconnecting"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_request_shows_the_error_body() {
    let url = server().await;
    // -d is sent as a form, not JSON: the endpoint answers 400.
    let output = get(&["get", &url, "-d", BODY]).await;
    assert_eq!(output.status.code(), Some(4));
    assert_eq!(
        stderr(&output),
        format!(
            "sse: {url} answered 400 Bad Request (application/json): \
             {{\"error\":{{\"message\":\"stream must be true\"}}}}\n"
        )
    );
}
