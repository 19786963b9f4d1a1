//! `SseReader` and `AsyncSseReader` against the core's allocating `Decoder`
//! fed the whole stream at once: the same items for reads of every size.

use std::convert::Infallible;

use sse_codec_core::{Builder, Error as CoreError, Item};
use sse_codec_embedded::{Error, Memory, SseReader};

const INPUT: usize = 48;
const DATA: usize = 64;
const FIELD: usize = 16;

/// Every rule that chunking can break: a byte order mark, CRLF, CR and LF
/// line ends, comments, `retry`, IDs set and reset, multi-line data, a
/// line longer than the input buffer, data larger than the data buffer, an
/// unterminated event at the end.
const STREAM: &[u8] = b"\xEF\xBB\xBF: hello\r\n\
retry: 1500\r\n\
event: tick\rid: 1\rdata: one\r\r\
data: two\r\ndata:  lines\r\n\r\n\
: keep-alive\n\
data\n\ndata:\n\n\
id\ndata: id reset\n\n\
unknown: field\nData: case\nretry: 12x\nretry: 99999999999999999999999\n\n\
data: a line longer than the forty-seven bytes of input buffer\ndata: dropped\n\nevent: after\ndata: ok\n\n\
data: 0123456789012345678901234567890123456789\ndata: 0123456789012345678901234567890123456789\n\n\
data: recovered \xC3\xA9\n\n\
id: 42\ndata: partial";

/// One item as a line of text, the same for both decoders.
fn show(item: Result<Item<'_>, CoreError>) -> String {
    match item {
        Ok(Item::Event(event)) => format!(
            "event {:?} id {:?} data {:?}",
            String::from_utf8_lossy(event.event_type()),
            String::from_utf8_lossy(event.id()),
            String::from_utf8_lossy(event.data())
        ),
        Ok(Item::Retry(ms)) => format!("retry {ms}"),
        Ok(Item::Comment(text)) => format!("comment {:?}", String::from_utf8_lossy(text)),
        Err(error) => format!("error {error:?}"),
    }
}

fn builder() -> Builder {
    Builder::new().comments(true).max_event_size(DATA)
}

/// What the core's `Decoder` makes of `stream` fed whole, with the limits
/// the readers have, and its last event ID.
fn expected(stream: &[u8]) -> (Vec<String>, String) {
    let mut decoder = builder().max_line_length(INPUT - 1).build();
    let mut seen = Vec::new();
    let mut feed = decoder.feed(stream);
    while let Some(item) = feed.next_item() {
        seen.push(show(item));
    }
    drop(feed);
    decoder.end_of_stream();
    (seen, decoder.last_event_id().into_owned())
}

/// A source that returns `sizes[i % sizes.len()]` bytes at its `i`th read
/// (or what is left, or what fits), and counts its reads.
struct Chunked<'a> {
    rest: &'a [u8],
    sizes: &'a [usize],
    reads: usize,
    /// Reads with an empty buffer (the readers never make any).
    empty_reads: usize,
}

impl<'a> Chunked<'a> {
    fn new(stream: &'a [u8], sizes: &'a [usize]) -> Self {
        Chunked {
            rest: stream,
            sizes,
            reads: 0,
            empty_reads: 0,
        }
    }

    fn read_sync(&mut self, buf: &mut [u8]) -> usize {
        if buf.is_empty() {
            self.empty_reads += 1;
        }
        let size = self.sizes[self.reads % self.sizes.len()];
        self.reads += 1;
        let n = size.min(buf.len()).min(self.rest.len());
        buf[..n].copy_from_slice(&self.rest[..n]);
        self.rest = &self.rest[n..];
        n
    }
}

impl embedded_io::ErrorType for Chunked<'_> {
    type Error = Infallible;
}

impl embedded_io::Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        Ok(self.read_sync(buf))
    }
}

