//! How the interop tests of every crate run headless Chromium (included
//! with `#[path]` by `tests/tests/interop.rs`, `sse-cli/tests/interop.rs` and
//! `sse-codec-hub/tests/interop.rs`): where it is, and the flags that keep
//! it quiet on a machine without a network or a display.

use std::path::{Path, PathBuf};

/// Chromium: `$CHROMIUM`, else Debian's `/usr/bin/chromium`.
pub(crate) fn chromium_path() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// The arguments that load `page` headless with a fresh profile in
/// `profile` and print its DOM when it has loaded (`--dump-dom`): no
/// sandbox (the tests run as root), no GPU, no QUIC, no background
/// networking, component updates or sync (the machine has no network: each
/// would be a refused connection), no first-run UI.
pub(crate) fn dump_dom_args(profile: &Path, page: &str) -> Vec<String> {
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--no-first-run",
        "--mute-audio",
    ]
    .map(String::from)
    .to_vec();
    args.push(format!("--user-data-dir={}", profile.display()));
    args.push("--dump-dom".to_owned());
    args.push(page.to_owned());
    args
}
