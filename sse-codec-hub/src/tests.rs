//! Unit tests of the in-memory store's pieces: history pages, trimming,
//! queues.

use std::collections::VecDeque;
use std::task::Waker;
use std::time::{Duration, Instant};

use super::*;

fn entry(seq: u64, data: &str) -> Entry {
    Entry {
        pos: Pos { hi: 0, lo: seq },
        frame: Frame::event(&EventRef::new(data)).unwrap(),
    }
}

fn log(seqs: &[u64]) -> VecDeque<Logged> {
    seqs.iter()
        .map(|&seq| Logged {
            entry: entry(seq, "x"),
            at: Instant::now(),
        })
        .collect()
}

fn seqs(page: &Page) -> Vec<u64> {
    page.entries.iter().map(|e| e.pos.lo).collect()
}

#[test]
fn pages_after_a_retained_id() {
    let log = log(&[3, 5, 8, 9]);
    let page = read_log(&log, true, ReadFrom::After(Pos { hi: 0, lo: 5 }), 10);
    assert_eq!(
        (page.reset, seqs(&page), page.complete),
        (None, vec![8, 9], true)
    );
    let page = read_log(&log, true, ReadFrom::After(Pos { hi: 0, lo: 3 }), 2);
    assert_eq!(
        (page.reset, seqs(&page), page.complete),
        (None, vec![5, 8], false)
    );
    let page = read_log(&log, true, ReadFrom::After(Pos { hi: 0, lo: 9 }), 2);
    assert_eq!(
        (page.reset, seqs(&page), page.complete),
        (None, vec![], true)
    );
}

#[test]
fn ids_not_retained_reset() {
    let log = log(&[3, 5, 8]);
    let page = read_log(&log, true, ReadFrom::After(Pos { hi: 0, lo: 1 }), 10);
    assert_eq!(
        (page.reset, seqs(&page)),
        (Some(ResetReason::Trimmed), vec![3, 5, 8])
    );
    // A gap inside the topic's IDs (another topic's ID) or a future ID.
    for unknown in [4, 99] {
        let page = read_log(&log, true, ReadFrom::After(Pos { hi: 0, lo: unknown }), 10);
        assert_eq!(page.reset, Some(ResetReason::Unknown));
    }
    let page = read_log(
        &VecDeque::new(),
        false,
        ReadFrom::After(Pos { hi: 0, lo: 1 }),
        10,
    );
    assert_eq!(
        (page.reset, page.complete),
        (Some(ResetReason::Unknown), true)
    );
}

#[test]
fn the_beginning_is_resumable_until_something_is_removed() {
    let log = log(&[1, 2]);
    assert_eq!(read_log(&log, false, ReadFrom::Beginning, 10).reset, None);
    assert_eq!(
        read_log(&log, true, ReadFrom::Beginning, 10).reset,
        Some(ResetReason::Trimmed)
    );
    assert_eq!(read_log(&log, true, ReadFrom::Start, 10).reset, None);
}

#[test]
fn trim_by_count_and_age() {
    let mut config = HubBuilder::default().history(2).config;
    let mut state = topic::TopicState {
        log: log(&[1, 2, 3]),
        ..Default::default()
    };
    trim(&mut state, &config, Instant::now());
    assert_eq!(state.log.len(), 2);
    assert!(state.removed_any);
    config.max_age = Some(Duration::from_secs(10));
    trim(
        &mut state,
        &config,
        Instant::now() + Duration::from_secs(11),
    );
    assert!(state.log.is_empty());
}

#[test]
fn a_full_queue_empties_and_says_so_once() {
    let counters = Counters::new("t");
    let queue = Queue::new(2, 1000, Overflow::Resync);
    let mut state = topic::TopicState::default();
    state
        .subscribers
        .insert(0, Arc::new(Queue::new(2, 1000, Overflow::Resync)));
    let waker = Waker::noop();
    for seq in 1..=2 {
        state.fan_out(&entry(seq, "x"), &counters);
    }
    let queue_in_topic = state.subscribers[&0].clone();
    assert_eq!(queue_in_topic.len(), 2);
    state.fan_out(&entry(3, "x"), &counters);
    assert_eq!(queue_in_topic.len(), 0, "overflow frees everything at once");
    state.fan_out(&entry(4, "x"), &counters);
    assert_eq!(
        queue_in_topic.len(),
        0,
        "nothing is taken until the subscriber has seen it"
    );
    let mut taken = VecDeque::new();
    assert_eq!(
        queue_in_topic.pop_all(&mut taken, waker),
        topic::Popped::Overflowed
    );
    assert_eq!(
        queue_in_topic.pop_all(&mut taken, waker),
        topic::Popped::Empty
    );
    state.fan_out(&entry(5, "x"), &counters);
    state.fan_out(&entry(6, "x"), &counters);
    assert_eq!(
        queue_in_topic.pop_all(&mut taken, waker),
        topic::Popped::Entries(2),
        "everything queued in one go"
    );
    let seqs: Vec<u64> = taken.iter().map(|e| e.pos.lo).collect();
    assert_eq!(seqs, [5, 6]);
    assert_eq!(queue_in_topic.len(), 0);
    assert_eq!(counters.snapshot().queue_high_water, 2);
    assert_eq!(
        counters.snapshot().resynchronized,
        1,
        "counted when the queue overflowed"
    );
    assert_eq!(queue.len(), 0);
}

#[test]
fn the_byte_bound_counts_frames() {
    let counters = Counters::new("t");
    let frame_len = entry(1, "x").frame.as_bytes().len();
    let mut state = topic::TopicState::default();
    let queue = Arc::new(Queue::new(100, frame_len * 2, Overflow::Resync));
    state.subscribers.insert(0, queue.clone());
    state.fan_out(&entry(1, "x"), &counters);
    state.fan_out(&entry(2, "x"), &counters);
    assert_eq!(queue.len(), 2);
    let waker = Waker::noop();
    let mut taken = VecDeque::new();
    assert_eq!(queue.pop_all(&mut taken, waker), topic::Popped::Entries(2));
    state.fan_out(&entry(3, "x"), &counters);
    state.fan_out(&entry(4, "x"), &counters);
    assert_eq!(queue.len(), 2, "popping gave the bytes back");
    state.fan_out(&entry(5, "x"), &counters);
    assert_eq!(queue.pop_all(&mut taken, waker), topic::Popped::Overflowed);
}

#[test]
fn reset_frames() {
    assert_eq!(
        subscription::reset_frame(ResetReason::Lagged).as_ref(),
        b"event: reset\ndata: {\"reason\":\"lagged\"}\n\n"
    );
}
