//! Storage for the decoder's buffers: the data buffer, the event type buffer
//! and the last event ID.
//!
//! [`RawDecoder`](crate::RawDecoder) is generic over [`Buffer`] so that it
//! runs without an allocator ([`SliceBuffer`] over caller-provided memory),
//! with one (`Vec<u8>`), or over `bytes::Bytes` without copying.

/// The buffer is full: a value did not fit in a fixed-capacity [`Buffer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BufferFull;

/// A growable byte buffer that may have a fixed capacity.
///
/// Implemented for `Vec<u8>` (with `alloc`) and [`SliceBuffer`]; implement it
/// for any other storage (a `heapless::Vec`, a static arena).
pub trait Buffer {
    /// The bytes held.
    fn as_bytes(&self) -> &[u8];
    /// Empties the buffer.
    fn clear(&mut self);
    /// Appends all of `bytes`, or nothing and `Err(BufferFull)` when they do
    /// not fit.
    ///
    /// # Errors
    /// [`BufferFull`] when the buffer cannot hold `bytes` in addition to what
    /// it holds.
    fn try_extend(&mut self, bytes: &[u8]) -> Result<(), BufferFull>;
}

/// A [`Buffer`] over caller-provided memory, for use without an allocator.
///
/// ```
/// use sse_codec_core::{Buffer, SliceBuffer};
/// let mut memory = [0u8; 4];
/// let mut buf = SliceBuffer::new(&mut memory);
/// buf.try_extend(b"abc").unwrap();
/// assert!(buf.try_extend(b"de").is_err());
/// assert_eq!(buf.as_bytes(), b"abc");
/// ```
#[derive(Debug)]
pub struct SliceBuffer<'a> {
    memory: &'a mut [u8],
    len: usize,
}

impl<'a> SliceBuffer<'a> {
    /// An empty buffer whose capacity is `memory.len()`.
    pub fn new(memory: &'a mut [u8]) -> Self {
        SliceBuffer { memory, len: 0 }
    }

    /// The capacity in bytes.
    pub fn capacity(&self) -> usize {
        self.memory.len()
    }
}

impl Buffer for SliceBuffer<'_> {
    #[inline]
    #[allow(
        clippy::indexing_slicing,
        reason = "`len` never exceeds `memory.len()`: `try_extend` only grows it within the slice"
    )]
    fn as_bytes(&self) -> &[u8] {
        &self.memory[..self.len]
    }

    #[inline]
    fn clear(&mut self) {
        self.len = 0;
    }

    #[inline]
    fn try_extend(&mut self, bytes: &[u8]) -> Result<(), BufferFull> {
        let end = self.len.checked_add(bytes.len()).ok_or(BufferFull)?;
        let dest = self.memory.get_mut(self.len..end).ok_or(BufferFull)?;
        dest.copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }
}

#[cfg(feature = "alloc")]
impl Buffer for alloc::vec::Vec<u8> {
    #[inline]
    fn as_bytes(&self) -> &[u8] {
        self
    }

    #[inline]
    fn clear(&mut self) {
        alloc::vec::Vec::clear(self);
    }

    #[inline]
    fn try_extend(&mut self, bytes: &[u8]) -> Result<(), BufferFull> {
        self.extend_from_slice(bytes);
        Ok(())
    }
}

#[cfg(feature = "bytes")]
pub(crate) use self::shared::SharedBuffer;

#[cfg(feature = "bytes")]
mod shared {
    use super::{Buffer, BufferFull};
    use bytes::{Bytes, BytesMut};

