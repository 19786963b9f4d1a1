//! The round-trip law: every event the encoder accepts decodes to exactly
//! that event under any chunking (line breaks in data arrive as LF, the only
//! line break an event's data can hold); every event the decoder produces
//! encodes and decodes back to itself; nothing injects a field.

use proptest::prelude::*;
use sse_codec_core::{Decoder, EncodeError, Event, EventRef, OwnedItem, StreamEncoder};
use sse_codec_tests::{adapter, Options, Output};

fn cases() -> u32 {
    std::env::var("SSE_PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000)
}

/// Text made of the pieces that matter to the wire format.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => "[a-z0-9 ]{0,6}",
        1 => Just("\n".to_string()),
        1 => Just("\r".to_string()),
        1 => Just("\r\n".to_string()),
        1 => Just(" ".to_string()),
        1 => Just(":".to_string()),
        1 => Just("\0".to_string()),
        1 => Just("\u{2028}\u{85}é😀".to_string()),
        1 => Just("data: x".to_string()),
        1 => Just("\u{FEFF}".to_string()),
        1 => any::<String>(),
    ];
    prop::collection::vec(piece, 0..6).prop_map(|pieces| pieces.concat())
}

fn normalise_line_breaks(data: &str) -> String {
    data.replace("\r\n", "\n").replace('\r', "\n")
}

fn chunk<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    let mut chunks = Vec::new();
    let mut start = 0;
    for cut in cuts {
        chunks.push(&bytes[start..cut]);
        start = cut;
    }
    chunks.push(&bytes[start..]);
    chunks
}

fn refusal(event: &EventRef<'_>) -> Option<EncodeError> {
    let line_break = |s: &str| s.contains(['\r', '\n']);
    if event.event_type.is_some_and(line_break) {
        Some(EncodeError::LineBreakInEventType)
    } else if event.id.is_some_and(line_break) {
        Some(EncodeError::LineBreakInId)
    } else if event.id.is_some_and(|id| id.contains('\0')) {
        Some(EncodeError::NulInId)
    } else {
        None
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn roundtrip_is_exact_up_to_line_break_normalisation(
        event_type in prop::option::of(text()),
        data in prop::option::of(text()),
        id in prop::option::of(text()),
        retry in prop::option::of(any::<u64>()),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let event = EventRef { event_type: event_type.as_deref(), data: data.as_deref(), id: id.as_deref(), retry };
        let mut out = Vec::new();
        let result = event.encode_to_vec(&mut out);
        prop_assert_eq!(result.err(), refusal(&event));
        if result.is_err() {
            prop_assert!(out.is_empty(), "a refused event wrote something");
            return Ok(());
        }
        prop_assert_eq!(out.len(), event.encoded_len().unwrap());
        let mut expected = Vec::new();
        expected.extend(retry.map(Output::Retry));
        if let Some(data) = &data {
            let ty = event_type.as_deref().filter(|t| !t.is_empty()).unwrap_or("message");
            expected.push(Output::Event {
                ty: ty.to_owned(),
                data: normalise_line_breaks(data),
                id: id.clone().unwrap_or_default(),
            });
        }
        let opts = Options { comments: true, ..Options::default() };
        prop_assert_eq!(adapter::decode_chunks(&chunk(&out, &cuts), &opts), expected);
        // And the id took effect even when nothing was dispatched.
        prop_assert_eq!(adapter::stream_state(&out).0, id.unwrap_or_default());
    }

    #[test]
    fn comments_never_inject_anything(text in text(), cuts in prop::collection::vec(any::<usize>(), 0..4)) {
        let mut out = Vec::new();
        sse_codec_core::encode_comment_to_vec(&text, &mut out).unwrap();
        let opts = Options { comments: true, ..Options::default() };
        let decoded = adapter::decode_chunks(&chunk(&out, &cuts), &opts);
        let lines: Vec<Output> = normalise_line_breaks(&text)
            .split('\n')
            .map(|line| Output::Comment(line.to_owned()))
            .collect();
        prop_assert_eq!(decoded, lines);
    }

    #[test]
    fn decoded_events_encode_and_decode_to_themselves(
        events in prop::collection::vec((text(), text(), text()), 0..6),
    ) {
        // Decoded events hold no CR in data and no line break in type or id.
        let events: Vec<Event> = events
            .iter()
            .map(|(t, d, i)| Event::from_parts(
                &t.replace(['\r', '\n'], ""),
                &normalise_line_breaks(d),
                &i.replace(['\r', '\n', '\0'], ""),
            ))
            .collect();
        let mut encoder = StreamEncoder::new();
        let mut out = Vec::new();
        for event in &events {
            encoder.encode_event(event, &mut out).unwrap();
        }
        let decoded: Vec<OwnedItem> = Decoder::new().feed(&out).map(Result::unwrap).collect();
        prop_assert_eq!(decoded, events.into_iter().map(OwnedItem::Event).collect::<Vec<_>>());
    }
}

#[test]
fn injection_through_any_field_is_refused_or_harmless() {
    let attacks = [
        "x\nevent: evil",
        "x\revent: evil",
        "x\r\nid: 666",
        "\ndata: y",
        "x\n\ndata: second",
        "\r\r",
    ];
    for attack in attacks {
        for event in [
            EventRef::new("safe").with_event_type(attack),
            EventRef::new("safe").with_id(attack),
        ] {
            assert!(
                event.encode_to_vec(&mut Vec::new()).is_err(),
                "{attack:?} accepted in {event:?}"
            );
        }
        let mut out = Vec::new();
        EventRef::new(attack)
            .with_event_type("t")
            .with_id("1")
            .encode_to_vec(&mut out)
            .unwrap();
        let decoded = adapter::decode_chunks(&[&out], &Options::default());
        assert_eq!(
            decoded,
            [Output::Event {
                ty: "t".into(),
                data: normalise_line_breaks(attack),
                id: "1".into()
            }],
            "{attack:?}"
        );
    }
}

#[test]
fn golden_bytes_of_typical_events() {
    let mut out = Vec::new();
    let chunk = r#"{"choices":[{"delta":{"content":"Hi"}}]}"#;
    EventRef::new(chunk).encode_to_vec(&mut out).unwrap();
    assert_eq!(out, format!("data: {chunk}\n\n").as_bytes());
    out.clear();
    EventRef::new("a\r\nb\rc\n")
        .with_event_type("done")
        .with_id("9")
        .with_retry(1000)
        .encode_to_vec(&mut out)
        .unwrap();
    assert_eq!(
        out,
        b"event: done\nid: 9\nretry: 1000\ndata: a\ndata: b\ndata: c\ndata:\n\n"
    );
    out.clear();
    EventRef::new(" leading").encode_to_vec(&mut out).unwrap();
    assert_eq!(out, b"data:  leading\n\n");
}
