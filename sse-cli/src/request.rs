//! The request flags shared by `sse get`, `record`, `bench` and `doctor`,
//! and the reqwest client and request they build.

use std::path::PathBuf;

use clap::Args;

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
