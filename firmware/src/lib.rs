//! What both firmware binaries use: output through semihosting, a line at
//! a time, and the stack high-water mark.
#![no_std]

use core::fmt;

use cortex_m_semihosting::hio::{self, HostStream};

/// `fmt::Write` to the host's standard output through semihosting, one
/// call per line (each call traps to the debugger, here QEMU).
pub struct Stdout {
    stream: Option<HostStream>,
    line: [u8; 256],
    len: usize,
}

impl Stdout {
    /// The host's standard output (output is dropped if there is no host).
    pub fn new() -> Self {
        Stdout {
            stream: hio::hstdout().ok(),
            line: [0; 256],
            len: 0,
        }
    }

    /// Writes out what is buffered.
    pub fn flush(&mut self) {
        if let Some(stream) = &mut self.stream {
            let _ = stream.write_all(&self.line[..self.len]);
        }
        self.len = 0;
    }
}

impl Default for Stdout {
    fn default() -> Self {
        Stdout::new()
    }
}

impl fmt::Write for Stdout {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &byte in s.as_bytes() {
            if self.len == self.line.len() {
                self.flush();
            }
            self.line[self.len] = byte;
            self.len += 1;
            if byte == b'\n' {
                self.flush();
            }
        }
        Ok(())
    }
}

/// The stack: `_stack_end` (its lowest address, after the statics) to
/// `_stack_start` (its top), painted with `STACK_PAINT_VALUE` at reset by
/// cortex-m-rt (feature `paint-stack`).
fn stack_bounds() -> (usize, usize) {
    extern "C" {
        static _stack_end: u32;
        static _stack_start: u32;
    }
    // Only the addresses of the linker's symbols are taken (no unsafe needed).
    (
        core::ptr::addr_of!(_stack_end) as usize,
        core::ptr::addr_of!(_stack_start) as usize,
    )
}

/// The most stack used since reset, in bytes: from the top of the stack
/// down to the lowest word that no longer holds the paint.
pub fn stack_high_water_mark() -> usize {
    let (bottom, top) = stack_bounds();
    let mut address = bottom;
    while address < top {
        // SAFETY: `bottom..top` is the stack region, in RAM, word-aligned;
        // the words below the current stack pointer belong to no one.
        let word = unsafe { core::ptr::read_volatile(address as *const u32) };
        if word != cortex_m_rt::STACK_PAINT_VALUE {
            break;
        }
        address += 4;
    }
    top - address
}

/// The size of the stack region (RAM left after the statics).
pub fn stack_size() -> usize {
    let (bottom, top) = stack_bounds();
    top - bottom
}

/// Ends the QEMU run with the given status.
pub fn exit(success: bool) -> ! {
    use cortex_m_semihosting::debug;
    debug::exit(if success {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    #[allow(clippy::empty_loop)]
    loop {}
}
