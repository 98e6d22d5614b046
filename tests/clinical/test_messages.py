"""Every refusal and flag has a stable code and a sentence (translated: tests/core/test_i18n.py),
and every sentence takes the figures its rule gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from blood.clinical import messages, rules

P = rules.CN_CLINICAL
START = datetime(2026, 11, 20, 8, tzinfo=UTC)


def test_every_code_has_its_sentence_and_its_label():
    assert set(rules.FLAG_CODES) == set(messages.FLAG_MESSAGES) == set(messages.FLAG_LABELS)
    assert set(rules.REFUSAL_CODES) <= set(messages.REFUSALS)
    assert "onset_before_transfusion" in messages.REFUSALS
    assert set(messages.WARNING_MESSAGES) == {"onset_outside_window"}


def test_every_vocabulary_word_has_its_label():
    assert set(messages.COMPONENT_LABELS) == set(rules.COMPONENTS)
    assert set(messages.CATEGORY_LABELS) == set(rules.REACTION_CATEGORIES)
    assert set(messages.SEVERITY_LABELS) == set(rules.SEVERITIES)
    assert set(messages.IMPUTABILITY_LABELS) == set(rules.IMPUTABILITY)
    assert set(messages.REACTION_OUTCOME_LABELS) == set(rules.REACTION_OUTCOMES)
    assert set(messages.TIER_LABELS) == set(rules.APPROVAL_TIERS)
    assert set(messages.AGE_BAND_LABELS) == set(rules.AGE_BANDS)
    assert set(messages.RETURN_REASON_LABELS) == set(rules.RETURN_REASONS)


def findings():
    """At least one finding of every flag code, as the rules make them."""
    made = []
    compat = rules.compatibility
    made += compat("red_cells", unit_abo="O", unit_rhd="+", patient_abo="O", patient_rhd="-",
                   emergency=True, emergency_reason="大出血")  # fmt: skip
    made += compat("red_cells", unit_abo="O", unit_rhd="+", patient_abo=None, patient_rhd=None)
    made += compat("platelets", unit_abo="A", unit_rhd="+", patient_abo="B", patient_rhd="-")
    made += compat("cryo", unit_abo="O", unit_rhd="+", patient_abo="A", patient_rhd="+")
    made += rules.emergency_flag(True, "大出血") + rules.ordering_doctor_flag(False)
    made += rules.approval(P, counted=400, earlier_ml=1200, signed=(), emergency=False).findings
    local = rules.Profile(code="local", cryo_max_fibrinogen_g_l=1.5)
    for component, pre in [
        ("red_cells", rules.PreValues()),
        ("red_cells", rules.PreValues(hb_g_l=120)),
        ("platelets", rules.PreValues()),
        ("platelets", rules.PreValues(platelets_e9_l=50)),
        ("plasma", rules.PreValues()),
        ("plasma", rules.PreValues(inr=1.4)),
        ("cryo", rules.PreValues()),
        ("cryo", rules.PreValues(fibrinogen_g_l=2.5)),
    ]:
        made += rules.appropriateness(
            local, component, pre, surgical=False, bleeding=False, indication=None
        )
    made.append(rules.red_cell_effect(P, pre_hb=60, post_hb=61, units=2).finding)
    made.append(
        rules.platelet_effect(
            P, pre_count=10, post_count=12, bsa_m2=1.7, dose_e11=2.5, hours_after_end=1
        ).finding
    )
    return made


def test_the_rules_raise_every_flag_code():
    assert {f.code for f in findings() if not f.refuses} == set(rules.FLAG_CODES)


@pytest.mark.parametrize("finding", [f for f in findings() if not f.refuses], ids=lambda f: f.code)
def test_every_flag_sentence_takes_its_rules_figures(app, finding):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        text = messages.flag_text(finding.code, finding.facts)
    assert "%(" not in text and "_" not in text.replace("__", "")
    for value in finding.facts.values():
        if isinstance(value, int | float) and not isinstance(value, bool):
            assert f"{value:g}" in text, (finding.code, text)


@pytest.mark.parametrize("code", sorted(messages.REFUSALS))
def test_every_refusal_reads_without_its_figures_too(app, code):
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        refusal = messages.refusal(code)
        assert refusal.code == code and refusal.status in (403, 409, 422)
        assert "%(" not in refusal.message


def test_the_onset_warning_says_the_window_in_words(app):
    warning = rules.onset(P, "trali", START + timedelta(hours=12), [(START, START)])
    with app.test_request_context(headers={"Accept-Language": "en"}):
        text = messages.warning_text({"code": warning.code, "facts": dict(warning.facts)})
    assert text.startswith("Transfusion-related acute lung injury (TRALI) usually starts during")
    assert "12 hours after" in text
