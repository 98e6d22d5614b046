"""The supervision indicators, as data: one registry. Pure: no Flask, no database.

Each indicator says what it counts (its numerator, and for a rate its denominator), in which
unit, for which kinds of organisation, how its days add up over a period, and which
breakdowns its facts carry. ``blood.supervision.service`` computes the facts per organisation
and local day (``supervision_indicator_fact``) and rolls them up; the API and the dashboard
read the names and units from here, in Chinese and English.

How days add up (``aggregation``):

- ``sum``: a period's figure is the sum of its days (donations, kg released, units issued);
  a rate is recomputed from the summed numerators and denominators, never averaged;
- ``snapshot``: a figure at the end of a day (units on hand, plasma in quarantine, open
  deviations); a period shows its last day, and the average of its days.

Breakdowns: a fact row has a key made of one value per dimension of the indicator, in the
order of ``dimensions`` (``red_cells|O-``); the total row has the empty key. Reading "by
component" adds the rows up over the other dimensions. A rate's breakdown rows carry their own
denominators (``own_denominators``: tests per marker, use per component and group) or are
divided by the total row's denominator (reactions per category over all transfusions).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

SUM, SNAPSHOT = "sum", "snapshot"
PLASMA_STATION, BLOOD_CENTRE, HOSPITAL = "plasma_station", "blood_centre", "hospital"
HOLDERS = frozenset({BLOOD_CENTRE, HOSPITAL})  # who holds blood stock
KEY_SEPARATOR = "|"
MAX_KEY_LENGTH = 160


@dataclass(frozen=True)
class Dimension:
    code: str
    name_zh: str
    name_en: str


DIMENSIONS: Mapping[str, Dimension] = MappingProxyType(
    {
        d.code: d
        for d in (
            Dimension("donor_type", "献血浆者类型", "Donor type"),  # new | repeat
            Dimension("reason", "原因", "Reason"),
            Dimension("marker", "检测项目", "Marker"),
            Dimension("method", "采集方式", "Collection method"),
            Dimension("component", "血液成分", "Component"),
            Dimension("group", "血型", "ABO/RhD group"),
            Dimension("hospital", "医院", "Hospital"),
            Dimension("department", "科室", "Department"),
            Dimension("category", "反应类别", "Reaction category"),
            Dimension("severity", "严重程度", "Severity"),
            Dimension("flag", "提示", "Flag"),
        )
    }
)

# Screening reasons that make a refused attempt (``plasma_visit.reasons``), by the group the
# indicator and the alert count them under.
REFUSED_REASON_GROUPS: Mapping[str, str] = MappingProxyType(
    {
        "interval": "interval",
        "too_many_in_year": "interval",
        "too_many_in_week": "interval",
        "registered_elsewhere": "one_station",
        "deferred_permanently": "permanent_deferral",
        "deferred_until": "temporary_deferral",
    }
)
REFUSED_GROUPS = ("interval", "one_station", "permanent_deferral", "temporary_deferral")

# The clinical flags that question the indication (临床输血技术规范): the appropriateness rate.
APPROPRIATENESS_FLAGS = (
    "red_cells_no_hb",
    "red_cells_hb_high",
    "platelets_no_count",
    "platelets_count_high",
    "plasma_no_coagulation",
    "plasma_coagulation_normal",
    "cryo_no_fibrinogen",
    "cryo_fibrinogen_high",
    "no_indication",
)


@dataclass(frozen=True)
class Indicator:
    code: str
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    numerator_zh: str  # what is counted
    numerator_en: str
    kinds: frozenset[str]  # the organisation kinds it applies to
    denominator_zh: str | None = None  # a rate: numerator / denominator × scale
    denominator_en: str | None = None
    scale: float = 1
    aggregation: str = SUM
    dimensions: tuple[str, ...] = ()
    own_denominators: bool = False
    decimals: int = 0

    @property
    def is_rate(self) -> bool:
        return self.denominator_en is not None

    @property
    def is_snapshot(self) -> bool:
        return self.aggregation == SNAPSHOT

    def value(self, numerator: float, denominator: float | None) -> float | None:
        """The figure: the count or amount, or the rate (None when nothing to divide by)."""
        if not self.is_rate:
            return round(numerator, self.decimals)
        if not denominator:
            return None
        return round(numerator / denominator * self.scale, self.decimals)

    def name(self, locale: str | None) -> str:
        return self.name_en if _english(locale) else self.name_zh

    def unit(self, locale: str | None) -> str:
        return self.unit_en if _english(locale) else self.unit_zh

    def numerator(self, locale: str | None) -> str:
        return self.numerator_en if _english(locale) else self.numerator_zh

    def denominator(self, locale: str | None) -> str | None:
        return self.denominator_en if _english(locale) else self.denominator_zh


def _english(locale: str | None) -> bool:
    return bool(locale) and str(locale).startswith("en")


PS, BC, H = frozenset({PLASMA_STATION}), frozenset({BLOOD_CENTRE}), frozenset({HOSPITAL})
_ALL = (
    # --- plasma stations -------------------------------------------------------------------
    Indicator(
        "plasma_donations", "采浆人次", "Plasma donations", "人次", "donations",
        "当日开始采集的单采血浆人次；新献血浆者为其首次献浆", "Plasma collections started on the "
        "day; a new donor's is their first plasma donation", PS, dimensions=("donor_type",),
    ),
    Indicator(
        "plasma_collected_kg", "采集血浆量", "Plasma collected", "千克", "kg",
        "当日采集的血浆重量（含抗凝剂）", "Weight of the plasma collected on the day, with "
        "anticoagulant", PS, decimals=1,
    ),
    Indicator(
        "plasma_quarantine_kg", "检疫期血浆库存", "Plasma in quarantine", "千克", "kg",
        "日终仍在检疫期的血浆重量（当日为当前）", "Weight of the plasma held in quarantine at the "
        "end of the day (now, for today)", PS, aggregation=SNAPSHOT, decimals=1,
    ),
    Indicator(
        "plasma_released_kg", "放行血浆量", "Plasma released", "千克", "kg",
        "当日检疫期满放行的血浆重量", "Weight of the plasma released from quarantine on the day",
        PS, decimals=1,
    ),
    Indicator(
        "plasma_shipped_kg", "发运血浆量", "Plasma shipped", "千克", "kg",
        "当日发运至血液制品生产单位的血浆重量", "Weight of the plasma shipped to manufacturers "
        "on the day", PS, decimals=1,
    ),
    Indicator(
        "plasma_destroyed_kg", "报废血浆量", "Plasma destroyed", "千克", "kg",
        "当日判定报废的血浆重量（检测反应性、超限或偏差不予接受）", "Weight of the plasma "
        "destroyed on the day (reactive or out-of-range test, rejected deviation)", PS,
        dimensions=("reason",), decimals=1,
    ),
    Indicator(
        "donor_deferrals", "献血浆者屏蔽", "Donor deferrals", "人次", "deferrals",
        "当日记录的屏蔽（暂时或永久）", "Deferrals recorded on the day (temporary or permanent)",
        PS, dimensions=("reason",),
    ),
    Indicator(
        "refused_attempts", "拒绝采浆", "Refused attempts", "人次", "visits",
        "当日体检判定不能献浆的到访：间隔不足、非本站献浆者、永久或暂时屏蔽", "Visits refused "
        "on the day for the interval, the one-station rule, or a permanent or temporary deferral",
        PS, dimensions=("reason",),
    ),
    # --- laboratories (stations and blood centres) ------------------------------------------
    Indicator(
        "reactive_rate", "传染病标志物反应性率", "Reactive test rate", "%", "%",
        "当日录入结果中反应性的份数（分项目）；合计为任一项目反应性的献血（浆）份数",
        "Reactive results among those entered on the day, per marker; in total, donations with "
        "any reactive marker", PS | BC, denominator_zh="当日录入结果的份数",
        denominator_en="Results entered on the day (in total: donations tested)", scale=100,
        dimensions=("marker",), own_denominators=True, decimals=2,
    ),
    Indicator(
        "open_deviations", "待处理采集偏差", "Open collection deviations", "份", "collections",
        "日终仍待质量负责人决定的采集偏差", "Collections with a deviation still waiting for the "
        "quality manager at the end of the day", PS | BC, aggregation=SNAPSHOT,
    ),
    # --- blood centres -----------------------------------------------------------------------
    Indicator(
        "blood_collections", "采血人次", "Blood collections", "人次", "donations",
        "当日全血及单采采集人次", "Whole-blood and apheresis donations collected on the day", BC,
        dimensions=("method",),
    ),
    Indicator(
        "whole_blood_units", "全血采集量", "Whole blood collected", "单位", "U",
        "当日采集全血量，以 200 mL 为 1 单位", "Whole blood collected on the day, in units of "
        "200 mL", BC, decimals=1,
    ),
    Indicator(
        "components_produced", "成分制备", "Components produced", "袋", "units",
        "由当日采集制备的成分血袋数", "Component units made from the day's donations", BC,
        dimensions=("component",),
    ),
    Indicator(
        "units_issued", "发血", "Units issued", "袋", "units",
        "当日向医院发出的血袋数", "Units issued to hospitals on the day", BC,
        dimensions=("hospital", "component"),
    ),
    # --- stock (blood centres and hospitals) -------------------------------------------------
    Indicator(
        "stock_on_hand", "库存", "Units on hand", "袋", "units",
        "日终在库可用血袋数（当日为当前）", "Usable units in stock at the end of the day (now, "
        "for today)", HOLDERS, aggregation=SNAPSHOT, dimensions=("component", "group"),
    ),
    Indicator(
        "days_of_supply", "可供天数", "Days of supply", "天", "days",
        "日终在库血袋数", "Units on hand at the end of the day", HOLDERS,
        denominator_zh="此前 28 天日均用量（血站发血，医院输注）",
        denominator_en="Average daily use over the 28 days to the day (a centre's issues, a "
        "hospital's transfusions)", aggregation=SNAPSHOT, dimensions=("component", "group"),
        own_denominators=True, decimals=1,
    ),
    Indicator(
        "units_expired", "过期报废", "Units expired", "袋", "units",
        "当日过期的血袋数", "Units that expired on the day", HOLDERS, dimensions=("component",),
    ),
    Indicator(
        "units_discarded", "报废", "Units discarded", "袋", "units",
        "当日报废的血袋数（按原因）", "Units discarded on the day, by reason", HOLDERS,
        dimensions=("reason", "component"),
    ),
    Indicator(
        "wastage_rate", "血液报废率", "Wastage", "%", "%",
        "当日报废及过期的血袋数", "Units discarded or expired on the day", HOLDERS,
        denominator_zh="当日发出（血站）或接收（医院）的血袋数",
        denominator_en="Units issued (a blood centre) or received (a hospital) on the day",
        scale=100, dimensions=("component",), own_denominators=True, decimals=1,
    ),
    # --- hospitals ---------------------------------------------------------------------------
    Indicator(
        "units_received", "接收血液", "Units received", "袋", "units",
        "当日接收入库的血袋数", "Units received into stock on the day", H,
        dimensions=("component",),
    ),
    Indicator(
        "units_returned", "退回血站", "Units returned", "袋", "units",
        "当日退回血站的血袋数", "Units returned to the blood centre on the day", H,
        dimensions=("reason",),
    ),
    Indicator(
        "transfusions", "输血", "Transfusions", "袋次", "transfusions",
        "当日开始的输血（一袋给一名患者为一次）", "Transfusions started on the day (one unit to "
        "one patient)", H, dimensions=("component", "department"),
    ),
    Indicator(
        "red_cells_transfused_u", "红细胞输注量", "Red cells transfused", "单位", "U",
        "当日输注的红细胞，以 200 mL 全血制备量为 1 单位", "Red cells transfused on the day, in "
        "units of 200 mL of whole blood", H, dimensions=("department",), decimals=1,
    ),
    Indicator(
        "adverse_reaction_rate", "输血不良反应发生率", "Adverse reactions", "‰",
        "per 1,000 transfusions", "当日报告的输血不良反应例数", "Adverse reactions reported on "
        "the day", H, denominator_zh="当日开始的输血次数",
        denominator_en="Transfusions started on the day", scale=1000,
        dimensions=("category", "severity"), decimals=2,
    ),
    Indicator(
        "appropriateness_flag_rate", "输血适宜性提示率", "Transfusions flagged for "
        "appropriateness", "%", "%", "当日开始、有适应证提示的输血次数", "Transfusions started "
        "on the day with an indication flag (Hb, platelets, coagulation, indication)", H,
        denominator_zh="当日开始的输血次数", denominator_en="Transfusions started on the day",
        scale=100, dimensions=("flag",), decimals=1,
    ),
    Indicator(
        "missing_approvals", "用血审批缺失", "Missing approvals", "袋次", "transfusions",
        "当日开始、缺少所需审批签字的输血次数", "Transfusions started on the day without the "
        "approval the patient's volume required", H,
    ),
    Indicator(
        "emergency_transfusions", "紧急输血", "Emergency transfusions", "袋次", "transfusions",
        "当日开始的紧急输血次数", "Emergency transfusions started on the day", H,
    ),
    Indicator(
        "incompatible_refused", "拦截的不相容输血", "Incompatible transfusions refused", "次",
        "attempts", "当日因 ABO/RhD 不相容被系统拒绝的输血记录", "Transfusions the system "
        "refused on the day as ABO/RhD-incompatible", H, dimensions=("reason",),
    ),
)  # fmt: skip

INDICATORS: Mapping[str, Indicator] = MappingProxyType({i.code: i for i in _ALL})


def applicable(kind: str) -> list[Indicator]:
    """The indicators an organisation of this kind has facts for (in registry order)."""
    return [i for i in _ALL if kind in i.kinds]


def for_kinds(kinds: Iterable[str]) -> list[Indicator]:
    wanted = set(kinds)
    return [i for i in _ALL if i.kinds & wanted]


# --- breakdown keys ------------------------------------------------------------------------


def key_of(values: Iterable[object]) -> str:
    """The stored key of one combination of dimension values (``red_cells|O-``)."""
    parts = [str(v).replace(KEY_SEPARATOR, "/").strip() for v in values]
    return KEY_SEPARATOR.join(parts)[:MAX_KEY_LENGTH]


def split_key(key: str) -> tuple[str, ...]:
    return tuple(key.split(KEY_SEPARATOR)) if key else ()


def projection(indicator: Indicator, wanted: Iterable[str]) -> tuple[int, ...]:
    """The positions of the `wanted` dimensions in the indicator's keys; ValueError naming
    one it does not have."""
    positions = []
    for name in wanted:
        if name not in indicator.dimensions:
            raise ValueError(name)
        positions.append(indicator.dimensions.index(name))
    return tuple(positions)


def project(key: str, positions: tuple[int, ...]) -> tuple[str, ...]:
    values = split_key(key)
    return tuple(values[p] if p < len(values) else "" for p in positions)
