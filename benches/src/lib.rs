//! Workloads and helpers for the `sse-codec` benchmarks.
//!
//! Everything here is deterministic: the same bytes on every machine and in
//! every run, generated in code (no files, no randomness from the OS). Each
//! workload knows, for any prefix that ends at an event boundary, how many
//! events and data bytes a correct decoder yields and how many CR and LF bytes
//! it holds, so that every benchmark row can be checked before it is timed.
//!
//! The peers and criterion are dev-dependencies: this library depends on
//! nothing, so `cargo test --workspace` never builds them.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// One benchmark workload: an event stream and what decoding it must yield.
#[derive(Debug)]
pub struct Workload {
    /// Short identifier (`w1` .. `w5`), used in benchmark names.
    pub id: &'static str,
    /// What the workload is, for tables.
    pub title: &'static str,
    /// The event stream.
    pub bytes: Vec<u8>,
    /// `ends[i]`: the offset just after the blank line that dispatches event `i`.
    pub ends: Vec<usize>,
    /// `data[i]`: the total data length (in bytes) of events `0..=i`.
    pub data: Vec<u64>,
    /// The offset just after every block's blank line, events and comment
    /// blocks alike, in order: where a live server flushes.
    pub blocks: Vec<usize>,
}

/// What a correct decoder yields for some input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expected {
    /// Number of dispatched events.
    pub events: u64,
    /// Sum of the lengths of their data (lines joined with LF).
    pub data_bytes: u64,
    /// Number of CR and LF bytes in the input (what a `memchr2` scan finds).
    pub line_breaks: u64,
    /// Input length in bytes.
    pub len: u64,
}

impl Workload {
    fn new(id: &'static str, title: &'static str) -> Self {
        Workload {
            id,
            title,
            bytes: Vec::new(),
            ends: Vec::new(),
            data: Vec::new(),
            blocks: Vec::new(),
        }
    }

    /// Records that an event with `data_len` bytes of data ends here.
    fn dispatched(&mut self, data_len: usize) {
        let total = self.data.last().copied().unwrap_or(0) + data_len as u64;
        self.ends.push(self.bytes.len());
        self.data.push(total);
        self.blocks.push(self.bytes.len());
    }

    /// Records that a block that dispatches nothing (a comment) ends here.
    fn block_end(&mut self) {
        self.blocks.push(self.bytes.len());
    }

    /// The longest prefix of at most `max` bytes that ends at an event
    /// boundary, and what decoding it yields.
    pub fn prefix(&self, max: usize) -> (&[u8], Expected) {
        let n = self.ends.partition_point(|&end| end <= max);
        let len = if n == 0 { 0 } else { self.ends[n - 1] };
        let bytes = &self.bytes[..len];
        let expected = Expected {
            events: n as u64,
            data_bytes: if n == 0 { 0 } else { self.data[n - 1] },
            line_breaks: bytes.iter().filter(|&&b| b == b'\n' || b == b'\r').count() as u64,
            len: len as u64,
        };
        (bytes, expected)
    }

    /// The whole stream and what decoding it yields.
    pub fn whole(&self) -> (&[u8], Expected) {
        self.prefix(self.bytes.len())
    }
}

/// A small deterministic generator (xorshift64*), the same on every machine.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a fixed seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }

    /// The next pseudo-random number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Tokens for W1: mostly short ASCII words with a leading space, as LLM APIs
/// stream them, and a few with non-ASCII letters.
const WORDS: [&str; 32] = [
    " the", " of", " and", " to", " in", " a", " is", " that", " for", " it", " as", " was",
    " with", " be", " by", " on", " not", " he", " this", " are", " or", " his", " from",
    " stream", " event", " token", "Hello", ",", ".", " café", " naïve", " parser",
];

/// The JSON of one W1 event: an OpenAI-style chat completion chunk.
pub fn llm_json(word: &str) -> String {
    format!(
        r#"{{"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{{"index":0,"delta":{{"content":"{word}"}}}}]}}"#
    )
}

