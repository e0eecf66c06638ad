#!/usr/bin/env bash
# Remove the kiosk program and its systemd unit; keep its data unless PURGE=1.
#
# Run as root: `make uninstall` (or `make uninstall PURGE=1`), docs/deploying.md.
#
# Kept by default, because they are the justice house's, not the program's:
#   /var/lib/kiosk  submissions not yet delivered, receipt journal, audit log, keys
#   /etc/kiosk      the configuration and the portal's certificates
# A re-install picks both up again. PURGE=1 removes them and the kiosk user,
# but refuses while the queue still holds undelivered submissions (citizens
# were told "accepted") unless FORCE=1 as well.
#
# DESTDIR=DIR works as for install.sh: nothing outside DIR is touched.
set -euo pipefail

DESTDIR=${DESTDIR:-}
DESTDIR=${DESTDIR%/}
PURGE=${PURGE:-0}
FORCE=${FORCE:-0}
PREFIX=/opt/kiosk
CONF_DIR=/etc/kiosk
STATE_DIR=/var/lib/kiosk
UNIT_DIR=/etc/systemd/system
KIOSK_USER=kiosk
KIOSK_PYTHON=${KIOSK_PYTHON:-/usr/bin/python3}

say() { printf 'kiosk uninstall: %s\n' "$*"; }
die() { printf 'kiosk uninstall: ERROR: %s\n' "$*" >&2; exit 1; }

if [ -z "$DESTDIR" ] && [ "$(id -u)" != 0 ]; then
    die "run as root (sudo make uninstall), or set DESTDIR"
fi
systemd_running() { [ -z "$DESTDIR" ] && [ -d /run/systemd/system ]; }

undelivered() {  # how many submissions the outbox still has to send (0 without an outbox)
    local db="$DESTDIR$STATE_DIR/outbox.sqlite3"
    [ -f "$db" ] || { echo 0; return; }
    "$KIOSK_PYTHON" - "$db" <<'PY'
import sqlite3, sys
conn = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
print(conn.execute("SELECT count(*) FROM entries WHERE status IN ('pending', 'in_flight')").fetchone()[0])
PY
}

# Checked before anything is removed: a refused purge leaves the kiosk as it was.
if [ "$PURGE" = 1 ] && [ "$FORCE" != 1 ]; then
    waiting=$(undelivered)
    if [ "$waiting" != 0 ]; then
        die "$waiting submissions in $STATE_DIR have not reached the portal yet.
  Let the kiosk deliver them (kiosk queue status), or export them first
  (kiosk queue export), or purge anyway with PURGE=1 FORCE=1."
    fi
fi

if systemd_running; then
    systemctl disable --now --quiet kiosk.service 2>/dev/null || true
fi
rm -f "$DESTDIR$UNIT_DIR/graphical.target.wants/kiosk.service" "$DESTDIR$UNIT_DIR/kiosk.service"
rmdir "$DESTDIR$UNIT_DIR/graphical.target.wants" 2>/dev/null || true
if systemd_running; then
    systemctl daemon-reload
fi
say "removed kiosk.service (the default target stays graphical.target)"

if [ -e "$DESTDIR$PREFIX" ]; then
    rm -rf "$DESTDIR${PREFIX:?}"
    say "removed the program in $PREFIX"
fi

if [ "$PURGE" = 1 ]; then
    rm -rf "$DESTDIR${STATE_DIR:?}" "$DESTDIR${CONF_DIR:?}"
    say "purged the data in $STATE_DIR and the configuration in $CONF_DIR"
    if [ -z "$DESTDIR" ] && getent passwd "$KIOSK_USER" >/dev/null; then
        userdel "$KIOSK_USER"
        say "removed the user $KIOSK_USER (the device groups stay: other software uses them)"
    fi
else
    say "KEPT the kiosk's data in $STATE_DIR (queue, receipt journal, audit log, keys)"
    say "KEPT the configuration in $CONF_DIR"
    say "a new install picks both up again; to remove them: make uninstall PURGE=1"
fi
