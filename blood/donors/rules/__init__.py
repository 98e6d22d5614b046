"""Donor eligibility as pure data and functions: no Flask, no database, no translation.

The caller gathers the facts (who the donor is, today's screening, every past donation and
deferral at any station) and `decide` applies one jurisdiction's `Profile` to them. Profiles are
data, so a deployment overrides a figure with `dataclasses.replace(profile, max_alt_u_l=40)`
instead of editing code. Every failed rule is reported as a `Reason` with a stable code and the
figures for the message; turning codes into words is the web layer's job.

Figures come from /work/shared/domain-rules.md. Each figure that is not confirmed by the cited
source is marked "unconfirmed" where it is defined, and is configurable like any other.

Conventions used throughout:
- Dates are calendar days. A decision looks back from `on`: donations dated after `on` (when a
  past date is re-evaluated) are ignored.
- An interval is "the earliest next donation is previous date + interval".
- A rolling window of N days ending on `on` holds the donations less than N days old.
- Physical amounts are compared at 0.1 resolution (scales read to 0.1 g / 0.1 kg), which also
  keeps float noise from refusing a collection that is exactly at its limit.

The package's rooms: `facts` (what the caller gathers, and the answer), `profiles` (each
jurisdiction's figures as data), `overrides` (a deployment's overrides of them, as its
configuration spells them) and `engine` (`decide`, the age rule on its own for registration
and check-in, collection limits). Everything is
re-exported here, so callers write `rules.decide(...)` or `from blood.donors.rules import X`.
"""

from __future__ import annotations

from blood.donors.rules.engine import (
    age_on,
    birthday,
    check_age,
    check_collection_amount,
    collection_limit,
    decide,
)
from blood.donors.rules.facts import (
    DONATION_REACTIONS,
    KG_PER_LB,
    MEASUREMENTS,
    PLASMA_DENSITY_G_PER_ML,
    QUESTIONNAIRE,
    RAPID_TESTS,
    REASON_CODES,
    SEXES,
    TIMED_REASON_CODES,
    WHOLE_BLOOD_DENSITY_G_PER_ML,
    CollectionLimit,
    Decision,
    DeferralFact,
    DonationKind,
    DonorFacts,
    History,
    PastDonation,
    Reason,
    Screening,
)
from blood.donors.rules.overrides import OVERRIDABLE, apply_overrides, check_overrides
from blood.donors.rules.profiles import (
    BASE_MEASUREMENTS,
    CN_PLASMA,
    CN_WHOLE_BLOOD,
    EU,
    PROFILES,
    US_FDA_PLASMA,
    CollectionBand,
    FrequencyLimit,
    Interval,
    PerSex,
    Profile,
    Range,
    add_months,
    get_profile,
)

__all__ = [
    "BASE_MEASUREMENTS",
    "CN_PLASMA",
    "CN_WHOLE_BLOOD",
    "DONATION_REACTIONS",
    "EU",
    "KG_PER_LB",
    "MEASUREMENTS",
    "OVERRIDABLE",
    "PLASMA_DENSITY_G_PER_ML",
    "PROFILES",
    "QUESTIONNAIRE",
    "RAPID_TESTS",
    "REASON_CODES",
    "SEXES",
    "TIMED_REASON_CODES",
    "US_FDA_PLASMA",
    "WHOLE_BLOOD_DENSITY_G_PER_ML",
    "CollectionBand",
    "CollectionLimit",
    "Decision",
    "DeferralFact",
    "DonationKind",
    "DonorFacts",
    "FrequencyLimit",
    "History",
    "Interval",
    "PastDonation",
    "PerSex",
    "Profile",
    "Range",
    "Reason",
    "Screening",
    "add_months",
    "age_on",
    "apply_overrides",
    "birthday",
    "check_age",
    "check_collection_amount",
    "check_overrides",
    "collection_limit",
    "decide",
    "get_profile",
]
