"""The deployment commands: create-org, create-user, create-token, demo (its load is in
test_cli_demo.py)."""

from __future__ import annotations

from sqlmodel import select

from blood.accounts.models import ApiToken, Organisation, User
from blood.audit import AuditEvent


def test_create_org_user_and_token_then_use_the_token(runner, client, session):
    result = runner.invoke(
        args=[
            "blood",
            "create-org",
            "GD-HC",
            "--kind",
            "authority",
            "--name-zh",
            "广东省卫生健康委员会",
            "--name-en",
            "Health Commission of Guangdong Province",
            "--level",
            "province",
            "--division-code",
            "440000",
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=[
            "blood",
            "create-org",
            "H-GZ1",
            "--kind",
            "hospital",
            "--name-zh",
            "广州市第一人民医院",
            "--name-en",
            "Guangzhou First People's Hospital",
            "--parent",
            "GD-HC",
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=[
            "blood",
            "create-user",
            "gz1.officer",
            "--org",
            "H-GZ1",
            "--name",
            "梁敏",
            "--role",
            "transfusion_officer",
        ],
        env={"BLOOD_NEW_USER_PASSWORD": "a-long-enough-password"},
    )
    assert result.exit_code == 0, result.output
    user = session.exec(select(User).where(User.username == "gz1.officer")).one()
    assert user.roles == ["transfusion_officer"]
    assert "a-long-enough-password" not in user.password_hash

    result = runner.invoke(args=["blood", "create-token", "H-GZ1", "--name", "HIS"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("blood_") and " " not in token
    stored = session.exec(select(ApiToken).where(ApiToken.name == "HIS")).one()
    assert stored.token_hash != token and token not in stored.token_hash

    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json["organisation"]["code"] == "H-GZ1"


def test_create_org_refuses_bad_input_with_reasons_and_writes_nothing(runner, session):
    before = len(session.exec(select(AuditEvent)).all())
    result = runner.invoke(
        args=[
            "blood",
            "create-org",
            "x",
            "--kind",
            "authority",
            "--name-zh",
            "某市",
            "--name-en",
            "Some city",
            "--level",
            "city",
            "--division-code",
            "12345",
        ]
    )
    assert result.exit_code == 2
    assert "code:" in result.output and "division_code:" in result.output
    session.expire_all()
    assert session.exec(select(Organisation)).all() == []
    assert len(session.exec(select(AuditEvent)).all()) == before


def test_create_user_refuses_a_role_foreign_to_the_org_kind(runner, world):
    result = runner.invoke(
        args=["blood", "create-user", "h.lab", "--org", "H-HZ", "--name", "x", "--role", "lab"],
        env={"BLOOD_NEW_USER_PASSWORD": "a-long-enough-password"},
    )
    assert result.exit_code == 2
    assert "roles: Not a role of this kind of organisation: lab" in result.output


def test_demo_if_empty_leaves_a_real_deployment_alone(runner, session, world):
    result = runner.invoke(args=["blood", "demo", "--if-empty"])
    assert result.exit_code == 0
    assert "demo data not loaded" in result.output
    session.expire_all()
    assert session.exec(select(Organisation).where(Organisation.code == "ZJ-HC")).first() is None


def test_station_settings(runner, session, world):
    from blood.donors.models import DesignatedArea

    result = runner.invoke(
        args=[
            "blood",
            "station-settings",
            "S-WZ",
            "--facility-id",
            "p3399",
            "--rule-profile",
            "cn-plasma",
            "--area",
            "330302",
            "--area",
            "330329",
        ]
    )
    assert result.exit_code == 0, result.output
    session.expire_all()
    station = world.org("S-WZ")
    session.refresh(station)
    assert station.facility_id == "P3399"
    areas = session.exec(
        select(DesignatedArea.division_code).where(DesignatedArea.station_id == station.id)
    ).all()
    assert sorted(areas) == ["330302", "330329"]

    bad = runner.invoke(
        args=[
            "blood",
            "station-settings",
            "S-WZ",
            "--facility-id",
            "O1234",
            "--rule-profile",
            "mars",
        ]
    )
    assert bad.exit_code == 2
    assert "facility_id:" in bad.output and "rule_profile:" in bad.output
    taken = runner.invoke(args=["blood", "station-settings", "S-WZ", "--facility-id", "P3301"])
    assert taken.exit_code == 2 and "Another organisation" in taken.output
