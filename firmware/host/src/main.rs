//! The firmware's output made on the host: the allocating `Decoder`, fed
//! the whole stream at once, reported in the same format. `run-ci.sh`
//! compares the two.

use std::io::Write as _;

use sse_firmware_common::{builder, Report, STREAM};

/// `fmt::Write` into a `String`, printed at the end.
fn main() {
    let mut report = Report::new(String::new());
    let mut decoder = builder().build();
    let mut feed = decoder.feed(STREAM);
    while let Some(item) = feed.next_item() {
        report.item(item).expect("writing to a String");
    }
    drop(feed);
    decoder.end_of_stream();
    let last_event_id = decoder.last_event_id().into_owned();
    report
        .end(last_event_id.as_bytes(), decoder.reconnection_time())
        .expect("writing to a String");
    std::io::stdout()
        .write_all(report.out().as_bytes())
        .expect("stdout");
}
