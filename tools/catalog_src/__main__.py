"""Write `kiosk/data/catalog.json` from the service definitions in this package.

Run from the repository root: `.venv/bin/python -m tools.catalog_src`. The
output is checked by `kiosk.catalog.Catalog.from_document` before it is
written, so a broken definition never reaches the kiosk.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kiosk.catalog import Catalog
from tools.catalog_src.common import AGENCIES, CATEGORIES
from tools.catalog_src.education_utilities import EDUCATION, UTILITIES
from tools.catalog_src.family import FAMILY
from tools.catalog_src.health_social import HEALTH, SOCIAL
from tools.catalog_src.personal import PERSONAL
from tools.catalog_src.property_business import BUSINESS, PROPERTY
from tools.catalog_src.taxes_fines import FINES, TAXES

VERSION = "2025.1"
OUTPUT = Path(__file__).resolve().parents[2] / "kiosk" / "data" / "catalog.json"


def document() -> dict:
    services = (PERSONAL + FAMILY + HEALTH + SOCIAL + PROPERTY + BUSINESS + TAXES + FINES
                + EDUCATION + UTILITIES)
    return {
        "version": VERSION,
        "agencies": [{"id": ident, "name": name} for ident, name in AGENCIES],
        "categories": [{"id": ident, "name": name, "icon": icon}
                       for ident, name, icon in CATEGORIES],
        "services": services,
    }


def main() -> int:
    doc = document()
    catalog = Catalog.from_document(doc)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUTPUT}: {len(catalog.categories)} categories, "
          f"{len(catalog.services)} services", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
