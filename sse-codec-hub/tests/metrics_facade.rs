//! With the `metrics` feature, the hub's counters go through the `metrics`
//! facade, labelled by topic.
#![cfg(feature = "metrics")]

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use metrics::{
    Counter, CounterFn, Gauge, GaugeFn, Histogram, Key, KeyName, Metadata, Recorder, SharedString,
    Unit,
};
use sse_codec_hub::{Event, Hub};

/// Keeps every counter and gauge by name and labels.
#[derive(Default)]
struct Memory {
    values: Mutex<HashMap<String, Arc<Value>>>,
}

#[derive(Default)]
struct Value(AtomicU64);

impl CounterFn for Value {
    fn increment(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    fn absolute(&self, n: u64) {
        self.0.store(n, Ordering::Relaxed);
    }
}

impl GaugeFn for Value {
    fn increment(&self, n: f64) {
        self.0.fetch_add(n as u64, Ordering::Relaxed);
    }
    fn decrement(&self, n: f64) {
        self.0.fetch_sub(n as u64, Ordering::Relaxed);
    }
    fn set(&self, n: f64) {
        self.0.store(n as u64, Ordering::Relaxed);
    }
}

impl Memory {
    fn value(&self, key: &Key) -> Arc<Value> {
        let labels: Vec<String> = key
            .labels()
            .map(|l| format!("{}={}", l.key(), l.value()))
            .collect();
        let name = format!("{}{{{}}}", key.name(), labels.join(","));
        self.values.lock().unwrap().entry(name).or_default().clone()
    }

    fn get(&self, name: &str) -> u64 {
        self.values
            .lock()
            .unwrap()
            .get(name)
            .map_or(0, |v| v.0.load(Ordering::Relaxed))
    }
}

struct Shared(Arc<Memory>);

impl Recorder for Shared {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(self.0.value(key))
    }
    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(self.0.value(key))
    }
    fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::noop()
    }
}

#[test]
fn counters_reach_the_facade() {
    let memory = Arc::new(Memory::default());
    metrics::set_global_recorder(Shared(memory.clone())).expect("first recorder");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use futures_util::StreamExt;
        let hub = Hub::builder().queue(4, 1 << 20).memory();
        let mut reader = hub.subscribe("news", None).await.unwrap();
        let frozen = hub.subscribe("news", None).await.unwrap();
        let id = hub.publish("news", &Event::new("a")).await.unwrap();
        hub.publish("news", &Event::new("b")).await.unwrap();
        reader.next().await.unwrap();
        let mut resumed = hub.subscribe("news", Some(&id)).await.unwrap();
        resumed.next().await.unwrap();
        assert_eq!(memory.get("sse_hub_published_total{topic=news}"), 2);
        assert_eq!(memory.get("sse_hub_subscribers{topic=news}"), 3);
        assert_eq!(memory.get("sse_hub_replayed_total{topic=news}"), 1);
        assert_eq!(memory.get("sse_hub_delivered_total{topic=news}"), 2);
        assert_eq!(memory.get("sse_hub_queue_high_water{topic=news}"), 2);
        drop(frozen);
        assert_eq!(memory.get("sse_hub_subscribers{topic=news}"), 2);
        let _ = reader;
    });
}
