"""The activity log in plain words: every action code the code base records, its verb in
both languages, and how to link the record it names (entity type + id → a page).

A sentence is "<who> <verb> <record>[: <reason>]",
("张瑞 报废 B330026000038 E0001：储存温度超出范围");
an unknown code (an old row, say) falls back to a generic verb, never to the raw code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import pgettext
from werkzeug.routing import BuildError

# Verbs in the activity's own context ("discarded" here is 报废, not a state's 已报废).
ACTION_WORDS: dict[str, Callable[[], str]] = {
    "adverse_reaction.report": lambda: pgettext("activity", "reported an adverse reaction"),
    "alert.acknowledge": lambda: pgettext("activity", "acknowledged the alert"),
    "alert.close": lambda: pgettext("activity", "closed the alert"),
    "api_token.create": lambda: pgettext("activity", "created the API token"),
    "api_token.revoke": lambda: pgettext("activity", "revoked the API token"),
    "blood.collect": lambda: pgettext("activity", "collected the donation"),
    "blood.deviation_decide": lambda: pgettext("activity", "decided the deviation of"),
    "blood.group_resolve": lambda: pgettext("activity", "resolved the blood group of"),
    "blood.lab_result": lambda: pgettext("activity", "recorded test results for"),
    "demo.clinical_history": lambda: pgettext("activity", "loaded demonstration clinical history"),
    "demo.plasma_history": lambda: pgettext("activity", "loaded demonstration plasma history"),
    "demo.stock_history": lambda: pgettext("activity", "loaded demonstration stock history"),
    "dispatch.issue": lambda: pgettext("activity", "issued the dispatch"),
    "dispatch.transfer": lambda: pgettext("activity", "transferred units in"),
    "dispatch.receive": lambda: pgettext("activity", "received the dispatch"),
    "donor.defer": lambda: pgettext("activity", "deferred the donor"),
    "donor.lift_deferral": lambda: pgettext("activity", "lifted the deferral"),
    "donor.register": lambda: pgettext("activity", "registered the donor"),
    "donor.recall_contact": lambda: pgettext("activity", "logged a recall contact with"),
    "donor.phone_reveal": lambda: pgettext("activity", "looked up the phone number of"),
    "donor.contact_reveal": lambda: pgettext("activity", "looked up the contact details of"),
    "lookback.notice_acknowledged": lambda: pgettext(
        "activity", "acknowledged the look-back notice"
    ),
    "lookback.case_closed": lambda: pgettext("activity", "closed the look-back case"),
    "lookback.open": lambda: pgettext("activity", "opened the look-back case"),
    "lookback.trigger": lambda: pgettext("activity", "triggered a look-back"),
    "order.create": lambda: pgettext("activity", "placed the order"),
    "recall.campaign_start": lambda: pgettext("activity", "started the recall campaign"),
    "recall.campaign_close": lambda: pgettext("activity", "closed the recall campaign"),
    "organisation.collecting_settings": lambda: pgettext(
        "activity", "changed the collecting settings of"
    ),
    "organisation.create": lambda: pgettext("activity", "created the organisation"),
    "plasma.block": lambda: pgettext("activity", "blocked"),
    "plasma.collect": lambda: pgettext("activity", "collected"),
    "plasma.deviation_accept": lambda: pgettext("activity", "accepted the deviation of"),
    "plasma.deviation_reject": lambda: pgettext("activity", "rejected the deviation of"),
    "plasma.destroy": lambda: pgettext("activity", "destroyed"),
    "plasma.lab_result": lambda: pgettext("activity", "recorded a test result"),
    "plasma.release": lambda: pgettext("activity", "released"),
    "plasma.ship": lambda: pgettext("activity", "shipped"),
    "plasma.shipment_receipt": lambda: pgettext("activity", "received the shipment"),
    "product_codes.load": lambda: pgettext("activity", "loaded product codes"),
    "station.designated_area": lambda: pgettext("activity", "changed the designated area"),
    "supervision.delivery.retry": lambda: pgettext("activity", "retried the delivery"),
    "supervision.inbound_source.add": lambda: pgettext("activity", "added the inbound source"),
    "supervision.inbound_summary.receive": lambda: pgettext("activity", "received a summary"),
    "supervision.push_target.create": lambda: pgettext("activity", "created the push target"),
    "supervision.push_target.deactivate": lambda: pgettext(
        "activity", "deactivated the push target"
    ),
    "supervision.push_target.update": lambda: pgettext("activity", "changed the push target"),
    "transfusion.outcome": lambda: pgettext("activity", "recorded the outcome of"),
    "transfusion.record": lambda: pgettext("activity", "recorded the transfusion"),
    "transfusion.review": lambda: pgettext("activity", "reviewed the transfusion"),
    "unit.produce": lambda: pgettext("activity", "produced"),
    "unit.temperature_excursion": lambda: pgettext(
        "activity", "recorded a temperature excursion of"
    ),
    "unit.release": lambda: pgettext("activity", "released"),
    "unit.reserve": lambda: pgettext("activity", "reserved"),
    "unit.unreserve": lambda: pgettext("activity", "unreserved"),
    "unit.issue": lambda: pgettext("activity", "issued"),
    "unit.receive": lambda: pgettext("activity", "received"),
    "unit.hold": lambda: pgettext("activity", "held"),
    "unit.transfuse": lambda: pgettext("activity", "transfused"),
    "unit.return": lambda: pgettext("activity", "returned"),
    "unit.restock": lambda: pgettext("activity", "restocked"),
    "unit.discard": lambda: pgettext("activity", "discarded"),
    "unit.expire": lambda: pgettext("activity", "expired"),
    "unit.block": lambda: pgettext("activity", "blocked"),
    "visit.check_in": lambda: pgettext("activity", "checked in for"),
    "visit.screen": lambda: pgettext("activity", "screened"),
    "user.create": lambda: pgettext("activity", "created the user"),
    "user.disable": lambda: pgettext("activity", "disabled the user"),
    "user.enable": lambda: pgettext("activity", "enabled the user"),
    "user.edit": lambda: pgettext("activity", "edited the user"),
    "user.locale": lambda: pgettext("activity", "changed their language"),
    "user.lock": lambda: pgettext("activity", "locked the account of"),
    "user.unlock": lambda: pgettext("activity", "unlocked the account of"),
    "user.login": lambda: pgettext("activity", "logged in"),
    "user.login_failed": lambda: pgettext("activity", "failed to log in"),
    "user.password_change": lambda: pgettext("activity", "changed their password"),
    "user.password_reset": lambda: pgettext("activity", "reset the password of"),
    "user.roles": lambda: pgettext("activity", "changed the roles of"),
}

# Actions about the actor themself: the record is not repeated in the sentence.
SELF_ACTIONS = {"user.login", "user.login_failed", "user.locale", "user.password_change"}

# entity type → (endpoint, the argument the id fills)
RECORD_PAGES = {
    "plasma_visit": ("plasma.visit", "visit_id"),
    "plasma_shipment": ("plasma.shipment", "shipment_id"),
    "donor": ("donors.donor", "donor_id"),
    "blood_donation": ("stock.donation", "donation_id"),
    "blood_order": ("stock.order", "order_id"),
    "blood_dispatch": ("stock.dispatch", "dispatch_id"),
    "clinical_transfusion": ("clinical.transfusion", "transfusion_id"),
    "clinical_adverse_reaction": ("clinical.reaction", "reaction_id"),
    "supervision_alert": ("supervision.alert", "alert_id"),
    "supervision_push_target": ("supervision.push_target", "target_id"),
    "trace_lookback_case": ("trace.case", "case_id"),
    "analytics_recall_campaign": ("analytics.campaign", "campaign_id"),
    "app_user": ("accounts.users", None),
    "api_token": ("accounts.tokens", None),
}

RECORD_WORDS = {
    "plasma_visit": _l("visit"),
    "plasma_collection": _l("plasma unit"),
    "plasma_lab_result": _l("test result"),
    "plasma_shipment": _l("shipment"),
    "donor": _l("donor"),
    "deferral": _l("deferral"),
    "blood_donation": _l("donation"),
    "blood_unit": _l("unit"),
    "blood_order": _l("order"),
    "blood_dispatch": _l("dispatch"),
    "clinical_transfusion": _l("transfusion"),
    "clinical_adverse_reaction": _l("adverse reaction"),
    "supervision_alert": _l("alert"),
    "supervision_push_target": _l("push target"),
    "trace_lookback_case": _l("look-back case"),
    "analytics_recall_campaign": _l("recall campaign"),
    "app_user": _l("user"),
    "api_token": _l("API token"),
    "organisation": _l("organisation"),
}


def verb(action: str) -> str:
    words = ACTION_WORDS.get(action)
    return words() if words is not None else _("did something")


def actions() -> list[tuple[str, str]]:
    """(code, verb) for the action filter, in the reader's words."""
    return sorted(((code, words()) for code, words in ACTION_WORDS.items()), key=lambda x: x[1])


