//! Conformance tests: one test per rule of the event stream format (WHATWG
//! HTML, "Parsing an event stream" and "Interpreting an event stream", as
//! restated in the project's spec notes), the spec's own examples, and this
//! project's limit rules.
//!
//! Every case is data: input bytes, [`Options`] and the expected outputs.
//! [`check`] asserts the expectation against the reference oracle and against
//! the real decoder (through the adapter) over many chunkings of the input.

use sse_codec_tests::{adapter, oracle, Options, Output};

// ---------------------------------------------------------------------------
// The harness
// ---------------------------------------------------------------------------

/// Inputs up to this length are also tried in every split into three chunks.
const THREE_CHUNK_MAX_LEN: usize = 64;

/// Asserts that `input` decodes to `expected`, (a) with the oracle and (b)
/// with the real decoder over: the whole input as one chunk, the whole input
/// between empty chunks, one byte at a time, one byte at a time with empty
/// chunks in between, every split into two chunks, and (for short inputs)
/// every split into three chunks.
fn check(input: &[u8], opts: Options, expected: &[Output]) {
    let shown = input.escape_ascii().to_string();

    // (a) The oracle agrees with the hand-written expectation.
    assert_eq!(
        oracle::decode(input, &opts),
        expected,
        "oracle, input \"{shown}\", {opts:?}"
    );

    // (b) The decoder agrees over every chunking.
    let run = |chunks: &[&[u8]], chunking: &str| {
        let got = adapter::decode_chunks(chunks, &opts);
        assert_eq!(
            got, expected,
            "decoder, chunking: {chunking}, input \"{shown}\", {opts:?}"
        );
    };
    let empty: &[u8] = &[];
    run(&[input], "whole input as one chunk");
    run(
        &[empty, input, empty],
        "whole input between two empty chunks",
    );
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    run(&bytes, "one byte at a time");
    let with_empties: Vec<&[u8]> = input.chunks(1).flat_map(|b| [empty, b]).collect();
    run(
        &with_empties,
        "one byte at a time, an empty chunk before each byte",
    );
    for i in 0..=input.len() {
        let (a, b) = input.split_at(i);
        run(&[a, b], &format!("two chunks split at {i}"));
    }
    if input.len() <= THREE_CHUNK_MAX_LEN {
        for i in 0..=input.len() {
            for j in i..=input.len() {
                let chunks = [&input[..i], &input[i..j], &input[j..]];
                run(&chunks, &format!("three chunks split at {i} and {j}"));
            }
        }
    }
}

/// Default options: no comments, no limits.
fn plain() -> Options {
    Options::default()
}

/// Comments reported, no limits.
fn comments() -> Options {
    Options {
        comments: true,
        ..Options::default()
    }
}

/// A maximum line length, no other limit.
fn line_limit(max_line_length: usize) -> Options {
    Options {
        max_line_length,
        ..Options::default()
    }
}

/// A maximum event size, no other limit.
fn event_limit(max_event_size: usize) -> Options {
    Options {
        max_event_size,
        ..Options::default()
    }
}

/// An event of type `message` with an empty last event ID.
fn msg(data: &str) -> Output {
    ev("message", data, "")
}

/// An event of type `message` with the given last event ID.
fn msg_id(data: &str, id: &str) -> Output {
    ev("message", data, id)
}

/// An event.
fn ev(ty: &str, data: &str, id: &str) -> Output {
    Output::Event {
        ty: ty.to_owned(),
        data: data.to_owned(),
        id: id.to_owned(),
    }
}

fn retry(ms: u64) -> Output {
    Output::Retry(ms)
}

fn comment(text: &str) -> Output {
    Output::Comment(text.to_owned())
}

const LINE_TOO_LONG: Output = Output::LineTooLong;
const EVENT_TOO_LARGE: Output = Output::EventTooLarge;

/// `prefix`, then `n` times `byte`, then `suffix`.
fn long(prefix: &str, byte: u8, n: usize, suffix: &str) -> Vec<u8> {
    let mut v = prefix.as_bytes().to_vec();
    v.extend(core::iter::repeat(byte).take(n));
    v.extend_from_slice(suffix.as_bytes());
    v
}

/// The concatenation of byte strings.
fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

// ---------------------------------------------------------------------------
// The harness itself
// ---------------------------------------------------------------------------

#[test]
fn empty_input_yields_nothing() {
    check(b"", plain(), &[]);
}

// ---------------------------------------------------------------------------
// 1. UTF-8
// ---------------------------------------------------------------------------

#[test]
fn multibyte_utf8_passes_through_whatever_the_chunking() {
    check(
        "data: é\u{2028}😀\u{FEFF}\n\n".as_bytes(),
        plain(),
        &[msg("é\u{2028}😀\u{FEFF}")],
    );
}

#[test]
fn invalid_byte_ff_becomes_one_replacement_character() {
    check(b"data: a\xFFb\n\n", plain(), &[msg("a\u{FFFD}b")]);
}

#[test]
fn lone_continuation_bytes_become_one_replacement_each() {
    check(b"data: \x80\xBF\n\n", plain(), &[msg("\u{FFFD}\u{FFFD}")]);
}

#[test]
fn truncated_three_byte_sequence_is_one_replacement_character() {
    // E2 82 is the maximal prefix of U+20AC (E2 82 AC): one U+FFFD, then `x`.
    check(b"data: \xE2\x82x\n\n", plain(), &[msg("\u{FFFD}x")]);
}

