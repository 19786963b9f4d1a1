//! `sse bench`. (Being written: see issue 15.)

use std::process::ExitCode;

use clap::Args;

/// The command line of `sse bench`.
#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    #[command(flatten)]
    pub(crate) request: crate::request::RequestArgs,
}

/// Runs `sse bench`.
pub(crate) fn run(args: BenchArgs) -> ExitCode {
    let _ = args;
    crate::error("sse bench is not implemented yet");
    ExitCode::from(2)
}
