//! SseCodec, EventStream and the server streams with mocked I/O.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use sse_codec_core::{Builder, Decoder as CoreDecoder, Error, Event, EventRef, Frame, OwnedItem};
use sse_codec_tokio::{EventStream, EventStreamError, KeepAlive, Message, SseCodec, SseStream};
use tokio::io::{AsyncRead, ReadBuf};
use tokio_util::codec::{Decoder, Encoder, FramedRead};

/// An `AsyncRead` that returns the given chunks, one per read.
struct Chunks(Vec<Vec<u8>>);

impl AsyncRead for Chunks {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.0.is_empty() {
            let chunk = self.0.remove(0);
            assert!(
                chunk.len() <= buf.remaining(),
                "test chunks fit the read buffer"
            );
            buf.put_slice(&chunk);
        }
        Poll::Ready(Ok(()))
    }
}

/// A stream over a list of items.
struct Iter<T>(std::vec::IntoIter<T>);

impl<T> Unpin for Iter<T> {}

impl<T> Stream for Iter<T> {
    type Item = T;
    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<T>> {
        Poll::Ready(self.0.next())
    }
}

async fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
}

async fn collect<S: Stream + Unpin>(mut stream: S) -> Vec<S::Item> {
    let mut items = Vec::new();
    while let Some(item) = next(&mut stream).await {
        items.push(item);
    }
    items
}

const STREAM: &[u8] = b"\xEF\xBB\xBFretry: 100\r\n: hi\r\nevent: a\r\nid: 1\r\ndata: x\r\ndata: y\r\r\ndata: \xc3\xa9\n\nid: 2\n\ndata: last\n\ndata: unterminated";

fn core_items(builder: Builder, input: &[u8]) -> Vec<Result<OwnedItem, Error>> {
    let mut decoder: CoreDecoder = builder.build();
    decoder.feed(input).collect()
}

fn splits(input: &[u8]) -> impl Iterator<Item = Vec<Vec<u8>>> + '_ {
    (0..=input.len())
        .map(move |i| vec![input[..i].to_vec(), input[i..].to_vec()])
        .chain([input.iter().map(|&b| vec![b]).collect()])
}

#[tokio::test]
async fn framed_read_gives_the_core_items_for_every_split_of_the_reads() {
    let builder = Builder::new().comments(true);
    let expected = core_items(builder, STREAM);
    assert_eq!(expected.len(), 5);
    for chunks in splits(STREAM) {
        // An empty read would mean end of input.
        let reads = chunks.iter().filter(|c| !c.is_empty()).cloned().collect();
        let framed = FramedRead::new(Chunks(reads), SseCodec::with_builder(builder));
        let items: Vec<_> = collect(framed)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(items, expected, "{chunks:?}");
    }
}

#[tokio::test]
async fn event_stream_gives_the_core_items_for_every_split_of_the_chunks() {
    let builder = Builder::new().comments(true);
    let expected = core_items(builder, STREAM);
    for chunks in splits(STREAM) {
        let source = Iter(
            chunks
                .into_iter()
                .map(|c| Ok::<_, io::Error>(Bytes::from(c)))
                .collect::<Vec<_>>()
                .into_iter(),
        );
        let items: Vec<_> = collect(EventStream::with_builder(source, builder))
            .await
            .into_iter()
            .map(|item| item.map_err(|e| format!("{e}")))
            .collect();
        let expected: Vec<_> = expected
            .iter()
            .cloned()
            .map(|i| i.map_err(|e| format!("{e}")))
            .collect();
        assert_eq!(items, expected);
    }
}

#[test]
fn cr_then_lf_across_reads_is_one_line_break() {
    let mut codec = SseCodec::new();
    let mut buf = BytesMut::from(&b"data: a\r"[..]);
    assert_eq!(codec.decode(&mut buf).unwrap(), None);
    buf.extend_from_slice(b"\n");
    assert_eq!(
        codec.decode(&mut buf).unwrap(),
        None,
        "CRLF is one line end, not an empty line"
    );
    buf.extend_from_slice(b"\r\n");
    let item = codec.decode(&mut buf).unwrap().unwrap().unwrap();
    assert_eq!(item, OwnedItem::Event(Event::new("a")));
}