#[test]
fn truncated_four_byte_sequence_before_line_end_is_one_replacement_character() {
    check(
        b"data: \xF0\x9F\x98\ndata: b\n\n",
        plain(),
        &[msg("\u{FFFD}\nb")],
    );
}

#[test]
fn truncated_sequence_at_end_of_value_before_crlf_is_one_replacement_character() {
    check(b"data: \xE2\x82\r\n\r\n", plain(), &[msg("\u{FFFD}")]);
}

#[test]
fn overlong_encoding_is_one_replacement_per_byte() {
    // C0 can never start a sequence; AF is then a lone continuation byte.
    check(b"data: \xC0\xAF\n\n", plain(), &[msg("\u{FFFD}\u{FFFD}")]);
}

#[test]
fn surrogate_encoding_is_one_replacement_per_byte() {
    // ED A0 80 would be U+D800: ED is only valid before 80..9F.
    check(
        b"data: \xED\xA0\x80\n\n",
        plain(),
        &[msg("\u{FFFD}\u{FFFD}\u{FFFD}")],
    );
}

#[test]
fn code_point_above_10ffff_is_one_replacement_per_byte() {
    check(
        b"data: \xF4\x90\x80\x80\n\n",
        plain(),
        &[msg("\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}")],
    );
}

#[test]
fn invalid_utf8_in_event_type_and_id_is_replaced() {
    check(
        b"event: t\xFF\nid: \xE2\x82\ndata: x\n\n",
        plain(),
        &[ev("t\u{FFFD}", "x", "\u{FFFD}")],
    );
}

#[test]
fn invalid_utf8_in_comment_is_replaced() {
    check(b":\xFFa\n", comments(), &[comment("\u{FFFD}a")]);
}

#[test]
fn invalid_utf8_in_field_name_makes_an_unknown_field() {
    check(b"dat\xFF: x\n\ndata: y\n\n", plain(), &[msg("y")]);
}

#[test]
fn unicode_line_separators_are_not_line_breaks() {
    // U+2028, U+2029, U+0085 (NEL), VT and FF are content, not line endings.
    check(
        "data: a\u{2028}b\u{2029}c\u{85}d\u{B}e\u{C}f\n\n".as_bytes(),
        plain(),
        &[msg("a\u{2028}b\u{2029}c\u{85}d\u{B}e\u{C}f")],
    );
}

#[test]
fn nul_in_data_is_kept() {
    check(b"data: a\0b\n\n", plain(), &[msg("a\0b")]);
}

// ---------------------------------------------------------------------------
// 2. Byte order mark
// ---------------------------------------------------------------------------

#[test]
fn leading_bom_is_dropped() {
    check(b"\xEF\xBB\xBFdata: x\n\n", plain(), &[msg("x")]);
}

#[test]
fn leading_bom_split_over_two_or_three_chunks_is_dropped() {
    // Short enough for `check` to try every split into two and three chunks,
    // including 1+1+1 bytes of the BOM itself.
    check(b"\xEF\xBB\xBFdata:x\n\n", plain(), &[msg("x")]);
}

#[test]
fn second_bom_at_start_is_content_of_the_field_name() {
    // The second BOM becomes part of the name `\u{FEFF}data`: an unknown
    // field, so the block has no data and dispatches nothing.
    check("\u{FEFF}\u{FEFF}data: x\n\n".as_bytes(), plain(), &[]);
}

#[test]
fn bom_after_the_start_is_content() {
    check(
        "data: a\n\n\u{FEFF}data: b\n\ndata: c\n\n".as_bytes(),
        plain(),
        &[msg("a"), msg("c")],
    );
}

#[test]
fn bom_at_start_of_a_later_chunk_is_content() {
    // Whatever the chunking, a BOM that is not at byte 0 of the stream is
    // content: here the name of an unknown field, not an empty line.
    check(
        "data: a\n\u{FEFF}\ndata: b\n\n".as_bytes(),
        plain(),
        &[msg("a\nb")],
    );
}

#[test]
fn bom_inside_a_value_is_kept() {
    check(
        "\u{FEFF}data: \u{FEFF}x\n\n".as_bytes(),
        plain(),
        &[msg("\u{FEFF}x")],
    );
}

#[test]
fn incomplete_bom_at_start_is_content() {
    // EF BB without BF is not a BOM: it stays, as one U+FFFD, in the name.
    check(b"\xEF\xBBdata: x\n\ndata: y\n\n", plain(), &[msg("y")]);
}

#[test]
fn bom_alone_is_an_empty_stream() {
    check(b"\xEF\xBB\xBF", plain(), &[]);
}

#[test]
fn bom_then_empty_line_dispatches_nothing() {
    check(b"\xEF\xBB\xBF\ndata: x\n\n", plain(), &[msg("x")]);
}

#[test]
fn bom_then_comment_is_a_comment() {
    check(b"\xEF\xBB\xBF: hi\n", comments(), &[comment(" hi")]);
}

#[test]
fn bom_then_cr_line_ending() {
    check(b"\xEF\xBB\xBFdata: x\r\r", plain(), &[msg("x")]);
}

#[test]
fn leading_bom_does_not_count_toward_the_line_length() {
    // `data: x` is 7 bytes: within a limit of 7 once the BOM is dropped.
    check(b"\xEF\xBB\xBFdata: x\n\n", line_limit(7), &[msg("x")]);
}

#[test]
fn second_bom_counts_toward_the_line_length() {
    check(
        "\u{FEFF}\u{FEFF}data: x\n\ndata: y\n\n".as_bytes(),
        line_limit(7),
        &[LINE_TOO_LONG, msg("y")],
    );
}

