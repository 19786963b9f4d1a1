//! The state that outlives events: last event ID and reconnection time,
//! across blocks, streams (reconnections) and seeding.

use sse_codec::{Decoder, Event, OwnedItem};

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

#[test]
fn bytes_decoder_shares_single_line_data_with_the_input() {
    use bytes::Bytes;
    let mut decoder = sse_codec::BytesDecoder::new();
    let chunk = Bytes::from_static(b"event: t\nid: 1\ndata: payload\n\ndata: a\ndata: b\n\n");
    let items: Vec<_> = decoder.feed(chunk.clone()).map(Result::unwrap).collect();
    let [OwnedItem::Event(first), OwnedItem::Event(second)] = &items[..] else {
        panic!("{items:?}")
    };
    let data = first.data_bytes();
    assert_eq!(data, "payload");
    let inside = chunk.as_ptr_range();
    assert!(
        inside.contains(&data.as_ptr()),
        "single-line data is a slice of the input"
    );
    assert!(inside.contains(&first.event_type().as_ptr()));
    assert_eq!(second.data(), "a\nb");
    assert_eq!(second.id(), "1");
}
