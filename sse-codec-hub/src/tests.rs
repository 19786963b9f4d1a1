//! Unit tests of the in-memory hub's internals.