    /// A buffer that, when its whole content is one value taken from the
    /// current input chunk, holds where in the chunk it is instead of a copy,
    /// and makes it a `Bytes` slice of the chunk only when an event takes it
    /// (a value that is copied after all, as the first of several data
    /// lines is, then costs no reference count). A value still in the chunk
    /// when the decoder is done with it is copied then
    /// ([`release_source`](SharedBuffer::release_source)): only events
    /// share input chunks, never the decoder's own state.
    /// Copied values are assembled in a `BytesMut` and split off it when an
    /// event takes them, so that the next values go on in the same
    /// allocation, which is reclaimed once the events that share it are
    /// dropped: copying costs no allocation per event.
    #[derive(Debug, Default)]
    pub(crate) struct SharedBuffer {
        /// The input chunk the decoder reads values from, once it handed it
        /// over (it does so only when a line is read from the chunk itself),
        /// until it is done with it; `None` otherwise (cheaper to replace
        /// than an empty `Bytes`, whose drop is a call). `Value::InSource`
        /// ranges are ranges of it.
        source: Option<Bytes>,
        value: Value,
        /// Room for the next copied value: what is left of the allocation
        /// the last copied values were split from.
        spare: BytesMut,
    }

    #[derive(Debug, Default)]
    enum Value {
        #[default]
        Empty,
        /// `source[range]`.
        InSource(core::ops::Range<usize>),
        Shared(Bytes),
        Owned(BytesMut),
    }

    /// The most room reserved ahead for copied values.
    const ROOM_MAX: usize = 4096;

    impl SharedBuffer {
        /// Makes `source` the chunk that values may be ranges of. The
        /// decoder calls [`release_source`](Self::release_source) when it is
        /// done with a chunk, so a value is in an earlier source here only
        /// if it was not; it is then sliced, to stay right.
        #[inline]
        pub(crate) fn set_source(&mut self, source: &Bytes) {
            if let Value::InSource(range) = &self.value {
                self.value = Value::Shared(self.source_slice(range.clone()));
            }
            self.source = Some(source.clone());
        }

        /// The source's bytes (none without a source).
        #[inline]
        fn source(&self) -> &[u8] {
            self.source.as_deref().unwrap_or_default()
        }

        /// `source[range]` as `Bytes`.
        #[inline]
        fn source_slice(&self, range: core::ops::Range<usize>) -> Bytes {
            self.source
                .as_ref()
                .map_or_else(Bytes::new, |source| source.slice(range))
        }

        /// Lets go of the source chunk: the decoder is done with it. A value
        /// that is a range of it is copied first (into the spare room, so
        /// usually without an allocation): it outlives the chunk (the last
        /// event ID, or part of an event that later chunks complete), and a
        /// slice would keep the whole chunk, however large, alive with it.
        /// Such values are bounded by the limits, and small in practice (an
        /// ID, an event type, at most one data line per chunk).
        #[inline]
        pub(crate) fn release_source(&mut self) {
            if let Value::InSource(_) = self.value {
                self.own_value();
            }
            self.source = None;
        }

