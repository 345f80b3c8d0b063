//! `offline-v2`: the front door of the suite; the subcommands live in
//! [`offline_v2_properties::cli`]. `--help` on every subcommand explains it.

use std::process::ExitCode;

fn main() -> ExitCode {
    offline_v2_properties::cli::main()
}
