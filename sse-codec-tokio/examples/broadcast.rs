//! Fan-out: each event is encoded once into a [`Frame`] and the same bytes
//! are sent to every subscriber through a `tokio::sync::broadcast` channel.
//! A subscriber that falls more than `CAPACITY` events behind loses the
//! oldest ones: it is told so with a `lagged` event (and the server logs it),
//! never silently.
//!
//! ```text
//! cargo run -p sse-codec-tokio --features axum --example broadcast   # PORT=3000 by default
//! curl -N http://127.0.0.1:3000/ticks
//! curl -N --limit-rate 1 http://127.0.0.1:3000/ticks   # a slow reader: lags
//! ```
//!
//! For resuming after `Last-Event-ID` and lossless catch-up of slow
//! subscribers, see the `sse-codec-hub` crate.

use std::time::Duration;

use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use futures_util::stream;
use sse_codec_tokio::{EventRef, Frame};
use tokio::sync::broadcast::{self, error::RecvError};

/// Events a subscriber may fall behind before it loses some.
const CAPACITY: usize = 64;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|port| port.parse().ok())
        .unwrap_or(3000);
    let (sender, _) = broadcast::channel::<Frame>(CAPACITY);
    tokio::spawn(publish(sender.clone()));
    let app = Router::new()
        .route("/ticks", get(subscribe))
        .with_state(sender);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("ticks on http://{}/ticks", listener.local_addr()?);
    axum::serve(listener, app).await
}

/// Encodes one event every 100 ms, once, for all subscribers.
async fn publish(sender: broadcast::Sender<Frame>) {
    let mut interval = tokio::time::interval(Duration::from_millis(100));
    for n in 0u64.. {
        interval.tick().await;
        let id = n.to_string();
        let data = format!("{{\"tick\":{n}}}");
        let frame = Frame::event(&EventRef::new(&data).with_event_type("tick").with_id(&id))
            .expect("a number as id and JSON as data can always be encoded");
        // No subscriber is not an error: the tick is just not seen.
        let _ = sender.send(frame);
    }
}

/// One subscriber: every frame from now on, and a `lagged` event in place of
/// what it missed.
async fn subscribe(State(sender): State<broadcast::Sender<Frame>>) -> impl IntoResponse {
    let receiver = sender.subscribe();
    let frames = stream::unfold(receiver, |mut receiver| async move {
        match receiver.recv().await {
            Ok(frame) => Some((frame, receiver)),
            Err(RecvError::Lagged(missed)) => {
                eprintln!("a subscriber fell behind and missed {missed} events");
                let data = format!("{{\"missed\":{missed}}}");
                let notice = Frame::event(&EventRef::new(&data).with_event_type("lagged"))
                    .expect("JSON without an id can always be encoded");
                Some((notice, receiver))
            }
            Err(RecvError::Closed) => None,
        }
    });
    sse_codec_tokio::SseStream::new(frames).keep_alive(Duration::from_secs(15))
}
