//! Event IDs: what the hub writes in `id:` and reads back from
//! `Last-Event-ID`.
//!
//! Both stores order entries by a [`Pos`] of two numbers. In memory the ID
//! is `<epoch>-<seq>`: the epoch (hex) names the hub instance, so that an ID
//! from before a restart is recognised as such, and `seq` comes from one
//! counter shared by the hub's topics, so that no two topics ever share an
//! ID. On Redis the ID is the stream entry ID `<ms>-<seq>` itself.

use std::fmt;

/// A position in a topic: entries are ordered by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Pos {
    pub(crate) hi: u64,
    pub(crate) lo: u64,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.hi, self.lo)
    }
}

/// Why a subscriber gets a `reset` event instead of an exact resume.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResetReason {
    /// The last event ID is not an ID this hub ever writes.
    Malformed,
    /// The last event ID comes from another instance of an in-memory hub
    /// (an earlier run, or another process): its epoch is not this hub's.
    OtherEpoch,
    /// History no longer holds the last event ID: it was trimmed.
    Trimmed,
    /// The ID has the right form but is not in this topic's history (an ID
    /// of another topic, or one this topic has not reached).
    Unknown,
    /// The subscriber fell behind (its queue filled up) further than
    /// history reaches.
    Lagged,
}

impl ResetReason {
    /// The reason as it appears in the `reset` event's data, e.g. `trimmed`.
    ///
    /// ```
    /// assert_eq!(sse_codec_hub::ResetReason::Trimmed.as_str(), "trimmed");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ResetReason::Malformed => "malformed",
            ResetReason::OtherEpoch => "other-epoch",
            ResetReason::Trimmed => "trimmed",
            ResetReason::Unknown => "unknown",
            ResetReason::Lagged => "lagged",
        }
    }

    /// The data of the `reset` event: `{"reason":"<reason>"}`.
    ///
    /// ```
    /// use sse_codec_hub::ResetReason;
    /// assert_eq!(ResetReason::Unknown.to_json(), r#"{"reason":"unknown"}"#);
    /// ```
    pub fn to_json(self) -> String {
        format!(r#"{{"reason":"{}"}}"#, self.as_str())
    }
}

impl fmt::Display for ResetReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A decimal `u64` with digits only (no sign, no spaces), as Redis and the
/// memory store write them.
fn parse_u64(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Parses `<hi>-<lo>` (a Redis entry ID).
#[cfg(any(feature = "redis", test))]
pub(crate) fn parse_pair(text: &str) -> Option<Pos> {
    let (hi, lo) = text.split_once('-')?;
    Some(Pos {
        hi: parse_u64(hi)?,
        lo: parse_u64(lo)?,
    })
}

/// Parses a memory-store ID `<epoch>-<seq>` for the hub of `epoch`.
pub(crate) fn parse_memory(text: &str, epoch: &str) -> Result<Pos, ResetReason> {
    let (their_epoch, seq) = text.split_once('-').ok_or(ResetReason::Malformed)?;
    let seq = parse_u64(seq).ok_or(ResetReason::Malformed)?;
    let well_formed = !their_epoch.is_empty() && their_epoch.bytes().all(|b| b.is_ascii_hexdigit());
    if !well_formed {
        return Err(ResetReason::Malformed);
    }
    if their_epoch != epoch {
        return Err(ResetReason::OtherEpoch);
    }
    Ok(Pos { hi: 0, lo: seq })
}

/// A new epoch: 12 hex digits from the clock and the process's random
/// hasher seed, different for every hub instance.
pub(crate) fn new_epoch() -> String {
    use std::hash::{BuildHasher, Hasher};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(nanos);
    hasher.write_usize(std::process::id() as usize);
    format!("{:012x}", hasher.finish() & 0xffff_ffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_parse_strictly() {
        assert_eq!(parse_pair("1-2"), Some(Pos { hi: 1, lo: 2 }));
        assert_eq!(
            parse_pair("1700000000000-0"),
            Some(Pos {
                hi: 1_700_000_000_000,
                lo: 0
            })
        );
        for bad in [
            "",
            "-",
            "1-",
            "-1",
            "1",
            "a-1",
            "+1-1",
            "1-1-1",
            " 1-1",
            "18446744073709551616-0",
        ] {
            assert_eq!(parse_pair(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn memory_ids_check_the_epoch() {
        assert_eq!(parse_memory("abc-5", "abc"), Ok(Pos { hi: 0, lo: 5 }));
        assert_eq!(parse_memory("abd-5", "abc"), Err(ResetReason::OtherEpoch));
        for bad in ["", "abc", "abc-", "-5", "xyz-5", "abc-5x", "abc--5"] {
            assert_eq!(
                parse_memory(bad, "abc"),
                Err(ResetReason::Malformed),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn epochs_differ() {
        let a = new_epoch();
        let b = new_epoch();
        assert_eq!(a.len(), 12);
        assert_ne!(a, b);
    }
}
