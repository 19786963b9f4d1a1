//! Property test of IDs, resume and resync against a simple model: random
//! interleavings of publishing (which trims history), subscribing with
//! every kind of cursor, reading, and dropping subscribers, on the
//! in-memory hub with tiny history and queues so that trimming and
//! overflow happen all the time.
//!
//! The model says exactly what each read must yield: the events after the
//! subscriber's cursor, or a `reset` (with its reason) and then what
//! history retains, never a gap that is not announced.

mod common;

use common::event_of;
use futures_util::{FutureExt, StreamExt};
use proptest::prelude::*;
use sse_codec_hub::{Event, Hub, Subscription};

const TOPICS: usize = 3;

#[derive(Clone, Debug)]
enum Cursor {
    None,
    /// The ID of the n-th event (modulo what was published) of a topic.
    Published {
        topic: usize,
        nth: usize,
    },
    Garbage(String),
    OtherEpoch,
}

#[derive(Clone, Debug)]
enum Op {
    Publish(usize),
    Subscribe(usize, Cursor),
    Read(usize),
    Drop(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let cursor = prop_oneof![
        2 => Just(Cursor::None),
        4 => (0..TOPICS, 0..40usize).prop_map(|(topic, nth)| Cursor::Published { topic, nth }),
        1 => "[a-f0-9-]{0,8}".prop_map(Cursor::Garbage),
        1 => Just(Cursor::OtherEpoch),
    ];
    prop_oneof![
        6 => (0..TOPICS).prop_map(Op::Publish),
        2 => (0..TOPICS, cursor).prop_map(|(t, c)| Op::Subscribe(t, c)),
        4 => (0..8usize).prop_map(Op::Read),
        1 => (0..8usize).prop_map(Op::Drop),
    ]
}

/// What a subscriber must do at its next read.
#[derive(Debug)]
enum Next {
    /// Replay after this cursor (an index into the topic, or an ID that is
    /// not in the topic), then live.
    Replay(ModelFrom),
    /// Live; `cursor` is the last event index it has (None: nothing yet,
    /// from the topic's beginning), `pending` the events published since.
    Live {
        cursor: Option<usize>,
        pending: usize,
    },
}

#[derive(Debug)]
enum ModelFrom {
    Index(usize),
    Foreign,
    Malformed,
    OtherEpoch,
}

struct Sub {
    topic: usize,
    next: Next,
    real: Subscription,
}

/// What a read yields: a reset (with reason) or an event index.
#[derive(Debug, PartialEq, Eq)]
enum Out {
    Reset(&'static str),
    Event(usize),
}

fn read_now(subscription: &mut Subscription, topic: usize) -> Vec<Out> {
    let mut out = Vec::new();
    while let Some(item) = subscription.next().now_or_never() {
        let frame = item.expect("a subscription with Overflow::Resync never ends");
        let event = event_of(&frame);
        if event.event_type() == "reset" {
            let reason = match event.data() {
                r#"{"reason":"malformed"}"# => "malformed",
                r#"{"reason":"other-epoch"}"# => "other-epoch",
                r#"{"reason":"trimmed"}"# => "trimmed",
                r#"{"reason":"unknown"}"# => "unknown",
                r#"{"reason":"lagged"}"# => "lagged",
                other => panic!("bad reset {other}"),
            };
            out.push(Out::Reset(reason));
        } else {
            let (t, i) = event.data().split_once(':').expect("t:i");
            assert_eq!(t.parse::<usize>().unwrap(), topic, "another topic leaked");
            out.push(Out::Event(i.parse().unwrap()));
        }
        assert!(out.len() < 10_000, "runaway subscription");
    }
    out
}

fn run(history: usize, queue: usize, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let hub = Hub::builder()
            .history(history)
            .queue(queue, 1 << 20)
            .memory();
        let mut ids: Vec<Vec<String>> = vec![Vec::new(); TOPICS];
        let mut subs: Vec<Sub> = Vec::new();
        for op in ops {
            match op {
                Op::Publish(topic) => {
                    let n = ids[topic].len();
                    let event = Event::new(format!("{topic}:{n}"));
                    let id = hub
                        .publish(&format!("t{topic}"), &event)
                        .now_or_never()
                        .unwrap()
                        .unwrap();
                    if let Some(last) = ids[topic].last() {
                        let seq = |id: &str| id.rsplit_once('-').unwrap().1.parse::<u64>().unwrap();
                        prop_assert!(seq(&id) > seq(last), "IDs must increase");
                    }
                    ids[topic].push(id);
                    for sub in subs.iter_mut().filter(|s| s.topic == topic) {
                        if let Next::Live { pending, .. } = &mut sub.next {
                            *pending += 1;
                        }
                    }
                }
                Op::Subscribe(topic, cursor) => {
                    let (text, next) = match cursor {
                        Cursor::None => {
                            let n = ids[topic].len();
                            (
                                None,
                                Next::Live {
                                    cursor: n.checked_sub(1),
                                    pending: 0,
                                },
                            )
                        }
                        Cursor::Published { topic: from, nth } => {
                            if ids[from].is_empty() {
                                (Some("0-0".to_owned()), Next::Replay(ModelFrom::Malformed))
                            } else {
                                let nth = nth % ids[from].len();
                                let model = if from == topic {
                                    ModelFrom::Index(nth)
                                } else {
                                    ModelFrom::Foreign
                                };
                                (Some(ids[from][nth].clone()), Next::Replay(model))
                            }
                        }
                        Cursor::Garbage(text) => (Some(text), Next::Replay(ModelFrom::Malformed)),
                        Cursor::OtherEpoch => (
                            Some("0123456789ab-1".to_owned()),
                            Next::Replay(ModelFrom::OtherEpoch),
                        ),
                    };
                    // "0-0" and garbage may be malformed or, by chance, of another epoch.
                    let real = hub
                        .subscribe(&format!("t{topic}"), text.as_deref())
                        .now_or_never()
                        .unwrap()
                        .unwrap();
                    subs.push(Sub { topic, next, real });
                }
                Op::Read(k) => {
                    if subs.is_empty() {
                        continue;
                    }
                    let k = k % subs.len();
                    let sub = &mut subs[k];
                    let n = ids[sub.topic].len();
                    let oldest = n.saturating_sub(history);
                    let retained = |i: usize| i >= oldest && i < n;
                    let all_retained = || (oldest..n).map(Out::Event).collect::<Vec<_>>();
                    let after = |i: usize| (i + 1..n).map(Out::Event).collect::<Vec<_>>();
                    let with_reset = |reason| {
                        let mut v = vec![Out::Reset(reason)];
                        v.extend(all_retained());
                        v
                    };
                    let got = read_now(&mut sub.real, sub.topic);
                    let expected = match &sub.next {
                        Next::Replay(ModelFrom::Index(i)) if retained(*i) => after(*i),
                        Next::Replay(ModelFrom::Index(_)) => with_reset("trimmed"),
                        Next::Replay(ModelFrom::Foreign) => {
                            // A hint only: older than the oldest retained reads as trimmed.
                            let reason = match got.first() {
                                Some(Out::Reset("trimmed")) => "trimmed",
                                _ => "unknown",
                            };
                            with_reset(reason)
                        }
                        Next::Replay(ModelFrom::Malformed) => {
                            let reason = match got.first() {
                                Some(Out::Reset("other-epoch")) => "other-epoch",
                                _ => "malformed",
                            };
                            with_reset(reason)
                        }
                        Next::Replay(ModelFrom::OtherEpoch) => with_reset("other-epoch"),
                        Next::Live { pending: 0, .. } => Vec::new(),
                        Next::Live { cursor, pending } if *pending <= queue => {
                            let first = cursor.map_or(0, |c| c + 1);
                            (first..n).map(Out::Event).collect()
                        }
                        // Overflowed: resynchronised from history.
                        Next::Live {
                            cursor: Some(c), ..
                        } if retained(*c) => after(*c),
                        Next::Live {
                            cursor: Some(_), ..
                        } => with_reset("lagged"),
                        Next::Live { cursor: None, .. } if n <= history => all_retained(),
                        Next::Live { cursor: None, .. } => with_reset("lagged"),
                    };
                    prop_assert_eq!(
                        &got,
                        &expected,
                        "subscriber {} of t{}: {:?}",
                        k,
                        sub.topic,
                        sub.next
                    );
                    sub.next = Next::Live {
                        cursor: n.checked_sub(1),
                        pending: 0,
                    };
                }
                Op::Drop(k) => {
                    if !subs.is_empty() {
                        let k = k % subs.len();
                        subs.remove(k);
                    }
                }
            }
        }
        let metrics = hub.metrics();
        for (topic, topic_ids) in ids.iter().enumerate() {
            let live = subs.iter().filter(|s| s.topic == topic).count() as u64;
            let counted = metrics
                .topics
                .get(&format!("t{topic}"))
                .map_or(0, |m| m.subscribers);
            prop_assert_eq!(live, counted);
            if let Some(m) = metrics.topics.get(&format!("t{topic}")) {
                prop_assert!(m.queue_high_water <= queue as u64);
                prop_assert_eq!(m.published, topic_ids.len() as u64);
            }
        }
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn resume_and_resync_match_the_model(
        history in 1..6usize,
        queue in 1..4usize,
        ops in proptest::collection::vec(op(), 1..80),
    ) {
        run(history, queue, ops)?;
    }
}
