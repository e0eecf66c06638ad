#!/usr/bin/env bash
# Turn a bare Debian 12 machine into a justice-house kiosk, or upgrade one.
#
# Run as root from the source tree: `make install` (docs/deploying.md).
#
# Layout it makes (every path below is under $DESTDIR when that is set):
#   /opt/kiosk/releases/<version>-<source hash>/venv   one self-contained release each
#   /opt/kiosk/current -> releases/<id>                 switched atomically (rename(2))
#   /opt/kiosk/venv    -> current/venv                  what kiosk.service runs
#   /etc/kiosk/kiosk.toml                               root:kiosk 0640, never overwritten
#   /var/lib/kiosk                                      kiosk:kiosk 0700: queue, journal, audit, keys
#   /etc/systemd/system/kiosk.service                   enabled for graphical.target
#
# Why releases and a symlink: a new release is built and checked beside the
# running one (venv, wheel, `kiosk migrate`, import smoke test); only then
# does `current` move, in one rename. If anything fails before that, the old
# release is still the one kiosk.service starts, unchanged. If the kiosk was
# running and the new release does not come up (kiosk.service must be
# active, without a restart, for HEALTH_WAIT seconds), the switch is undone
# (deploy/switch.sh): the data is put back from the copy `kiosk migrate`
# took, `current` points at the old release again and it is started.
#
# Why a wheel rather than a copy of the source: the release holds only what
# pip installed (no tests, no .git, nothing editable), so what runs is what
# was built, and it is byte-for-byte the same on every kiosk.
#
# Variables (environment or `make install VAR=...`):
#   DESTDIR=DIR     install into DIR: no apt, no useradd, no chown, no systemctl
#                   (unless SYSTEMCTL is given); intended owners go to
#                   /opt/kiosk/install-manifest.tsv.
#                   For tests and image staging: the venv's scripts name DIR's path.
#   HEALTH_WAIT     seconds a restarted kiosk.service must stay active, without a
#                   restart, before an upgrade counts as done (default 30)
#   SYSTEMCTL=PATH  the systemctl to call, even with DESTDIR (the tests give a stand-in)
#   KIOSK_PYTHON    interpreter for the venv (default /usr/bin/python3: the kiosk
#                   user must be able to run it, so never a pyenv under /root)
#   KEEP_RELEASES   releases kept in /opt/kiosk/releases (default 3, at least 2)
#   SKIP_APT=1      do not install Debian packages (they are already there)
# pip's own variables apply: PIP_INDEX_URL, or PIP_NO_INDEX=1 with
# PIP_FIND_LINKS=/path/to/wheelhouse for a site without internet.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DESTDIR=${DESTDIR:-}
DESTDIR=${DESTDIR%/}
PREFIX=/opt/kiosk
CONF_DIR=/etc/kiosk
STATE_DIR=/var/lib/kiosk
UNIT_DIR=/etc/systemd/system
KIOSK_USER=kiosk
KIOSK_GROUPS=(video render input lp dialout plugdev)
KIOSK_PYTHON=${KIOSK_PYTHON:-/usr/bin/python3}
KEEP_RELEASES=${KEEP_RELEASES:-3}
HEALTH_WAIT=${HEALTH_WAIT:-30}
SYSTEMCTL=${SYSTEMCTL:-}
APT_RUNTIME=(cage xwayland fonts-dejavu-core fonts-noto-core pcscd libpcsclite1 python3-venv
             libgl1 libegl1 libgl1-mesa-dri libmtdev1)
# pyscard (the card reader) has no Linux wheel on PyPI, so pip compiles it:
# swig writes the wrapper, gcc builds it against Python's and pcsc-lite's
# headers. libc6-dev is named because --no-install-recommends leaves gcc
# without it. With a wheelhouse that holds a built pyscard they go unused.
APT_BUILD=(gcc libc6-dev python3-dev swig libpcsclite-dev)
FORBIDDEN_PACKAGE=vsmartcard-vpcd

say() { printf 'kiosk install: %s\n' "$*"; }
die() { printf 'kiosk install: ERROR: %s\n' "$*" >&2; exit 1; }

