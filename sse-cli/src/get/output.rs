//! How `sse get` prints: JSON lines, a readable coloured view, the raw wire
//! bytes with chunk boundaries marked, one field, or a field merged across
//! events.

use std::io::{self, Write};
use std::time::Duration;

use clap::ValueEnum;
use sse_codec_core::Event;

use super::field;
use crate::follow::DONE;
use crate::json;

/// The output format of `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// One JSON object per line, as `sse decode` prints them.
    Jsonl,
    /// A readable view: type, id, time, data (pretty-printed when JSON).
    Pretty,
    /// The wire bytes, with chunk boundaries marked.
    Raw,
}

/// What is printed for each event.
#[derive(Debug, Clone)]
pub(crate) enum Mode {
    /// The whole event in a format.
    Format(Format),
    /// One field of the JSON data per line (`--field`).
    Field(String),
    /// One field of the JSON data, concatenated across events (`--merge`).
    Merge(String),
}

/// ANSI colours, or none.
#[derive(Debug, Clone, Copy)]
struct Colours {
    on: bool,
}

impl Colours {
    fn paint(self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// Times of an event: since the request, and since the previous event.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    pub(crate) t: Duration,
    pub(crate) dt: Duration,
}

/// The printer of `sse get`.
pub(crate) struct Output<W: Write> {
    out: W,
    mode: Mode,
    timing: bool,
    comments: bool,
    colours: Colours,
    chunks: u64,
    /// The last raw chunk did not end with a line ending.
    mid_line: bool,
    /// Something was merged (a final newline is due).
    merged: bool,
    /// Events of which `--field`/`--merge` found the path.
    pub(crate) found: u64,
}

impl<W: Write> Output<W> {
    pub(crate) fn new(out: W, mode: Mode, timing: bool, comments: bool, colour: bool) -> Self {
        Output {
            out,
            mode,
            timing,
            comments,
            colours: Colours { on: colour },
            chunks: 0,
            mid_line: false,
            merged: false,
            found: 0,
        }
    }

    /// A chunk of the body (shown in raw mode).
    pub(crate) fn chunk(&mut self, t: Duration, chunk: &[u8]) -> io::Result<()> {
        if !matches!(self.mode, Mode::Format(Format::Raw)) {
            return Ok(());
        }
        self.chunks = self.chunks.saturating_add(1);
        if self.mid_line {
            self.out.write_all(b"\n")?;
        }
        let mark = format!(
            "--- chunk {}: {} bytes at {} ms{} ---",
            self.chunks,
            chunk.len(),
            t.as_millis(),
            if self.mid_line {
                " (the previous one ended mid-line)"
            } else {
                ""
            }
        );
        writeln!(self.out, "{}", self.colours.paint("2;33", &mark))?;
        self.out.write_all(chunk)?;
        self.mid_line = !chunk.ends_with(b"\n") && !chunk.ends_with(b"\r");
        self.out.flush()
    }

    /// An event.
    pub(crate) fn event(&mut self, event: &Event, timing: Timing) -> io::Result<()> {
        match &self.mode {
            Mode::Format(Format::Jsonl) => self.jsonl(event, timing)?,
            Mode::Format(Format::Pretty) => self.pretty(event, timing)?,
            Mode::Format(Format::Raw) => {}
            Mode::Field(path) => {
                if event.data() != DONE {
                    if let Some(text) = field::text(event.data(), path) {
                        self.found = self.found.saturating_add(1);
                        writeln!(self.out, "{text}")?;
                    }
                }
            }
            Mode::Merge(path) => {
                if event.data() != DONE {
                    if let Some(text) = field::text(event.data(), path) {
                        self.found = self.found.saturating_add(1);
                        self.merged = true;
                        self.out.write_all(text.as_bytes())?;
                    }
                }
            }
        }
        self.out.flush()
    }

    fn jsonl(&mut self, event: &Event, timing: Timing) -> io::Result<()> {
        let out = &mut self.out;
        out.write_all(b"{\"type\":")?;
        json::write_str(out, event.event_type().as_bytes())?;
        out.write_all(b",\"data\":")?;
        json::write_str(out, event.data().as_bytes())?;
        out.write_all(b",\"id\":")?;
        json::write_str(out, event.id().as_bytes())?;
        if self.timing {
            write!(
                out,
                ",\"t\":{},\"dt\":{}",
                timing.t.as_millis(),
                timing.dt.as_millis()
            )?;
        }
        out.write_all(b"}\n")
    }

    fn pretty(&mut self, event: &Event, timing: Timing) -> io::Result<()> {
        let c = self.colours;
        let mut head = format!(
            "{} {}",
            c.paint("2", &format!("{:>8} ms", timing.t.as_millis())),
            c.paint("1;36", event.event_type())
        );
        if !event.id().is_empty() {
            head.push_str(&c.paint("35", &format!(" id={}", event.id())));
        }
        if self.timing {
            head.push_str(&c.paint("2", &format!(" (+{} ms)", timing.dt.as_millis())));
        }
        writeln!(self.out, "{head}")?;
        let data = match serde_json::from_str::<serde_json::Value>(event.data()) {
            Ok(value) if value.is_object() || value.is_array() => {
                serde_json::to_string_pretty(&value).unwrap_or_else(|_| event.data().to_owned())
            }
            _ => event.data().to_owned(),
        };
        for line in data.split('\n') {
            writeln!(self.out, "    {line}")?;
        }
        Ok(())
    }

