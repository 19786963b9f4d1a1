//! `sse doctor` end to end: each check against a raw server that shows the
//! problem (or not), and the proof with real parts: Debian's nginx in front
//! of `sse serve`, buffering and not, and compressing.

mod nginx;
mod support;

use nginx::{check, head, raw_server, sse, sse_with_input, stderr, stdout, Nginx, Serve, Step};

const GOOD_HEADERS: [&str; 2] = [
    "content-type: text/event-stream",
    "cache-control: no-cache, no-transform",
];

/// Events stamped with their send time, 150 ms apart, with keep-alive
/// comments: a stream with nothing wrong.
fn good_stream() -> Vec<Step> {
    let mut script = vec![head("200 OK", &GOOD_HEADERS), Step::Write(":\n".into())];
    for n in 0..30 {
        script.push(Step::Stamped {
            data: format!("{{\"n\":{n}}}"),
            ago: 0,
        });
        script.push(Step::Sleep(150));
        script.push(Step::Write(":\n".into()));
    }
    script
}

#[test]
fn a_good_stream_passes_every_check_and_exits_0() {
    let (url, heads) = raw_server(good_stream());
    let output = sse(&["doctor", &url, "--duration", "1.5"]);
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{report}{}", stderr(&output));
    for name in [
        "redirects",
        "status",
        "content-type",
        "cache-control",
        "compression",
        "http-version",
        "first-byte",
        "buffering",
        "keep-alive",
    ] {
        let (line, fix) = check(&report, name);
        assert!(line.starts_with("PASS"), "{line}\n{report}");
        assert_eq!(fix, "");
    }
    let (buffering, _) = check(&report, "buffering");
    assert!(
        buffering.contains("send times from sse serve"),
        "{buffering}"
    );
    // It asks as a browser would, and as sse serve's doctor mode wants.
    let request = heads.recv().unwrap().to_ascii_lowercase();
    assert!(request.contains("x-sse-doctor: 1"), "{request}");
    assert!(
        request.contains("accept-encoding: gzip, deflate, br"),
        "{request}"
    );
    assert!(request.contains("accept: text/event-stream"), "{request}");
}

/// Events made 150 ms apart but written five at a time, as a buffering
/// proxy passes them on.
fn bursty_stream() -> Vec<Step> {
    let mut script = vec![head("200 OK", &GOOD_HEADERS)];
    for burst in 0..4 {
        for n in 0..5_u64 {
            script.push(Step::Stamped {
                data: format!("{{\"n\":{}}}", burst * 5 + n),
                ago: (4 - n) * 150,
            });
        }
        script.push(Step::Sleep(750));
    }
    script
}

#[test]
fn events_that_arrive_in_bursts_warn_and_name_the_fix() {
    let (url, _) = raw_server(bursty_stream());
    let output = sse(&["doctor", &url, "--duration", "2"]);
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    let (line, fix) = check(&report, "buffering");
    assert!(
        line.starts_with("WARN  buffering     events arrive in bursts"),
        "{line}"
    );
    assert!(fix.contains("X-Accel-Buffering: no"), "{fix}");
    assert!(fix.contains("proxy_buffering off"), "{fix}");
}

#[test]
fn send_times_from_a_json_field_of_the_data() {
    // The raw server writes `{now-600}` literally; replace it per write.
    let mut script = vec![head("200 OK", &GOOD_HEADERS)];
    for burst in 0..3 {
        for n in 0..4_u64 {
            script.push(Step::Write(format!(
                "data: {{\"n\":{},\"meta\":{{\"sent\":{{now}}}}}}\n\n",
                burst * 4 + n
            )));
        }
        script.push(Step::Sleep(600));
    }
    // Written together, stamped together: no burst to see.
    let (url, _) = raw_server(script);
    let output = sse(&[
        "doctor",
        &url,
        "--duration",
        "1.5",
        "--timestamp-field",
        "meta.sent",
    ]);
    let report = stdout(&output);
    let (line, _) = check(&report, "buffering");
    assert!(line.starts_with("PASS"), "{report}");
    assert!(
        line.contains("send times from data field meta.sent"),
        "{line}"
    );
    // Stamped 150 ms apart, written five at a time: bursts.
    let output = sse(&[
        "doctor",
        &serve_bursts_with_field(),
        "--duration",
        "2",
        "--timestamp-field",
        "ts",
    ]);
    let report = stdout(&output);
    let (line, fix) = check(&report, "buffering");
    assert!(line.starts_with("WARN"), "{report}");
    assert!(fix.contains("X-Accel-Buffering"), "{fix}");
}

