"""The activity log in plain words: sentences in both languages, filters in the URL, the CSV,
and the scope of who reads it."""

from __future__ import annotations

from sqlmodel import select

from blood.accounts.models import User
from blood.core import activity_words
from blood.stock.lifecycle import Action
from tests.conftest import login
from tests.stock.helpers import act, received


def _name(session, username, display_name):
    user = session.exec(select(User).where(User.username == username)).one()
    user.display_name = display_name
    session.add(user)
    session.commit()


def _discarded_unit(app, session, world):
    _name(session, "hhz.officer", "张瑞")
    with app.app_context():
        [unit] = received(session, world)
        act(session, world, unit, Action.DISCARD, reason="temperature_excursion")
        session.commit()
        return unit.label


def test_every_recorded_action_code_has_words():
    """Each action the code base records (grep of audit.record / record_many) has a verb."""
    import ast
    import pathlib

    codes = set()
    for path in pathlib.Path("blood").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", None) == "record"
                and len(node.args) >= 3
                and isinstance(node.args[2], ast.Constant)
            ):
                codes.add(node.args[2].value)
    assert codes and not codes - set(activity_words.ACTION_WORDS)


def test_a_discard_reads_as_a_sentence_in_english(app, client, session, world):
    label = _discarded_unit(app, session, world)
    login(client, "hhz.admin")
    html = client.get("/activity?action=unit.discard").get_data(as_text=True)
    assert f"<strong>张瑞</strong> discarded {label}: Storage temperature out of range" in html
    assert "unit.discard" not in html.split("<table")[1]  # no raw code in the log


def test_a_discard_and_a_login_read_as_sentences_in_chinese(app, client, session, world):
    label = _discarded_unit(app, session, world)
    _name(session, "hhz.admin", "陈建国")
    login(client, "hhz.admin", lang="zh")
    client.get("/lang/zh_CN")
    html = client.get("/activity").get_data(as_text=True)
    assert f"<strong>张瑞</strong> 报废 {label}：储存温度超出范围" in html
    assert "<strong>陈建国</strong> 登录" in html


def test_records_link_to_their_pages(app, client, session, world):
    login(client, "sca.admin")
    html = client.get("/activity?action=user.create").get_data(as_text=True)
    assert 'href="/admin/users"' in html.split("<table")[1]


def test_filters_by_person_action_and_date_are_kept_in_the_url(app, client, session, world):
    login(app.test_client(), "sca.registrar")
    login(client, "sca.admin")
    mine = client.get("/activity?q=sca.registrar&action=user.login").get_data(as_text=True)
    body = mine.split("<table")[1]
    assert "sca.registrar</strong>" in body and "sca.admin</strong>" not in body
    assert "q=sca.registrar" in mine and "action=user.login" in mine  # CSV link keeps them
    none = client.get("/activity?q=sca.registrar&from=2000-01-01&to=2000-01-02")
    assert "Nothing recorded yet." in none.get_data(as_text=True)
    bad = client.get("/activity?from=yesterday")
    assert bad.status_code == 422


def test_the_csv_is_utf8_with_a_bom_and_filtered(app, client, session, world):
    _name(session, "sca.registrar", "陈建国")
    login(app.test_client(), "sca.registrar")
    login(client, "sca.admin")
    answer = client.get("/activity.csv?action=user.login")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    raw = answer.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "陈建国 logged in" in text
    assert "created the user" not in text


def test_the_log_is_scoped_and_refused_to_other_roles(app, client, session, world):
    login(client, "swz.admin")
    csv_text = client.get("/activity.csv").get_data().decode("utf-8-sig")
    # Organisations by name, as people call them; another station's rows are not there.
    assert "S-WZ organisation" in csv_text and "S-CA" not in csv_text
    registrar = app.test_client()
    login(registrar, "sca.registrar")
    assert registrar.get("/activity").status_code == 403
    assert registrar.get("/activity.csv").status_code == 403


def test_the_log_names_organisations_in_the_readers_language(app, client, session, world):
    login(app.test_client(), "sca.registrar")
    login(client, "sca.admin")
    html = client.get("/activity?action=user.login").get_data(as_text=True)
    assert "<td>S-CA organisation</td>" in html
    assert "<td>S-CA</td>" not in html
    user = session.exec(select(User).where(User.username == "sca.admin")).one()
    user.locale = "zh_CN"
    session.add(user)
    session.commit()
    chinese = app.test_client()
    login(chinese, "sca.admin", lang="zh_CN")
    html = chinese.get("/activity?action=user.login").get_data(as_text=True)
    assert "<td>S-CA 机构</td>" in html
