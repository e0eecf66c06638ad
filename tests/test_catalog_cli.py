"""`kiosk catalog`: a technician checks a document before publishing it, and lists the catalog."""

import io
import json
from pathlib import Path

from kiosk.catalog import load_bundled, load_bundled_catalog
from kiosk.cli import main
from kiosk.commands import catalog as command


def test_check_accepts_the_bundled_catalog(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(load_bundled(), ensure_ascii=False), encoding="utf-8")
    out = io.StringIO()
    assert command.check_file(str(path), out) == 0
    assert "ok" in out.getvalue() and "10 categories" in out.getvalue()


def test_check_names_why_a_document_would_be_refused(tmp_path: Path) -> None:
    doc = load_bundled()
    doc["services"][0]["mode"] = "whenever"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    out = io.StringIO()
    assert command.check_file(str(bad), out) == 1
    assert "refused" in out.getvalue() and "birth-certificate-repeat" in out.getvalue()

    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    out = io.StringIO()
    assert command.check_file(str(tmp_path / "broken.json"), out) == 1
    assert "not JSON" in out.getvalue()
    assert command.check_file(str(tmp_path / "missing.json"), io.StringIO()) == 1


def test_show_and_search_in_a_language() -> None:
    catalog = load_bundled_catalog()
    out = io.StringIO()
    command.show(catalog, "ru", out)
    assert "Штрафы [fines]" in out.getvalue() and "fines-pay" in out.getvalue()
    out = io.StringIO()
    command.search(catalog, "ჯარიმ", "ka", out)
    assert out.getvalue().startswith("fines-pay")
    out = io.StringIO()
    command.search(catalog, "qwerty", "en", out)
    assert out.getvalue().strip() == "nothing found"


def test_the_command_is_wired_into_the_cli(capsys) -> None:
    assert main(["catalog", "search", "birth", "--language", "en", "--bundled"]) == 0
    assert "birth-certificate-repeat" in capsys.readouterr().out
