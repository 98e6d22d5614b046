"""The API document tells the truth: schemathesis (a maintained OpenAPI fuzzer) sends every
operation inputs generated from the document, with a token of each organisation kind, and
checks every answer against it — no 5xx, and every status, header and body as documented.

Bounded so the suite stays fast: a few examples per operation, derandomised (the same inputs
every run, so a failure reproduces)."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.config import SchemathesisConfig

CONFIG = Path(__file__).resolve().parents[2] / "schemathesis.toml"

ORGANISATION_KINDS = {
    "hospital": "H-HZ",
    "blood_centre": "BC",
    "plasma_station": "S-CA",
    "manufacturer": "MF",
    "authority": "HZ",
}
EXAMPLES_PER_OPERATION = 8


def _exercise(operation, headers) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
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
    for operation in operations:
        try:
            _exercise(operation, headers)
        except Exception as failure:  # every operation's failure, not just the first
            failures[operation.label] = str(failure)[:2000]
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
