"""The synthetic province (``blood.synth``) at a tiny scale: reproducible from its seed, its
rates the configured ones (within binomial tolerance), and rows that ``compute_indicators``
reads as the generator wrote them."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import select

from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind
from blood.accounts.scoping import Actor
from blood.clinical.models import AdverseReaction, Transfusion
from blood.donors.models import Deferral, Donor
from blood.plasma.models import Collection
from blood.stock.models import BloodDonation, BloodTestResult, UnitMovement
from blood.supervision.models import IndicatorFact
from blood.supervision.service.compute import compute_indicators
from blood.synth.generate import generate
from blood.synth.people import GROUP_SHARES, GROUPS
from blood.synth.rates import Rates, with_overrides
from blood.synth.writer import COLUMNS

END = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)  # noon in Zhejiang
SCALE, YEARS = 0.01, 0.1  # 2 stations, 2 centres, 4 hospitals; 37 days


def _generate(app, session, *, seed="7", rates=None):
    with app.app_context():
        return generate(session, years=YEARS, seed=seed, scale=SCALE, end=END, rates=rates)


def _counts(session) -> dict[str, int]:
    return {
        name: session.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar_one()
        for name in COLUMNS
    }


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _within(measured: float, expected: float, n: int, *, sigmas: float = 4.0) -> bool:
    """Within `sigmas` binomial standard deviations of the expected share (n trials)."""
    return abs(measured - expected) <= sigmas * math.sqrt(expected * (1 - expected) / n)


def test_same_seed_same_rows_twice(app, session):
    first = session.begin_nested()
    one = _generate(app, session)
    counts_one = _counts(session)
    groups_one = session.exec(
        select(Donor.abo, Donor.rhd, sa.func.count()).group_by(Donor.abo, Donor.rhd)
    ).all()
    first.rollback()
    assert _counts(session)["donor"] == 0
    second = session.begin_nested()
    two = _generate(app, session)
    groups_two = session.exec(
        select(Donor.abo, Donor.rhd, sa.func.count()).group_by(Donor.abo, Donor.rhd)
    ).all()
    assert _counts(session) == counts_one
    assert one.rows == two.rows
    assert sorted(groups_one) == sorted(groups_two)
    assert counts_one["plasma_collection"] > 500 and counts_one["clinical_transfusion"] > 300
    second.rollback()
    third = session.begin_nested()
    other = _generate(app, session, seed="8")
    assert other.rows != one.rows  # another seed, another history
    third.rollback()


def test_rates_are_the_configured_ones(app, session):
    rates = with_overrides(
        Rates(),
        [
            "adverse_reaction=0.05",
            "marker_reactive.hbsag=0.05",
            "repeat_donor_marker_factor=1",
            "whole_blood_screen_fail=0.2",
            "discard_at_hospital.red_cells=0.1",
        ],
    )
    _generate(app, session, rates=rates)
    # Blood groups of the donors: the Chinese frequencies.
    donors = dict(
        ((abo, rhd), n)
        for abo, rhd, n in session.exec(
            select(Donor.abo, Donor.rhd, sa.func.count()).group_by(Donor.abo, Donor.rhd)
        ).all()
    )
    total = sum(donors.values())
    for group, share in zip(GROUPS, GROUP_SHARES, strict=True):
        expected = share / sum(GROUP_SHARES)
        assert _within(donors.get(group, 0) / total, expected, total), group
    # HBsAg reactive among the blood centres' HBsAg results.
    hbsag = session.exec(
        select(BloodTestResult.result, sa.func.count())
        .where(BloodTestResult.marker == "hbsag")
        .group_by(BloodTestResult.result)
    ).all()
    results = dict(hbsag)
    tested = sum(results.values())
    assert _within(results.get("reactive", 0) / tested, 0.05, tested)
    # Screening deferrals among the centres' first visits (every donor is new in 37 days).
    centres = select(Organisation.id).where(Organisation.kind == OrgKind.BLOOD_CENTRE)
    deferred = session.exec(
        select(sa.func.count()).where(
            Deferral.station_id.in_(centres), Deferral.source == "screening"
        )
    ).one()
    donating = session.exec(select(sa.func.count(sa.distinct(BloodDonation.donor_id)))).one()
    visits = deferred + donating
    assert _within(deferred / visits, 0.2, visits)
    # Hospital wastage: red cells received (a week before the end, so their story is told)
    # and then discarded at the hospital.
    moves = session.exec(
        select(UnitMovement.unit_id, UnitMovement.action, UnitMovement.at)
        .where(UnitMovement.component == "red_cells")
        .order_by(UnitMovement.unit_id, UnitMovement.at, UnitMovement.id)
    ).all()
    received = discarded = 0
    for (unit, action, at), following in zip(moves, [*moves[1:], (None, None, None)], strict=True):
        if action == "receive" and _utc(at) < END - timedelta(days=7):
            received += 1
            discarded += following[0] == unit and following[1] == "discard"
    assert _within(discarded / received, 0.1, received)
    # Adverse reactions per transfusion (the few recorded after the end are not yet there).
    transfusions = session.exec(select(sa.func.count()).select_from(Transfusion)).one()
    reactions = session.exec(select(sa.func.count()).select_from(AdverseReaction)).one()
    assert _within(reactions / transfusions, 0.05, transfusions)


def test_indicators_of_a_synthetic_day_match_its_rows(app, session):
    result = _generate(app, session)
    day = result.last - timedelta(days=1)  # the last whole day
    with app.app_context():
        computed = compute_indicators(
            session=session, actor=Actor.system(), day=day, days=1, now=END
        )
    assert computed.facts > 0
    zone = ZoneInfo("Asia/Shanghai")
    start = datetime.combine(day, datetime.min.time(), zone).astimezone(UTC)
    end = start + timedelta(days=1)

    def fact(indicator: str) -> dict[int, float]:
        rows = session.exec(
            select(IndicatorFact.organisation_id, IndicatorFact.numerator).where(
                IndicatorFact.day == day,
                IndicatorFact.indicator == indicator,
                IndicatorFact.breakdown == "",
            )
        ).all()
        return {org: value for org, value in rows if value}

    def counted(column, owner) -> dict[int, float]:
        rows = session.execute(
            select(owner, sa.func.count()).where(column >= start, column < end).group_by(owner)
        ).all()
        return {org: float(n) for org, n in rows}

    plasma = counted(Collection.started_at, Collection.station_id)
    assert plasma and fact("plasma_donations") == plasma
    collections = counted(BloodDonation.collected_at, BloodDonation.centre_id)
    assert collections and fact("blood_collections") == collections
    transfusions = counted(Transfusion.started_at, Transfusion.hospital_id)
    assert transfusions and fact("transfusions") == transfusions
    issued = session.execute(
        select(UnitMovement.organisation_id, sa.func.count())
        .where(UnitMovement.action == "issue", UnitMovement.at >= start, UnitMovement.at < end)
        .group_by(UnitMovement.organisation_id)
    ).all()
    assert issued and fact("units_issued") == {org: float(n) for org, n in issued}
