//! The request flags shared by `sse get`, `record`, `bench` and `doctor`,
//! and the reqwest client and request they build.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use reqwest::header::{HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE};
use reqwest::Method;

/// How long connecting (TCP and TLS) may take.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest request body read from a file or standard input (`@FILE`).
const MAX_BODY: u64 = 64 * 1024 * 1024;

/// What to request: the URL and curl-like request flags.
#[derive(Debug, Clone, Args)]
pub(crate) struct RequestArgs {
    /// The URL of the event stream (http or https).
    #[arg(value_name = "URL")]
    pub(crate) url: String,
    /// The request method [default: GET, or POST with -d/--json].
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    pub(crate) method: Option<String>,
    /// A request header, 'Name: value' (repeatable).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub(crate) headers: Vec<String>,
    /// The request body; '@FILE' reads it from FILE ('@-': standard input).
    #[arg(
        short = 'd',
        long = "data",
        value_name = "DATA",
        conflicts_with = "json"
    )]
    pub(crate) data: Option<String>,
    /// A JSON request body (sets content-type: application/json); '@FILE' reads it.
    #[arg(long, value_name = "DATA")]
    pub(crate) json: Option<String>,
    /// Send this Last-Event-ID on the first request.
    #[arg(long, value_name = "ID")]
    pub(crate) last_event_id: Option<String>,
    /// Accept any TLS certificate (self-signed, expired, another host's).
    #[arg(short = 'k', long)]
    pub(crate) insecure: bool,
    /// Trust the CA certificates in FILE (PEM) besides the system's.
    #[arg(long, value_name = "FILE")]
    pub(crate) cacert: Option<PathBuf>,
}

impl RequestArgs {
    /// The method: `-X`, else POST with a body, else GET.
    ///
    /// # Errors
    /// A one-line message when `-X` is not a valid method.
    pub(crate) fn method(&self) -> Result<Method, String> {
        match &self.method {
            Some(method) => Method::from_bytes(method.to_ascii_uppercase().as_bytes())
                .map_err(|_| format!("-X {method}: not an HTTP method")),
            None if self.data.is_some() || self.json.is_some() => Ok(Method::POST),
            None => Ok(Method::GET),
        }
    }
}

/// A reqwest client builder for `args`: rustls with the system's roots,
/// the PEM roots of `--cacert` besides them, `--insecure`, the proxies of
/// `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY`, a connect timeout, no total
/// timeout (it would cut streams) and no decompression.
///
/// # Errors
/// A one-line message naming `--cacert` and its file when it cannot be
/// read or holds no certificate.
pub(crate) fn client_builder(args: &RequestArgs) -> Result<reqwest::ClientBuilder, String> {
    let mut builder = sse_codec_tokio::eventsource::client_builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .tls_danger_accept_invalid_certs(args.insecure);
    if let Some(path) = &args.cacert {
        let pem = std::fs::read(path)
            .map_err(|error| format!("--cacert '{}': {error}", path.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|error| format!("--cacert '{}': {error}", path.display()))?;
        if certs.is_empty() {
            return Err(format!(
                "--cacert '{}': no PEM certificate in the file",
                path.display()
            ));
        }
        builder = builder.tls_certs_merge(certs);
    }
    Ok(builder)
}

/// The request of `args` on `client`: method, `-H` headers, the body of
/// `-d`/`--json` (with `content-type: application/json` for `--json`, and
/// `application/x-www-form-urlencoded` for `-d` unless `-H` sets one, as
/// curl does), `accept: text/event-stream` unless `-H` sets it, and
/// `--last-event-id`.
///
/// # Errors
/// A one-line message naming the flag: a bad URL, method or header, or a
/// body file that cannot be read.
pub(crate) fn request(
    client: &reqwest::Client,
    args: &RequestArgs,
) -> Result<reqwest::RequestBuilder, String> {
    let url =
        reqwest::Url::parse(&args.url).map_err(|error| format!("URL '{}': {error}", args.url))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("URL '{}': not http or https", args.url));
    }
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
    let body = match (&args.data, &args.json) {
        (Some(data), _) => {
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
            Some(body(data, "-d")?)
        }
        (None, Some(json)) => {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            Some(body(json, "--json")?)
        }
        (None, None) => None,
    };
    if let Some(id) = &args.last_event_id {
        let value = HeaderValue::from_str(id)
            .map_err(|_| format!("--last-event-id {id:?}: not a valid header value"))?;
        headers.insert("last-event-id", value);
    }
    for header in &args.headers {
        let (name, value) = parse_header(header)?;
        headers.insert(name, value);
    }
    let mut request = client.request(args.method()?, url).headers(headers);
    if let Some(body) = body {
        request = request.body(body);
    }
    Ok(request)
}

