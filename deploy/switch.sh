# Sourced by deploy/install.sh: what happens around the release switch.
#
# kiosk migrate runs before the switch and undoes itself when a step fails.
# What it cannot see is the new release failing AFTER the switch: the data
# is migrated, `current` points at the new release, and kiosk.service does
# not come up (a crash at start, no READY within TimeoutStartSec, or a
# restart loop). roll_back then puts the kiosk back as it was before the
# install: the stores from the copy `kiosk migrate` took (the migrated ones
# moved aside, not deleted, in /var/lib/kiosk/failed-upgrades/), the old
# unit file, `current` at the old release, and the old release started.
#
# Uses install.sh's variables and helpers (say, svc, put_link, DESTDIR, ...).

restart_old() {  # before the switch: the old release is still current, start it again
    if [ "$WAS_ACTIVE" = 1 ]; then
        say "starting the previous release again"
        svc start kiosk.service || true
    fi
}

report_migration() {  # report.json: one line per store, as `kiosk migrate` without --json
    "$KIOSK_PYTHON" - "$1" <<'PY'
import json, sys
report = json.load(open(sys.argv[1], encoding="utf-8"))
for s in report["stores"]:
    versions = "" if s["status"] == "absent" else f" (schema {s['version_before']} -> {s['version_after']})"
    print(f"kiosk install:   {s['name']}: {s['status']}{versions}")
if report.get("backup"):
    print(f"kiosk install:   copies taken before migrating: {report['backup']}")
PY
}

migration_backup() {  # report.json: the folder of this run's copies, or nothing when no store changed
    "$KIOSK_PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["backup"] or "")' "$1"
}

service_stays_up() {  # kiosk.service active, with no restart, for HEALTH_WAIT seconds
    local restarts waited=0
    # Reset by the start we just made: any count above it is a crash since.
    restarts=$(svc show -p NRestarts --value kiosk.service) || return 1
    while :; do
        svc is-active --quiet kiosk.service || return 1
        [ "$(svc show -p NRestarts --value kiosk.service)" = "$restarts" ] || return 1
        [ "$waited" -ge "$HEALTH_WAIT" ] && return 0
        sleep 1
        waited=$((waited + 1))
    done
}

restore_stores() {  # backup dir: put its copies back; what the new release left goes aside
    local backup=$1 state="$DESTDIR$STATE_DIR" aside copy name suffix
    aside="$state/failed-upgrades/$(date -u +%Y%m%dT%H%M%SZ)-$RELEASE"
    install -d -m 0700 "$state/failed-upgrades" "$aside"
    for copy in "$backup"/*; do
        name=$(basename "$copy")
        # The WAL goes with its database: left beside the restored copy it would be replayed onto it.
        for suffix in "" -wal -shm; do
            if [ -e "$state/$name$suffix" ]; then mv -f "$state/$name$suffix" "$aside/"; fi
        done
        cp "$copy" "$state/.$name.restore"
        chmod 0600 "$state/.$name.restore"
        if [ -z "$DESTDIR" ]; then chown "$KIOSK_USER:$KIOSK_USER" "$state/.$name.restore"; fi
        mv -f "$state/.$name.restore" "$state/$name"
        say "restored $STATE_DIR/$name from $copy"
    done
    # No record in the copy: there was none before this install, so none now.
    if [ ! -e "$backup/storage-format.json" ] && [ -e "$state/storage-format.json" ]; then
        mv -f "$state/storage-format.json" "$aside/"
    fi
    if [ -z "$DESTDIR" ]; then chown -R "$KIOSK_USER:$KIOSK_USER" "$state/failed-upgrades"; fi
    say "what the new release left in $STATE_DIR is kept in ${aside#"$DESTDIR"}"
}

roll_back() {  # after the switch: back to the release, unit and data from before this install
    set +e  # every step is tried: a stuck one must not stop the old release from starting
    printf 'kiosk install: ERROR: release %s did not come up; rolling back\n' "$RELEASE" >&2
    if systemd_running; then svc stop kiosk.service; fi
    if [ -z "$PREVIOUS" ] || [ "$PREVIOUS" = "releases/$RELEASE" ]; then
        printf 'kiosk install: ERROR: no earlier release to go back to; %s stays current\n' \
            "$RELEASE" >&2
        return
    fi
    if [ -n "$BACKUP" ] && [ -d "$BACKUP" ]; then restore_stores "$BACKUP"; fi
    local old_unit="$DESTDIR$PREFIX/$PREVIOUS/share/kiosk.service"
    if [ -f "$old_unit" ]; then install -m 0644 "$old_unit" "$DESTDIR$UNIT_DIR/kiosk.service"; fi
    put_link "$PREFIX/current" "$PREVIOUS"
    put_link "$PREFIX/venv" "current/venv"
    if systemd_running; then svc daemon-reload; fi
    if [ "$WAS_ACTIVE" = 1 ]; then
        say "starting the previous release ${PREVIOUS#releases/} again"
        svc start kiosk.service || printf 'kiosk install: ERROR: %s\n' \
            "the previous release did not start either: see journalctl -u kiosk" >&2
    fi
    if [ "$BUILT" = 1 ]; then rm -rf "$DESTDIR${REL_DIR:?}"; fi
    printf 'kiosk install: ERROR: the upgrade was rolled back: %s is current again\n' \
        "${PREVIOUS#releases/}" >&2
}