    /// A comment (shown with --comments).
    pub(crate) fn comment(&mut self, text: &str) -> io::Result<()> {
        if !self.comments {
            return Ok(());
        }
        match self.mode {
            Mode::Format(Format::Jsonl) => {
                self.out.write_all(b"{\"comment\":")?;
                json::write_str(&mut self.out, text.as_bytes())?;
                self.out.write_all(b"}\n")?;
            }
            Mode::Format(Format::Pretty) => {
                let line = format!("{:>11} :{text}", "");
                writeln!(self.out, "{}", self.colours.paint("2", &line))?;
            }
            _ => return Ok(()),
        }
        self.out.flush()
    }

    /// A retry line.
    pub(crate) fn retry(&mut self, delay: Duration) -> io::Result<()> {
        match self.mode {
            Mode::Format(Format::Jsonl) => {
                writeln!(self.out, "{{\"retry\":{}}}", delay.as_millis())?
            }
            Mode::Format(Format::Pretty) => {
                let line = format!("{:>11} retry {} ms", "", delay.as_millis());
                writeln!(self.out, "{}", self.colours.paint("2", &line))?;
            }
            _ => return Ok(()),
        }
        self.out.flush()
    }

    /// The end: the newline after merged text, or after a raw chunk that
    /// ended mid-line.
    pub(crate) fn finish(&mut self) -> io::Result<()> {
        if self.merged || self.mid_line {
            self.out.write_all(b"\n")?;
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(event_type: &str, data: &str, id: &str) -> Event {
        Event::new(data).with_event_type(event_type).with_id(id)
    }

    fn printed(mode: Mode, timing: bool, f: impl FnOnce(&mut Output<&mut Vec<u8>>)) -> String {
        let mut out = Vec::new();
        let mut output = Output::new(&mut out, mode, timing, true, false);
        f(&mut output);
        output.finish().unwrap();
        String::from_utf8(out).unwrap()
    }

    const AT: Timing = Timing {
        t: Duration::from_millis(1500),
        dt: Duration::from_millis(250),
    };

    #[test]
    fn jsonl_as_decode_prints_with_timing_added() {
        let e = event("message", "a \"q\"", "1");
        let text = printed(Mode::Format(Format::Jsonl), false, |o| {
            o.event(&e, AT).unwrap();
            o.comment(" ka").unwrap();
            o.retry(Duration::from_millis(300)).unwrap();
        });
        assert_eq!(
            text,
            "{\"type\":\"message\",\"data\":\"a \\\"q\\\"\",\"id\":\"1\"}\n{\"comment\":\" ka\"}\n{\"retry\":300}\n"
        );
        let text = printed(Mode::Format(Format::Jsonl), true, |o| {
            o.event(&e, AT).unwrap()
        });
        assert_eq!(
            text,
            "{\"type\":\"message\",\"data\":\"a \\\"q\\\"\",\"id\":\"1\",\"t\":1500,\"dt\":250}\n"
        );
    }

    #[test]
    fn pretty_prints_json_data_indented() {
        let e = event("delta", r#"{"a":[1]}"#, "7");
        let text = printed(Mode::Format(Format::Pretty), true, |o| {
            o.event(&e, AT).unwrap()
        });
        assert_eq!(
            text,
            "    1500 ms delta id=7 (+250 ms)\n    {\n      \"a\": [\n        1\n      ]\n    }\n"
        );
        let mut out = Vec::new();
        let mut output = Output::new(&mut out, Mode::Format(Format::Pretty), false, false, true);
        output.event(&event("x", "plain", ""), AT).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "\x1b[2m    1500 ms\x1b[0m \x1b[1;36mx\x1b[0m\n    plain\n"
        );
    }

    #[test]
    fn raw_marks_chunk_boundaries() {
        let text = printed(Mode::Format(Format::Raw), false, |o| {
            o.chunk(Duration::from_millis(3), b"data: a\n\nda").unwrap();
            o.chunk(Duration::from_millis(9), b"ta: b\n\n").unwrap();
            o.event(&event("message", "b", ""), AT).unwrap();
        });
        assert_eq!(
            text,
            "--- chunk 1: 11 bytes at 3 ms ---\ndata: a\n\nda\n\
             --- chunk 2: 7 bytes at 9 ms (the previous one ended mid-line) ---\nta: b\n\n"
        );
    }

    #[test]
    fn field_and_merge() {
        let deltas = [
            event(
                "message",
                r#"{"choices":[{"delta":{"content":"Hel"}}]}"#,
                "",
            ),
            event("message", r#"{"choices":[{"delta":{}}]}"#, ""),
            event("message", r#"{"choices":[{"delta":{"content":"lo"}}]}"#, ""),
            event("message", "[DONE]", ""),
        ];
        let path = "choices.0.delta.content".to_owned();
        let text = printed(Mode::Field(path.clone()), false, |o| {
            for e in &deltas {
                o.event(e, AT).unwrap();
            }
            assert_eq!(o.found, 2);
        });
        assert_eq!(text, "Hel\nlo\n");
        let text = printed(Mode::Merge(path), false, |o| {
            for e in &deltas {
                o.event(e, AT).unwrap();
            }
        });
        assert_eq!(text, "Hello\n");
    }
}
