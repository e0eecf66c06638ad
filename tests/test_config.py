"""Configuration: every mistake named by its key, the example file valid."""

from pathlib import Path

import pytest

from kiosk import config
from kiosk.config import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        config.load(write(tmp_path, text))
    return caught.value.problems


def test_example_file_is_valid_and_documents_every_key() -> None:
    example = ROOT / "kiosk.example.toml"
    loaded = config.load(example)
    assert loaded.kiosk.languages == ("ka", "en", "ru")
    text = example.read_text()
    for section, cls in config.SECTIONS.items():
        assert f"[{section}]" in text
        for field in cls.__dataclass_fields__:
            assert f"\n{field} = " in text, f"{section}.{field} is not in the example"


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    loaded = config.load(write(tmp_path, ""))
    assert loaded.screen.width == 1080 and loaded.screen.height == 1920
    assert loaded.kiosk.default_language == "ka"


def test_path_from_environment(tmp_path: Path, monkeypatch) -> None:
    path = write(tmp_path, '[kiosk]\nid = "from-env"\n')
    monkeypatch.setenv("KIOSK_CONFIG", str(path))
    assert config.load().kiosk.id == "from-env"


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        config.load(tmp_path / "nope.toml")
    assert "does not exist" in str(caught.value) and "nope.toml" in str(caught.value)


def test_broken_toml_is_reported_not_raised_raw(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, "[kiosk\nid=")
    assert problems and "not valid TOML" in problems[0]


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ('[kiosk]\nlanguages = ["ka", "de"]', "kiosk.languages", "unsupported"),
        ('[kiosk]\ndefault_language = "ru"\nlanguages = ["ka"]', "kiosk.default_language", "kiosk.languages"),
        ('[portal]\nurl = "ftp://x"', "portal.url", "http"),
        ('[printer]\nconnection = "lpt://1"', "printer.connection", "tcp://"),
        ('[printer]\nconnection = "usb://zz:12"', "printer.connection", "VID:PID"),
        ("[printer]\nwidth_dots = 500", "printer.width_dots", "576"),
        ('[session]\nidle_timeout_s = "soon"', "session.idle_timeout_s", "whole number"),
        ("[session]\nidle_warning_s = 10", "session.idle_warning_s", "between"),
        ("[session]\nmax_extensions = 3", "session.max_extensions", "between"),
        ("[screen]\ndpi = 5", "screen.dpi", "between"),
        ('[screen]\nfullscreen = "yes"', "screen.fullscreen", "true or false"),
        ('[maintenance]\npin_hash = "1234"', "maintenance.pin_hash", "kiosk hash-pin"),
        ('[kiosk]\nidd = "x"', "kiosk.idd", "not a known key"),
        ('[printr]\nprofile = "x"', "[printr]", "not a known section"),
        ('[kiosk]\nid = ""', "kiosk.id", "empty"),
    ],
)
def test_each_problem_names_its_key(tmp_path: Path, text: str, key: str, words: str) -> None:
    problems = problems_of(tmp_path, text)
    assert any(key in p and words in p for p in problems), problems


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, '[screen]\ndpi = 1\nwidth = 1\n[portal]\nurl = "x"')
    assert len(problems) == 3


def test_overrides_lie_under_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[kiosk]\nid = "file"\n')
    loaded = config.load(path, overrides={"kiosk": {"id": "embedded", "site_name": "Demo"}})
    assert loaded.kiosk.id == "file" and loaded.kiosk.site_name == "Demo"


def test_int_accepted_where_a_float_is_expected(tmp_path: Path) -> None:
    loaded = config.load(write(tmp_path, "[portal]\nconnect_timeout_s = 2\n"))
    assert loaded.portal.connect_timeout_s == 2.0


def test_memory_limit_is_off_or_high_enough_not_to_restart_after_every_citizen(tmp_path: Path) -> None:
    assert config.load(write(tmp_path, "[kiosk]\nrestart_above_mb = 0")).kiosk.restart_above_mb == 0
    assert config.load(write(tmp_path, "")).kiosk.restart_above_mb == 1024
    problems = problems_of(tmp_path, "[kiosk]\nrestart_above_mb = 100")
    assert problems == ["kiosk.restart_above_mb must be 0 (never) or between 256 and 1000000, not 100"]
