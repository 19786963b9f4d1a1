//! The trace format of `sse record` (read by `sse serve`): the wire bytes
//! of an event stream with their arrival times, one chunk per line.
//!
//! ```text
//! # sse-trace 1
//! # url: http://127.0.0.1:8000/stream
//! # connection 1: 200 OK
//! 0.512 : hello\n\n
//! 103.870 id: 1\ndata: {"n":1}\n\n
//! # connection 2: 200 OK
//! 1210.004 id: 2\r\ndata: caf\xc3\n\n
//! ```
//!
//! - The first line is `# sse-trace 1`. Other lines starting with `#` are
//!   comments (the URL, the request, each connection's status), except
//!   that `# connection` marks the start of a new connection: a reader
//!   drops the unfinished event of the previous one, as a client does.
//! - Every other line is one chunk as it arrived: its arrival time in
//!   milliseconds since the first request was sent (a decimal number, with
//!   up to 3 decimals), one space, and the chunk's bytes escaped: `\\` for a
//!   backslash, `\n`, `\r` and `\t`, `\xHH` (two lowercase hex digits) for
//!   any other byte below 0x20, for 0x7f and for each byte that is not part
//!   of valid UTF-8; all other bytes as they are (the line is UTF-8 text).

use std::fmt::Write as _;
use std::time::Duration;

/// The first line of a trace.
pub(crate) const HEADER: &str = "# sse-trace 1";

/// The comment that starts a new connection.
pub(crate) const CONNECTION: &str = "# connection";

/// What a trace holds, line by line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Record {
    /// A chunk and its arrival time since the start.
    Chunk(Duration, Vec<u8>),
    /// A new connection starts.
    Connection,
}

/// Whether `text` starts as a trace does.
pub(crate) fn is_trace(text: &[u8]) -> bool {
    text.strip_prefix(HEADER.as_bytes())
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(b"\n") || rest.starts_with(b"\r\n"))
}

/// One chunk line (with its newline).
pub(crate) fn chunk_line(at: Duration, chunk: &[u8]) -> String {
    let mut line = format!("{}.{:03} ", at.as_millis(), at.subsec_micros() % 1000);
    for piece in chunk.utf8_chunks() {
        for c in piece.valid().chars() {
            match c {
                '\\' => line.push_str("\\\\"),
                '\n' => line.push_str("\\n"),
                '\r' => line.push_str("\\r"),
                '\t' => line.push_str("\\t"),
                c if u32::from(c) < 0x20 || c == '\x7f' => {
                    let _ = write!(line, "\\x{:02x}", u32::from(c));
                }
                c => line.push(c),
            }
        }
        for byte in piece.invalid() {
            let _ = write!(line, "\\x{byte:02x}");
        }
    }
    line.push('\n');
    line
}

/// Parses a whole trace.
///
/// # Errors
/// A one-line message with the line number of the first bad line.
pub(crate) fn parse(text: &str) -> Result<Vec<Record>, String> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, HEADER)) => {}
        _ => return Err(format!("line 1: not '{HEADER}'")),
    }
    let mut records = Vec::new();
    for (index, line) in lines {
        let number = index.saturating_add(1);
        if line.starts_with(CONNECTION) {
            records.push(Record::Connection);
        } else if line.starts_with('#') || line.is_empty() {
        } else {
            let (time, chunk) = line
                .split_once(' ')
                .ok_or_else(|| format!("line {number}: not '<ms> <bytes>'"))?;
            let at = parse_ms(time).ok_or_else(|| format!("line {number}: bad time {time:?}"))?;
            let bytes = unescape(chunk).map_err(|error| format!("line {number}: {error}"))?;
            records.push(Record::Chunk(at, bytes));
        }
    }
    Ok(records)
}

/// `12`, `12.3` or `12.345` milliseconds.
fn parse_ms(text: &str) -> Option<Duration> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let ms: u64 = whole.parse().ok()?;
    let micros: u64 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<3}").parse().ok()?
    };
    Duration::from_millis(ms).checked_add(Duration::from_micros(micros))
}

