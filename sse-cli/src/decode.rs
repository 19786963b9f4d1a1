//! `sse decode`: an event stream to JSON lines, and what the stream looked
//! like at its end.

use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;

use sse_codec_core::{Builder, Item, Line};

use crate::{error, json, DecodeArgs, Input};

/// How many bytes of the input a "does not look like text/event-stream"
/// message shows.
const HEAD_LEN: usize = 40;

/// The UTF-8 byte order mark, which the decoder drops at the start.
const BOM: &[u8] = b"\xEF\xBB\xBF";

pub(crate) fn decode(args: &DecodeArgs) -> ExitCode {
    let input = Input::new(args.file.clone());
    let mut reader = match input.open() {
        Ok(reader) => reader,
        Err(message) => {
            error(message);
            return ExitCode::from(2);
        }
    };
    let mut out = BufWriter::new(io::stdout().lock());
    let report = match run_decode(&mut *reader, &mut out, args, &input) {
        Ok(report) => report,
        Err(Failure::Write(error)) if error.kind() == io::ErrorKind::BrokenPipe => {
            return ExitCode::SUCCESS
        }
        Err(Failure::Write(io_error)) => {
            error(format_args!("cannot write to standard output: {io_error}"));
            return ExitCode::from(2);
        }
        Err(Failure::Read(io_error)) => {
            error(format_args!("cannot read {input}: {io_error}"));
            return ExitCode::from(2);
        }
    };
    if !report.check.looks_like_event_stream() {
        error(format_args!(
            "no events: the input does not look like text/event-stream (starts with {})",
            report.check.head()
        ));
        return ExitCode::from(3);
    }
    if report.mid_event {
        error(format_args!(
            "the stream ended in the middle of an event ({} bytes discarded)",
            report.check.unfinished_event_len()
        ));
    }
    if report.limit_exceeded {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Why decoding stopped early.
#[derive(Debug)]
enum Failure {
    /// The input could not be read.
    Read(io::Error),
    /// The output could not be written.
    Write(io::Error),
}

/// What a whole decoded stream looked like.
#[derive(Debug)]
struct Report {
    /// A limit was exceeded (and reported) at least once.
    limit_exceeded: bool,
    /// The stream ended with part of an event (see `Decoder::is_mid_event`).
    mid_event: bool,
    check: StreamCheck,
}

/// Decodes all of `input` to JSON lines on `out`; limit errors go to
/// standard error, naming `name`.
fn run_decode(
    input: &mut dyn Read,
    out: &mut dyn Write,
    args: &DecodeArgs,
    name: &Input,
) -> Result<Report, Failure> {
    let mut builder = Builder::new().comments(args.comments);
    if let Some(max) = args.max_line_length {
        builder = builder.max_line_length(max);
    }
    if let Some(max) = args.max_event_size {
        builder = builder.max_event_size(max);
    }
    let mut decoder = builder.build();
    let mut check = StreamCheck::default();
    let mut limit_exceeded = false;
    let mut buf = vec![0u8; args.chunk_size.map_or(64 * 1024, |n| n.get())];
    loop {
        let n = match args.chunk_size {
            // Exactly N bytes per chunk, fewer only at the end.
            Some(_) => fill(input, &mut buf),
            None => loop {
                match input.read(&mut buf) {
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                    result => break result,
                }
            },
        }
        .map_err(Failure::Read)?;
        if n == 0 {
            break;
        }
        // `Read` returns at most the buffer's length.
        let chunk = buf.get(..n).unwrap_or(&buf);
        check.observe(chunk);
        let mut feed = decoder.feed(chunk);
        while let Some(item) = feed.next_item() {
            match item {
                Ok(item) => write_item(out, &item).map_err(Failure::Write)?,
                Err(limit) => {
                    limit_exceeded = true;
                    out.flush().map_err(Failure::Write)?;
                    error(format_args!("{name}: {limit}"));
                }
            }
        }
        drop(feed);
        out.flush().map_err(Failure::Write)?;
    }
    check.finish();
    let mid_event = decoder.is_mid_event();
    decoder.end_of_stream();
    Ok(Report {
        limit_exceeded,
        mid_event,
        check,
    })
}

/// Writes one item as a JSON line.
fn write_item(out: &mut dyn Write, item: &Item<'_>) -> io::Result<()> {
    match item {
        Item::Event(event) => {
            out.write_all(b"{\"type\":")?;
            json::write_str(out, event.event_type())?;
            out.write_all(b",\"data\":")?;
            json::write_str(out, event.data())?;
            out.write_all(b",\"id\":")?;
            json::write_str(out, event.id())?;
            out.write_all(b"}\n")
        }
        Item::Retry(ms) => writeln!(out, "{{\"retry\":{ms}}}"),
        Item::Comment(text) => {
            out.write_all(b"{\"comment\":")?;
            json::write_str(out, text)?;
            out.write_all(b"}\n")
        }
    }
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
#[allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "`filled` < `buf.len()` in the loop, and `Read` returns at most the slice's length"
)]
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

/// Watches the raw input beside the decoder, for what the decoder does not
/// report: whether any line was an SSE field or comment at all, and how
/// many bytes came after the last empty line (the unfinished event that the
/// end of the stream discards).
///
/// It splits lines as the spec does (CRLF, lone CR, lone LF, a CR and its
/// LF possibly in different chunks; one BOM dropped at the start) and keeps
/// only the first bytes of each line: enough to tell its field name.
#[derive(Debug, Default)]
struct StreamCheck {
    /// The first [`HEAD_LEN`] bytes of the input.
    head: Vec<u8>,
    /// Bytes of input seen.
    total: u64,
    /// The first bytes of the current line (the BOM included, on the first).
    line: Vec<u8>,
    /// The length of the current line so far.
    line_len: u64,
    /// The current line is the first one (where a BOM may be).
    not_first_line: bool,
    /// The last line ended with a CR: a LF right after it belongs to it.
    after_cr: bool,
    /// ... and that line was empty: its LF is not part of the next event.
    after_cr_empty: bool,
    /// Bytes after the end of the last empty line (or the start).
    since_empty_line: u64,
    /// An empty line ended.
    empty_line_seen: bool,
    /// A non-empty line was seen.
    line_seen: bool,
    /// A `data`, `event`, `id` or `retry` field or a comment was seen.
    field_seen: bool,
}

impl StreamCheck {
    /// Bytes of a line kept: a BOM and the longest field name plus its colon.
    const LINE_PREFIX: usize = BOM.len() + "retry:".len();

    /// Takes the next chunk of input into account.
    #[allow(
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        reason = "`chunk[0]` only when not empty, `end` is a position in `chunk`; \
                  byte counts are u64 and cannot reach 2^64"
    )]
    fn observe(&mut self, mut chunk: &[u8]) {
        let room = HEAD_LEN.saturating_sub(self.head.len());
        self.head.extend_from_slice(&chunk[..room.min(chunk.len())]);
        self.total += chunk.len() as u64;
        while !chunk.is_empty() {
            if self.after_cr {
                self.after_cr = false;
                if chunk[0] == b'\n' {
                    if !self.after_cr_empty {
                        self.since_empty_line += 1;
                    }
                    chunk = &chunk[1..];
                    continue;
                }
            }
            match chunk.iter().position(|&b| b == b'\n' || b == b'\r') {
                None => {
                    self.extend_line(chunk);
                    self.since_empty_line += chunk.len() as u64;
                    return;
                }
                Some(end) => {
                    self.extend_line(&chunk[..end]);
                    self.since_empty_line += end as u64 + 1;
                    let empty = self.end_line();
                    if empty {
                        self.since_empty_line = 0;
                        self.empty_line_seen = true;
                    }
                    if chunk[end] == b'\r' {
                        self.after_cr = true;
                        self.after_cr_empty = empty;
                    }
                    chunk = &chunk[end + 1..];
                }
            }
        }
    }

    #[allow(
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        reason = "the slice end is at most `bytes.len()`; a u64 byte count cannot reach 2^64"
    )]
    fn extend_line(&mut self, bytes: &[u8]) {
        let room = Self::LINE_PREFIX.saturating_sub(self.line.len());
        self.line.extend_from_slice(&bytes[..room.min(bytes.len())]);
        self.line_len += bytes.len() as u64;
    }

    /// Classifies the current line; true if it is empty.
    fn end_line(&mut self) -> bool {
        let mut text = &self.line[..];
        if !self.not_first_line {
            text = text.strip_prefix(BOM).unwrap_or(text);
        }
        // The longest field name is 5 bytes: 6 bytes tell a known field
        // (with its colon) from a longer name.
        let empty = text.is_empty();
        match Line::parse(text.get(..6).unwrap_or(text)) {
            Line::Empty => {}
            Line::Unknown { .. } => self.line_seen = true,
            Line::Comment(_) | Line::Data(_) | Line::Event(_) | Line::Id(_) | Line::Retry(_) => {
                self.line_seen = true;
                self.field_seen = true;
            }
        }
        self.line.clear();
        self.line_len = 0;
        self.not_first_line = true;
        empty
    }

    /// The input ended: a last line without its line end still tells what
    /// the input was (though the decoder discards it).
    fn finish(&mut self) {
        if self.line_len > 0 {
            let since = self.since_empty_line;
            self.end_line();
            self.since_empty_line = since;
        }
    }

    /// False when the input held lines and not one of them was a field of
    /// the spec's (`data`, `event`, `id`, `retry`) or a comment: an HTML or
    /// JSON error page, compressed bytes... An empty input, or one of empty
    /// lines only, is an event stream without events.
    fn looks_like_event_stream(&self) -> bool {
        self.field_seen || !self.line_seen
    }

    /// The bytes after the last empty line, without a leading BOM.
    fn unfinished_event_len(&self) -> u64 {
        if !self.empty_line_seen && self.head.starts_with(BOM) {
            self.since_empty_line.saturating_sub(BOM.len() as u64)
        } else {
            self.since_empty_line
        }
    }

    /// The first bytes of the input, printable ASCII as it is (`\` doubled)
    /// and any other byte as `\xNN`; `...` when there is more.
    fn head(&self) -> String {
        let mut shown = String::new();
        for &b in &self.head {
            match b {
                b'\\' => shown.push_str("\\\\"),
                b' '..=b'~' => shown.push(char::from(b)),
                _ => shown.push_str(&format!("\\x{b:02x}")),
            }
        }
        if self.total > self.head.len() as u64 {
            shown.push_str("...");
        }
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::StreamCheck;

    /// Checks `input` whole and split at every point.
    fn check(input: &[u8]) -> StreamCheck {
        let mut whole = StreamCheck::default();
        whole.observe(input);
        whole.finish();
        for split in 0..=input.len() {
            let mut parts = StreamCheck::default();
            parts.observe(&input[..split]);
            parts.observe(&input[split..]);
            parts.finish();
            assert_eq!(
                (
                    parts.looks_like_event_stream(),
                    parts.unfinished_event_len()
                ),
                (
                    whole.looks_like_event_stream(),
                    whole.unfinished_event_len()
                ),
                "{} split at {split}",
                input.escape_ascii()
            );
        }
        whole
    }

    #[test]
    fn event_streams_look_like_event_streams() {
        for input in [
            &b""[..],
            b"\n\r\n\r",
            b"\xEF\xBB\xBF",
            b"data: x\n\n",
            b": only a comment\n",
            b"retry: 10\n",
            b"id\n",
            b"event:x\r\n\r\n",
            b"\xEF\xBB\xBFdata",
            b"junk\nmore junk\n: a comment at last\n",
            b"data: unterminated",
        ] {
            assert!(check(input).looks_like_event_stream(), "{input:?}");
        }
    }

    #[test]
    fn other_inputs_do_not() {
        for input in [
            &b"{\"error\":\"x\"}"[..],
            b"{\"error\":\"x\"}\n",
            b"<!DOCTYPE html>\n<html>\n<body>data: x</body>\n",
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03",
            b"dataa: x\nretryx\nidentity: y\n\n",
            b"\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n",
            b" data: x\n",
        ] {
            assert!(!check(input).looks_like_event_stream(), "{input:?}");
        }
    }

    #[test]
    fn unfinished_event_len_counts_bytes_after_the_last_empty_line() {
        for (input, len) in [
            (&b"data: a\n\ndata: b"[..], 7),
            (b"data: a\n\ndata: b\n", 8),
            (b"data: a\r\n\r\ndata: b\r\n", 9),
            (b"data: a\r\rdata: b\r", 8),
            (b"data: a\n\r\ndata: b", 7),
            (b"\xEF\xBB\xBFdata: b", 7),
            (b"\xEF\xBB\xBF\ndata: b", 7),
            (b"data: a\n\n", 0),
            (b"data: a\r\n\r\n", 0),
        ] {
            assert_eq!(check(input).unfinished_event_len(), len, "{input:?}");
        }
    }

    #[test]
    fn head_escapes_and_truncates() {
        assert_eq!(check(b"{\"a\":1}\n").head(), "{\"a\":1}\\x0a");
        assert_eq!(check(b"\x1f\x8b\\").head(), "\\x1f\\x8b\\\\");
        let long = [b'x'; 41];
        assert_eq!(check(&long).head(), format!("{}...", "x".repeat(40)));
    }
}
