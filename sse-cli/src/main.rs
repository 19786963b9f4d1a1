//! `sse`: debug and test Server-Sent Events endpoints.
//!
//! `sse get URL` follows a stream and prints its events (JSON lines, a
//! readable view, or the wire bytes); `sse record URL -o FILE` writes a
//! trace of the wire bytes with their arrival times; `sse serve FILE` plays
//! a trace or a `.sse` file back over HTTP with faults for client testing;
//! `sse bench` and `sse doctor` measure and check an endpoint; `sse decode
//! [FILE]` prints one JSON object per line for each thing a stream does, in
//! stream order; `sse encode [FILE]` reads such lines and writes the event
//! stream; `sse completions SHELL` prints a completion script. `sse --help`
//! documents the exit statuses.

// No panics in the command itself: every index, length sum, unwrap and
// expect is either fallible or allowed where it stands, with the reason.
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand};

mod bench;
mod decode;
mod doctor;
mod encode;
mod follow;
mod get;
mod json;
mod record;
mod request;
mod script;
mod serve;
mod trace;

/// The exit statuses, shown at the end of `sse --help`.
const EXIT_STATUS: &str = "\
Exit status:
  0  success (also for an empty input); sse get and record: the stream ended
     (closed without reconnection, data: [DONE], --max-events, --until-event,
     Ctrl-C); sse doctor: every check passed; sse bench: every subscriber
     connected, no error
  1  a limit was exceeded (the event is skipped, decoding goes on), or an input
     line could not be encoded (it is reported with its line number and
     skipped); sse doctor: a WARN, no FAIL; sse bench: some subscribers did not
     connect, or there were errors
  2  a usage error, an input that cannot be read, or an output that cannot be
     written; sse serve: a file it cannot serve, an address it cannot listen on
  3  sse decode: the input holds lines but not one SSE field (data, event, id,
     retry) or comment: not a text/event-stream (an error page, JSON, gzip...);
     sse doctor: a FAIL; sse bench: no subscriber connected
  4  sse get and record: the request failed, the response was an error status
     or not text/event-stream, or the connection was lost without reconnection";

/// Debug and test Server-Sent Events (text/event-stream) endpoints: follow,
/// record, serve with faults, benchmark, check; decode into JSON lines, and
/// back.
#[derive(Debug, Parser)]
#[command(
    name = "sse",
    version,
    after_help = EXIT_STATUS,
    arg_required_else_help = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode a text/event-stream into JSON lines.
    #[command(
        long_about = "Decode a text/event-stream into JSON lines.

Reads FILE (standard input when FILE is absent or '-') and prints one JSON
object per line, in stream order:
  {\"type\":\"<event type>\",\"data\":\"<data>\",\"id\":\"<last event ID>\"}  an event
  {\"retry\":<milliseconds>}                                  a valid retry line
  {\"comment\":\"<text after the colon>\"}                      a comment (--comments)

At the end, standard error says so when the stream stopped in the middle of an
event (with the number of bytes after the last empty line, which are
discarded), and when the input does not look like a text/event-stream at all
(exit status 3).",
        after_help = "Example: curl -sN https://example.com/stream | sse decode"
    )]
    Decode(DecodeArgs),
    /// Encode JSON lines (as `sse decode` prints them) into a text/event-stream.
    #[command(
        long_about = "Encode JSON lines (as `sse decode` prints them) into a text/event-stream.

Reads FILE (standard input when FILE is absent or '-'), one JSON object per
line, and writes the event stream to standard output:
  {\"data\":..., \"type\":\"...\", \"id\":\"...\"}  an event; \"type\" (or its alias
                                         \"event\") and \"id\" may be omitted
  {\"retry\":<milliseconds>}              a retry line
  {\"comment\":\"...\"}                     a comment

A \"data\" that is a string is the data; any other JSON value (an object, an
array, a number, true, false, null) is written as compact JSON text. An id is
written only when it changes, so `sse decode | sse encode | sse decode` prints
what the first `sse decode` printed. A line that cannot be encoded is reported
on standard error with its line number and skipped (exit status 1).",
        after_help = "Example: echo '{\"event\":\"ping\",\"data\":{\"n\":1}}' | sse encode"
    )]
    Encode(EncodeArgs),
    /// Follow an SSE endpoint and print its events (curl for event streams).
    Get(get::GetArgs),
    /// Record an SSE endpoint's wire bytes with their arrival times.
    Record(record::RecordArgs),
    /// Serve a recorded trace or a .sse file over HTTP, with fault injection.
    Serve(serve::ServeArgs),
    /// Open many concurrent subscriptions and measure what they receive.
    Bench(bench::BenchArgs),
    /// Check an endpoint for what breaks SSE: buffering, compression, headers.
    Doctor(doctor::DoctorArgs),
    /// Print a completion script for SHELL to standard output.
    #[command(
        after_help = "Example: sse completions bash > ~/.local/share/bash-completion/completions/sse"
    )]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// The command line of `sse decode`.
