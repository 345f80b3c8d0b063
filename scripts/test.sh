#!/usr/bin/env bash
# The test command of README.md: builds everything, checks formatting and lints, runs every
# test (model checking, DLL/ABI tests through the loaded cdylib, scenario corpus, conformance).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
# The ABI tests load the cdylib from target/; build it first so every test binary finds it.
cargo build -p offline-v2 --lib
cargo test --workspace
