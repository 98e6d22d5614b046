"""What every part of supervision shares: a local day's bounds, the organisations computed
together (one time zone, one day), the facts being gathered, and who may read what."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind, Role
from blood.accounts.scoping import Actor, can_see_org, require_role
from blood.errors import Forbidden, NotFound
from blood.supervision.indicators import INDICATORS, key_of

# The organisations indicators are computed for (authorities roll them up; manufacturers
# have none yet).
COMPUTED_KINDS = (OrgKind.PLASMA_STATION, OrgKind.BLOOD_CENTRE, OrgKind.HOSPITAL)


def day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    """The UTC instants a local day begins and ends (exclusive) in `zone`."""
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz).astimezone(UTC)
    return start, end


def local_date(at: datetime, zone: str) -> date:
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(zone)).date()


@dataclass(frozen=True)
class DayWindow:
    """One local day of the organisations of one time zone, as computed at `now`."""

    day: date
    zone: str
    start: datetime
    end: datetime
    now: datetime
    organisations: tuple[Organisation, ...]

    @classmethod
    def of(cls, day: date, zone: str, now: datetime, organisations: Iterable[Organisation]):
        start, end = day_bounds(day, zone)
        return cls(day, zone, start, end, now, tuple(organisations))

    @property
    def is_today(self) -> bool:
        return self.start <= self.now < self.end

    @property
    def snapshot_at(self) -> datetime:
        """The instant the day's snapshots describe: its end, or now for today."""
        return min(self.end, self.now)

    def ids(self, *kinds: str) -> list[int]:
        return [o.id for o in self.organisations if o.kind in kinds]


@dataclass
class Facts:
    """The facts of one window, summed as sources add them: ``{(organisation, indicator,
    key): [numerator, denominator]}``."""

    rows: dict[tuple[int, str, str], list] = field(default_factory=lambda: defaultdict(list))

    def add(
        self,
        organisation_id: int,
        code: str,
        values: Iterable[object] = (),
        numerator: float = 0,
        denominator: float | None = None,
        *,
        total: bool = True,
    ) -> None:
        """Add to the breakdown row of `values` and, unless `total` is False, to the total
        row. A rate's breakdown rows keep a denominator only when the indicator divides each
        by its own (``own_denominators``)."""
        indicator = INDICATORS[code]
        values = tuple(values)
        if values:
            own = denominator if indicator.own_denominators else None
            self._add((organisation_id, code, key_of(values)), numerator, own)
        if total or not values:
            self._add((organisation_id, code, ""), numerator, denominator)

    def ensure(self, organisation_id: int, code: str, denominator: float | None = None) -> None:
        """The total row exists (zero if nothing was added): a snapshot or a rate says
        "none" rather than "not computed"."""
        self._add((organisation_id, code, ""), 0, denominator)

    def _add(self, key: tuple[int, str, str], numerator: float, denominator: float | None):
        row = self.rows.get(key)
        if row is None:
            self.rows[key] = [numerator, denominator]
            return
        row[0] += numerator
        if denominator is not None:
            row[1] = (row[1] or 0) + denominator

    def records(self, day: date, computed_at: datetime) -> list[dict]:
        return [
            {
                "organisation_id": org,
                "day": day,
                "indicator": code,
                "breakdown": key,
                "numerator": round(float(num), 6),
                "denominator": None if den is None else round(float(den), 6),
                "computed_at": computed_at,
            }
            for (org, code, key), (num, den) in self.rows.items()
        ]


# --- who may read what ---------------------------------------------------------------------


def reading_organisation(session: Session, actor: Actor, code: str | None) -> Organisation:
    """The organisation whose indicators the actor asks for (default: its own). An
    inspector of an authority may read anything in its jurisdiction; any other organisation
    only itself. Out of scope is "not found", so existence is not revealed."""
    if actor.is_system:
        if code is None:
            raise NotFound()
        return _by_code(session, code)
    own = session.get(Organisation, actor.organisation_id) if actor.organisation_id else None
    if own is None:
        raise Forbidden()
    if own.kind == OrgKind.AUTHORITY:
        require_role(actor, Role.INSPECTOR)
    if code is None or code.upper() == own.code:
        return own
    org = _by_code(session, code)
    if own.kind != OrgKind.AUTHORITY or not can_see_org(actor, org):
        raise NotFound(code=code)
    return org


def require_inspector(session: Session, actor: Actor) -> Organisation | None:
    """Alerts are the authorities' (their inspectors'); the system sees all (None)."""
    if actor.is_system:
        return None
    own = session.get(Organisation, actor.organisation_id) if actor.organisation_id else None
    if own is None or own.kind != OrgKind.AUTHORITY:
        raise Forbidden()
    require_role(actor, Role.INSPECTOR)
    return own


def _by_code(session: Session, code: str) -> Organisation:
    org = session.exec(select(Organisation).where(Organisation.code == code.upper())).first()
    if org is None:
        raise NotFound(code=code)
    return org


def subtree(session: Session, org: Organisation) -> list[Organisation]:
    """The organisation and everything below it (one indexed prefix query)."""
    if org.kind != OrgKind.AUTHORITY:
        return [org]
    return list(
        session.exec(
            select(Organisation).where(Organisation.path.startswith(org.path, autoescape=True))
        ).all()
    )
