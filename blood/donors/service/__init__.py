"""Donor registry and the shared deferral registry.

One donor, one station: a donor is registered once in the whole system, at the station whose
designated area covers their household registration, and donates only there. Deferrals are
shared: one recorded at any station blocks the donor at every station at once.

The rooms: ``collecting`` (the collecting organisation and its day), ``areas`` (designated
areas), ``profiles`` (an organisation's rule profile with the deployment's overrides),
``sources`` (where donations come from: ``HISTORY_SOURCES``), ``age`` (the age rule at
registration and check-in), ``registry`` (resident IDs, registration, look-up and scope),
``deferrals``, ``eligibility`` (history, assessment) and ``records`` (what the donor page
shows). Every public name
is re-exported here: other packages write ``from blood.donors import service as donors`` and
``donors.find_donor(...)``. ``pii`` and ``settings`` are re-exported for them too.
"""

from __future__ import annotations

from blood import pii, settings
from blood.donors.service.areas import (
    OutsideDesignatedArea,
    area_covers,
    require_designated_area,
    set_designated_area,
    stations_covering,
)
from blood.donors.service.collecting import COLLECTING_KINDS, local_today, require_collecting_org
from blood.donors.service.deferrals import (
    DEFERRAL_REASONS,
    NotYourDeferral,
    PermanentDeferral,
    defer_donor,
    deferrals_of,
    get_deferral,
    lift_deferral,
    lift_refusal,
    record_deferral,
)
from blood.donors.service.eligibility import (
    EligibilityAnswer,
    assess,
    assess_new_person,
    check_donor_age,
    check_eligibility,
    donor_history,
    history_blockers,
)
from blood.donors.service.listing import (
    DEFERRAL_SORTS,
    DONOR_SORTS,
    DeferralListQuery,
    DonorListQuery,
    ListedDeferral,
    list_deferrals,
    list_donors,
)
from blood.donors.service.lookback import record_reactive_donation
from blood.donors.service.profiles import (
    DEFAULT_PROFILE,
    check_rule_profile_overrides,
    profile_for,
)
from blood.donors.service.records import DonationElsewhere, DonorOverview, donor_overview
from blood.donors.service.registry import (
    PHONE_RE,
    REGISTER,
    RESIDENT_ID_RE,
    AlreadyRegistered,
    DonorRegistration,
    RegisteredElsewhere,
    ResidentId,
    find_donor,
    find_registered,
    get_donor,
    in_scope,
    may_see_contact,
    parse_resident_id,
    region_status,
    register_donor,
    resident_id_key,
    reveal_contact,
)
from blood.donors.service.sources import HISTORY_SOURCES, donations_of

__all__ = [
    "COLLECTING_KINDS",
    "DEFAULT_PROFILE",
    "DEFERRAL_REASONS",
    "DEFERRAL_SORTS",
    "DONOR_SORTS",
    "HISTORY_SOURCES",
    "PHONE_RE",
    "REGISTER",
    "RESIDENT_ID_RE",
    "AlreadyRegistered",
    "DeferralListQuery",
    "DonationElsewhere",
    "DonorListQuery",
    "DonorOverview",
    "DonorRegistration",
    "EligibilityAnswer",
    "ListedDeferral",
    "NotYourDeferral",
    "OutsideDesignatedArea",
    "PermanentDeferral",
    "RegisteredElsewhere",
    "ResidentId",
    "area_covers",
    "assess",
    "assess_new_person",
    "check_donor_age",
    "check_eligibility",
    "check_rule_profile_overrides",
    "defer_donor",
    "deferrals_of",
    "donations_of",
    "donor_history",
    "donor_overview",
    "find_donor",
    "find_registered",
    "get_deferral",
    "get_donor",
    "history_blockers",
    "in_scope",
    "lift_deferral",
    "lift_refusal",
    "list_deferrals",
    "list_donors",
    "local_today",
    "may_see_contact",
    "parse_resident_id",
    "pii",
    "profile_for",
    "record_deferral",
    "record_reactive_donation",
    "region_status",
    "register_donor",
    "require_collecting_org",
    "require_designated_area",
    "resident_id_key",
    "reveal_contact",
    "set_designated_area",
    "settings",
    "stations_covering",
]
