#!/usr/bin/env bash
# Sets everything up and runs the whole test suite: formatting, lints, and every test of every
# crate, with the keyring tests against a real GNOME Keyring in a throwaway D-Bus session.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

say "UI: type check, unit tests, build"
(cd ui && npm run --silent check && npm test --silent && npm run --silent build)

say "cargo fmt --check"
cargo fmt --all --check
say "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

say "desktop app: release build for the window tests"
cargo build --release --locked --features custom-protocol --bin ciba-desk-app
export CIBA_DESK_APP_BIN="$PWD/target/release/ciba-desk-app"
export PATH="$HOME/.cargo/bin:$PATH"

say "tests (real Secret Service in a throwaway D-Bus session; windows on Xvfb)"
crates/secrets/with-test-keyring.sh xvfb-run -a -s "-screen 0 1280x800x24" \
  cargo nextest run --workspace --locked --no-fail-fast

say "documentation examples (nextest does not run them)"
cargo test --doc --workspace --locked
