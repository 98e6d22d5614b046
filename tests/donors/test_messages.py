"""Every reason the engine can give has a sentence in both languages."""

from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale

from blood.donors.messages import REASON_MESSAGES, describe
from blood.donors.rules import REASON_CODES, Reason


def test_every_reason_code_has_a_message():
    assert set(REASON_CODES) <= set(REASON_MESSAGES)


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_messages_format_with_their_facts(app, locale):
    facts = {
        "minimum": 50,
        "maximum": 55,
        "actual": 48,
        "measurement": "weight_kg",
        "test": "hbsag",
        "question": "feels_well",
        "ends_on": date(2026, 12, 1),
        "previous": date(2026, 11, 1),
        "earliest": date(2026, 11, 16),
        "previous_kind": "whole_blood",
        "count": 24,
        "limit": 600,
        "unit": "g",
        "station": "淳安",
        "deferral_code": "other",
        "window_days": 365,
    }
    with app.test_request_context(), force_locale(locale):
        for code in REASON_CODES:
            text = describe(Reason(code, facts))
            assert text and "%(" not in text, (code, text)
