//! Limits hold, memory stays bounded, and cost stays linear in the input.
//!
//! The linear-time tests use sizes at which a decoder that rescans its input
//! would take hours: finishing at all is the proof (no timing is asserted).

use sse_codec_core::{Builder, Decoder, Error, Item, OwnedItem};
use sse_codec_tests::{adapter, Options, Output};

fn event(data: &str) -> Output {
    Output::Event {
        ty: "message".into(),
        data: data.into(),
        id: String::new(),
    }
}

#[test]
fn endless_line_is_cut_at_the_limit_and_the_next_event_decodes() {
    let limit = 1024;
    let mut decoder = Builder::new().max_line_length(limit).build();
    let mut errors = Vec::new();
    let mut events = Vec::new();
    let mut feed = |bytes: &[u8]| {
        for item in decoder.feed(bytes) {
            match item {
                Ok(OwnedItem::Event(event)) => events.push(event.data().to_owned()),
                Ok(_) => {}
                Err(error) => errors.push(error),
            }
        }
    };
    feed(b"data: before\n\ndata: ");
    for _ in 0..100_000 {
        feed(b"0123456789");
    }
    feed(b"\ndata: still the dropped event\n\ndata: after\n\n");
    assert_eq!(errors, [Error::LineTooLong { limit }]);
    assert_eq!(events, ["before", "after"]);
}

#[test]
fn endless_data_field_is_cut_at_the_event_limit_and_the_next_event_decodes() {
    let limit = 10_000;
    let mut decoder = Builder::new().max_event_size(limit).build();
    let mut out = Vec::new();
    let mut feed = |bytes: &[u8]| out.extend(decoder.feed(bytes));
    feed(b"data: before\n\n");
    for _ in 0..100_000 {
        feed(b"data: 0123456789\n");
    }
    feed(b"\ndata: after\n\n");
    assert_eq!(
        out,
        [
            Ok(OwnedItem::Event(sse_codec_core::Event::new("before"))),
            Err(Error::EventTooLarge { limit }),
            Ok(OwnedItem::Event(sse_codec_core::Event::new("after"))),
        ]
    );
}

#[test]
fn data_exactly_at_the_event_limit_is_accepted() {
    let opts = Options {
        max_event_size: 7,
        ..Options::default()
    };
    let out = adapter::decode_chunks(
        &[b"data: abc\ndata: def\n\ndata: abc\ndata: defg\n\n"],
        &opts,
    );
    assert_eq!(out, [event("abc\ndef"), Output::EventTooLarge]);
}

#[test]
fn line_exactly_at_the_line_limit_is_accepted() {
    let opts = Options {
        max_line_length: 7,
        ..Options::default()
    };
    let input = b"data: a\r\n\r\ndata: ab\r\n\r\ndata: c\r\n\r\n";
    for split in 0..=input.len() {
        let out = adapter::decode_chunks(&[&input[..split], &input[split..]], &opts);
        assert_eq!(
            out,
            [event("a"), Output::LineTooLong, event("c")],
            "split at {split}"
        );
    }
}

#[test]
fn huge_line_in_seven_byte_chunks_is_linear() {
    // 32 MiB of data in one line, fed 7 bytes at a time.
    let mut decoder = Builder::new()
        .max_line_length(64 << 20)
        .max_event_size(64 << 20)
        .build();
    let line_len = 32 << 20;
    let piece = [b'x'; 7];
    let mut total = 0usize;
    let mut count = |feed: sse_codec_core::Feed<'_>| {
        for item in feed {
            if let Ok(OwnedItem::Event(event)) = item {
                total += event.data().len();
            }
        }
    };
    count(decoder.feed(b"data: "));
    for _ in 0..line_len / 7 {
        count(decoder.feed(&piece));
    }
    count(decoder.feed(b"\n\n"));
    assert_eq!(total, line_len / 7 * 7);
}

