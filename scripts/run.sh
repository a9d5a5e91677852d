#!/usr/bin/env bash
# Sets everything up and starts CIBA Desk on its built-in sandbox provider.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --locked -p ciba-desk-cli
bin=target/release/ciba-desk
port=${CIBA_DESK_SANDBOX_PORT:-7878}
cat >&2 <<MSG

The sandbox provider starts on http://127.0.0.1:$port (Ctrl-C stops it).
Open http://127.0.0.1:$port/device in a browser: it is the customer's phone.
In another terminal, verify the Swedish test person:

  CIBA_CLIENT_SECRET=sandbox-secret $bin verify --issuer http://127.0.0.1:$port \\
      --client-id ciba-desk --login-hint 19121212-1212 --binding-message "Counter 3" \\
      --scope "openid profile" --json

and approve the request on the phone page.
MSG
exec "$bin" sandbox --port "$port"
