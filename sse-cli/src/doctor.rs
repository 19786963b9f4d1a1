//! `sse doctor`. (Being written: see issue 15.)

use std::process::ExitCode;

use clap::Args;

/// The command line of `sse doctor`.
#[derive(Debug, Args)]
pub(crate) struct DoctorArgs {
    #[command(flatten)]
    pub(crate) request: crate::request::RequestArgs,
}

/// Runs `sse doctor`.
pub(crate) fn run(args: DoctorArgs) -> ExitCode {
    let _ = args;
    crate::error("sse doctor is not implemented yet");
    ExitCode::from(2)
}
