//! `sse encode`: JSON lines (as `sse decode` prints them) to an event stream.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::process::ExitCode;

use serde_json::{Map, Value};
use sse_codec_core::{Event, StreamEncoder};

use crate::usage_error;

/// One input line, understood.
enum Command {
    Event(Event),
    Retry(u64),
    Comment(String),
}

pub(crate) fn encode(file: Option<&str>) -> ExitCode {
    let input: Box<dyn Read> = match file {
        None | Some("-") => Box::new(io::stdin().lock()),
        Some(path) => match File::open(path) {
            Ok(file) => Box::new(file),
            Err(error) => return usage_error(&format!("cannot open '{path}': {error}")),
        },
    };
    let mut out = BufWriter::new(io::stdout().lock());
    match run_encode(BufReader::new(input), &mut out) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sse encode: {error}");
            ExitCode::from(2)
        }
    }
}

/// Encodes every line; `Ok(false)` if some line was skipped.
fn run_encode<R: BufRead>(mut input: R, out: &mut dyn Write) -> io::Result<bool> {
    let mut encoder = StreamEncoder::new();
    let mut clean = true;
    let mut buf = Vec::new();
    let mut line = String::new();
    let mut number = 0;
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            break;
        }
        number += 1;
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
            Ok(()) => out.write_all(&buf)?,
            Err(message) => {
                clean = false;
                out.flush()?;
                eprintln!("sse encode: line {number}: {message}; skipped");
            }
        }
        // Pass events on as they come when reading from a live pipe.
        if input.fill_buf()?.is_empty() || !line.ends_with('\n') {
            out.flush()?;
        }
    }
    out.flush()?;
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
    if object.contains_key("data") {
        keys(&["type", "data", "id"])?;
        let data = string(&object, "data")?.unwrap_or_default();
        let event_type = string(&object, "type")?.unwrap_or("message");
        let id = string(&object, "id")?.unwrap_or(last_event_id);
        Ok(Command::Event(Event::from_parts(event_type, data, id)))
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
