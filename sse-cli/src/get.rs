//! `sse get`. (Being written: see issue 15.)

use std::process::ExitCode;

use clap::Args;

/// The command line of `sse get`.
#[derive(Debug, Args)]
pub(crate) struct GetArgs {
    #[command(flatten)]
    pub(crate) request: crate::request::RequestArgs,
}

/// Runs `sse get`.
pub(crate) fn run(args: GetArgs) -> ExitCode {
    let _ = args;
    crate::error("sse get is not implemented yet");
    ExitCode::from(2)
}
