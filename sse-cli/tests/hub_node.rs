//! `sse get` against the hub's example node (`sse-codec-hub/examples/node.rs`,
//! in memory, on loopback): resumes after `--last-event-id` with the IDs the
//! node gave, then receives live events as they are published.

// The example's `#[cfg(feature = "redis")]` is the hub's feature, unknown here.
#![allow(
    unexpected_cfgs,
    reason = "the included example tests the hub's own feature"
)]

mod support;

#[allow(
    dead_code,
    unreachable_pub,
    reason = "the example's main and flags are not used here"
)]
#[path = "../../sse-codec-hub/examples/node.rs"]
mod node;

use std::time::Duration;

use support::{datas, sse_within, stderr};

#[tokio::test(flavor = "multi_thread")]
async fn get_resumes_and_follows_a_hub_node() {
    let options = node::Options {
        retry_ms: Some(100),
        ..node::Options::default()
    };
    let hub = node::hub(&options).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/topics/news", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, node::router(hub, &options)).await });

    let client = reqwest::Client::new();
    let mut ids = Vec::new();
    for data in ["one", "two", "three"] {
        let response = client.post(&url).body(data).send().await.unwrap();
        assert!(response.status().is_success());
        ids.push(response.text().await.unwrap().trim().to_owned());
    }
    let args: Vec<String> = ["get", &url, "--last-event-id", &ids[0], "--max-events", "3"]
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
    let get = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        sse_within(&args, Duration::from_secs(20))
    });
    // Published while `sse get` follows the topic.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let response = client.post(&url).body("live").send().await.unwrap();
    assert!(response.status().is_success());
    let live_id = response.text().await.unwrap().trim().to_owned();
    let output = get.await.unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(datas(&output), ["two", "three", "live"]);
    let lines: Vec<_> = support::json_lines(&output)
        .into_iter()
        .filter(|line| line.get("data").is_some())
        .collect();
    assert_eq!(lines[0]["id"], ids[1].as_str());
    assert_eq!(lines[2]["id"], live_id.as_str());
}
