"""docs/hospital-api.md says what the API does: its request bodies are ones the API takes, every
endpoint of the clinical API is in it, and its reconciliation loop is valid Python."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from blood.clinical import schemas

DOC = Path(__file__).resolve().parents[2] / "docs" / "hospital-api.md"
TEXT = DOC.read_text()
BODIES = {
    "/transfusions": schemas.TransfusionIn,
    "/transfusions/search": schemas.PatientSearchIn,
    "/transfusions/451/outcome": schemas.OutcomeIn,
    "/adverse-reactions": schemas.ReactionIn,
    "/returns": schemas.ReturnsIn,
    "/discards": schemas.DiscardsIn,
}


def examples():
    found = []
    for block in re.findall(r"```sh\n(.*?)```", TEXT, re.S):
        for call in re.split(r"\n(?=curl )", block):
            url = re.search(r"\$BLOOD/api/v1(/[\w/-]+)", call)
            body = re.search(r"-d '(.*?)'", call, re.S)
            if url and body:
                found.append((url.group(1), json.loads(body.group(1))))
    return found


def test_the_guide_has_an_example_of_every_write():
    assert {url for url, _body in examples()} == set(BODIES)


@pytest.mark.parametrize("url, body", examples(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_example_body_is_one_the_api_takes(app, url, body):
    with app.test_request_context():
        schemas_class = BODIES[url]
        assert schemas_class().load(body)


def test_every_clinical_endpoint_is_in_the_guide(app):
    with app.test_request_context():
        from blood.extensions import api

        paths = api.spec.to_dict()["paths"]
    clinical = {
        re.sub(r"\{\w+\}", "{id}", path)
        for path, operations in paths.items()
        if any(
            "clinical_api" in op.get("tags", [])
            for op in operations.values()
            if isinstance(op, dict)
        )
    }
    assert len(clinical) >= 10
    missing = [path for path in clinical if path not in TEXT]
    assert missing == []


def test_the_reconciliation_loop_is_python():
    [loop] = re.findall(r"```python\n(.*?)```", TEXT, re.S)
    ast.parse(loop)
