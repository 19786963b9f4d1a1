//! `sse get --summary`: what the stream delivered, reported at the end.

use std::fmt::Write as _;
use std::time::Duration;

use tokio::time::Instant;

/// How many inter-arrival times are kept (beyond, a uniform sample of them).
const MAX_SAMPLES: usize = 100_000;

/// How many id gaps are listed.
const LISTED_GAPS: usize = 5;

/// Counts and timings of a followed stream.
#[derive(Debug)]
pub(crate) struct Summary {
    started: Instant,
    events: u64,
    bytes: u64,
    reconnections: u64,
    head: Option<Duration>,
    first_byte: Option<Duration>,
    first_event: Option<Duration>,
    last_event: Option<Instant>,
    /// Inter-arrival times in microseconds (a reservoir sample).
    samples: Vec<u64>,
    intervals: u64,
    random: u64,
    last_id: Option<u64>,
    gaps: u64,
    listed: Vec<(u64, u64)>,
}

impl Summary {
    pub(crate) fn new(started: Instant) -> Summary {
        Summary {
            started,
            events: 0,
            bytes: 0,
            reconnections: 0,
            head: None,
            first_byte: None,
            first_event: None,
            last_event: None,
            samples: Vec::new(),
            intervals: 0,
            random: 0x9E37_79B9_7F4A_7C15,
            last_id: None,
            gaps: 0,
            listed: Vec::new(),
        }
    }

    /// A chunk of `len` bytes arrived at `at`.
    pub(crate) fn chunk(&mut self, at: Instant, len: usize) {
        self.bytes = self.bytes.saturating_add(len as u64);
        if self.first_byte.is_none() {
            self.first_byte = Some(at.saturating_duration_since(self.started));
        }
    }

    /// The first response head arrived at `at`.
    pub(crate) fn response(&mut self, at: Instant) {
        if self.head.is_none() {
            self.head = Some(at.saturating_duration_since(self.started));
        }
    }

    pub(crate) fn reconnection(&mut self) {
        self.reconnections = self.reconnections.saturating_add(1);
    }

    /// An event with last event ID `id` arrived at `at`.
    pub(crate) fn event(&mut self, at: Instant, id: &str) {
        self.events = self.events.saturating_add(1);
        if self.first_event.is_none() {
            self.first_event = Some(at.saturating_duration_since(self.started));
        }
        if let Some(last) = self.last_event {
            let micros = at.saturating_duration_since(last).as_micros();
            self.sample(u64::try_from(micros).unwrap_or(u64::MAX));
        }
        self.last_event = Some(at);
        if let Ok(id) = id.parse::<u64>() {
            if let Some(last) = self.last_id {
                if id != last && Some(id) != last.checked_add(1) {
                    self.gaps = self.gaps.saturating_add(1);
                    if self.listed.len() < LISTED_GAPS {
                        self.listed.push((last, id));
                    }
                }
            }
            self.last_id = Some(id);
        }
    }

    /// Keeps an inter-arrival time: all of the first [`MAX_SAMPLES`], then
    /// each replaces a random kept one with the right probability
    /// (reservoir sampling).
    fn sample(&mut self, micros: u64) {
        self.intervals = self.intervals.saturating_add(1);
        if self.samples.len() < MAX_SAMPLES {
            self.samples.push(micros);
            return;
        }
        // xorshift64
        self.random ^= self.random << 13;
        self.random ^= self.random >> 7;
        self.random ^= self.random << 17;
        let slot = self.random.checked_rem(self.intervals).unwrap_or(0);
        if let Some(kept) = usize::try_from(slot)
            .ok()
            .and_then(|slot| self.samples.get_mut(slot))
        {
            *kept = micros;
        }
    }

