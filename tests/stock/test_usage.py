"""The write path of a unit's transition (what it costs in statements), and the daily usage
roll-up that stock levels read: the same figures as counting every movement of the window."""

from __future__ import annotations

import random
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import func, select

from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind
from blood.stock import service as stock
from blood.stock.lifecycle import Action, UnitState
from blood.stock.models import DailyUsage, Unit, UnitMovement
from tests.helpers import as_user
from tests.stock.helpers import act, received, use_settings

# --- what a transition costs -----------------------------------------------------------------


@contextmanager
def statements(session):
    """The SQL statements the session's connection sends inside the block."""
    seen: list[str] = []
    engine = session.connection().engine

    def record(_conn, _cursor, statement, _parameters, _context, _executemany):
        seen.append(" ".join(statement.split()))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _kinds(seen: list[str]) -> list[str]:
    """``UPDATE blood_unit``, ``INSERT INTO audit_log``…: each statement's verb and table."""
    kinds = []
    for statement in seen:
        words = statement.split()
        kinds.append(" ".join(words[:3] if words[0] == "INSERT" else words[:2]))
    return kinds


def _received_unit(session, world):
    """A unit in H-HZ's stock, everything the transition reads already loaded (as the
    services load it: the unit, the hospital, the actor)."""
    [unit] = received(session, world)
    hospital = world.org("H-HZ")
    actor = as_user(session, world, "hhz.officer")
    session.flush()
    session.refresh(unit)
    session.refresh(hospital)
    return unit, hospital, actor


def test_a_transfusion_changes_the_unit_in_one_statement_and_counts_its_use(app, session, world):
    with app.app_context():
        unit, hospital, actor = _received_unit(session, world)
        with statements(session) as seen:
            stock.transition(
                session=session,
                actor=actor,
                unit=unit,
                action=Action.TRANSFUSE,
                holder=hospital,
            )
            session.flush()
    # Before: UPDATE, then a SELECT to refresh the unit, then the movement and the audit row.
    # Now the UPDATE returns the row; the daily usage is one upsert; no SELECT at all.
    assert _kinds(seen) == [
        "UPDATE blood_unit",
        "INSERT INTO blood_unit_movement",
        "INSERT INTO blood_daily_usage",
        "INSERT INTO audit_log",
    ]
    assert "RETURNING" in seen[0] and "ON CONFLICT" in seen[2]
    assert not any(s.startswith("SELECT") for s in seen)
    # The instance carries the new row, and nothing is left for a later flush to write.
    assert unit.state == UnitState.TRANSFUSED and unit.updated_at > unit.collected_at
    assert unit not in session.dirty


def test_a_movement_that_is_not_use_costs_three_statements(app, session, world):
    with app.app_context():
        unit, hospital, actor = _received_unit(session, world)
        centre = session.get(Organisation, unit.centre_id)
        with statements(session) as seen:
            stock.transition(
                session=session,
                actor=actor,
                unit=unit,
                action=Action.RETURN,
                holder=hospital,
                new_owner=centre,
            )
            session.flush()
    assert _kinds(seen) == [
        "UPDATE blood_unit",
        "INSERT INTO blood_unit_movement",
        "INSERT INTO audit_log",
    ]
    assert (unit.state, unit.owner_id) == (UnitState.RETURNED, centre.id)


def test_a_lost_race_reads_the_unit_once_and_names_its_state(app, session, world):
    with app.app_context():
        unit, hospital, actor = _received_unit(session, world)
        # Another request transfused it meanwhile: this instance still says "received".
        session.execute(
            sa.update(Unit)
            .where(Unit.id == unit.id)
            .values(state=UnitState.TRANSFUSED)
            .execution_options(synchronize_session=False)
        )
        assert unit.state == UnitState.RECEIVED
        with statements(session) as seen, pytest.raises(stock.TransitionRefused) as refused:
            stock.transition(
                session=session,
                actor=actor,
                unit=unit,
                action=Action.TRANSFUSE,
                holder=hospital,
            )
        rows = session.exec(
            select(func.count()).where(DailyUsage.organisation_id == hospital.id)
        ).one()
    assert _kinds(seen) == ["UPDATE blood_unit", "SELECT blood_unit.id,"]
    assert "transfused" in refused.value.message
    assert rows == 0  # nothing counted for the refused transfusion (the issue is BC's)


