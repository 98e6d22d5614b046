"""Clinical blood use: one module per sub-domain, every public name re-exported here
(``from blood.clinical import service as clinical``).

``transfusions`` records one (every rule, through the stock's guarded transition), ``batch``
up to 1,000 set-based, both writing through ``recording``; ``outcomes`` the effect of a
transfusion; ``reactions`` adverse reactions; ``records`` reads transfusions (reconciliation,
a patient, the register); ``review`` the committee's list; ``disposals`` returns, discards and
the units held; ``figures`` the hospital's month; ``common`` who may act and read, keys, masks,
cursors; ``preview`` what recording one would do, nothing written (the page's
confirmation step).
"""

from blood.clinical.rules import RETURN_REASONS
from blood.clinical.service.batch import MAX_BATCH, BatchResult, record_batch
from blood.clinical.service.common import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    CursorPage,
    acting_hospital,
    acting_reader,
    mask_record_number,
    mask_staff_id,
    may_record,
    patient_key,
    patient_key_at,
    profile_of,
    recording_hospital,
    staff_key,
)
from blood.clinical.service.disposals import (
    Movement,
    UnitAction,
    discard_units,
    held_units,
    list_discards,
    list_returns,
    return_units,
    transfusable_units,
)
from blood.clinical.service.figures import MonthlyFigures, UseRow, monthly_figures
from blood.clinical.service.outcomes import (
    MEASURES,
    OutcomeInput,
    covering_outcome,
    record_outcome,
)
from blood.clinical.service.preview import TransfusionPreview, preview_transfusion
from blood.clinical.service.reactions import (
    ReactionDetail,
    ReactionInput,
    UnitRef,
    get_reaction,
    list_reactions,
    reaction_details,
    reactions_page,
    record_reaction,
)
from blood.clinical.service.records import (
    RecordPage,
    RegisterFilter,
    TransfusionDetail,
    departments,
    details,
    find_patient,
    get_transfusion,
    list_transfusions,
    patient_history,
    record_page,
    register,
)
from blood.clinical.service.review import ReviewList, review_list, review_transfusion
from blood.clinical.service.transfusions import (
    ApprovalInput,
    TransfusionInput,
    assess,
    record_transfusion,
    record_transfusion_detail,
)

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_BATCH",
    "MAX_LIMIT",
    "MEASURES",
    "RETURN_REASONS",
    "ApprovalInput",
    "BatchResult",
    "CursorPage",
    "MonthlyFigures",
    "Movement",
    "OutcomeInput",
    "ReactionDetail",
    "ReactionInput",
    "RecordPage",
    "RegisterFilter",
    "ReviewList",
    "TransfusionDetail",
    "TransfusionInput",
    "TransfusionPreview",
    "UnitAction",
    "UnitRef",
    "UseRow",
    "acting_hospital",
    "acting_reader",
    "assess",
    "covering_outcome",
    "departments",
    "details",
    "discard_units",
    "find_patient",
    "get_reaction",
    "get_transfusion",
    "held_units",
    "list_discards",
    "list_reactions",
    "list_returns",
    "list_transfusions",
    "mask_record_number",
    "mask_staff_id",
    "may_record",
    "monthly_figures",
    "patient_history",
    "patient_key",
    "patient_key_at",
    "preview_transfusion",
    "profile_of",
    "reaction_details",
    "reactions_page",
    "record_batch",
    "record_outcome",
    "record_page",
    "record_reaction",
    "record_transfusion",
    "record_transfusion_detail",
    "recording_hospital",
    "register",
    "return_units",
    "review_list",
    "review_transfusion",
    "staff_key",
    "transfusable_units",
]