// ---------------------------------------------------------------------------
// 3. Line endings
// ---------------------------------------------------------------------------

#[test]
fn lf_line_endings() {
    check(b"data: a\ndata: b\n\n", plain(), &[msg("a\nb")]);
}

#[test]
fn crlf_line_endings() {
    check(b"data: a\r\ndata: b\r\n\r\n", plain(), &[msg("a\nb")]);
}

#[test]
fn lone_cr_line_endings() {
    check(b"data: a\rdata: b\r\r", plain(), &[msg("a\nb")]);
}

#[test]
fn mixed_line_endings_in_one_stream() {
    check(
        b"data: a\rdata: b\r\ndata: c\n\r\ndata: d\n\r",
        plain(),
        &[msg("a\nb\nc"), msg("d")],
    );
}

#[test]
fn crlf_is_one_line_break_not_two() {
    // If CRLF were two breaks, `a` would be dispatched alone, without id 1.
    check(b"data: a\r\nid: 1\r\n\r\n", plain(), &[msg_id("a", "1")]);
}

#[test]
fn cr_cr_is_two_line_breaks() {
    check(b"data: a\r\rdata: b\r\r", plain(), &[msg("a"), msg("b")]);
}

#[test]
fn lf_cr_is_two_line_breaks() {
    check(b"data: a\n\rdata: b\n\n", plain(), &[msg("a"), msg("b")]);
}

#[test]
fn crlf_then_lf_is_two_line_breaks() {
    check(
        b"data: a\r\n\ndata: b\r\n\n",
        plain(),
        &[msg("a"), msg("b")],
    );
}

#[test]
fn cr_then_crlf_is_two_line_breaks() {
    check(
        b"data: a\r\r\ndata: b\r\r\n",
        plain(),
        &[msg("a"), msg("b")],
    );
}

#[test]
fn lone_cr_inside_a_value_ends_the_line() {
    // The classic field injection: what follows the CR is a field of its own.
    check(b"data: a\revent: x\n\n", plain(), &[ev("x", "a", "")]);
}

#[test]
fn cr_at_end_of_stream_ends_the_line() {
    // The final CR cannot be followed by LF any more: it is a line break.
    check(b"data: a\n\r", plain(), &[msg("a")]);
}

#[test]
fn cr_cr_at_end_of_stream_dispatches() {
    check(b"data: a\r\r", plain(), &[msg("a")]);
}

// ---------------------------------------------------------------------------
// 4. CR at the end of a chunk
// ---------------------------------------------------------------------------

#[test]
fn cr_then_lf_split_across_chunks_is_one_line_break() {
    // `check` splits between every CR and LF; a decoder that treats the pair
    // as two breaks dispatches `a` early, without the id, and then nothing.
    check(
        b"data: a\r\nid: 7\r\ndata: b\r\n\r\n",
        plain(),
        &[msg_id("a\nb", "7")],
    );
}

#[test]
fn cr_at_chunk_end_followed_by_a_field_is_a_line_break() {
    check(b"data: a\rdata: b\r\n\r\n", plain(), &[msg("a\nb")]);
}

#[test]
fn cr_at_chunk_end_followed_by_cr_is_a_blank_line() {
    check(b"data: a\r\r\n", plain(), &[msg("a")]);
}

#[test]
fn crlf_split_before_the_final_blank_line() {
    check(b"data: x\r\n\r", plain(), &[msg("x")]);
}

// ---------------------------------------------------------------------------
// 6. Empty lines
// ---------------------------------------------------------------------------

#[test]
fn empty_line_dispatches_the_event() {
    check(b"data: x\n\n", plain(), &[msg("x")]);
}

#[test]
fn consecutive_empty_lines_dispatch_once() {
    check(b"data: x\n\n\n\n\r\n\r", plain(), &[msg("x")]);
}

#[test]
fn leading_empty_lines_dispatch_nothing() {
    check(b"\n\r\n\rdata: x\n\n", plain(), &[msg("x")]);
}

#[test]
fn data_buffer_is_cleared_after_dispatch() {
    check(b"data: a\n\ndata: b\n\n", plain(), &[msg("a"), msg("b")]);
}

// ---------------------------------------------------------------------------
// 7. Comments
// ---------------------------------------------------------------------------

#[test]
fn comments_are_skipped_by_default() {
    check(b": keep-alive\ndata: x\n: more\n\n", plain(), &[msg("x")]);
}

#[test]
fn comments_are_reported_when_asked() {
    check(b": keep-alive\n", comments(), &[comment(" keep-alive")]);
}

#[test]
fn comment_text_is_not_stripped() {
    check(
        b":\n: \n::x\n:\ta \n",
        comments(),
        &[comment(""), comment(" "), comment(":x"), comment("\ta ")],
    );
}

#[test]
fn comment_inside_an_event_does_not_break_it() {
    check(
        b"data: a\n: c\ndata: b\n\n",
        comments(),
        &[comment(" c"), msg("a\nb")],
    );
}

#[test]
fn comment_only_block_dispatches_nothing() {
    check(b": only\n\n", comments(), &[comment(" only")]);
}

#[test]
fn comments_with_cr_and_crlf_endings() {
    check(
        b": a\r: b\r\n: c\n",
        comments(),
        &[comment(" a"), comment(" b"), comment(" c")],
    );
}

#[test]
fn comment_does_not_touch_event_type_or_id() {
    check(
        b"event: e\nid: 1\n: x\ndata: d\n\n",
        plain(),
        &[ev("e", "d", "1")],
    );
}

