"""The synthetic province's organisations and users, created through the accounts and donors
services (so the tree, the paths, the facility ids and the designated areas are exactly what
an administrator would have made, each with its audit row). At scale 1: a provincial
authority, 11 cities and 88 counties, 15 plasma stations, 12 blood centres, 150 hospitals and
a manufacturer; smaller scales keep every authority and fewer of the others."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from blood.accounts.models import Organisation
from blood.accounts.roles import AuthorityLevel, OrgKind, Role
from blood.accounts.scoping import Actor
from blood.accounts.service import (
    OrganisationInput,
    create_organisation,
    create_user,
    update_collecting_settings,
)
from blood.donors.rules import PROFILES
from blood.donors.service import set_designated_area
from blood.synth import geography as geo
from blood.synth.rates import BLOOD_CENTRES, HOSPITALS, PLASMA_STATIONS


@dataclass
class Station:
    org: Organisation
    areas: tuple[str, ...]
    share: float  # of the province's plasma donations


@dataclass
class Hospital:
    org: Organisation
    weight: float
    slot_minutes: int  # when the daily delivery from its centre arrives (minutes after 0:00)


@dataclass
class Centre:
    org: Organisation
    counties: tuple[str, ...]
    share: float  # of the province's whole-blood donations
    hospitals: list[Hospital] = field(default_factory=list)


@dataclass
class Province:
    authorities: dict[str, Organisation]  # by division code
    stations: list[Station]
    centres: list[Centre]
    manufacturer: Organisation
    users: list[tuple[str, str]]  # (user name, organisation code)

    @property
    def organisations(self) -> list[Organisation]:
        return [
            *self.authorities.values(),
            *(s.org for s in self.stations),
            *(c.org for c in self.centres),
            *(h.org for c in self.centres for h in c.hospitals),
            self.manufacturer,
        ]


def sizes(scale: float) -> tuple[int, int, int]:
    """(plasma stations, blood centres, hospitals) at a scale: linear, with a floor."""
    stations = min(PLASMA_STATIONS, max(2, round(PLASMA_STATIONS * scale)))
    centres = min(BLOOD_CENTRES, max(2, round(BLOOD_CENTRES * scale)))
    hospitals = min(HOSPITALS, max(2 * centres, round(HOSPITALS * scale)))
    return stations, centres, hospitals


def _population(county: str) -> float:
    city = geo.CITY_OF[county]
    return city.population_m / len(city.counties)


def build(session: Session, *, scale: float, password: str) -> Province:
    actor = Actor.system("synth")

    def make(code, kind, parent, name_zh, name_en, level=None, division=None) -> Organisation:
        return create_organisation(
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

    code, zh, en = geo.PROVINCE
    authorities = {
        code: make(
            "ZJ-HC", OrgKind.AUTHORITY, None, f"{zh}卫生健康委员会",
            f"Health Commission of {en} Province", AuthorityLevel.PROVINCE, code,
        )
    }  # fmt: skip
    for city in geo.CITIES:
        authorities[city.code] = make(
            f"{city.abbr}-HC", OrgKind.AUTHORITY, "ZJ-HC", f"{city.name_zh}卫生健康委员会",
            f"{city.name_en} Municipal Health Commission", AuthorityLevel.CITY, city.code,
        )  # fmt: skip
        for county, county_zh, county_en in city.counties:
            authorities[county] = make(
                f"HB-{county}", OrgKind.AUTHORITY, f"{city.abbr}-HC", f"{county_zh}卫生健康局",
                f"{county_en} Health Bureau", AuthorityLevel.COUNTY, county,
            )  # fmt: skip

    n_stations, n_centres, n_hospitals = sizes(scale)
    stations = []
    chosen = geo.PLASMA_STATIONS[:n_stations]
    weights = [1 + 0.3 * (len(areas) - 1) for _county, areas in chosen]
    for (county, areas), weight in zip(chosen, weights, strict=True):
        county_zh, county_en = geo.COUNTY_NAMES[county]
        org = make(
            f"PS-{county}", OrgKind.PLASMA_STATION, f"HB-{county}", f"{county_zh}单采血浆站",
            f"{county_en.rsplit(' ', 1)[0]} Plasmapheresis Station",
        )  # fmt: skip
        update_collecting_settings(
            session=session, actor=actor, organisation=org, facility_id=f"P{county[2:]}",
            rule_profile="cn-plasma", known_profiles=PROFILES,
        )  # fmt: skip
        set_designated_area(session=session, actor=actor, station=org, division_codes=list(areas))
        stations.append(Station(org, areas, weight / sum(weights)))

    specs = geo.CENTRES[:n_centres]
    populations = [sum(_population(c) for c in spec.counties) for spec in specs]
    centres = []
    for spec, population in zip(specs, populations, strict=True):
        parent = authorities[spec.parent].code
        org = make(spec.code, OrgKind.BLOOD_CENTRE, parent, spec.name_zh, spec.name_en)
        update_collecting_settings(
            session=session, actor=actor, organisation=org, facility_id=spec.facility_id,
            rule_profile="cn-whole-blood", known_profiles=PROFILES,
        )  # fmt: skip
        centres.append(Centre(org, spec.counties, population / sum(populations)))

    _hospitals(session, make, authorities, centres, n_hospitals)
    mf_code, mf_zh, mf_en = geo.MANUFACTURER
    manufacturer = make(mf_code, OrgKind.MANUFACTURER, "ZJ-HC", mf_zh, mf_en)
    users = _inspectors(session, actor, authorities, stations, password)
    return Province(authorities, stations, centres, manufacturer, users)


def _hospitals(session, make, authorities, centres: list[Centre], wanted: int) -> None:
    """Hospitals shared among the centres by their share of donations (at least two each),
    the largest of each centre's catchment first."""
    specs = geo.hospitals()
    counts = [max(2, round(wanted * centre.share)) for centre in centres]
    for centre, count in zip(centres, counts, strict=True):
        mine = [h for h in specs if h.county in centre.counties]
        mine.sort(key=lambda h: -h.weight)  # stable: city hospitals before county ones
        for index, spec in enumerate(mine[:count]):
            org = make(
                spec.code, OrgKind.HOSPITAL, authorities[spec.parent].code, spec.name_zh,
                spec.name_en,
            )  # fmt: skip
            slot = 8 * 60 + (index * 37) % (9 * 60)  # deliveries between 08:00 and 17:00
            centre.hospitals.append(Hospital(org, spec.weight, slot))


def _inspectors(session, actor, authorities, stations, password) -> list[tuple[str, str]]:
    """One inspector per authority level: the province, Hangzhou, and the county of the
    first plasma station."""
    county = stations[0].areas[0]
    county_en = geo.COUNTY_NAMES[county][1].split()[0]
    slug = "".join(ch for ch in county_en.lower() if ch.isalpha())
    made = []
    for division, username, display in (
        ("330000", "zj.inspector", "省卫健委监督员"),
        ("330100", "hz.inspector", "杭州市卫健委监督员"),
        (county, f"{slug}.inspector", f"{geo.COUNTY_NAMES[county][0]}卫健局监督员"),
    ):
        org = authorities[division]
        create_user(
            session=session,
            actor=actor,
            organisation=org,
            username=username,
            display_name=display,
            password=password,
            roles=[Role.INSPECTOR.value],
            locale="zh_CN",
        )
        made.append((username, org.code))
    return made
