//! `sse get`: follow an event stream and print its events (curl for event
//! streams).

mod field;
mod output;
mod summary;

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Args;
use reqwest::header::HeaderMap;
use tokio::time::Instant;

use crate::follow::{End, FollowArgs, Follower, Step};
use crate::request::RequestArgs;
use output::{Format, Mode, Output, Timing};
use summary::Summary;

/// The help text after the options.
const AFTER_HELP: &str = "\
Output: JSON lines as `sse decode` prints them when standard output is not a
terminal (--timing adds \"t\", ms since the request, and \"dt\", ms since the
previous event), a readable coloured view when it is. --raw shows the wire
bytes with chunk boundaries marked. 'data: [DONE]' ends a stream that does
not reconnect.

Standard error: the status and headers with -i; a clear error with the
response's body on a status that is not 2xx or a response that is not
text/event-stream; each reconnection with its cause; with --summary a report
at the end (also after Ctrl-C).

A GET reconnects as a browser's EventSource does (with Last-Event-ID, after
the server's retry time); other methods are sent once unless --reconnect.

Exit status: 0 the stream ended (closed without reconnection, [DONE],
--max-events, --until-event, Ctrl-C); 1 an event exceeded a decoding limit
and was skipped; 2 a usage error or an unwritable output; 4 the request
failed, the response was an error or not an event stream, or the connection
was lost without reconnection.

Examples:
  sse get https://example.com/stream --max-events 10
  sse get https://api.example.com/v1/chat/completions -H 'Authorization: Bearer ...' \\
      --json '{\"model\":\"m\",\"stream\":true,\"messages\":[...]}' --merge choices.0.delta.content";

/// The command line of `sse get`.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub(crate) struct GetArgs {
    #[command(flatten)]
    pub(crate) request: RequestArgs,
    #[command(flatten)]
    pub(crate) follow: FollowArgs,
    /// The output format [default: pretty on a terminal, jsonl otherwise].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub(crate) output: Option<Format>,
    /// Show the wire bytes with chunk boundaries marked (--output raw).
    #[arg(long, conflicts_with = "output")]
    pub(crate) raw: bool,
    /// Add "t" (ms since the request) and "dt" (ms since the previous event).
    #[arg(long)]
    pub(crate) timing: bool,
    /// Print only this field of each event's JSON data (e.g. choices.0.delta.content).
    #[arg(long, value_name = "PATH", conflicts_with_all = ["merge", "raw", "output"])]
    pub(crate) field: Option<String>,
    /// Concatenate this field of the JSON data across events (an LLM reply from its deltas).
    #[arg(long, value_name = "PATH", conflicts_with_all = ["raw", "output"])]
    pub(crate) merge: Option<String>,
    /// Show the response status and headers on standard error.
    #[arg(short = 'i', long = "include")]
    pub(crate) include: bool,
    /// Print comments too (keep-alives).
    #[arg(long)]
    pub(crate) comments: bool,
    /// Report events, bytes, rates, the times to the response head, first
    /// body byte and first event, inter-arrival p50/p99 and gaps in numeric
    /// ids at the end, on standard error.
    #[arg(long)]
    pub(crate) summary: bool,
}

/// Runs `sse get`.
pub(crate) fn run(args: GetArgs) -> ExitCode {
    let Some(runtime) = crate::runtime(crate::Runtime::OneThread) else {
        return ExitCode::from(2);
    };
    runtime.block_on(get(args))
}

async fn get(args: GetArgs) -> ExitCode {
    let mut follower = match Follower::new(&args.request, &args.follow) {
        Ok(follower) => follower,
        Err(message) => {
            crate::error(message);
            return ExitCode::from(2);
        }
    };
    let terminal = io::stdout().is_terminal();
    let mode = if let Some(path) = &args.field {
        Mode::Field(path.clone())
    } else if let Some(path) = &args.merge {
        Mode::Merge(path.clone())
    } else if args.raw {
        Mode::Format(Format::Raw)
    } else {
        Mode::Format(args.output.unwrap_or(if terminal {
            Format::Pretty
        } else {
            Format::Jsonl
        }))
    };
    let colour = terminal && std::env::var_os("NO_COLOR").is_none();
    let stdout = io::stdout().lock();
    let mut output = Output::new(stdout, mode, args.timing, args.comments, colour);
    let started = Instant::now();
    let mut summary = Summary::new(started);
    let result = follow(&args, &mut follower, &mut output, &mut summary, started).await;
    let finished = output.finish();
    if args.summary {
        eprint!("sse get: {}", summary.report(Instant::now()));
    }
    let status = match finished.and(result) {
        Ok(outcome) => outcome,
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => return ExitCode::SUCCESS,
        Err(error) => {
            crate::error(format_args!("cannot write to standard output: {error}"));
            return ExitCode::from(2);
        }
    };
    if let (Some(path), 0) = (args.field.as_ref().or(args.merge.as_ref()), output.found) {
        crate::error(format_args!(
            "no event had JSON data with a value at {path}"
        ));
    }
    match status {
        Outcome::Ok => ExitCode::SUCCESS,
        Outcome::Limit => ExitCode::from(1),
        Outcome::Failed => ExitCode::from(4),
    }
}

/// How following ended, for the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    Limit,
    Failed,
}

/// Follows the stream until it ends, printing as it goes.
async fn follow(
    args: &GetArgs,
    follower: &mut Follower,
    output: &mut Output<impl Write>,
    summary: &mut Summary,
    started: Instant,
) -> io::Result<Outcome> {
    let mut limit = false;
    let mut last_event = started;
    let mut interrupt = std::pin::pin!(tokio::signal::ctrl_c());
    loop {
        let step = tokio::select! {
            step = follower.next() => Some(step),
            _ = &mut interrupt => None,
        };
        let now = Instant::now();
        for (at, chunk) in follower.take_chunks() {
            summary.chunk(at, chunk.len());
            output.chunk(at.saturating_duration_since(started), &chunk)?;
        }
        let Some(step) = step else {
            return Ok(if limit { Outcome::Limit } else { Outcome::Ok });
        };
        match step {
            Step::Open(status, headers) => {
                summary.response(now);
                if args.include {
                    eprintln!("< {status}");
                    show_headers(&headers);
                }
            }
            Step::Event(event) => {
                summary.event(now, event.id());
                let timing = Timing {
                    t: now.saturating_duration_since(started),
                    dt: now.saturating_duration_since(last_event),
                };
                last_event = now;
                output.event(&event, timing)?;
            }
            Step::Comment(text) => output.comment(&text)?,
            Step::Retry(delay) => output.retry(delay)?,
            Step::Limit(message) => {
                limit = true;
                crate::error(format_args!("an event was skipped: {message}"));
            }
            Step::Reconnecting(cause) => {
                summary.reconnection();
                eprintln!("sse get: reconnecting: {cause}");
            }
            Step::End(End::Failed(message, headers)) => {
                if let (true, Some(headers)) = (args.include, headers) {
                    show_headers(&headers);
                }
                crate::error(message);
                return Ok(Outcome::Failed);
            }
            Step::End(End::Closed | End::Done | End::Enough) => {
                return Ok(if limit { Outcome::Limit } else { Outcome::Ok });
            }
        }
    }
}

fn show_headers(headers: &HeaderMap) {
    for (name, value) in headers {
        eprintln!("< {name}: {}", String::from_utf8_lossy(value.as_bytes()));
    }
}