#[test]
fn unterminated_comment_at_end_of_stream_is_discarded() {
    check(b"data: x\n\n: bye", comments(), &[msg("x")]);
}

#[test]
fn colon_after_leading_space_is_not_a_comment() {
    // ` ` is the field name: unknown, ignored, and not a comment.
    check(b" : x\ndata: y\n\n", comments(), &[msg("y")]);
}

// ---------------------------------------------------------------------------
// 8. Name, colon, value, one space
// ---------------------------------------------------------------------------

#[test]
fn value_is_everything_after_the_first_colon() {
    check(b"data: a:b: c:\n\n", plain(), &[msg("a:b: c:")]);
}

#[test]
fn value_without_space_after_colon() {
    check(b"data:x\n\n", plain(), &[msg("x")]);
}

#[test]
fn only_one_leading_space_is_stripped() {
    check(b"data:  x\n\n", plain(), &[msg(" x")]);
}

#[test]
fn leading_tab_is_not_stripped() {
    check(b"data:\tx\n\n", plain(), &[msg("\tx")]);
}

#[test]
fn trailing_spaces_are_kept() {
    check(b"data: x  \n\n", plain(), &[msg("x  ")]);
}

#[test]
fn single_space_value_is_empty() {
    check(b"data: \n\n", plain(), &[msg("")]);
}

#[test]
fn two_space_value_is_one_space() {
    check(b"data:  \n\n", plain(), &[msg(" ")]);
}

#[test]
fn space_stripping_applies_to_event_and_id() {
    check(
        b"event:  t\nid:  1\ndata: x\n\n",
        plain(),
        &[ev(" t", "x", " 1")],
    );
}

#[test]
fn space_is_stripped_only_right_after_the_colon() {
    check(b"data:x y \n\n", plain(), &[msg("x y ")]);
}

// ---------------------------------------------------------------------------
// 9. Lines without a colon
// ---------------------------------------------------------------------------

#[test]
fn data_without_colon_appends_an_empty_line() {
    check(b"data\n\n", plain(), &[msg("")]);
}

#[test]
fn data_without_colon_between_values() {
    check(b"data: a\ndata\ndata: b\n\n", plain(), &[msg("a\n\nb")]);
}

#[test]
fn event_without_colon_resets_the_type() {
    check(b"event: x\nevent\ndata: y\n\n", plain(), &[msg("y")]);
}

#[test]
fn id_without_colon_resets_the_id() {
    check(
        b"id: 1\ndata: a\n\nid\ndata: b\n\n",
        plain(),
        &[msg_id("a", "1"), msg("b")],
    );
}

#[test]
fn retry_without_colon_is_ignored() {
    check(b"retry\ndata: x\n\n", plain(), &[msg("x")]);
}

#[test]
fn unknown_field_without_colon_is_ignored() {
    check(b"foo\ndata: x\n\n", plain(), &[msg("x")]);
}

// ---------------------------------------------------------------------------
// 10. Field names and what each field does
// ---------------------------------------------------------------------------

#[test]
fn field_names_are_case_sensitive() {
    check(
        b"Data: a\nDATA: b\nEvent: e\nID: 1\nRetry: 5\nRETRY: 6\ndata: x\n\n",
        plain(),
        &[msg("x")],
    );
}

#[test]
fn mis_cased_data_alone_dispatches_nothing() {
    check(b"Data: a\n\n", plain(), &[]);
}

#[test]
fn field_name_with_trailing_space_is_unknown() {
    check(b"data : a\nevent : e\nid : 1\nretry : 5\n\n", plain(), &[]);
}

#[test]
fn field_name_with_leading_space_is_unknown() {
    check(b" data: a\n\n", plain(), &[]);
}

#[test]
fn field_name_with_leading_tab_is_unknown() {
    check(b"\tdata: a\n\n", plain(), &[]);
}

#[test]
fn unknown_fields_are_ignored() {
    check(
        b"foo: bar\ndat: a\ndatas: b\ndata: x\nfoo\n\n",
        plain(),
        &[msg("x")],
    );
}

#[test]
fn data_lines_are_joined_with_lf() {
    check(b"data: a\ndata: b\ndata: c\n\n", plain(), &[msg("a\nb\nc")]);
}

#[test]
fn data_with_empty_value_dispatches_the_empty_string() {
    check(b"data:\n\n", plain(), &[msg("")]);
}

#[test]
fn empty_data_then_value_keeps_the_leading_lf() {
    check(b"data:\ndata: x\n\n", plain(), &[msg("\nx")]);
}

#[test]
fn event_sets_the_type() {
    check(
        b"event: update\ndata: x\n\n",
        plain(),
        &[ev("update", "x", "")],
    );
}

#[test]
fn event_type_may_contain_spaces_and_colons() {
    check(
        b"event: a b:c\ndata: x\n\n",
        plain(),
        &[ev("a b:c", "x", "")],
    );
}

#[test]
fn last_event_field_wins() {
    check(
        b"event: a\nevent: b\ndata: x\n\n",
        plain(),
        &[ev("b", "x", "")],
    );
}

#[test]
fn event_after_data_in_the_same_block_applies() {
    check(b"data: x\nevent: late\n\n", plain(), &[ev("late", "x", "")]);
}

#[test]
fn event_with_empty_value_resets_the_type_to_message() {
    check(b"event: x\nevent:\ndata: y\n\n", plain(), &[msg("y")]);
}

#[test]
fn event_type_does_not_leak_into_the_next_event() {
    check(
        b"event: x\ndata: 1\n\ndata: 2\n\n",
        plain(),
        &[ev("x", "1", ""), msg("2")],
    );
}

