//! `sse record`. (Being written: see issue 15.)

use std::process::ExitCode;

use clap::Args;

/// The command line of `sse record`.
#[derive(Debug, Args)]
pub(crate) struct RecordArgs {
    #[command(flatten)]
    pub(crate) request: crate::request::RequestArgs,
}

/// Runs `sse record`.
pub(crate) fn run(args: RecordArgs) -> ExitCode {
    let _ = args;
    crate::error("sse record is not implemented yet");
    ExitCode::from(2)
}