    /// The report, several lines.
    pub(crate) fn report(&self, now: Instant) -> String {
        let elapsed = now.saturating_duration_since(self.started);
        let mut text = String::from("summary:\n");
        let rate = if elapsed.is_zero() {
            0.0
        } else {
            self.events as f64 / elapsed.as_secs_f64()
        };
        let _ = writeln!(
            text,
            "  events          {} in {:.3} s ({rate:.1}/s)",
            self.events,
            elapsed.as_secs_f64()
        );
        let _ = writeln!(text, "  bytes           {}", self.bytes);
        let _ = writeln!(text, "  response head   {}", ms_or_none(self.head));
        let _ = writeln!(text, "  first body byte {}", ms_or_none(self.first_byte));
        let _ = writeln!(text, "  first event     {}", ms_or_none(self.first_event));
        let mut sorted = self.samples.clone();
        sorted.sort_unstable();
        match (percentile(&sorted, 50), percentile(&sorted, 99)) {
            (Some(p50), Some(p99)) => {
                let _ = writeln!(
                    text,
                    "  inter-arrival   p50 {} ms, p99 {} ms",
                    micros_as_ms(p50),
                    micros_as_ms(p99)
                );
            }
            _ => text.push_str("  inter-arrival   - (fewer than 2 events)\n"),
        }
        let _ = writeln!(text, "  reconnections   {}", self.reconnections);
        let _ = write!(text, "  id gaps         {}", self.gaps);
        if !self.listed.is_empty() {
            let listed: Vec<String> = self
                .listed
                .iter()
                .map(|(before, after)| format!("{before} -> {after}"))
                .collect();
            let _ = write!(text, " ({}", listed.join(", "));
            if self.gaps > self.listed.len() as u64 {
                text.push_str(", ...");
            }
            text.push(')');
        }
        text.push('\n');
        text
    }
}

fn ms_or_none(duration: Option<Duration>) -> String {
    duration.map_or_else(
        || "-".to_owned(),
        |duration| format!("{:.1} ms", duration.as_secs_f64() * 1000.0),
    )
}

fn micros_as_ms(micros: u64) -> String {
    format!("{:.1}", micros as f64 / 1000.0)
}

/// The `p`th percentile of sorted values (nearest rank).
fn percentile(sorted: &[u64], p: usize) -> Option<u64> {
    let rank = sorted.len().saturating_mul(p).div_ceil(100);
    sorted.get(rank.saturating_sub(1)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_timings_and_gaps() {
        let start = Instant::now();
        let mut summary = Summary::new(start);
        summary.chunk(start + Duration::from_millis(5), 10);
        summary.chunk(start + Duration::from_millis(6), 20);
        for (i, id) in ["1", "2", "2", "5", "x", "6", "9"].iter().enumerate() {
            summary.event(start + Duration::from_millis(10 * (i as u64 + 1)), id);
        }
        summary.response(start + Duration::from_millis(3));
        summary.response(start + Duration::from_millis(300));
        summary.reconnection();
        let report = summary.report(start + Duration::from_secs(2));
        assert!(
            report.contains("events          7 in 2.000 s (3.5/s)"),
            "{report}"
        );
        assert!(report.contains("bytes           30\n"), "{report}");
        assert!(report.contains("response head   3.0 ms\n"), "{report}");
        assert!(report.contains("first body byte 5.0 ms\n"), "{report}");
        assert!(report.contains("first event     10.0 ms\n"), "{report}");
        assert!(report.contains("p50 10.0 ms, p99 10.0 ms"), "{report}");
        assert!(report.contains("reconnections   1\n"), "{report}");
        assert!(
            report.contains("id gaps         2 (2 -> 5, 6 -> 9)\n"),
            "{report}"
        );
    }

    #[test]
    fn nothing_received() {
        let start = Instant::now();
        let report = Summary::new(start).report(start);
        assert!(
            report.contains("events          0 in 0.000 s (0.0/s)"),
            "{report}"
        );
        assert!(report.contains("first body byte -\n"), "{report}");
        assert!(report.contains("response head   -\n"), "{report}");
        assert!(
            report.contains("inter-arrival   - (fewer than 2 events)"),
            "{report}"
        );
    }

    #[test]
    fn samples_are_bounded_and_percentiles_by_rank() {
        let mut summary = Summary::new(Instant::now());
        for i in 0..(MAX_SAMPLES as u64 * 2) {
            summary.sample(i % 100);
        }
        assert_eq!(summary.samples.len(), MAX_SAMPLES);
        assert_eq!(percentile(&[1, 2, 3, 4], 50), Some(2));
        assert_eq!(percentile(&[1, 2, 3, 4], 99), Some(4));
        assert_eq!(percentile(&[], 50), None);
    }
}
