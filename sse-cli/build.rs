//! Finds the programs of the interop tests (`tests/interop.rs`): headless
//! Chromium and node with the npm package `eventsource` (installed by
//! `tests/interop/setup.sh` at the root of the repository), and of the
//! proxy tests of `sse doctor` (`tests/doctor.rs`): Debian's nginx. A missing one
//! sets a cfg that marks its test ignored, with the reason; with `CI` set
//! nothing is ignored, and a missing one fails its test.

use std::path::Path;
use std::process::Command;

fn main() {
    for cfg in [
        "missing_chromium",
        "missing_node_eventsource",
        "missing_nginx",
    ] {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
    }
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-env-changed=CHROMIUM");
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rerun-if-env-changed=NGINX");
    let nginx = std::env::var("NGINX").unwrap_or_else(|_| "/usr/sbin/nginx".into());
    println!("cargo::rerun-if-changed={nginx}");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let eventsource = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/interop/node_modules/eventsource/package.json");
    println!("cargo::rerun-if-changed={chromium}");
    println!("cargo::rerun-if-changed={}", eventsource.display());
    let on_ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    if on_ci {
        return;
    }
    if !Path::new(&chromium).exists() {
        println!("cargo::rustc-cfg=missing_chromium");
    }
    if !Path::new(&nginx).exists() {
        println!("cargo::rustc-cfg=missing_nginx");
    }
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    if !eventsource.exists() || !node {
        println!("cargo::rustc-cfg=missing_node_eventsource");
    }
}
