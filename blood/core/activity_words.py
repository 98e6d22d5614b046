"""The activity log in plain words: every action code the code base records, its verb in
both languages, and how to link the record it names (entity type + id → a page).

A sentence is "<who> <verb> <record>[: <reason>]",
("张瑞 报废 B330026000038 E0001：储存温度超出范围");
an unknown code (an old row, say) falls back to a generic verb, never to the raw code.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BuildError

ACTION_WORDS = {
    "adverse_reaction.report": _l("reported an adverse reaction"),
    "alert.acknowledge": _l("acknowledged the alert"),
    "alert.close": _l("closed the alert"),
    "api_token.create": _l("created the API token"),
    "api_token.revoke": _l("revoked the API token"),
    "blood.collect": _l("collected the donation"),
    "blood.deviation_decide": _l("decided the deviation of"),
    "blood.group_resolve": _l("resolved the blood group of"),
    "blood.lab_result": _l("recorded test results for"),
    "demo.clinical_history": _l("loaded demonstration clinical history"),
    "demo.plasma_history": _l("loaded demonstration plasma history"),
    "demo.stock_history": _l("loaded demonstration stock history"),
    "dispatch.issue": _l("issued the dispatch"),
    "dispatch.transfer": _l("transferred units in"),
    "dispatch.receive": _l("received the dispatch"),
    "donor.defer": _l("deferred the donor"),
    "donor.lift_deferral": _l("lifted the deferral"),
    "donor.register": _l("registered the donor"),
    "lookback.notice_acknowledged": _l("acknowledged the look-back notice"),
    "lookback.open": _l("opened the look-back case"),
    "lookback.trigger": _l("triggered a look-back"),
    "order.create": _l("placed the order"),
    "organisation.collecting_settings": _l("changed the collecting settings of"),
    "organisation.create": _l("created the organisation"),
    "plasma.block": _l("blocked"),
    "plasma.collect": _l("collected"),
    "plasma.deviation_accept": _l("accepted the deviation of"),
    "plasma.deviation_reject": _l("rejected the deviation of"),
    "plasma.destroy": _l("destroyed"),
    "plasma.lab_result": _l("recorded a test result"),
    "plasma.release": _l("released"),
    "plasma.ship": _l("shipped"),
    "plasma.shipment_receipt": _l("received the shipment"),
    "product_codes.load": _l("loaded product codes"),
    "station.designated_area": _l("changed the designated area"),
    "supervision.delivery.retry": _l("retried the delivery"),
    "supervision.inbound_source.add": _l("added the inbound source"),
    "supervision.inbound_summary.receive": _l("received a summary"),
    "supervision.push_target.create": _l("created the push target"),
    "supervision.push_target.deactivate": _l("deactivated the push target"),
    "supervision.push_target.update": _l("changed the push target"),
    "transfusion.outcome": _l("recorded the outcome of"),
    "transfusion.record": _l("recorded the transfusion"),
    "transfusion.review": _l("reviewed the transfusion"),
    "unit.produce": _l("produced"),
    "unit.temperature_excursion": _l("recorded a temperature excursion of"),
    "unit.release": _l("released"),
    "unit.reserve": _l("reserved"),
    "unit.unreserve": _l("unreserved"),
    "unit.issue": _l("issued"),
    "unit.receive": _l("received"),
    "unit.hold": _l("held"),
    "unit.transfuse": _l("transfused"),
    "unit.return": _l("returned"),
    "unit.restock": _l("restocked"),
    "unit.discard": _l("discarded"),
    "unit.expire": _l("expired"),
    "unit.block": _l("blocked"),
    "user.create": _l("created the user"),
    "user.disable": _l("disabled the user"),
    "user.enable": _l("enabled the user"),
    "user.edit": _l("edited the user"),
    "user.locale": _l("changed their language"),
    "user.lock": _l("locked the account of"),
    "user.unlock": _l("unlocked the account of"),
    "user.login": _l("logged in"),
    "user.login_failed": _l("failed to log in"),
    "user.password_change": _l("changed their password"),
    "user.password_reset": _l("reset the password of"),
    "user.roles": _l("changed the roles of"),
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
    "app_user": _l("user"),
    "api_token": _l("API token"),
    "organisation": _l("organisation"),
}


def verb(action: str) -> str:
    words = ACTION_WORDS.get(action)
    return str(words) if words is not None else _("did something")


def actions() -> list[tuple[str, str]]:
    """(code, verb) for the action filter, in the reader's words."""
    return sorted(((code, str(words)) for code, words in ACTION_WORDS.items()), key=lambda x: x[1])


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