/// Decodes `stream` with an `SseReader` reading `sizes` bytes at a time.
fn decode_sync(stream: &[u8], sizes: &[usize]) -> (Vec<String>, String) {
    let mut memory = Memory::<INPUT, DATA, FIELD>::new();
    let mut reader = SseReader::with_builder(Chunked::new(stream, sizes), builder(), &mut memory);
    let mut seen = Vec::new();
    loop {
        match reader.next() {
            Ok(Some(item)) => seen.push(show(Ok(item))),
            Ok(None) => break,
            Err(Error::Decode(error)) => seen.push(show(Err(error))),
            Err(other) => panic!("{other:?}"),
        }
    }
    assert!(reader.is_ended());
    assert_eq!(reader.get_ref().empty_reads, 0);
    (
        seen,
        String::from_utf8_lossy(reader.last_event_id()).into_owned(),
    )
}

#[test]
fn the_stream_exercises_every_case() {
    let (seen, last_event_id) = expected(STREAM);
    let text = seen.join("\n");
    for needle in [
        "comment \" hello\"",
        "retry 1500",
        "event \"tick\" id \"1\" data \"one\"",
        "data \"two\\n lines\"",
        "event \"message\" id \"\" data \"id reset\"",
        "error LineTooLong { limit: 47 }",
        "event \"after\" id \"\" data \"ok\"",
        "error EventTooLarge { limit: 64 }",
        "data \"recovered é\"",
    ] {
        assert!(text.contains(needle), "{needle} not in\n{text}");
    }
    assert!(!text.contains("partial") && !text.contains("dropped"));
    // The unterminated event's ID never took effect.
    assert_eq!(last_event_id, "");
}

#[test]
fn every_read_size_gives_the_items_of_the_whole_stream() {
    let expected = expected(STREAM);
    for size in 1..=STREAM.len() + 1 {
        assert_eq!(
            decode_sync(STREAM, &[size]),
            expected,
            "reads of {size} bytes"
        );
    }
    // Reads of varying sizes, so that every split of CRLF pairs and lines
    // occurs at many offsets.
    for pattern in [&[1, 2, 3][..], &[7, 1, 1, 5], &[2, 13, 3, 1, 8], &[47, 1]] {
        for skew in 0..pattern.len() {
            let mut sizes = pattern.to_vec();
            sizes.rotate_left(skew);
            assert_eq!(decode_sync(STREAM, &sizes), expected, "reads of {sizes:?}");
        }
    }
}

#[test]
fn every_split_point_of_two_reads() {
    let expected = expected(STREAM);
    for first in 0..=STREAM.len() {
        // A first read of `first` bytes, then the rest in reads as large as
        // the buffer allows.
        let sizes = [first, usize::MAX];
        let mut reader_sizes = sizes.to_vec();
        if first == 0 {
            // A read of 0 bytes is the end of the stream: start with 1 instead.
            reader_sizes[0] = 1;
        }
        assert_eq!(
            decode_sync(STREAM, &reader_sizes),
            expected,
            "split at {first}"
        );
    }
}

#[test]
fn the_end_of_the_source_discards_a_partial_event_and_stays_ended() {
    let mut memory = Memory::<INPUT, DATA, FIELD>::new();
    let source = Chunked::new(b"data: whole\n\nid: 7\ndata: partial\n", &[5]);
    let mut reader = SseReader::new(source, &mut memory);
    let Ok(Some(Item::Event(event))) = reader.next() else {
        panic!("no event")
    };
    assert_eq!(event.data(), b"whole");
    assert!(!reader.is_ended());
    assert_eq!(reader.next(), Ok(None));
    assert!(reader.is_ended());
    let reads = reader.get_ref().reads;
    assert_eq!(reader.next(), Ok(None));
    assert_eq!(reader.get_ref().reads, reads, "read again after the end");
    assert_eq!(reader.last_event_id(), b"");
}

