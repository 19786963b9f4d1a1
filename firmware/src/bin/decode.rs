//! Decodes the stream with `RawDecoder` over `SliceBuffer`s, fed in small
//! chunks from flash, encodes a reply to every event with
//! `encode_to_slice`, and prints it all through semihosting; then the
//! stack high-water mark and the buffer sizes, on lines starting with `#`.
#![no_std]
#![no_main]

use core::fmt::Write;

use cortex_m_rt::entry;
use panic_semihosting as _;
use sse_codec_core::{Buffers, Error, Item, RawDecoder, SliceBuffer};
use sse_firmware::{exit, stack_high_water_mark, stack_size, Stdout};
use sse_firmware_common::{
    builder, encode_reply, Report, CHUNK_SIZES, DATA_CAPACITY, FIELD_CAPACITY, INPUT_CAPACITY,
    REPLY_CAPACITY, STREAM,
};

/// Every buffer the decoding needs, in one static (in `.bss`).
struct Memory {
    input: [u8; INPUT_CAPACITY],
    data: [u8; DATA_CAPACITY],
    event_type: [u8; FIELD_CAPACITY],
    id_buffer: [u8; FIELD_CAPACITY],
    last_event_id: [u8; FIELD_CAPACITY],
}

static mut MEMORY: Memory = Memory {
    input: [0; INPUT_CAPACITY],
    data: [0; DATA_CAPACITY],
    event_type: [0; FIELD_CAPACITY],
    id_buffer: [0; FIELD_CAPACITY],
    last_event_id: [0; FIELD_CAPACITY],
};

/// Where the items go.
trait Sink {
    fn item(&mut self, item: Result<Item<'_>, Error>);
    fn end(&mut self, last_event_id: &[u8], reconnection_time: Option<u64>);
}

/// Prints every item and its reply.
impl Sink for Report<&mut Stdout> {
    fn item(&mut self, item: Result<Item<'_>, Error>) {
        let _ = Report::item(self, item);
    }
    fn end(&mut self, last_event_id: &[u8], reconnection_time: Option<u64>) {
        let _ = Report::end(self, last_event_id, reconnection_time);
    }
}

/// Counts the items and encodes the replies, printing nothing: the stack
/// that decoding and encoding need, without the formatting machinery.
struct Silent {
    items: usize,
    reply: [u8; REPLY_CAPACITY],
}

impl Sink for Silent {
    fn item(&mut self, item: Result<Item<'_>, Error>) {
        self.items += 1;
        if let Ok(Item::Event(event)) = item {
            let _ = core::hint::black_box(encode_reply(event.data(), event.id(), &mut self.reply));
        }
    }
    fn end(&mut self, last_event_id: &[u8], reconnection_time: Option<u64>) {
        core::hint::black_box((last_event_id, reconnection_time));
    }
}

/// Feeds the stream to a decoder in chunks of `CHUNK_SIZES` bytes, in
/// turn, keeping the unconsumed input at the front of the input buffer.
#[inline(never)]
fn run<S: Sink>(memory: &mut Memory, sink: &mut S) {
    let Memory {
        input,
        data,
        event_type,
        id_buffer,
        last_event_id,
    } = memory;
    let mut decoder: RawDecoder<SliceBuffer<'_>> = builder().build_raw(Buffers {
        data: SliceBuffer::new(data),
        event_type: SliceBuffer::new(event_type),
        id_buffer: SliceBuffer::new(id_buffer),
        last_event_id: SliceBuffer::new(last_event_id),
    });
    let (mut start, mut end, mut offset, mut turn) = (0, 0, 0, 0);
    loop {
        loop {
            let (used, result) = decoder.decode(&input[start..end]);
            start += used;
            match result {
                Ok(None) => break,
                Ok(Some(item)) => sink.item(Ok(item)),
                Err(error) => sink.item(Err(error)),
            }
        }
        if offset == STREAM.len() {
            break;
        }
        input.copy_within(start..end, 0);
        end -= start;
        start = 0;
        let size = CHUNK_SIZES[turn % CHUNK_SIZES.len()]
            .min(STREAM.len() - offset)
            .min(input.len() - end);
        turn += 1;
        if size == 0 {
            // Cannot happen: what stays unconsumed is at most a line of up
            // to the maximum line length, shorter than the input buffer.
            sink.item(Err(Error::BufferFull { buffer: "input" }));
            break;
        }
        input[end..end + size].copy_from_slice(&STREAM[offset..offset + size]);
        end += size;
        offset += size;
    }
    // The stream ends: the unterminated event at its end is discarded.
    decoder.end_of_stream();
    sink.end(decoder.last_event_id(), decoder.reconnection_time());
}

/// Decodes and encodes everything, printing nothing; the number of items.
#[inline(never)]
fn silent_pass(memory: &mut Memory) -> usize {
    let mut silent = Silent {
        items: 0,
        reply: [0; REPLY_CAPACITY],
    };
    run(memory, &mut silent);
    silent.items
}

/// Decodes, encodes and prints everything; the number of items.
#[inline(never)]
fn printing_pass(memory: &mut Memory, out: &mut Stdout) -> usize {
    let mut report = Report::new(out);
    run(memory, &mut report);
    report.items()
}

#[entry]
fn main() -> ! {
    // SAFETY: the only reference to MEMORY, taken once, before anything
    // else runs (no interrupts are enabled).
    let memory = unsafe { &mut *core::ptr::addr_of_mut!(MEMORY) };

    let silent_items = silent_pass(memory);
    let codec_stack = stack_high_water_mark();

    let mut out = Stdout::new();
    let items = printing_pass(memory, &mut out);
    let _ = writeln!(
        out,
        "# stack high-water mark: {} bytes decoding and encoding, {} bytes with printing, of {} bytes of stack",
        codec_stack,
        stack_high_water_mark(),
        stack_size()
    );
    let _ = writeln!(
        out,
        "# static buffers: input {} + data {} + event type, ID, last event ID 3 x {} = {} bytes; reply {} bytes (on the stack); decoder state {} bytes",
        INPUT_CAPACITY,
        DATA_CAPACITY,
        FIELD_CAPACITY,
        core::mem::size_of::<Memory>(),
        REPLY_CAPACITY,
        core::mem::size_of::<RawDecoder<SliceBuffer<'static>>>()
    );
    let agree = silent_items == items;
    if !agree {
        let _ = writeln!(
            out,
            "# the two passes disagree: {silent_items} and {items} items"
        );
    }
    exit(agree)
}
