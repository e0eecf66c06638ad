"""The demo run by a non-root user: pcscd lives in /usr/sbin, which such a PATH lacks.

The PATH, the sbin directories and the driver directory are all fakes under
tmp_path, so each case is what the demo would say on a machine set up so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from devices import pcsc_stack
from kiosk.demo import DemoStack
from kiosk.testpki import TestPki


@pytest.fixture
def machine(tmp_path: Path, monkeypatch):  # type: ignore[no-untyped-def]
    """An empty PATH bin, an sbin and a driver directory that tests fill as they like."""
    dirs = {name: tmp_path / name for name in ("bin", "sbin", "drivers")}
    for directory in dirs.values():
        directory.mkdir()
    monkeypatch.setenv("PATH", str(dirs["bin"]))  # a user's PATH: no sbin in it
    monkeypatch.setattr(pcsc_stack, "SBIN_DIRS", (dirs["sbin"],))
    monkeypatch.setattr(pcsc_stack, "VPCD_DRIVER_DIRS", (dirs["drivers"],))
    # The demo as a non-root user: no private pcscd, the system one's vpcd reader.
    monkeypatch.setattr(pcsc_stack, "can_run_private_pcscd",
                        lambda: "a private pcscd needs root (mount namespace)")
    return dirs


def install(path: Path) -> None:
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):  # type: ignore[no-untyped-def]
    pki = TestPki(tmp_path_factory.mktemp("demo-pki"))
    pki.make_demo()
    return pki


def start_card(tmp_path: Path, pki: TestPki) -> tuple[DemoStack, str]:
    stack = DemoStack(workdir=tmp_path / "demo")
    return stack, stack._start_card(pki, tmp_path / "virtual-card.log")


def test_pcscd_in_sbin_outside_path_is_found(machine, tmp_path, pki):
    install(machine["sbin"] / "pcscd")
    install(machine["drivers"] / pcsc_stack.VPCD_DRIVER_NAME)
    assert pcsc_stack.system_reader_problem() is None
    stack, reader = start_card(tmp_path, pki)
    try:
        assert reader == pcsc_stack.VIRTUAL_READER_PREFIX
        assert stack.card is not None and stack.card.port == 35963
        # The card is a `kiosk virtual-card` child, not an object in the kiosk's own process.
        cmdline = Path(f"/proc/{stack.card._proc.pid}/cmdline").read_bytes().split(b"\0")
        assert b"virtual-card" in cmdline and b"--removed" in cmdline
        assert not any("not installed" in p or "missing" in p for p in stack.problems), stack.problems
        assert any("system pcscd" in p for p in stack.problems)
    finally:
        stack.stop()


def test_pcscd_on_path_is_found_too(machine, tmp_path, pki):
    install(machine["bin"] / "pcscd")
    install(machine["drivers"] / pcsc_stack.VPCD_DRIVER_NAME)
    assert pcsc_stack.find_tool("pcscd") == machine["bin"] / "pcscd"
    assert pcsc_stack.system_reader_problem() is None


def test_no_pcscd_anywhere_says_what_to_install(machine, tmp_path, pki):
    install(machine["drivers"] / pcsc_stack.VPCD_DRIVER_NAME)
    (machine["sbin"] / "pcscd").write_text("not executable")
    stack, reader = start_card(tmp_path, pki)
    assert reader == "" and stack.card is None
    assert "pcscd is not installed: apt-get install pcscd vsmartcard-vpcd" in stack.problems


def test_pcscd_without_the_vpcd_driver_names_the_driver(machine, tmp_path, pki):
    install(machine["sbin"] / "pcscd")  # and no dpkg on this PATH to ask either
    stack, reader = start_card(tmp_path, pki)
    assert reader == "" and stack.card is None
    assert stack.problems == [
        "the virtual reader driver is missing: vsmartcard-vpcd is not installed "
        "(apt-get install vsmartcard-vpcd)"
    ]
