"""The outbox against real HTTP receivers on loopback: retried with backoff until delivered,
exactly once; dead after the last attempt; a delivery whose sender died in flight sent again
after its lease and deduplicated by the receiver; claimed once however many senders ask;
signed so that a receiver can check who sent it and when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from blood import settings
from blood.accounts.scoping import Actor
from blood.supervision.formats import native
from blood.supervision.models import Delivery, Summary
from blood.supervision.service import delivery as outbox
from blood.supervision.service.summaries import write_summaries
from blood.supervision.service.targets import TargetInput, create_target
from tests.supervision.push_helpers import Receiver, always, fails_then_keeps, keeps

SYSTEM = Actor.system("tests")
SECRET = "a-shared-secret-of-32-characters"


@pytest.fixture
def pushed(app, session, world):
    """A factory: a native target of the province at `url`, and yesterday's summaries
    written; returns the province's delivery."""

    def make(url: str, secret: str = SECRET) -> Delivery:
        with app.app_context():
            create_target(
                session=session,
                actor=SYSTEM,
                authority_code="ZJ",
                data=TargetInput(name="ministry", url=url, format="native", secret=secret),
            )
            write_summaries(session=session, actor=SYSTEM, kind="daily", now=datetime.now(UTC))
            session.commit()
        return session.exec(select(Delivery)).one()

    return make


def _run(app, session, now: datetime) -> outbox.DeliveryRun:
    with app.app_context():
        return outbox.deliver_due(session=session, actor=SYSTEM, now=now)


def _reload(session, delivery: Delivery) -> Delivery:
    session.expire_all()
    return session.get(Delivery, delivery.id)


def _until_settled(app, session, delivery: Delivery, rounds: int = 12) -> Delivery:
    """Run the outbox at each next attempt's time until the delivery settles."""
    now = datetime.now(UTC)
    for _ in range(rounds):
        _run(app, session, now)
        delivery = _reload(session, delivery)
        if delivery.state in ("delivered", "dead"):
            return delivery
        assert delivery.state == "pending"
        assert delivery.next_attempt_at > now, "a failed attempt is retried later"
        now = delivery.next_attempt_at
    return delivery


def test_the_backoff_doubles_with_jitter_up_to_its_ceiling():
    low = [outbox.backoff(n, base=60, ceiling=3600, rand=lambda: 0.0) for n in (1, 2, 3, 10)]
    high = [outbox.backoff(n, base=60, ceiling=3600, rand=lambda: 1.0) for n in (1, 2, 3, 10)]
    assert [d.total_seconds() for d in high] == [60, 120, 240, 3600]
    assert [d.total_seconds() for d in low] == [30, 60, 120, 1800]


def test_a_receiver_that_fails_three_times_gets_the_summary_exactly_once(app, session, pushed):
    with Receiver(fails_then_keeps(3), secret=SECRET) as receiver:
        delivery = _until_settled(app, session, pushed(receiver.url))
        assert delivery.state == "delivered"
        assert delivery.attempts == 4
        assert len(receiver.requests) == 4
        assert len(receiver.kept) == 1 and receiver.duplicates == 0
        # Delivered is never sent again, however often the outbox runs.
        for later in (1, 2, 30):
            _run(app, session, datetime.now(UTC) + timedelta(days=later))
        assert len(receiver.requests) == 4
    summary = session.get(Summary, delivery.summary_id)
    (key,) = receiver.kept
    assert key == summary.uid
    assert receiver.kept[key]["authority"]["code"] == "ZJ"
    assert delivery.delivered_at is not None and delivery.last_status == 200


