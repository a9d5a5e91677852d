#!/usr/bin/env bash
# Builds the two Debian packages into target/packages/:
#   ciba-desk_VERSION_ARCH.deb         the desktop app and the command line (Tauri's bundler)
#   ciba-desk-server_VERSION_ARCH.deb  the server, its systemd unit and example configuration
# Needs a tree where scripts/setup.sh has run (Rust, Node, the UI's npm packages, dpkg-dev).
# Idempotent: cargo rebuilds only what changed, and the UI and each .deb are made again only
# when something they are made from is newer. Prints each .deb's path and size on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

OUT=target/packages
RELEASE=target/release

# The app's .deb must stay small enough to hand around: the release profile strips symbols
# (Cargo.toml) and the package is compressed with xz (below) to keep it there.
APP_DEB_LIMIT=10000000

for tool in cargo node npm dpkg-deb dpkg-shlibdeps; do
  command -v "$tool" >/dev/null || die "$tool is missing; run scripts/setup.sh first"
done
# scripts/setup.sh installs the UI's npm packages only into a tree that has none; the Tauri CLI
# (a devDependency pinned in ui/package.json) may be new to an older tree.
if [ ! -x ui/node_modules/.bin/tauri ]; then
  say "installing the UI's npm packages (the Tauri CLI is missing)"
  (cd ui && npm install --no-audit --no-fund --loglevel=error)
fi