/// The data of the W1 events, in order (also the input of the encoder
/// benchmarks).
pub fn llm_tokens(n: usize) -> Vec<String> {
    let mut rng = Rng::new(0x5EE_C0DE);
    (0..n)
        .map(|_| llm_json(WORDS[rng.below(WORDS.len())]))
        .collect()
}

fn push_llm_event(w: &mut Workload, json: &str, eol: &[u8]) {
    w.bytes.extend_from_slice(b"data: ");
    w.bytes.extend_from_slice(json.as_bytes());
    w.bytes.extend_from_slice(eol);
    w.bytes.extend_from_slice(eol);
    w.dispatched(json.len());
}

/// W1: 100k LLM token events, `data: {json}` and a blank line, about 110
/// bytes each, LF line ends.
pub fn w1_llm_tokens() -> Workload {
    w1_events(100_000)
}

/// The first `n` events of W1.
pub fn w1_events(n: usize) -> Workload {
    let mut w = Workload::new("w1", "W1 LLM tokens (100k x ~110 B events)");
    for json in llm_tokens(n) {
        push_llm_event(&mut w, &json, b"\n");
    }
    w
}

/// The data of the W2 events: `n` lines of 64 KiB of printable ASCII.
pub fn big_lines(n: usize) -> Vec<String> {
    let mut rng = Rng::new(0xB16_DA7A);
    (0..n)
        .map(|_| {
            (0..64 * 1024)
                .map(|_| char::from(b' ' + rng.below(95) as u8))
                .collect()
        })
        .collect()
}

/// W2: 1k events, each a single 64 KiB `data:` line of ASCII.
pub fn w2_big_data() -> Workload {
    w2_events(1000)
}

/// The first `n` events of W2.
pub fn w2_events(n: usize) -> Workload {
    let mut w = Workload::new("w2", "W2 big data (1k x 64 KiB lines)");
    for line in big_lines(n) {
        w.bytes.extend_from_slice(b"data: ");
        w.bytes.extend_from_slice(line.as_bytes());
        w.bytes.extend_from_slice(b"\n\n");
        w.dispatched(line.len());
    }
    w
}

/// The ten 40-byte data lines of W3 event `n`.
pub fn multiline_lines(n: usize) -> [String; 10] {
    core::array::from_fn(|i| {
        let line = format!(
            "{{\"row\":{i},\"event\":{n:>8},\"v\":\"{:0>7}\"}}",
            n * 7 + i
        );
        debug_assert_eq!(line.len(), 40);
        line
    })
}

/// W3: 50k events of `event: update`, `id: N` and ten 40-byte `data:` lines.
pub fn w3_multiline() -> Workload {
    w3_events(50_000)
}

/// The first `count` events of W3.
pub fn w3_events(count: usize) -> Workload {
    let mut w = Workload::new("w3", "W3 multiline (50k events x 10 data lines)");
    for n in 0..count {
        w.bytes
            .extend_from_slice(format!("event: update\nid: {n}\n").as_bytes());
        let lines = multiline_lines(n);
        for line in &lines {
            w.bytes.extend_from_slice(b"data: ");
            w.bytes.extend_from_slice(line.as_bytes());
            w.bytes.push(b'\n');
        }
        w.bytes.push(b'\n');
        w.dispatched(lines.iter().map(String::len).sum::<usize>() + lines.len() - 1);
    }
    w
}

/// W4: 100k `: keepalive` blocks, with a W1 event after every 20th.
pub fn w4_keepalive() -> Workload {
    w4_blocks(100_000)
}

/// The first `n` keep-alive blocks of W4, with their events.
pub fn w4_blocks(n: usize) -> Workload {
    let mut w = Workload::new("w4", "W4 keep-alive heavy (100k comments, 5k events)");
    let tokens = llm_tokens(n / 20);
    for i in 0..n - n % 20 {
        w.bytes.extend_from_slice(b": keepalive\n\n");
        w.block_end();
        if i % 20 == 19 {
            push_llm_event(&mut w, &tokens[i / 20], b"\n");
        }
    }
    w
}

/// W5: W1 with CRLF line ends.
pub fn w5_crlf() -> Workload {
    let mut w = Workload::new("w5", "W5 LLM tokens, CRLF (100k events)");
    for json in llm_tokens(100_000) {
        push_llm_event(&mut w, &json, b"\r\n");
    }
    w
}

