"""Donor retention: of the donors who first gave in a month (a cohort), the share who came
back within 6 and within 12 months — plasma at the stations, whole blood at the blood centres,
each organisation's own first-time donors.

A donor's first donation is their first of that kind at that organisation, ever; their return
is their next donation of the same kind there. A cohort's share is shown only once its window
has passed for every donor of the month (a share counted early would understate the return).
Collecting organisations read their own cohorts; authorities read the organisations of their
tree and the total of the tree — counts only, never a donor.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind, Role
from blood.accounts.scoping import Actor, Duty, visible_org_ids
from blood.db import utcnow
from blood.errors import Forbidden
from blood.plasma.models import Collection
from blood.stock.models import BloodDonation

KINDS = ("plasma", "whole_blood")
WINDOWS = (6, 12)  # months
MONTH_DAYS = {6: 183, 12: 365}  # a window of months, in days
DEFAULT_MONTHS, MAX_MONTHS = 18, 36  # cohorts shown: the last months before this one

# Collecting organisations' staff who read their donors' retention; an authority's inspectors
# and administrators read their tree's.
READ_RETENTION = Duty(
    (Role.REGISTRAR, Role.PHYSICIAN, Role.QUALITY, Role.ORG_ADMIN, Role.INSPECTOR)
)
_KIND_OF_ORG = {OrgKind.PLASMA_STATION: "plasma", OrgKind.BLOOD_CENTRE: "whole_blood"}


def may_read_retention(actor: Actor | None) -> bool:
    return (
        actor is not None
        and actor.organisation_kind in (*_KIND_OF_ORG, OrgKind.AUTHORITY)
        and READ_RETENTION.allows(actor)
    )


@dataclass(frozen=True)
class Cohort:
    """The donors who first gave in ``month``; ``back[6]`` of them gave again within six
    months (None: the six months have not passed for all of them yet)."""

    month: date
    donors: int
    back: dict[int, int | None]

    def share(self, months: int) -> float | None:
        returned = self.back.get(months)
        return None if returned is None or not self.donors else returned / self.donors


@dataclass(frozen=True)
class OrganisationRetention:
    organisation: Organisation
    kind: str
    cohorts: list[Cohort]

    @property
    def donors(self) -> int:
        return sum(c.donors for c in self.cohorts)

    def overall(self, months: int) -> float | None:
        """The share back within ``months`` over the cohorts whose window has passed."""
        done = [c for c in self.cohorts if c.back.get(months) is not None]
        donors = sum(c.donors for c in done)
        return sum(c.back[months] or 0 for c in done) / donors if donors else None


@dataclass(frozen=True)
class RetentionReport:
    kind: str
    months: list[date]  # the cohorts' months, oldest first
    organisations: list[OrganisationRetention]
    total: OrganisationRetention | None  # an authority's tree, summed; None for one org
    kinds: tuple[str, ...] = field(default=KINDS)  # those the reader may choose


def _sources(kind: str):
    if kind == "plasma":
        return Collection.station_id, Collection.donor_id, Collection.started_at
    return BloodDonation.centre_id, BloodDonation.donor_id, BloodDonation.collected_at


def _month_start(day: date, back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def _firsts_and_returns(
    session: Session, kind: str, org_ids: list[int], since: datetime
) -> list[tuple[int, datetime, datetime | None]]:
    """(organisation, first donation, next donation or None) of each donor whose first
    donation of the kind at an organisation was on or after ``since``: one statement, the
    donations numbered per donor and organisation."""
    org_col, donor_col, at_col = _sources(kind)
    statement = select(
        org_col.label("org_id"),
        donor_col.label("donor_id"),
        at_col.label("at"),
        sa.func.row_number().over(partition_by=(org_col, donor_col), order_by=at_col).label("n"),
    ).where(org_col.in_(org_ids))
    if kind == "whole_blood":
        statement = statement.where(BloodDonation.kind == "whole_blood")
    ranked = statement.subquery()
    first, second = ranked.alias("first_donation"), ranked.alias("next_donation")
    rows = session.execute(
        select(first.c.org_id, first.c.at, second.c.at)
        .outerjoin(
            second,
            sa.and_(
                second.c.org_id == first.c.org_id,
                second.c.donor_id == first.c.donor_id,
                second.c.n == 2,
            ),
        )
        .where(first.c.n == 1, first.c.at >= since)
    ).all()
    return [(org_id, first_at, next_at) for org_id, first_at, next_at in rows]


def _cohorts(
    rows: list[tuple[datetime, datetime | None]], months: list[date], zone: ZoneInfo, now: datetime
) -> list[Cohort]:
    donors: dict[date, int] = defaultdict(int)
    back: dict[tuple[date, int], int] = defaultdict(int)
    for first_at, next_at in rows:
        local = first_at.astimezone(zone).date()
        month = local.replace(day=1)
        donors[month] += 1
        for window in WINDOWS:
            if next_at is not None and next_at - first_at <= timedelta(days=MONTH_DAYS[window]):
                back[(month, window)] += 1
    today = now.astimezone(zone).date()
    cohorts = []
    for month in months:
        last_day = _month_start(month, -1) - timedelta(days=1)
        cohorts.append(
            Cohort(
                month,
                donors[month],
                {
                    w: back[(month, w)]
                    if last_day + timedelta(days=MONTH_DAYS[w]) < today
                    else None
                    for w in WINDOWS
                },
            )
        )
    return cohorts


def _sum(
    organisation: Organisation, kind: str, months: list[date], parts: list[OrganisationRetention]
) -> OrganisationRetention:
    cohorts = []
    for i, month in enumerate(months):
        column = [p.cohorts[i] for p in parts]
        cohorts.append(
            Cohort(
                month,
                sum(c.donors for c in column),
                {
                    w: None
                    if not column or any(c.back[w] is None for c in column)
                    else sum(c.back[w] or 0 for c in column)
                    for w in WINDOWS
                },
            )
        )
    return OrganisationRetention(organisation, kind, cohorts)


def retention(
    *,
    session: Session,
    actor: Actor,
    kind: str | None = None,
    months: int = DEFAULT_MONTHS,
    now: datetime | None = None,
) -> RetentionReport:
    """The retention of the actor's own donors (a station's plasma donors, a centre's
    whole-blood donors), or, for an authority, of each collecting organisation of its tree and
    of the tree: the ``months`` cohorts before this month, oldest first."""
    if not may_read_retention(actor):
        raise Forbidden()
    months = max(1, min(months, MAX_MONTHS))
    now = now or utcnow()
    own_kind = _KIND_OF_ORG.get(actor.organisation_kind)
    kind = own_kind or (kind if kind in KINDS else KINDS[0])
    org_kind = OrgKind.PLASMA_STATION if kind == "plasma" else OrgKind.BLOOD_CENTRE
    organisations = list(
        session.exec(
            select(Organisation)
            .where(Organisation.kind == org_kind, Organisation.id.in_(visible_org_ids(actor)))
            .order_by(Organisation.code)
        ).all()
    )
    if own_kind:
        organisations = [o for o in organisations if o.id == actor.organisation_id]
    zone = ZoneInfo(organisations[0].timezone if organisations else "Asia/Shanghai")
    this_month = now.astimezone(zone).date().replace(day=1)
    cohort_months = [_month_start(this_month, back) for back in range(months, 0, -1)]
    since = datetime.combine(cohort_months[0], datetime.min.time(), zone)
    by_org: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    if organisations:
        for org_id, first_at, next_at in _firsts_and_returns(
            session, kind, [o.id for o in organisations], since
        ):
            by_org[org_id].append((first_at, next_at))
    # A first donation this month belongs to no cohort shown yet (``_cohorts`` skips it).
    rows = [
        OrganisationRetention(
            o, kind, _cohorts(by_org[o.id], cohort_months, ZoneInfo(o.timezone), now)
        )
        for o in organisations
    ]
    total = None
    if not own_kind:
        authority = session.get(Organisation, actor.organisation_id)
        total = _sum(authority, kind, cohort_months, rows) if authority is not None else None
    return RetentionReport(
        kind=kind,
        months=cohort_months,
        organisations=rows,
        total=total,
        kinds=(own_kind,) if own_kind else KINDS,
    )
