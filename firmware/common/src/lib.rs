//! What the firmware and its host reference share: the stream, the limits,
//! the chunk sizes, the reply each event gets, and the output format. The
//! decoding is not shared: the firmware uses `RawDecoder` over
//! `SliceBuffer`s fed in small chunks (or `SseReader`), the host the
//! allocating `Decoder` fed the whole stream at once.
#![no_std]
#![forbid(unsafe_code)]

use core::fmt::{self, Write};

use sse_codec_core::{Builder, EncodeError, Error, EventRef, Item};

/// The event stream: every kind of line, line end and limit.
pub const STREAM: &[u8] = include_bytes!("../../stream.sse");

/// The sizes of the chunks the firmware feeds, in turn: every line end
/// falls on a chunk boundary somewhere.
pub const CHUNK_SIZES: &[usize] = &[1, 2, 3, 5, 8, 13, 21, 4, 7];

/// The maximum line length, in bytes.
pub const MAX_LINE_LENGTH: usize = 120;
/// The input buffer: a partial line and a chunk.
pub const INPUT_CAPACITY: usize = 160;
/// The data buffer; also the maximum event size, so that too much data is
/// the same error on both sides (`EventTooLarge`, checked before the
/// buffer fills).
pub const DATA_CAPACITY: usize = 256;
/// Each of the event type, ID and last event ID buffers.
pub const FIELD_CAPACITY: usize = 32;
/// The buffer replies are encoded into.
pub const REPLY_CAPACITY: usize = 160;

/// The decoder settings, the same on both sides.
pub fn builder() -> Builder {
    Builder::new()
        .comments(true)
        .max_line_length(MAX_LINE_LENGTH)
        .max_event_size(DATA_CAPACITY)
}

/// The reply to an event: an `ack` with its data, and its ID if it has
/// one. `Err` when the data or ID are not UTF-8 (nothing to encode then).
pub fn reply<'a>(data: &'a [u8], id: &'a [u8]) -> Result<EventRef<'a>, core::str::Utf8Error> {
    let event = EventRef::new(core::str::from_utf8(data)?).with_event_type("ack");
    Ok(match core::str::from_utf8(id)? {
        "" => event,
        id => event.with_id(id),
    })
}

/// Encodes the reply to an event into `out`.
pub fn encode_reply(data: &[u8], id: &[u8], out: &mut [u8]) -> Option<Result<usize, EncodeError>> {
    reply(data, id).ok().map(|event| event.encode_to_slice(out))
}

/// Writes `bytes` with every byte outside printable ASCII (and `\`)
/// escaped: `\n`, `\r`, `\\`, `\xHH`.
pub fn escape<W: Write>(out: &mut W, bytes: &[u8]) -> fmt::Result {
    for &byte in bytes {
        match byte {
            b'\n' => out.write_str("\\n")?,
            b'\r' => out.write_str("\\r")?,
            b'\\' => out.write_str("\\\\")?,
            0x20..=0x7e => out.write_char(char::from(byte))?,
            _ => write!(out, "\\x{byte:02x}")?,
        }
    }
    Ok(())
}

/// The output: one line per item, and a last line with the decoder's
/// state at the end of the stream.
pub struct Report<W> {
    out: W,
    items: usize,
    reply: [u8; REPLY_CAPACITY],
}

impl<W: Write> Report<W> {
    /// A report written to `out`.
    pub fn new(out: W) -> Self {
        Report {
            out,
            items: 0,
            reply: [0; REPLY_CAPACITY],
        }
    }

    /// The number of items reported.
    pub fn items(&self) -> usize {
        self.items
    }

    /// The sink.
    pub fn out(&mut self) -> &mut W {
        &mut self.out
    }

    /// Reports an item (and the reply to an event) or an error.
    pub fn item(&mut self, item: Result<Item<'_>, Error>) -> fmt::Result {
        self.items += 1;
        let out = &mut self.out;
        match item {
            Ok(Item::Event(event)) => {
                out.write_str("event type=")?;
                escape(out, event.event_type())?;
                out.write_str(" id=")?;
                escape(out, event.id())?;
                out.write_str(" data=")?;
                escape(out, event.data())?;
                out.write_str("\nreply ")?;
                match encode_reply(event.data(), event.id(), &mut self.reply) {
                    Some(Ok(n)) => {
                        write!(out, "{n} bytes: ")?;
                        escape(out, self.reply.get(..n).unwrap_or_default())?;
                    }
                    Some(Err(error)) => write!(out, "refused: {error}")?,
                    None => out.write_str("none: not UTF-8")?,
                }
            }
            Ok(Item::Retry(ms)) => write!(out, "retry {ms}")?,
            Ok(Item::Comment(text)) => {
                out.write_str("comment ")?;
                escape(out, text)?;
            }
            Err(error) => write!(out, "error {error}")?,
        }
        out.write_char('\n')
    }

    /// The last line: the decoder's state at the end of the stream.
    pub fn end(&mut self, last_event_id: &[u8], reconnection_time: Option<u64>) -> fmt::Result {
        let out = &mut self.out;
        out.write_str("end last-event-id=")?;
        escape(out, last_event_id)?;
        match reconnection_time {
            Some(ms) => write!(out, " reconnection-time={ms}")?,
            None => out.write_str(" reconnection-time=none")?,
        }
        writeln!(out, " items={}", self.items)
    }
}