[ "$KEEP_RELEASES" -ge 2 ] 2>/dev/null || die "KEEP_RELEASES must be 2 or more (current and previous)"
[ "$HEALTH_WAIT" -ge 0 ] 2>/dev/null || die "HEALTH_WAIT must be a number of seconds"
if [ -z "$DESTDIR" ] && [ "$(id -u)" != 0 ]; then
    die "run as root (sudo make install), or set DESTDIR to install into a folder"
fi
umask 022  # the kiosk user must read the release; storage and config get their own modes

systemd_running() { [ -n "$SYSTEMCTL" ] || { [ -z "$DESTDIR" ] && [ -d /run/systemd/system ]; }; }
svc() { "${SYSTEMCTL:-systemctl}" "$@"; }

# --------------------------------------------------------------- manifest
# Every path we own, with the owner and mode it must have. Applied with
# chown/chmod on a real install; in DESTDIR mode it is the record the tests
# check (no chown without root), and on a real kiosk it is what uninstall reads.
MANIFEST_ROWS=()
record() {  # path type mode owner group
    MANIFEST_ROWS+=("$1	$2	$3	$4	$5")
}
own() {  # path mode owner group: set mode (always) and owner (real installs)
    chmod "$2" "$DESTDIR$1"
    if [ -z "$DESTDIR" ]; then chown -h "$3:$4" "$DESTDIR$1"; fi
}
put_dir() {  # path mode owner group
    install -d "$DESTDIR$1"
    own "$@"
    record "$1" dir "$2" "$3" "$4"
}
put_link() {  # path target: atomic replace via rename, so no moment without the link
    local tmp
    tmp="$(dirname "$DESTDIR$1")/.$(basename "$1").new.$$"
    ln -sfn "$2" "$tmp"
    mv -Tf "$tmp" "$DESTDIR$1"
    record "$1" link "$2" root root
}

# ---------------------------------------------------- forbidden software
if dpkg-query -W -f='${Status}' "$FORBIDDEN_PACKAGE" 2>/dev/null | grep -q 'install ok installed'; then
    if [ -z "$DESTDIR" ]; then
        die "$FORBIDDEN_PACKAGE is installed: it is a virtual card reader that listens on every
  network interface, so anyone on the network could 'insert' a card. Remove it first:
      apt-get purge $FORBIDDEN_PACKAGE
  then run make install again."
    fi
    say "WARNING: $FORBIDDEN_PACKAGE is installed on this (build) machine; a kiosk must never have it"
fi

# After the vpcd check: a kiosk with it is refused whatever else is missing.
[ -x "$KIOSK_PYTHON" ] || die "$KIOSK_PYTHON not found: apt-get install python3 python3-venv"

# --------------------------------------------------------- Debian packages
if [ -z "$DESTDIR" ] && [ "${SKIP_APT:-0}" != 1 ]; then
    missing=()
    for p in "${APT_RUNTIME[@]}" "${APT_BUILD[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        say "installing Debian packages: ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    fi
fi

# ----------------------------------------------------- user and groups
if [ -z "$DESTDIR" ]; then
    present=()
    for g in "${KIOSK_GROUPS[@]}"; do
        if ! getent group "$g" >/dev/null; then
            # render exists only once a DRM driver's udev rules ran, plugdev only
            # on some images: made here so kiosk.service's SupplementaryGroups resolve.
            say "creating the missing system group $g"
            groupadd --system "$g"
        fi
        present+=("$g")
    done
    if ! getent passwd "$KIOSK_USER" >/dev/null; then
        say "creating the system user $KIOSK_USER (no login shell, home $STATE_DIR)"
        useradd --system --user-group --home-dir "$STATE_DIR" --no-create-home \
            --shell /usr/sbin/nologin --comment "Justice-house kiosk" "$KIOSK_USER"
    fi
    usermod --append --groups "$(IFS=,; echo "${present[*]}")" "$KIOSK_USER"
fi