#[test]
fn many_small_events_one_byte_at_a_time() {
    let event = b"event: t\r\nid: 12345\r\ndata: {\"n\":1}\r\n\r\n";
    let stream: Vec<u8> = event
        .iter()
        .copied()
        .cycle()
        .take(event.len() * 200_000)
        .collect();
    let mut decoder = Decoder::new();
    let mut events = 0;
    for byte in stream.chunks(1) {
        let mut feed = decoder.feed(byte);
        while let Some(item) = feed.next_item() {
            match item {
                Ok(Item::Event(event)) => {
                    assert_eq!(event.data(), b"{\"n\":1}");
                    events += 1;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert_eq!(events, 200_000);
    assert!(!decoder.is_mid_event());
}

/// `count` events `data: N` of about 60 bytes each.
fn numbered_events(count: usize) -> Vec<u8> {
    (0..count)
        .flat_map(|n| format!("data: {n:0>50}\n\n").into_bytes())
        .collect()
}

#[test]
fn a_feed_dropped_early_keeps_its_unread_input_within_the_budget() {
    // 1000 events (60 KB) in one chunk; the caller stops after the first,
    // and reads the rest later: nothing is lost.
    let chunk = numbered_events(1000);
    let mut decoder = Builder::new().max_line_length(1024).build();
    let first: Vec<_> = decoder.feed(&chunk).take(1).collect();
    let rest: Vec<_> = decoder.feed(b"").collect();
    let all: Vec<_> = first.into_iter().chain(rest).collect();
    assert_eq!(all.len(), 1000);
    for (n, item) in all.into_iter().enumerate() {
        let Ok(OwnedItem::Event(event)) = item else {
            panic!("{item:?}")
        };
        assert_eq!(event.data(), format!("{n:0>50}"));
    }

    // Through `BytesDecoder::push`: a second chunk pushed before the first
    // is read queues behind it.
    let mut decoder = Builder::new().max_line_length(1024).build_bytes();
    decoder.push(bytes::Bytes::from(chunk.clone()));
    assert!(decoder.next_item().is_some());
    decoder.push(bytes::Bytes::from(chunk));
    let mut count = 1;
    while let Some(item) = decoder.next_item() {
        assert!(matches!(item, Ok(OwnedItem::Event(_))), "{item:?}");
        count += 1;
    }
    assert_eq!(count, 2000);
}

#[test]
fn unread_input_over_the_budget_is_decoded_into_the_state_and_reported() {
    // 400 KB left unread, then more input while it is still unread: over
    // the 256 KiB budget of a decoder with small limits, its items are
    // dropped with one error, but what the lines set (the reconnection time,
    // the last event ID, a partial event) holds. (The rest of one chunk
    // alone is kept whatever its size: see the regression test
    // `one_item_per_feed_of_a_chunk_over_the_unread_budget_loses_nothing`.)
    let chunk = [
        &b"data: first\n\n"[..],
        &numbered_events(3000),
        b"retry: 42\n",
        &numbered_events(3000),
    ]
    .concat();
    let more: &'static [u8] = b"id: last\nevent: t\ndata: par";
    for api in ["feed", "bytes feed", "push"] {
        let builder = Builder::new().max_line_length(1024).max_event_size(4096);
        let mut out: Vec<Result<OwnedItem, Error>> = Vec::new();
        if api == "feed" {
            let mut decoder = builder.build();
            out.extend(decoder.feed(&chunk).take(1));
            out.extend(decoder.feed(more).take(0));
            out.extend(decoder.feed(b"tial\n\n"));
            assert_eq!(decoder.reconnection_time(), Some(42), "{api}");
        } else {
            let mut decoder = builder.build_bytes();
            if api == "push" {
                decoder.push(bytes::Bytes::from(chunk.clone()));
                out.extend(decoder.next_item());
                decoder.push(bytes::Bytes::from_static(more));
                decoder.push(bytes::Bytes::from_static(b"tial\n\n"));
                out.extend(std::iter::from_fn(|| decoder.next_item()));
            } else {
                out.extend(decoder.feed(bytes::Bytes::from(chunk.clone())).take(1));
                out.extend(decoder.feed(bytes::Bytes::from_static(more)).take(0));
                out.extend(decoder.feed(bytes::Bytes::from_static(b"tial\n\n")));
            }
            assert_eq!(decoder.reconnection_time(), Some(42), "{api}");
        }
        let partial = sse_codec_core::Event::new("partial")
            .with_event_type("t")
            .with_id("last");
        assert_eq!(out.len(), 3, "{api}: {} items", out.len());
        assert_eq!(
            out,
            [
                Ok(OwnedItem::Event(sse_codec_core::Event::new("first"))),
                Err(Error::UnreadInputDropped { budget: 256 * 1024 }),
                Ok(OwnedItem::Event(partial)),
            ],
            "{api}"
        );
    }
}
