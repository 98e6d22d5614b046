"""Where a donor's donations come from: every package that records donations adds a function
here, so the donor registry sees the whole history without importing any of them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlmodel import Session

from blood.donors import rules
from blood.donors.models import Donor

# The plasma station and the blood centre append a function listing a donor's past donations
# as rules.PastDonation (with the organisation where each was given), when their service
# package is imported.
HISTORY_SOURCES: list[Callable[[Session, Donor], Iterable[rules.PastDonation]]] = []


def donations_of(session: Session, donor: Any) -> list[rules.PastDonation]:
    """Every donation of the donor at any station or blood centre, oldest first."""
    found: list[rules.PastDonation] = []
    for source in HISTORY_SOURCES:
        found.extend(source(session, donor))
    return sorted(found, key=lambda d: d.on)


def organisations_donated_at(session: Session, donor: Donor) -> set[int]:
    """The organisations where the donor has given anything."""
    return {d.organisation_id for d in donations_of(session, donor) if d.organisation_id}