/// How to make a workload.
pub type MakeWorkload = fn() -> Workload;

/// The decoder workloads, in order: their ids and how to make them.
pub const WORKLOADS: [(&str, MakeWorkload); 5] = [
    ("w1", w1_llm_tokens),
    ("w2", w2_big_data),
    ("w3", w3_multiline),
    ("w4", w4_keepalive),
    ("w5", w5_crlf),
];

/// How the input is cut into chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chunking {
    /// The whole stream in one chunk.
    Whole,
    /// 4 KiB chunks.
    K4,
    /// 7-byte chunks of a prefix of at most 1 MiB (cut at an event boundary).
    B7,
    /// One chunk per block (each event, and each comment block, as its own
    /// read, as a live server flushes them), over the whole stream. Not for
    /// W2, whose events are 64 KiB each.
    PerEvent,
}

impl Chunking {
    /// All chunkings, in order.
    pub const ALL: [Chunking; 4] = [
        Chunking::Whole,
        Chunking::K4,
        Chunking::B7,
        Chunking::PerEvent,
    ];

    /// The name used in benchmark ids.
    pub fn name(self) -> &'static str {
        match self {
            Chunking::Whole => "whole",
            Chunking::K4 => "4KiB",
            Chunking::B7 => "7B",
            Chunking::PerEvent => "event",
        }
    }

    /// Whether the benches cut workload `id` this way (every workload but
    /// W2 per event).
    pub fn applies_to(self, id: &str) -> bool {
        !(self == Chunking::PerEvent && id == "w2")
    }

    /// The input for this chunking: all of `w`, or a 1 MiB prefix for 7-byte chunks.
    pub fn input(self, w: &Workload) -> (&[u8], Expected) {
        match self {
            Chunking::B7 => w.prefix(1 << 20),
            _ => w.whole(),
        }
    }

    /// The lengths of the chunks of `w`'s prefix of `len` bytes (which ends
    /// at an event boundary).
    pub fn lengths(self, w: &Workload, len: usize) -> Vec<usize> {
        let fixed = |size: usize| {
            let mut out = vec![size; len / size];
            if !len.is_multiple_of(size) {
                out.push(len % size);
            }
            out
        };
        match self {
            Chunking::Whole => vec![len],
            Chunking::K4 => fixed(4096),
            Chunking::B7 => fixed(7),
            Chunking::PerEvent => {
                let mut out = Vec::new();
                let mut pos = 0;
                for &end in w.blocks.iter().take_while(|&&end| end <= len) {
                    out.push(end - pos);
                    pos = end;
                }
                if pos < len {
                    out.push(len - pos);
                }
                out
            }
        }
    }
}

/// The inputs of the instruction-count benchmarks (`benches/benches/iai.rs`):
/// prefixes of the workloads small enough for Callgrind.
pub mod iai {
    use super::{w1_events, w2_events, w3_events, w4_blocks, Chunking, Expected, Workload};

    /// The prefix of W1, W3 and W4 that is decoded (cut at an event boundary).
    pub const PREFIX: usize = 128 * 1024;

    /// The W1 events (of [`llm_tokens`](super::llm_tokens)) that are encoded.
    pub const ENCODE_EVENTS: usize = 1_000;

    /// A small workload that starts as `id`'s full one does: enough events
    /// for [`PREFIX`] bytes (W2: two 64 KiB events, decoded whole).
    pub fn workload(id: &str) -> Workload {
        match id {
            "w1" => w1_events(1_300),
            "w2" => w2_events(2),
            "w3" => w3_events(300),
            "w4" => w4_blocks(8_000),
            _ => panic!("no instruction-count input for {id}"),
        }
    }

    /// The input of one instruction-count case: `id`'s prefix, its chunk
    /// lengths and what decoding it yields.
    pub fn input(id: &str, chunking: Chunking) -> (Vec<u8>, Vec<usize>, Expected) {
        let w = workload(id);
        let max = if id == "w2" { usize::MAX } else { PREFIX };
        let (bytes, expected) = w.prefix(max);
        assert!(
            id == "w2" || bytes.len() + 1_000 < w.bytes.len(),
            "{id}: the workload is not longer than the prefix"
        );
        let lengths = chunking.lengths(&w, bytes.len());
        (bytes.to_vec(), lengths, expected)
    }

