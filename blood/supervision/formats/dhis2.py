"""DHIS2: a summary as a ``dataValueSets`` import, and DHIS2's ImportSummary read back.

The target's mapping (docs/supervision.md, "The DHIS2 mapping")::

    {
      "dataSet": "BfMAe6Itzgt",                      (optional)
      "attributeOptionCombo": "HllvX50cXC0",         (optional)
      "orgUnits": {"HZ": "DiszpKrYNg8"},              authority code -> orgUnit uid
      "dataElements": {
        "units_transfused": {"dataElement": "fbfJHSPpUQD", "categoryOptionCombo": "PT59n8BQbqM"},
        "units_on_hand|red_cells|O-": {"dataElement": "cYeuwXTCPkU"}
      }
    }

A key is an indicator code (its total) or an indicator code, ``|`` and a breakdown key of
the summary (``red_cells|O-``: one value per dimension of the indicator, in its order).
Figures without a mapping are not sent; a figure without a value (a rate with nothing to
divide by) is not sent either. The period is the summary's, in DHIS2's format (``20261203``,
``2026W49``, ``202612``).

The answer: DHIS2 2.38 and later wrap the ImportSummary in a web message
(``{"httpStatus": "Conflict", "httpStatusCode": 409, "status": "WARNING", "response":
{"responseType": "ImportSummary", ...}}``); 2.37 and earlier answer the ImportSummary
itself. Either way, status ``ERROR`` or any ``ignored`` value is a failed delivery, and its
conflicts are kept to show.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping

from blood.supervision.formats.common import Outcome, Outgoing

KEY_SEPARATOR = "|"


class MappingError(ValueError):
    """The mapping cannot place this summary (no orgUnit for its authority, a malformed
    entry): a configuration to fix, said in the delivery's error."""


def check_mapping(mapping: Mapping) -> list[str]:
    """What is wrong with a mapping, in words (empty when it is usable)."""
    problems = []
    if not isinstance(mapping, Mapping):
        return ["the mapping must be a JSON object"]
    units = mapping.get("orgUnits", {})
    if not isinstance(units, Mapping) or not all(isinstance(v, str) and v for v in units.values()):
        problems.append("orgUnits must map organisation codes to orgUnit ids")
    elements = mapping.get("dataElements", {})
    if not isinstance(elements, Mapping):
        problems.append("dataElements must be an object")
    else:
        for key, entry in elements.items():
            if not isinstance(entry, Mapping) or not isinstance(entry.get("dataElement"), str):
                problems.append(f"dataElements[{key!r}] needs a dataElement id")
    for name in ("dataSet", "attributeOptionCombo"):
        if name in mapping and not isinstance(mapping[name], str):
            problems.append(f"{name} must be an id")
    return problems


def data_values(document: Mapping, mapping: Mapping) -> dict:
    """The ``dataValueSets`` payload for a summary document."""
    problems = check_mapping(mapping)
    if problems:
        raise MappingError("; ".join(problems))
    authority = document["authority"]["code"]
    org_unit = mapping.get("orgUnits", {}).get(authority)
    if not org_unit:
        raise MappingError(f"no orgUnit mapped for {authority}")
    period = document["period"].get("dhis2")
    if not period:
        raise MappingError("DHIS2 has no name for this period")
    elements = mapping.get("dataElements", {})
    values = []
    for figure in document.get("indicators", []):
        rows = [(figure["code"], figure.get("value"))]
        rows += [
            (figure["code"] + KEY_SEPARATOR + part["key"], part.get("value"))
            for part in figure.get("breakdowns", [])
        ]
        for key, value in rows:
            entry = elements.get(key)
            if entry is None or value is None:
                continue
            row = {
                "dataElement": entry["dataElement"],
                "period": period,
                "orgUnit": org_unit,
                "value": _number(value),
            }
            if entry.get("categoryOptionCombo"):
                row["categoryOptionCombo"] = entry["categoryOptionCombo"]
            values.append(row)
    payload: dict = {"dataValues": values}
    if mapping.get("dataSet"):
        payload["dataSet"] = mapping["dataSet"]
    if mapping.get("attributeOptionCombo"):
        payload["attributeOptionCombo"] = mapping["attributeOptionCombo"]
    return payload


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def build(
    *,
    url: str,
    document: Mapping,
    mapping: Mapping,
    key: str,
    username: str | None,
    password: str | None,
) -> Outgoing:
    body = json.dumps(data_values(document, mapping), separators=(",", ":")).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Idempotency-Key": key,
    }
    if username:
        token = base64.b64encode(f"{username}:{password or ''}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
    return Outgoing(url, body, headers)


def import_summary(answer: object) -> dict | None:
    """The ImportSummary of an answer, wrapped (2.38+) or bare (2.37); None if neither."""
    if not isinstance(answer, dict):
        return None
    inner = answer.get("response")
    if isinstance(inner, dict) and ("importCount" in inner or "status" in inner):
        return inner
    if "importCount" in answer or answer.get("responseType") == "ImportSummary":
        return answer
    return None


def _conflicts(summary: dict) -> list[dict]:
    found = []
    for conflict in summary.get("conflicts") or []:
        if isinstance(conflict, dict):
            found.append(
                {
                    k: conflict[k]
                    for k in ("object", "value", "errorCode", "property", "indexes")
                    if k in conflict
                }
            )
    return found[:100]


def read_answer(status: int, body: str) -> Outcome:
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = None
    summary = import_summary(parsed)
    if summary is None:
        if 200 <= status < 300:
            return Outcome(
                False, status, "the answer is not a DHIS2 ImportSummary", body=body[:2000]
            )
        return Outcome(False, status, f"HTTP {status}: {body[:300]}", body=body[:2000])
    counts = summary.get("importCount") or {}
    ignored = int(counts.get("ignored") or 0)
    state = str(summary.get("status") or "").upper()
    conflicts = _conflicts(summary)
    if (
        state == "ERROR"
        or ignored > 0
        or not (200 <= status < 300 or state in {"SUCCESS", "WARNING"})
    ):
        reason = f"DHIS2 {state or 'answer'}: {ignored} ignored"
        if summary.get("description"):
            reason += f" ({summary['description']})"
        elif isinstance(parsed, dict) and parsed.get("message"):
            reason += f" ({parsed['message']})"
        return Outcome(False, status, reason, conflicts, body=body[:2000])
    return Outcome(True, status, None, conflicts, body=body[:2000])
