//! Drives every public decoding API of `sse-codec` over a chunking and
//! collects [`Output`]s; all of them must agree.
use bytes::Bytes;
use sse_codec_core::{
    Buffers, Builder, BytesDecoder, Decoder, Error, Item, OwnedItem, RawDecoder, SliceBuffer,
};

use crate::{Options, Output};

fn builder(opts: &Options) -> Builder {
    Builder::new()
        .comments(opts.comments)
        .max_line_length(opts.max_line_length)
        .max_event_size(opts.max_event_size)
}

fn from_error(error: Error) -> Output {
    match error {
        Error::LineTooLong { .. } => Output::LineTooLong,
        Error::EventTooLarge { .. } => Output::EventTooLarge,
        other => panic!("unexpected error {other:?}"),
    }
}

fn from_owned(item: Result<OwnedItem, Error>) -> Output {
    match item {
        Ok(OwnedItem::Event(event)) => Output::Event {
            ty: event.event_type().to_owned(),
            data: event.data().to_owned(),
            id: event.id().to_owned(),
        },
        Ok(OwnedItem::Retry(ms)) => Output::Retry(ms),
        Ok(OwnedItem::Comment(text)) => Output::Comment(text),
        Err(error) => from_error(error),
    }
}

fn from_borrowed(item: Result<Item<'_>, Error>) -> Output {
    let lossy = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    match item {
        Ok(Item::Event(event)) => Output::Event {
            ty: lossy(event.event_type()),
            data: lossy(event.data()),
            id: lossy(event.id()),
        },
        Ok(Item::Retry(ms)) => Output::Retry(ms),
        Ok(Item::Comment(text)) => Output::Comment(lossy(text)),
        Err(error) => from_error(error),
    }
}

/// [`Decoder`] as an iterator of owned items.
pub fn decode_owned(chunks: &[&[u8]], opts: &Options) -> Vec<Output> {
    let mut decoder = builder(opts).build();
    let mut out = Vec::new();
    for chunk in chunks {
        out.extend(decoder.feed(chunk).map(from_owned));
    }
    decoder.end_of_stream();
    out
}

/// [`Decoder`] through [`sse_codec_core::Feed::next_item`], borrowed.
pub fn decode_borrowed(chunks: &[&[u8]], opts: &Options) -> Vec<Output> {
    let mut decoder = builder(opts).build();
    let mut out = Vec::new();
    for chunk in chunks {
        let mut feed = decoder.feed(chunk);
        while let Some(item) = feed.next_item() {
            out.push(from_borrowed(item));
        }
    }
    out
}

/// [`Decoder`], taking one item per feed and dropping the feed early, so
/// that unread input is carried over to the next (empty) feed.
pub fn decode_one_at_a_time(chunks: &[&[u8]], opts: &Options) -> Vec<Output> {
    let mut decoder = builder(opts).build();
    let mut out = Vec::new();
    for chunk in chunks {
        let mut next: &[u8] = chunk;
        while let Some(item) = decoder.feed(next).next() {
            out.push(from_owned(item));
            next = b"";
        }
    }
    out
}

/// [`BytesDecoder`], each chunk its own `Bytes`.
pub fn decode_bytes(chunks: &[&[u8]], opts: &Options) -> Vec<Output> {
    let mut decoder: BytesDecoder = builder(opts).build_bytes();
    let mut out = Vec::new();
    for chunk in chunks {
        out.extend(decoder.feed(Bytes::copy_from_slice(chunk)).map(from_owned));
    }
    out
}

/// [`BytesDecoder::push`] + [`BytesDecoder::next_item`], pulling at most
/// one item after each push, so that undecoded input is kept across pushes
/// (and piles up in front of later chunks); the rest after the last chunk.
/// Before the input piled up could reach the decoder's unread-input budget
/// (256 KiB at least; beyond it items are dropped by design, see
/// `Decoder::feed`), everything is pulled.
pub fn decode_bytes_pushed(chunks: &[&[u8]], opts: &Options) -> Vec<Output> {
    const PILE_UP: usize = 128 * 1024;
    let mut decoder: BytesDecoder = builder(opts).build_bytes();
    let mut out = Vec::new();
    let mut piled = 0usize;
    for chunk in chunks {
        if piled.saturating_add(chunk.len()) > PILE_UP {
            while let Some(item) = decoder.next_item() {
                out.push(from_owned(item));
            }
            piled = 0;
        }
        decoder.push(Bytes::copy_from_slice(chunk));
        piled = piled.saturating_add(chunk.len());
        out.extend(decoder.next_item().map(from_owned));
    }
    while let Some(item) = decoder.next_item() {
        out.push(from_owned(item));
    }
    decoder.end_of_stream();
    assert!(!decoder.is_mid_event(), "mid event after the end of stream");
    out
}

/// [`RawDecoder`] over caller memory, with the caller keeping the input.
pub fn decode_raw(chunks: &[&[u8]], opts: &Options) -> Vec<Output> {
    let total: usize = chunks.iter().map(|c| c.len()).sum();
    let mut memory = vec![0u8; 4 * (total + 1)];
    let (data, rest) = memory.split_at_mut(total + 1);
    let (event_type, rest) = rest.split_at_mut(total + 1);
    let (id_buffer, last_event_id) = rest.split_at_mut(total + 1);
    let mut decoder: RawDecoder<SliceBuffer<'_>> = builder(opts).build_raw(Buffers {
        data: SliceBuffer::new(data),
        event_type: SliceBuffer::new(event_type),
        id_buffer: SliceBuffer::new(id_buffer),
        last_event_id: SliceBuffer::new(last_event_id),
    });
    let mut out = Vec::new();
    let mut input: Vec<u8> = Vec::new();
    for chunk in chunks {
        input.extend_from_slice(chunk);
        let mut pos = 0;
        loop {
            let (used, item) = decoder.decode(&input[pos..]);
            pos += used;
            assert!(pos <= input.len(), "consumed more than the input");
            match item.transpose() {
                None => break,
                Some(item) => out.push(from_borrowed(item)),
            }
        }
        input.drain(..pos);
    }
    decoder.end_of_stream();
    out
}

/// Decodes `chunks` (fed in order, then end of stream) through every public
/// API, asserts that they agree, and returns what they observed.
pub fn decode_chunks(chunks: &[&[u8]], opts: &Options) -> Vec<Output> {
    let owned = decode_owned(chunks, opts);
    for (api, other) in [
        (
            "borrowed",
            decode_borrowed as fn(&[&[u8]], &Options) -> Vec<Output>,
        ),
        ("one item per feed", decode_one_at_a_time),
        ("bytes", decode_bytes),
        ("bytes, pushed and pulled", decode_bytes_pushed),
        ("raw", decode_raw),
    ] {
        assert_eq!(
            other(chunks, opts),
            owned,
            "the {api} API disagrees with the owned one"
        );
    }
    owned
}

/// Decodes with a fresh [`Decoder`] and returns its last event ID and reconnection time.
pub fn stream_state(input: &[u8]) -> (String, Option<u64>) {
    let mut decoder = Decoder::new();
    decoder.feed(input).for_each(drop);
    (
        decoder.last_event_id().into_owned(),
        decoder.reconnection_time(),
    )
}
