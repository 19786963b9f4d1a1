//! Following a stream for `sse get` and `sse record`: the flags that say
//! when to reconnect and when to stop, on top of sse-codec-tokio's
//! `EventSource`, and the wire chunks it passes on.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use clap::Args;
use futures_util::StreamExt;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use sse_codec_core::Event;
use sse_codec_tokio::eventsource::{EventSource, EventSourceError, RequestBuilderExt, Update};
use tokio::time::Instant;

use crate::request::{self, RequestArgs};

/// The data that ends an LLM-style stream.
pub(crate) const DONE: &str = "[DONE]";

/// When to reconnect and when to stop.
#[derive(Debug, Clone, Args)]
pub(crate) struct FollowArgs {
    /// Reconnect (with Last-Event-ID) when the connection ends or fails, even
    /// for a request that is not a GET (its body is sent again).
    #[arg(long, conflicts_with = "no_reconnect")]
    pub(crate) reconnect: bool,
    /// Stop when the connection ends or fails (the default for requests that
    /// are not a GET; a GET reconnects as a browser does).
    #[arg(long)]
    pub(crate) no_reconnect: bool,
    /// Reconnect (or stop) when nothing arrives for SECS seconds, keep-alives
    /// included.
    #[arg(long, value_name = "SECS", default_value_t = 60.0, value_parser = seconds)]
    pub(crate) idle_timeout: f64,
    /// Stop after N events (of the types of --event, if given).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) max_events: Option<u64>,
    /// Stop after the first event of type TYPE.
    #[arg(long, value_name = "TYPE")]
    pub(crate) until_event: Option<String>,
    /// Only events of type TYPE (repeatable; the others are not shown).
    #[arg(long = "event", value_name = "TYPE")]
    pub(crate) events: Vec<String>,
    /// The longest line accepted, in bytes [default: 16 MiB]; a longer one
    /// skips its event (exit status 1).
    #[arg(long, value_name = "N")]
    pub(crate) max_line_length: Option<usize>,
    /// The largest event data accepted, in bytes [default: 16 MiB]; a larger
    /// event is skipped (exit status 1).
    #[arg(long, value_name = "N")]
    pub(crate) max_event_size: Option<usize>,
}

/// Parses a number of seconds above 0.
fn seconds(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(x) if x > 0.0 && Duration::try_from_secs_f64(x).is_ok() => Ok(x),
        _ => Err("not a number of seconds above 0".to_owned()),
    }
}

