//! What the blocking and the async reader share: the decoder, the input
//! buffer, and the loop that decodes what is buffered and asks for more.

use polonius_the_crab::{polonius, WithLifetime};
use sse_codec_core::{Buffer, BufferFull, Buffers, Builder, Item, RawDecoder};

use crate::Error;

/// The decoder and the input buffer: `input[start..end]` is the input not
/// yet consumed by the decoder.
#[derive(Debug)]
pub(crate) struct State<'b, B> {
    decoder: RawDecoder<B>,
    input: &'b mut [u8],
    start: usize,
    end: usize,
    /// The source ended: the decoder was told, nothing more is read.
    eof: bool,
}

/// Why [`State::decode_buffered`] returned no item: both own nothing.
enum NoItem {
    NeedMore,
    Error(sse_codec_core::Error),
}

/// `Item<'_>` as a type of a lifetime, for `polonius`.
struct ItemOf;

impl<'lt> WithLifetime<'lt> for ItemOf {
    type T = Item<'lt>;
}

/// What [`State::poll`] found.
pub(crate) enum Poll<'s, 'b, B> {
    /// Return this.
    Done(Result<Option<Item<'s>>, Stop>),
    /// Read into [`State::room`], then call [`State::filled`].
    Read(&'s mut State<'b, B>),
}

/// A failure that is not the source's.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Stop {
    Decode(sse_codec_core::Error),
    InputFull { capacity: usize },
}

impl Stop {
    pub(crate) fn into_error<E>(self) -> Error<E> {
        match self {
            Stop::Decode(error) => Error::Decode(error),
            Stop::InputFull { capacity } => Error::InputFull { capacity },
        }
    }
}

/// A buffer that holds nothing: to learn the maximum line length a
/// [`Builder`] sets, from a decoder built over it.
struct Probe;

impl Buffer for Probe {
    fn as_bytes(&self) -> &[u8] {
        &[]
    }
    fn clear(&mut self) {}
    fn try_extend(&mut self, _: &[u8]) -> Result<(), BufferFull> {
        Err(BufferFull)
    }
}

impl<'b, B: Buffer> State<'b, B> {
    /// A decoder with `builder`'s settings over `buffers`, its maximum line
    /// length lowered to `input.len() - 1` if it is larger: a partial line
    /// then always fits in the input buffer with room to read more.
    pub(crate) fn new(builder: Builder, input: &'b mut [u8], buffers: Buffers<B>) -> Self {
        let probe = Buffers {
            data: Probe,
            event_type: Probe,
            id_buffer: Probe,
            last_event_id: Probe,
        };
        let max = builder.build_raw(probe).parser().max_line_length();
        let builder = builder.max_line_length(max.min(input.len().saturating_sub(1)));
        State {
            decoder: builder.build_raw(buffers),
            input,
            start: 0,
            end: 0,
            eof: false,
        }
    }

    pub(crate) fn decoder(&self) -> &RawDecoder<B> {
        &self.decoder
    }

    pub(crate) fn decoder_mut(&mut self) -> &mut RawDecoder<B> {
        &mut self.decoder
    }

    /// The next item from the buffered input alone.
    #[allow(
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing,
        reason = "`start <= end <= input.len()` hold for the buffered bytes, and the decoder consumes at most the slice it is given"
    )]
    fn decode_buffered(&mut self) -> Result<Item<'_>, NoItem> {
        let (used, result) = self.decoder.decode(&self.input[self.start..self.end]);
        self.start += used;
        match result {
            Ok(Some(item)) => Ok(item),
            Ok(None) => Err(NoItem::NeedMore),
            Err(error) => Err(NoItem::Error(error)),
        }
    }

    /// The next item from the buffered input, or the state back when more
    /// input must be read first (there is then room for it).
    #[allow(
        clippy::arithmetic_side_effects,
        reason = "`start <= end`: `start` only advances within the buffered bytes"
    )]
    pub(crate) fn poll(&mut self) -> Poll<'_, 'b, B> {
        // `polonius` returns the item borrowed from `self`, or gives `self`
        // back when there is none: today's borrow checker cannot tell the
        // two paths apart (Polonius, the next one, can).
        let this = match polonius::<ItemOf, _, _, _>(self, |state| state.decode_buffered()) {
            Ok(item) => return Poll::Done(Ok(Some(item))),
            Err((_, NoItem::Error(error))) => return Poll::Done(Err(Stop::Decode(error))),
            Err((this, NoItem::NeedMore)) => this,
        };
        if this.eof {
            return Poll::Done(Ok(None));
        }
        // Keep only the unconsumed input (at most a partial line), at the
        // front: each byte is moved at most once per line consumed before it.
        if this.start > 0 {
            this.input.copy_within(this.start..this.end, 0);
            this.end -= this.start;
            this.start = 0;
        }
        if this.end == this.input.len() {
            // A partial line fills the buffer: only a partial byte order
            // mark can, and only in a buffer of under 3 bytes, since longer
            // lines are over the maximum line length and consumed.
            let capacity = this.input.len();
            return Poll::Done(Err(Stop::InputFull { capacity }));
        }
        Poll::Read(this)
    }

    /// Where to read more input: never empty after [`State::poll`] said
    /// [`Poll::Read`].
    pub(crate) fn room(&mut self) -> &mut [u8] {
        let end = self.end;
        self.input.get_mut(end..).unwrap_or_default()
    }

    /// `n` bytes were read into [`State::room`]; 0 means the source ended:
    /// the decoder is told (a partial event is discarded, as the spec says)
    /// and nothing more is read until [`State::reconnect`].
    pub(crate) fn filled(&mut self, n: usize) {
        if n == 0 {
            self.decoder.end_of_stream();
            self.start = 0;
            self.end = 0;
            self.eof = true;
        } else {
            // A source that claims more than it was given is not believed.
            self.end = self.end.saturating_add(n).min(self.input.len());
        }
    }

    /// A new source (a new connection): what is left of the old one is
    /// discarded as at its end, and reading starts again. The last event
    /// ID and the reconnection time are kept.
    pub(crate) fn reconnect(&mut self) {
        if !self.eof {
            self.decoder.end_of_stream();
        }
        self.start = 0;
        self.end = 0;
        self.eof = false;
    }

    /// Whether the source ended.
    pub(crate) fn ended(&self) -> bool {
        self.eof
    }
}
