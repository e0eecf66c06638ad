"""`kiosk test-pki --out DIR`: make the test PKI (GEO Root CA -> GEO Authentication CA ->
citizens, CRL) that the virtual card, the portal simulator and the demo use.

Made fresh on each machine so no private key is ever committed. Wraps
`kiosk.testpki.TestPki.make_demo`; prints what a kiosk.toml needs.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "test-pki", help="make the test PKI (CAs, demo citizens, CRL) for the virtual card",
        description="Creates root and authentication CAs, the demo citizens 'citizen', "
                    "'expired' and 'revoked', and a CRL. Existing files are kept.",
    )
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write")
    parser.add_argument("--citizen", action="append", default=[], metavar="NAME:NUMBER:GIVEN:SURNAME",
                        help="issue one more valid citizen (repeatable)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from kiosk.testpki import TestPki

    pki = TestPki(args.out)
    made = pki.make_demo()
    for spec in args.citizen:
        parts = spec.split(":")
        if len(parts) != 4 or not parts[1].isdigit() or len(parts[1]) != 11:
            print(f"kiosk test-pki: --citizen {spec!r} must be NAME:11-DIGIT-NUMBER:GIVEN:SURNAME")
            return 2
        name, number, given, surname = parts
        made[name] = pki.citizen(name) if (pki.dir / f"{name}.json").exists() else (
            pki.issue_citizen(name, number, given, surname))
    print(f"test PKI in {pki.dir}")
    print(f"  citizens: {', '.join(sorted(made))}")
    print("  kiosk.toml [reader]:")
    print(f'    trusted_root = "{pki.chain_path}"')
    print(f'    crl = "{pki.crl_path}"')
    return 0