/// An error with its causes, `: `-separated (reqwest's own message does
/// not say why a connection failed).
pub(crate) fn describe(error: &dyn std::error::Error) -> String {
    // An error body's final newline would leave an empty line.
    let mut text = error.to_string().trim_end().to_owned();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// What happened, in order.
#[derive(Debug)]
pub(crate) enum Step {
    /// A connection opened (its status and headers).
    Open(StatusCode, Box<HeaderMap>),
    /// An event passed the --event filter.
    Event(Event),
    /// A comment line.
    Comment(String),
    /// A retry line (the reconnection time, as the client uses it).
    Retry(Duration),
    /// An event was skipped: a decoding limit was exceeded.
    Limit(String),
    /// The connection ended or failed, and a new one is being made.
    Reconnecting(String),
    /// The end, and why.
    End(End),
}

/// Why following stopped.
#[derive(Debug)]
pub(crate) enum End {
    /// The server ended the stream and there is no reconnection (or it
    /// answered 204 No Content).
    Closed,
    /// `data: [DONE]` on a stream without reconnection.
    Done,
    /// --max-events or --until-event was reached.
    Enough,
    /// The request failed, or the connection was lost without a
    /// reconnection: the message, and the error response (for -i).
    Failed(String, Option<Box<HeaderMap>>),
}

/// A stream being followed.
pub(crate) struct Follower {
    source: EventSource,
    args: FollowArgs,
    reconnect: bool,
    chunks: Arc<Mutex<Vec<(Instant, Bytes)>>>,
    events: u64,
    /// The end that comes after the event just shown.
    pending_end: Option<End>,
    ended: bool,
}

impl Follower {
    /// Starts following `request`: the request is sent on the first call to
    /// [`Follower::next`].
    ///
    /// # Errors
    /// A one-line message for a bad flag or file.
    pub(crate) fn new(request: &RequestArgs, follow: &FollowArgs) -> Result<Follower, String> {
        let client = request::client_builder(request)?
            .build()
            .map_err(|error| format!("cannot build the HTTP client: {error}"))?;
        let builder = request::request(&client, request)?;
        let reconnect = if follow.reconnect {
            true
        } else if follow.no_reconnect {
            false
        } else {
            request.method()? == Method::GET
        };
        let chunks = Arc::new(Mutex::new(Vec::new()));
        let tap = Arc::clone(&chunks);
        let idle = Duration::try_from_secs_f64(follow.idle_timeout).unwrap_or(Duration::MAX);
        let mut source = builder
            .event_source()
            .repeat_request(reconnect)
            .idle_timeout(idle)
            .on_chunk(move |chunk| {
                if let Ok(mut chunks) = tap.lock() {
                    chunks.push((Instant::now(), chunk.clone()));
                }
            });
        let mut decoder = sse_codec_core::Builder::new().comments(true);
        if let Some(max) = follow.max_line_length {
            decoder = decoder.max_line_length(max);
        }
        if let Some(max) = follow.max_event_size {
            decoder = decoder.max_event_size(max);
        }
        source = source.decoder_settings(decoder);
        if let Some(id) = &request.last_event_id {
            source = source.with_last_event_id(id);
        }
        Ok(Follower {
            source,
            args: follow.clone(),
            reconnect,
            chunks,
            events: 0,
            pending_end: None,
            ended: false,
        })
    }

    /// The chunks of the body received since the last call, with their
    /// arrival times.
    pub(crate) fn take_chunks(&self) -> Vec<(Instant, Bytes)> {
        self.chunks
            .lock()
            .map(|mut chunks| std::mem::take(&mut *chunks))
            .unwrap_or_default()
    }

    /// The next step; after [`Step::End`], `End(Closed)` again.
    pub(crate) async fn next(&mut self) -> Step {
        loop {
            if self.ended {
                return Step::End(End::Closed);
            }
            if let Some(end) = self.pending_end.take() {
                self.ended = true;
                self.source.close();
                return Step::End(end);
            }
            let item = self.source.next().await;
            if let Some(step) = self.step(item) {
                if matches!(step, Step::End(_)) {
                    self.ended = true;
                    self.source.close();
                }
                return step;
            }
        }
    }

    fn step(&mut self, item: Option<Result<Update, EventSourceError>>) -> Option<Step> {
        let update = match item {
            None => return Some(Step::End(End::Closed)),
            Some(Ok(update)) => update,
            Some(Err(EventSourceError::Limit(error))) => {
                return Some(Step::Limit(error.to_string()))
            }
            Some(Err(EventSourceError::IdleTimeout(idle))) if !self.reconnect => {
                return Some(Step::End(End::Failed(
                    format!(
                        "nothing received for {:.3} s (--idle-timeout)",
                        idle.as_secs_f64()
                    ),
                    None,
                )));
            }
            Some(Err(error)) => {
                if error.is_fatal() || !self.reconnect {
                    let headers = error
                        .response()
                        .map(|response| Box::new(response.headers.clone()));
                    let mut message = describe(&error);
                    if message.contains("invalid peer certificate") {
                        message.push_str(
                            " (--cacert FILE trusts a CA, --insecure accepts any certificate)",
                        );
                    }
                    return Some(Step::End(End::Failed(message, headers)));
                }
                return Some(Step::Reconnecting(describe(&error)));
            }
        };
        Some(match update {
            Update::Open { status, headers } => Step::Open(status, headers),
            Update::Event(event) => return self.event(event),
            Update::Comment(text) => Step::Comment(text),
            Update::Retry(delay) => Step::Retry(delay),
            Update::Ended { truncated } => {
                if !self.reconnect {
                    return Some(Step::End(End::Closed));
                }
                let cause = if truncated {
                    "the server closed the stream in the middle of an event"
                } else {
                    "the server closed the stream"
                };
                Step::Reconnecting(cause.to_owned())
            }
            Update::NoContent => Step::End(End::Closed),
            _ => return None,
        })
    }

    fn event(&mut self, event: Event) -> Option<Step> {
        let until = self
            .args
            .until_event
            .as_deref()
            .is_some_and(|until| until == event.event_type());
        let done = !self.reconnect && event.data() == DONE;
        let shown =
            self.args.events.is_empty() || self.args.events.iter().any(|t| t == event.event_type());
        if shown {
            self.events = self.events.saturating_add(1);
        }
        let enough = until || self.args.max_events.is_some_and(|max| self.events >= max);
        if enough || done {
            // The last event is shown; the end comes with the next call.
            self.pending_end = Some(if done { End::Done } else { End::Enough });
        }
        shown.then_some(Step::Event(event))
    }
}
