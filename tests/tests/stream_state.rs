//! The state that outlives events: last event ID and reconnection time,
//! across blocks, streams (reconnections) and seeding.

use sse_codec_core::{Decoder, Event, OwnedItem};

fn events(decoder: &mut Decoder, input: &[u8]) -> Vec<Event> {
    decoder
        .feed(input)
        .filter_map(|item| match item.unwrap() {
            OwnedItem::Event(event) => Some(event),
            _ => None,
        })
        .collect()
}

#[test]
fn last_event_id_is_queryable_and_changes_only_at_empty_lines() {
    let mut decoder = Decoder::new();
    assert_eq!(decoder.last_event_id(), "");
    events(&mut decoder, b"id: 1\n");
    assert_eq!(
        decoder.last_event_id(),
        "",
        "the buffer is not the string yet"
    );
    events(&mut decoder, b"\n");
    assert_eq!(decoder.last_event_id(), "1", "an id-only block sets it");
    events(&mut decoder, b"id: 2\ndata: x\n");
    assert_eq!(decoder.last_event_id(), "1");
    let got = events(&mut decoder, b"\n");
    assert_eq!(got, [Event::new("x").with_id("2")]);
    assert_eq!(decoder.last_event_id(), "2");
    events(&mut decoder, b"id\n\n");
    assert_eq!(decoder.last_event_id(), "", "an empty id resets it");
}

#[test]
fn reconnection_time_is_stream_state_set_when_the_line_is_read() {
    let mut decoder = Decoder::new();
    assert_eq!(decoder.reconnection_time(), None);
    let items: Vec<_> = decoder
        .feed(b"data: x\nretry: 2500\n")
        .map(Result::unwrap)
        .collect();
    assert_eq!(items, [OwnedItem::Retry(2500)]);
    assert_eq!(
        decoder.reconnection_time(),
        Some(2500),
        "before the block ends"
    );
    decoder.end_of_stream();
    assert_eq!(
        decoder.reconnection_time(),
        Some(2500),
        "kept across streams"
    );
    events(&mut decoder, b"retry: x\n\n");
    assert_eq!(
        decoder.reconnection_time(),
        Some(2500),
        "an invalid value changes nothing"
    );
}

#[test]
fn end_of_stream_discards_the_partial_event_and_allows_a_new_bom() {
    let mut decoder = Decoder::new();
    assert!(events(&mut decoder, b"\xEF\xBB\xBFdata: a\n\ndata: lost\n").len() == 1);
    assert!(decoder.is_mid_event());
    decoder.end_of_stream();
    assert!(!decoder.is_mid_event());
    let got = events(&mut decoder, b"\xEF\xBB\xBFdata: b\n\n");
    assert_eq!(got, [Event::new("b")]);
}

#[test]
fn end_of_stream_resets_last_event_id_buffer_per_spec_unlike_chromium() {
    // "When a stream is parsed, a data buffer, an event type buffer, and a last
    // event ID buffer must be associated with it. They must be initialized to
    // the empty string." A new connection is a new stream, so an event without
    // an id on it resets the last event ID string. (Chromium seeds the new
    // parser with the old ID instead; set_last_event_id gives that behaviour.)
    let mut decoder = Decoder::new();
    events(&mut decoder, b"id: 7\ndata: a\n\n");
    decoder.end_of_stream();
    assert_eq!(decoder.last_event_id(), "7", "still what a reconnect sends");
    assert_eq!(events(&mut decoder, b"data: b\n\n"), [Event::new("b")]);
    assert_eq!(decoder.last_event_id(), "");

    let mut decoder = Decoder::new();
    events(&mut decoder, b"id: 7\ndata: a\n\n");
    decoder.end_of_stream();
    decoder.set_last_event_id("7");
    assert_eq!(
        events(&mut decoder, b"data: b\n\n"),
        [Event::new("b").with_id("7")]
    );
}

