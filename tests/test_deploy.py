"""`make install` / `make uninstall` into a DESTDIR, checked file by file.

The install is real: a venv built from the project's wheel with its
dependencies (from a local wheelhouse), `kiosk migrate` and the import smoke
test run by the installer. Only what needs root on a real machine (apt,
useradd, chown, systemctl) is replaced by the manifest of intended owners.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy_support import (
    INSTALL,
    REPO,
    copy_install,
    current_release,
    install_env,
    manifest,
    release_shared_installs,
    run_install,
    run_uninstall,
    shared_dir,
    shared_install,
    wheelhouse,
)

pytestmark = pytest.mark.slow

KIOSK_GROUPS = {"video", "render", "input", "lp", "dialout", "plugdev"}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(destdir, source tree, wheelhouse): one real install shared by every test (copied to change)."""
    dest = shared_install(tmp_path_factory, "current")
    return dest, shared_dir(tmp_path_factory) / "kiosk-src-current", wheelhouse(tmp_path_factory)


@pytest.fixture(scope="session", autouse=True)
def _shared_installs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    yield
    release_shared_installs(tmp_path_factory)


def mode(path: Path) -> str:
    return f"{path.lstat().st_mode & 0o7777:04o}"


def test_every_path_has_the_mode_and_owner_the_manifest_records(installed) -> None:
    dest, _, _ = installed
    header, rows = manifest(dest)
    expected = {
        "/opt/kiosk": ("dir", "0755", "root", "root"),
        "/etc/kiosk": ("dir", "0750", "root", "kiosk"),
        "/etc/kiosk/kiosk.toml": ("config", "0640", "root", "kiosk"),
        "/var/lib/kiosk": ("dir", "0700", "kiosk", "kiosk"),
        "/etc/systemd/system/kiosk.service": ("file", "0644", "root", "root"),
        "/opt/kiosk/current": ("link", f"releases/{current_release(dest)}", "root", "root"),
        "/opt/kiosk/venv": ("link", "current/venv", "root", "root"),
        "/etc/systemd/system/graphical.target.wants/kiosk.service":
            ("link", "/etc/systemd/system/kiosk.service", "root", "root"),
        "/etc/systemd/system/default.target":
            ("link", "/lib/systemd/system/graphical.target", "root", "root"),
    }
    for path, row in expected.items():
        assert rows.get(path) == row, path
    for path, (kind, recorded, _owner, _group) in rows.items():
        on_disk = dest / path.lstrip("/")
        if kind == "link":
            assert on_disk.is_symlink() and str(on_disk.readlink()) == recorded, path
        else:
            assert not on_disk.is_symlink() and mode(on_disk) == recorded, path
    user = header["user"].split("\t")
    assert user[0] == "kiosk" and "home=/var/lib/kiosk" in user and "shell=/usr/sbin/nologin" in user
    assert set(user[3].removeprefix("groups=").split(",")) == KIOSK_GROUPS
    packages = header["packages"].split()
    assert {"cage", "fonts-dejavu-core", "fonts-noto-core", "pcscd"} <= set(packages)
    # pyscard 2.3.1 has no Linux wheel on PyPI: a bare Debian 12 compiles it,
    # and --no-install-recommends would leave gcc without the C library headers.
    build = header["build-packages"].split()
    assert {"swig", "libpcsclite-dev", "gcc", "libc6-dev", "python3-dev"} <= set(build)
    assert "vsmartcard-vpcd" not in packages + build


