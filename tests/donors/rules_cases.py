"""The facts the eligibility tests share: a good screening, two donors, a decision day,
and helpers that read a decision. Pure: no app, no database.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from hypothesis import strategies as st

from blood.donors.rules import (
    CN_PLASMA,
    CN_WHOLE_BLOOD,
    EU,
    KG_PER_LB,
    QUESTIONNAIRE,
    RAPID_TESTS,
    US_FDA_PLASMA,
    Decision,
    DonationKind,
    DonorFacts,
    History,
    PastDonation,
    Reason,
    Screening,
)

P, W, PLT = DonationKind.PLASMA, DonationKind.WHOLE_BLOOD, DonationKind.PLATELETS
ON = date(2026, 11, 16)
MAN = DonorFacts("M", date(1990, 5, 17))
WOMAN = DonorFacts("F", date(1992, 3, 3))
NO_HISTORY = History()
GOOD = Screening(
    weight_kg=70,
    systolic=120,
    diastolic=80,
    pulse=72,
    temperature_c=36.6,
    total_protein_g_l=70,
    alt_u_l=10,
    hb_g_l=140,
    rapid_tests=dict.fromkeys(RAPID_TESTS, False),
    questionnaire={code: not deferring for code, deferring in QUESTIONNAIRE.items()},
)
ALL_PROFILES = [CN_PLASMA, CN_WHOLE_BLOOD, US_FDA_PLASMA, EU]


def screen(**changes: object) -> Screening:
    return dataclasses.replace(GOOD, **changes)


def codes(decision: Decision) -> list[str]:
    return [reason.code for reason in decision.reasons]


def reason(decision: Decision, code: str) -> Reason:
    (found,) = [r for r in decision.reasons if r.code == code]
    return found


def donations(*days: date, kind: DonationKind = P, reaction: bool = False) -> History:
    return History(donations=tuple(PastDonation(d, kind, reaction) for d in days))


def lb(pounds: float) -> float:
    return pounds * KG_PER_LB


# Hypothesis strategies for the property tests.
dates = st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31))
births = st.dates(min_value=date(1950, 1, 1), max_value=date(2015, 12, 31))
