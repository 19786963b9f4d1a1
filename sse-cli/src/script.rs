//! What `sse serve` sends: a trace or a plain `.sse` file cut into blocks
//! (the lines of one event, or of comments and `retry` lines, up to their
//! empty line), each with the time it was sent and the last event ID after
//! it.

use std::time::Duration;

use crate::trace::{self, Record};

/// One block of lines, ended by an empty line (or the end of the file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block {
    /// The lines, without their line endings (the empty line not included).
    pub(crate) lines: Vec<Vec<u8>>,
    /// When it was complete, since the start of the recording.
    pub(crate) at: Duration,
    /// Whether it dispatches an event (it has a `data` field).
    pub(crate) is_event: bool,
    /// The last event ID once it is processed.
    pub(crate) last_event_id: Vec<u8>,
    /// Whether it has an `id` field of its own.
    pub(crate) sets_id: bool,
    /// Whether it ends with an empty line (the last block of a file may
    /// not).
    pub(crate) terminated: bool,
}

/// Cuts `file` (a trace, or else a plain event stream whose blocks are
/// `interval` apart) into blocks.
///
/// # Errors
/// A one-line message for a trace with a bad line.
pub(crate) fn parse(file: &[u8], interval: Duration) -> Result<Vec<Block>, String> {
    let mut cutter = Cutter::default();
    if trace::is_trace(file) {
        let text = std::str::from_utf8(file).map_err(|_| "the trace is not UTF-8".to_owned())?;
        for record in trace::parse(text)? {
            match record {
                Record::Chunk(at, bytes) => cutter.feed(&bytes, |_| at),
                Record::Connection => cutter.new_connection(),
            }
        }
    } else {
        cutter.feed(file, |index| {
            let count = u32::try_from(index.saturating_add(1)).unwrap_or(u32::MAX);
            interval.saturating_mul(count)
        });
    }
    Ok(cutter.finish())
}

/// Splits bytes into lines and lines into blocks, as the SSE spec does
/// (LF, CRLF or CR; a UTF-8 BOM dropped at the start of a connection).
#[derive(Debug, Default)]
struct Cutter {
    blocks: Vec<Block>,
    lines: Vec<Vec<u8>>,
    line: Vec<u8>,
    after_cr: bool,
    started: bool,
    data: bool,
    sets_id: bool,
    last_event_id: Vec<u8>,
    last_at: Duration,
}

impl Cutter {
    /// Takes bytes; `at(index)` says when the block with that index, which
    /// ends or continues here, was complete.
    fn feed(&mut self, bytes: &[u8], mut at: impl FnMut(usize) -> Duration) {
        let mut bytes = bytes;
        if !self.started {
            if self.line.is_empty() && bytes.starts_with(b"\xEF\xBB\xBF") {
                bytes = bytes.get(3..).unwrap_or_default();
            }
            self.started = !bytes.is_empty();
        }
        for &byte in bytes {
            if self.after_cr {
                self.after_cr = false;
                if byte == b'\n' {
                    continue;
                }
            }
            match byte {
                b'\n' | b'\r' => {
                    self.after_cr = byte == b'\r';
                    let line = std::mem::take(&mut self.line);
                    if line.is_empty() {
                        let when = at(self.blocks.len());
                        self.end_block(when, true);
                    } else {
                        self.field(&line);
                        self.lines.push(line);
                    }
                }
                other => self.line.push(other),
            }
        }
        if !self.line.is_empty() || !self.lines.is_empty() {
            // A block in progress completes at its empty line; until then
            // it is as late as this chunk.
            self.last_at = at(self.blocks.len());
        }
    }

