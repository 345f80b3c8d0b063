//! `offline-v2 explore`: stateright's Explorer over the model, states and actions named in
//! SPEC vocabulary ([`crate::explorer`]).

use std::process::ExitCode;

use clap::Args;
use stateright::Model;

use super::{bad_input, ConfigArgs};
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

/// Serves the Explorer until interrupted; a port that cannot be bound is bad input (exit 2).
#[must_use]
pub fn run(args: &ExploreArgs) -> ExitCode {
    let cfg = match args.config.config() {
        Ok(cfg) => cfg,
        Err(e) => return bad_input(e),
    };
    let address = ("127.0.0.1", args.port);
    // stateright's `serve` panics when it cannot bind: try the port first for a clear error.
    if let Err(e) = std::net::TcpListener::bind(address) {
        return bad_input(format!("cannot listen on 127.0.0.1:{}: {e}", args.port));
    }
    let description = model_check::describe(&cfg);
    let named = match crate::explorer::Named::new(cfg) {
        Ok(named) => named,
        Err(e) => return bad_input(e),
    };
    println!(
        "Explorer of {description} on http://127.0.0.1:{} (Ctrl-C to stop)",
        args.port
    );
    // The port may still be taken between the check and `serve`: report that, not a panic.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let served = std::panic::catch_unwind(|| {
        named.checker().serve(address);
    });
    std::panic::set_hook(previous);
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => bad_input(format!("cannot serve on 127.0.0.1:{}", args.port)),
    }
}