/// Undoes the escaping of [`chunk_line`].
fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, after)) = rest.split_first() {
        rest = after;
        if byte != b'\\' {
            bytes.push(byte);
            continue;
        }
        let Some((&code, after)) = rest.split_first() else {
            return Err("a lone backslash at the end".to_owned());
        };
        rest = after;
        match code {
            b'\\' => bytes.push(b'\\'),
            b'n' => bytes.push(b'\n'),
            b'r' => bytes.push(b'\r'),
            b't' => bytes.push(b'\t'),
            b'x' => {
                let hex = rest.get(..2).ok_or("\\x without two hex digits")?;
                let text = std::str::from_utf8(hex).map_err(|_| "\\x without two hex digits")?;
                let value =
                    u8::from_str_radix(text, 16).map_err(|_| "\\x without two hex digits")?;
                bytes.push(value);
                rest = rest.get(2..).unwrap_or_default();
            }
            other => return Err(format!("unknown escape \\{}", char::from(other))),
        }
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_round_trip_with_every_byte() {
        let all: Vec<u8> = (0..=255).collect();
        for chunk in [
            &b"data: hello\n\n"[..],
            b"id: 1\r\ndata: a\\b\tc\r\r\n",
            "data: café \u{2028}\n".as_bytes(),
            b"data: caf\xc3\n\xff\xfe\x00\x7f",
            &all,
        ] {
            let at = Duration::from_micros(1_234_567);
            let line = chunk_line(at, chunk);
            assert!(
                line.ends_with('\n') && line.matches('\n').count() == 1,
                "{line}"
            );
            assert!(!line.contains('\r'), "{line}");
            let text = format!("{HEADER}\n{line}");
            assert_eq!(
                parse(&text).unwrap(),
                vec![Record::Chunk(at, chunk.to_vec())]
            );
        }
    }

    #[test]
    fn escapes_are_readable() {
        assert_eq!(
            chunk_line(Duration::from_millis(5), b"data: a\\b\n\xc3\x01\n"),
            "5.000 data: a\\\\b\\n\\xc3\\x01\\n\n"
        );
        assert_eq!(
            chunk_line(Duration::from_micros(1500), "é".as_bytes()),
            "1.500 é\n"
        );
    }

    #[test]
    fn comments_connections_and_times() {
        let text = "# sse-trace 1\n# url: x\n\n# connection 1: 200 OK\n0 a\n12.3 b\n# connection 2\n99.25 c\n";
        assert_eq!(
            parse(text).unwrap(),
            vec![
                Record::Connection,
                Record::Chunk(Duration::ZERO, b"a".to_vec()),
                Record::Chunk(Duration::from_micros(12_300), b"b".to_vec()),
                Record::Connection,
                Record::Chunk(Duration::from_micros(99_250), b"c".to_vec()),
            ]
        );
    }

    #[test]
    fn bad_lines_are_reported_with_their_number() {
        assert_eq!(
            parse("data: x\n").unwrap_err(),
            "line 1: not '# sse-trace 1'"
        );
        for (line, error) in [
            ("nospace", "line 2: not '<ms> <bytes>'"),
            ("1.2345 x", "line 2: bad time \"1.2345\""),
            ("-1 x", "line 2: bad time \"-1\""),
            ("1 a\\", "line 2: a lone backslash at the end"),
            ("1 \\xg0", "line 2: \\x without two hex digits"),
            ("1 \\x4", "line 2: \\x without two hex digits"),
            ("1 \\q", "line 2: unknown escape \\q"),
        ] {
            assert_eq!(parse(&format!("{HEADER}\n{line}\n")).unwrap_err(), error);
        }
        assert!(is_trace(b"# sse-trace 1\n0 x"));
        assert!(is_trace(b"# sse-trace 1\r\n"));
        assert!(!is_trace(b"# sse-trace 10\n"));
        assert!(!is_trace(b"data: x\n\n"));
    }
}
