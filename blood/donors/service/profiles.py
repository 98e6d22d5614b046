"""Which rule profile an organisation applies, with the deployment's overrides of its figures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from blood import settings
from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind
from blood.donors import rules

DEFAULT_PROFILE = {OrgKind.PLASMA_STATION: "cn-plasma", OrgKind.BLOOD_CENTRE: "cn-whole-blood"}


def profile_for(session: Session, org: Organisation) -> rules.Profile:
    """The organisation's rule profile, with the deployment's overrides of unconfirmed figures
    (``RULE_PROFILE_OVERRIDES = {"cn-plasma": {"max_alt_u_l": 40, "intervals":
    {"whole_blood>plasma": {"months": 6}}}}`` in instance/config.py; see
    ``rules.apply_overrides``)."""
    code = org.rule_profile or DEFAULT_PROFILE.get(OrgKind(org.kind), "cn-plasma")
    profile = rules.get_profile(code)
    overrides = settings.of(session).rule_profile_overrides.get(code)
    return rules.apply_overrides(profile, overrides) if overrides else profile


def check_rule_profile_overrides(overrides: Mapping[str, Any]) -> None:
    """Apply every override once, when the app starts: an unknown profile, figure, kind of
    donation or shape raises ValueError naming it, instead of failing at a donor's visit."""
    rules.check_overrides(overrides)
