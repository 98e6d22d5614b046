"""The API document tells the truth: schemathesis (a maintained OpenAPI fuzzer) sends every
operation inputs generated from the document, with a token of each organisation kind, and
checks every answer against it — no 5xx, and every status, header and body as documented.

Both generation modes run (``schemathesis.toml``: ``[generation] mode = "all"``): positive
data (what the document allows, answered as documented) and negative data (what it forbids:
wrong types, values out of range, missing or unknown fields, each refused with a 4xx in the
one error shape, never a 5xx).

Bounded so the suite stays fast: a few examples per operation and mode, derandomised (the
same inputs every run, so a failure reproduces)."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode

CONFIG = Path(__file__).resolve().parents[2] / "schemathesis.toml"

ORGANISATION_KINDS = {
    "hospital": "H-HZ",
    "blood_centre": "BC",
    "plasma_station": "S-CA",
    "manufacturer": "MF",
    "authority": "HZ",
}
# Per operation and generation mode.
EXAMPLES = {GenerationMode.POSITIVE: 6, GenerationMode.NEGATIVE: 4}


def _exercise(operation, headers, mode: GenerationMode) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case):
        case.call_and_validate(headers=headers)

    run()


@pytest.mark.parametrize("kind", sorted(ORGANISATION_KINDS))
def test_every_operation_answers_as_documented(app, api_headers, kind):
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/openapi.json", app, config=SchemathesisConfig.from_path(CONFIG)
    )
    headers = api_headers(ORGANISATION_KINDS[kind])
    failures = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 10  # the document lists the API, not nothing
    modes = schema.config.generation_for(operation=operations[0]).modes
    assert set(modes) == set(GenerationMode)  # schemathesis.toml asks for both
    for operation in operations:
        for mode in modes:
            try:
                _exercise(operation, headers, mode)
            except (Exception, FailureGroup) as failure:  # every failure, not just the first
                failures[f"{operation.label} ({mode.value})"] = str(failure)[:2000]
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
