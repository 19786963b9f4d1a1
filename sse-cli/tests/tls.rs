//! `sse get` against a TLS server with a certificate of a test CA (made
//! with rcgen): refused by default, accepted with `--insecure` and with
//! `--cacert CA.pem`.

mod support;

use std::sync::Arc;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use support::{datas, sse_within, stderr, temp_dir};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;

/// Starts an HTTPS event stream server on 127.0.0.1 with a certificate for
/// 127.0.0.1 issued by a new CA; returns its URL and the CA's PEM.
async fn https_server() -> (String, String) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "sse-cli test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &*ca)
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
    .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = tls
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                          Connection: close\r\n\r\nid: 1\ndata: secure\n\n",
                    )
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (url, ca.pem())
}

async fn get(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        sse_within(&args, Duration::from_secs(20))
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn self_signed_ca_refused_by_default_accepted_with_insecure_or_cacert() {
    let (url, ca_pem) = https_server().await;
    let base = ["get".to_owned(), url.clone(), "--no-reconnect".to_owned()];

    let refused = get(base.to_vec()).await;
    assert_eq!(refused.status.code(), Some(4), "{}", stderr(&refused));
    let err = stderr(&refused);
    assert!(
        err.starts_with("sse: transport error: ")
            && err.ends_with(
                "invalid peer certificate: UnknownIssuer (--cacert FILE trusts a CA, \
                 --insecure accepts any certificate)\n"
            ),
        "{err}"
    );

    let mut insecure = base.to_vec();
    insecure.push("--insecure".to_owned());
    let output = get(insecure).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(datas(&output), ["secure"]);

    let ca_file = temp_dir("tls").join("ca.pem");
    std::fs::write(&ca_file, ca_pem).unwrap();
    let mut cacert = base.to_vec();
    cacert.extend(["--cacert".to_owned(), ca_file.display().to_string()]);
    let output = get(cacert).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(datas(&output), ["secure"]);
}