def record_types() -> list[tuple[str, str]]:
    """(entity type, its name) for the record filter."""
    return sorted(((code, str(w)) for code, w in RECORD_WORDS.items()), key=lambda x: x[1])


def record_word(entity_type: str | None) -> str:
    if entity_type is None:
        return ""
    words = RECORD_WORDS.get(entity_type)
    return str(words) if words is not None else _("record")


def record_url(entity_type: str | None, entity_id: str | None) -> str | None:
    """The page of the record, where it has one."""
    page = RECORD_PAGES.get(entity_type or "")
    if page is None:
        return None
    endpoint, argument = page
    try:
        if argument is None:
            return url_for(endpoint)
        if not entity_id or not entity_id.isdigit():
            return None
        return url_for(endpoint, **{argument: int(entity_id)})
    except BuildError:
        return None


@dataclass(frozen=True)
class Sentence:
    who: str
    verb: str
    record: str  # the record's name ("B330026000038 E0001", "donor #12") or ""
    url: str | None
    reason: str | None

    @property
    def text(self) -> str:
        parts = [self.who, self.verb]
        if self.record:
            parts.append(self.record)
        text = " ".join(parts)
        if self.reason:
            text += _(": %(reason)s", reason=self.reason)
        return text


def sentence(
    *,
    action: str,
    who: str,
    entity_type: str | None,
    entity_id: str | None,
    record_label: str | None,
    reason: str | None,
) -> Sentence:
    record = ""
    if action not in SELF_ACTIONS and entity_type:
        record = record_label or (
            f"{record_word(entity_type)} #{entity_id}" if entity_id else record_word(entity_type)
        )
    return Sentence(
        who=who,
        verb=verb(action),
        record=record,
        url=None if action in SELF_ACTIONS else record_url(entity_type, entity_id),
        reason=reason,
    )