# --- the roll-up -----------------------------------------------------------------------------


def _rolled_up(session) -> dict:
    return {
        (row.organisation_id, row.day, row.component, row.abo, row.rhd): row.units
        for row in session.exec(select(DailyUsage)).all()
    }


def test_issues_and_transfusions_are_counted_by_local_day(app, session, world):
    with app.app_context():
        [unit] = received(session, world)  # BC issued it to H-HZ
        act(session, world, unit, Action.TRANSFUSE)
        issued, transfused = (
            session.exec(
                select(UnitMovement).where(
                    UnitMovement.unit_id == unit.id, UnitMovement.action == action
                )
            ).one()
            for action in (Action.ISSUE, Action.TRANSFUSE)
        )
        counted = _rolled_up(session)
    bc, hhz = world.org("BC"), world.org("H-HZ")
    assert counted == {
        (bc.id, stock.local_day(issued.at, bc.timezone), "red_cells", "O", "+"): 1,
        (hhz.id, stock.local_day(transfused.at, hhz.timezone), "red_cells", "O", "+"): 1,
    }


def test_the_local_day_is_the_organisations():
    late = datetime(2026, 11, 20, 17, 30, tzinfo=UTC)  # 01:30 the next day in Shanghai
    assert stock.local_day(late, "Asia/Shanghai").isoformat() == "2026-11-21"
    assert stock.local_day(late, "Europe/Berlin").isoformat() == "2026-11-20"
    assert stock.local_day(late.replace(tzinfo=None), "UTC").isoformat() == "2026-11-20"


def test_whose_movements_are_use():
    assert stock.counts_as_use(Action.ISSUE, OrgKind.BLOOD_CENTRE)
    assert stock.counts_as_use("transfuse", "hospital")
    assert not stock.counts_as_use(Action.ISSUE, OrgKind.HOSPITAL)  # a transfer
    assert not stock.counts_as_use(Action.TRANSFUSE, OrgKind.BLOOD_CENTRE)
    assert not stock.counts_as_use(Action.RECEIVE, OrgKind.HOSPITAL)


def _usage_from_movements(session, scope, now: datetime, window: int) -> dict:
    """The usage as stock levels counted it before the roll-up: every movement of the
    window (the query it used, kept here as the reference)."""
    used = session.exec(
        select(UnitMovement.component, UnitMovement.abo, UnitMovement.rhd, func.count())
        .join(Organisation, Organisation.id == UnitMovement.organisation_id)
        .where(
            UnitMovement.organisation_id.in_(scope),
            UnitMovement.at > now - timedelta(days=window),
            sa.or_(
                sa.and_(
                    UnitMovement.action == Action.ISSUE, Organisation.kind == OrgKind.BLOOD_CENTRE
                ),
                sa.and_(
                    UnitMovement.action == Action.TRANSFUSE, Organisation.kind == OrgKind.HOSPITAL
                ),
            ),
        )
        .group_by(UnitMovement.component, UnitMovement.abo, UnitMovement.rhd)
    ).all()
    return {(c, a, r): n for c, a, r, n in used if a is not None and r is not None}