#[test]
fn eof_in_the_middle_of_an_event_discards_it_without_an_error() {
    let mut codec = SseCodec::new();
    let mut buf = BytesMut::from(&b"data: done\n\ndata: half\ndata: line"[..]);
    let first = codec.decode_eof(&mut buf).unwrap();
    assert_eq!(first, Some(Ok(OwnedItem::Event(Event::new("done")))));
    assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
    assert!(buf.is_empty());
    // The codec is ready for the next stream.
    let mut buf = BytesMut::from(&b"\xEF\xBB\xBFdata: next\n\n"[..]);
    assert_eq!(
        codec.decode_eof(&mut buf).unwrap(),
        Some(Ok(OwnedItem::Event(Event::new("next"))))
    );
}

#[test]
fn limit_errors_are_items_and_the_next_event_decodes() {
    let mut codec = SseCodec::with_builder(Builder::new().max_line_length(16));
    let mut buf = BytesMut::new();
    let mut items = Vec::new();
    for piece in [
        &b"data: ok\n\ndata: "[..],
        &[b'x'; 100],
        &[b'y'; 100],
        b"\n\ndata: after\n\n",
    ] {
        buf.extend_from_slice(piece);
        while let Some(item) = codec.decode(&mut buf).unwrap() {
            items.push(item);
        }
        assert!(
            buf.len() <= 16 + 100,
            "the read buffer stays bounded: {}",
            buf.len()
        );
    }
    assert_eq!(
        items,
        [
            Ok(OwnedItem::Event(Event::new("ok"))),
            Err(Error::LineTooLong { limit: 16 }),
            Ok(OwnedItem::Event(Event::new("after"))),
        ]
    );
}

#[test]
fn single_line_data_is_sliced_from_the_read_buffer() {
    let mut codec = SseCodec::new();
    let mut buf = BytesMut::from(&b"data: zero-copy\n\n"[..]);
    let start = buf.as_ptr() as usize;
    let Some(Ok(OwnedItem::Event(event))) = codec.decode(&mut buf).unwrap() else {
        panic!()
    };
    let data = event.data_bytes();
    assert_eq!(data, "zero-copy");
    assert_eq!(data.as_ptr() as usize, start + 6);
}

#[test]
fn encoder_writes_events_frames_and_tracks_ids() {
    let mut codec = SseCodec::new();
    let mut out = BytesMut::new();
    codec
        .encode(EventRef::new("a\rb").with_event_type("t"), &mut out)
        .unwrap();
    codec
        .encode(Event::new("x").with_id("1"), &mut out)
        .unwrap();
    codec
        .encode(&Event::new("y").with_id("1"), &mut out)
        .unwrap();
    codec.encode(Frame::keep_alive(), &mut out).unwrap();
    assert_eq!(
        &out[..],
        b"event: t\ndata: a\ndata: b\n\nid: 1\ndata: x\n\ndata: y\n\n:\n"
    );
    let written = out.len();
    let refused = codec.encode(EventRef::new("x").with_id("1\n2"), &mut out);
    assert!(matches!(refused, Err(sse_codec_tokio::Error::Encode(_))));
    assert_eq!(out.len(), written, "nothing written on refusal");
    // And it decodes back.
    let items: Vec<_> = core_items(Builder::new(), &out)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        items,
        [
            OwnedItem::Event(Event::new("a\nb").with_event_type("t")),
            OwnedItem::Event(Event::new("x").with_id("1")),
            OwnedItem::Event(Event::new("y").with_id("1")),
        ]
    );
}

#[tokio::test]
async fn event_stream_source_errors_are_reported_and_do_not_end_it() {
    let source = Iter(
        vec![
            Ok(Bytes::from("data: a\n\n")),
            Err("reset"),
            Ok(Bytes::from("data: b\n\n")),
        ]
        .into_iter(),
    );
    let items = collect(EventStream::new(source)).await;
    assert!(matches!(
        &items[..],
        [
            Ok(OwnedItem::Event(_)),
            Err(EventStreamError::Source("reset")),
            Ok(OwnedItem::Event(_))
        ]
    ));
}

