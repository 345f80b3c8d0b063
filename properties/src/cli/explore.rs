//! `offline-v2 explore`: stateright's Explorer over the model.

use std::process::ExitCode;

use clap::Args;
use stateright::Model;

use super::ConfigArgs;
use crate::model_check;

/// Options of `explore`.
#[derive(Args)]
pub struct ExploreArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// Port on 127.0.0.1.
    #[arg(long, default_value_t = 3000)]
    port: u16,
}

/// Serves the Explorer until interrupted.
#[must_use]
pub fn run(args: &ExploreArgs) -> ExitCode {
    let cfg = args.config.config();
    let address = ("127.0.0.1", args.port);
    println!(
        "Explorer of {} on http://127.0.0.1:{} (Ctrl-C to stop)",
        model_check::describe(&cfg),
        args.port
    );
    cfg.checker().serve(address);
    ExitCode::SUCCESS
}