def test_every_attempt_carries_the_same_key_and_a_fresh_valid_signature(app, session, pushed):
    with Receiver(fails_then_keeps(1), secret=SECRET) as receiver:
        _until_settled(app, session, pushed(receiver.url))
    (first, _), (second, body) = receiver.requests
    assert first[native.IDEMPOTENCY_KEY] == second[native.IDEMPOTENCY_KEY]
    assert second[native.SENDER] == "ZJ"
    assert second[native.SIGNATURE].startswith("sha256=")
    native.verify(second, body, SECRET, datetime.now(UTC))
    with pytest.raises(native.SignatureError):
        native.verify(second, body, "another-secret-entirely-32-chars", datetime.now(UTC))
    with pytest.raises(native.SignatureError):
        native.verify(second, body + b" ", SECRET, datetime.now(UTC))
    with pytest.raises(native.SignatureError, match="window"):
        native.verify(second, body, SECRET, datetime.now(UTC) + timedelta(minutes=6))


def test_a_receiver_that_stays_down_sends_the_delivery_to_dead(app, session, pushed):
    maximum = settings.of(session).push_max_attempts
    with Receiver(always(503)) as receiver:
        delivery = _until_settled(app, session, pushed(receiver.url))
        assert delivery.state == "dead"
        assert delivery.attempts == maximum
        assert len(receiver.requests) == maximum
        assert delivery.last_status == 503 and "503" in delivery.last_error
        _run(app, session, datetime.now(UTC) + timedelta(days=30))  # dead stays dead
        assert len(receiver.requests) == maximum


def test_a_receiver_that_does_not_answer_is_a_failed_attempt(app, session, pushed):
    with Receiver(keeps) as receiver:
        url = receiver.url
    delivery = _until_settled(app, session, pushed(url), rounds=1)  # the port is closed now
    assert delivery.state == "pending" and delivery.attempts == 1
    assert delivery.last_status is None and delivery.last_error.startswith("no answer")


def test_a_delivery_whose_sender_died_in_flight_is_sent_again_after_its_lease(app, session, pushed):
    lease = timedelta(seconds=settings.of(session).push_lease_seconds)
    with Receiver(keeps, secret=SECRET) as receiver:
        delivery = pushed(receiver.url)
        summary = session.get(Summary, delivery.summary_id)
        # The dead process had claimed it and its request had reached the receiver.
        receiver.kept[summary.uid] = dict(summary.document)
        now = datetime.now(UTC)
        delivery.state, delivery.attempts, delivery.last_attempt_at = "in_flight", 1, now
        session.add(delivery)
        session.commit()
        assert _run(app, session, now + lease / 2).claimed == 0, "still within its lease"
        assert receiver.requests == []
        run = _run(app, session, now + lease + timedelta(seconds=1))
        assert run.claimed == 1 and run.delivered == 1
        delivery = _reload(session, delivery)
        assert delivery.state == "delivered" and delivery.attempts == 2
        assert len(receiver.requests) == 1
        assert len(receiver.kept) == 1 and receiver.duplicates == 1


def test_a_delivery_is_claimed_once_however_many_senders_ask(app, session, pushed):
    delivery = pushed("http://127.0.0.1:9/never")
    now = datetime.now(UTC)
    lease = timedelta(seconds=300)
    with app.app_context():
        first = outbox._claim(session, delivery.id, now, lease)
        second = outbox._claim(session, delivery.id, now, lease)
    assert first is not None and second is None
    assert _reload(session, delivery).state == "in_flight"


def test_an_inactive_target_is_not_sent_to(app, session, pushed):
    with Receiver(keeps) as receiver:
        delivery = pushed(receiver.url)
        from blood.supervision.models import PushTarget

        target = session.get(PushTarget, delivery.target_id)
        target.active = False
        session.add(target)
        session.commit()
        assert _run(app, session, datetime.now(UTC)).claimed == 0
        assert receiver.requests == []


def test_the_cli_runs_the_outbox_once(app, session, runner, pushed):
    with Receiver(keeps, secret=SECRET) as receiver:
        pushed(receiver.url)
        result = runner.invoke(args=["blood", "deliver"])
        assert result.exit_code == 0, result.output
        assert "1 delivered" in result.output
        assert len(receiver.kept) == 1