#[test]
fn reconnect_reads_a_new_source_and_keeps_the_last_event_id() {
    let mut memory = Memory::<INPUT, DATA, FIELD>::new();
    let first = Chunked::new(b"retry: 10\nid: 5\ndata: a\n\ndata: cut", &[4]);
    let mut reader = SseReader::new(first, &mut memory);
    assert_eq!(reader.next(), Ok(Some(Item::Retry(10))));
    assert!(matches!(reader.next(), Ok(Some(Item::Event(_)))));
    // Reconnect before the end: the partial "data: cut" is discarded.
    let old = reader.reconnect(Chunked::new(b"\ndata: b\n\n", &[3]));
    assert!(!old.rest.is_empty());
    assert_eq!(reader.last_event_id(), b"5");
    assert_eq!(reader.reconnection_time(), Some(10));
    // The new stream starts with an empty line: nothing is dispatched (the
    // "cut" line is gone), and per the spec the ID is reset.
    let Ok(Some(Item::Event(event))) = reader.next() else {
        panic!("no event")
    };
    assert_eq!((event.data(), event.id()), (&b"b"[..], &b""[..]));
    assert_eq!(reader.next(), Ok(None));

    // After the end, with the ID carried over as browsers do.
    reader.reconnect(Chunked::new(b"data: c\n\n", &[100]));
    assert!(!reader.is_ended());
    reader.set_last_event_id(b"5").unwrap();
    let Ok(Some(Item::Event(event))) = reader.next() else {
        panic!("no event")
    };
    assert_eq!((event.data(), event.id()), (&b"c"[..], &b"5"[..]));
    assert_eq!(
        reader.set_last_event_id(&[b'x'; FIELD + 1]),
        Err(sse_codec_core::BufferFull)
    );
    assert_eq!(reader.last_event_id(), b"");
    assert!(reader.into_inner().rest.is_empty());
}

/// A source that fails at given reads and otherwise reads `step` bytes.
struct Flaky<'a> {
    rest: &'a [u8],
    step: usize,
    reads: usize,
    fail_at: &'a [usize],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Broken;

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("broken")
    }
}

impl std::error::Error for Broken {}

impl embedded_io::Error for Broken {
    fn kind(&self) -> embedded_io::ErrorKind {
        embedded_io::ErrorKind::ConnectionReset
    }
}

impl embedded_io::ErrorType for Flaky<'_> {
    type Error = Broken;
}

impl embedded_io::Read for Flaky<'_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Broken> {
        self.reads += 1;
        if self.fail_at.contains(&self.reads) {
            return Err(Broken);
        }
        let n = self.step.min(buf.len()).min(self.rest.len());
        buf[..n].copy_from_slice(&self.rest[..n]);
        self.rest = &self.rest[n..];
        Ok(n)
    }
}

#[test]
fn a_read_error_is_returned_and_reading_goes_on() {
    let (expected, _) = expected(STREAM);
    for step in [1, 3, 16] {
        let fail_at = [1, 2, 3, 5, 8];
        let mut memory = Memory::<INPUT, DATA, FIELD>::new();
        let source = Flaky {
            rest: STREAM,
            step,
            reads: 0,
            fail_at: &fail_at,
        };
        let mut reader = SseReader::with_builder(source, builder(), &mut memory);
        let (mut seen, mut failures) = (Vec::new(), 0);
        loop {
            match reader.next() {
                Ok(Some(item)) => seen.push(show(Ok(item))),
                Ok(None) => break,
                Err(Error::Decode(error)) => seen.push(show(Err(error))),
                Err(Error::Read(Broken)) => failures += 1,
                Err(other) => panic!("{other:?}"),
            }
        }
        assert_eq!(seen, expected, "reads of {step}");
        assert_eq!(failures, fail_at.len());
    }
}

#[test]
fn lines_are_bounded_by_the_input_buffer_or_a_smaller_builder_limit() {
    let stream = b"data: 0123456789\n\ndata: 01234\n\ndata: ok\n\n";
    // 12 bytes of input: lines of up to 11 bytes.
    let mut memory = Memory::<12, 64, 8>::new();
    let mut reader = SseReader::new(Chunked::new(stream, &[5]), &mut memory);
    assert_eq!(
        reader.next(),
        Err(Error::Decode(CoreError::LineTooLong { limit: 11 }))
    );
    let Ok(Some(Item::Event(event))) = reader.next() else {
        panic!("no event")
    };
    assert_eq!(event.data(), b"01234");
    let Ok(Some(Item::Event(event))) = reader.next() else {
        panic!("no event")
    };
    assert_eq!(event.data(), b"ok");

    // A smaller limit of the builder is kept.
    let mut memory = Memory::<64, 64, 8>::new();
    let builder = Builder::new().max_line_length(10);
    let mut reader = SseReader::with_builder(Chunked::new(stream, &[64]), builder, &mut memory);
    assert_eq!(
        reader.next(),
        Err(Error::Decode(CoreError::LineTooLong { limit: 10 }))
    );
    assert_eq!(
        reader.next(),
        Err(Error::Decode(CoreError::LineTooLong { limit: 10 }))
    );
    assert!(matches!(reader.next(), Ok(Some(Item::Event(_)))));
}