/// A server whose events carry `ts` 150 ms apart but are written five at a
/// time.
fn serve_bursts_with_field() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        let Ok((mut socket, _)) = listener.accept() else {
            return;
        };
        let mut buffer = [0_u8; 4096];
        let _ = socket.read(&mut buffer);
        let _ = socket.write_all(
            b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-type: text/event-stream\r\n\r\n",
        );
        for _ in 0..4 {
            let now = nginx::unix_ms();
            let mut burst = String::new();
            for n in 0..5_u128 {
                burst.push_str(&format!("data: {{\"ts\":{}}}\n\n", now - (4 - n) * 150));
            }
            if socket.write_all(burst.as_bytes()).is_err() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(750));
        }
    });
    url
}

#[test]
fn an_error_status_fails_with_the_body_and_exits_3() {
    let (url, _) = raw_server(vec![
        head("404 Not Found", &["content-type: text/plain"]),
        Step::Write("no such stream".into()),
    ]);
    let output = sse(&["doctor", &url, "--duration", "1"]);
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(3), "{report}");
    let (line, fix) = check(&report, "status");
    assert_eq!(line, "FAIL  status        404 Not Found: no such stream");
    assert!(fix.starts_with("      fix: "), "{fix}");
    let (line, _) = check(&report, "content-type");
    assert!(line.starts_with("FAIL"), "{line}");
    assert!(check(&report, "buffering").0.starts_with("SKIP"));
}

#[test]
fn headers_that_break_streams_warn() {
    let (url, _) = raw_server(vec![
        head(
            "200 OK",
            &["content-type: text/event-stream", "content-encoding: gzip"],
        ),
        Step::Write("not really gzip".into()),
    ]);
    let output = sse(&["doctor", &url, "--duration", "1"]);
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    let (line, fix) = check(&report, "compression");
    assert!(
        line.starts_with("WARN  compression   content-encoding: gzip"),
        "{line}"
    );
    assert!(fix.contains("gzip_types"), "{fix}");
    let (line, fix) = check(&report, "cache-control");
    assert!(line.starts_with("WARN  cache-control none"), "{line}");
    assert!(fix.contains("no-cache, no-transform"), "{fix}");
    assert!(
        check(&report, "buffering").0.starts_with("SKIP"),
        "{report}"
    );
}

/// A gzip stream flushed after each event, events made `spacing` ms apart
/// and written `per_write` at a time.
fn gzip_server(spacing: u64, per_write: u64) -> String {
    use flate2::write::GzEncoder;
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let Ok((mut socket, _)) = listener.accept() else {
            return;
        };
        let mut buffer = [0_u8; 4096];
        let _ = socket.read(&mut buffer);
        let _ = socket.write_all(
            b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-type: text/event-stream\r\ncontent-encoding: gzip\r\n\r\n",
        );
        let mut gzip = GzEncoder::new(socket, flate2::Compression::default());
        for _ in 0..6 {
            let now = nginx::unix_ms();
            for n in 0..per_write {
                let sent = now - u128::from((per_write - 1 - n) * spacing);
                let event = format!(": sse-serve-sent-ms={sent}\ndata: {n}\n\n");
                if gzip.write_all(event.as_bytes()).is_err() {
                    return;
                }
            }
            if gzip.flush().is_err() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(spacing * per_write));
        }
    });
    url
}

#[test]
fn a_gzip_stream_warns_and_is_decompressed_to_judge_buffering() {
    let output = sse(&["doctor", &gzip_server(150, 1), "--duration", "1.2"]);
    let report = stdout(&output);
    let (line, fix) = check(&report, "compression");
    assert!(
        line.starts_with("WARN  compression   content-encoding: gzip")
            && line.contains("decompressed here to judge buffering"),
        "{report}"
    );
    assert!(fix.contains("gzip_types"), "{fix}");
    assert!(
        check(&report, "buffering").0.starts_with("PASS"),
        "{report}"
    );
    // Held back by the compressor: three events per flush.
    let output = sse(&["doctor", &gzip_server(150, 3), "--duration", "2"]);
    let report = stdout(&output);
    assert!(
        check(&report, "buffering").0.starts_with("WARN"),
        "{report}"
    );
}

