"""Reads for the CSV exports that a page shows one page of: every alert of a filter, not only
the first fifty (a bounded number, so an export is never unbounded)."""

from __future__ import annotations

from sqlmodel import Session

from blood.accounts.scoping import Actor
from blood.pagination import MAX_PAGE_SIZE, PageRequest
from blood.supervision.service.alerts import ACTIVE, AlertView, list_alerts

EXPORT_LIMIT = 10_000


def alerts_for_export(
    *,
    session: Session,
    actor: Actor,
    status: str = ACTIVE,
    severity: str | None = None,
    organisation_code: str | None = None,
    limit: int = EXPORT_LIMIT,
) -> list[AlertView]:
    """The alerts ``list_alerts`` would list, all of them (up to `limit`), in its order."""
    found: list[AlertView] = []
    number = 1
    while len(found) < limit:
        page = list_alerts(
            session=session,
            actor=actor,
            page=PageRequest(number, MAX_PAGE_SIZE),
            status=status,
            severity=severity,
            organisation_code=organisation_code,
        )
        found += page.items
        if not page.has_next:
            break
        number += 1
    return found[:limit]
