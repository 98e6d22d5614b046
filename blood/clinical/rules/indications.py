"""Whether the pre-transfusion values show the indication of 临床输血技术规范 (flags, never
refusals)."""

from __future__ import annotations

from dataclasses import dataclass

from blood.clinical.rules.findings import Finding
from blood.clinical.rules.profile import Profile


@dataclass(frozen=True)
class PreValues:
    """The pre-transfusion values that apply (None: not given)."""

    hb_g_l: float | None = None
    platelets_e9_l: float | None = None
    pt_ratio: float | None = None
    inr: float | None = None
    aptt_ratio: float | None = None
    fibrinogen_g_l: float | None = None


def appropriateness(
    profile: Profile,
    component: str,
    pre: PreValues,
    *,
    surgical: bool,
    bleeding: bool,
    indication: str | None,
) -> list[Finding]:
    """Flags (never refusals) where the values do not show the indication of
    临床输血技术规范: red cells above the Hb figure; platelets above the surgical figure, or
    for a non-surgical patient without bleeding above the prophylactic one; plasma with no
    coagulation value, or with PT and APTT at most the ratio and INR at most its figure;
    cryoprecipitate with no fibrinogen (above a deployment's figure, when it sets one); any
    component without an indication code; a missing value is flagged as such."""
    findings: list[Finding] = []
    if component == "red_cells":
        if pre.hb_g_l is None:
            findings.append(Finding("red_cells_no_hb"))
        elif pre.hb_g_l > profile.red_cells_max_hb_g_l:
            findings.append(
                Finding(
                    "red_cells_hb_high",
                    {"hb": pre.hb_g_l, "maximum": profile.red_cells_max_hb_g_l},
                )
            )
    elif component == "platelets":
        limit = (
            profile.platelets_max_medical
            if not surgical and not bleeding
            else profile.platelets_max_surgical
        )
        if pre.platelets_e9_l is None:
            findings.append(Finding("platelets_no_count"))
        elif pre.platelets_e9_l > limit:
            findings.append(
                Finding(
                    "platelets_count_high",
                    {
                        "count": pre.platelets_e9_l,
                        "maximum": limit,
                        "surgical": surgical,
                        "bleeding": bleeding,
                    },
                )
            )
    elif component == "plasma":
        values = (pre.pt_ratio, pre.aptt_ratio, pre.inr)
        if all(v is None for v in values):
            findings.append(Finding("plasma_no_coagulation"))
        elif not (
            (pre.pt_ratio is not None and pre.pt_ratio > profile.plasma_min_ratio)
            or (pre.aptt_ratio is not None and pre.aptt_ratio > profile.plasma_min_ratio)
            or (pre.inr is not None and pre.inr > profile.plasma_min_inr)
        ):
            findings.append(
                Finding(
                    "plasma_coagulation_normal",
                    {
                        "pt_ratio": pre.pt_ratio,
                        "aptt_ratio": pre.aptt_ratio,
                        "inr": pre.inr,
                        "ratio": profile.plasma_min_ratio,
                        "inr_limit": profile.plasma_min_inr,
                    },
                )
            )
    elif component == "cryo":
        if pre.fibrinogen_g_l is None:
            findings.append(Finding("cryo_no_fibrinogen"))
        elif (
            profile.cryo_max_fibrinogen_g_l is not None
            and pre.fibrinogen_g_l > profile.cryo_max_fibrinogen_g_l
        ):
            findings.append(
                Finding(
                    "cryo_fibrinogen_high",
                    {"fibrinogen": pre.fibrinogen_g_l, "maximum": profile.cryo_max_fibrinogen_g_l},
                )
            )
    if not indication:
        findings.append(Finding("no_indication"))
    return findings
