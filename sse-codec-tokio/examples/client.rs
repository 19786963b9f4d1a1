//! Follows the `/logs` stream of the `server` example with
//! [`EventSource`](sse_codec_tokio::EventSource) (feature `reqwest`) and
//! prints what happens.
//!
//! ```text
//! cargo run -p sse-codec-tokio --example server &
//! cargo run -p sse-codec-tokio --example client --features reqwest          # stops after 20 events
//! cargo run -p sse-codec-tokio --example client --features reqwest -- 50    # or after 50
//! ```
//!
//! The server ends each `/logs` connection after 10 lines; the client
//! reconnects after the server's `retry` time, sending `Last-Event-ID`, and
//! the lines go on without a gap. `SSE_URL` overrides the URL (default
//! `http://127.0.0.1:$PORT/logs`, `PORT` 3000).

use futures_util::StreamExt;
use sse_codec_tokio::eventsource::Update;
use sse_codec_tokio::EventSource;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let limit: usize = match std::env::args().nth(1) {
        Some(n) => n.parse().expect("the argument is a number of events"),
        None => 20,
    };
    let url = std::env::var("SSE_URL").unwrap_or_else(|_| {
        let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
        format!("http://127.0.0.1:{port}/logs")
    });
    println!("following {url} for {limit} events");

    let mut events = EventSource::get(&url);
    let mut received = 0;
    while received < limit {
        let Some(item) = events.next().await else {
            break; // 204 No Content or a fatal error, reported just before
        };
        match item {
            Ok(Update::Open { status, .. }) => println!("-- connected ({status})"),
            Ok(Update::Event(event)) => {
                received += 1;
                println!(
                    "{} id={:<4} {}",
                    event.event_type(),
                    event.id(),
                    event.data()
                );
            }
            Ok(Update::Retry(delay)) => println!("-- reconnection time: {delay:?}"),
            Ok(Update::Ended { truncated }) => {
                println!(
                    "-- connection ended (mid-event: {truncated}); resuming from {:?}",
                    events.last_event_id()
                );
            }
            Ok(Update::NoContent) => println!("-- the server said stop (204)"),
            Ok(_) => {} // comments (keep-alives)
            Err(error) => eprintln!("-- {error}"),
        }
    }
    // Save the last event ID (to resume next time) and close.
    let last_event_id = events.last_event_id().to_owned();
    events.close();
    println!("-- {received} events, last event ID {last_event_id:?}");
}