#[test]
fn each_redirect_is_reported_and_followed() {
    let (target, _) = raw_server(good_stream());
    let (url, _) = raw_server(vec![head(
        "302 Found",
        &[&format!("location: {target}stream")],
    )]);
    let output = sse(&["doctor", &url, "--duration", "1"]);
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    let (line, fix) = check(&report, "redirects");
    assert_eq!(
        line,
        format!("WARN  redirects     302 {url} -> {target}stream")
    );
    assert!(fix.contains("final URL"), "{fix}");
    assert!(check(&report, "status").0.starts_with("PASS"));
    // Too many: a loop back to itself.
    let (looping, _) = raw_server(vec![head("301 Moved Permanently", &["location: /again"])]);
    let output = sse(&[
        "doctor",
        &looping,
        "--max-redirects",
        "2",
        "--duration",
        "1",
    ]);
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(3), "{report}");
    assert!(
        check(&report, "connection")
            .0
            .contains("more than 2 redirects"),
        "{report}"
    );
}

#[test]
fn a_body_from_standard_input_is_sent_again_after_a_redirect() {
    let (target, target_heads) = raw_server(good_stream());
    let (url, heads) = raw_server(vec![head(
        "307 Temporary Redirect",
        &[&format!("location: {target}")],
    )]);
    let output = sse_with_input(
        &["doctor", &url, "--json", "@-", "--duration", "1"],
        br#"{"a":1}"#,
    );
    let report = stdout(&output);
    assert!(
        check(&report, "redirects").0.starts_with("WARN"),
        "{report}"
    );
    for head in [heads.recv().unwrap(), target_heads.recv().unwrap()] {
        let head = head.to_ascii_lowercase();
        assert!(head.starts_with("post / http/1.1\r\n"), "{head}");
        assert!(head.contains("content-length: 7\r\n"), "{head}");
    }
}

#[test]
fn a_silent_stream_cannot_judge_keep_alive_in_a_short_watch() {
    let (url, _) = raw_server(vec![
        head("200 OK", &GOOD_HEADERS),
        Step::Write("data: once\n\n".into()),
        Step::Sleep(5_000),
    ]);
    let output = sse(&["doctor", &url, "--duration", "1"]);
    let report = stdout(&output);
    let (line, _) = check(&report, "keep-alive");
    assert!(line.starts_with("SKIP"), "{line}");
    assert!(line.contains("--duration 120"), "{line}");
}

#[test]
fn no_server_fails_and_usage_errors_exit_2() {
    let port = nginx::free_port();
    let output = sse(&[
        "doctor",
        &format!("http://127.0.0.1:{port}/"),
        "--duration",
        "1",
    ]);
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(3), "{report}");
    let (line, fix) = check(&report, "connection");
    assert!(line.starts_with("FAIL"), "{line}");
    assert!(fix.contains("server is up"), "{fix}");
    for args in [
        &["doctor"][..],
        &["doctor", "http://127.0.0.1:1/", "--duration", "0"],
        &["doctor", "ftp://127.0.0.1:1/"],
    ] {
        let output = sse(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(stderr(&output).starts_with("sse: "), "{}", stderr(&output));
    }
    let help = stdout(&sse(&["doctor", "--help"]));
    assert!(
        help.contains("keep-alive     the longest silence"),
        "{help}"
    );
    assert!(
        help.contains("Exit status:") && help.contains("3  at least one FAIL"),
        "{help}"
    );
}

#[test]
fn no_headers_in_time_fails_and_suggests_a_buffering_proxy() {
    let (url, _) = raw_server(vec![Step::Sleep(5_000)]);
    let output = sse(&["doctor", &url, "--duration", "1"]);
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(3), "{report}");
    let (line, fix) = check(&report, "connection");
    assert_eq!(line, "FAIL  connection    no response headers within 1.0 s");
    assert!(fix.contains("X-Accel-Buffering: no"), "{fix}");
}

/// Events of about 200 bytes, 100 ms apart, for ever: enough to fill an
/// nginx buffer page (4 KiB) in two seconds.
fn serve_for_nginx(args: &[&str]) -> Serve {
    let mut stream = String::new();
    for n in 0..20 {
        stream.push_str(&format!(
            "id: {n}\ndata: {{\"n\":{n},\"pad\":\"{}\"}}\n\n",
            "x".repeat(180)
        ));
    }
    let mut all = vec!["--interval", "100", "--loop"];
    all.extend_from_slice(args);
    Serve::start(&stream, &all)
}

