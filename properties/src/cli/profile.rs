//! `offline-v2 profile` (the resolved budget of a profile) and `offline-v2 promote` (keep a
//! shrunk conformance failure in `properties/regressions/`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::{bad_input, resolve_budget, ProfileArg};
use crate::scenario::Scenario;

/// Options of `profile`.
#[derive(Args)]
pub struct ProfileArgs {
    #[command(flatten)]
    profile: ProfileArg,
    /// Print `export OFFLINE_V2_…=…` lines for a POSIX shell (scripts/test.sh evaluates them).
    #[arg(long)]
    shell: bool,
}

/// Runs `profile`.
#[must_use]
pub fn run(args: &ProfileArgs) -> ExitCode {
    let budget = match resolve_budget(&args.profile) {
        Ok(b) => b,
        Err(code) => return code,
    };
    if args.shell {
        print!("{}", budget.shell_exports());
    } else {
        let file = budget.file.as_ref().map_or_else(
            || "built-in defaults".to_owned(),
            |f| f.display().to_string(),
        );
        println!("profile {} ({file}, variables applied)", budget.profile);
        print!("{}", budget.shell_exports().replace("export ", "  "));
    }
    ExitCode::SUCCESS
}

/// Options of `promote`.
#[derive(Args)]
pub struct PromoteArgs {
    /// Shrunk scenario files to keep.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// Copies each file (which must parse) into `properties/regressions/`.
#[must_use]
pub fn promote(args: &PromoteArgs) -> ExitCode {
    let dir = crate::paths::kept_regressions_dir();
    for file in &args.files {
        if let Err(e) = Scenario::load(file) {
            return bad_input(e);
        }
    }
    for file in &args.files {
        let Some(name) = file.file_name() else {
            return bad_input(format!("{} has no file name", file.display()));
        };
        let to = dir.join(name);
        if let Err(e) = std::fs::create_dir_all(&dir).and_then(|()| std::fs::copy(file, &to)) {
            return bad_input(format!(
                "cannot copy {} to {}: {e}",
                file.display(),
                to.display()
            ));
        }
        println!("kept {} as {}", file.display(), to.display());
    }
    ExitCode::SUCCESS
}
