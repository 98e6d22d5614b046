"""The donor list: found by each key (card number, resident ID, phone, name), filtered,
sorted and paged with the parameters kept in the links, and only the actor's own donors."""

from __future__ import annotations

import re

from blood.donors.service import DonorListQuery, list_donors
from tests.conftest import login, make_resident_id
from tests.helpers import as_user, register


def _donors(app, session, world):
    with app.app_context():
        wang = register(session, world, serial=101, name="王芳", phone="13800000001")
        li = register(session, world, serial=102, name="李强", abo="O", rhd="-")
        zhao = register(session, world, serial=103, name="赵敏", abo="B")
        other = register(
            session, world, serial=104, region="330300", username="swz.registrar", name="王其他"
        )
        session.commit()
    return wang, li, zhao, other


def _cards(html: str) -> list[str]:
    return re.findall(r">((?:S-CA|S-WZ)-\d{6})</a>", html)


def test_donor_found_by_card_number(app, client, session, world):
    _wang, li, *_ = _donors(app, session, world)
    login(client, "sca.registrar")
    html = client.get(f"/station/donors/list?q={li.card_number.lower()}").get_data(as_text=True)
    assert _cards(html) == [li.card_number]


def test_donor_found_by_resident_id_through_its_keyed_hash(app, client, session, world):
    _wang, li, *_ = _donors(app, session, world)
    login(client, "sca.registrar")
    number = make_resident_id(region="330127", serial=102)
    spaced = f"{number[:6]} {number[6:14]} {number[14:]}"  # typed with spaces: normalised
    html = client.get("/station/donors/list", query_string={"q": spaced}).get_data(as_text=True)
    assert _cards(html) == [li.card_number]
    assert number not in html  # shown masked only


def test_donor_found_by_phone_through_its_keyed_hash(app, client, session, world):
    wang, *_ = _donors(app, session, world)
    login(client, "sca.registrar")
    html = client.get("/station/donors/list?q=138-0000-0001").get_data(as_text=True)
    assert _cards(html) == [wang.card_number]
    assert "13800000001" not in html


def test_donor_found_by_name(app, client, session, world):
    wang, _li, _zhao, _other = _donors(app, session, world)
    login(client, "sca.registrar")
    html = client.get("/station/donors/list", query_string={"q": "王"}).get_data(as_text=True)
    assert _cards(html) == [wang.card_number]  # not S-WZ's 王其他


def test_another_stations_donors_never_appear(app, client, session, world):
    wang, li, zhao, other = _donors(app, session, world)
    login(client, "sca.registrar")
    everyone = client.get("/station/donors/list").get_data(as_text=True)
    assert other.card_number not in everyone
    assert sorted(_cards(everyone)) == sorted([wang.card_number, li.card_number, zhao.card_number])
    number = make_resident_id(region="330300", serial=104)
    by_id = client.get("/station/donors/list", query_string={"q": number}).get_data(as_text=True)
    assert _cards(by_id) == []


def test_filter_sort_and_paging_keep_each_other(app, client, session, world):
    wang, _li, zhao, _other = _donors(app, session, world)
    login(client, "sca.registrar")
    with app.app_context():
        actor = as_user(session, world, "sca.registrar")
        by_name = list_donors(
            session=session, actor=actor, query=DonorListQuery(sort="-name"), size=2
        )
        assert by_name.total == 3 and by_name.pages == 2
        second = list_donors(
            session=session, actor=actor, query=DonorListQuery(sort="-name", page=2), size=2
        )
        names = [d.name for d in by_name.items + second.items]
        assert names == sorted(["王芳", "李强", "赵敏"], reverse=True)
        positive = list_donors(session=session, actor=actor, query=DonorListQuery(rhd="+"))
        assert {d.card_number for d in positive.items} == {wang.card_number, zhao.card_number}
    html = client.get("/station/donors/list?rhd=%2B&sort=-name").get_data(as_text=True)
    assert _cards(html) == [zhao.card_number, wang.card_number]
    # The sortable headers keep the filter; the search form keeps the sort.
    assert re.search(r'href="/station/donors/list\?[^"]*rhd=%2B[^"]*sort=card"', html)
    assert 'name="sort" value="-name"' in html


def test_pager_links_keep_search_filter_and_sort(app, client, session, world):
    with app.app_context():
        for serial in range(110, 162):
            register(session, world, serial=serial, name=f"张{serial}")
        session.commit()
    login(client, "sca.registrar")
    html = client.get("/station/donors/list?q=张&sort=name").get_data(as_text=True)
    assert len(_cards(html)) == 50
    [nxt] = re.findall(r'href="([^"]+)" rel="next"', html)
    assert "page=2" in nxt and "sort=name" in nxt and "q=%E5%BC%A0" in nxt
    second = client.get(nxt.replace("&amp;", "&")).get_data(as_text=True)
    assert len(_cards(second)) == 2
    assert "张160" in second and "张161" in second


def test_bad_parameters_are_named_beside_the_field(app, client, session, world):
    _donors(app, session, world)
    login(client, "sca.registrar")
    bad = client.get("/station/donors/list?sort=resident_id&from=yesterday&abo=Q")
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="f-from-error"' in html and 'id="f-abo-error"' in html
    assert "Choose one of" in html  # the sort's message
    assert len(_cards(html)) == 3  # the list still answers
