"""The facts a decision looks at, and its answer: plain frozen data, nothing fetched.

The caller gathers who the donor is, today's screening and every past donation and deferral
at any station; `Decision` and its `Reason`s are what `decide` returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from enum import StrEnum

# --- constants -----------------------------------------------------------------------------------

KG_PER_LB = 0.45359237  # exact, by the international yard and pound agreement (1959)

# Densities turn a collection's weight on the scale into a volume. Unconfirmed: typical
# literature values, configurable per profile (`Profile.density_g_per_ml`).
PLASMA_DENSITY_G_PER_ML = 1.027
WHOLE_BLOOD_DENSITY_G_PER_ML = 1.05

# Question code -> the answer that defers the donor. Unknown question codes are ignored and an
# unanswered question defers nobody: the form, not this engine, makes answers mandatory.
QUESTIONNAIRE: dict[str, bool] = {
    "feels_well": False,
    "recent_illness": True,
    "new_medication": True,
    "tattoo_or_piercing_12m": True,
    "pregnant_or_recent_birth": True,
    "high_risk_behaviour": True,
}

# The rapid tests a station runs before collection; a reactive result of any test (listed or
# not) is a reason. Recording the resulting permanent deferral is the service's job.
RAPID_TESTS: tuple[str, ...] = ("hbsag", "anti_hcv", "anti_hiv", "syphilis")

SEXES = ("M", "F")

# A donor's reactions to a donation, recorded with the collection; any of them ends the
# established-donor age extension.
DONATION_REACTIONS: tuple[str, ...] = (
    "vasovagal",
    "citrate",
    "haematoma",
    "nerve_injury",
    "other",
)

# Every code a `Reason` can carry, for translation catalogues and API documentation.
REASON_CODES: tuple[str, ...] = (
    "deferred_permanently",  # {"deferral_code"}
    "deferred_until",  # {"ends_on", "deferral_code"}
    "too_young",  # {"minimum", "actual"}
    "too_old",  # {"maximum", "actual"}
    "measurement_missing",  # {"measurement"}
    "weight_too_low",  # {"minimum", "actual"}
    "systolic_out_of_range",  # {"minimum", "maximum", "minimum_inclusive", ..., "actual"}
    "diastolic_out_of_range",  # same facts as systolic
    "pulse_out_of_range",  # same facts as systolic
    "pulse_pressure_too_low",  # {"minimum", "actual"}
    "temperature_too_high",  # {"maximum", "actual"}
    "protein_too_low",  # {"minimum", "actual"}
    "alt_too_high",  # {"maximum", "actual"}
    "hb_too_low",  # {"minimum", "actual"}
    "rapid_test_reactive",  # {"test"}
    "questionnaire",  # {"question"}
    "interval",  # {"previous", "previous_kind", "earliest"}
    "too_many_in_year",  # {"maximum", "count", "window_days", "earliest"}
    "too_many_in_week",  # same facts as too_many_in_year
    "collection_over_limit",  # {"limit", "unit", "actual"}
)

# Reasons that lapse with time or depend on the donation history; the others are re-measured
# at the next visit.
TIMED_REASON_CODES: frozenset[str] = frozenset(
    {"deferred_until", "too_young", "interval", "too_many_in_year", "too_many_in_week"}
)


# --- the facts the caller gathers ----------------------------------------------------------------


class DonationKind(StrEnum):
    PLASMA = "plasma"
    WHOLE_BLOOD = "whole_blood"
    PLATELETS = "platelets"


@dataclass(frozen=True)
class DonorFacts:
    sex: str  # "M" or "F"
    birth_date: date

    def __post_init__(self) -> None:
        # Thresholds differ by sex; an unknown sex would silently pick the wrong one.
        if self.sex not in SEXES:
            raise ValueError(f"sex must be one of {SEXES}, not {self.sex!r}")


@dataclass(frozen=True)
class Screening:
    """Today's measurements; None means "not measured"."""

    weight_kg: float | None = None
    systolic: int | None = None
    diastolic: int | None = None
    pulse: int | None = None
    temperature_c: float | None = None
    total_protein_g_l: float | None = None
    alt_u_l: float | None = None
    hb_g_l: float | None = None
    rapid_tests: Mapping[str, bool] = field(default_factory=dict)  # test code -> reactive?
    questionnaire: Mapping[str, bool] = field(default_factory=dict)  # question code -> answer


MEASUREMENTS: tuple[str, ...] = tuple(
    f.name for f in fields(Screening) if f.name not in ("rapid_tests", "questionnaire")
)


@dataclass(frozen=True)
class PastDonation:
    on: date
    kind: DonationKind
    adverse_reaction: bool = False
    # Where it was given (an organisation id), for the donor page's history at other
    # organisations and the donor-page scope; the rules themselves never look at it.
    organisation_id: int | None = None


@dataclass(frozen=True)
class DeferralFact:
    permanent: bool
    ends_on: date | None  # temporary deferral: the donor may donate again FROM this date
    reason_code: str

    def __post_init__(self) -> None:
        # A temporary deferral without an end would otherwise be read as lapsed.
        if not self.permanent and self.ends_on is None:
            raise ValueError("a temporary deferral needs ends_on")


@dataclass(frozen=True)
class History:
    """Every donation and deferral of this donor, at any station."""

    donations: tuple[PastDonation, ...] = ()
    deferrals: tuple[DeferralFact, ...] = ()


# --- the answer ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    code: str  # one of REASON_CODES
    facts: Mapping[str, object]  # the figures for the message


@dataclass(frozen=True)
class CollectionLimit:
    amount: float
    unit: str  # "g" or "mL"
    includes_anticoagulant: bool


@dataclass(frozen=True)
class Decision:
    eligible: bool
    reasons: tuple[Reason, ...]  # every rule that failed, not just the first
    next_eligible_on: date | None  # None: never again (permanent deferral, too old)
    collection_limit: CollectionLimit | None  # only when eligible and the weight is known
