"""The blood centre laboratory's markers (``Settings.blood_lab_markers``; default ALT, HBsAg,
anti-HCV, anti-HIV, syphilis, NAT), how the pages name them and their results, and the results
recorded for donations."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood import settings
from blood.stock.models import BloodTestResult

MARKER_LABELS: dict[str, Any] = {
    "alt": _l("ALT"),
    "hbsag": "HBsAg",
    "anti_hcv": "anti-HCV",
    "anti_hiv": "anti-HIV",
    "syphilis": _l("Syphilis"),
    "nat": _l("NAT (HBV, HCV, HIV nucleic acid)"),
}
RESULT_WORDS = {
    "negative": _l("Negative"),
    "reactive": _l("Reactive"),
    "within_limit": _l("Within limit"),
    "above_limit": _l("Above limit"),
}
QUALITATIVE_VALUES = ("negative", "reactive")


def marker_label(code: str) -> str:
    return str(MARKER_LABELS.get(code, code.replace("_", "-")))


def lab_markers(*, session: Session) -> tuple[str, ...]:
    """The markers this deployment's laboratory must report before release."""
    return settings.of(session).blood_lab_markers


def alt_limit(*, session: Session) -> float:
    return settings.of(session).blood_alt_max_u_l


def results_of(session: Session, donation_ids: list[int]) -> dict[int, dict[str, BloodTestResult]]:
    """``{donation id: {marker: result}}`` for these donations (one query)."""
    found: dict[int, dict[str, BloodTestResult]] = {i: {} for i in donation_ids}
    if donation_ids:
        for row in session.exec(
            select(BloodTestResult).where(BloodTestResult.donation_id.in_(donation_ids))
        ).all():
            found[row.donation_id][row.marker] = row
    return found
