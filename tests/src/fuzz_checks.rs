//! The checks behind the fuzz targets in `fuzz/`, shared with the stable
//! test that replays the committed seed corpus (`tests/tests/fuzz_corpus.rs`).
