#!/usr/bin/env python3
"""Turns the criterion results of `cargo bench -p sse-codec-benches` into the
tables of BENCHMARKS.md and the chart benches/chart.png.

    python3 benches/report.py [RUN_DIR ...]

Each RUN_DIR is a copy of `target/criterion` from one run of the suite
(default: `target/criterion` itself). With several, every number is the
median over the runs of criterion's median for that benchmark. The tables
replace the text between the `<!-- results:start -->` and
`<!-- results:end -->` markers of BENCHMARKS.md; the chart needs matplotlib
(`pip install matplotlib`) and is skipped, with a note, without it.
"""

import glob
import json
import os
import statistics
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OURS = [
    "sse-codec borrowed",
    "sse-codec borrowed + UTF-8",
    "sse-codec owned",
    "sse-codec bytes",
    "sse-codec-tokio stream",
]
PEERS = ["sse-stream", "sse-core", "sse-core stream", "sse-parse", "sseer", "eventsource-stream", "async-sse"]
# The peers fed the same reference-counted `Bytes` chunks as our bytes and
# tokio stream rows (the others get borrowed slices, free of reference counts).
BYTES_PEERS = ["sse-stream", "sse-core stream", "sseer", "eventsource-stream"]
# "Bytes clone + drop": the reference counting every row fed `Bytes` pays.
REFCOUNT = "Bytes clone + drop"
BASELINES = ["memchr2 scan", "memcpy", REFCOUNT]
DECODE_ROWS = OURS + PEERS + BASELINES
ENC_OURS = ["sse-codec reused Vec", "sse-codec Frame (Bytes)"]
ENC_PEERS = ["sse-stream", "axum"]
# "memcpy into new Bytes": each encoded event copied into a new `Bytes` of
# its size, the floor for any encoder that returns a fresh `Bytes`.
ENC_BASE = ["naive format!", "memcpy", "memcpy into new Bytes"]
ENCODE_ROWS = ENC_OURS + ENC_PEERS + ENC_BASE
WORKLOADS = {
    "w1": "W1 LLM tokens: 100k events of ~110 B",
    "w2": "W2 big data: 1k events of one 64 KiB line",
    "w3": "W3 multiline: 50k events, `event`, `id`, ten 40 B data lines",
    "w4": "W4 keep-alive heavy: 100k `: keepalive` blocks, an event after every 20th",
    "w5": "W5 LLM tokens with CRLF line ends",
}
ENC_WORKLOADS = {
    "w1": "W1 LLM tokens: 100k events of ~110 B",
    "w2": "W2 big data: 1k events of one 64 KiB line",
    "w3": "W3 multiline: 50k events, `event`, `id`, ten 40 B data lines",
}
CHUNKINGS = ["4KiB", "7B", "whole", "event"]
LABEL = {"4KiB": "4 KiB", "7B": "7 B", "whole": "whole", "event": "per event"}
# Cut one chunk per event: every workload but W2 (64 KiB events).
PER_EVENT = ["w1", "w3", "w4", "w5"]


def cells():
    """Every (workload, chunking) the decode bench measures."""
    return [(w, c) for w in WORKLOADS for c in CHUNKINGS if c != "event" or w in PER_EVENT]


def load_run(run):
    """{full_id: (ns per iteration, bytes per iteration)} and side results."""
    times = {}
    for bj in glob.glob(os.path.join(run, "**", "new", "benchmark.json"), recursive=True):
        with open(bj) as f:
            bench = json.load(f)
        with open(os.path.join(os.path.dirname(bj), "estimates.json")) as f:
            est = json.load(f)
        tp = bench.get("throughput") or {}
        times[bench["full_id"]] = (est["median"]["point_estimate"], tp.get("Bytes", 0))
    side = {}
    for name in ["sse-decode.tsv", "sse-encode.tsv"]:
        path = os.path.join(run, name)
        if not os.path.exists(path):
            continue
        with open(path) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 4:
                    group, row, key, value = parts
                    side[(group, row, key)] = value
    return times, side