    /// Applies a line's field to the state.
    fn field(&mut self, line: &[u8]) {
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let value = line.get(colon.saturating_add(1)..).unwrap_or_default();
                (
                    line.get(..colon).unwrap_or_default(),
                    value.strip_prefix(b" ").unwrap_or(value),
                )
            }
            None => (line, &b""[..]),
        };
        match name {
            b"data" => self.data = true,
            b"id" if !value.contains(&0) => {
                self.last_event_id = value.to_vec();
                self.sets_id = true;
            }
            _ => {}
        }
    }

    fn end_block(&mut self, at: Duration, terminated: bool) {
        if self.lines.is_empty() {
            return;
        }
        self.blocks.push(Block {
            lines: std::mem::take(&mut self.lines),
            at,
            is_event: std::mem::take(&mut self.data),
            last_event_id: self.last_event_id.clone(),
            sets_id: std::mem::take(&mut self.sets_id),
            terminated,
        });
    }

    /// A new connection: its unfinished event is dropped.
    fn new_connection(&mut self) {
        self.lines.clear();
        self.line.clear();
        self.data = false;
        self.sets_id = false;
        self.after_cr = false;
        self.started = false;
    }

    fn finish(mut self) -> Vec<Block> {
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            self.field(&line);
            self.lines.push(line);
        }
        let at = self.last_at;
        self.end_block(at, false);
        self.blocks
    }
}

/// Where to start for a client that sent `last_event_id`: after the last
/// event whose own `id` field set it (events after it without an `id` of
/// their own carry the same last event ID: the client may not have
/// received them, so they are sent again); from the start when no event
/// has it.
pub(crate) fn resume_index(blocks: &[Block], last_event_id: &[u8]) -> usize {
    if last_event_id.is_empty() {
        return 0;
    }
    blocks
        .iter()
        .rposition(|block| block.is_event && block.sets_id && block.last_event_id == last_event_id)
        .map_or(0, |index| index.saturating_add(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(block: &Block) -> Vec<&str> {
        block
            .lines
            .iter()
            .map(|line| std::str::from_utf8(line).unwrap())
            .collect()
    }

    #[test]
    fn plain_file_blocks_are_interval_apart() {
        let file = b"\xEF\xBB\xBF: hi\n\nid: 1\r\ndata: a\r\n\r\nretry: 5\rdata: b\r\rdata: tail";
        let blocks = parse(file, Duration::from_millis(100)).unwrap();
        assert_eq!(blocks.len(), 4);
        assert_eq!(lines(&blocks[0]), [": hi"]);
        assert!(!blocks[0].is_event);
        assert_eq!(lines(&blocks[1]), ["id: 1", "data: a"]);
        assert!(blocks[1].is_event);
        assert_eq!(blocks[1].last_event_id, b"1");
        assert_eq!(lines(&blocks[2]), ["retry: 5", "data: b"]);
        assert_eq!(blocks[2].last_event_id, b"1");
        assert_eq!(
            blocks.iter().map(|b| b.at.as_millis()).collect::<Vec<_>>(),
            [100, 200, 300, 400]
        );
        assert!(blocks[2].terminated && !blocks[3].terminated);
        assert_eq!(lines(&blocks[3]), ["data: tail"]);
    }

    #[test]
    fn trace_blocks_take_the_time_of_their_empty_line() {
        let text = "# sse-trace 1\n# connection 1\n10 id: 7\\ndata: x\n20 \\n\\ndata: y\\n\n\
                    # connection 2\n500 data: z\\n\\n\n";
        let blocks = parse(text.as_bytes(), Duration::ZERO).unwrap();
        assert_eq!(blocks.len(), 2, "{blocks:?}");
        assert_eq!(lines(&blocks[0]), ["id: 7", "data: x"]);
        assert_eq!(blocks[0].at, Duration::from_millis(20));
        // "data: y" was cut by the new connection.
        assert_eq!(lines(&blocks[1]), ["data: z"]);
        assert_eq!(blocks[1].at, Duration::from_millis(500));
        assert_eq!(blocks[1].last_event_id, b"7");
    }

    #[test]
    fn resume_after_the_last_event_with_the_id() {
        let blocks = parse(
            b"id: a\ndata: 1\n\ndata: 2\n\nid: b\ndata: 3\n\n",
            Duration::ZERO,
        )
        .unwrap();
        assert_eq!(resume_index(&blocks, b""), 0);
        // "data: 2" has no id of its own: it is sent again.
        assert_eq!(resume_index(&blocks, b"a"), 1);
        assert_eq!(resume_index(&blocks, b"b"), 3);
        assert_eq!(resume_index(&blocks, b"unknown"), 0);
    }

    #[test]
    fn bad_trace_is_an_error() {
        assert_eq!(
            parse(b"# sse-trace 1\nx\n", Duration::ZERO).unwrap_err(),
            "line 2: not '<ms> <bytes>'"
        );
    }
}
