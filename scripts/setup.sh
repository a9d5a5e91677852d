#!/usr/bin/env bash
# Installs what building and testing CIBA Desk needs on Debian 12, and only what is missing:
# Debian packages, the npm packages of the test OpenID provider, cargo tools.
# Idempotent: a second run installs nothing. Needs root (or sudo) only when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "error: installing system packages needs root; run as root or install sudo" >&2; exit 1; fi
}

# Debian packages: the C toolchain for the crypto crates, Node for the UI and the test provider,
# WebKitGTK for the desktop window, gnome-keyring and D-Bus for the real Secret Service, and
# Xvfb plus WebKitWebDriver for the tests that drive the real window (and Openbox, a window
# manager for the one test of full screen), and PostgreSQL for the server's tests (each run
# starts a throwaway cluster of its own as the `postgres` user).
DEB_PACKAGES=(build-essential pkg-config ca-certificates curl git file nodejs npm gnome-keyring dbus
  libwebkit2gtk-4.1-dev libssl-dev xvfb xauth webkit2gtk-driver openbox postgresql)
missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node and npm may come from elsewhere than Debian (as on the CI machines): count them as present.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]:-}"
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# ui/package.json asks for 20.19 or later (Vite 8).
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  echo "error: Node.js 20.19 or later is needed for the UI build and the test OpenID provider (found $(node --version))." >&2
  exit 1
fi

if ! command -v cargo >/dev/null; then
  echo "error: Rust is not installed; install it with rustup (https://rustup.rs) and run this again." >&2
  exit 1
fi

if ! cargo nextest --version >/dev/null 2>&1; then
  say "installing cargo-nextest (runs the window tests one at a time, see .config/nextest.toml)"
  cargo install cargo-nextest --locked --quiet
fi

if ! command -v tauri-driver >/dev/null && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  say "installing tauri-driver (WebDriver for the app window)"
  cargo install tauri-driver --locked --quiet
fi

if [ ! -d ui/node_modules/vite ]; then
  say "installing the UI's npm packages"
  (cd ui && npm install --no-audit --no-fund --loglevel=error)
fi

if [ ! -d crates/testkit/oidc-op/node_modules/oidc-provider ]; then
  say "installing the test OpenID provider's npm packages"
  (cd crates/testkit/oidc-op && npm install --no-audit --no-fund --loglevel=error)
fi