#[tokio::test]
async fn event_stream_last_event_id_is_that_of_the_last_event_handed_out() {
    // Both events arrive in one chunk: what to send as `Last-Event-ID`
    // after taking the first is the first's ID, or a reconnection would
    // skip the second.
    let source = Iter(
        vec![Ok::<_, io::Error>(Bytes::from(
            "id: 1\ndata: a\n\nid: 2\ndata: b\n\n",
        ))]
        .into_iter(),
    );
    let mut events = EventStream::new(source);
    let Some(Ok(OwnedItem::Event(first))) = next(&mut events).await else {
        panic!("an event")
    };
    assert_eq!((first.id(), &*events.last_event_id()), ("1", "1"));
    let (_, decoder) = events.into_parts();
    assert_eq!(decoder.last_event_id(), "1");
    assert!(
        decoder.is_mid_event(),
        "the second event is not decoded yet"
    );
}

#[test]
fn codec_last_event_id_is_that_of_the_last_event_handed_out() {
    let mut codec = SseCodec::new();
    let mut src = BytesMut::from(&b"id: 1\ndata: a\n\nid: 2\ndata: b\n\n"[..]);
    let Some(Ok(OwnedItem::Event(first))) = codec.decode(&mut src).unwrap() else {
        panic!("an event")
    };
    assert_eq!((first.id(), &*codec.last_event_id()), ("1", "1"));
    let Some(Ok(OwnedItem::Event(second))) = codec.decode(&mut src).unwrap() else {
        panic!("an event")
    };
    assert_eq!((second.id(), &*codec.last_event_id()), ("2", "2"));
    assert!(codec.decode(&mut src).unwrap().is_none());
}

/// A stream that yields its items at the given instants (paused test time).
struct Timed(
    Vec<(Duration, Message)>,
    Option<Pin<Box<tokio::time::Sleep>>>,
    tokio::time::Instant,
);

impl Unpin for Timed {}

impl Stream for Timed {
    type Item = Message;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        let this = &mut *self;
        let Some((at, _)) = this.0.first() else {
            return Poll::Ready(None);
        };
        let deadline = this.2 + *at;
        let sleep = this
            .1
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        this.1 = None;
        Poll::Ready(Some(this.0.remove(0).1))
    }
}

use std::future::Future;

#[tokio::test(start_paused = true)]
async fn keep_alive_fills_idle_gaps_and_is_reset_by_events() {
    let start = tokio::time::Instant::now();
    let ms = Duration::from_millis;
    let source = Timed(
        vec![
            (ms(100), Event::new("a").into()),
            (ms(250), Event::new("b").into()),
            (ms(600), Event::new("c").into()),
        ],
        None,
        start,
    );
    let mut body = SseStream::new(source).keep_alive(ms(200)).retry(50);
    let mut seen = Vec::new();
    while let Some(bytes) = next(&mut body).await {
        let elapsed = start.elapsed().as_millis();
        seen.push((elapsed, String::from_utf8(bytes.unwrap().to_vec()).unwrap()));
    }
    let expected: Vec<(u128, String)> = [
        (0, "retry: 50\n\n"),
        (100, "data: a\n\n"),
        (250, "data: b\n\n"),
        (450, ":\n"),
        (600, "data: c\n\n"),
    ]
    .into_iter()
    .map(|(t, s)| (t, s.to_owned()))
    .collect();
    assert_eq!(seen, expected);
}

#[tokio::test(start_paused = true)]
async fn keep_alive_combinator_on_frames() {
    let start = tokio::time::Instant::now();
    let source = Timed(
        vec![(Duration::from_secs(40), Event::new("late").into())],
        None,
        start,
    );
    let frames = KeepAlive::new(source, Duration::from_secs(15));
    let items = collect(frames).await;
    assert_eq!(
        items,
        [
            Message::Frame(Frame::keep_alive()),
            Message::Frame(Frame::keep_alive()),
            Message::Event(Event::new("late")),
        ]
    );
    assert_eq!(start.elapsed(), Duration::from_secs(40));
}