    /// Every decoder case: workload, chunking.
    pub const DECODE_CASES: [(&str, Chunking); 11] = [
        ("w1", Chunking::K4),
        ("w1", Chunking::B7),
        ("w2", Chunking::Whole),
        ("w2", Chunking::K4),
        ("w3", Chunking::K4),
        ("w3", Chunking::B7),
        ("w4", Chunking::K4),
        ("w4", Chunking::B7),
        ("w1", Chunking::PerEvent),
        ("w3", Chunking::PerEvent),
        ("w4", Chunking::PerEvent),
    ];
}

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

/// A global allocator that counts allocations (and reallocations) while
/// [`count_allocations`] runs, and otherwise only forwards to [`System`].
#[derive(Debug)]
pub struct CountingAllocator;

// SAFETY: every method forwards to `System` with the same arguments; the
// counters are atomics and never allocate.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout` (every allocation goes through it).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: as for `dealloc`; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Runs `f` once and returns how many allocations and reallocations it made
/// (only meaningful when [`CountingAllocator`] is the global allocator).
pub fn count_allocations<R>(f: impl FnOnce() -> R) -> (u64, R) {
    ALLOCATIONS.store(0, Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
    let result = f();
    COUNTING.store(false, Ordering::SeqCst);
    (ALLOCATIONS.load(Ordering::SeqCst), result)
}

/// The directory criterion writes to (`<target>/criterion`), where the
/// benches also write their allocation counts and check results.
pub fn criterion_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            // <target>/release/deps/<bench binary>
            let exe = std::env::current_exe().ok()?;
            Some(exe.parent()?.parent()?.parent()?.to_path_buf())
        })
        .unwrap_or_else(|| PathBuf::from("target"));
    target.join("criterion")
}

/// One line of the side results a bench binary writes next to criterion's:
/// `group<TAB>row<TAB>key<TAB>value`.
pub fn record(file: &str, line: &str) {
    use std::io::Write;
    let dir = criterion_dir();
    let _ = std::fs::create_dir_all(&dir);
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(file))
    {
        let _ = writeln!(f, "{line}");
    }
}

/// Records a row's allocations per event and event count in the side
/// results, and keeps them for [`print_allocations`].
pub fn record_allocations(
    file: &str,
    group: &str,
    row: &str,
    per_event: f64,
    events: u64,
    kept: &mut Vec<(String, f64)>,
) {
    record(
        file,
        &format!("{group}\t{row}\tallocs_per_event\t{per_event:.4}"),
    );
    record(file, &format!("{group}\t{row}\tevents\t{events}"));
    kept.push((format!("{group}/{row}"), per_event));
}

/// Prints the allocations per event kept by [`record_allocations`].
pub fn print_allocations(kept: &[(String, f64)]) {
    println!("\nAllocations per event (one untimed pass under a counting allocator):");
    for (id, per_event) in kept {
        println!("  {id:<48} {per_event:>10.3}");
    }
}

/// Starts a fresh side-results file.
pub fn reset_record(file: &str) {
    let dir = criterion_dir();
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(file), "");
}

/// The benchmark filter given on the command line (`cargo bench -- FILTER`,
/// a regular expression, as criterion reads it): the first argument that is
/// neither an option nor an option's value.
pub fn cli_filter() -> Option<String> {
    const WITH_VALUE: [&str; 16] = [
        "--save-baseline",
        "--baseline",
        "--baseline-lenient",
        "--load-baseline",
        "--sample-size",
        "--warm-up-time",
        "--measurement-time",
        "--nresamples",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--profile-time",
        "--output-format",
        "--color",
        "--format",
        "--plotting-backend",
    ];
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if WITH_VALUE.contains(&arg.as_str()) {
            args.next();
        } else if !arg.starts_with('-') {
            return Some(arg);
        }
    }
    None
}
