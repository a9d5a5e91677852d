#!/usr/bin/env bash
# Sets everything up and starts the CIBA Desk app on its built-in sandbox provider.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
(cd ui && npm run --silent build)
cargo build --release --locked --features custom-protocol --bin ciba-desk-app
cat >&2 <<'MSG'

CIBA Desk starts with the "sandbox" profile selected; the sandbox provider runs inside the app.
Verify the Swedish test person 19121212-1212, then approve the request on the customer's phone:
open http://127.0.0.1:7878/device in a browser (on this machine, or on a phone on the same network
via an SSH tunnel or similar). Other test persons are listed at http://127.0.0.1:7878/.
MSG
exec target/release/ciba-desk-app