#[test]
fn event_type_does_not_leak_after_empty_block() {
    check(b"event: x\n\ndata: y\n\n", plain(), &[msg("y")]);
}

#[test]
fn explicit_message_type_equals_the_default() {
    check(b"event: message\ndata: y\n\n", plain(), &[msg("y")]);
}

#[test]
fn id_is_attached_to_the_event() {
    check(b"id: 42\ndata: x\n\n", plain(), &[msg_id("x", "42")]);
}

#[test]
fn id_after_data_in_the_same_block_applies() {
    check(b"data: x\nid: 3\n\n", plain(), &[msg_id("x", "3")]);
}

#[test]
fn last_id_field_wins() {
    check(b"id: 1\nid: 2\ndata: x\n\n", plain(), &[msg_id("x", "2")]);
}

#[test]
fn id_persists_across_events() {
    check(
        b"id: 1\ndata: a\n\ndata: b\n\ndata: c\n\n",
        plain(),
        &[msg_id("a", "1"), msg_id("b", "1"), msg_id("c", "1")],
    );
}

#[test]
fn id_with_empty_value_resets_it() {
    check(
        b"id: 1\ndata: a\n\nid:\ndata: b\n\n",
        plain(),
        &[msg_id("a", "1"), msg("b")],
    );
}

#[test]
fn id_with_nul_is_ignored() {
    check(
        b"id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n",
        plain(),
        &[msg_id("a", "1"), msg_id("b", "1")],
    );
}

#[test]
fn id_that_is_only_nul_is_ignored() {
    check(b"id: 5\nid: \0\ndata: b\n\n", plain(), &[msg_id("b", "5")]);
}

#[test]
fn id_with_nul_at_the_end_is_ignored() {
    check(b"id: 5\0\ndata: b\n\n", plain(), &[msg("b")]);
}

#[test]
fn id_with_other_control_characters_is_kept() {
    check(
        b"id: a\x01\x7Fb\ndata: x\n\n",
        plain(),
        &[msg_id("x", "a\u{1}\u{7F}b")],
    );
}

#[test]
fn id_with_spaces_and_colons_is_kept() {
    check(b"id: a: b \ndata: x\n\n", plain(), &[msg_id("x", "a: b ")]);
}

#[test]
fn id_only_block_changes_last_event_id() {
    check(b"id: 7\n\ndata: x\n\n", plain(), &[msg_id("x", "7")]);
}

#[test]
fn id_reset_in_an_id_only_block() {
    check(
        b"id: 7\ndata: a\n\nid:\n\ndata: b\n\n",
        plain(),
        &[msg_id("a", "7"), msg("b")],
    );
}

#[test]
fn retry_with_space() {
    check(b"retry: 1000\n", plain(), &[retry(1000)]);
}

#[test]
fn retry_without_space() {
    check(b"retry:1000\n", plain(), &[retry(1000)]);
}

#[test]
fn retry_with_two_spaces_is_ignored() {
    check(b"retry:  1000\n", plain(), &[]);
}

#[test]
fn retry_with_unit_suffix_is_ignored() {
    check(b"retry: 10s\n", plain(), &[]);
}

#[test]
fn retry_negative_is_ignored() {
    check(b"retry: -1\n", plain(), &[]);
}

#[test]
fn retry_decimal_is_ignored() {
    check(b"retry: 1.5\n", plain(), &[]);
}

#[test]
fn retry_with_empty_value_is_ignored() {
    check(b"retry:\nretry: \n", plain(), &[]);
}

#[test]
fn retry_with_plus_sign_is_ignored() {
    check(b"retry: +5\n", plain(), &[]);
}

#[test]
fn retry_with_trailing_space_is_ignored() {
    check(b"retry: 5 \n", plain(), &[]);
}

#[test]
fn retry_with_tab_is_ignored() {
    check(b"retry:\t5\n", plain(), &[]);
}

#[test]
fn retry_with_non_ascii_digits_is_ignored() {
    // ARABIC-INDIC DIGIT THREE and FULLWIDTH DIGIT FIVE.
    check("retry: \u{663}\nretry: \u{FF15}\n".as_bytes(), plain(), &[]);
}

#[test]
fn retry_with_leading_zeros() {
    check(
        b"retry: 007\nretry: 0\nretry: 000\n",
        plain(),
        &[retry(7), retry(0), retry(0)],
    );
}

#[test]
fn retry_u64_max_is_accepted() {
    check(
        b"retry: 18446744073709551615\n",
        plain(),
        &[retry(u64::MAX)],
    );
}

#[test]
fn retry_u64_max_with_leading_zeros_is_accepted() {
    check(
        b"retry: 00018446744073709551615\n",
        plain(),
        &[retry(u64::MAX)],
    );
}

#[test]
fn retry_overflowing_u64_is_ignored() {
    // u64::MAX + 1, and a much longer digit string.
    check(
        b"retry: 18446744073709551616\nretry: 99999999999999999999999999999999\nretry: 1\n",
        plain(),
        &[retry(1)],
    );
}

#[test]
fn retry_is_reported_when_read_not_at_dispatch() {
    check(
        b"data: a\nretry: 5\ndata: b\n\n",
        plain(),
        &[retry(5), msg("a\nb")],
    );
}

#[test]
fn retry_alone_dispatches_nothing() {
    check(b"retry: 5\n\n", plain(), &[retry(5)]);
}

