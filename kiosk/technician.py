"""The technician's PIN: a slow hash in the configuration and lockouts that double.

The maintenance screen opens from the citizen's own touchscreen, so anyone
in the hall can try PINs on it. Two fences: the configuration holds only a
scrypt hash (`kiosk hash-pin` makes it), so a copied configuration file
does not give the PIN away; and wrong PINs lock the screen for intervals
that double (30 s, 60 s, 120 s, ... up to an hour), as VotingWorks' vxsuite
does, so guessing 10 000 four-digit PINs takes months, not minutes.

The lockout state is written to the storage directory after every wrong
PIN: pulling the power plug must not buy an attacker three fresh tries.
Times in that file are wall-clock seconds (a monotonic clock restarts at
boot); a clock set back cannot lengthen a lockout beyond its own length,
and a clock set forward only ends it early (the doubling still counts).

An empty ``maintenance.pin_hash`` disables the touchscreen door entirely:
the gate answers `Disabled` to every PIN and never hashes anything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.logs import event

log = logging.getLogger("kiosk.technician")

# n=2**15 measured at ~80 ms on the development machine (2**16: ~200 ms, too
# slow for a touchscreen on a kiosk's low-power CPU); 32 MiB of memory per check.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
SALT_BYTES, KEY_BYTES = 16, 32
MAX_N = 2**20  # refuse a hash whose cost would freeze the kiosk for seconds
FREE_TRIES = 3
FIRST_LOCK_S = 30.0
MAX_LOCK_S = 3600.0
STATE_FILE = "technician-lockout.json"


def _scrypt(pin: bytes | bytearray, salt: bytes, n: int, r: int, p: int) -> bytes:
    # maxmem: hashlib's default (32 MiB) is just below what n=2**15, r=8 needs.
    return hashlib.scrypt(pin, salt=salt, n=n, r=r, p=p, dklen=KEY_BYTES, maxmem=256 * 1024 * 1024)


def hash_pin(pin: str | bytes | bytearray, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P,
             salt: bytes | None = None) -> str:
    """``scrypt$n$r$p$salt_b64$hash_b64`` for ``maintenance.pin_hash``; a fresh salt each time."""
    secret = pin.encode() if isinstance(pin, str) else pin
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(secret, salt, n, r, p)
    b64 = base64.b64encode
    return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(digest).decode()}"


@dataclass(frozen=True)
class _Parsed:
    n: int
    r: int
    p: int
    salt: bytes
    digest: bytes


def parse_hash(pin_hash: str) -> _Parsed:
    """The parts of a hash; ValueError (naming no secret) when it is not one of ours."""
    parts = pin_hash.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        raise ValueError("maintenance.pin_hash is not in the form scrypt$n$r$p$salt$hash")
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt = base64.b64decode(parts[4], validate=True)
        digest = base64.b64decode(parts[5], validate=True)
    except ValueError as exc:
        raise ValueError("maintenance.pin_hash has a malformed number or base64 part") from exc
    if n < 2 or n & (n - 1) or n > MAX_N or not 1 <= r <= 32 or not 1 <= p <= 16 or not digest:
        raise ValueError("maintenance.pin_hash has scrypt parameters out of range")
    return _Parsed(n, r, p, salt, digest)


def verify_pin(pin: bytes | bytearray, pin_hash: str) -> bool:
    """True when ``pin`` matches; the comparison takes the same time whatever differs."""
    parsed = parse_hash(pin_hash)
    candidate = hashlib.scrypt(pin, salt=parsed.salt, n=parsed.n, r=parsed.r, p=parsed.p,
                               dklen=len(parsed.digest), maxmem=256 * 1024 * 1024)
    return hmac.compare_digest(candidate, parsed.digest)


# ------------------------------------------------------------------ the gate
@dataclass(frozen=True)
class Accepted:
    """The PIN is right: open the maintenance screen."""


@dataclass(frozen=True)
class Wrong:
    """The PIN is wrong; ``tries_before_lock`` more wrong ones are allowed before a lockout."""

    tries_before_lock: int


@dataclass(frozen=True)
class LockedOut:
    """No PIN is checked for ``seconds_left`` seconds (this wrong PIN may have started it)."""

    seconds_left: float


@dataclass(frozen=True)
class Disabled:
    """No ``maintenance.pin_hash`` is configured: the touchscreen door is closed."""


GateResult = Accepted | Wrong | LockedOut | Disabled


@dataclass
class _LockState:
    failures: int = 0  # wrong PINs since the last right one
    lockouts: int = 0  # lockouts since the last right one: the doubling's exponent
    locked_at: float = 0.0  # wall-clock start of the current lockout
    lock_s: float = 0.0  # its length


def lock_length(lockouts_before: int) -> float:
    """30 s for the first lockout, doubling each time, never more than an hour."""
    return min(FIRST_LOCK_S * 2 ** min(lockouts_before, 20), MAX_LOCK_S)


class TechnicianGate:
    """Checks technician PINs against ``pin_hash`` with persisted, doubling lockouts.

    `check` hashes for ~0.1 s: the screen calls it from a worker thread. It
    is thread-safe, and two PINs typed at once count as two tries.
    """

    def __init__(self, pin_hash: str, state_path: str | os.PathLike[str],
                 clock: Callable[[], float] = time.time) -> None:
        self.pin_hash = pin_hash
        if pin_hash:
            parse_hash(pin_hash)  # a broken hash is a configuration error at start, not at the door
        self.state_path = Path(state_path)
        self._clock = clock
        self._lock = threading.Lock()
        self._state = self._load()

    @classmethod
    def from_config(cls, config: object, clock: Callable[[], float] = time.time) -> TechnicianGate:
        storage = Path(config.storage.dir)  # type: ignore[attr-defined]
        return cls(config.maintenance.pin_hash, storage / STATE_FILE, clock)  # type: ignore[attr-defined]

    @property
    def enabled(self) -> bool:
        return bool(self.pin_hash)

    def seconds_locked(self) -> float:
        """Seconds until a PIN is checked again (0: not locked); for the screen's countdown."""
        with self._lock:
            return self._seconds_left()

    def check(self, pin: bytearray) -> GateResult:
        """Check the PIN pad's buffer; the buffer is zeroed whatever the answer."""
        try:
            if not self.enabled:
                return Disabled()
            with self._lock:
                left = self._seconds_left()
                if left > 0:
                    return LockedOut(left)  # not even hashed: a locked gate costs nothing to poke
                right = verify_pin(pin, self.pin_hash)
                return self._record(right)
        finally:
            for i in range(len(pin)):
                pin[i] = 0

    # -------------------------------------------------------------- internals
    def _seconds_left(self) -> float:
        state = self._state
        if state.lock_s <= 0:
            return 0.0
        elapsed = self._clock() - state.locked_at
        # A clock set back (elapsed < 0) restarts the lockout, never lengthens it.
        return max(0.0, state.lock_s - max(elapsed, 0.0))

    def _record(self, right: bool) -> GateResult:
        state = self._state
        if right:
            self._state = _LockState()
            self._save()
            event(log, "technician PIN accepted")
            return Accepted()
        state.failures += 1
        # The first lockout comes after FREE_TRIES wrong PINs; once a lockout
        # has happened, every further wrong PIN locks again, twice as long.
        if state.lockouts > 0 or state.failures >= FREE_TRIES:
            state.lock_s = lock_length(state.lockouts)
            state.locked_at = self._clock()
            state.lockouts += 1
            self._save()
            event(log, "technician PIN wrong: locked", lock_s=int(state.lock_s), lockouts=state.lockouts)
            return LockedOut(state.lock_s)
        self._save()
        event(log, "technician PIN wrong", failures=state.failures)
        return Wrong(FREE_TRIES - state.failures)

    def _load(self) -> _LockState:
        try:
            data = json.loads(self.state_path.read_text(encoding="utf-8"))
            return _LockState(int(data["failures"]), int(data["lockouts"]), float(data["locked_at"]),
                              float(data["lock_s"]))
        except FileNotFoundError:
            return _LockState()
        except (OSError, ValueError, KeyError, TypeError):
            # Fail closed: a damaged file must not hand out fresh tries.
            log.warning("technician lockout state unreadable; locking for %d s", int(FIRST_LOCK_S))
            state = _LockState(FREE_TRIES, 1, self._clock(), FIRST_LOCK_S)
            self._state = state
            self._save()
            return state

    def _save(self) -> None:
        """Write-then-rename with fsync: the state is either the old or the new, never half."""
        data = json.dumps(self._state.__dict__).encode()
        tmp = self.state_path.with_name(self.state_path.name + ".tmp")
        try:
            self.state_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.state_path)
            dir_fd = os.open(self.state_path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            # The lockout still holds in memory; only a restart could reset it.
            log.error("technician lockout state not saved: %s", type(exc).__name__)
