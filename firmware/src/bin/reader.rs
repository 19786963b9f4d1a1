//! The same stream and output as `decode`, read through
//! `sse_codec_embedded::SseReader` from an `embedded_io::Read` source that
//! returns the chunks of `CHUNK_SIZES` bytes in turn.
#![no_std]
#![no_main]

use core::convert::Infallible;
use core::fmt::Write;

use cortex_m_rt::entry;
use panic_semihosting as _;
use sse_codec_embedded::{Error, Memory, SseReader};
use sse_firmware::{exit, stack_high_water_mark, stack_size, Stdout};
use sse_firmware_common::{
    builder, Report, CHUNK_SIZES, DATA_CAPACITY, FIELD_CAPACITY, INPUT_CAPACITY, STREAM,
};

type Buffers = Memory<INPUT_CAPACITY, DATA_CAPACITY, FIELD_CAPACITY>;

/// The reader's memory, in `.bss`.
static mut MEMORY: Buffers = Memory::new();

/// The stream from flash, `CHUNK_SIZES` bytes at a time: what a socket
/// returns as packets arrive.
struct Chunks {
    offset: usize,
    turn: usize,
}

impl embedded_io::ErrorType for Chunks {
    type Error = Infallible;
}

impl embedded_io::Read for Chunks {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        let rest = STREAM.get(self.offset..).unwrap_or_default();
        let size = CHUNK_SIZES[self.turn % CHUNK_SIZES.len()]
            .min(rest.len())
            .min(buf.len());
        self.turn += 1;
        buf[..size].copy_from_slice(&rest[..size]);
        self.offset += size;
        Ok(size)
    }
}

#[entry]
fn main() -> ! {
    // SAFETY: the only reference to MEMORY, taken once, before anything
    // else runs (no interrupts are enabled).
    let memory = unsafe { &mut *core::ptr::addr_of_mut!(MEMORY) };
    let mut out = Stdout::new();
    let mut report = Report::new(&mut out);
    let source = Chunks { offset: 0, turn: 0 };
    let mut reader = SseReader::with_builder(source, builder(), memory);
    let mut ok = true;
    loop {
        match reader.next() {
            Ok(Some(item)) => {
                let _ = report.item(Ok(item));
            }
            Ok(None) => break,
            Err(Error::Decode(error)) => {
                let _ = report.item(Err(error));
            }
            Err(other) => {
                let _ = writeln!(report.out(), "# {other}");
                ok = false;
                break;
            }
        }
    }
    let _ = report.end(reader.last_event_id(), reader.reconnection_time());
    let _ = writeln!(
        out,
        "# stack high-water mark: {} bytes with printing, of {} bytes of stack",
        stack_high_water_mark(),
        stack_size()
    );
    let _ = writeln!(
        out,
        "# static buffers: Memory<{INPUT_CAPACITY}, {DATA_CAPACITY}, {FIELD_CAPACITY}> = {} bytes; reader state {} bytes",
        core::mem::size_of::<Buffers>(),
        core::mem::size_of::<SseReader<'static, Chunks>>()
    );
    exit(ok)
}
