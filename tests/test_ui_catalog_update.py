"""A newer catalog from the portal while the kiosk runs: the screens build for it, nobody's form is lost.

The kiosk asks for a newer catalog at start and whenever the network comes
back (kiosk/machine_status.py), so one can arrive in the middle of a visit.
The service screen then builds forms ahead again (screens/services.py); it
must neither hold on to the old catalog's forms nor build over the form a
citizen has filled and may still go back to edit.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.memory_soak import PROBE_ENV, log_in, probe, publish_catalog, wait_warm
from tests.ui_services_support import back_home, open_service, send_and_check, typed
from tests.ui_sim_controller import SimKiosk, sim_kiosk

pytestmark = pytest.mark.ui

_versions = itertools.count(1)


@pytest.fixture(scope="module")
def probed(xvfb_display: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SimKiosk, Path]]:
    """The real window over the portal simulator, with the memory benches' probe (SIGUSR2)."""
    workdir = tmp_path_factory.mktemp("catalog-update")
    probes = workdir / "probes"
    probes.mkdir()
    with sim_kiosk(xvfb_display, workdir, factory="bench.memory_soak:build",
                   extra_env={PROBE_ENV: str(probes)}) as running:
        wait_warm(running.kiosk, timeout_s=30)
        yield running, probes


_probes = itertools.count()


def read_probe(kiosk: Any, probes: Path) -> dict[str, Any]:
    return probe(kiosk.proc.pid, probes, next(_probes))


def test_a_newer_catalog_replaces_the_forms_built_ahead(probed: tuple[SimKiosk, Path]) -> None:
    """The old catalog's forms go, and as many of the new one's are built ahead, drawn, at rest."""
    sk, probes = probed
    before = read_probe(sk.kiosk, probes)
    version = f"update-{next(_versions)}"
    publish_catalog(sk.sim, sk.kiosk, version)
    after = read_probe(sk.kiosk, probes)
    assert after["catalog_version"] == version
    kept_before, kept_after = before["forms_kept"][0], after["forms_kept"][0]
    assert kept_after["of_current_catalog"], kept_after
    # Same fields in the new version: the same forms, each costing what it did when built at
    # the start (where the first one was once built at 100 px wide, at half its real cost).
    assert kept_after["services"] == kept_before["services"] and kept_after["forms"] > 3
    for cost_before, cost_after in zip(kept_before["texture_kb_each"], kept_after["texture_kb_each"],
                                       strict=True):
        assert abs(cost_before - cost_after) <= cost_before * 0.02, (kept_before, kept_after)
    # No field of the old catalog's forms is still alive anywhere.
    assert after["widgets"].get("FieldBlock", 0) == kept_after["blocks"], (after["widgets"], kept_after)


def test_a_newer_catalog_mid_visit_keeps_the_citizens_filled_form(probed: tuple[SimKiosk, Path]) -> None:
    """On the confirm page the citizen may still go back to edit: the form there is theirs."""
    sk, _probes = probed
    kiosk = sk.kiosk
    log_in(kiosk)
    try:
        open_service(kiosk, "personal", "letter-to-agency")
        kiosk.tap("field-agency-psda")
        typed(kiosk, "subject", "My documents")
        typed(kiosk, "letter", "I would like to ask about my documents.")
        typed(kiosk, "mobile", "555123456")
        kiosk.tap("submit")
        kiosk.wait(screen="confirm")
        publish_catalog(sk.sim, kiosk, f"update-{next(_versions)}")  # the network came back with it
        kiosk.tap("edit")
        kiosk.wait(screen="service")
        texts = kiosk.texts()
        assert texts.get("field-subject") == "My documents", texts
        assert texts.get("field-letter") == "I would like to ask about my documents."
        kiosk.tap("submit")
        values = send_and_check(sk, "letter-to-agency")
        assert values["subject"] == "My documents" and values["agency"] == "psda"
    finally:
        back_home(kiosk)
        kiosk.tap("logout")
        kiosk.wait(screen="attract")