#[derive(Debug, Args)]
pub(crate) struct DecodeArgs {
    /// The stream to decode ('-' or absent: standard input).
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
    /// Feed the decoder N bytes at a time [default: what each read returns].
    #[arg(long, value_name = "N", value_parser = at_least_one)]
    chunk_size: Option<NonZeroUsize>,
    /// Print comments too.
    #[arg(long)]
    comments: bool,
    /// The longest line accepted, in bytes [default: 16 MiB].
    #[arg(long, value_name = "N")]
    max_line_length: Option<usize>,
    /// The largest event data accepted, in bytes [default: 16 MiB].
    #[arg(long, value_name = "N")]
    max_event_size: Option<usize>,
}

/// The command line of `sse encode`.
#[derive(Debug, Args)]
pub(crate) struct EncodeArgs {
    /// The JSON lines to encode ('-' or absent: standard input).
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
}

/// Parses a number of at least 1.
pub(crate) fn at_least_one(value: &str) -> Result<NonZeroUsize, String> {
    match value.parse::<usize>() {
        Ok(n) => NonZeroUsize::new(n).ok_or_else(|| "must be at least 1".to_owned()),
        Err(_) => Err("not a number".to_owned()),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(usage) => return usage_error(&usage),
    };
    match cli.command {
        Command::Decode(args) => decode::decode(&args),
        Command::Encode(args) => encode::encode(&Input::new(args.file)),
        Command::Get(args) => get::run(args),
        Command::Record(args) => record::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Doctor(args) => doctor::run(args),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "sse", &mut io::stdout());
            ExitCode::SUCCESS
        }
    }
}

/// Reports a command-line error on one line, with clap's tips and where to
/// read more, and returns exit status 2. `--help`, `--version` and a bare
/// `sse` print what they print, as clap does.
fn usage_error(usage: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        usage.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = usage.print();
        return ExitCode::from(u8::try_from(usage.exit_code()).unwrap_or(2));
    }
    let text = usage.render().to_string();
    let mut lines = text.lines().map(str::trim).filter(|line| {
        !line.is_empty() && !line.starts_with("Usage:") && !line.starts_with("For more information")
    });
    let first = lines.next().unwrap_or("invalid command line");
    let mut message = first.strip_prefix("error: ").unwrap_or(first).to_owned();
    let details: Vec<&str> = lines.collect();
    if !details.is_empty() {
        message = format!("{message} ({})", details.join("; "));
    }
    // `sse decode --help` for an error in `sse decode ...`.
    let command = std::env::args()
        .skip(1)
        .find(|arg| !arg.starts_with('-'))
        .filter(|arg| Cli::command().find_subcommand(arg).is_some());
    let help = match command {
        Some(command) => format!("sse {command} --help"),
        None => "sse --help".to_owned(),
    };
    error(format_args!("{message}; see '{help}'"));
    ExitCode::from(2)
}

/// The tokio runtime a network verb needs.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Runtime {
    /// One thread: `get`, `record` and `doctor` follow one connection.
    OneThread,
    /// A worker per core: `serve` and `bench` handle many connections.
    PerCore,
}

/// Starts the runtime, or says on standard error why it cannot (the
/// caller exits with status 2).
pub(crate) fn runtime(kind: Runtime) -> Option<tokio::runtime::Runtime> {
    let mut builder = match kind {
        Runtime::OneThread => tokio::runtime::Builder::new_current_thread(),
        Runtime::PerCore => tokio::runtime::Builder::new_multi_thread(),
    };
    match builder.enable_all().build() {
        Ok(runtime) => Some(runtime),
        Err(cause) => {
            error(format_args!("cannot start the runtime: {cause}"));
            None
        }
    }
}

/// Prints `sse: <message>` on standard error: one line.
pub(crate) fn error(message: impl fmt::Display) {
    eprintln!("sse: {message}");
}

/// Where a command reads from. Its `Display` names it for messages:
/// `'path'` or `standard input`.
#[derive(Debug)]
pub(crate) enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    /// The input named on the command line: none or `-` is standard input.
    fn new(file: Option<PathBuf>) -> Self {
        match file {
            Some(path) if path.as_os_str() != "-" => Input::File(path),
            _ => Input::Stdin,
        }
    }

    /// Opens the input.
    ///
    /// # Errors
    /// A one-line message naming the file when it cannot be opened.
    pub(crate) fn open(&self) -> Result<Box<dyn Read>, String> {
        match self {
            Input::Stdin => Ok(Box::new(io::stdin().lock())),
            Input::File(path) => match File::open(path) {
                Ok(file) => Ok(Box::new(file)),
                Err(error) => Err(format!("cannot open {self}: {error}")),
            },
        }
    }
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Input::Stdin => f.write_str("standard input"),
            Input::File(path) => write!(f, "'{}'", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
