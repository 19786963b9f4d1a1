//! The `EventSource` fault matrix over real loopback HTTP (being written).
