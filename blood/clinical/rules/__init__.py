"""Clinical blood use as pure rules: no Flask, no database, no translation.

The caller gathers the facts (the unit, the patient, the pre-transfusion values, what the
patient already received in the approval window, who signed) and these functions answer with
``Finding``s: each a stable code and the figures for its message. A finding that ``refuses``
stops the record (an ABO-incompatible red-cell unit); every other one is a flag: the record is
kept, and the flag tells the hospital's transfusion committee and the regulator why it needs a
look. Turning codes into words is ``blood.clinical.messages``' job.

Figures are data: a ``Profile`` per jurisdiction (``CN_CLINICAL``, from
/work/shared/domain-rules.md, "Clinical blood use — China"), which a deployment changes through
``Settings`` (``blood/settings.py``, the ``clinical_*`` fields). Figures the cited sources do
not confirm are marked "unconfirmed" where they are defined.

Sources: 医疗机构临床用血管理办法 (Ministry of Health order No. 85, 2012, Art. 21: counting and
approval tiers); 临床输血技术规范 (2000: red-cell, platelet and plasma indications); ISBT/IHN
haemovigilance definitions (reaction categories and their usual onset), NHSN Hemovigilance
Module (severity, imputability, outcome).

One module per concern, all re-exported here (``from blood.clinical import rules``):
``vocabulary`` (the codes), ``profile`` (the figures), ``findings``, ``abo_rhd``
(compatibility), ``approvals``, ``indications`` (appropriateness), ``effect`` and
``reactions``.
"""

from blood.clinical.rules.abo_rhd import (
    PLASMA_DONORS_FOR,
    RED_CELL_DONORS_FOR,
    UNIVERSAL,
    compatibility,
)
from blood.clinical.rules.approvals import (
    Approval,
    approval,
    counted_ml,
    emergency_flag,
    ordering_doctor_flag,
    required_tiers,
)
from blood.clinical.rules.effect import (
    Effect,
    coagulation_effect,
    platelet_effect,
    red_cell_effect,
)
from blood.clinical.rules.findings import (
    FLAG_CODES,
    REFUSAL_CODES,
    Finding,
)
from blood.clinical.rules.indications import (
    PreValues,
    appropriateness,
)
from blood.clinical.rules.profile import (
    CN_CLINICAL,
    PROFILES,
    REACTION_WINDOWS,
    Profile,
    Window,
)
from blood.clinical.rules.reactions import (
    alert_required,
    onset,
)
from blood.clinical.rules.vocabulary import (
    AGE_BANDS,
    ALERT_CATEGORIES,
    ALERT_SEVERITY,
    APPROVAL_TIERS,
    COMPONENTS,
    DEPARTMENT_HEAD,
    IMPUTABILITY,
    MEDICAL_DEPARTMENT,
    REACTION_CATEGORIES,
    REACTION_OUTCOMES,
    RETURN_REASONS,
    SENIOR_DOCTOR,
    SEVERITIES,
    SEXES,
    age_band,
)

__all__ = [
    "AGE_BANDS",
    "ALERT_CATEGORIES",
    "ALERT_SEVERITY",
    "APPROVAL_TIERS",
    "CN_CLINICAL",
    "COMPONENTS",
    "DEPARTMENT_HEAD",
    "FLAG_CODES",
    "IMPUTABILITY",
    "MEDICAL_DEPARTMENT",
    "PLASMA_DONORS_FOR",
    "PROFILES",
    "REACTION_CATEGORIES",
    "REACTION_OUTCOMES",
    "REACTION_WINDOWS",
    "RED_CELL_DONORS_FOR",
    "REFUSAL_CODES",
    "RETURN_REASONS",
    "SENIOR_DOCTOR",
    "SEVERITIES",
    "SEXES",
    "UNIVERSAL",
    "Approval",
    "Effect",
    "Finding",
    "PreValues",
    "Profile",
    "Window",
    "age_band",
    "alert_required",
    "appropriateness",
    "approval",
    "coagulation_effect",
    "compatibility",
    "counted_ml",
    "emergency_flag",
    "onset",
    "ordering_doctor_flag",
    "platelet_effect",
    "red_cell_effect",
    "required_tiers",
]
