"""ISBT 128 product codes: the table deployments load, and shelf lives."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

from flask_babel import gettext as _
from sqlmodel import Session, select

from blood import audit, settings
from blood.accounts.scoping import Actor
from blood.errors import ValidationFailed
from blood.stock.models import COLLECTION_METHODS, COMPONENTS, ProductCode

PRODUCT_CODES_CSV = Path(__file__).parent.parent / "data" / "product_codes.csv"


def load_product_codes(session: Session, actor: Actor, text: str | None = None) -> int:
    """Insert or update product codes from CSV (the shipped table when `text` is None).

    Columns: code, component, method (``whole_blood`` or ``apheresis``: what the product is
    made from, so a split is checked against the donation), shelf_life_hours, storage,
    name_en, name_zh, source. Nothing is written when a row is wrong."""
    text = text if text is not None else PRODUCT_CODES_CSV.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    errors: dict[str, list[str]] = {}
    for number, row in enumerate(rows, start=2):
        code = (row.get("code") or "").strip().upper()
        if not (len(code) == 5 and code[0] in "EF" and code[1:].isdigit()):
            errors[f"line {number}"] = [_("A product code is E or F and 4 digits.")]
        elif row.get("component") not in COMPONENTS:
            errors[f"line {number}"] = [_("Unknown component.")]
        elif (row.get("method") or "").strip() not in COLLECTION_METHODS:
            errors[f"line {number}"] = [
                _("The method column says what the product is made from: whole_blood or apheresis.")
            ]
        elif not (row.get("shelf_life_hours") or "").strip().isdigit():
            errors[f"line {number}"] = [_("Shelf life is a whole number of hours.")]
    if errors:
        raise ValidationFailed(errors)
    for row in rows:
        code = row["code"].strip().upper()
        product = session.get(ProductCode, code) or ProductCode(code=code)
        product.component = row["component"]
        product.method = row["method"].strip()
        product.shelf_life_hours = int(row["shelf_life_hours"])
        product.storage = row.get("storage", "")
        product.name_en = row.get("name_en", code)
        product.name_zh = row.get("name_zh", code)
        product.source = row.get("source", "")
        session.add(product)
    session.flush()
    audit.record(
        session,
        actor,
        "product_codes.load",
        entity_type="product_code",
        changes={"codes": [None, sorted(r["code"].strip().upper() for r in rows)]},
    )
    return len(rows)


def product(session: Session, code: str) -> ProductCode | None:
    return session.get(ProductCode, (code or "").strip().upper())


def product_codes(*, session: Session) -> list[ProductCode]:
    """Every product code, by component then code (the components form's choice)."""
    return list(
        session.exec(select(ProductCode).order_by(ProductCode.component, ProductCode.code)).all()
    )


def shelf_life(session: Session, product_code: ProductCode) -> timedelta:
    """The product's shelf life, unless the deployment overrides it per component."""
    overrides = settings.of(session).shelf_life_hours
    return timedelta(hours=overrides.get(product_code.component, product_code.shelf_life_hours))
