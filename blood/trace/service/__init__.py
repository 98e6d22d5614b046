"""Trace and look-back services, re-exported: the trace of a DIN or a donor, look-back cases
(opening, blocking, notices), their reads and CSV, FHIR export."""

from blood.trace.service.cases import (
    ORIGIN_WORDS,
    OUTCOME_WORDS,
    STATUS_WORDS,
    CaseView,
    case_csv,
    get_case,
    list_cases,
    may_open_case,
    may_read_cases,
)
from blood.trace.service.closing import close_case, may_close_case
from blood.trace.service.fhir import dispense_fhir, product_resource, unit_fhir
from blood.trace.service.lookback import (
    NOTICE_DUE,
    ManualCaseInput,
    open_case,
    open_for_reaction,
    open_for_trigger,
    open_manual_case,
)
from blood.trace.service.notices import (
    NOTICE_KIND_ASKS,
    NOTICE_KIND_WORDS,
    NOTICE_STATE_WORDS,
    NoticeView,
    acknowledge_notice,
    list_notices,
    may_acknowledge,
    notice_state,
)
from blood.trace.service.trace import DonorTrace, Trace, trace_din, trace_donor

__all__ = [
    "NOTICE_DUE",
    "NOTICE_KIND_ASKS",
    "NOTICE_KIND_WORDS",
    "NOTICE_STATE_WORDS",
    "ORIGIN_WORDS",
    "OUTCOME_WORDS",
    "STATUS_WORDS",
    "CaseView",
    "DonorTrace",
    "ManualCaseInput",
    "NoticeView",
    "Trace",
    "acknowledge_notice",
    "case_csv",
    "close_case",
    "dispense_fhir",
    "get_case",
    "list_cases",
    "list_notices",
    "may_acknowledge",
    "may_close_case",
    "may_open_case",
    "may_read_cases",
    "notice_state",
    "open_case",
    "open_for_reaction",
    "open_for_trigger",
    "open_manual_case",
    "product_resource",
    "trace_din",
    "trace_donor",
    "unit_fhir",
]
