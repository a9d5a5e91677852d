#!/usr/bin/env bash
# The installers' test, as CI runs it: as root on a throwaway machine. Builds both .debs
# (scripts/package.sh), installs them with apt-get, starts the installed app on Xvfb and the
# installed server as its own user, checks owners and modes, purges both and checks that
# nothing is left. Installs and removes system packages and a system user: not for a desk.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
fail() { printf '\033[1;31mpackage-test: FAILED: %s\033[0m\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "run as root: the test installs and purges Debian packages"

started=$SECONDS
export DEBIAN_FRONTEND=noninteractive
export PATH="$HOME/.cargo/bin:$PATH"
PACKAGES=(ciba-desk ciba-desk-server)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
purge_installed() {
  local present=()
  for p in "${PACKAGES[@]}"; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -qv 'not-installed'; then present+=("$p"); fi
  done
  if [ ${#present[@]} -gt 0 ]; then apt-get purge -y -qq "${present[@]}" >/dev/null; fi
}

scratch=$(mktemp -d /tmp/ciba-desk-package-test.XXXXXX)
chmod 0755 "$scratch"
server_runner="" op_pid=""
# /etc/ciba-desk is shared with the desktop's administrator policy: note whether it was there.
etc_was_there=no
if [ -d /etc/ciba-desk ]; then etc_was_there=yes; fi
cleanup() {
  local status=$?
  # A server or test provider a failed step left running (runuser hands SIGTERM on to the server).
  if [ -n "$server_runner" ]; then kill "$server_runner" 2>/dev/null || true; fi
  if [ -n "$op_pid" ]; then kill "$op_pid" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$scratch"
  if [ "$status" -ne 0 ]; then
    # Leave the machine as it was before the test, even after a failure.
    rm -f /etc/ciba-desk/secrets/package-test.secret
    purge_installed || true
    rmdir /etc/ciba-desk/secrets 2>/dev/null || true
    if [ "$etc_was_there" = no ]; then rmdir /etc/ciba-desk 2>/dev/null || true; fi
    printf 'package-test: cleaned up after the failure above\n' >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A previous run that was killed may have left the packages (or their configuration) behind.
purge_installed

say "building the packages"
scripts/package.sh
arch=$(dpkg --print-architecture)
app_deb=(target/packages/ciba-desk_*_"$arch".deb)
server_deb=(target/packages/ciba-desk-server_*_"$arch".deb)
if [ ${#app_deb[@]} -ne 1 ] || [ ! -f "${app_deb[0]}" ]; then fail "expected one app package in target/packages, found: ${app_deb[*]}"; fi
if [ ${#server_deb[@]} -ne 1 ] || [ ! -f "${server_deb[0]}" ]; then fail "expected one server package in target/packages, found: ${server_deb[*]}"; fi
version=$(dpkg-deb -f "${app_deb[0]}" Version)

say "package metadata"
app_size=$(stat -c %s "${app_deb[0]}")
[ "$app_size" -le 10000000 ] || fail "${app_deb[0]} is $app_size bytes; the budget is 10 MB"
depends=$(dpkg-deb -f "${app_deb[0]}" Depends)
grep -q 'libwebkit2gtk-4.1-0' <<<"$depends" || fail "the app's Depends lacks the WebKitGTK 4.1 runtime: $depends"
[ "$(dpkg-deb -f "${app_deb[0]}" Recommends)" = gnome-keyring ] || fail "the app does not recommend gnome-keyring"
[ "$(dpkg-deb -f "${server_deb[0]}" Version)" = "$version" ] || fail "the two packages have different versions"
grep -q 'adduser' <<<"$(dpkg-deb -f "${server_deb[0]}" Depends)" || fail "the server does not depend on adduser (postinst needs it)"

say "apt-get install ${app_deb[0]} ${server_deb[0]}"
apt-get install -y -qq "./${app_deb[0]}" "./${server_deb[0]}" >"$scratch/apt-install.log" 2>&1 ||
  { cat "$scratch/apt-install.log" >&2; fail "apt-get install"; }
for p in "${PACKAGES[@]}"; do installed "$p" || fail "$p is not installed after apt-get install"; done

# ---------------------------------------------------------------- the desktop app

say "installed app: files, command line, URL scheme"
for f in /usr/bin/ciba-desk-app /usr/bin/ciba-desk; do [ -x "$f" ] || fail "$f is missing or not executable"; done
cli_version=$(/usr/bin/ciba-desk --version) || fail "ciba-desk --version exited non-zero"
grep -qF "$version" <<<"$cli_version" || fail "ciba-desk --version says '$cli_version', not $version"
app_files=$(dpkg -L ciba-desk)
desktop=$(grep '^/usr/share/applications/.*\.desktop$' <<<"$app_files" || true)
if [ "$desktop" != /usr/share/applications/ciba-desk.desktop ] || [ ! -f "$desktop" ]; then
  fail "the app package installed '$desktop' as its desktop entry, not /usr/share/applications/ciba-desk.desktop"
fi
grep -qx 'MimeType=x-scheme-handler/ciba-desk;' "$desktop" || fail "$desktop does not register x-scheme-handler/ciba-desk"
grep -qx 'Exec=ciba-desk-app %u' "$desktop" || fail "$desktop does not pass the link to the app (Exec=ciba-desk-app %u)"
grep -q '^/usr/share/icons/hicolor/.*/apps/ciba-desk-app\.png$' <<<"$app_files" || fail "the app package installed no icons"
if command -v xdg-mime >/dev/null; then
  # Answers only where the desktop's MIME cache knows the entry (desktop-file-utils).
  handler=$(xdg-mime query default x-scheme-handler/ciba-desk || true)
  if [ -n "$handler" ] && [ "$handler" != "$(basename "$desktop")" ]; then
    fail "xdg-mime opens ciba-desk:// links with $handler, not $(basename "$desktop")"
  fi
  echo "xdg-mime query default x-scheme-handler/ciba-desk: ${handler:-(no answer: no MIME cache here)}"
fi
echo "$desktop: MimeType=x-scheme-handler/ciba-desk;"

say "installed app: the window on Xvfb (tests/installed.rs against /usr/bin/ciba-desk-app)"
CIBA_DESK_APP_BIN=/usr/bin/ciba-desk-app crates/secrets/with-test-keyring.sh \
  xvfb-run -a -s "-screen 0 1280x800x24" \
  cargo nextest run --locked -p ciba-desk-app --test installed --no-fail-fast ||
  fail "the installed app did not show its verify form (tests/installed.rs)"

# ---------------------------------------------------------------- the server

say "installed server: owners, modes, user"
mode_of() { stat -c '%a %U:%G' "$1"; }
expect_mode() {
  local got
  got=$(mode_of "$1") || fail "$1 is missing"
  [ "$got" = "$2" ] || fail "$1 is $got, expected $2"
}
expect_mode /etc/ciba-desk "755 root:root"
expect_mode /etc/ciba-desk/server.toml "640 root:ciba-desk"
expect_mode /etc/ciba-desk/secrets "750 root:ciba-desk"
expect_mode /var/lib/ciba-desk "750 ciba-desk:ciba-desk"
expect_mode /usr/bin/ciba-desk-server "755 root:root"
expect_mode /lib/systemd/system/ciba-desk-server.service "644 root:root"
entry=$(getent passwd ciba-desk) || fail "the user ciba-desk does not exist"
IFS=: read -r _ _ uid _ _ home shell <<<"$entry"
[ "$uid" -lt 1000 ] || fail "ciba-desk is not a system user (uid $uid)"
[ "$home" = /var/lib/ciba-desk ] || fail "ciba-desk's home is $home"
case "$shell" in
  /usr/sbin/nologin | /sbin/nologin | /bin/false | /usr/bin/false) ;;
  *) fail "ciba-desk has a login shell: $shell" ;;
esac
getent group ciba-desk >/dev/null || fail "the group ciba-desk does not exist"
grep -q ' /etc/ciba-desk/server.toml ' <<<"$(dpkg-query -W -f='${Conffiles}' ciba-desk-server)" ||
  fail "/etc/ciba-desk/server.toml is not a conffile"
[ "$(head -n1 /lib/systemd/system/ciba-desk-server.service)" = "# /lib/systemd/system/ciba-desk-server.service" ] ||
  fail "the unit's first line does not name where it is installed"

say "installed server: check-config on the installed example"
# The example names files an administrator creates (the audit key, the provider's key), so on a
# fresh install it must fail, naming the first missing file and nothing secret.
set +e
example=$(runuser -u ciba-desk -- /usr/bin/ciba-desk-server check-config --config /etc/ciba-desk/server.toml 2>&1)
example_status=$?
set -e
printf '%s\n' "$example" | grep -v '^{' || true
[ "$example_status" -ne 0 ] || fail "check-config accepted the example without its secret files"
grep -q '^error: the audit HMAC key could not be read from /etc/ciba-desk/audit-hmac.key: ' <<<"$example" ||
  fail "check-config on the example failed without naming the missing audit key file: $example"

say "installed server: serve as ciba-desk, /healthz, SIGTERM"
# The organisation's sign-in provider is discovered at start: the test OpenID provider plays it.
(cd crates/testkit/oidc-op && OP_WATCH_STDIN=0 exec node op.mjs >"$scratch/op.out" 2>"$scratch/op.err" </dev/null) &
op_pid=$!
for _ in $(seq 300); do
  if [ -s "$scratch/op.out" ] || ! kill -0 "$op_pid" 2>/dev/null; then break; fi
  sleep 0.1
done
issuer=$(sed -n '1s/.*"issuer":"\([^"]*\)".*/\1/p' "$scratch/op.out")
[ -n "$issuer" ] || { cat "$scratch/op.err" >&2; fail "the test OpenID provider did not start"; }
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
config="$scratch/server.toml"
# The audit key only the server's user can read, as the server insists.
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$scratch/audit.key"
cat >"$config" <<EOF
[server]
listen = "127.0.0.1:$port"
[database]
url = "sqlite:///var/lib/ciba-desk/package-test.sqlite3"
[agents]
issuer = "$issuer"
[audit]
hmac_key = { file = "$scratch/audit.key" }
# SQLite cannot keep its file's owner from rewriting audit rows: stated explicitly.
allow_mutable = true
EOF
chown ciba-desk:ciba-desk "$config" "$scratch/audit.key"
chmod 0600 "$config" "$scratch/audit.key"
as_server() { runuser -u ciba-desk -- /usr/bin/ciba-desk-server "$@" --config "$config"; }
as_server check-config || fail "check-config on the test's configuration"
as_server migrate || fail "migrate (SQLite in /var/lib/ciba-desk, as ciba-desk)"
# Started directly (not through as_server), so $! is runuser's and the server is its child.
runuser -u ciba-desk -- /usr/bin/ciba-desk-server serve --config "$config" 2>"$scratch/server.log" &
server_runner=$!
healthy=no
for _ in $(seq 300); do
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")" = 200 ]; then healthy=yes; break; fi
  kill -0 "$server_runner" 2>/dev/null || break
  sleep 0.1
done
[ "$healthy" = yes ] || { cat "$scratch/server.log" >&2; fail "the installed server never answered /healthz with 200 within 30 s"; }
echo "GET http://127.0.0.1:$port/healthz: 200"
# SIGTERM to the server itself: runuser would turn a signal of its own into its exit status.
server_pid=$(pgrep -P "$server_runner") || fail "no server process below runuser"
[ "$(stat -c %U "/proc/$server_pid")" = ciba-desk ] || fail "the server does not run as ciba-desk"
kill -TERM "$server_pid"
stopped=no
for _ in $(seq 150); do
  if ! kill -0 "$server_pid" 2>/dev/null; then stopped=yes; break; fi
  sleep 0.1
done
[ "$stopped" = yes ] || fail "the server did not stop within 15 s of SIGTERM"
set +e
wait "$server_runner"
server_status=$?
set -e
server_runner=""
[ "$server_status" -eq 0 ] || { cat "$scratch/server.log" >&2; fail "the server exited with status $server_status after SIGTERM"; }
echo "SIGTERM: the server exited with status 0"
kill "$op_pid" 2>/dev/null || true
wait "$op_pid" 2>/dev/null || true
op_pid=""

# ---------------------------------------------------------------- purge

# A secret an administrator put in place: purging leaves it, but no longer to a uid that an
# account made later could get.
admin_secret=/etc/ciba-desk/secrets/package-test.secret
install -o ciba-desk -g ciba-desk -m 600 /dev/null "$admin_secret"

say "apt-get purge ${PACKAGES[*]}"
apt-get purge -y -qq "${PACKAGES[@]}" >"$scratch/apt-purge.log" 2>&1 ||
  { cat "$scratch/apt-purge.log" >&2; fail "apt-get purge"; }
for p in "${PACKAGES[@]}"; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -qv 'not-installed'; then fail "$p is still known to dpkg after purge"; fi
done
for f in /usr/bin/ciba-desk-app /usr/bin/ciba-desk /usr/bin/ciba-desk-server "$desktop" \
  /lib/systemd/system/ciba-desk-server.service /etc/ciba-desk/server.toml /var/lib/ciba-desk; do
  [ ! -e "$f" ] || fail "$f is still there after purge"
done
expect_mode "$admin_secret" "600 root:root"
expect_mode /etc/ciba-desk/secrets "750 root:root"
rm -f "$admin_secret"
rmdir /etc/ciba-desk/secrets
if [ "$etc_was_there" = no ]; then rmdir /etc/ciba-desk || fail "/etc/ciba-desk holds more than the test put there"; fi
if getent passwd ciba-desk >/dev/null; then fail "the user ciba-desk is still there after purge"; fi
if getent group ciba-desk >/dev/null; then fail "the group ciba-desk is still there after purge"; fi
if grep -q ciba-desk <<<"$(dpkg-statoverride --list)"; then fail "dpkg-statoverride still lists ciba-desk paths after purge"; fi

say "passed in $((SECONDS - started)) s"
for deb in "${app_deb[0]}" "${server_deb[0]}"; do
  printf '%s\t%s bytes\n' "$deb" "$(stat -c %s "$deb")"
done
