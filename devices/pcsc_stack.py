"""A private pcscd with the vpcd virtual reader, for tests, the bench and the demo.

pcscd's server socket is fixed at /run/pcscd/pcscd.comm, so a second daemon
(one per test worker, or beside a system pcscd) needs its own mount
namespace in which a private directory is bind-mounted over /run/pcscd
(research/pcsc-testing.md). Clients find it through ``PCSCLITE_CSOCK_NAME``,
which pcsc-lite reads once, at a process's first PC/SC call: set it before.

pcscd runs in the foreground without ``-a`` (it would log every APDU, PINs
included) and without ``-x`` (auto-exit). Needs root (CAP_SYS_ADMIN).

`detect_virtual_reader` is for production: vpcd listens on every interface,
so a kiosk that has it installed lets anyone on the network insert a card.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

VPCD_PACKAGE = "vsmartcard-vpcd"
VPCD_DRIVER_NAME = "libifdvpcd.so"
VIRTUAL_READER_PREFIX = "Virtual PCD"
# vpcd opens PORT and PORT+1; stay below Linux's ephemeral range (32768-60999) so a
# card's own outgoing connections can never take the port.
PORT_RANGE = (20000, 32000)


# A non-root user's PATH on Debian has no sbin directory, where pcscd lives.
SBIN_DIRS = (Path("/usr/sbin"), Path("/sbin"), Path("/usr/local/sbin"))
# Where Debian's package puts the driver; dpkg is asked only when it is not there.
VPCD_DRIVER_DIRS = (Path("/usr/lib/pcsc/drivers/serial"),)
PCSCD_MISSING = "pcscd is not installed: apt-get install pcscd vsmartcard-vpcd"


class PcscStackError(RuntimeError):
    """The private pcscd could not be started."""


def find_tool(name: str) -> Path | None:
    """A system program on PATH or in an sbin directory, or None."""
    found = shutil.which(name)
    if found:
        return Path(found)
    for directory in SBIN_DIRS:
        candidate = directory / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def find_vpcd_driver() -> Path:
    """Debian's vpcd driver library: its usual place, else the package's file list."""
    for directory in VPCD_DRIVER_DIRS:
        if (directory / VPCD_DRIVER_NAME).is_file():
            return directory / VPCD_DRIVER_NAME
    missing = f"{VPCD_PACKAGE} is not installed (apt-get install {VPCD_PACKAGE})"
    dpkg = find_tool("dpkg")
    if dpkg is None:
        raise PcscStackError(missing)
    try:
        listing = subprocess.run(
            [str(dpkg), "-L", VPCD_PACKAGE], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise PcscStackError(missing) from exc
    for line in listing.splitlines():
        if line.endswith("/" + VPCD_DRIVER_NAME):
            return Path(line)
    raise PcscStackError(f"{VPCD_PACKAGE} has no {VPCD_DRIVER_NAME}")


def system_reader_problem() -> str | None:
    """Why the system pcscd cannot offer the virtual reader, or None if it can."""
    if find_tool("pcscd") is None:
        return PCSCD_MISSING
    try:
        find_vpcd_driver()
    except PcscStackError as exc:
        return f"the virtual reader driver is missing: {exc}"
    return None


def can_run_private_pcscd() -> str | None:
    """None if this machine can run a private pcscd, else the reason it cannot."""
    if os.geteuid() != 0:
        return "a private pcscd needs root (mount namespace)"
    for tool in ("pcscd", "unshare"):
        if find_tool(tool) is None:
            return f"{tool} is not installed"
    try:
        find_vpcd_driver()
    except PcscStackError as exc:
        return str(exc)
    return None


def port_pair_is_free(port: int) -> bool:
    """Whether vpcd could bind PORT and PORT+1 (it binds all interfaces)."""
    for candidate in (port, port + 1):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("0.0.0.0", candidate))
            except OSError:
                return False
    return True


def pick_port(seed: int) -> int:
    """A free even port below the ephemeral range, spread by ``seed`` (e.g. the pid)."""
    low, high = PORT_RANGE
    span = (high - low) // 2
    for attempt in range(200):
        port = low + 2 * ((seed * 7919 + attempt * 104729) % span)
        if port_pair_is_free(port):
            return port
    raise PcscStackError("no free port pair for vpcd")


class PcscStack:
    """One private pcscd serving ``run_dir``, optionally with a vpcd reader on ``port``."""

    def __init__(self, run_dir: str | Path, port: int, *, die_with_parent: bool = False) -> None:
        """``die_with_parent``: pcscd gets SIGTERM if the thread that started it dies (a
        killed test worker must not leave a pcscd behind). Only for starts from a
        thread that lives as long as the stack, e.g. a test process's main thread."""
        self.run_dir = Path(run_dir)
        self.die_with_parent = die_with_parent
        self.port = port
        self.conf_dir = self.run_dir.parent / (self.run_dir.name + "-conf")
        self._process: subprocess.Popen[bytes] | None = None
        self.with_reader = True
        self.debug_flag = ""  # "-d" while debugging the stack itself; never "-a"

    @property
    def socket_path(self) -> Path:
        """What ``PCSCLITE_CSOCK_NAME`` must be set to for clients of this pcscd."""
        return self.run_dir / "pcscd.comm"

    @property
    def log_path(self) -> Path:
        return self.run_dir.parent / (self.run_dir.name + "-pcscd.log")

    @property
    def reader_name(self) -> str:
        """The vpcd slot the card on ``port`` appears in."""
        return f"{VIRTUAL_READER_PREFIX} 00 00"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process and self._process.poll() is None else None

    def client_environment(self) -> dict[str, str]:
        """Environment for a child process that should use this pcscd."""
        return {**os.environ, "PCSCLITE_CSOCK_NAME": str(self.socket_path)}

    def start(self, *, with_reader: bool = True, timeout_s: float = 5.0) -> None:
        """Start pcscd (with or without the virtual reader) and wait for its socket."""
        if self.pid is not None:
            return
        self.with_reader = with_reader
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.conf_dir.mkdir(parents=True, exist_ok=True)
        for old in self.conf_dir.iterdir():
            old.unlink()
        if with_reader:
            (self.conf_dir / "vpcd").write_text(
                f'FRIENDLYNAME "{VIRTUAL_READER_PREFIX}"\n'
                f"DEVICENAME   /dev/null:{self.port}\n"
                f"LIBPATH      {find_vpcd_driver()}\n"
                f"CHANNELID    {self.port}\n"
            )
        # A stale socket from a killed pcscd would make the wait below pass too early.
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        # The bind mount needs its mount point; on a machine without a system pcscd
        # /run/pcscd does not exist yet. Creating it outside the namespace is harmless.
        Path("/run/pcscd").mkdir(parents=True, exist_ok=True)
        pcscd, unshare = (str(find_tool(tool) or tool) for tool in ("pcscd", "unshare"))
        script = (
            f'mount --bind "{self.run_dir}" /run/pcscd && '
            f'exec "{pcscd}" -f {self.debug_flag} -c "{self.conf_dir}"'
        )
        # pcscd -f logs to stderr: into a file, never a pipe nobody drains (a full pipe
        # would block pcscd). Without -d/-a it holds no APDUs, so no PINs.
        with open(self.log_path, "ab") as log_file:
            self._process = subprocess.Popen(
                [unshare, "--mount", "--propagation", "private", "sh", "-c", script],
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=log_file,
                start_new_session=True,  # a Ctrl-C in a terminal must not reach it before us
                preexec_fn=_die_with_parent if self.die_with_parent else None,  # noqa: PLW1509
            )
        deadline = time.monotonic() + timeout_s
        while not self.socket_path.exists() or (with_reader and not self._vpcd_listening()):
            if self._process.poll() is not None:
                error = self.log_path.read_text(errors="replace")[-2000:]
                raise PcscStackError(f"pcscd exited with {self._process.returncode}: {error.strip()}")
            if time.monotonic() > deadline:
                self.stop()
                raise PcscStackError("pcscd did not come up")
            time.sleep(0.01)

    def _vpcd_listening(self) -> bool:
        # Read the kernel's table rather than connecting: a connection would be a card.
        return _port_listening(self.port)

    def stop(self, *, kill: bool = False) -> None:
        """Stop pcscd; ``kill=True`` uses SIGKILL, as a crash would."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)

    def restart(self, *, kill: bool = False, with_reader: bool = True, down_s: float = 0.0) -> None:
        self.stop(kill=kill)
        if down_s:
            time.sleep(down_s)
        self.start(with_reader=with_reader)

    def wait_slot_empty(self, timeout_s: float = 3.0, *, present: bool = False) -> bool:
        """Wait until pcscd has seen the card leave the virtual slot (or arrive: ``present``).

        vpcd mishandles a reset or power-off sent to a card that left before
        pcscd's next poll: pcscd then shows the slot empty while the next card
        sits in it. Tests (and the demo's "insert" button) wait here between
        cards, as the research notes advise. True if it did.
        """
        from smartcard import scard

        result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if result != scard.SCARD_S_SUCCESS:
            return False
        try:
            deadline = time.monotonic() + timeout_s
            state = scard.SCARD_STATE_UNAWARE
            while time.monotonic() < deadline:
                result, states = scard.SCardGetStatusChange(
                    context, 200, [(self.reader_name, state)]
                )
                if result not in (scard.SCARD_S_SUCCESS, scard.SCARD_E_TIMEOUT):
                    return False
                state = states[0][1] & ~scard.SCARD_STATE_CHANGED
                wanted = scard.SCARD_STATE_PRESENT if present else scard.SCARD_STATE_EMPTY
                if state & wanted:
                    return True
            return False
        finally:
            scard.SCardReleaseContext(context)

    def __enter__(self) -> PcscStack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the parent dies (kept across exec)."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _port_listening(port: int) -> bool:
    """Whether something listens on TCP ``port`` (IPv4 or IPv6), from /proc/net."""
    wanted = f":{port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            next(lines, None)
            for line in lines:
                parts = line.split()
                if len(parts) > 3 and parts[1].endswith(wanted) and parts[3] == "0A":
                    return True
    return False


def detect_virtual_reader(reader_names: list[str] | None = None) -> list[str]:
    """Names of virtual (vpcd) readers visible to this process, for `kiosk doctor`/`run`.

    With ``reader_names`` given, only filters them; otherwise asks PC/SC.
    Never raises: no pcscd means no virtual reader either.
    """
    if reader_names is None:
        try:
            from smartcard import scard

            result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if result != scard.SCARD_S_SUCCESS:
                return []
            try:
                result, reader_names = scard.SCardListReaders(context, [])
            finally:
                scard.SCardReleaseContext(context)
            if result != scard.SCARD_S_SUCCESS:
                return []
        except Exception:
            return []
    return [name for name in reader_names or [] if name.startswith(VIRTUAL_READER_PREFIX)]