#[test]
fn every_valid_retry_is_reported() {
    check(
        b"retry: 1\nretry: 2\nretry: 1\n",
        plain(),
        &[retry(1), retry(2), retry(1)],
    );
}

// ---------------------------------------------------------------------------
// 11. Dispatch
// ---------------------------------------------------------------------------

#[test]
fn block_without_data_dispatches_nothing() {
    check(b"event: x\nid: 1\n\n", plain(), &[]);
}

#[test]
fn block_without_data_still_sets_last_event_id() {
    check(
        b"event: x\nid: 1\n\ndata: y\n\n",
        plain(),
        &[msg_id("y", "1")],
    );
}

#[test]
fn only_one_trailing_lf_is_removed() {
    check(b"data\ndata\n\n", plain(), &[msg("\n")]);
}

#[test]
fn data_ending_with_empty_values_keeps_their_lfs() {
    check(b"data: a\ndata:\ndata:\n\n", plain(), &[msg("a\n\n")]);
}

#[test]
fn default_type_is_message() {
    check(b"data: x\n\n", plain(), &[ev("message", "x", "")]);
}

// ---------------------------------------------------------------------------
// 12. End of stream
// ---------------------------------------------------------------------------

#[test]
fn unterminated_final_event_is_discarded() {
    check(b"data: a\n\ndata: b\n", plain(), &[msg("a")]);
}

#[test]
fn unterminated_final_line_is_discarded() {
    check(b"data: a\n\ndata: b", plain(), &[msg("a")]);
}

#[test]
fn single_line_without_blank_line_dispatches_nothing() {
    check(b"data: x\n", plain(), &[]);
}

#[test]
fn unterminated_final_retry_line_is_discarded() {
    check(b"retry: 5", plain(), &[]);
}

// ---------------------------------------------------------------------------
// 13. Reconnection time is stream state
// ---------------------------------------------------------------------------

#[test]
fn retry_in_an_unterminated_block_is_still_reported() {
    check(b"data: a\nretry: 5\n", plain(), &[retry(5)]);
}

#[test]
fn retry_does_not_affect_the_event() {
    check(
        b"retry: 5\nevent: e\ndata: d\nid: i\n\n",
        plain(),
        &[retry(5), ev("e", "d", "i")],
    );
}

// ---------------------------------------------------------------------------
// Examples from the WHATWG "Server-sent events" section
// ---------------------------------------------------------------------------

#[test]
fn spec_intro_example_three_messages() {
    check(
        b"data: This is the first message.\n\n\
          data: This is the second message, it\n\
          data: has two lines.\n\n\
          data: This is the third message.\n\n",
        plain(),
        &[
            msg("This is the first message."),
            msg("This is the second message, it\nhas two lines."),
            msg("This is the third message."),
        ],
    );
}

#[test]
fn spec_intro_example_event_types() {
    check(
        b"event: add\ndata: 73857293\n\n\
          event: remove\ndata: 2153\n\n\
          event: add\ndata: 113411\n\n",
        plain(),
        &[
            ev("add", "73857293", ""),
            ev("remove", "2153", ""),
            ev("add", "113411", ""),
        ],
    );
}

#[test]
fn spec_example_stock_ticker() {
    check(
        b"data: YHOO\ndata: +2\ndata: 10\n\n",
        plain(),
        &[msg("YHOO\n+2\n10")],
    );
}

#[test]
fn spec_example_stock_ticker_without_blank_line_dispatches_nothing() {
    // "The following event stream, once followed by a blank line: ..."
    check(b"data: YHOO\ndata: +2\ndata: 10\n", plain(), &[]);
}

const SPEC_FOUR_BLOCKS: &[u8] = b": test stream\n\
\n\
data: first event\n\
id: 1\n\
\n\
data:second event\n\
id\n\
\n\
data:  third event\n\
\n";

#[test]
fn spec_example_four_blocks_with_ids() {
    check(
        SPEC_FOUR_BLOCKS,
        plain(),
        &[
            msg_id("first event", "1"),
            msg_id("second event", ""),
            msg_id(" third event", ""),
        ],
    );
}

#[test]
fn spec_example_four_blocks_with_comments_reported() {
    check(
        SPEC_FOUR_BLOCKS,
        comments(),
        &[
            comment(" test stream"),
            msg_id("first event", "1"),
            msg_id("second event", ""),
            msg_id(" third event", ""),
        ],
    );
}

#[test]
fn spec_example_four_blocks_last_needs_its_blank_line() {
    // "Note that the last still has to end with a blank line, the end of the
    // stream is not enough to trigger the dispatch of the last event."
    let input = &SPEC_FOUR_BLOCKS[..SPEC_FOUR_BLOCKS.len() - 1];
    check(
        input,
        plain(),
        &[msg_id("first event", "1"), msg_id("second event", "")],
    );
}

#[test]
fn spec_example_data_without_colon_blank_line_counting() {
    // "The first block fires events with the data set to the empty string
    // [...]. The middle block fires an event with the data set to a single
    // newline character. The last block is discarded because it is not
    // followed by a blank line."
    check(
        b"data\n\ndata\ndata\n\ndata:",
        plain(),
        &[msg(""), msg("\n")],
    );
}

#[test]
fn spec_example_data_without_colon_last_block_with_blank_line() {
    // "... as would the last block if it was followed by a blank line."
    check(
        b"data\n\ndata\ndata\n\ndata:\n\n",
        plain(),
        &[msg(""), msg("\n"), msg("")],
    );
}

#[test]
fn spec_example_test_with_and_without_space_are_identical() {
    check(
        b"data:test\n\ndata: test\n\n",
        plain(),
        &[msg("test"), msg("test")],
    );
}