/// Parses `-H 'Name: value'`.
fn parse_header(header: &str) -> Result<(HeaderName, HeaderValue), String> {
    let Some((name, value)) = header.split_once(':') else {
        return Err(format!("-H '{header}': not 'Name: value'"));
    };
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| format!("-H '{header}': not a valid header name"))?;
    let value = HeaderValue::from_str(value.trim())
        .map_err(|_| format!("-H '{header}': not a valid header value"))?;
    Ok((name, value))
}

/// The body of `-d`/`--json` (`flag`): the text, or the contents of the
/// file after `@` (`@-`: standard input).
fn body(data: &str, flag: &str) -> Result<Vec<u8>, String> {
    let Some(path) = data.strip_prefix('@') else {
        return Ok(data.as_bytes().to_vec());
    };
    let mut body = Vec::new();
    let read = if path == "-" {
        std::io::stdin()
            .lock()
            .take(MAX_BODY)
            .read_to_end(&mut body)
    } else {
        std::fs::File::open(Path::new(path))
            .and_then(|file| file.take(MAX_BODY).read_to_end(&mut body))
    };
    read.map_err(|error| format!("{flag} @{path}: {error}"))?;
    if body.len() as u64 >= MAX_BODY {
        return Err(format!("{flag} @{path}: larger than {MAX_BODY} bytes"));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        request: RequestArgs,
    }

    fn args(argv: &[&str]) -> RequestArgs {
        Cli::try_parse_from(std::iter::once("sse").chain(argv.iter().copied()))
            .unwrap()
            .request
    }

    fn build(argv: &[&str]) -> Result<reqwest::Request, String> {
        let args = args(argv);
        let client = client_builder(&args)?.build().unwrap();
        Ok(request(&client, &args)?.build().unwrap())
    }

    #[test]
    fn get_by_default_with_accept() {
        let request = build(&["http://127.0.0.1:1/x"]).unwrap();
        assert_eq!(request.method(), Method::GET);
        assert_eq!(request.headers()[ACCEPT], "text/event-stream");
        assert!(request.body().is_none());
        assert!(request.headers().get("last-event-id").is_none());
    }

    #[test]
    fn json_body_is_a_post_with_its_content_type() {
        let request =
            build(&["http://h/", "--json", r#"{"a":1}"#, "--last-event-id", "7"]).unwrap();
        assert_eq!(request.method(), Method::POST);
        assert_eq!(request.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(request.headers()["last-event-id"], "7");
        assert_eq!(request.body().unwrap().as_bytes(), Some(&br#"{"a":1}"#[..]));
    }

    #[test]
    fn data_from_a_file_headers_override_and_method() {
        let dir = std::env::temp_dir().join(format!("sse-request-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("body.txt");
        std::fs::write(&file, "from file").unwrap();
        let at = format!("@{}", file.display());
        let request = build(&[
            "http://h/",
            "-X",
            "put",
            "-d",
            &at,
            "-H",
            "Content-Type: text/plain",
            "-H",
            "X-A:  b ",
        ])
        .unwrap();
        assert_eq!(request.method(), Method::PUT);
        assert_eq!(request.headers()[CONTENT_TYPE], "text/plain");
        assert_eq!(request.headers()["x-a"], "b");
        assert_eq!(request.body().unwrap().as_bytes(), Some(&b"from file"[..]));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn errors_name_the_flag() {
        let error = build(&["http://h/", "-H", "NoColon"]).unwrap_err();
        assert!(error.starts_with("-H 'NoColon'"), "{error}");
        let error = build(&["http://h/", "-d", "@/nonexistent/body"]).unwrap_err();
        assert!(error.starts_with("-d @/nonexistent/body: "), "{error}");
        let error = build(&["http://h/", "--cacert", "/nonexistent/ca.pem"]).unwrap_err();
        assert!(
            error.starts_with("--cacert '/nonexistent/ca.pem': "),
            "{error}"
        );
        let error = build(&["ftp://h/"]).unwrap_err();
        assert!(error.contains("not http or https"), "{error}");
        let error = build(&["not a url"]).unwrap_err();
        assert!(error.starts_with("URL 'not a url': "), "{error}");
        let error = build(&["http://h/", "-X", "BAD METHOD"]).unwrap_err();
        assert!(error.starts_with("-X BAD METHOD"), "{error}");
        let error = build(&["http://h/", "--last-event-id", "a\nb"]).unwrap_err();
        assert!(error.starts_with("--last-event-id"), "{error}");
    }

    #[test]
    fn cacert_without_certificates_is_refused() {
        let dir = std::env::temp_dir().join(format!("sse-cacert-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("empty.pem");
        std::fs::write(&file, "not a certificate\n").unwrap();
        let error = build(&["https://h/", "--cacert", file.to_str().unwrap()]).unwrap_err();
        assert!(error.contains("no PEM certificate"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
