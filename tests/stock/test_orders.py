"""Orders: what a hospital may order, and how the centre chooses the units to send."""

from __future__ import annotations

import pytest

from blood.errors import Conflict, NotFound, ValidationFailed
from blood.stock import service as stock
from blood.stock.lifecycle import UnitState
from blood.stock.models import Unit
from tests.conftest import csrf_token_of, login
from tests.helpers import as_user
from tests.stock.helpers import age, order, units_in_stock


def test_order_fefo_dispatch_and_receipt(app, session, world):
    with app.app_context():
        later, sooner, other_group = (
            units_in_stock(session, world, 1, first_serial=301)[0],
            units_in_stock(session, world, 1, first_serial=303)[0],
            units_in_stock(session, world, 1, first_serial=305, abo="A")[0],
        )
        age(session, sooner, hours=24)
        placed = order(session, world, quantity=1)
        clerk = as_user(session, world, "bc.clerk")
        suggestion = stock.fefo_suggestion(session=session, actor=clerk, order_id=placed.id)
        assert [u.id for u in next(iter(suggestion.values()))] == [sooner.id]
        with pytest.raises(ValidationFailed):  # A+ matches no line
            stock.fulfil_order(
                session=session, actor=clerk, order_id=placed.id, unit_ids=[other_group.id]
            )
        dispatch = stock.fulfil_order(
            session=session, actor=clerk, order_id=placed.id, unit_ids=[later.id]
        )  # the clerk may override FEFO
        assert placed.status == "fulfilled"
        assert later.state == UnitState.ISSUED and later.owner_id == world.org("H-HZ").id

        officer = as_user(session, world, "hhz.officer")
        with pytest.raises(ValidationFailed):  # every unit must be confirmed
            stock.confirm_receipt(session=session, actor=officer, dispatch_id=dispatch.id, lines=[])
        with pytest.raises(NotFound):  # another hospital does not even see the dispatch
            stock.confirm_receipt(
                session=session,
                actor=as_user(session, world, "hwz.officer"),
                dispatch_id=dispatch.id,
                lines=[],
            )
        stock.confirm_receipt(
            session=session,
            actor=officer,
            dispatch_id=dispatch.id,
            lines=[stock.ReceiptLine(later.din + later.check_character, "E0001", True)],
        )
        assert later.state == UnitState.RECEIVED
        with pytest.raises(Conflict):
            stock.confirm_receipt(
                session=session,
                actor=officer,
                dispatch_id=dispatch.id,
                lines=[stock.ReceiptLine(later.din, "E0001", True)],
            )


def test_order_input_is_checked(app, session, world):
    with app.app_context(), pytest.raises(ValidationFailed) as refused:
        stock.create_order(
            session=session,
            actor=as_user(session, world, "hhz.officer"),
            centre_code="NOPE",
            urgency="whenever",
            lines=[stock.OrderLineInput("blood", "C", "+", 0)],
        )
    assert {"centre", "urgency", "lines.0.component", "lines.0.abo", "lines.0.quantity"} <= set(
        refused.value.fields
    )


# --- units cannot be issued before release ------------------------------------------------


def pending_and_order(app, session, world):
    """A BC unit waiting for tests (split, not tested), and an H-HZ order it would match."""
    with app.app_context():
        [unit] = units_in_stock(session, world, 1, released=False)
        placed = order(session, world, quantity=1)
        session.commit()
    return unit, placed


def test_a_unit_waiting_for_tests_is_not_issued_by_the_service(app, session, world):
    unit, placed = pending_and_order(app, session, world)
    with app.app_context(), pytest.raises(ValidationFailed) as refused:
        stock.fulfil_order(
            session=session,
            actor=as_user(session, world, "bc.clerk"),
            order_id=placed.id,
            unit_ids=[unit.id],
        )
    assert "waiting for test results: only released units are issued" in str(
        refused.value.fields["units"]
    )


def test_a_unit_waiting_for_tests_is_not_issued_from_the_order_page(client, app, session, world):
    unit, placed = pending_and_order(app, session, world)
    login(client, "bc.clerk")
    page = client.get(f"/stock/orders/{placed.id}").get_data(as_text=True)
    assert f'value="{unit.id}"' not in page  # not offered
    sent = client.post(
        f"/stock/orders/{placed.id}", data={"csrf_token": csrf_token_of(page), "unit": unit.id}
    )
    assert sent.status_code == 422
    assert "only released units are issued" in sent.get_data(as_text=True)
    session.expire_all()
    assert session.get(Unit, unit.id).state == UnitState.PENDING_TESTS


def test_a_unit_waiting_for_tests_is_not_issued_through_the_api(
    client, app, session, world, bearer
):
    unit, placed = pending_and_order(app, session, world)
    centre = bearer(world.org("BC"))
    refused = client.post(
        f"/api/v1/orders/{placed.id}/dispatch",
        headers=centre,
        json={"units": [{"din": unit.din, "product_code": unit.product_code}]},
    )
    assert refused.status_code == 422, refused.json
    assert "only released units are issued" in str(refused.json["errors"])
    session.expire_all()
    assert session.get(Unit, unit.id).state == UnitState.PENDING_TESTS

    with app.app_context():
        [ready] = units_in_stock(session, world, 1, first_serial=311)
        session.commit()
    sent = client.post(
        f"/api/v1/orders/{placed.id}/dispatch",
        headers=centre,
        json={"units": [{"din": ready.din, "product_code": ready.product_code}]},
    )
    assert sent.status_code == 201, sent.json
    assert sent.json["to"] == "H-HZ" and sent.json["units"][0]["state"] == "issued"


def test_a_unit_waiting_for_tests_is_not_transferred_by_a_hospital(
    client, app, session, world, his
):
    unit, _placed = pending_and_order(app, session, world)
    through_api = client.post(
        "/api/v1/transfers",
        headers=his,
        json={"to": "H-WZ", "units": [{"din": unit.din, "product_code": unit.product_code}]},
    )
    assert through_api.status_code == 404  # not the hospital's: not even visible
    login(client, "hhz.officer")
    page = client.get("/stock/units").get_data(as_text=True)
    through_page = client.post(
        "/stock/transfers",
        data={"csrf_token": csrf_token_of(page), "to": "H-WZ", "unit": unit.id},
        follow_redirects=True,
    )
    assert "Choose at least one unit." in through_page.get_data(as_text=True)
    session.expire_all()
    assert session.get(Unit, unit.id).state == UnitState.PENDING_TESTS
