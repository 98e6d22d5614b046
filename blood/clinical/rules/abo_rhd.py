"""ABO/RhD compatibility of one unit for one patient."""

from __future__ import annotations

from types import MappingProxyType

from blood.clinical.rules.findings import Finding

# --- ABO/RhD -------------------------------------------------------------------------------------

# The donor groups whose RED CELLS a recipient of each group may receive (the recipient's
# antibodies against the donor's cells): O to all, A to A and AB, B to B and AB, AB to AB.
RED_CELL_DONORS_FOR = MappingProxyType(
    {"O": frozenset("O"), "A": frozenset({"A", "O"}), "B": frozenset({"B", "O"}),
     "AB": frozenset({"AB", "A", "B", "O"})}
)  # fmt: skip
# The donor groups whose PLASMA (and cryoprecipitate) a recipient may receive: the reverse
# (the donor's antibodies against the recipient's cells): AB plasma to all, O plasma to O only.
PLASMA_DONORS_FOR = MappingProxyType(
    {"O": frozenset({"O", "A", "B", "AB"}), "A": frozenset({"A", "AB"}),
     "B": frozenset({"B", "AB"}), "AB": frozenset({"AB"})}
)  # fmt: skip
_DONORS = {"red_cells": RED_CELL_DONORS_FOR, "plasma": PLASMA_DONORS_FOR}
# What is given when the patient's group is not known (the emergency choice).
UNIVERSAL = MappingProxyType({"red_cells": "O", "plasma": "AB"})


def _group(abo: str | None, rhd: str | None) -> str | None:
    return f"{abo}{rhd}" if abo and rhd else None


def compatibility(
    component: str,
    *,
    unit_abo: str,
    unit_rhd: str,
    patient_abo: str | None,
    patient_rhd: str | None,
    emergency: bool = False,
    emergency_reason: str | None = None,
) -> list[Finding]:
    """ABO/RhD of one unit for one patient.

    Red cells: the recipient's antibodies against the donor's cells. Plasma and
    cryoprecipitate: the reverse. Incompatible red cells or plasma are refused; incompatible
    cryoprecipitate and non-identical platelets are accepted with a flag. RhD-positive red
    cells for a known RhD-negative patient are refused unless given in an emergency with its
    reason (then flagged and reported). A patient's unknown group is flagged; when the ABO
    group is unknown only the emergency choice (group O red cells, AB plasma) is accepted.
    """
    facts = {
        "component": component,
        "unit_group": _group(unit_abo, unit_rhd),
        "patient_group": _group(patient_abo, patient_rhd),
    }
    findings: list[Finding] = []
    if patient_abo is None:
        universal = UNIVERSAL.get(component)
        if universal is not None and unit_abo != universal:
            return [
                Finding(
                    "group_unknown_not_universal", {**facts, "universal": universal}, refuses=True
                )
            ]
    elif component in ("red_cells", "plasma") and unit_abo not in _DONORS[component][patient_abo]:
        findings.append(Finding("abo_incompatible", facts, refuses=True))
    elif component == "cryo" and unit_abo not in PLASMA_DONORS_FOR[patient_abo]:
        findings.append(Finding("cryo_abo_incompatible", facts))
    elif component == "platelets" and unit_abo != patient_abo:
        findings.append(Finding("platelets_abo_non_identical", facts))

    if patient_rhd == "-" and unit_rhd == "+":
        if component == "red_cells":
            if emergency and emergency_reason:
                findings.append(
                    Finding(
                        "rhd_positive_emergency", {**facts, "reason": emergency_reason}, report=True
                    )
                )
            else:
                findings.append(Finding("rhd_incompatible", facts, refuses=True))
        elif component == "platelets":
            findings.append(Finding("platelets_rhd_positive_to_negative", facts))

    if patient_abo is None or patient_rhd is None:
        parts = (("ABO", patient_abo), ("RhD", patient_rhd))
        unknown = [part for part, value in parts if not value]
        findings.append(Finding("patient_group_unknown", {**facts, "unknown": "/".join(unknown)}))
    return findings
