//! The reader over an [`embedded_io_async::Read`].

use sse_codec_core::{Buffer, BufferFull, Buffers, Builder, Item, SliceBuffer};

use crate::state::{Poll, State};
use crate::{Error, Memory};

/// Events from an [`embedded_io_async::Read`] source (an Embassy TCP socket),, decoded into
/// caller-provided memory.
///
/// `B` is the decoder's buffer type: [`SliceBuffer`] over [`Memory`] or any
/// memory of yours, or any other [`Buffer`].
///
/// ```
/// use sse_codec_embedded::{AsyncSseReader, Builder, Item, Memory};
/// # fn block_on<F: core::future::Future>(future: F) -> F::Output {
/// #     struct Noop;
/// #     impl std::task::Wake for Noop { fn wake(self: std::sync::Arc<Self>) {} }
/// #     let waker = std::task::Waker::from(std::sync::Arc::new(Noop));
/// #     let mut cx = std::task::Context::from_waker(&waker);
/// #     let mut future = core::pin::pin!(future);
/// #     loop {
/// #         if let core::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) { return out; }
/// #     }
/// # }
/// # block_on(async {
///
/// let source: &[u8] = b": keep-alive\ndata: hi\n\n";
/// let mut memory = Memory::<64, 256, 16>::new();
/// let mut reader = AsyncSseReader::with_builder(source, Builder::new().comments(true), &mut memory);
/// assert_eq!(reader.next().await, Ok(Some(Item::Comment(b" keep-alive"))));
/// let Ok(Some(Item::Event(event))) = reader.next().await else { panic!() };
/// assert_eq!(event.data(), b"hi");
/// assert_eq!(reader.next().await, Ok(None));
/// # });
/// ```
///
/// Over an Embassy `TcpSocket` (`embassy_net::tcp::TcpSocket` implements
/// `embedded_io_async::Read`), after writing the request:
///
/// ```
/// use sse_codec_embedded::{AsyncSseReader, Error, Item, Memory};
///
/// async fn follow<S: embedded_io_async::Read>(socket: S) -> Result<(), Error<S::Error>> {
///     let mut memory = Memory::<512, 2048, 64>::new();
///     let mut events = AsyncSseReader::new(socket, &mut memory);
///     while let Some(item) = events.next().await? {
///         if let Item::Event(event) = item {
///             handle(event.event_type(), event.data());
///         }
///     }
///     Ok(()) // the server closed the connection: reconnect after
///            // `events.reconnection_time()`, sending `events.last_event_id()`
/// }
/// # fn handle(_: &[u8], _: &[u8]) {}
/// ```
#[derive(Debug)]
pub struct AsyncSseReader<'b, R, B = SliceBuffer<'b>> {
    reader: R,
    state: State<'b, B>,
}

impl<'b, R: embedded_io_async::Read> AsyncSseReader<'b, R> {
    /// A reader with the default settings (comments not reported) that
    /// decodes into `memory`.
    pub fn new<const INPUT: usize, const DATA: usize, const FIELD: usize>(
        reader: R,
        memory: &'b mut Memory<INPUT, DATA, FIELD>,
    ) -> Self {
        Self::with_builder(reader, Builder::new(), memory)
    }

    /// A reader with `builder`'s settings that decodes into `memory`.
    pub fn with_builder<const INPUT: usize, const DATA: usize, const FIELD: usize>(
        reader: R,
        builder: Builder,
        memory: &'b mut Memory<INPUT, DATA, FIELD>,
    ) -> Self {
        let (input, buffers) = memory.split();
        AsyncSseReader::from_parts(reader, builder, input, buffers)
    }
}

impl<'b, R: embedded_io_async::Read, B: Buffer> AsyncSseReader<'b, R, B> {
    /// A reader with `builder`'s settings that reads into `input` and
    /// decodes into `buffers`. The maximum line length is lowered to
    /// `input.len() - 1` if it is larger.
    pub fn from_parts(
        reader: R,
        builder: Builder,
        input: &'b mut [u8],
        buffers: Buffers<B>,
    ) -> Self {
        AsyncSseReader {
            reader,
            state: State::new(builder, input, buffers),
        }
    }

    /// The next item: reads from the source until the input completes one.
    /// `Ok(None)` when the source ended (a read returned 0 bytes); an event
    /// without its closing empty line is then discarded, as the spec says,
    /// and every later call returns `Ok(None)` too, until
    /// [`reconnect`](Self::reconnect).
    ///
    /// # Errors
    /// [`Error::Read`] from the source (call again to retry the read);
    /// [`Error::Decode`] when a limit was exceeded (the event is dropped and
    /// the next call goes on); [`Error::InputFull`] if the input buffer is
    /// under 3 bytes.
    pub async fn next(&mut self) -> Result<Option<Item<'_>>, Error<R::Error>> {
        let mut state = &mut self.state;
        loop {
            state = match state.poll() {
                Poll::Done(result) => return result.map_err(|stop| stop.into_error()),
                Poll::Read(state) => state,
            };
            let n = self.reader.read(state.room()).await.map_err(Error::Read)?;
            state.filled(n);
        }
    }

    /// Replaces the source with `reader`, a new connection, and returns the
    /// old one. What was left of the old stream is discarded as at its end;
    /// the last event ID and the reconnection time are kept. Per the spec,
    /// the new stream's first empty line resets the last event ID unless
    /// the stream sends an `id` first; browsers keep it instead: call
    /// [`set_last_event_id`](Self::set_last_event_id) after this method to
    /// do as they do.
    pub fn reconnect(&mut self, reader: R) -> R {
        self.state.reconnect();
        core::mem::replace(&mut self.reader, reader)
    }

    /// Whether the source ended (a read returned 0 bytes).
    pub fn is_ended(&self) -> bool {
        self.state.ended()
    }

    /// The last event ID: what a reconnecting client sends as
    /// `Last-Event-ID`.
    pub fn last_event_id(&self) -> &[u8] {
        self.state.decoder().last_event_id()
    }

    /// Sets the last event ID, as if the stream had sent `id: <id>` and an
    /// empty line.
    ///
    /// # Errors
    /// [`BufferFull`] when the last event ID buffer cannot hold `id`; the
    /// ID is then left empty.
    pub fn set_last_event_id(&mut self, id: &[u8]) -> Result<(), BufferFull> {
        self.state.decoder_mut().set_last_event_id(id)
    }

    /// The reconnection time from the last valid `retry` field, in
    /// milliseconds.
    pub fn reconnection_time(&self) -> Option<u64> {
        self.state.decoder().reconnection_time()
    }

    /// The source.
    pub fn get_ref(&self) -> &R {
        &self.reader
    }

    /// The source, to write to it (a request) or to configure it.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.reader
    }

    /// The source, giving up the reader.
    pub fn into_inner(self) -> R {
        self.reader
    }
}
