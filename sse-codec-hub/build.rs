//! Looks for `redis-server`, which the Redis tests start themselves, for
//! `node` with the npm `eventsource` package of the workspace's interop
//! harness (`tests/interop/setup.sh` installs it), and for Chromium
//! (`/usr/bin/chromium`, or `$CHROMIUM`). When one is missing its
//! tests are reported as ignored, with the reason, unless the environment
//! variable `CI` is set: then they run, and fail.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(missing_redis)");
    println!("cargo::rustc-check-cfg=cfg(missing_node_eventsource)");
    println!("cargo::rustc-check-cfg=cfg(missing_chromium)");
    let eventsource = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/interop/node_modules/eventsource/package.json");
    // A path that does not exist counts as changed on every build, so that
    // installing the package is noticed.
    println!("cargo::rerun-if-changed={}", eventsource.display());
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rerun-if-env-changed=CHROMIUM");
    println!("cargo::rerun-if-changed=build.rs");
    let on_ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    if on_ci {
        return;
    }
    let found = Command::new("redis-server")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        println!("cargo::rustc-cfg=missing_redis");
    }
    let node = Command::new("node").arg("--version").output();
    if !eventsource.exists() || !node.is_ok_and(|output| output.status.success()) {
        println!("cargo::rustc-cfg=missing_node_eventsource");
    }
    let chromium = std::env::var_os("CHROMIUM").unwrap_or_else(|| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        println!("cargo::rustc-cfg=missing_chromium");
    }
}