#[tokio::test(start_paused = true)]
async fn keep_alive_intervals_at_the_extremes_do_not_panic_or_spin() {
    let start = tokio::time::Instant::now();
    let late = || {
        Timed(
            vec![(Duration::from_secs(1), Event::new("late").into())],
            None,
            start,
        )
    };
    // `Duration::MAX` never fires: only the event comes out.
    let body = SseStream::new(late()).keep_alive(Duration::MAX);
    let out: Vec<_> = collect_bytes(body).await;
    assert_eq!(out, ["data: late\n\n"]);
    let frames = collect(KeepAlive::new(late(), Duration::MAX)).await;
    assert_eq!(frames, [Message::Event(Event::new("late"))]);
    // Zero and one nanosecond count as one millisecond: one keep-alive per
    // millisecond of silence, not an endless burst.
    for interval in [Duration::ZERO, Duration::from_nanos(1)] {
        let start = tokio::time::Instant::now();
        let source = Timed(
            vec![(Duration::from_millis(10), Event::new("x").into())],
            None,
            start,
        );
        let out = collect_bytes(SseStream::new(source).keep_alive(interval)).await;
        let keep_alives = out.iter().filter(|s| *s == ":\n").count();
        assert!((9..=10).contains(&keep_alives), "{interval:?}: {out:?}");
        assert_eq!(out.last().map(String::as_str), Some("data: x\n\n"));
        let frames = collect(KeepAlive::new(
            Timed(
                vec![(Duration::from_millis(10), Event::new("x").into())],
                None,
                tokio::time::Instant::now(),
            ),
            interval,
        ))
        .await;
        assert!((9..=11).contains(&frames.len()), "{interval:?}: {frames:?}");
    }
}

/// Every chunk of an encoded body, as text.
async fn collect_bytes<S>(mut body: S) -> Vec<String>
where
    S: futures_core::Stream<Item = Result<bytes::Bytes, std::convert::Infallible>> + Unpin,
{
    let mut out = Vec::new();
    while let Some(bytes) = next(&mut body).await {
        out.push(String::from_utf8(bytes.unwrap().to_vec()).unwrap());
    }
    out
}

#[test]
fn a_caller_that_swaps_in_a_shorter_buffer_gets_it_scanned_anew() {
    // `FramedRead` only appends to its buffer; a caller driving the codec by
    // hand may not. The scan position of the first buffer must not be used
    // to slice the second (it panicked before).
    let mut codec = SseCodec::new();
    let mut long = BytesMut::from(&b"data: a line without its end yet"[..]);
    assert!(codec.decode(&mut long).unwrap().is_none());
    let mut short = BytesMut::from(&b"data: x\n\n"[..]);
    let item = codec.decode(&mut short).unwrap();
    assert_eq!(item, Some(Ok(OwnedItem::Event(Event::new("x")))));
}

/// Chunks of any `Buf` decode alike: `Bytes` (taken as it is, so event data
/// is a slice of it), `&'static [u8]` and `Cursor<Vec<u8>>` (copied into
/// `Bytes`).
#[tokio::test]
async fn event_stream_takes_bytes_chunks_as_they_are_and_copies_other_bufs() {
    let text: &'static [u8] = b"id: 1\ndata: first\n\nevent: t\ndata: sec";
    let rest: &'static [u8] = b"ond\n\n";
    let want = vec![
        OwnedItem::Event(Event::new("first").with_id("1")),
        OwnedItem::Event(Event::new("second").with_id("1").with_event_type("t")),
    ];
    let ok = |items: Vec<Result<OwnedItem, EventStreamError<io::Error>>>| -> Vec<OwnedItem> {
        items.into_iter().map(Result::unwrap).collect()
    };
    let slices = Iter(vec![Ok::<_, io::Error>(text), Ok(rest)].into_iter());
    assert_eq!(ok(collect(EventStream::new(slices)).await), want);
    let vecs = Iter(
        vec![
            Ok::<_, io::Error>(io::Cursor::new(text.to_vec())),
            Ok(io::Cursor::new(rest.to_vec())),
        ]
        .into_iter(),
    );
    assert_eq!(ok(collect(EventStream::new(vecs)).await), want);
    let first = Bytes::from_static(text);
    let chunks = Iter(
        vec![
            Ok::<_, io::Error>(first.clone()),
            Ok(Bytes::from_static(rest)),
        ]
        .into_iter(),
    );
    let items = ok(collect(EventStream::new(chunks)).await);
    assert_eq!(items, want);
    let OwnedItem::Event(event) = &items[0] else {
        panic!()
    };
    assert!(
        first.as_ptr_range().contains(&event.data_bytes().as_ptr()),
        "a Bytes chunk is not copied"
    );
}
