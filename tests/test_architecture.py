"""The rooms stay clean: the core never imports Kivy, screens never touch the
devices' libraries or SQLite, devices and the queue know nothing of screens."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(package: str) -> dict[Path, set[str]]:
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[path.relative_to(ROOT)] = names
    return found


def offenders(package: str, forbidden: set[str], allowed_files: set[str] = frozenset()) -> list[str]:
    return [f"{path}: {sorted(names & forbidden)}" for path, names in imported_modules(package).items()
            if names & forbidden and str(path) not in allowed_files]


def test_core_never_imports_kivy_or_screens() -> None:
    # kiosk/launch.py is the one hand-over to the window (imports inside functions).
    assert offenders("kiosk", {"kivy", "screens"}, {"kiosk/launch.py"}) == []


def test_screens_never_talk_to_devices_libraries_or_sqlite() -> None:
    assert offenders("screens", {"smartcard", "escpos", "sqlite3", "sqlite_utils", "devices",
                                 "offline_queue"}) == []


def test_devices_and_queue_know_nothing_of_screens() -> None:
    for package in ("devices", "offline_queue"):
        assert offenders(package, {"kivy", "screens"}) == []


def test_importing_the_whole_core_loads_no_kivy() -> None:
    modules = sorted(
        "kiosk." + ".".join(path.relative_to(ROOT / "kiosk").with_suffix("").parts)
        for path in (ROOT / "kiosk").rglob("*.py") if path.name not in ("__init__.py", "__main__.py")
    )
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'kivy'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"