# ------------------------------------------------------------ release
VERSION=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$SRC/kiosk/__init__.py")
[ -n "$VERSION" ] || die "cannot read __version__ from $SRC/kiosk/__init__.py"
# Same sources, same release id: a re-run reuses the release it built;
# any change to what goes into the wheel makes a new one.
SOURCES=(pyproject.toml README.md LICENSE kiosk screens devices offline_queue)
HASH=$(cd "$SRC" && find "${SOURCES[@]}" -type f ! -name '*.pyc' ! -name '*.mo' \
        ! -path '*/__pycache__/*' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-10)
RELEASE="$VERSION-$HASH"
REL_DIR="$PREFIX/releases/$RELEASE"

put_dir "$PREFIX" 0755 root root
put_dir "$PREFIX/releases" 0755 root root

WORK=""
PARTIAL=""
BUILT=0
SWITCHED=0
MIGRATE_REPORT=$(mktemp)
# shellcheck source=deploy/switch.sh
. "$SRC/deploy/switch.sh"
finish() {
    local status=$?
    # Any failure once `current` has moved (a command under set -e, a die)
    # goes back to the release that was running: a half-done upgrade is
    # never what the kiosk is left on.
    if [ "$SWITCHED" = 1 ]; then
        SWITCHED=0
        roll_back
        status=1
    fi
    if [ -n "$PARTIAL" ] && [ -e "$PARTIAL" ]; then rm -rf "$PARTIAL"; fi
    if [ -n "$WORK" ]; then rm -rf "$WORK"; fi
    rm -f "$MIGRATE_REPORT"
    exit "$status"
}
trap finish EXIT

smoke_test() {  # venv dir: the release starts, and every part of it imports
    local venv=$1 kivy_home
    kivy_home=$(mktemp -d)
    "$venv/bin/kiosk" --version >/dev/null
    # Kivy logs its start-up on stderr: kept out of the way unless the test fails.
    if ! KIVY_HOME="$kivy_home" KIVY_NO_ARGS=1 KIVY_NO_CONSOLELOG=1 "$venv/bin/python" - \
            >"$kivy_home/smoke.log" 2>&1 <<'PY'
# Everything `kiosk run` loads before it opens the window (the window itself
# needs a display; Kivy's import does not).
import kiosk.cli, kiosk.launch, kiosk.wiring, kiosk.doctor, kiosk.migrations  # noqa: F401
import offline_queue.outbox, offline_queue.forwarder, devices.printer  # noqa: F401
import smartcard.System, kivy, kivy.lang  # noqa: F401
kiosk.cli.build_parser()
PY
    then
        cat "$kivy_home/smoke.log" >&2
        rm -rf "$kivy_home"
        die "the new release does not import (smoke test above); nothing was switched"
    fi
    rm -rf "$kivy_home"
}

if [ -f "$DESTDIR$REL_DIR/.complete" ]; then
    say "release $RELEASE is already built; reusing it"