def merge(runs):
    loaded = [load_run(r) for r in runs]
    times = {}
    for key in set().union(*(t for t, _ in loaded)):
        samples = [t[key] for t, _ in loaded if key in t]
        times[key] = (statistics.median(s[0] for s in samples), samples[0][1], len(samples))
    side = {}
    for _, s in loaded:
        for key, value in s.items():
            side.setdefault(key, []).append(value)
    return times, side


class Results:
    def __init__(self, runs):
        self.times, self.side = merge(runs)
        self.runs = len(runs)

    def ns(self, group, row):
        t = self.times.get(f"{group}/{row}")
        return t[0] if t else None

    def mbs(self, group, row):
        t = self.times.get(f"{group}/{row}")
        return t[1] / t[0] * 1e3 if t and t[1] else None

    def events(self, group, row):
        v = self.side.get((group, row, "events"))
        return int(v[0]) if v else None

    def allocs(self, group, row):
        v = self.side.get((group, row, "allocs_per_event"))
        return statistics.median(float(x) for x in v) if v else None

    def note(self, group, row):
        if (group, row, "too_slow_s") in self.side:
            return "not timed: one pass estimated at %s s" % self.side[(group, row, "too_slow_s")][0]
        if (group, row, "mismatch") in self.side:
            return "not timed: wrong output (%s)" % self.side[(group, row, "mismatch")][0]
        return None

    def fastest(self, group, rows):
        best = None
        for row in rows:
            t = self.ns(group, row)
            if t is not None and (best is None or t < best[1]):
                best = (row, t)
        return best


def fmt_rate(x):
    if x is None:
        return "–"
    return f"{x:,.0f}" if x >= 100 else f"{x:,.1f}"


def fmt_events(x):
    if x is None:
        return "–"
    if x >= 1e6:
        return f"{x / 1e6:.1f} M"
    if x >= 1e3:
        return f"{x / 1e3:.0f} k"
    return f"{x:.0f}"


def fmt_ratio(x):
    return "–" if x is None else f"{x:.2f}x"


def fmt_allocs(x):
    if x is None:
        return "–"
    return f"{x:.2f}" if x >= 0.005 or x == 0 else "<0.01"