        /// Copies a value that is a range of the source.
        #[cold]
        #[inline(never)]
        #[allow(
            clippy::indexing_slicing,
            reason = "`InSource` ranges lie within the current source: `set_source` turns them into owned values before it replaces the source"
        )]
        fn own_value(&mut self) {
            if let Value::InSource(range) = &self.value {
                let range = range.clone();
                let mut owned = self.room_for(range.len());
                owned.extend_from_slice(&self.source()[range]);
                self.value = Value::Owned(owned);
            }
        }

        /// The content as `Bytes`, without copying when it is shared; an
        /// owned content is split off (once) so that later calls are cheap too.
        #[inline]
        pub(crate) fn share(&mut self) -> Bytes {
            match &mut self.value {
                Value::Empty => Bytes::new(),
                Value::InSource(range) => match &self.source {
                    Some(source) => source.slice(range.clone()),
                    None => Bytes::new(),
                },
                Value::Shared(bytes) => bytes.clone(),
                Value::Owned(owned) => {
                    let bytes = owned.split().freeze();
                    self.spare = core::mem::take(owned);
                    self.value = Value::Shared(bytes.clone());
                    bytes
                }
            }
        }

        /// The content as `Bytes`, leaving the buffer empty.
        #[inline]
        pub(crate) fn take(&mut self) -> Bytes {
            match core::mem::take(&mut self.value) {
                Value::Empty => Bytes::new(),
                Value::InSource(range) => self.source_slice(range),
                Value::Shared(bytes) => bytes,
                Value::Owned(mut owned) => {
                    let bytes = owned.split().freeze();
                    self.spare = owned;
                    bytes
                }
            }
        }

        /// Where `bytes` is in the source, if it is part of it.
        #[inline]
        fn range_in_source(&self, bytes: &[u8]) -> Option<core::ops::Range<usize>> {
            let source = self.source.as_ref()?;
            let start = (bytes.as_ptr() as usize).checked_sub(source.as_ptr() as usize)?;
            let end = start.checked_add(bytes.len())?;
            (end <= source.len()).then_some(start..end)
        }

        /// An empty `BytesMut` with room for `len` bytes: the spare room,
        /// reclaimed if the events split from it are gone, or a new
        /// allocation with some room ahead.
        #[inline]
        fn room_for(&mut self, len: usize) -> BytesMut {
            let mut owned = core::mem::take(&mut self.spare);
            owned.clear();
            if owned.capacity() < len && !owned.try_reclaim(len) {
                owned.reserve(len.max(len.saturating_mul(8).min(ROOM_MAX)));
            }
            owned
        }

        /// [`Buffer::try_extend`] unless the value is an owned one that
        /// holds bytes already.
        #[inline(never)]
        #[allow(
            clippy::arithmetic_side_effects,
            clippy::indexing_slicing,
            reason = "`InSource` ranges lie within the current source; the two lengths are of values in memory, bounded by the decoder's limits"
        )]
        fn extend_other(&mut self, bytes: &[u8]) {
            if bytes.is_empty() {
                return;
            }
            let empty = match &self.value {
                Value::Empty => true,
                Value::Owned(owned) => owned.is_empty(),
                Value::InSource(_) | Value::Shared(_) => false,
            };
            if empty {
                if let Some(range) = self.range_in_source(bytes) {
                    if let Value::Owned(room) =
                        core::mem::replace(&mut self.value, Value::InSource(range))
                    {
                        self.spare = room;
                    }
                    return;
                }
            }
            // A value in the source or shared is copied in front of the new
            // bytes (a shared one moves out: no reference-count round trip).
            let owned = match core::mem::take(&mut self.value) {
                Value::Owned(mut owned) => {
                    owned.extend_from_slice(bytes);
                    owned
                }
                Value::Empty => {
                    let mut owned = self.room_for(bytes.len());
                    owned.extend_from_slice(bytes);
                    owned
                }
                Value::InSource(range) => {
                    let mut owned = self.room_for(range.len() + bytes.len());
                    owned.extend_from_slice(&self.source()[range]);
                    owned.extend_from_slice(bytes);
                    owned
                }
                Value::Shared(shared) => {
                    let mut owned = self.room_for(shared.len() + bytes.len());
                    owned.extend_from_slice(&shared);
                    owned.extend_from_slice(bytes);
                    owned
                }
            };
            self.value = Value::Owned(owned);
        }
    }

    impl Buffer for SharedBuffer {
        #[inline]
        #[allow(
            clippy::indexing_slicing,
            reason = "`len` never exceeds `memory.len()`: `try_extend` only grows it within the slice"
        )]
        fn as_bytes(&self) -> &[u8] {
            match &self.value {
                Value::Empty => &[],
                Value::InSource(range) => &self.source()[range.clone()],
                Value::Shared(bytes) => bytes,
                Value::Owned(bytes) => bytes,
            }
        }

        #[inline]
        fn clear(&mut self) {
            match &mut self.value {
                Value::Owned(bytes) => bytes.clear(),
                other => *other = Value::Empty,
            }
        }

        #[inline]
        fn try_extend(&mut self, bytes: &[u8]) -> Result<(), BufferFull> {
            // The common case (the second and later lines of multi-line
            // data) in place: moving the value out and back costs more than
            // the copy of a short line.
            if let Value::Owned(owned) = &mut self.value {
                if !owned.is_empty() {
                    owned.extend_from_slice(bytes);
                    return Ok(());
                }
            }
            self.extend_other(bytes);
            Ok(())
        }
    }
}
