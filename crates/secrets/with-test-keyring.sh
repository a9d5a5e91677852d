#!/bin/sh
# Run a command inside a throwaway D-Bus session with a fresh, unlocked GNOME Keyring
# (Secret Service), with CIBA_DESK_REAL_KEYRING=1 so the real keyring tests run:
#
#   crates/secrets/with-test-keyring.sh cargo test -p secrets
#
# Needs the Debian package gnome-keyring (it brings dbus-daemon, dbus-run-session and
# dbus-send). Works headless and as root: DISPLAY is unset so no unlock prompt can
# appear, and the keyring's files live in temporary directories removed afterwards.
# Exits with the command's status.
set -eu

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARG...]" >&2
    exit 2
fi
for tool in dbus-run-session dbus-send gnome-keyring-daemon; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "$0: $tool not found; install the Debian package gnome-keyring" >&2
        exit 127
    fi
done

scratch=$(mktemp -d "${TMPDIR:-/tmp}/ciba-desk-keyring.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT TERM
mkdir -p "$scratch/data" "$scratch/runtime"
chmod 700 "$scratch/runtime"

export XDG_DATA_HOME="$scratch/data" XDG_RUNTIME_DIR="$scratch/runtime"
export CIBA_DESK_REAL_KEYRING=1
unset DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS

# Inside the session: start and unlock the keyring (password "pw"), wait until it
# owns org.freedesktop.secrets (it registers a moment after --unlock returns), run
# the command, then stop the daemon so it does not outlive the session.
# No exec here: the EXIT trap must run to remove the scratch directories.
dbus-run-session -- sh -c '
    bus() {
        dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus \
            /org/freedesktop/DBus "org.freedesktop.DBus.$1" "string:$2" 2>/dev/null
    }
    printf %s pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    tries=0
    until bus NameHasOwner org.freedesktop.secrets | grep -q true; do
        tries=$((tries + 1))
        if [ "$tries" -gt 100 ]; then
            echo "with-test-keyring.sh: gnome-keyring did not start the Secret Service" >&2
            exit 1
        fi
        sleep 0.1
    done
    daemon=$(bus GetConnectionUnixProcessID org.freedesktop.secrets | awk "{print \$2}")
    status=0
    "$@" || status=$?
    [ -n "$daemon" ] && kill "$daemon" 2>/dev/null
    exit "$status"
' sh "$@"