#[test]
fn values_larger_than_their_buffers_are_errors_and_decoding_goes_on() {
    let stream = b"event: a-very-long-event-type\ndata: x\n\nid: 0123456789\n\ndata: y\n\n";
    let mut memory = Memory::<64, 64, 8>::new();
    let mut reader = SseReader::new(Chunked::new(stream, &[1]), &mut memory);
    let event_type = CoreError::BufferFull {
        buffer: "event type",
    };
    assert_eq!(reader.next(), Err(Error::Decode(event_type)));
    let id = CoreError::BufferFull {
        buffer: "last event ID",
    };
    assert_eq!(reader.next(), Err(Error::Decode(id)));
    let Ok(Some(Item::Event(event))) = reader.next() else {
        panic!("no event")
    };
    assert_eq!((event.data(), event.id()), (&b"y"[..], &b""[..]));
}

#[test]
fn an_input_buffer_too_small_for_a_byte_order_mark_is_an_error_not_a_hang() {
    let mut input = [0u8; 2];
    let (mut d, mut t, mut i, mut l) = ([0u8; 8], [0u8; 8], [0u8; 8], [0u8; 8]);
    let buffers = sse_codec_core::Buffers {
        data: sse_codec_core::SliceBuffer::new(&mut d),
        event_type: sse_codec_core::SliceBuffer::new(&mut t),
        id_buffer: sse_codec_core::SliceBuffer::new(&mut i),
        last_event_id: sse_codec_core::SliceBuffer::new(&mut l),
    };
    let source = Chunked::new(b"\xEF\xBB\xBFdata: x\n\n", &[1]);
    let mut reader = SseReader::from_parts(source, Builder::new(), &mut input, buffers);
    assert_eq!(reader.next(), Err(Error::InputFull { capacity: 2 }));
    assert_eq!(reader.next(), Err(Error::InputFull { capacity: 2 }));
    assert_eq!(reader.get_ref().empty_reads, 0);

    // No input buffer at all: never a read into an empty buffer (which
    // would return 0, taken for the end of the stream).
    let mut memory = Memory::<0, 8, 8>::new();
    let mut reader = SseReader::new(Chunked::new(b"data: x\n\n", &[1]), &mut memory);
    assert_eq!(reader.next(), Err(Error::InputFull { capacity: 0 }));
    assert_eq!(reader.get_ref().reads, 0);
}

/// A source that says it read 100 bytes more than it did (more than the
/// buffer it was given).
struct Liar<'a> {
    rest: &'a [u8],
}

impl embedded_io::ErrorType for Liar<'_> {
    type Error = Infallible;
}

impl embedded_io::Read for Liar<'_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        let n = buf.len().min(self.rest.len()).min(3);
        buf[..n].copy_from_slice(&self.rest[..n]);
        self.rest = &self.rest[n..];
        Ok(if n == 0 { 0 } else { n + 100 })
    }
}

#[test]
fn a_source_that_claims_too_much_is_not_believed() {
    let mut memory = Memory::<8, 8, 8>::new();
    let mut reader = SseReader::new(Liar { rest: STREAM }, &mut memory);
    // Garbage in (the buffer's old bytes), but no panic, and an end.
    let mut calls = 0;
    while !matches!(reader.next(), Ok(None)) {
        calls += 1;
        assert!(calls < 10_000, "no end");
    }
    assert!(reader.is_ended());
}

