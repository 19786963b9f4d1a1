//! A topic as one node sees it: its local subscribers and their bounded
//! queues, the position last fanned out, and (in memory) its history.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Waker;
use std::time::Instant;

use sse_codec_core::Frame;

use crate::id::Pos;
use crate::metrics::Counters;
use crate::Overflow;

/// Locks a mutex; a poisoned one is used as it is (every critical section
/// here leaves its data consistent at each step, and none of them panics).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One event: where it is, and its frame (with its `id:` line), encoded
/// once and shared.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) pos: Pos,
    pub(crate) frame: Frame,
}

/// An entry of the in-memory history, with its time for `max_age`.
#[derive(Debug)]
pub(crate) struct Logged {
    pub(crate) entry: Entry,
    pub(crate) at: Instant,
}

/// A topic on this node.
#[derive(Debug)]
pub(crate) struct Topic {
    pub(crate) name: String,
    pub(crate) counters: Arc<Counters>,
    pub(crate) state: Mutex<TopicState>,
    /// Told when a Redis reader has found where the stream ends.
    pub(crate) ready: tokio::sync::Notify,
}

#[derive(Debug, Default)]
pub(crate) struct TopicState {
    pub(crate) subscribers: HashMap<u64, Arc<Queue>>,
    /// The last entry appended (memory) or fanned out (Redis).
    pub(crate) last_pos: Option<Pos>,
    /// Whether `last_pos` is known (always in memory; on Redis once the
    /// reader has read the end of the stream).
    pub(crate) ready: bool,
    /// Where a Redis reader started: the start of the subscribers that
    /// registered before it was ready.
    pub(crate) init_pos: Option<Pos>,
    /// The history (memory store only), oldest first.
    pub(crate) log: VecDeque<Logged>,
    /// Whether retention ever removed an event (memory store only).
    pub(crate) removed_any: bool,
}

impl Topic {
    pub(crate) fn new(name: &str, counters: Arc<Counters>, ready: bool) -> Topic {
        Topic {
            name: name.to_owned(),
            counters,
            state: Mutex::new(TopicState {
                ready,
                ..TopicState::default()
            }),
            ready: tokio::sync::Notify::new(),
        }
    }
}

impl TopicState {
    /// Hands `entry` to every subscriber's queue; never blocks, never grows
    /// a queue past its bounds.
    pub(crate) fn fan_out(&mut self, entry: &Entry, counters: &Counters) {
        self.last_pos = Some(entry.pos);
        for queue in self.subscribers.values() {
            queue.push(entry, counters);
        }
    }
}

/// A subscriber's bounded queue, filled by publishers (memory) or the
/// topic's reader (Redis), emptied by the subscriber.
#[derive(Debug)]
pub(crate) struct Queue {
    max_events: usize,
    max_bytes: usize,
    overflow: Overflow,
    state: Mutex<QueueState>,
}

#[derive(Debug, Default)]
struct QueueState {
    entries: VecDeque<Entry>,
    bytes: usize,
    /// The queue was full: it was emptied and takes nothing until the
    /// subscriber has seen this (and resynchronises or ends).
    overflowed: bool,
    waker: Option<Waker>,
}

/// What a subscriber finds in its queue.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Popped {
    /// This many entries were moved out.
    Entries(usize),
    Overflowed,
    Empty,
}

impl Queue {
    pub(crate) fn new(max_events: usize, max_bytes: usize, overflow: Overflow) -> Queue {
        Queue {
            max_events: max_events.max(1),
            max_bytes: max_bytes.max(1),
            overflow,
            state: Mutex::new(QueueState::default()),
        }
    }

    fn push(&self, entry: &Entry, counters: &Counters) {
        let mut state = lock(&self.state);
        if state.overflowed {
            return;
        }
        let len = entry.frame.as_bytes().len();
        let fits = state.entries.len() < self.max_events
            && state.bytes.saturating_add(len) <= self.max_bytes;
        if fits {
            state.entries.push_back(entry.clone());
            state.bytes = state.bytes.saturating_add(len);
            counters.queue_high_water(state.entries.len() as u64);
        } else {
            // Free everything at once; the subscriber catches up from history.
            state.entries = VecDeque::new();
            state.bytes = 0;
            state.overflowed = true;
            // Counted now, when the memory is freed, even if the subscriber
            // is not polled again for a long time.
            match self.overflow {
                Overflow::Resync => counters.resynchronized(1),
                Overflow::Disconnect => counters.disconnected(1),
            }
        }
        if let Some(waker) = state.waker.take() {
            waker.wake();
        }
    }

    /// Everything queued, moved into `into` (empty: it is swapped with the
    /// queue, so both keep their allocations) under one lock; or the
    /// overflow mark; or nothing (then `waker` is woken when something
    /// comes). One call per wake-up, not one per event.
    pub(crate) fn pop_all(&self, into: &mut VecDeque<Entry>, waker: &Waker) -> Popped {
        let mut state = lock(&self.state);
        if state.overflowed {
            state.overflowed = false;
            return Popped::Overflowed;
        }
        if state.entries.is_empty() {
            match &mut state.waker {
                Some(old) if old.will_wake(waker) => {}
                slot => *slot = Some(waker.clone()),
            }
            return Popped::Empty;
        }
        into.clear();
        std::mem::swap(&mut state.entries, into);
        state.bytes = 0;
        Popped::Entries(into.len())
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        lock(&self.state).entries.len()
    }
}

/// Subscriber IDs, unique within a hub.
#[derive(Debug, Default)]
pub(crate) struct SubscriberIds(AtomicU64);

impl SubscriberIds {
    pub(crate) fn next(&self) -> u64 {
        self.0.fetch_add(1, Ordering::Relaxed)
    }
}