else
    say "building release $RELEASE in $REL_DIR"
    WORK=$(mktemp -d)
    # Built at its final path (a venv's scripts name their own path, so it
    # cannot be renamed into place afterwards). Until .complete is written it
    # is a partial release: `current` never points at one, a failure removes
    # it, and a re-run builds it again from scratch.
    if [ "$(readlink -f "$DESTDIR$PREFIX/current" 2>/dev/null || true)" = "$(readlink -f "$DESTDIR$REL_DIR")" ]; then
        die "$REL_DIR is the running release but is not marked complete; not touching it"
    fi
    PARTIAL="$DESTDIR$REL_DIR"
    BUILT=1
    rm -rf "$PARTIAL"
    mkdir "$PARTIAL"
    # A copy of just what goes into the wheel: building in the source tree
    # would write build/ and *.egg-info into it (and it may be read-only).
    mkdir "$WORK/src"
    (cd "$SRC" && tar --exclude=__pycache__ --exclude='*.pyc' --exclude='*.mo' -cf - "${SOURCES[@]}") |
        tar -xf - -C "$WORK/src"
    "$KIOSK_PYTHON" -m venv "$PARTIAL/venv"
    "$PARTIAL/venv/bin/python" -m pip wheel -q --disable-pip-version-check --no-deps \
        -w "$WORK/dist" "$WORK/src"
    install -d "$PARTIAL/dist"
    cp "$WORK"/dist/*.whl "$PARTIAL/dist/"
    "$PARTIAL/venv/bin/python" -m pip install -q --disable-pip-version-check "$PARTIAL"/dist/*.whl
    # The translations' .mo files: written now, because at run time the
    # release is read-only to the kiosk user (ProtectSystem=strict).
    "$PARTIAL/venv/bin/python" -m kiosk.i18n compile >/dev/null
    install -d "$PARTIAL/share"
    install -m 0644 "$SRC/kiosk.example.toml" "$SRC/README.md" "$SRC/kiosk.service" "$PARTIAL/share/"
    if [ -f "$SRC/docs/deploying.md" ]; then install -m 0644 "$SRC/docs/deploying.md" "$PARTIAL/share/"; fi
    install -d "$PARTIAL/deploy"
    install -m 0755 "$SRC/deploy/uninstall.sh" "$PARTIAL/deploy/"
    smoke_test "$PARTIAL/venv"
    touch "$PARTIAL/.complete"
    PARTIAL=""  # complete: from here on a failure must not remove it
fi
record "$REL_DIR" release 0755 root root

# ------------------------------------------------------ configuration
put_dir "$CONF_DIR" 0750 root "$KIOSK_USER"
if [ -e "$DESTDIR$CONF_DIR/kiosk.toml" ]; then
    say "keeping the existing configuration $CONF_DIR/kiosk.toml"
else
    say "writing $CONF_DIR/kiosk.toml from kiosk.example.toml: edit it (docs/deploying.md)"
    install -m 0640 "$SRC/kiosk.example.toml" "$DESTDIR$CONF_DIR/kiosk.toml"
fi
# Mode and owner are re-asserted on every run, the content never.
own "$CONF_DIR/kiosk.toml" 0640 root "$KIOSK_USER"
record "$CONF_DIR/kiosk.toml" config 0640 root "$KIOSK_USER"

# ------------------------------------------------------------ storage
put_dir "$STATE_DIR" 0700 "$KIOSK_USER" "$KIOSK_USER"

# kiosk.service runs /opt/kiosk/venv/bin/kiosk: it will follow `current`.
# Checked before the data is touched: nothing to undo then.
if [ -e "$DESTDIR$PREFIX/venv" ] && [ ! -L "$DESTDIR$PREFIX/venv" ]; then
    die "$PREFIX/venv is a directory, not the link this installer makes; move it aside"
fi

# ------------------------------------------ migrate, then switch release
WAS_ACTIVE=0
if systemd_running && svc is-active --quiet kiosk.service; then
    WAS_ACTIVE=1
    say "stopping kiosk.service to migrate its data"
    svc stop kiosk.service
fi
# --json: the path of the copy it takes is what a rollback after the switch restores.
MIGRATE=("$DESTDIR$REL_DIR/venv/bin/kiosk" migrate --json)
if [ -n "$DESTDIR" ]; then
    MIGRATE+=(--storage-dir "$DESTDIR$STATE_DIR")
else
    MIGRATE=(runuser -u "$KIOSK_USER" -- "${MIGRATE[@]}" --config "$CONF_DIR/kiosk.toml")
fi
say "migrating the stored data with the new release"
# From /: the kiosk user may not be allowed into the directory we were started in.
if ! (cd / && "${MIGRATE[@]}") >"$MIGRATE_REPORT"; then
    # kiosk migrate restored every store it touched; the old release runs on them.
    restart_old
    # Only a release built by this run goes: an older kept one stays for going back.
    if [ "$BUILT" = 1 ]; then rm -rf "$DESTDIR$REL_DIR"; fi
    die "kiosk migrate failed: the previous release stays in place (see the messages above)"
fi

report_migration "$MIGRATE_REPORT"
BACKUP=$(migration_backup "$MIGRATE_REPORT")

# ------------------------------------------------------- unit and switch
# The unit goes in with the switch, not before: a failed build or migration
# leaves the old release with the unit it was installed with.
put_dir "$UNIT_DIR" 0755 root root
PREVIOUS=$(readlink "$DESTDIR$PREFIX/current" 2>/dev/null || true)
SWITCHED=1
install -m 0644 "$SRC/kiosk.service" "$DESTDIR$UNIT_DIR/kiosk.service"
record "$UNIT_DIR/kiosk.service" file 0644 root root
put_link "$PREFIX/current" "releases/$RELEASE"
put_link "$PREFIX/venv" "current/venv"
put_link "$PREFIX/README.md" "current/share/README.md"
if [ "$PREVIOUS" != "releases/$RELEASE" ]; then
    say "release $RELEASE is now current${PREVIOUS:+ (was ${PREVIOUS#releases/})}"
fi

# ------------------------------------------------------------- enable
WANTS="$UNIT_DIR/graphical.target.wants"
if systemd_running; then
    svc daemon-reload
    svc enable --quiet kiosk.service
    svc set-default --quiet graphical.target
else
    # What `systemctl enable` and `set-default` would write: with DESTDIR, or
    # in a chroot building an image, there is no systemd to ask.
    put_dir "$WANTS" 0755 root root
    put_link "$WANTS/kiosk.service" "$UNIT_DIR/kiosk.service"
    put_link "$UNIT_DIR/default.target" /lib/systemd/system/graphical.target
fi

if [ "$WAS_ACTIVE" = 1 ]; then
    say "starting kiosk.service on release $RELEASE"
    if ! svc start kiosk.service; then
        die "kiosk.service did not start on release $RELEASE"
    fi
    service_stays_up || die "kiosk.service did not stay up on release $RELEASE"
    say "kiosk.service is up on release $RELEASE"
elif systemd_running; then
    say "kiosk.service is enabled; after editing $CONF_DIR/kiosk.toml: systemctl start kiosk (or reboot)"
fi

SWITCHED=0  # the new release is in service: from here on a failure must not undo it

# ------------------------------------------------------- old releases
# Newest first by build time; the current and the previous one are always kept.
mapfile -t RELEASES < <(cd "$DESTDIR$PREFIX/releases" && ls -1t)
kept=0
for r in "${RELEASES[@]}"; do
    if [ "releases/$r" = "releases/$RELEASE" ] || [ "releases/$r" = "$PREVIOUS" ]; then
        kept=$((kept + 1)); continue
    fi
    if [ "$kept" -lt "$KEEP_RELEASES" ] && [ -f "$DESTDIR$PREFIX/releases/$r/.complete" ]; then
        kept=$((kept + 1)); continue
    fi
    say "removing old release $r"
    rm -rf "$DESTDIR$PREFIX/releases/${r:?}"
done

# ------------------------------------------------------------ manifest
{
    printf '# Written by deploy/install.sh; read by deploy/uninstall.sh and the tests.\n'
    printf '# release\t%s\n' "$RELEASE"
    printf '# user\t%s\thome=%s\tshell=/usr/sbin/nologin\tgroups=%s\n' \
        "$KIOSK_USER" "$STATE_DIR" "$(IFS=,; echo "${KIOSK_GROUPS[*]}")"
    printf '# packages\t%s\n' "${APT_RUNTIME[*]}"
    printf '# build-packages\t%s\n' "${APT_BUILD[*]}"
    printf '# path\ttype\tmode\towner\tgroup\n'
    printf '%s\n' "${MANIFEST_ROWS[@]}"
} > "$DESTDIR$PREFIX/install-manifest.tsv.new"
chmod 0644 "$DESTDIR$PREFIX/install-manifest.tsv.new"
mv -f "$DESTDIR$PREFIX/install-manifest.tsv.new" "$DESTDIR$PREFIX/install-manifest.tsv"

say "done. Configuration: $CONF_DIR/kiosk.toml; data: $STATE_DIR; check with: $PREFIX/venv/bin/kiosk doctor"