// ---------------------------------------------------------------------------
// 5. and the project's limits: maximum line length
// ---------------------------------------------------------------------------

#[test]
fn line_exactly_at_the_limit_is_accepted() {
    // `data: ab` is 8 bytes.
    check(b"data: ab\n\n", line_limit(8), &[msg("ab")]);
}

#[test]
fn line_one_byte_over_the_limit_is_too_long() {
    check(b"data: abc\n\n", line_limit(8), &[LINE_TOO_LONG]);
}

#[test]
fn line_limit_excludes_the_crlf_terminator() {
    check(b"data: ab\r\n\r\n", line_limit(8), &[msg("ab")]);
}

#[test]
fn line_limit_excludes_a_cr_terminator_at_end_of_stream() {
    check(b"data: ab\r\r", line_limit(8), &[msg("ab")]);
}

#[test]
fn line_limit_counts_bytes_not_characters() {
    // `data: éé` is 10 bytes but 8 characters.
    check(
        "data: éé\n\ndata: ab\n\n".as_bytes(),
        line_limit(9),
        &[LINE_TOO_LONG, msg("ab")],
    );
}

#[test]
fn endless_line_is_cut_with_line_too_long_and_next_event_decodes() {
    let input = cat(&[&long("data: ", b'a', 5000, "\n\n"), b"data: next\n\n"]);
    check(&input, line_limit(64), &[LINE_TOO_LONG, msg("next")]);
}

#[test]
fn unterminated_endless_line_reports_line_too_long_at_end_of_stream() {
    let input = cat(&[b"data: ok\n\n", &long("data: ", b'x', 3000, "")]);
    check(&input, line_limit(64), &[msg("ok"), LINE_TOO_LONG]);
}

#[test]
fn unterminated_final_line_within_the_limit_is_silently_discarded() {
    check(b"data: ok\n\ndata: abc", line_limit(9), &[msg("ok")]);
}

#[test]
fn unterminated_final_line_over_the_limit_is_reported() {
    check(
        b"data: ok\n\ndata: abcd",
        line_limit(9),
        &[msg("ok"), LINE_TOO_LONG],
    );
}

#[test]
fn too_long_line_in_the_middle_of_an_event_drops_only_that_event() {
    let input = cat(&[
        b"data: first\n\n",
        b"data: second\n",
        &long("data: ", b'z', 200, "\n"),
        b"data: more\n\n",
        b"data: third\n\n",
    ]);
    check(
        &input,
        line_limit(32),
        &[msg("first"), LINE_TOO_LONG, msg("third")],
    );
}

#[test]
fn too_long_line_drops_the_id_set_in_its_block() {
    let input = cat(&[
        b"id: 1\ndata: a\n\n",
        b"id: 2\n",
        &long("", b'x', 40, "\n"),
        b"\n",
        b"data: b\n\n",
    ]);
    check(
        &input,
        line_limit(16),
        &[msg_id("a", "1"), LINE_TOO_LONG, msg_id("b", "1")],
    );
}

#[test]
fn too_long_line_drops_an_id_set_after_it() {
    let input = cat(&[&long("", b'x', 40, "\n"), b"id: 2\n\ndata: b\n\n"]);
    check(&input, line_limit(16), &[LINE_TOO_LONG, msg("b")]);
}

#[test]
fn too_long_line_drops_an_id_only_block() {
    let input = cat(&[
        b"id: 1\n\nid: 2\n",
        &long(":", b'c', 40, "\n"),
        b"\ndata: x\n\n",
    ]);
    check(&input, line_limit(16), &[LINE_TOO_LONG, msg_id("x", "1")]);
}

#[test]
fn too_long_line_clears_the_event_type() {
    let input = cat(&[b"event: e\n", &long("", b'x', 40, "\n\n"), b"data: y\n\n"]);
    check(&input, line_limit(16), &[LINE_TOO_LONG, msg("y")]);
}

#[test]
fn lines_after_too_long_line_are_ignored_until_the_blank_line() {
    let input = cat(&[
        &long("data: ", b'x', 40, "\n"),
        b"data: a\nevent: e\nid: 9\nretry: 5\n: c\n\n",
        b"data: b\n\n",
    ]);
    check(
        &input,
        Options {
            comments: true,
            ..line_limit(16)
        },
        &[LINE_TOO_LONG, msg("b")],
    );
}

#[test]
fn too_long_line_before_any_field_abandons_its_block() {
    let input = cat(&[&long("", b'x', 40, "\n"), b"data: a\n\n", b"data: b\n\n"]);
    check(&input, line_limit(16), &[LINE_TOO_LONG, msg("b")]);
}

#[test]
fn every_too_long_line_is_reported_even_while_abandoning() {
    let input = cat(&[
        &long("data: ", b'x', 40, "\n"),
        b"data: a\n",
        &long("data: ", b'y', 40, "\r\n"),
        b"\n",
        b"data: b\n\n",
    ]);
    check(
        &input,
        line_limit(16),
        &[LINE_TOO_LONG, LINE_TOO_LONG, msg("b")],
    );
}

#[test]
fn unterminated_too_long_line_while_abandoning_is_reported() {
    let input = cat(&[&long("", b'x', 40, "\n"), &long("", b'y', 40, "")]);
    check(&input, line_limit(16), &[LINE_TOO_LONG, LINE_TOO_LONG]);
}

