//! Finds the third-party clients of the interop tests (`tests/interop.rs`).
//! A missing one sets a cfg that marks its test ignored, with the reason,
//! so that `cargo test` says it did not run; with `CI` set nothing is
//! ignored, and a missing client fails its test.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(missing_chromium)");
    println!("cargo::rustc-check-cfg=cfg(missing_node_eventsource)");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-env-changed=CHROMIUM");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let eventsource =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("interop/node_modules/eventsource/package.json");
    // A path that does not exist counts as changed on every build, so that
    // installing a client is noticed.
    println!("cargo::rerun-if-changed={chromium}");
    println!("cargo::rerun-if-changed={}", eventsource.display());
    let on_ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    if on_ci {
        return;
    }
    if !Path::new(&chromium).exists() {
        println!("cargo::rustc-cfg=missing_chromium");
    }
    let node = Command::new("node").arg("--version").output();
    if !eventsource.exists() || !node.is_ok_and(|output| output.status.success()) {
        println!("cargo::rustc-cfg=missing_node_eventsource");
    }
}
