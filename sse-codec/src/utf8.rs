//! The UTF-8 check that runs on every value handed out as text: by the
//! borrowed API's `RawEvent::data_str` (and its event type and ID), and by
//! every owned event.

/// `bytes` as `&str` if it is valid UTF-8: the check that runs on every
/// value. Short ASCII values (most field values of real streams) are
/// recognised eight bytes at a time, inline; other values go to a validator:
/// `core`'s for short ones, SIMD (32 or 64 bytes at a time) for long ones.
#[inline(always)]
#[allow(unsafe_code)]
pub(crate) fn utf8(bytes: &[u8]) -> Option<&str> {
    if is_short_ascii(bytes) {
        // SAFETY: every byte is below 0x80 (checked just above), and ASCII
        // is valid UTF-8. Handing ASCII to `core::str::from_utf8` instead
        // made decoding W1 in 4 KiB chunks into owned events about 25%
        // slower, relative to sse-core in the same run (BENCHMARKS.md,
        // "unsafe").
        return Some(unsafe { core::str::from_utf8_unchecked(bytes) });
    }
    validate(bytes)
}

/// [`utf8`] for values that are long or not ASCII.
#[inline(never)]
fn validate(bytes: &[u8]) -> Option<&str> {
    if bytes.len() < 128 {
        core::str::from_utf8(bytes).ok()
    } else {
        simdutf8::basic::from_utf8(bytes).ok()
    }
}

/// Whether `bytes` is at most 256 bytes long and all ASCII: the high bits of
/// all its bytes, OR-ed together eight at a time, are clear.
#[inline(always)]
fn is_short_ascii(bytes: &[u8]) -> bool {
    if bytes.len() > 256 {
        return false;
    }
    let mut any = 0u64;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        any |= u64::from_ne_bytes(w);
    }
    for &byte in words.remainder() {
        any |= u64::from(byte);
    }
    any & 0x8080_8080_8080_8080 == 0
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::utf8;

    const ALL_BYTES: [u8; 256] = {
        let mut all = [0; 256];
        let mut i = 0;
        while i < 256 {
            all[i] = i as u8;
            i += 1;
        }
        all
    };

    /// The ASCII shortcut never accepts a non-ASCII byte: every byte value at
    /// every position of values around the word and length boundaries gets
    /// the same verdict as `core`'s validator.
    #[test]
    fn utf8_agrees_with_core_for_every_byte_at_every_position() {
        for len in [1, 7, 8, 9, 16, 31, 63, 64, 65, 127, 128, 255, 256, 257, 300] {
            let mut value = alloc::vec![b'a'; len];
            for at in [0, len / 2, len - 1] {
                // Miri runs a sample: every value would take it minutes.
                let bytes: &[u8] = if cfg!(miri) {
                    &[0x00, 0x7F, 0x80, 0xBF, 0xC3, 0xFF]
                } else {
                    &ALL_BYTES
                };
                for &byte in bytes {
                    value[at] = byte;
                    assert_eq!(
                        utf8(&value),
                        core::str::from_utf8(&value).ok(),
                        "len {len}, byte {byte:#x} at {at}"
                    );
                }
                value[at] = b'a';
            }
        }
        let text = "é😀\u{2028}".repeat(20);
        assert_eq!(utf8(text.as_bytes()), Some(text.as_str()));
        assert_eq!(utf8(&text.as_bytes()[..5]), None, "a cut character");
    }
}