def _history(session, world, rng: random.Random, now: datetime, count: int) -> None:
    """`count` movements over the last 40 days (and a few after `now`), by every kind of
    organisation, of every kind of action, some without a group, each counted as
    ``transition`` counts it."""
    unit = session.exec(select(Unit)).first()
    codes = ["BC", "H-HZ", "H-WZ", "S-CA"]
    actions = [Action.ISSUE, Action.TRANSFUSE, Action.RECEIVE, Action.DISCARD, Action.RETURN]
    groups = [*stock.GROUPS, (None, None)]
    for _ in range(count):
        organisation = world.org(rng.choice(codes))
        abo, rhd = rng.choice(groups)
        movement = UnitMovement(
            unit_id=unit.id,
            action=rng.choice(actions).value,
            from_state="x",
            to_state="y",
            organisation_id=organisation.id,
            component=rng.choice(["red_cells", "plasma", "platelets", "cryo"]),
            abo=abo,
            rhd=rhd,
            at=now - timedelta(seconds=rng.randint(-3 * 86400, 40 * 86400)),
        )
        session.add(movement)
        stock.count_movement(session=session, movement=movement, organisation=organisation)
    session.flush()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_levels_from_the_roll_up_equal_levels_from_every_movement(app, session, world, seed):
    rng = random.Random(seed)
    # Three time zones: Shanghai (BC, the default), one with summer time, one at UTC-10.
    world.org("H-WZ").timezone = "Europe/Berlin"
    world.org("H-HZ").timezone = "Pacific/Honolulu"
    session.add_all([world.org("H-WZ"), world.org("H-HZ")])
    base = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)  # Berlin changes to summer time today
    with app.app_context():
        received(session, world, 2)
        act(session, world, session.exec(select(Unit)).first(), Action.TRANSFUSE)
        _history(session, world, rng, base, 600)
        # Local midnights, and instants a second either side of them, are the edges.
        shanghai_midnight = datetime(2026, 3, 28, 16, 0, tzinfo=UTC)
        berlin_midnight = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
        honolulu_midnight = datetime(2026, 3, 29, 10, 0, tzinfo=UTC)
        moments = [base, datetime.now(UTC)]
        for midnight in (shanghai_midnight, berlin_midnight, honolulu_midnight):
            moments += [midnight + timedelta(seconds=s) for s in (-1, 0, 1)]
        moments += [base - timedelta(seconds=rng.randint(0, 5 * 86400)) for _ in range(6)]
        inspector = as_user(session, world, "p.inspector")
        compared = 0
        for window in (1, 7, 28):
            use_settings(session, stock_usage_window_days=window)
            for now in moments:
                for scope in (
                    [world.org(c).id for c in ("ZJ", "BC", "H-HZ", "H-WZ", "S-CA")],
                    [world.org("H-WZ").id],
                    [world.org("H-HZ").id, world.org("BC").id, world.org("S-CA").id],
                ):
                    expected = _usage_from_movements(session, scope, now, window)
                    counted = stock.usage_in_window(
                        session=session, scope=scope, now=now, days=window
                    )
                    assert counted == expected, (window, now, scope)
                    compared += sum(expected.values())
                levels = stock.stock_levels(session=session, actor=inspector, now=now)
                used = _usage_from_movements(
                    session, [o.id for o in world.orgs.values()], now, window
                )
                for level in levels:
                    daily = used.get((level.component, level.abo, level.rhd), 0) / window
                    assert level.daily_usage == round(daily, 2), (window, now, level)
    assert compared > 2000  # the history is not empty where it is compared


def test_the_window_starts_to_the_second_inside_a_local_day(app, session, world):
    """The day the window starts in is counted from its movements after the cut-off; the
    roll-up row of that day (which holds the whole day) is not read."""
    now = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
    cutoff = now - timedelta(days=28)  # 23 October, 12:00 in Shanghai
    with app.app_context():
        [unit] = received(session, world)
        hhz = world.org("H-HZ")
        for at in (
            cutoff - timedelta(hours=12),  # 23 October 00:00 in Shanghai: before the window
            cutoff - timedelta(seconds=1),
            cutoff,  # the window is open at its start
            cutoff + timedelta(seconds=1),  # in the window, the part-day
            cutoff + timedelta(hours=12) - timedelta(seconds=1),  # 23:59:59, the part-day
            cutoff + timedelta(hours=12),  # 24 October 00:00: the first whole day
        ):
            movement = UnitMovement(
                unit_id=unit.id,
                action=Action.TRANSFUSE.value,
                from_state="received",
                to_state="transfused",
                organisation_id=hhz.id,
                component="red_cells",
                abo="O",
                rhd="+",
                at=at,
            )
            session.add(movement)
            stock.count_movement(session=session, movement=movement, organisation=hhz)
        days = {
            key[1].isoformat(): units
            for key, units in _rolled_up(session).items()
            if key[0] == hhz.id  # (BC's issue is BC's)
        }
        used = stock.usage_in_window(session=session, scope=[hhz.id], now=now, days=28)
        expected = _usage_from_movements(session, [hhz.id], now, 28)
    assert days == {"2026-10-23": 5, "2026-10-24": 1}
    assert used == expected == {("red_cells", "O", "+"): 3}
