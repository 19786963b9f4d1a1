//! `sse serve`. (Being written: see issue 15.)

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

/// The command line of `sse serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// A trace written by `sse record`, or a plain .sse file.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
}

/// Runs `sse serve`.
pub(crate) fn run(args: ServeArgs) -> ExitCode {
    let _ = args;
    crate::error("sse serve is not implemented yet");
    ExitCode::from(2)
}
