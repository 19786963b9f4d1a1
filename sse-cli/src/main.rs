//! `sse`: look inside Server-Sent Events streams.
//!
//! `sse decode [FILE] [--chunk-size N] [--comments]` prints one JSON object
//! per line for each thing the stream does, in stream order; `sse encode
//! [FILE]` reads such lines and writes the event stream.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;

use sse_codec_core::{Builder, Item};

mod encode;
mod json;

const USAGE: &str = "\
usage: sse decode [FILE] [--chunk-size N] [--comments] [--max-line-length N] [--max-event-size N]
       sse encode [FILE]

Decodes a text/event-stream from FILE (or standard input when FILE is absent
or '-') and prints one JSON object per line, in stream order:
  {\"type\":\"<event type>\",\"data\":\"<data>\",\"id\":\"<last event ID>\"}   an event
  {\"retry\":<milliseconds>}                                   a valid retry line
  {\"comment\":\"<text after the colon>\"}                       a comment (--comments)

options:
  --chunk-size N        feed the decoder N bytes at a time (default: each read)
  --comments            print comments too
  --max-line-length N   longest line accepted, in bytes (default 16 MiB)
  --max-event-size N    largest event data accepted, in bytes (default 16 MiB)

sse encode reads those JSON lines (\"type\" and \"id\" optional in events) from
FILE or standard input and writes the text/event-stream to standard output;
an id is written only when it changes, so decode | encode | decode is exact.

exit status: 0 on success, 1 if a limit was exceeded (the event is skipped,
decoding goes on) or an input line could not be encoded (it is reported with
its line number and skipped), 2 on a usage error or unreadable input.";

/// Parsed command line of `sse decode`.
#[derive(Debug)]
struct DecodeArgs {
    file: Option<String>,
    chunk_size: Option<usize>,
    builder: Builder,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("decode") => match parse_decode_args(&args[1..]) {
            Ok(decode_args) => decode(&decode_args),
            Err(message) => usage_error(&message),
        },
        Some("encode") => match &args[1..] {
            [] => encode::encode(None),
            [file] if !file.starts_with('-') || file == "-" => encode::encode(Some(file)),
            [flag] => usage_error(&format!("unknown option '{flag}'")),
            [_, extra, ..] => usage_error(&format!("unexpected argument '{extra}'")),
        },
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => usage_error(&format!("unknown command '{other}'")),
        None => usage_error("missing command"),
    }
}

pub(crate) fn usage_error(message: &str) -> ExitCode {
    eprintln!("sse: {message}\n{USAGE}");
    ExitCode::from(2)
}

fn parse_decode_args(args: &[String]) -> Result<DecodeArgs, String> {
    let mut parsed = DecodeArgs {
        file: None,
        chunk_size: None,
        builder: Builder::new(),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<usize, String> {
            let value = args.next().ok_or_else(|| format!("{name} needs a value"))?;
            value
                .parse::<usize>()
                .map_err(|_| format!("{name}: '{value}' is not a number"))
        };
        match arg.as_str() {
            "--comments" => parsed.builder = parsed.builder.comments(true),
            "--chunk-size" => match number(arg)? {
                0 => return Err("--chunk-size must be at least 1".into()),
                n => parsed.chunk_size = Some(n),
            },
            "--max-line-length" => parsed.builder = parsed.builder.max_line_length(number(arg)?),
            "--max-event-size" => parsed.builder = parsed.builder.max_event_size(number(arg)?),
            "-" if parsed.file.is_none() => parsed.file = Some(arg.clone()),
            flag if flag.starts_with('-') => return Err(format!("unknown option '{flag}'")),
            _ if parsed.file.is_none() => parsed.file = Some(arg.clone()),
            extra => return Err(format!("unexpected argument '{extra}'")),
        }
    }
    Ok(parsed)
}

fn decode(args: &DecodeArgs) -> ExitCode {
    let mut input: Box<dyn Read> = match args.file.as_deref() {
        None | Some("-") => Box::new(io::stdin().lock()),
        Some(path) => match File::open(path) {
            Ok(file) => Box::new(file),
            Err(error) => return usage_error(&format!("cannot open '{path}': {error}")),
        },
    };
    let mut out = BufWriter::new(io::stdout().lock());
    match run_decode(&mut *input, &mut out, args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sse decode: {error}");
            ExitCode::from(2)
        }
    }
}

/// Decodes all of `input` to JSON lines; `Ok(false)` if a limit was exceeded.
fn run_decode(input: &mut dyn Read, out: &mut dyn Write, args: &DecodeArgs) -> io::Result<bool> {
    let mut decoder = args.builder.build();
    let mut clean = true;
    let mut buf = vec![0u8; args.chunk_size.unwrap_or(64 * 1024)];
    loop {
        let n = match args.chunk_size {
            // Exactly N bytes per chunk, fewer only at the end.
            Some(size) => fill(input, &mut buf[..size])?,
            None => match input.read(&mut buf) {
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                result => result?,
            },
        };
        if n == 0 {
            break;
        }
        let mut feed = decoder.feed(&buf[..n]);
        while let Some(item) = feed.next_item() {
            match item {
                Ok(Item::Event(event)) => {
                    out.write_all(b"{\"type\":")?;
                    json::write_str(out, event.event_type())?;
                    out.write_all(b",\"data\":")?;
                    json::write_str(out, event.data())?;
                    out.write_all(b",\"id\":")?;
                    json::write_str(out, event.id())?;
                    out.write_all(b"}\n")?;
                }
                Ok(Item::Retry(ms)) => writeln!(out, "{{\"retry\":{ms}}}")?,
                Ok(Item::Comment(text)) => {
                    out.write_all(b"{\"comment\":")?;
                    json::write_str(out, text)?;
                    out.write_all(b"}\n")?;
                }
                Err(error) => {
                    clean = false;
                    out.flush()?;
                    eprintln!("sse decode: {error}");
                }
            }
        }
        drop(feed);
        out.flush()?;
    }
    decoder.end_of_stream();
    Ok(clean)
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn fill(input: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}