def decode_table(res, w, chunking):
    group = f"decode/{w}/{chunking}"
    fastest_peer = res.fastest(group, PEERS)
    scan = res.ns(group, "memchr2 scan")
    lines = [
        "| row | MB/s | events/s | allocs/event | vs fastest peer | vs memchr2 scan |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in DECODE_ROWS:
        t = res.ns(group, row)
        note = res.note(group, row)
        name = f"**{row}**" if row in OURS else row
        if t is None:
            if note:
                lines.append(f"| {name} | {note} | | | | |")
            continue
        ev = res.events(group, row)
        evs = ev / t * 1e9 if ev and row not in BASELINES else None
        vs_peer = fastest_peer[1] / t if fastest_peer else None
        vs_scan = scan / t if scan else None
        allocs = res.allocs(group, row) if row not in BASELINES else None
        lines.append(
            f"| {name} | {fmt_rate(res.mbs(group, row))} | {fmt_events(evs)} | "
            f"{fmt_allocs(allocs) if row not in BASELINES else '0'} | {fmt_ratio(vs_peer)} | {fmt_ratio(vs_scan)} |"
        )
    if fastest_peer:
        lines.append(f"\nFastest peer: {fastest_peer[0]}.")
    return "\n".join(lines)


def encode_table(res, w):
    group = f"encode/{w}"
    fastest_peer = res.fastest(group, ENC_PEERS)
    copy = res.ns(group, "memcpy")
    lines = [
        "| row | MB/s | events/s | allocs/event | vs fastest peer | time / memcpy |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in ENCODE_ROWS:
        t = res.ns(group, row)
        if t is None:
            note = res.note(group, row)
            if note:
                lines.append(f"| {row} | {note} | | | | |")
            continue
        ev = res.events(group, row)
        name = f"**{row}**" if row in ENC_OURS else row
        lines.append(
            f"| {name} | {fmt_rate(res.mbs(group, row))} | {fmt_events(ev / t * 1e9 if ev else None)} | "
            f"{fmt_allocs(res.allocs(group, row))} | "
            f"{fmt_ratio(fastest_peer[1] / t if fastest_peer else None)} | "
            f"{fmt_ratio(t / copy if copy else None)} |"
        )
    if fastest_peer:
        lines.append(f"\nFastest peer encoder: {fastest_peer[0]}.")
    return "\n".join(lines)


def targets(res):
    rows = []

    def check(what, value, goal, higher=True, note=""):
        if value is None:
            rows.append(f"| {what} | – | {goal} | not measured | |")
            return
        ok = value >= goal if higher else value <= goal
        cmp = "≥" if higher else "≤"
        rows.append(
            f"| {what} | {value:.2f} | {cmp} {goal} | {'holds' if ok else '**misses**'} | {note if not ok else ''} |"
        )

    def vs_peer(group, row, peers=PEERS):
        best = res.fastest(group, peers)
        t = res.ns(group, row)
        return best[1] / t if best and t else None

    def refcount_note(group, row):
        """Why a row fed `Bytes` cannot reach the fastest peer fed slices."""
        if row not in ["sse-codec bytes", "sse-codec-tokio stream"]:
            return ""
        best = res.fastest(group, PEERS)
        floor = res.ns(group, REFCOUNT)
        if not best or not floor or best[0] in BYTES_PEERS:
            return ""
        return (
            f"taking and dropping each chunk as Bytes, alone in a loop ({REFCOUNT}), takes "
            f"{floor / best[1]:.2f}x {best[0]}'s whole decode, which gets slices"
        )

    def short(row):
        return row.replace("sse-codec-tokio stream", "tokio stream").replace("sse-codec ", "")

    # Every one of our APIs at least as fast as the fastest peer, in every cell.
    for w, c in cells():
        g = f"decode/{w}/{c}"
        for row in OURS:
            check(
                f"decode {w.upper()} {LABEL[c]}, {short(row)}: speed / fastest peer's",
                vs_peer(g, row),
                1.0,
                note=refcount_note(g, row),
            )
    # Borrowed + UTF-8 (like for like with the peers, which all check text).
    for w in ["w1", "w3", "w5"]:
        g = f"decode/{w}/4KiB"
        check(f"decode {w.upper()} 4 KiB, borrowed + UTF-8: speed / fastest peer's", vs_peer(g, OURS[1]), 2.0)
    check("decode W4 4 KiB, borrowed + UTF-8: speed / fastest peer's", vs_peer("decode/w4/4KiB", OURS[1]), 1.5)
    for w in WORKLOADS:
        g = f"decode/{w}/7B"
        check(f"decode {w.upper()} 7 B, borrowed + UTF-8: speed / fastest peer's", vs_peer(g, OURS[1]), 1.5)
    # Proposed where the two above cannot be met (see "Reading the targets").
    check("(proposed) decode W3 4 KiB, borrowed + UTF-8: speed / fastest peer's", vs_peer("decode/w3/4KiB", OURS[1]), 1.9)
    check("(proposed) decode W4 7 B, borrowed + UTF-8: speed / fastest peer's", vs_peer("decode/w4/7B", OURS[1]), 1.15)
    # The owned APIs a client uses (BytesDecoder, the tokio stream).
    for w in ["w1", "w3", "w5"]:
        for c in ["4KiB", "event"]:
            g = f"decode/{w}/{c}"
            for row in ["sse-codec bytes", "sse-codec-tokio stream"]:
                check(f"decode {w.upper()} {LABEL[c]}, {short(row)}: speed / fastest peer's", vs_peer(g, row), 1.5)
    # Proposed in place of the two targets above for the APIs fed `Bytes`
    # (see "Reading the targets"): like for like, against the peers fed the
    # same chunks.
    for w, c in cells():
        g = f"decode/{w}/{c}"
        for row in ["sse-codec bytes", "sse-codec-tokio stream"]:
            check(
                f"(proposed) decode {w.upper()} {LABEL[c]}, {short(row)}: speed / fastest peer fed the same Bytes",
                vs_peer(g, row, BYTES_PEERS),
                1.0,
            )
    for c in ["4KiB", "whole"]:
        g = f"decode/w2/{c}"
        scan = res.ns(g, "memchr2 scan")
        for row in ["sse-codec borrowed", "sse-codec bytes"]:
            t = res.ns(g, row)
            check(f"decode W2 {LABEL[c]}, {row.split()[1]}: speed / memchr2 scan speed", scan / t if scan and t else None, 0.8)
    for w, c in cells():
        g = f"decode/{w}/{c}"
        warmup = (
            "the 1 MiB prefix holds 15 events: the line buffer growing (by doubling) to 64 KiB is "
            "counted against them; none once it has grown"
            if (w, c) == ("w2", "7B")
            else ""
        )
        a = res.allocs(g, "sse-codec borrowed")
        if a is not None:
            check(f"allocs/event {w.upper()} {LABEL[c]}, borrowed", a, 0.01, higher=False, note=warmup)
        a = res.allocs(g, "sse-codec owned")
        if a is not None:
            check(f"allocs/event {w.upper()} {LABEL[c]}, owned", a, 1.01, higher=False, note=warmup)
    for w in ["w1", "w2", "w4", "w5"]:
        for c in CHUNKINGS:
            a = res.allocs(f"decode/{w}/{c}", "sse-codec bytes")
            straddle = (
                "the 1 MiB prefix holds 15 events: the carry buffer growing (by doubling) to 64 KiB "
                "is counted against them; none once it has grown"
                if (w, c) == ("w2", "7B")
                else "lines that span chunks are copied into the carry buffer, whose allocation "
                "is reused once the events that share it are dropped"
            )
            if a is not None:
                check(
                    f"allocs/event {w.upper()} {LABEL[c]}, bytes (single-line data)",
                    a,
                    0.01,
                    higher=False,
                    note=straddle,
                )
    for w in ENC_WORKLOADS:
        g = f"encode/{w}"
        best = res.fastest(g, ENC_PEERS)
        t = res.ns(g, "sse-codec reused Vec")
        check(f"encode {w.upper()}, encode_to_vec (reused buffer): speed / fastest peer's", best[1] / t if best and t else None, 2.0)
        ss = res.ns(g, "sse-stream")
        t = res.ns(g, "sse-codec Frame (Bytes)")
        check(f"encode {w.upper()}, Frame::event: speed / sse-stream's", ss / t if ss and t else None, 1.5)
    check("encode W1, reused buffer allocs/event", res.allocs("encode/w1", "sse-codec reused Vec"), 0.01, higher=False)
    g = "encode/w2"
    copy = res.ns(g, "memcpy")
    t = res.ns(g, "sse-codec reused Vec")
    check("encode W2, reused buffer time / memcpy time", t / copy if t and copy else None, 1.25, higher=False)
    # Proposed in place of the encoder targets that no encoder can meet here
    # (see "Reading the targets").
    g = "encode/w2"
    best = res.fastest(g, ENC_PEERS)
    t = res.ns(g, "sse-codec reused Vec")
    check("(proposed) encode W2, encode_to_vec (reused buffer): speed / fastest peer's", best[1] / t if best and t else None, 1.0)
    check("(proposed) encode W2, reused buffer time / memcpy time", t / copy if t and copy else None, 1.4, higher=False)
    for w, goal in [("w1", 1.25), ("w2", 1.2)]:
        g = f"encode/{w}"
        ss = res.ns(g, "sse-stream")
        t = res.ns(g, "sse-codec Frame (Bytes)")
        check(f"(proposed) encode {w.upper()}, Frame::event: speed / sse-stream's", ss / t if ss and t else None, goal)
    return "| target | measured | goal | verdict | why |\n|---|---:|---:|---|---|\n" + "\n".join(rows)


def markdown(res):
    out = [f"Medians of {res.runs} run(s); MB = 10^6 bytes of input (decoders) or output (encoders).\n"]
    out.append("### Targets\n")
    out.append(targets(res))
    for w, title in WORKLOADS.items():
        for c in CHUNKINGS:
            if (w, c) not in cells():
                continue
            label = {
                "4KiB": "4 KiB chunks",
                "7B": "7-byte chunks (1 MiB prefix)",
                "whole": "one chunk",
                "event": "one chunk per event, as a live server flushes"
                if w != "w4"
                else "one chunk per block (each keep-alive, each event), as a live server flushes",
            }[c]
            out.append(f"\n### Decode {title}, {label}\n")
            out.append(decode_table(res, w, c))
    for w, title in ENC_WORKLOADS.items():
        out.append(f"\n### Encode {title}\n")
        out.append(encode_table(res, w))
    return "\n".join(out) + "\n"


def chart(res, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no chart (pip install matplotlib)", file=sys.stderr)
        return
    colors = {
        "sse-codec borrowed": "#08519c",
        "sse-codec borrowed + UTF-8": "#2171b5",
        "sse-codec owned": "#3182bd",
        "sse-codec bytes": "#6baed6",
        "sse-codec-tokio stream": "#9ecae1",
        "sse-stream": "#e6550d",
        "sse-core": "#fd8d3c",
        "sse-core stream": "#fdae6b",
        "sse-parse": "#31a354",
        "sseer": "#74c476",
        "eventsource-stream": "#756bb1",
        "async-sse": "#9e9ac8",
        "memchr2 scan": "#bdbdbd",
        "memcpy": "#636363",
        "Bytes clone + drop": "#969696",
        "sse-codec reused Vec": "#08519c",
        "sse-codec Frame (Bytes)": "#6baed6",
        "axum": "#31a354",
        "naive format!": "#bdbdbd",
        "memcpy into new Bytes": "#969696",
    }
    panels = [("decode", c, list(WORKLOADS), DECODE_ROWS) for c in CHUNKINGS]
    panels.append(("encode", None, list(ENC_WORKLOADS), ENCODE_ROWS))
    fig, axes = plt.subplots(len(panels), 1, figsize=(13, 4.2 * len(panels)))
    for ax, (kind, c, workloads, rows) in zip(axes, panels):
        width = 0.8 / len(rows)
        for i, row in enumerate(rows):
            xs, ys = [], []
            for j, w in enumerate(workloads):
                group = f"decode/{w}/{c}" if kind == "decode" else f"encode/{w}"
                v = res.mbs(group, row)
                if v:
                    xs.append(j + (i - len(rows) / 2 + 0.5) * width)
                    ys.append(v)
            if not ys:
                continue
            hatch = "//" if row in BASELINES + ENC_BASE else None
            ax.bar(xs, ys, width, label=row, color=colors.get(row, "#999999"), hatch=hatch,
                   edgecolor="white" if hatch is None else "black", linewidth=0.3)
        ax.set_yscale("log")
        ax.set_xticks(range(len(workloads)))
        ax.set_xticklabels([w.upper() for w in workloads])
        ax.set_ylabel("MB/s (log)")
        title = (f"Decode, {c} chunks" if c not in ("whole", "event") else
                 "Decode, whole input in one chunk" if c == "whole" else "Decode, one chunk per event") \
            if kind == "decode" else "Encode (per event: reused buffer, fresh Bytes, or the crate's own type)"
        ax.set_title(title.replace("4KiB", "4 KiB").replace("7B chunks", "7-byte chunks (1 MiB prefix)"))
        ax.grid(axis="y", which="both", alpha=0.3)
        ax.legend(fontsize=7, ncol=6, loc="upper center", bbox_to_anchor=(0.5, -0.08))
    fig.suptitle("sse-codec vs other Rust SSE crates (higher is better)", fontsize=14)
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    fig.savefig(path, dpi=90)
    print(f"wrote {path}")


def main():
    runs = sys.argv[1:] or [os.path.join(ROOT, "target", "criterion")]
    res = Results(runs)
    md = markdown(res)
    bench_md = os.path.join(ROOT, "BENCHMARKS.md")
    start, end = "<!-- results:start -->", "<!-- results:end -->"
    if os.path.exists(bench_md):
        with open(bench_md) as f:
            text = f.read()
        if start in text and end in text:
            text = text[: text.index(start) + len(start)] + "\n" + md + text[text.index(end):]
            with open(bench_md, "w") as f:
                f.write(text)
            print(f"updated {bench_md}")
        else:
            print(md)
    else:
        print(md)
    chart(res, os.path.join(ROOT, "benches", "chart.png"))


if __name__ == "__main__":
    main()