def test_release_runs_the_installed_program_with_the_example_config(installed) -> None:
    dest, _, _ = installed
    release = dest / "opt/kiosk/releases" / current_release(dest)
    assert (release / ".complete").exists() and list((release / "dist").glob("justice_house_kiosk-*.whl"))
    kiosk = dest / "opt/kiosk/venv/bin/kiosk"  # the path kiosk.service runs, through both links
    version = subprocess.run([str(kiosk), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == f"kiosk {current_release(dest).split('-')[0]}"
    assert (dest / "etc/kiosk/kiosk.toml").read_bytes() == (REPO / "kiosk.example.toml").read_bytes()
    assert (dest / "etc/systemd/system/kiosk.service").read_bytes() == (REPO / "kiosk.service").read_bytes()
    assert (dest / "opt/kiosk/README.md").read_text() == (REPO / "README.md").read_text()
    # The translations are compiled at install time: the release is read-only at run time.
    assert list(release.glob("venv/lib/python3*/site-packages/kiosk/locale/ka/LC_MESSAGES/*.mo"))
    # Everything the kiosk reads beside its code (kv rules, the category icons, the bundled
    # catalog, card profiles, translations) is in the release: the icons were once left out of
    # the wheel, and every category tile of an installed kiosk would have been blank.
    site = next(release.glob("venv/lib/python3*/site-packages"))
    beside_code = [path.relative_to(REPO) for package in ("kiosk", "screens", "devices", "offline_queue")
                   for path in (REPO / package).rglob("*")
                   if path.is_file() and path.suffix not in (".py", ".pyc", ".mo")
                   and "__pycache__" not in path.parts]
    assert len(beside_code) > 50
    assert [str(path) for path in beside_code if not (site / path).exists()] == []
    fmt = (dest / "var/lib/kiosk/storage-format.json")
    assert fmt.exists() and mode(fmt) == "0600"


def test_installed_unit_passes_systemd_analyze_verify(installed, tmp_path: Path) -> None:
    dest, _, _ = installed
    unit = (dest / "etc/systemd/system/kiosk.service").read_text()
    # cage is not on a test machine; the kiosk program it starts is, through
    # /opt/kiosk/venv -> current/venv, so verify checks the installed link chain.
    program = dest / "opt/kiosk/venv/bin/kiosk"
    checkable = re.sub(r"(?m)^ExecStart=/usr/bin/cage -d -s -- /opt/kiosk/venv/bin/kiosk ",
                       f"ExecStart={program} ", unit)
    assert checkable != unit, "kiosk.service's ExecStart changed: update this test and install.sh"
    (tmp_path / "kiosk.service").write_text(checkable)
    result = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "kiosk.service")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "kiosk.service" not in result.stderr, result.stderr


def test_rerun_keeps_the_edited_config_and_reuses_the_release(installed, tmp_path: Path) -> None:
    source, wheels = installed[1], installed[2]
    dest = copy_install(installed[0], tmp_path / "root")
    config = dest / "etc/kiosk/kiosk.toml"
    edited = config.read_text().replace('id = "tbilisi-01"', 'id = "batumi-07"')
    config.write_text(edited)
    config.chmod(0o644)  # a technician's editor loosened it
    before = current_release(dest)
    result = run_install(source, dest, wheels)
    assert "reusing it" in result.stdout and "keeping the existing configuration" in result.stdout
    assert config.read_text() == edited
    assert mode(config) == "0640", "modes are re-asserted on every run"
    assert current_release(dest) == before
    assert [p.name for p in (dest / "opt/kiosk/releases").iterdir()] == [before]
    header, rows = manifest(dest)
    assert (header, rows) == manifest(installed[0])


def test_a_real_install_refuses_a_machine_with_vpcd(tmp_path: Path) -> None:
    status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "vsmartcard-vpcd"], capture_output=True,
                            text=True, check=False).stdout
    assert "install ok installed" in status, "make test installs vsmartcard-vpcd (the card tests use it)"
    env = install_env(Path(""), tmp_path)
    env.pop("DESTDIR")
    # Belt and braces: were the vpcd check ever skipped, the missing
    # interpreter stops the script before it changes this machine.
    env["KIOSK_PYTHON"] = str(tmp_path / "no-python")
    result = subprocess.run(["bash", str(INSTALL)], env=env, capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "apt-get purge vsmartcard-vpcd" in result.stderr, result.stderr


def _outbox_with_pending(storage: Path) -> None:
    conn = sqlite3.connect(storage / "outbox.sqlite3")
    conn.execute("CREATE TABLE entries (id INTEGER PRIMARY KEY, status TEXT)")
    conn.executemany("INSERT INTO entries (status) VALUES (?)", [("pending",), ("delivered",)])
    conn.commit()
    conn.close()


def test_uninstall_keeps_the_data_and_says_where(installed, tmp_path: Path) -> None:
    dest = copy_install(installed[0], tmp_path / "root")
    _outbox_with_pending(dest / "var/lib/kiosk")
    result = run_uninstall(dest)
    assert result.returncode == 0, result.stderr
    assert not (dest / "opt/kiosk").exists()
    assert not (dest / "etc/systemd/system/kiosk.service").exists()
    assert not (dest / "etc/systemd/system/graphical.target.wants/kiosk.service").exists()
    assert (dest / "var/lib/kiosk/outbox.sqlite3").exists() and (dest / "etc/kiosk/kiosk.toml").exists()
    assert "KEPT the kiosk's data in /var/lib/kiosk" in result.stdout
    assert "PURGE=1" in result.stdout


def test_purge_refuses_undelivered_submissions_unless_forced(installed, tmp_path: Path) -> None:
    dest = copy_install(installed[0], tmp_path / "root")
    _outbox_with_pending(dest / "var/lib/kiosk")
    refused = run_uninstall(dest, PURGE="1")
    assert refused.returncode != 0 and "1 submissions" in refused.stderr
    assert (dest / "opt/kiosk/venv").exists(), "a refused purge removes nothing"
    purged = run_uninstall(dest, PURGE="1", FORCE="1")
    assert purged.returncode == 0, purged.stderr
    for gone in ("opt/kiosk", "var/lib/kiosk", "etc/kiosk", "etc/systemd/system/kiosk.service"):
        assert not (dest / gone).exists(), gone


def test_purge_of_a_drained_kiosk_needs_no_force(installed, tmp_path: Path) -> None:
    dest = copy_install(installed[0], tmp_path / "root")
    result = run_uninstall(dest, PURGE="1")
    assert result.returncode == 0, result.stderr
    assert not (dest / "var/lib/kiosk").exists() and not (dest / "etc/kiosk").exists()


@pytest.fixture(autouse=True)
def _remove_copies(tmp_path: Path) -> Iterator[None]:
    yield
    shutil.rmtree(tmp_path / "root", ignore_errors=True)


def test_scripts_never_abort_on_the_empty_destdir_of_a_real_machine() -> None:
    """`${DESTDIR:?}` aborts the script when DESTDIR is empty, which it is on every real kiosk.

    The tests always set DESTDIR, so only reading the scripts finds it: it
    stopped install.sh's pruning of old releases and all of uninstall.sh.
    """
    guard = subprocess.run(["bash", "-c", 'DESTDIR=""; echo "${DESTDIR:?}/opt/kiosk"'],
                           capture_output=True, text=True, check=False)
    assert guard.returncode != 0, "bash no longer treats an empty ${X:?} as an error"
    for script in sorted((REPO / "deploy").glob("*.sh")):
        assert "${DESTDIR:?}" not in script.read_text(), script.name
