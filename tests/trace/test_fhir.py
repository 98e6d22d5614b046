"""A unit as FHIR R5 BiologicallyDerivedProduct and its transfusion as
BiologicallyDerivedProductDispense: the documents the API writes by hand validate against
the fhir.resources models, and carry the ISBT 128 identity; out of scope: 404."""

from __future__ import annotations

import pytest
from fhir.resources.biologicallyderivedproduct import BiologicallyDerivedProduct
from fhir.resources.biologicallyderivedproductdispense import BiologicallyDerivedProductDispense

from tests.clinical.helpers import payload
from tests.trace.helpers import full_chain


@pytest.fixture
def chain(app, session, world):
    with app.app_context():
        made = full_chain(session, world)
        session.commit()
    return made


def test_unit_is_a_valid_biologically_derived_product(client, chain, api_headers):
    unit = chain.ffp
    answer = client.get(
        f"/api/v1/units/{unit.din}/{unit.product_code}/fhir?division=00",
        headers=api_headers("H-WZ"),
    )
    assert answer.status_code == 200
    product = BiologicallyDerivedProduct.model_validate(answer.json)
    assert product.biologicalSourceEvent.system == "http://hl7.org/fhir/sid/isbt128"
    assert product.biologicalSourceEvent.value == unit.din
    assert product.productCode.coding[0].code == unit.product_code
    assert product.division == "00"
    assert product.productStatus.code == "available"


def test_transfusion_is_a_valid_dispense_naming_the_patient_by_pseudonym(
    client, chain, api_headers
):
    his = api_headers("H-HZ")
    unit = chain.red_cells
    given = client.post(
        "/api/v1/transfusions", headers=his, json=payload(unit, patient_record_number="ZY-31")
    )
    assert given.status_code == 201
    answer = client.get(f"/api/v1/units/{unit.din}/E0001/dispense/fhir", headers=his)
    assert answer.status_code == 200
    dispense = BiologicallyDerivedProductDispense.model_validate(answer.json)
    assert dispense.status == "issued"
    assert dispense.product.reference.startswith("BiologicallyDerivedProduct/")
    assert "ZY-31" not in answer.get_data(as_text=True)
    assert dispense.patient.display


def test_unit_of_another_hospital_is_not_found(client, chain, api_headers):
    unit = chain.ffp  # at H-WZ
    answer = client.get(
        f"/api/v1/units/{unit.din}/{unit.product_code}/fhir", headers=api_headers("H-HZ")
    )
    assert answer.status_code == 404