#[test]
fn seeded_last_event_id_is_used_until_the_stream_changes_it() {
    let mut decoder = Decoder::new();
    decoder.set_last_event_id("resume-41");
    assert_eq!(decoder.last_event_id(), "resume-41");
    assert_eq!(
        events(&mut decoder, b"data: a\n\n"),
        [Event::new("a").with_id("resume-41")]
    );
    assert_eq!(
        events(&mut decoder, b"id: 42\ndata: b\n\n"),
        [Event::new("b").with_id("42")]
    );
}

/// Single-line data is a slice of the input chunk. An event type or ID of
/// more than 23 bytes is a slice too when the chunk holds many events (512
/// bytes or more); in a smaller chunk (one event, as a live server flushes
/// them) it is copied, which costs less than reference-count round trips.
/// A shorter one is held in the event itself: neither shared nor allocated.
#[test]
fn bytes_decoder_shares_single_line_data_with_the_input() {
    use bytes::Bytes;
    let mut decoder = sse_codec_core::BytesDecoder::new();
    let long_type = "an-event-type-of-30-bytes-long";
    let long_id = "an-id-of-twenty-four-byt";
    let mut text = format!(
        "event: {long_type}\nid: {long_id}\ndata: payload\n\nevent: t\nid: 1\ndata: a\ndata: b\n\n"
    )
    .into_bytes();
    let filler = b"data: filler\n\n";
    while text.len() < 512 {
        text.extend_from_slice(filler);
    }
    let chunk = Bytes::from(text);
    let items: Vec<_> = decoder.feed(chunk.clone()).map(Result::unwrap).collect();
    let [OwnedItem::Event(first), OwnedItem::Event(second), ..] = &items[..] else {
        panic!("{items:?}")
    };
    let data = first.data_bytes();
    assert_eq!(data, "payload");
    let inside = chunk.as_ptr_range();
    assert!(
        inside.contains(&data.as_ptr()),
        "single-line data is a slice of the input"
    );
    assert_eq!((first.event_type(), first.id()), (long_type, long_id));
    assert!(inside.contains(&first.event_type().as_ptr()));
    assert!(inside.contains(&first.id().as_ptr()));
    assert_eq!(second.data(), "a\nb");
    assert_eq!((second.event_type(), second.id()), ("t", "1"));
    let held = second as *const _ as *const u8;
    let held = held..held.wrapping_add(std::mem::size_of_val(second));
    assert!(
        held.contains(&second.event_type().as_ptr()),
        "a short event type is held in the event"
    );
    assert!(
        held.contains(&second.id().as_ptr()),
        "a short ID is held in the event"
    );
    // The last event used up the chunk: the chunk itself moved into it
    // (trimmed), still the input's bytes.
    let Some(OwnedItem::Event(last)) = items.last() else {
        panic!("{items:?}")
    };
    assert_eq!(last.data_bytes(), "filler");
    assert!(inside.contains(&last.data_bytes().as_ptr()));
    // A chunk of fewer than 16 bytes with its lines whole: its data is
    // shared, its ID and event type are copies.
    let short = Bytes::from_static(b"id: 9\ndata: z\n\n");
    let items: Vec<_> = decoder.feed(short.clone()).map(Result::unwrap).collect();
    let [OwnedItem::Event(third)] = &items[..] else {
        panic!("{items:?}")
    };
    assert_eq!((third.data(), third.id()), ("z", "9"));
    let inside = short.as_ptr_range();
    assert!(inside.contains(&third.data_bytes().as_ptr()));
    assert!(!inside.contains(&third.id().as_ptr()));
    let event = Bytes::from_static(b"event: update\ndata: w\n\n");
    let items: Vec<_> = decoder.feed(event.clone()).map(Result::unwrap).collect();
    let [OwnedItem::Event(fourth)] = &items[..] else {
        panic!("{items:?}")
    };
    assert_eq!((fourth.event_type(), fourth.data()), ("update", "w"));
    let inside = event.as_ptr_range();
    assert!(inside.contains(&fourth.data_bytes().as_ptr()));
    assert!(!inside.contains(&fourth.event_type().as_ptr()));
}