#[test]
fn retry_before_a_too_long_line_is_kept() {
    let input = cat(&[
        b"retry: 5\ndata: a\n",
        &long("", b'x', 40, "\n"),
        b"retry: 7\n\n",
    ]);
    check(&input, line_limit(16), &[retry(5), LINE_TOO_LONG]);
}

#[test]
fn too_long_comment_is_reported_and_abandons_its_block() {
    let input = cat(&[b"data: a\n", &long(":", b' ', 40, "\n"), b"\ndata: b\n\n"]);
    check(
        &input,
        Options {
            comments: true,
            ..line_limit(16)
        },
        &[LINE_TOO_LONG, msg("b")],
    );
}

#[test]
fn extra_blank_lines_after_an_abandoned_block_dispatch_nothing() {
    let input = cat(&[&long("", b'x', 40, "\n"), b"\n\n\ndata: x\n\n"]);
    check(&input, line_limit(16), &[LINE_TOO_LONG, msg("x")]);
}

#[test]
fn line_limit_zero_allows_only_blank_lines() {
    check(b"\n\r\n\rdata: x\n\n", line_limit(0), &[LINE_TOO_LONG]);
}

#[test]
fn line_too_long_takes_precedence_over_event_too_large() {
    check(
        b"data: 123456789012\n\ndata: ok\n\n",
        Options {
            max_line_length: 10,
            max_event_size: 5,
            ..plain()
        },
        &[LINE_TOO_LONG, msg("ok")],
    );
}

// ---------------------------------------------------------------------------
// The project's limits: maximum event size
// ---------------------------------------------------------------------------

#[test]
fn data_exactly_at_the_event_size_limit_is_accepted() {
    // 10 + 1 (the LF between the lines) + 10 = 21 bytes.
    check(
        b"data: 0123456789\ndata: 0123456789\n\n",
        event_limit(21),
        &[msg("0123456789\n0123456789")],
    );
}

#[test]
fn data_one_byte_over_the_event_size_limit_is_too_large() {
    check(
        b"data: 0123456789\ndata: 0123456789\n\ndata: ok\n\n",
        event_limit(20),
        &[EVENT_TOO_LARGE, msg("ok")],
    );
}

#[test]
fn event_size_counts_the_lf_between_lines() {
    check(b"data: a\ndata: b\n\n", event_limit(3), &[msg("a\nb")]);
    check(b"data: a\ndata: b\n\n", event_limit(2), &[EVENT_TOO_LARGE]);
}

#[test]
fn event_size_counts_empty_data_lines() {
    // Three empty values join to "\n\n": 2 bytes.
    check(b"data\ndata\ndata\n\n", event_limit(2), &[msg("\n\n")]);
    check(b"data\ndata\ndata\n\n", event_limit(1), &[EVENT_TOO_LARGE]);
}

#[test]
fn event_size_zero_allows_only_one_empty_data_line() {
    check(b"data:\n\n", event_limit(0), &[msg("")]);
    check(
        b"data: x\n\ndata:\n\n",
        event_limit(0),
        &[EVENT_TOO_LARGE, msg("")],
    );
    check(b"data\ndata\n\n", event_limit(0), &[EVENT_TOO_LARGE]);
}

#[test]
fn event_size_counts_bytes_not_characters() {
    check("data: éé\n\n".as_bytes(), event_limit(4), &[msg("éé")]);
    check(
        "data: éé\n\n".as_bytes(),
        event_limit(3),
        &[EVENT_TOO_LARGE],
    );
}

#[test]
fn endless_data_field_across_many_lines_gives_event_too_large_and_next_event_decodes() {
    let mut input = Vec::new();
    for _ in 0..500 {
        input.extend_from_slice(b"data: 0123456789\n");
    }
    input.extend_from_slice(b"\ndata: next\n\n");
    check(&input, event_limit(50), &[EVENT_TOO_LARGE, msg("next")]);
}

#[test]
fn event_too_large_is_reported_once_per_block() {
    check(
        b"data: 12345\ndata: 6\ndata: 7\n\n",
        event_limit(3),
        &[EVENT_TOO_LARGE],
    );
}

#[test]
fn event_too_large_drops_the_type_and_id_of_its_block() {
    check(
        b"id: 1\ndata: a\n\nevent: e\nid: 2\ndata: 12345\nid: 3\n\ndata: b\n\n",
        event_limit(3),
        &[msg_id("a", "1"), EVENT_TOO_LARGE, msg_id("b", "1")],
    );
}

#[test]
fn event_too_large_keeps_earlier_retry_and_ignores_later_lines() {
    check(
        b"retry: 5\ndata: 12345\nretry: 7\n: c\n\ndata: b\n\n",
        Options {
            comments: true,
            ..event_limit(3)
        },
        &[retry(5), EVENT_TOO_LARGE, msg("b")],
    );
}

#[test]
fn event_too_large_then_line_too_long_in_the_same_block() {
    let input = cat(&[
        b"data: 12345\n",
        &long("", b'x', 40, "\n"),
        b"\ndata: ok\n\n",
    ]);
    check(
        &input,
        Options {
            max_line_length: 20,
            max_event_size: 3,
            ..plain()
        },
        &[EVENT_TOO_LARGE, LINE_TOO_LONG, msg("ok")],
    );
}

#[test]
fn event_too_large_in_an_unterminated_stream_is_reported() {
    check(b"data: 123456\n", event_limit(3), &[EVENT_TOO_LARGE]);
}

#[test]
fn event_size_is_reset_after_each_dispatch() {
    check(
        b"data: abc\n\ndata: def\n\n",
        event_limit(3),
        &[msg("abc"), msg("def")],
    );
}