# One version for both packages: the workspace's, which the server and the command line report
# with --version. Tauri takes the app's from tauri.conf.json, so the two must agree.
version=$(cargo metadata --no-deps --format-version 1 --locked |
  node -e 'const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
    process.stdout.write(m.packages.find((p) => p.name === "ciba-desk-server").version)')
conf_version=$(node -e 'process.stdout.write(require("./tauri.conf.json").version)')
[ "$version" = "$conf_version" ] ||
  die "tauri.conf.json says version $conf_version but Cargo.toml's workspace says $version; make them the same"
arch=$(dpkg --print-architecture)
app_deb="$OUT/ciba-desk_${version}_${arch}.deb"
server_deb="$OUT/ciba-desk-server_${version}_${arch}.deb"
mkdir -p "$OUT"
# Packages of another version or architecture would make "the" package ambiguous.
find "$OUT" -maxdepth 1 -name '*.deb' ! -path "$app_deb" ! -path "$server_deb" -delete

# up_to_date OUTPUT INPUT...: OUTPUT exists and no INPUT (a file, or any file below a directory)
# is newer than it.
up_to_date() {
  local out=$1
  shift
  [ -e "$out" ] || return 1
  [ -z "$(find "$@" -newer "$out" -print -quit 2>/dev/null)" ]
}

# ---------------------------------------------------------------- builds

ui_inputs=(ui/src ui/index.html ui/package.json ui/package-lock.json ui/vite.config.ts ui/tsconfig.json ui/scripts)
if up_to_date ui/dist/index.html "${ui_inputs[@]}"; then
  say "UI: ui/dist is up to date"
else
  say "UI: build"
  npm --prefix ui run --silent build
fi

# Exactly the test suite's command (scripts/test.sh), so either run reuses the other's build.
say "desktop app: release build"
cargo build --release --locked --features custom-protocol --bin ciba-desk-app
say "command line: release build"
cargo build --release --locked -p ciba-desk-cli --bin ciba-desk
say "server: release build"
cargo build --release --locked -p ciba-desk-server

# ---------------------------------------------------------------- the desktop app

app_inputs=("$RELEASE/ciba-desk-app" "$RELEASE/ciba-desk" tauri.conf.json src-tauri/deb icons scripts/package.sh)
if up_to_date "$app_deb" "${app_inputs[@]}"; then
  say "desktop app: $app_deb is up to date"
else
  say "desktop app: bundle the .deb (tauri bundle)"
  # `tauri bundle` packages the binaries built above without building again. It writes the
  # main binary back in place after packaging (it may patch in a mark for Tauri's updater,
  # which the app does not use: --no-binary-patching), which fails while the test suite runs
  # target/release/ciba-desk-app and would change the file under it. So it gets a copy: with
  # --target it takes the binary from target/<host triple>/release, where nothing else runs.
  host=$(rustc -vV | sed -n 's/^host: //p')
  stage="target/$host/release"
  mkdir -p "$stage"
  rm -rf "$stage/bundle/deb"
  cp "$RELEASE/ciba-desk-app" "$stage/ciba-desk-app.tmp"
  mv "$stage/ciba-desk-app.tmp" "$stage/ciba-desk-app"
  ui/node_modules/.bin/tauri bundle --ci --bundles deb --target "$host" --features custom-protocol --no-binary-patching
  built=("$stage"/bundle/deb/*_"${version}"_"${arch}".deb)
  [ -f "${built[0]}" ] || die "tauri bundle made no .deb in $stage/bundle/deb"
  # The same files, compressed again: Tauri's bundler uses gzip, which stores the app and the
  # command line whole (about 17 MB). They are built from mostly the same crates, and xz at
  # level 9 (a 64 MiB window) stores what they share once: about half the size.
  repack="$OUT/.app"
  rm -rf "$repack"
  dpkg-deb --raw-extract "${built[0]}" "$repack"
  # Tauri names the desktop entry after the product ("CIBA Desk.desktop"). A desktop file ID
  # with a space breaks xdg-mime, so it is ciba-desk.desktop, the name the README's
  # screen-pop section gives to `xdg-mime default`.
  apps="$repack/usr/share/applications"
  entries=("$apps"/*.desktop)
  if [ ${#entries[@]} -ne 1 ] || [ ! -f "${entries[0]}" ]; then die "expected one desktop entry from tauri bundle, found: ${entries[*]}"; fi
  if [ "${entries[0]}" != "$apps/ciba-desk.desktop" ]; then mv "${entries[0]}" "$apps/ciba-desk.desktop"; fi
  (cd "$repack" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) >"$repack/DEBIAN/md5sums"
  dpkg-deb --build --root-owner-group -Zxz -z9 "$repack" "$app_deb.tmp" >/dev/null
  rm -rf "$repack"
  mv "$app_deb.tmp" "$app_deb"
fi

# ---------------------------------------------------------------- the server

server_inputs=("$RELEASE/ciba-desk-server" crates/server/deploy scripts/package.sh)
if up_to_date "$server_deb" "${server_inputs[@]}"; then
  say "server: $server_deb is up to date"
else
  say "server: build the .deb (dpkg-deb)"
  work="$OUT/.server"
  rm -rf "$work"
  # debian/<package>/ is where dpkg-shlibdeps expects an installed tree.
  root="$work/debian/ciba-desk-server"
  install -d -m 0755 "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/ciba-desk" \
    "$root/usr/share/doc/ciba-desk-server"
  # Owners and the modes that need the ciba-desk group come from postinst (dpkg-statoverride):
  # the group does not exist when the package is unpacked.
  install -d -m 0750 "$root/etc/ciba-desk/secrets" "$root/var/lib/ciba-desk"
  install -m 0755 "$RELEASE/ciba-desk-server" "$root/usr/bin/ciba-desk-server"
  install -m 0640 crates/server/deploy/server.toml "$root/etc/ciba-desk/server.toml"
  # The unit's first line names where it lives; packaged, that is /lib/systemd/system.
  sed '1s|^# .*/ciba-desk-server\.service$|# /lib/systemd/system/ciba-desk-server.service|' \
    crates/server/deploy/ciba-desk-server.service >"$root/lib/systemd/system/ciba-desk-server.service"
  chmod 0644 "$root/lib/systemd/system/ciba-desk-server.service"
  [ "$(head -n1 "$root/lib/systemd/system/ciba-desk-server.service")" = "# /lib/systemd/system/ciba-desk-server.service" ] ||
    die "crates/server/deploy/ciba-desk-server.service no longer starts with a comment naming the unit file"
  echo "CIBA Desk is distributed under the MIT license." >"$root/usr/share/doc/ciba-desk-server/copyright"
  chmod 0644 "$root/usr/share/doc/ciba-desk-server/copyright"
  echo /etc/ciba-desk/server.toml >"$root/DEBIAN/conffiles"

  # The libraries the binary links (libc and libgcc_s today; no OpenSSL: TLS is rustls).
  mkdir -p "$work/debian"
  printf 'Source: ciba-desk-server\n\nPackage: ciba-desk-server\nArchitecture: any\n' >"$work/debian/control"
  shlibs=$(cd "$work" && dpkg-shlibdeps -O debian/ciba-desk-server/usr/bin/ciba-desk-server)
  shlibs=${shlibs#shlibs:Depends=}
  [ -n "$shlibs" ] || die "dpkg-shlibdeps found no libraries for ciba-desk-server"

  cat >"$root/DEBIAN/control" <<EOF
Package: ciba-desk-server
Version: $version
Architecture: $arch
Maintainer: CIBA Desk
Section: net
Priority: optional
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: adduser, $shlibs
Description: CIBA Desk server: caller verification for an organisation
 Keeps one organisation's identity provider credentials, profiles and audit
 trail in one place. Agents sign in with the organisation's OpenID provider
 and verify callers through its HTTP API (OpenID Connect CIBA).
 .
 Installed stopped: edit /etc/ciba-desk/server.toml, run
 ciba-desk-server migrate, then systemctl enable --now ciba-desk-server.
EOF

  cat >"$root/DEBIAN/postinst" <<'EOF'
#!/bin/sh
# ciba-desk-server: the system user, the modes of its files, the systemd unit (never started here:
# the example configuration names example hosts).
set -e

if [ "$1" = configure ]; then
    if ! getent passwd ciba-desk >/dev/null; then
        if getent group ciba-desk >/dev/null; then
            adduser --system --quiet --ingroup ciba-desk --home /var/lib/ciba-desk --no-create-home \
                --shell /usr/sbin/nologin ciba-desk
        else
            adduser --system --quiet --group --home /var/lib/ciba-desk --no-create-home \
                --shell /usr/sbin/nologin ciba-desk
        fi
    fi
    # Through dpkg-statoverride, so dpkg keeps these owners and modes on every upgrade and an
    # administrator's own override wins.
    override() {
        if ! dpkg-statoverride --list "$4" >/dev/null 2>&1; then
            dpkg-statoverride --update --add "$1" "$2" "$3" "$4"
        fi
    }
    override root ciba-desk 0640 /etc/ciba-desk/server.toml
    override root ciba-desk 0750 /etc/ciba-desk/secrets
    override ciba-desk ciba-desk 0750 /var/lib/ciba-desk

    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload
        if [ -z "$2" ]; then
            systemctl enable ciba-desk-server.service >/dev/null 2>&1 || true
            echo "ciba-desk-server: enabled, not started; edit /etc/ciba-desk/server.toml, run ciba-desk-server migrate, then systemctl start ciba-desk-server"
        else
            # An upgrade: a server that was running runs the new version.
            systemctl try-restart ciba-desk-server.service || true
        fi
    fi
fi
exit 0
EOF

  cat >"$root/DEBIAN/prerm" <<'EOF'
#!/bin/sh
# ciba-desk-server: stopped before its files go (an upgrade restarts it in postinst instead).
set -e

case "$1" in
    remove|deconfigure)
        if [ -d /run/systemd/system ] && systemctl is-active --quiet ciba-desk-server.service; then
            systemctl stop ciba-desk-server.service
        fi
        ;;
esac
exit 0
EOF

  cat >"$root/DEBIAN/postrm" <<'EOF'
#!/bin/sh
# ciba-desk-server: on purge, its data, its configuration and its user go too. Files an
# administrator added (secrets, the audit key) are theirs: they stay, handed to root.
set -e

case "$1" in
    purge)
        for path in /etc/ciba-desk/server.toml /etc/ciba-desk/secrets /var/lib/ciba-desk; do
            if dpkg-statoverride --list "$path" >/dev/null 2>&1; then
                dpkg-statoverride --remove "$path"
            fi
        done
        rm -rf /var/lib/ciba-desk
        rm -f /etc/ciba-desk/server.toml /etc/ciba-desk/server.toml.dpkg-*
        rmdir /etc/ciba-desk/secrets 2>/dev/null || true
        rm -f /etc/systemd/system/multi-user.target.wants/ciba-desk-server.service
        # What stays is root's from now on: an account made later with the same uid or gid
        # must not inherit the secrets.
        if [ -d /etc/ciba-desk ]; then
            find /etc/ciba-desk \( -user ciba-desk -o -group ciba-desk \) -exec chown root:root {} + 2>/dev/null || true
        fi
        # userdel and groupdel (passwd) are on every system; adduser may be gone already.
        if getent passwd ciba-desk >/dev/null; then
            userdel ciba-desk || true
        fi
        if getent group ciba-desk >/dev/null; then
            groupdel ciba-desk || true
        fi
        ;;
esac
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload || true
fi
exit 0
EOF
  chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"

  dpkg-deb --build --root-owner-group -Zxz "$root" "$server_deb.tmp" >/dev/null
  mv "$server_deb.tmp" "$server_deb"
  rm -rf "$work"
fi

# ---------------------------------------------------------------- report

for deb in "$app_deb" "$server_deb"; do
  size=$(stat -c %s "$deb")
  printf '%s\t%s bytes (%s MB)\n' "$deb" "$size" "$(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1000000 }')"
done
app_size=$(stat -c %s "$app_deb")
if [ "$app_size" -gt "$APP_DEB_LIMIT" ]; then
  printf 'warning: %s is %s bytes, more than the %s-byte budget\n' "$app_deb" "$app_size" "$APP_DEB_LIMIT" >&2
fi
