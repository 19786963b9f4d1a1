//! Follows the `/logs` stream of the `server` example with
//! [`sse_codec_tokio::reconnect`], over a minimal HTTP/1.1 client written
//! with tokio's `TcpStream` (`common/http.rs`), and prints each event.
//!
//! ```text
//! cargo run -p sse-codec-tokio --example server &
//! cargo run -p sse-codec-tokio --example client          # stops after 20 events
//! cargo run -p sse-codec-tokio --example client -- 50    # or after 50
//! ```
//!
//! The server ends each `/logs` connection after 10 lines; the client
//! reconnects after the server's `retry` time, sending `Last-Event-ID`, and
//! the lines go on without a gap. `SSE_URL` overrides the URL (default
//! `http://127.0.0.1:$PORT/logs`, `PORT` 3000).

#[path = "common/http.rs"]
mod http;

use futures_util::StreamExt;
use sse_codec_tokio::{reconnect, OwnedItem, ReconnectError};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let limit: usize = match std::env::args().nth(1) {
        Some(n) => n.parse().expect("the argument is a number of events"),
        None => 20,
    };
    let url = match std::env::var("SSE_URL") {
        Ok(url) => url,
        Err(_) => {
            let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
            format!("http://127.0.0.1:{port}/logs")
        }
    };
    let target = http::Url::parse(&url)?;
    println!("following {url} for {limit} events");

    let mut events = reconnect(move |last_event_id: Option<String>| {
        let target = target.clone();
        async move {
            match &last_event_id {
                Some(id) => println!("-- connecting with Last-Event-ID: {id}"),
                None => println!("-- connecting"),
            }
            http::connect(&target, last_event_id.as_deref()).await
        }
    });

    let mut received = 0;
    while received < limit {
        let Some(item) = events.next().await else {
            println!("-- the server said stop");
            break;
        };
        match item {
            Ok(OwnedItem::Event(event)) => {
                received += 1;
                println!(
                    "{} id={:<4} {}",
                    event.event_type(),
                    event.id(),
                    event.data()
                );
            }
            Ok(OwnedItem::Retry(ms)) => println!("-- reconnection time: {ms} ms"),
            Ok(_) => {}
            Err(ReconnectError::Connect(error)) => eprintln!("-- connecting failed: {error}"),
            Err(error) => eprintln!("-- {error}"),
        }
    }
    // Read the last event ID (to save it for next time) before closing.
    let last_event_id = events.current_last_event_id().into_owned();
    events.close();
    println!("-- {received} events, last event ID {last_event_id:?}");
    Ok(())
}
