//! Finds the third-party clients of the interop tests (`tests/interop.rs`)
//! and the third-party servers of the client interop tests
//! (`tests/client_interop.rs`). A missing one sets a cfg that marks its
//! test ignored, with the reason, so that `cargo test` says it did not run;
//! with `CI` set nothing is ignored, and a missing one fails its test.

use std::path::Path;
use std::process::Command;

fn succeeds(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|output| output.status.success())
}

fn main() {
    for cfg in [
        "missing_chromium",
        "missing_node_eventsource",
        "missing_express",
        "missing_sse_starlette",
        "missing_go",
    ] {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
    }
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-env-changed=CHROMIUM");
    println!("cargo::rerun-if-env-changed=PATH");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let interop = Path::new(env!("CARGO_MANIFEST_DIR")).join("interop");
    let eventsource = interop.join("node_modules/eventsource/package.json");
    let express = interop.join("servers/express/node_modules/express/package.json");
    let python = interop.join("servers/python/.venv/bin/python");
    // A path that does not exist counts as changed on every build, so that
    // installing a client or server is noticed.
    println!("cargo::rerun-if-changed={chromium}");
    for path in [&eventsource, &express, &python] {
        println!("cargo::rerun-if-changed={}", path.display());
    }
    let on_ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    if on_ci {
        return;
    }
    if !Path::new(&chromium).exists() {
        println!("cargo::rustc-cfg=missing_chromium");
    }
    let node = succeeds("node", &["--version"]);
    if !eventsource.exists() || !node {
        println!("cargo::rustc-cfg=missing_node_eventsource");
    }
    if !express.exists() || !node {
        println!("cargo::rustc-cfg=missing_express");
    }
    let python = python.to_string_lossy();
    if !succeeds(&python, &["-c", "import sse_starlette, uvicorn, starlette"]) {
        println!("cargo::rustc-cfg=missing_sse_starlette");
    }
    if !succeeds("go", &["version"]) {
        println!("cargo::rustc-cfg=missing_go");
    }
}