/// Long lines that span chunks (the bytes decoder hands its carry buffer to
/// such an event instead of copying it again): every API agrees for many
/// chunk sizes, and events kept while later chunks are decoded keep their
/// data.
#[test]
fn long_lines_spanning_chunks_decode_alike_and_stay_intact() {
    use bytes::Bytes;
    use sse_codec_tests::{adapter, Options};
    let long = |n: usize, seed: u8| -> Vec<u8> {
        (0..n)
            .map(|i| b'a' + ((i + seed as usize) % 26) as u8)
            .collect()
    };
    let (a, b, c) = (long(10_000, 0), long(4_096, 1), long(70_000, 2));
    let mut input = Vec::new();
    for (prefix, value, end) in [
        (&b"data: "[..], &a, &b"\n\n"[..]),
        (b"data: x\n\ndata:", &b, b"\r\n\r\n"),
        (b"id: 7\ndata: ", &c, b"\r\r"),
        (b"data: ", &a, b"\ndata: tail\n\n"),
        (b"data: ", &b, b"\nretry: 5\n\ndata: y\n\n"),
    ] {
        input.extend_from_slice(prefix);
        input.extend_from_slice(value);
        input.extend_from_slice(end);
    }
    let text = |v: &[u8]| String::from_utf8(v.to_vec()).unwrap();
    let want = [
        text(&a),
        "x".to_string(),
        text(&b),
        text(&c),
        text(&a) + "\ntail",
        text(&b),
        "y".to_string(),
    ];
    let opts = Options {
        comments: false,
        max_line_length: 1 << 20,
        max_event_size: 1 << 20,
    };
    for size in [
        1,
        7,
        100,
        4095,
        4096,
        4097,
        9_999,
        10_007,
        65_536,
        input.len(),
    ] {
        let chunks: Vec<&[u8]> = input.chunks(size).collect();
        let outputs = adapter::decode_chunks(&chunks, &opts);
        assert_eq!(outputs.len(), want.len() + 1, "chunks of {size}");
        let mut decoder = sse_codec_core::BytesDecoder::new();
        let mut kept = Vec::new();
        for chunk in &chunks {
            for item in decoder.feed(Bytes::copy_from_slice(chunk)) {
                if let OwnedItem::Event(event) = item.unwrap() {
                    kept.push(event);
                }
            }
        }
        let data: Vec<&str> = kept.iter().map(Event::data).collect();
        assert_eq!(data, want, "chunks of {size}");
        assert_eq!(kept[3].id(), "7");
        assert_eq!(decoder.last_event_id(), "7");
    }
}

#[test]
fn bytes_decoder_keeps_pushed_bytes_not_yet_pulled_in_stream_order() {
    use bytes::Bytes;
    use sse_codec_core::BytesDecoder;
    let data = |item: Option<Result<OwnedItem, sse_codec_core::Error>>| match item {
        Some(Ok(OwnedItem::Event(event))) => event.data().to_owned(),
        other => panic!("expected an event, got {other:?}"),
    };
    let mut decoder = BytesDecoder::new();
    decoder.push(Bytes::from_static(b"data: a\n\ndata: b\n\nid: 7\ndata: c"));
    assert_eq!(data(decoder.next_item()), "a");
    assert!(decoder.is_mid_event(), "undecoded pushed bytes");
    // The rest of the first chunk comes before the second.
    decoder.push(Bytes::from_static(b"\n\ndata: d\n\n"));
    assert_eq!(data(decoder.next_item()), "b");
    assert_eq!(decoder.last_event_id(), "", "the id line is not read yet");
    assert_eq!(data(decoder.next_item()), "c");
    assert_eq!(decoder.last_event_id(), "7");
    assert_eq!(data(decoder.next_item()), "d");
    assert!(decoder.next_item().is_none());
    assert!(!decoder.is_mid_event());

    // The end of the stream discards pushed bytes not decoded yet.
    decoder.push(Bytes::from_static(b"data: e\n\ndata: f\n\n"));
    assert_eq!(data(decoder.next_item()), "e");
    decoder.end_of_stream();
    assert!(!decoder.is_mid_event());
    assert!(decoder.next_item().is_none());
    decoder.push(Bytes::from_static(b"data: g\n\n"));
    assert_eq!(data(decoder.next_item()), "g");
}
