//! `sse record`: an event stream's wire bytes with their arrival times, in
//! the trace format of [`crate::trace`].

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Args;
use tokio::time::Instant;

use crate::follow::{End, FollowArgs, Follower, Step};
use crate::request::RequestArgs;
use crate::trace;

/// The help text after the options: the trace format.
const AFTER_HELP: &str = "\
The trace format (line-oriented UTF-8 text; `sse serve` plays it back):

  # sse-trace 1
  # url: http://127.0.0.1:8000/stream
  # request: GET
  # connection 1: 200 OK
  0.512 : hello\\n\\n
  103.870 id: 1\\ndata: {\"n\":1}\\n\\n
  # connection 2: 200 OK
  1210.004 id: 2\\r\\ndata: caf\\xc3\\n\\n

- The first line is '# sse-trace 1'. Other lines that start with '#' are
  comments, except that '# connection' starts a new connection (a reader drops
  the previous connection's unfinished event, as a client does).
- Every other line is one chunk of the body as it arrived: its arrival time in
  milliseconds since the first request was sent (up to 3 decimals), one space,
  and the bytes escaped: \\\\ for a backslash, \\n, \\r and \\t, \\xHH (two
  lowercase hex digits) for any other byte below 0x20, for 0x7f and for each
  byte that is not part of valid UTF-8; all other bytes as they are.

Recording stops when the stream ends (as `sse get` says when: --max-events,
--until-event, 'data: [DONE]' without reconnection, Ctrl-C). The file is
flushed after each chunk.

Exit status: 0 recorded; 2 a usage error or a file that cannot be written;
4 the request failed or the response was not an event stream.

Example: sse record http://127.0.0.1:8000/stream -o stream.trace --max-events 20";

/// The command line of `sse record`.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub(crate) struct RecordArgs {
    #[command(flatten)]
    pub(crate) request: RequestArgs,
    #[command(flatten)]
    pub(crate) follow: FollowArgs,
    /// The trace file to write.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub(crate) output: PathBuf,
}

/// Runs `sse record`.
pub(crate) fn run(args: RecordArgs) -> ExitCode {
    let Some(runtime) = crate::runtime(crate::Runtime::OneThread) else {
        return ExitCode::from(2);
    };
    runtime.block_on(record(args))
}

async fn record(args: RecordArgs) -> ExitCode {
    let mut follower = match Follower::new(&args.request, &args.follow) {
        Ok(follower) => follower,
        Err(message) => {
            crate::error(message);
            return ExitCode::from(2);
        }
    };
    let name = args.output.display().to_string();
    let mut file = match File::create(&args.output) {
        Ok(file) => BufWriter::new(file),
        Err(error) => {
            crate::error(format_args!("cannot create '{name}': {error}"));
            return ExitCode::from(2);
        }
    };
    let mut recorder = Recorder {
        progress: io::stderr().is_terminal(),
        ..Recorder::default()
    };
    let started = Instant::now();
    let head = format!(
        "{}\n# url: {}\n# request: {}\n# started: {} ms since the Unix epoch\n",
        trace::HEADER,
        args.request.url,
        args.request
            .method()
            .map_or_else(|_| "?".to_owned(), |method| method.to_string()),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_millis()),
    );
    let result = match file.write_all(head.as_bytes()) {
        Ok(()) => recorder.run(&mut follower, &mut file, started).await,
        Err(error) => Err(error),
    };
    let result = result.and_then(|ended| file.flush().map(|()| ended));
    if recorder.progress {
        eprintln!();
    }
    match result {
        Err(error) => {
            crate::error(format_args!("cannot write '{name}': {error}"));
            ExitCode::from(2)
        }
        Ok(Some(message)) => {
            crate::error(message);
            ExitCode::from(4)
        }
        Ok(None) => {
            eprintln!(
                "sse record: {} events, {} bytes in {} chunks, connections: {}; written to '{name}'",
                recorder.events, recorder.bytes, recorder.chunks, recorder.connections
            );
            ExitCode::SUCCESS
        }
    }
}

/// Counts of what was recorded.
#[derive(Debug, Default)]
struct Recorder {
    progress: bool,
    events: u64,
    bytes: u64,
    chunks: u64,
    connections: u64,
}

impl Recorder {
    /// Writes the trace until the stream ends; the error message when it
    /// failed.
    async fn run(
        &mut self,
        follower: &mut Follower,
        out: &mut impl Write,
        started: Instant,
    ) -> io::Result<Option<String>> {
        let mut interrupt = std::pin::pin!(tokio::signal::ctrl_c());
        loop {
            let step = tokio::select! {
                step = follower.next() => Some(step),
                _ = &mut interrupt => None,
            };
            for (at, chunk) in follower.take_chunks() {
                self.chunks = self.chunks.saturating_add(1);
                self.bytes = self.bytes.saturating_add(chunk.len() as u64);
                let line = trace::chunk_line(at.saturating_duration_since(started), &chunk);
                out.write_all(line.as_bytes())?;
            }
            out.flush()?;
            let Some(step) = step else {
                return Ok(None);
            };
            match step {
                Step::Open(status, _) => {
                    self.connections = self.connections.saturating_add(1);
                    writeln!(out, "{} {}: {status}", trace::CONNECTION, self.connections)?;
                }
                Step::Event(_) => self.events = self.events.saturating_add(1),
                Step::Reconnecting(cause) => {
                    writeln!(out, "# reconnecting: {cause}")?;
                    eprintln!("sse record: reconnecting: {cause}");
                }
                Step::Limit(message) => {
                    crate::error(format_args!("an event was skipped: {message}"));
                }
                Step::Comment(_) | Step::Retry(_) => {}
                Step::End(End::Failed(message, _)) => return Ok(Some(message)),
                Step::End(End::Closed | End::Done | End::Enough) => return Ok(None),
            }
            if self.progress {
                eprint!("\rsse record: {} events, {} bytes", self.events, self.bytes);
            }
        }
    }
}
