"""Summaries: one per authority, kind and period (the period that just ended in the
authority's time zone), a document that follows docs/summary.schema.json, written with one
outbox row per active push target that takes its kind."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import jsonschema
import pytest
from sqlmodel import select

from blood.accounts.scoping import Actor
from blood.supervision.models import Delivery, PushTarget, Summary
from blood.supervision.service.summaries import period_ended, write_summaries
from blood.supervision.service.targets import TargetInput, create_target

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "summary.schema.json").read_text()
)
SYSTEM = Actor.system("tests")


def _write(app, session, kind="daily", now=None):
    with app.app_context():
        written = write_summaries(
            session=session, actor=SYSTEM, kind=kind, now=now or datetime.now(UTC)
        )
        session.commit()
    return written


def _target(app, session, authority="ZJ", name="national", kinds=("daily",), fmt="native"):
    with app.app_context():
        target = create_target(
            session=session,
            actor=SYSTEM,
            authority_code=authority,
            data=TargetInput(
                name=name,
                url="http://127.0.0.1:9/receive",
                format=fmt,
                summary_kinds=kinds,
                secret="s" * 32,
            ),
        )
        session.commit()
    return target


def test_the_period_is_the_one_that_just_ended():
    monday = date(2026, 12, 7)
    assert period_ended("daily", monday).label == "2026-12-06"
    assert period_ended("weekly", monday).label == "2026-W49"  # 30 Nov – 6 Dec
    assert period_ended("monthly", monday).label == "2026-11"
    assert period_ended("monthly", date(2026, 1, 1)).label == "2025-12"


def test_every_authority_gets_one_summary_and_a_rerun_writes_nothing(
    app, session, world, transfuse, compute
):
    transfuse("H-HZ", 2)
    transfuse("H-WZ", 1)
    compute(evaluate=True)
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    assert _write(app, session, now=tomorrow) == 4  # ZJ, HZ, WZ, CA
    assert _write(app, session, now=tomorrow) == 0
    rows = session.exec(select(Summary)).all()
    assert sorted(s.document["authority"]["code"] for s in rows) == ["CA", "HZ", "WZ", "ZJ"]
    province = next(s for s in rows if s.document["authority"]["code"] == "ZJ")
    figures = {f["code"]: f for f in province.document["indicators"]}
    assert figures["transfusions"]["value"] == 3
    parts = figures["transfusions"]["breakdowns"]
    assert sum(p["numerator"] for p in parts) == 3
    assert all(p["values"]["component"] == "red_cells" for p in parts)
    assert all(p["key"] == f"red_cells|{p['values']['department']}" for p in parts)
    city = next(s for s in rows if s.document["authority"]["code"] == "WZ")
    assert {f["code"]: f for f in city.document["indicators"]}["transfusions"]["value"] == 1


def test_the_document_follows_its_schema(app, session, world, transfuse, in_stock, compute):
    transfuse("H-HZ", 2)
    in_stock("H-HZ", 2, abo="A")
    compute(evaluate=True)
    _write(app, session, now=datetime.now(UTC) + timedelta(days=1))
    _write(app, session, kind="weekly")
    _write(app, session, kind="monthly")
    documents = [s.document for s in session.exec(select(Summary)).all()]
    assert len(documents) == 12
    validator = jsonschema.Draft202012Validator(
        SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    for document in documents:
        errors = sorted(validator.iter_errors(document), key=str)
        assert not errors, errors[:3]
    province = next(
        d for d in documents if d["authority"]["code"] == "ZJ" and d["period"]["kind"] == "daily"
    )
    assert province["alerts"]["total"] > 0  # stock below its minimum at the hospitals
    assert province["audit_heads"], "no audit chain heads"
    assert province["period"]["dhis2"] == province["period"]["label"].replace("-", "")


def test_a_summary_is_written_with_one_delivery_per_active_target_of_its_kind(app, session, world):
    daily = _target(app, session, name="daily")
    _target(app, session, name="weekly-only", kinds=("weekly",))
    gone = _target(app, session, name="retired")
    gone.active = False
    session.add(gone)
    _target(app, session, authority="HZ", name="city")
    session.commit()
    _write(app, session)
    deliveries = session.exec(select(Delivery)).all()
    targets = {t.id: t.name for t in session.exec(select(PushTarget)).all()}
    assert sorted(targets[d.target_id] for d in deliveries) == ["city", "daily"]
    province_delivery = next(d for d in deliveries if d.target_id == daily.id)
    summary = session.get(Summary, province_delivery.summary_id)
    assert summary.document["authority"]["code"] == "ZJ"
    assert province_delivery.state == "pending"
    _write(app, session)  # again: no new summary, so no new delivery
    assert len(session.exec(select(Delivery)).all()) == 2


def test_only_the_system_writes_summaries(app, session, world):
    from blood.errors import Forbidden

    user = Actor.for_organisation("user", 1, "p.admin", world.org("ZJ"), ["org_admin"])
    with app.app_context(), pytest.raises(Forbidden):
        write_summaries(session=session, actor=user, kind="daily", now=datetime.now(UTC))


def test_the_cli_writes_summaries(runner, world):
    result = runner.invoke(args=["blood", "write-summaries", "--kind", "weekly"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("4 weekly summaries written")


def _to_urumqi(app, session, world, code="WZ"):
    with app.app_context():
        authority = world.org(code)
        authority.timezone = "Asia/Urumqi"  # UTC+6: two hours behind Shanghai
        session.add(authority)
        session.commit()


def _written_codes(session) -> list[str]:
    session.expire_all()
    return sorted(s.document["authority"]["code"] for s in session.exec(select(Summary)).all())


def test_a_zone_filter_writes_only_the_authorities_of_that_zone(app, session, world):
    _to_urumqi(app, session, world)
    shanghai_six = datetime(2026, 12, 6, 22, 0, tzinfo=UTC)  # 06:00 on the 7th in Shanghai
    with app.app_context():
        written = write_summaries(
            session=session, actor=SYSTEM, kind="daily", now=shanghai_six, zone="Asia/Shanghai"
        )
        session.commit()
    assert written == 3
    assert _written_codes(session) == ["CA", "HZ", "ZJ"]  # not WZ, in Urumqi
    with app.app_context():
        written = write_summaries(
            session=session, actor=SYSTEM, kind="daily", now=shanghai_six, zone="Asia/Urumqi"
        )
        session.commit()
    assert written == 1
    assert _written_codes(session) == ["CA", "HZ", "WZ", "ZJ"]


def test_at_shanghais_six_oclock_the_scheduler_writes_nothing_for_another_zone(app, session, world):
    from blood.supervision.scheduler import jobs
    from blood.supervision.scheduler.config import SchedulerConfig

    _to_urumqi(app, session, world)
    config = SchedulerConfig(summary_at=time(6, 0))
    shanghai_six = datetime(2026, 12, 6, 22, 0, tzinfo=UTC)  # 04:00 in Urumqi
    with app.app_context():
        due = jobs.summaries_due(session, shanghai_six, config)
        assert {d.period_key.split("|")[1] for d in due} == {"Asia/Shanghai"}
        for job in due:
            job.work(session, shanghai_six)
        session.commit()
    codes = _written_codes(session)
    assert "WZ" not in codes
    assert sorted(set(codes)) == ["CA", "HZ", "ZJ"]
