"""Synthetic people: donors (resident IDs that python-stdnum validates, stored as the registry
stores them: the keyed hash, the mask and the ciphertext, each made once per donor with the
deployment's PII vault) and their names."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from stdnum.cn import ric

from blood import pii
from blood.demo_stock import GROUP_WEIGHTS
from blood.pii import PiiVault
from blood.synth.writer import BulkWriter

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚"
    "邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静磊洋勇艳杰涛明超霞平刚桂英华丽军强辉玲燕萍建红文斌鹏宇浩凯晨欣怡佳琳雪梅兰"
    "志国海波峰亮林东晓婷婧颖璐慧倩健俊杭浙宁"
)
GROUPS, GROUP_SHARES = zip(*GROUP_WEIGHTS.items(), strict=True)


def name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def group(rng: random.Random) -> tuple[str, str]:
    return rng.choices(GROUPS, GROUP_SHARES)[0]


class Donor:
    """A donor as the generators follow them (the row is written at registration)."""

    __slots__ = (
        "abo", "birth", "id", "org_id", "reacted", "region", "rhd", "sex", "weight",
    )  # fmt: skip

    def __init__(self, org_id, sex, birth, region, abo, rhd, weight):
        self.id: int | None = None
        self.org_id, self.sex, self.birth, self.region = org_id, sex, birth, region
        self.abo, self.rhd, self.weight = abo, rhd, weight
        self.reacted = False  # a reaction to a donation ends the established-donor age rule

    def age_on(self, day: date) -> int:
        before = (day.month, day.day) < (self.birth.month, self.birth.day)
        return day.year - self.birth.year - before


def new_donor(
    rng: random.Random, org_id: int, region: str, on: date, *, male_share: float, ages: tuple
) -> Donor:
    """Someone aged ``ages`` (inclusive) on ``on``."""
    sex = "M" if rng.random() < male_share else "F"
    age = rng.randint(*ages)
    birth = on - timedelta(days=365 * age + rng.randint(30, 330))
    abo, rhd = group(rng)
    weight = round(rng.uniform(56, 86) if sex == "M" else rng.uniform(47, 72), 1)
    return Donor(org_id, sex, birth, region, abo, rhd, weight)


class Registry:
    """Writes donors as ``blood.donors.service.register_donor`` stores them: one resident ID
    per person (unique here by construction), its HMAC for look-up, the mask, the Fernet
    ciphertext; a card number from the organisation's counter."""

    def __init__(self, writer: BulkWriter, vault: PiiVault, codes: dict[int, str]):
        self.writer, self.vault, self.codes = writer, vault, codes
        self.cards: dict[int, int] = {}  # organisation id → last card number
        self._taken: set[int] = set()  # the 17 digits of every resident ID made

    def register(self, rng: random.Random, donor: Donor, at: datetime) -> int:
        number = self._resident_id(rng, donor)
        card = self.cards[donor.org_id] = self.cards.get(donor.org_id, 0) + 1
        donor.id = self.writer.next_id("donor")
        self.writer.add(
            "donor",
            (
                donor.id,
                donor.org_id,
                f"{self.codes[donor.org_id]}-{card:06d}",
                self.vault.lookup_key(number, purpose="resident_id"),
                pii.mask_resident_id(number),
                self.vault.encrypt(number),
                name(rng),
                donor.sex,
                donor.birth,
                donor.region,
                donor.abo,
                donor.rhd,
                at,
            ),
        )
        return donor.id

    def _resident_id(self, rng: random.Random, donor: Donor) -> str:
        """Region, birth date, a 3-digit serial whose parity is the sex (odd: male), and the
        ISO 7064 MOD 11-2 check character."""
        head = f"{donor.region}{donor.birth:%Y%m%d}"
        parity = 1 if donor.sex == "M" else 0
        while True:
            serial = 2 * rng.randint(0, 499) + parity
            body = f"{head}{serial:03d}"
            if int(body) not in self._taken:
                self._taken.add(int(body))
                return body + ric.calc_check_digit(body + "0")
