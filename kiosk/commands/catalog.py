"""`kiosk catalog check|show|search`: the service catalog for technicians.

`check FILE` runs the same checks the kiosk runs on a document from the
portal and names the first problem, so a catalog can be tried before it is
published (exit 1 when it would be refused). `show` lists what the kiosk
currently offers (its cached copy, else the bundled one); `search` shows
what a citizen typing those words would find.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from kiosk import config as kiosk_config
from kiosk.catalog import Catalog, CatalogError, CatalogStore, load_bundled_catalog
from kiosk.i18n import LANGUAGES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("catalog", help="check, list and search the service catalog")
    parser.add_argument("--config", help="configuration file (else $KIOSK_CONFIG, /etc/kiosk/kiosk.toml)")
    actions = parser.add_subparsers(dest="catalog_action", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="check a catalog JSON file; exit 1 if the kiosk would refuse it")
    check.add_argument("file", help="the catalog document (JSON)")
    for name, text in (("show", "list categories and services"),
                       ("search", "what a citizen typing TEXT would find")):
        sub = actions.add_parser(name, help=text)
        if name == "search":
            sub.add_argument("text")
        sub.add_argument("--language", choices=LANGUAGES, default="ka")
        sub.add_argument("--bundled", action="store_true",
                         help="the catalog shipped with the kiosk, not the cached copy")
        sub.add_argument("--config", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    if args.catalog_action == "check":
        return check_file(args.file, sys.stdout)
    if args.bundled:
        catalog = load_bundled_catalog()
    else:
        catalog = CatalogStore(kiosk_config.load(args.config).storage_path).current()
    if args.catalog_action == "search":
        return search(catalog, args.text, args.language, sys.stdout)
    return show(catalog, args.language, sys.stdout)


def check_file(path: str, out: TextIO) -> int:
    """0 and a summary when the document would be accepted, 1 and the reason when not."""
    try:
        with open(path, encoding="utf-8") as fh:
            document = json.load(fh)
        catalog = Catalog.from_document(document)
    except OSError as exc:
        print(f"cannot read {path}: {exc.strerror}", file=out)
        return 1
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and CatalogError
        kind = "refused" if isinstance(exc, CatalogError) else "not JSON"
        print(f"{path}: {kind}: {exc}", file=out)
        return 1
    print(f"{path}: ok, version {catalog.version}: {len(catalog.categories)} categories, "
          f"{len(catalog.services)} services, {len(catalog.agencies)} agencies", file=out)
    return 0


def show(catalog: Catalog, language: str, out: TextIO) -> int:
    print(f"catalog {catalog.version}", file=out)
    for category in catalog.categories:
        print(f"\n{category.name(language)} [{category.id}]", file=out)
        for service in catalog.services_in(category.id):
            fee = f" {service.fee_gel} GEL" if service.fee_gel else ""
            print(f"  {service.id:40} {service.mode:11} {service.kind:14}{fee}", file=out)
            print(f"    {service.name(language)}", file=out)
    return 0


def search(catalog: Catalog, text: str, language: str, out: TextIO) -> int:
    found = catalog.search(text, language)
    for service in found:
        print(f"{service.id:40} {service.name(language)}", file=out)
    if not found:
        print("nothing found", file=out)
    return 0