#[test]
#[cfg_attr(missing_nginx, ignore = "nginx not found (apt-get install nginx)")]
fn nginx_buffering_is_found_and_named() {
    if !nginx::nginx_or_skip("nginx_buffering_is_found_and_named") {
        return;
    }
    let serve = serve_for_nginx(&[]);
    let nginx = Nginx::start(
        serve.port(),
        "proxy_buffering on; proxy_ignore_headers X-Accel-Buffering;",
    );
    let output = sse(&["doctor", &nginx.url, "--duration", "4"]);
    let report = stdout(&output);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{report}{}",
        nginx.error_log()
    );
    let (line, fix) = check(&report, "buffering");
    assert!(line.starts_with("WARN"), "{report}");
    assert!(fix.contains("X-Accel-Buffering: no"), "{fix}");
    assert!(fix.contains("proxy_buffering off"), "{fix}");
    println!("{report}");
}

#[test]
#[cfg_attr(missing_nginx, ignore = "nginx not found (apt-get install nginx)")]
fn nginx_without_buffering_passes() {
    if !nginx::nginx_or_skip("nginx_without_buffering_passes") {
        return;
    }
    let serve = serve_for_nginx(&[]);
    let nginx = Nginx::start(serve.port(), "proxy_buffering off;");
    let output = sse(&["doctor", &nginx.url, "--duration", "2"]);
    let report = stdout(&output);
    let (line, _) = check(&report, "buffering");
    assert!(line.starts_with("PASS"), "{report}{}", nginx.error_log());
    assert!(line.contains("send times from sse serve"), "{line}");
    assert!(
        check(&report, "compression").0.starts_with("PASS"),
        "{report}"
    );
    println!("{report}");
}

#[test]
#[cfg_attr(missing_nginx, ignore = "nginx not found (apt-get install nginx)")]
fn nginx_gzip_is_found() {
    if !nginx::nginx_or_skip("nginx_gzip_is_found") {
        return;
    }
    let serve = serve_for_nginx(&[]);
    let nginx = Nginx::start(
        serve.port(),
        "proxy_buffering off; gzip on; gzip_types text/event-stream; gzip_min_length 0;",
    );
    let output = sse(&["doctor", &nginx.url, "--duration", "2"]);
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    let (line, fix) = check(&report, "compression");
    assert!(
        line.starts_with("WARN  compression   content-encoding: gzip"),
        "{report}"
    );
    assert!(fix.contains("gzip"), "{fix}");
    // nginx flushes gzip after each event here (proxy_buffering off): the
    // body is decompressed, and its events judged on their send times.
    let (line, _) = check(&report, "buffering");
    assert!(line.contains("(send times from sse serve)"), "{report}");
    println!("{report}");
}

/// An HTTPS server with a self-signed certificate for 127.0.0.1 that speaks
/// only HTTP/1.1 (no ALPN) and answers with a short good stream.
fn https_server() -> String {
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    use std::io::{Read, Write};
    use std::sync::Arc;
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![certified.cert.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            certified.signing_key.serialize_der(),
        )),
    )
    .unwrap();
    let config = Arc::new(config);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { return };
            let config = Arc::clone(&config);
            std::thread::spawn(move || {
                let _ = tcp.set_read_timeout(Some(std::time::Duration::from_secs(10)));
                let Ok(connection) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut tls = rustls::StreamOwned::new(connection, tcp);
                let mut head = Vec::new();
                let mut buffer = [0_u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buffer) {
                        // A client that refuses the certificate ends here.
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buffer[..n]),
                    }
                }
                let _ = tls.write_all(
                    b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-type: text/event-stream\r\n\
                      cache-control: no-cache, no-transform\r\n\r\n:\ndata: secure\n\n",
                );
                let _ = tls.flush();
                std::thread::sleep(std::time::Duration::from_millis(300));
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    url
}

#[test]
fn https_with_http_1_1_warns_and_an_untrusted_certificate_fails() {
    let url = https_server();
    let output = sse(&["doctor", &url, "--duration", "1"]);
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(3), "{report}");
    let (line, fix) = check(&report, "connection");
    assert!(line.starts_with("FAIL"), "{report}");
    assert!(line.to_ascii_lowercase().contains("certificate"), "{line}");
    assert!(fix.contains("--insecure"), "{fix}");
    let output = sse(&["doctor", &url, "--insecure", "--duration", "1"]);
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    let (line, fix) = check(&report, "http-version");
    assert!(
        line.starts_with("WARN  http-version  HTTP/1.1 over https"),
        "{report}"
    );
    assert!(fix.contains("HTTP/2"), "{fix}");
    assert!(check(&report, "status").0.starts_with("PASS"), "{report}");
}
