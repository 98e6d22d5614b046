"""Chinese and English from day one: every string translated, language chosen per user."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.checkers import checkers
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tests.conftest import login

ROOT = Path(__file__).resolve().parents[2]
PO_FILE = ROOT / "blood/translations/zh_Hans_CN/LC_MESSAGES/messages.po"
METHOD_MAP = [("blood/**.py", "python"), ("blood/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


@pytest.fixture(scope="module")
def catalogue():
    with PO_FILE.open("rb") as handle:
        return read_po(handle, locale="zh_CN")


def source_messages() -> set[str]:
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), METHOD_MAP, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_user_facing_string_has_a_chinese_translation(catalogue):
    translated = {
        m.id[0] if isinstance(m.id, tuple) else m.id
        for m in catalogue
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string) and not m.fuzzy
    }
    missing = sorted(source_messages() - translated)
    assert missing == [], (
        "untranslated strings; run `make translations` and translate them in "
        f"{PO_FILE.relative_to(ROOT)}: {missing}"
    )


def test_translations_keep_their_placeholders(catalogue):
    problems = []
    for message in catalogue:
        if not message.id:
            continue
        for checker in checkers:
            try:
                checker(catalogue, message)
            except Exception as error:  # babel raises TranslationError
                problems.append(f"{message.id!r}: {error}")
    assert problems == []


def test_login_page_follows_accept_language(client):
    zh = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    html = zh.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert "用户名" in html and "密码" in html
    assert "User name" not in html
    en = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "User name" in en.get_data(as_text=True)


def test_no_accept_language_means_the_deployment_default_chinese(base_app):
    from blood import create_app
    from tests.conftest import TEST_CONFIG

    config = {k: v for k, v in TEST_CONFIG.items() if k != "BABEL_DEFAULT_LOCALE"}
    app = create_app({**config, "DATABASE_URL": base_app.config["DATABASE_URL"]})
    assert app.config["BABEL_DEFAULT_LOCALE"] == "zh_CN"
    assert "用户名" in app.test_client().get("/login").get_data(as_text=True)


def test_a_chinese_user_sees_the_whole_ui_in_chinese(app, client, session, world):
    user = world.users["p.inspector"]
    user.locale = "zh_CN"
    session.add(user)
    session.commit()
    login(client, "p.inspector", lang="en")  # the browser says English; the account wins
    html = client.get("/").get_data(as_text=True)
    for chinese in ("辖区", "退出登录", "省级"):
        assert chinese in html
    for english in ("Jurisdiction", "Log out", "Activity", "Home", "Province"):
        assert f">{english}<" not in html and f" {english}" not in html


def test_switching_language_is_remembered_on_the_account(client, session, world):
    login(client, "sca.registrar")
    assert "Log out" in client.get("/").get_data(as_text=True)
    switched = client.get("/lang/zh_CN?next=/")
    assert switched.status_code == 302 and switched.headers["Location"] == "/"
    assert "退出登录" in client.get("/").get_data(as_text=True)
    session.expire_all()
    assert (
        session.get(type(world.users["sca.registrar"]), world.users["sca.registrar"].id).locale
        == "zh_CN"
    )


def test_language_switch_refuses_unknown_languages_and_open_redirects(client):
    unknown = client.get("/lang/fr")
    assert unknown.status_code == 404
    assert "Not found." in unknown.get_data(as_text=True)
    response = client.get("/lang/en?next=https://evil.example/")
    assert response.headers["Location"] == "/"


def test_api_errors_follow_the_language_too(client):
    response = client.get("/api/v1/me", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 401
    assert "登录" in response.json["message"]
