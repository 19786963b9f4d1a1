#!/usr/bin/env python3
"""Instructions per byte of the instruction-count benchmarks
(benches/benches/iai.rs), from the baseline that benches/iai-ci.sh records.

    python3 benches/iai-report.py [GUNGRAUN_DIR]

GUNGRAUN_DIR defaults to the committed baseline, benches/gungraun. The byte
counts come from `cargo run -p sse-codec-benches --bin iai-sizes` (decoders:
input bytes; encoders: output bytes). Prints a Markdown table: sse-codec's
borrowed API and `BytesDecoder` next to sse-core on the same chunks.
"""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FUNCTIONS = ["borrowed", "bytes_decoder", "peer_sse_core", "encode_to_vec", "frame_event", "memcpy_to_bytes",
             "peer_sse_stream"]
CASES = ["w1_4kib", "w1_7b", "w1_event", "w2_whole", "w2_4kib", "w3_4kib", "w3_7b", "w3_event", "w4_4kib", "w4_7b",
         "w4_event", "w1", "w3"]
LABELS = {
    "w1_4kib": "W1 LLM tokens, 4 KiB chunks",
    "w1_7b": "W1 LLM tokens, 7 B chunks",
    "w1_event": "W1 LLM tokens, one chunk per event",
    "w2_whole": "W2 big data (two 64 KiB events), one chunk",
    "w2_4kib": "W2 big data (two 64 KiB events), 4 KiB chunks",
    "w3_4kib": "W3 multiline, 4 KiB chunks",
    "w3_7b": "W3 multiline, 7 B chunks",
    "w3_event": "W3 multiline, one chunk per event",
    "w4_4kib": "W4 keep-alive heavy, 4 KiB chunks",
    "w4_7b": "W4 keep-alive heavy, 7 B chunks",
    "w4_event": "W4 keep-alive heavy, one chunk per block",
}


def instructions(path):
    """The Ir total of one Callgrind output file."""
    with open(path, errors="replace") as f:
        for line in f:
            m = re.match(r"(summary|totals):\s+(\d+)", line)
            if m:
                return int(m.group(2))
    return None


def load(home):
    """{(function, case): Ir} from every callgrind baseline file under home."""
    counts = {}
    for dirpath, _, files in os.walk(home):
        for name in files:
            # callgrind.<function>.<case>.out[.base@<name>]
            m = re.match(r"callgrind\.(\w+)\.(\w+)\.out(\.base@\w+)?$", name)
            if m and m.group(1) in FUNCTIONS and m.group(2) in CASES:
                ir = instructions(os.path.join(dirpath, name))
                if ir is not None:
                    counts[(m.group(1), m.group(2))] = ir
    return counts


def sizes():
    out = subprocess.run(
        ["cargo", "run", "-q", "-p", "sse-codec-benches", "--bin", "iai-sizes"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    return {k: int(v) for k, v in (line.split("\t") for line in out.splitlines())}


def main():
    home = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "benches", "gungraun")
    counts = load(home)
    if not counts:
        sys.exit(f"no callgrind files under {home}")
    size = sizes()

    def per_byte(function, case):
        ir = counts.get((function, case))
        return ir / size[case] if ir is not None else None

    def fmt(x):
        return "–" if x is None else f"{x:.2f}"

    print("| input | bytes | sse-codec borrowed | sse-codec bytes | sse-core | sse-core / borrowed | sse-core / bytes |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for case in CASES[:-2]:
        b, y, c = (per_byte(f, case) for f in FUNCTIONS[:3])
        print(
            f"| {LABELS[case]} | {size[case]:,} | {fmt(b)} | {fmt(y)} | {fmt(c)} | "
            f"{fmt(c / b if b and c else None)}x | {fmt(c / y if y and c else None)}x |"
        )
    print()
    print("| encoder (1,000 events) | W1: output bytes | W1 | W3: output bytes | W3 |")
    print("|---|---:|---:|---:|---:|")
    for function, label in [("encode_to_vec", "`EventRef::encode_to_vec`, reused `Vec`"),
                            ("frame_event", "`Frame::event`, a fresh `Bytes` each"),
                            ("peer_sse_stream", "sse-stream's `Sse::encode`"),
                            ("memcpy_to_bytes", "memcpy into a new `Bytes` (no encoding)")]:
        print(f"| {label} | {size['w1']:,} | {fmt(per_byte(function, 'w1'))} | "
              f"{size['w3']:,} | {fmt(per_byte(function, 'w3'))} |")


if __name__ == "__main__":
    main()