#[test]
fn errors_display_and_have_kinds() {
    use embedded_io::{Error as _, ErrorKind};
    let read: Error<Broken> = Error::Read(Broken);
    assert_eq!(read.to_string(), "read error: Broken");
    assert_eq!(read.kind(), ErrorKind::ConnectionReset);
    let decode: Error<Broken> = Error::Decode(CoreError::LineTooLong { limit: 9 });
    assert_eq!(
        decode.to_string(),
        CoreError::LineTooLong { limit: 9 }.to_string()
    );
    assert_eq!(decode.kind(), ErrorKind::InvalidData);
    let full: Error<Broken> = Error::InputFull { capacity: 2 };
    assert_eq!(full.to_string(), "the input buffer of 2 bytes is too small");
    assert_eq!(full.kind(), ErrorKind::OutOfMemory);
}

#[cfg(feature = "async")]
mod asynchronous {
    use super::*;
    use core::future::Future;
    use core::pin::pin;
    use core::task::{Context, Poll};
    use sse_codec_embedded::AsyncSseReader;
    use std::sync::Arc;
    use std::task::{Wake, Waker};

    struct Noop;

    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }

    /// Polls `future` to completion; counts the polls that were pending.
    fn block_on<F: Future>(future: F) -> (F::Output, usize) {
        let waker = Waker::from(Arc::new(Noop));
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        let mut pending = 0;
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return (out, pending);
            }
            pending += 1;
        }
    }

    /// Pending once, then ready: a read that must wait.
    struct YieldOnce(bool);

    impl Future for YieldOnce {
        type Output = ();
        fn poll(mut self: core::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                Poll::Ready(())
            } else {
                self.0 = true;
                Poll::Pending
            }
        }
    }

    impl embedded_io_async::Read for Chunked<'_> {
        async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
            YieldOnce(false).await;
            Ok(self.read_sync(buf))
        }
    }

    /// The items, and how many reads waited and were made.
    fn decode_async(stream: &[u8], sizes: &[usize]) -> ((Vec<String>, String), usize, usize) {
        let mut memory = Memory::<INPUT, DATA, FIELD>::new();
        let mut reader =
            AsyncSseReader::with_builder(Chunked::new(stream, sizes), builder(), &mut memory);
        let (items, pending) = block_on(async {
            let mut seen = Vec::new();
            loop {
                match reader.next().await {
                    Ok(Some(item)) => seen.push(show(Ok(item))),
                    Ok(None) => break,
                    Err(Error::Decode(error)) => seen.push(show(Err(error))),
                    Err(other) => panic!("{other:?}"),
                }
            }
            assert!(reader.is_ended());
            (
                seen,
                String::from_utf8_lossy(reader.last_event_id()).into_owned(),
            )
        });
        (items, pending, reader.get_ref().reads)
    }

    #[test]
    fn every_read_size_gives_the_items_of_the_whole_stream() {
        let expected = expected(STREAM);
        for size in 1..=STREAM.len() + 1 {
            let (seen, pending, reads) = decode_async(STREAM, &[size]);
            assert_eq!(seen, expected, "reads of {size} bytes");
            // Every read waited once, and the reader went on after it.
            assert_eq!(pending, reads);
        }
        for sizes in [&[1, 2, 3][..], &[7, 1, 1, 5], &[2, 13, 3, 1, 8]] {
            assert_eq!(
                decode_async(STREAM, sizes).0,
                expected,
                "reads of {sizes:?}"
            );
        }
    }

    #[test]
    fn reconnect_and_accessors() {
        let mut memory = Memory::<INPUT, DATA, FIELD>::new();
        let mut reader =
            AsyncSseReader::new(Chunked::new(b"retry: 5\nid: 1\n\n", &[2]), &mut memory);
        let (item, _) = block_on(reader.next());
        assert_eq!(item, Ok(Some(Item::Retry(5))));
        assert_eq!(block_on(reader.next()).0, Ok(None));
        assert_eq!(reader.last_event_id(), b"1");
        assert_eq!(reader.reconnection_time(), Some(5));
        reader.reconnect(Chunked::new(b"data: z\n\n", &[2]));
        reader.set_last_event_id(b"1").unwrap();
        let (item, _) = block_on(reader.next());
        let Ok(Some(Item::Event(event))) = item else {
            panic!("no event")
        };
        assert_eq!((event.data(), event.id()), (&b"z"[..], &b"1"[..]));
        assert_eq!(reader.get_mut().reads, 5);
        assert!(reader.into_inner().rest.is_empty());
    }
}
