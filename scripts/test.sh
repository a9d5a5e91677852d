#!/usr/bin/env bash
# Sets everything up and runs the whole test suite: formatting, lints, and every test of every
# crate, with the keyring tests against a real GNOME Keyring in a throwaway D-Bus session.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

say "cargo fmt --check"
cargo fmt --all --check
say "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

say "tests"
runner=(cargo test --workspace --locked)
if cargo nextest --version >/dev/null 2>&1; then
  runner=(cargo nextest run --workspace --locked --no-fail-fast)
fi
if [ -x crates/secrets/with-test-keyring.sh ]; then
  crates/secrets/with-test-keyring.sh "${runner[@]}"
else
  "${runner[@]}"
fi
