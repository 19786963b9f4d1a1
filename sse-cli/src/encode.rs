//! `sse encode`: JSON lines (as `sse decode` prints them) to an event stream.

use std::borrow::Cow;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::process::ExitCode;

use serde_json::{Map, Value};
use sse_codec_core::{Event, StreamEncoder};

use crate::{error, Input};

/// One input line, understood.
enum Command {
    Event(Event),
    Retry(u64),
    Comment(String),
}

pub(crate) fn encode(input: &Input) -> ExitCode {
    let reader = match input.open() {
        Ok(reader) => reader,
        Err(message) => {
            error(message);
            return ExitCode::from(2);
        }
    };
    let mut out = BufWriter::new(io::stdout().lock());
    match run_encode(BufReader::new(reader), &mut out, input) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(Failure::Write(io_error)) if io_error.kind() == io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(Failure::Write(io_error)) => {
            error(format_args!("cannot write to standard output: {io_error}"));
            ExitCode::from(2)
        }
        Err(Failure::Read(io_error)) => {
            error(format_args!("cannot read {input}: {io_error}"));
            ExitCode::from(2)
        }
    }
}

/// Why encoding stopped early.
#[derive(Debug)]
enum Failure {
    /// The input could not be read (or was not UTF-8).
    Read(io::Error),
    /// The output could not be written.
    Write(io::Error),
}

/// Encodes every line; `Ok(false)` if some line was skipped. Bad lines are
/// reported on standard error with `name` and their line number.
fn run_encode<R: BufRead>(
    mut input: R,
    out: &mut dyn Write,
    name: &Input,
) -> Result<bool, Failure> {
    let mut encoder = StreamEncoder::new();
    let mut clean = true;
    let mut buf = Vec::new();
    let mut line = String::new();
    let mut number: u64 = 0;
    loop {
        line.clear();
        if input.read_line(&mut line).map_err(Failure::Read)? == 0 {
            break;
        }
        number = number.saturating_add(1);
        if line.trim().is_empty() {
            continue;
        }
        buf.clear();
        let encoded = parse(&line, encoder.last_event_id()).and_then(|command| {
            match command {
                Command::Event(event) => encoder.encode_event(&event, &mut buf),
                Command::Retry(ms) => encoder.encode_retry(ms, &mut buf),
                Command::Comment(text) => encoder.encode_comment(&text, &mut buf),
            }
            .map_err(|error| error.to_string())
        });
        match encoded {
            Ok(()) => out.write_all(&buf).map_err(Failure::Write)?,
            Err(message) => {
                clean = false;
                out.flush().map_err(Failure::Write)?;
                error(format_args!("{name}: line {number}: {message}; skipped"));
            }
        }
        // Pass events on as they come when reading from a live pipe.
        if input.fill_buf().map_err(Failure::Read)?.is_empty() || !line.ends_with('\n') {
            out.flush().map_err(Failure::Write)?;
        }
    }
    out.flush().map_err(Failure::Write)?;
    Ok(clean)
}

/// Understands one JSON line. An event without `id` keeps `last_event_id`.
fn parse(line: &str, last_event_id: &str) -> Result<Command, String> {
    let value: Value =
        serde_json::from_str(line).map_err(|error| format!("invalid JSON: {error}"))?;
    let Value::Object(object) = value else {
        return Err("expected a JSON object".into());
    };
    let keys = |allowed: &[&str]| match object.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(key) => Err(format!("unexpected key \"{key}\"")),
        None => Ok(()),
    };
    if let Some(data) = object.get("data") {
        keys(&["type", "event", "data", "id"])?;
        // A string is the data; any other value is written as JSON text.
        let data = match data {
            Value::String(text) => Cow::Borrowed(text.as_str()),
            other => Cow::Owned(other.to_string()),
        };
        // "event" (the field's name in the stream) is an alias of "type".
        let event_type = match (string(&object, "type")?, string(&object, "event")?) {
            (Some(a), Some(b)) if a != b => {
                return Err(
                    "\"type\" and \"event\" differ: give the event type once, as \"type\"".into(),
                )
            }
            (Some(event_type), _) | (None, Some(event_type)) => event_type,
            (None, None) => "message",
        };
        let id = string(&object, "id")?.unwrap_or(last_event_id);
        Ok(Command::Event(Event::from_parts(event_type, &data, id)))
    } else if let Some(retry) = object.get("retry") {
        keys(&["retry"])?;
        match retry.as_u64() {
            Some(ms) => Ok(Command::Retry(ms)),
            None => Err("\"retry\" must be a whole number of milliseconds".into()),
        }
    } else if object.contains_key("comment") {
        keys(&["comment"])?;
        Ok(Command::Comment(
            string(&object, "comment")?.unwrap_or_default().into(),
        ))
    } else {
        Err("expected an event (\"data\"), a \"retry\" or a \"comment\"".into())
    }
}

fn string<'a>(object: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, String> {
    match object.get(key) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(format!("\"{key}\" must be a string")),
    }
}
