"""A believable demo province (Zhejiang), so a newcomer sees something real.

Idempotent: what exists is left alone; only missing organisations, users and API tokens
(each hospital's, and one plasma station's) are created. Every date is relative to the day
it is loaded (see ``blood.demo_plasma``). Demo users share ``DEMO_PASSWORD`` — for
demonstration only, never production.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from blood.accounts.models import ApiToken, Organisation, User
from blood.accounts.roles import AuthorityLevel, OrgKind, Role
from blood.accounts.scoping import Actor
from blood.accounts.service import (
    OrganisationInput,
    create_organisation,
    create_token,
    create_user,
)

DEMO_PASSWORD = "demo-password-2026"

# Plasma stations that get an API token too (POST /api/v1/eligibility from their own system).
TOKEN_STATIONS = ("PS-CHUNAN",)

A, PS, BC, H, MF = (
    OrgKind.AUTHORITY,
    OrgKind.PLASMA_STATION,
    OrgKind.BLOOD_CENTRE,
    OrgKind.HOSPITAL,
    OrgKind.MANUFACTURER,
)

# (code, kind, parent, level, division code, Chinese name, English name)
ORGANISATIONS = [
    # The upper level the province reports to. In the demo it lives in the same instance,
    # as its own tree: the province's summaries reach it through the signed inbound
    # endpoint, as they would reach a national instance elsewhere.
    (
        "CN-NHC",
        A,
        None,
        AuthorityLevel.NATIONAL,
        "000000",
        "国家卫生健康委员会（演示：上级实例）",
        "National Health Commission (demo: the upper-level instance)",
    ),
    (
        "CN-ZJ",
        A,
        "CN-NHC",
        AuthorityLevel.PROVINCE,
        "330000",
        "浙江省（联网上报）",
        "Zhejiang Province (as reported by its instance)",
    ),
    (
        "ZJ-HC",
        A,
        None,
        AuthorityLevel.PROVINCE,
        "330000",
        "浙江省卫生健康委员会",
        "Health Commission of Zhejiang Province",
    ),
    (
        "HZ-HC",
        A,
        "ZJ-HC",
        AuthorityLevel.CITY,
        "330100",
        "杭州市卫生健康委员会",
        "Hangzhou Municipal Health Commission",
    ),
    (
        "WZ-HC",
        A,
        "ZJ-HC",
        AuthorityLevel.CITY,
        "330300",
        "温州市卫生健康委员会",
        "Wenzhou Municipal Health Commission",
    ),
    (
        "CA-HB",
        A,
        "HZ-HC",
        AuthorityLevel.COUNTY,
        "330127",
        "淳安县卫生健康局",
        "Chun'an County Health Bureau",
    ),
    ("ZJ-BC", BC, "ZJ-HC", None, None, "浙江省血液中心", "Zhejiang Blood Center"),
    ("PS-CHUNAN", PS, "CA-HB", None, None, "淳安县单采血浆站", "Chun'an Plasmapheresis Station"),
    ("PS-JIANDE", PS, "HZ-HC", None, None, "建德市单采血浆站", "Jiande Plasmapheresis Station"),
    ("PS-TAISHUN", PS, "WZ-HC", None, None, "泰顺县单采血浆站", "Taishun Plasmapheresis Station"),
    (
        "H-ZJU1",
        H,
        "HZ-HC",
        None,
        None,
        "浙江大学医学院附属第一医院",
        "The First Affiliated Hospital, Zhejiang University School of Medicine",
    ),
    ("H-ZJPPH", H, "HZ-HC", None, None, "浙江省人民医院", "Zhejiang Provincial People's Hospital"),
    (
        "H-WMU1",
        H,
        "WZ-HC",
        None,
        None,
        "温州医科大学附属第一医院",
        "The First Affiliated Hospital of Wenzhou Medical University",
    ),
    ("H-CA1", H, "CA-HB", None, None, "淳安县第一人民医院", "Chun'an First People's Hospital"),
    ("MF-ZJBIO", MF, "ZJ-HC", None, None, "之江生物制品有限公司", "Zhijiang Biologics Co., Ltd."),
]

# (user name, organisation, full name, roles, language)
# Where the province pushes its summaries in the demo: this instance's own inbound endpoint
# (`make run` passes the port it serves on).
DEMO_PUSH_URL = "http://127.0.0.1:8000/api/v1/supervision/inbound"

USERS = [
    ("nhc.inspector", "CN-NHC", "周立平", [Role.INSPECTOR], "zh_CN"),
    ("zj.inspector", "ZJ-HC", "陈建国", [Role.INSPECTOR], "zh_CN"),
    ("zj.admin", "ZJ-HC", "周敏", [Role.ORG_ADMIN, Role.INSPECTOR], "zh_CN"),
    ("hz.inspector", "HZ-HC", "李晓燕", [Role.INSPECTOR], "zh_CN"),
    ("wz.inspector", "WZ-HC", "黄志强", [Role.INSPECTOR], "zh_CN"),
    ("ca.inspector", "CA-HB", "方卫东", [Role.INSPECTOR], "zh_CN"),
    ("chunan.registrar", "PS-CHUNAN", "王芳", [Role.REGISTRAR], "zh_CN"),
    ("chunan.physician", "PS-CHUNAN", "徐立新", [Role.PHYSICIAN], "zh_CN"),
    ("chunan.collector", "PS-CHUNAN", "余红梅", [Role.COLLECTOR], "zh_CN"),
    ("chunan.lab", "PS-CHUNAN", "汪海燕", [Role.LAB], "zh_CN"),
    ("chunan.quality", "PS-CHUNAN", "郑伟", [Role.QUALITY], "zh_CN"),
    ("chunan.admin", "PS-CHUNAN", "章丽君", [Role.ORG_ADMIN], "zh_CN"),
    ("jiande.registrar", "PS-JIANDE", "邵明", [Role.REGISTRAR], "zh_CN"),
    ("taishun.registrar", "PS-TAISHUN", "林雪", [Role.REGISTRAR], "zh_CN"),
    ("bc.stock", "ZJ-BC", "刘洋", [Role.STOCK_CLERK], "zh_CN"),
    ("bc.collector", "ZJ-BC", "赵静", [Role.REGISTRAR, Role.COLLECTOR], "zh_CN"),
    ("bc.physician", "ZJ-BC", "孙浩", [Role.PHYSICIAN], "zh_CN"),
    ("bc.lab", "ZJ-BC", "钱慧", [Role.LAB], "zh_CN"),
    ("bc.quality", "ZJ-BC", "吴磊", [Role.QUALITY], "zh_CN"),
    ("bc.admin", "ZJ-BC", "蒋文", [Role.ORG_ADMIN], "en"),
    ("zju1.transfusion", "H-ZJU1", "张瑞", [Role.TRANSFUSION_OFFICER], "zh_CN"),
    ("zju1.admin", "H-ZJU1", "何丹", [Role.ORG_ADMIN], "zh_CN"),
    ("zjpph.transfusion", "H-ZJPPH", "马俊", [Role.TRANSFUSION_OFFICER], "zh_CN"),
    ("wmu1.transfusion", "H-WMU1", "潘晓东", [Role.TRANSFUSION_OFFICER], "zh_CN"),
    ("ca1.transfusion", "H-CA1", "叶青", [Role.TRANSFUSION_OFFICER], "zh_CN"),
    ("zjbio.receiving", "MF-ZJBIO", "Anna Müller", [Role.RECEIVING_CLERK], "en"),
]


@dataclass
class DemoResult:
    organisations: int = 0
    users: int = 0
    tokens: list[tuple[str, str]] = field(default_factory=list)
    plasma_history: bool = False
    stock_history: bool = False
    indicator_facts: int = 0
    alerts: int = 0

    @property
    def created(self) -> bool:
        return bool(
            self.organisations
            or self.users
            or self.tokens
            or self.plasma_history
            or self.stock_history
        )


def load_demo(session: Session, *, push_url: str = DEMO_PUSH_URL) -> DemoResult:
    actor = Actor.system("demo")
    result = DemoResult()
    existing = set(session.exec(select(Organisation.code)).all())
    for code, kind, parent, level, division, name_zh, name_en in ORGANISATIONS:
        if code in existing:
            continue
        create_organisation(
            session=session,
            actor=actor,
            data=OrganisationInput(
                code=code,
                name_zh=name_zh,
                name_en=name_en,
                kind=kind,
                parent_code=parent,
                level=level,
                division_code=division,
            ),
        )
        result.organisations += 1
    orgs = {o.code: o for o in session.exec(select(Organisation)).all()}

    usernames = set(session.exec(select(User.username)).all())
    for username, org_code, display_name, roles, locale in USERS:
        if username in usernames:
            continue
        create_user(
            session=session,
            actor=actor,
            organisation=orgs[org_code],
            username=username,
            display_name=display_name,
            password=DEMO_PASSWORD,
            roles=[r.value for r in roles],
            locale=locale,
        )
        result.users += 1

    with_tokens = set(session.exec(select(ApiToken.organisation_id)).all())
    for org in sorted(orgs.values(), key=lambda o: o.code):
        if org.id in with_tokens:
            continue
        if org.kind == OrgKind.HOSPITAL:
            name = "HIS (demo)"
        elif org.code in TOKEN_STATIONS:
            name = "eligibility (demo)"
        else:
            continue
        _token, plaintext = create_token(session=session, actor=actor, organisation=org, name=name)
        result.tokens.append((org.code, plaintext))

    from blood.demo_plasma import load_plasma_demo
    from blood.demo_stock import load_stock_demo

    result.plasma_history = load_plasma_demo(session)
    result.stock_history = load_stock_demo(session)

    from blood.demo_clinical import load_clinical_demo

    load_clinical_demo(session)

    # One open look-back case; then the indicators and today's alerts over everything above.
    from blood.trace.demo import load_trace_demo

    load_trace_demo(session)

    # Forecasts, projected shortages and the recruitment story, before supervision reads them.
    from blood.analytics.demo import load_analytics_demo

    load_analytics_demo(session)

    from blood.supervision.demo import load_supervision_demo

    result.indicator_facts, result.alerts = load_supervision_demo(session, push_url=push_url)
    return result
